/* test-poller.c: EapPoller, the one readiness source per context (issue 3
 * item 7, "Scale without the GIO cliff")
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "eap-test.h"

#include "eap-poller-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define N_IDLE 10000

/* What one watch saw. */
typedef struct
{
  EapPoller    *poller;       /* (unowned) */
  guint         id;           /* this watch's id */
  guint         other_id;     /* a watch to remove from the callback, or 0 */
  gboolean      remove_self;  /* remove this watch from its own callback */
  gboolean      drain;        /* read what is ready */
  guint         n_calls;
  guint         n_destroyed;
  guint         n_destroyed_in_callback; /* destroy seen inside own callback */
  GIOCondition  revents;      /* last */
  gboolean      in_owner;     /* the context was owned by the calling thread */
  GThread      *thread;       /* (unowned): last calling thread */
  guint        *batch_calls;  /* (nullable): shared counter of a batch */
  guint         target;       /* n_calls to wait for */
} Watch;

static void
socketpair_or_fail (int fds[2])
{
  int rc = socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);

  CU_ASSERT_EQUAL_FATAL (rc, 0);
}

static void
write_byte (int fd)
{
  CU_ASSERT_EQUAL (write (fd, "x", 1), 1);
}

static void
watch_cb (int           fd,
          GIOCondition  revents,
          gpointer      user_data)
{
  Watch *w = user_data;
  char buf[64];

  w->n_calls++;
  w->revents = revents;
  w->thread = g_thread_self ();
  w->in_owner = g_main_context_is_owner (eap_poller_get_context (w->poller));
  if (w->batch_calls != NULL)
    (*w->batch_calls)++;
  if (w->drain && (revents & G_IO_IN))
    while (read (fd, buf, sizeof buf) > 0)
      ;
  if (w->other_id != 0)
    {
      eap_poller_remove (w->poller, w->other_id);
      w->other_id = 0;
    }
  if (w->remove_self)
    {
      guint destroyed_before = w->n_destroyed;

      w->remove_self = FALSE;
      eap_poller_remove (w->poller, w->id);
      w->n_destroyed_in_callback += w->n_destroyed - destroyed_before;
    }
}

static void
watch_destroy (gpointer user_data)
{
  ((Watch *) user_data)->n_destroyed++;
}

static gboolean
cond_called (gpointer data)
{
  return ((Watch *) data)->n_calls > 0;
}

static EapPoller *
ref_fixture_poller (void)
{
  g_autoptr(GError) error = NULL;
  EapPoller *poller = eap_poller_ref_for_context (eap_test_fixture ()->context, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (poller);
  return poller;
}

static guint
add_watch (EapPoller    *poller,
           int           fd,
           GIOCondition  events,
           Watch        *w)
{
  g_autoptr(GError) error = NULL;

  w->poller = poller;
  w->id = eap_poller_add (poller, fd, events, watch_cb, w, watch_destroy, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_NOT_EQUAL (w->id, 0);
  return w->id;
}

static void
test_ready_in_context_thread (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  Watch w = { .drain = TRUE };
  int fds[2];

  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_IN, &w);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 0);              /* nothing to read yet */

  write_byte (fds[1]);
  CU_ASSERT (eap_test_iterate_until (NULL, cond_called, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (w.n_calls, 1);              /* drained: level-triggered, no more */
  CU_ASSERT (w.revents & G_IO_IN);
  CU_ASSERT_PTR_EQUAL (w.thread, g_thread_self ());
  CU_ASSERT (w.in_owner);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 1);

  eap_poller_remove (poller, w.id);
  CU_ASSERT_EQUAL (w.n_destroyed, 1);
  close (fds[0]);
  close (fds[1]);
}

static void
test_level_triggered_and_out (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  Watch w = { 0 };
  int fds[2];

  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_OUT, &w);    /* writable at once */
  CU_ASSERT (eap_test_iterate_until (NULL, cond_called, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (w.revents, G_IO_OUT);
  g_main_context_iteration (eap_test_fixture ()->context, FALSE);
  CU_ASSERT (w.n_calls >= 2);                  /* still writable: called again */

  eap_poller_remove (poller, w.id);
  close (fds[0]);
  close (fds[1]);
}

static gboolean
cond_active_round (gpointer data)
{
  Watch *w = data;

  return w->n_calls >= w->target;
}

static void
raise_nofile_or_fail (rlim_t needed)
{
  struct rlimit rl;

  CU_ASSERT_EQUAL_FATAL (getrlimit (RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur >= needed)
    return;
  rl.rlim_cur = rl.rlim_max;
  if (rl.rlim_max < needed || setrlimit (RLIMIT_NOFILE, &rl) != 0)
    {
      fprintf (stderr, "RLIMIT_NOFILE hard limit %llu < %llu fds needed: raise it "
               "(ulimit -Hn) to run this test\n",
               (unsigned long long) rl.rlim_max, (unsigned long long) needed);
      CU_FAIL_FATAL ("RLIMIT_NOFILE too low for the idle-fds test");
    }
}

/* 10,000 idle fds (eventfds: one fd each, never written; 10,000 socketpairs
 * would need 20,000 fds, this machine's hard limit) and one active
 * socketpair: only the active watch is ever called, once per byte. The
 * cost of an event is not asserted (no timings in tests): the structure
 * is, one source for all of them. */
static void
test_idle_fds_not_called (void)
{
  g_autoptr(EapPoller) poller = NULL;
  g_autofree int *idle_fds = g_new (int, N_IDLE);
  g_autofree guint *idle_ids = g_new (guint, N_IDLE);
  Watch idle = { 0 };
  Watch active = { .drain = TRUE };
  int fds[2];
  guint n_rounds = 100;

  raise_nofile_or_fail (N_IDLE + 256);
  poller = ref_fixture_poller ();
  for (guint i = 0; i < N_IDLE; i++)
    {
      idle_fds[i] = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
      CU_ASSERT_FATAL (idle_fds[i] >= 0);
      idle_ids[i] = eap_poller_add (poller, idle_fds[i], G_IO_IN, watch_cb, &idle, NULL, NULL);
      CU_ASSERT_FATAL (idle_ids[i] != 0);
    }
  idle.poller = poller;
  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_IN, &active);

  for (guint round = 1; round <= n_rounds; round++)
    {
      active.target = round;
      write_byte (fds[1]);
      CU_ASSERT_FATAL (eap_test_iterate_until (NULL, cond_active_round, &active,
                                               EAP_TEST_TIMEOUT_MS));
    }
  eap_test_drain ();
  CU_ASSERT_EQUAL (active.n_calls, n_rounds);   /* once per byte, no spurious calls */
  CU_ASSERT_EQUAL (idle.n_calls, 0);
  /* The poller's source is the only one it attached, whatever the count. */
  CU_ASSERT_PTR_NOT_NULL (_eap_poller_get_source (poller));

  for (guint i = 0; i < N_IDLE; i++)
    {
      eap_poller_remove (poller, idle_ids[i]);
      close (idle_fds[i]);
    }
  eap_poller_remove (poller, active.id);
  CU_ASSERT_EQUAL (active.n_destroyed, 1);
  close (fds[0]);
  close (fds[1]);
}

static gboolean
cond_count_reached (gpointer data)
{
  Watch *w = data;

  return *w->batch_calls >= w->target;
}

/* More ready fds than one dispatch takes: the rest come on the next
 * iterations, each fd once (each callback drains its eventfd). */
static void
test_more_than_a_batch (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  enum { N = 2 * EAP_POLLER_BATCH + 3 };
  Watch *w = g_new0 (Watch, N);
  int efds[N];
  guint total = 0;
  guint64 one = 1;

  for (guint i = 0; i < N; i++)
    {
      efds[i] = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
      CU_ASSERT_FATAL (efds[i] >= 0);
      w[i].drain = TRUE;
      w[i].batch_calls = &total;
      add_watch (poller, efds[i], G_IO_IN, &w[i]);
      CU_ASSERT_EQUAL (write (efds[i], &one, sizeof one), sizeof one);
    }
  w[0].target = N;
  CU_ASSERT (eap_test_iterate_until (NULL, cond_count_reached, &w[0], EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (total, N);
  for (guint i = 0; i < N; i++)
    {
      CU_ASSERT_EQUAL (w[i].n_calls, 1);
      eap_poller_remove (poller, w[i].id);
      CU_ASSERT_EQUAL (w[i].n_destroyed, 1);
      close (efds[i]);
    }
  g_free (w);
}

static void
test_remove_self_in_callback (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  Watch w = { .remove_self = TRUE };
  int fds[2];

  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_IN, &w);
  write_byte (fds[1]);
  CU_ASSERT (eap_test_iterate_until (NULL, cond_called, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (w.n_destroyed_in_callback, 0);   /* not while its callback runs */
  CU_ASSERT_EQUAL (w.n_destroyed, 1);               /* once it returned */

  write_byte (fds[1]);                              /* still readable: never called again */
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 1);
  CU_ASSERT_EQUAL (w.n_destroyed, 1);
  close (fds[0]);
  close (fds[1]);
}

static gboolean
cond_batch_called (gpointer data)
{
  return *(guint *) data > 0;
}

/* Both fds are ready before the iteration, so one epoll_wait returns both:
 * whichever is called first removes the other, which is then skipped. */
static void
test_remove_other_in_same_batch (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  Watch a = { .drain = TRUE }, b = { .drain = TRUE };
  int fa[2], fb[2];
  guint batch_calls = 0;

  socketpair_or_fail (fa);
  socketpair_or_fail (fb);
  add_watch (poller, fa[0], G_IO_IN, &a);
  add_watch (poller, fb[0], G_IO_IN, &b);
  a.other_id = b.id;
  b.other_id = a.id;
  a.batch_calls = b.batch_calls = &batch_calls;
  write_byte (fa[1]);
  write_byte (fb[1]);

  CU_ASSERT (eap_test_iterate_until (NULL, cond_batch_called, &batch_calls,
                                     EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (batch_calls, 1);                 /* the removed one was skipped */
  CU_ASSERT_EQUAL (a.n_calls + b.n_calls, 1);
  if (a.n_calls == 1)
    {
      CU_ASSERT_EQUAL (b.n_destroyed, 1);
      eap_poller_remove (poller, a.id);
    }
  else
    {
      CU_ASSERT_EQUAL (a.n_destroyed, 1);
      eap_poller_remove (poller, b.id);
    }
  CU_ASSERT_EQUAL (a.n_destroyed, 1);
  CU_ASSERT_EQUAL (b.n_destroyed, 1);
  close (fa[0]); close (fa[1]);
  close (fb[0]); close (fb[1]);
}

static void
test_modify_pause_resume (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  GMainContext *context = eap_test_fixture ()->context;
  Watch w = { 0 };   /* does not drain: the fd stays readable */
  int fds[2];

  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_IN, &w);
  eap_poller_modify (poller, w.id, 0);
  write_byte (fds[1]);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 0);                   /* paused */
  CU_ASSERT_FALSE (g_main_context_pending (context));

  eap_poller_modify (poller, w.id, G_IO_IN);
  CU_ASSERT (eap_test_iterate_until (NULL, cond_called, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT (w.revents & G_IO_IN);

  /* Paused on a hung-up fd: no busy loop (epoll reports HUP for any mask). */
  eap_poller_modify (poller, w.id, 0);
  close (fds[1]);
  w.n_calls = 0;
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 0);
  CU_ASSERT_FALSE (g_main_context_pending (context));

  /* Switching events: OUT only, then back. */
  eap_poller_modify (poller, w.id, G_IO_OUT);
  CU_ASSERT (eap_test_iterate_until (NULL, cond_called, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT (w.revents & G_IO_HUP);
  eap_poller_remove (poller, w.id);
  CU_ASSERT_EQUAL (w.n_destroyed, 1);
  close (fds[0]);
}

static void
test_hup_on_peer_close (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  Watch w = { .remove_self = TRUE };
  int fds[2];

  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_IN, &w);
  close (fds[1]);
  CU_ASSERT (eap_test_iterate_until (NULL, cond_called, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT (w.revents & G_IO_HUP);
  CU_ASSERT_EQUAL (w.n_destroyed, 1);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 1);
  close (fds[0]);
}

static void
test_ids_and_errors (void)
{
  g_autoptr(EapPoller) poller = ref_fixture_poller ();
  g_autoptr(GError) error = NULL;
  Watch a = { 0 }, b = { 0 }, c = { 0 };
  int fds[2];
  guint id;

  socketpair_or_fail (fds);
  add_watch (poller, fds[0], G_IO_IN, &a);
  add_watch (poller, fds[1], G_IO_IN, &b);
  CU_ASSERT_NOT_EQUAL (a.id, b.id);

  /* One watch per fd: the second is refused, its destroy is not called. */
  id = eap_poller_add (poller, fds[0], G_IO_IN, watch_cb, &c, watch_destroy, &error);
  CU_ASSERT_EQUAL (id, 0);
  CU_ASSERT (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS));
  CU_ASSERT_EQUAL (c.n_destroyed, 0);

  /* A removed id is not handed out again. */
  eap_poller_remove (poller, a.id);
  add_watch (poller, fds[0], G_IO_IN, &c);
  CU_ASSERT_NOT_EQUAL (c.id, a.id);
  CU_ASSERT_NOT_EQUAL (c.id, b.id);

  EAP_TEST_EXPECT_CRITICAL (eap_poller_remove (poller, a.id));

  eap_poller_remove (poller, b.id);
  eap_poller_remove (poller, c.id);
  CU_ASSERT_EQUAL (a.n_destroyed + b.n_destroyed + c.n_destroyed, 3);
  close (fds[0]);
  close (fds[1]);
}

static void
test_one_per_context_and_source_gone (void)
{
  GMainContext *context = eap_test_fixture ()->context;
  EapPoller *p1 = ref_fixture_poller ();
  EapPoller *p2 = ref_fixture_poller ();
  EapPoller *p3;
  GSource *source;
  Watch w = { 0 };
  int fds[2];

  CU_ASSERT_PTR_EQUAL (p1, p2);
  CU_ASSERT_PTR_EQUAL (eap_poller_get_context (p1), context);
  source = _eap_poller_get_source (p1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (source);
  g_source_ref (source);
  CU_ASSERT_PTR_EQUAL (g_main_context_find_source_by_id (context, g_source_get_id (source)),
                       source);

  socketpair_or_fail (fds);
  add_watch (p1, fds[0], G_IO_IN, &w);   /* left for the last unref to remove */

  p3 = eap_poller_ref (p2);
  eap_poller_unref (p1);
  eap_poller_unref (p2);
  CU_ASSERT_FALSE (g_source_is_destroyed (source));
  CU_ASSERT_EQUAL (w.n_destroyed, 0);
  eap_poller_unref (p3);                 /* the last one */
  CU_ASSERT (g_source_is_destroyed (source));
  CU_ASSERT_EQUAL (w.n_destroyed, 1);
  g_source_unref (source);

  write_byte (fds[1]);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w.n_calls, 0);
  close (fds[0]);
  close (fds[1]);
}

typedef struct
{
  EapPoller    *poller;        /* (unowned): as seen by the thread */
  gboolean      same_twice;
  Watch         w;
  gboolean      called_in_thread;
  EapTestLatch  ready;
  EapTestLatch *release;       /* (unowned) */
} ThreadData;

static gpointer
poller_thread (gpointer data)
{
  ThreadData *td = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  EapPoller *poller, *again;
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
  int fds[2];

  g_main_context_push_thread_default (context);
  poller = eap_poller_ref_for_context (context, NULL);
  again = eap_poller_ref_for_context (context, NULL);
  td->poller = poller;
  td->same_twice = (poller == again);
  eap_poller_unref (again);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0)
    {
      td->w.poller = poller;
      td->w.drain = TRUE;
      td->w.id = eap_poller_add (poller, fds[0], G_IO_IN, watch_cb, &td->w, NULL, NULL);
      (void) write (fds[1], "x", 1);
      while (td->w.n_calls == 0 && !eap_test_deadline_passed (deadline))
        g_main_context_iteration (context, FALSE);   /* bounded by the deadline */
      td->called_in_thread = (td->w.n_calls == 1 && td->w.thread == g_thread_self () &&
                              td->w.in_owner);
      eap_poller_remove (poller, td->w.id);
      close (fds[0]);
      close (fds[1]);
    }

  eap_test_latch_set (&td->ready);
  eap_test_latch_wait (td->release, EAP_TEST_TIMEOUT_MS);   /* both alive at once */
  eap_poller_unref (poller);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_threads_get_own_pollers (void)
{
  g_autoptr(EapPoller) mine = ref_fixture_poller ();
  ThreadData td[2] = { 0 };
  EapTestLatch release;
  GThread *threads[2];

  eap_test_latch_init (&release);
  for (guint i = 0; i < 2; i++)
    {
      eap_test_latch_init (&td[i].ready);
      td[i].release = &release;
      threads[i] = g_thread_new ("poller-test", poller_thread, &td[i]);
    }
  for (guint i = 0; i < 2; i++)
    CU_ASSERT (eap_test_latch_wait (&td[i].ready, EAP_TEST_TIMEOUT_MS));

  CU_ASSERT_PTR_NOT_NULL (td[0].poller);
  CU_ASSERT_PTR_NOT_NULL (td[1].poller);
  CU_ASSERT_PTR_NOT_EQUAL (td[0].poller, td[1].poller);
  CU_ASSERT_PTR_NOT_EQUAL (td[0].poller, mine);
  CU_ASSERT_PTR_NOT_EQUAL (td[1].poller, mine);
  for (guint i = 0; i < 2; i++)
    {
      CU_ASSERT (td[i].same_twice);
      CU_ASSERT (td[i].called_in_thread);
    }

  eap_test_latch_set (&release);
  for (guint i = 0; i < 2; i++)
    {
      g_thread_join (threads[i]);
      eap_test_latch_clear (&td[i].ready);
    }
  eap_test_latch_clear (&release);
}

static CU_TestInfo poller_tests[] = {
  { "readiness is delivered in the context's thread", test_ready_in_context_thread },
  { "level-triggered: a ready fd is reported again", test_level_triggered_and_out },
  { "item 7: 10,000 idle fds are never called, the active one once per byte",
    test_idle_fds_not_called },
  { "more ready fds than a batch: all called, each once", test_more_than_a_batch },
  { "remove from its own callback: not called again, destroy once, after it",
    test_remove_self_in_callback },
  { "remove another watch of the same batch: it is skipped, destroy once",
    test_remove_other_in_same_batch },
  { "modify pauses (even on HUP) and resumes", test_modify_pause_resume },
  { "HUP on peer close", test_hup_on_peer_close },
  { "ids are not reused; a second watch on an fd is refused", test_ids_and_errors },
  { "one poller per context; its source leaves the context on the last unref",
    test_one_per_context_and_source_gone },
  { "two threads with their own contexts get their own pollers",
    test_threads_get_own_pollers },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    { "EapPoller", NULL, NULL, eap_test_setup, eap_test_teardown, poller_tests },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
