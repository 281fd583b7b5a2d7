/* test-stress.c: many threads on shared components (issue 6, item 3)
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Eight starter threads, each with a context of its own pushed and
 * iterated, start operations on one EapTestComponent and one
 * EapBackgroundWorker; some of them with the global default context
 * pushed instead, which the test's thread runs. Other threads complete
 * them, cancel them by user state and cancel them all, report progress,
 * close or dispose the components, while the owners iterate. Every
 * user_state is unique, so completions are counted per user_state: each
 * accepted operation must complete exactly once, in its own context.
 *
 * No sleeps: threads block on queues, latches and cancellable fds, each
 * with a deadline; the contexts are iterated until a count is reached,
 * with a deadline.
 */

#include "eap-test.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define N_STARTERS        8
#define N_OPS             10000           /* per starter */
#define N_INDEX           (N_STARTERS * N_OPS)
#define WINDOW            256             /* operations in flight per starter */
#define N_COMPLETERS      2
#define STRESS_TIMEOUT_MS 90000

/* A user_state that can never be a valid index: the queues' end marker. */
#define END_MARK          GSIZE_TO_POINTER (G_MAXSIZE)

static inline gpointer
state_of (gsize index)
{
  return GSIZE_TO_POINTER (index + 1);
}

static inline gsize
index_of (gpointer user_state)
{
  return GPOINTER_TO_SIZE (user_state) - 1;
}

/* Waits (never iterating) until @fd of a cancellable is readable, at most
 * @timeout_ms. Returns whether it was. */
static gboolean
wait_cancelled (GCancellable *cancellable,
                guint         timeout_ms)
{
  GPollFD pfd;
  gboolean ret;

  if (!g_cancellable_make_pollfd (cancellable, &pfd))
    return FALSE;
  while (g_poll (&pfd, 1, timeout_ms) < 0 && errno == EINTR)
    ;
  ret = g_cancellable_is_cancelled (cancellable);
  g_cancellable_release_fd (cancellable);

  return ret;
}

/* ------------------------------------------------------------------ */
/* 1. Start, cancel and complete from many threads                      */
/* ------------------------------------------------------------------ */

typedef enum
{
  KIND_COMPLETER,   /* EapTestComponent; a completer thread completes it */
  KIND_OWNER,       /* EapTestComponent; its starter completes it a little later */
  KIND_CANCEL,      /* EapTestComponent; completes only when cancelled by user_state */
  KIND_RUN,         /* EapBackgroundWorker; the work sets a result */
  KIND_RUN_CANCEL,  /* EapBackgroundWorker; the work waits to be cancelled by user_state */
  N_KINDS
} Kind;

static inline Kind
kind_of (gsize index)
{
  return index % N_KINDS;
}

/* One in seven operations is started with the global default context
 * pushed, the way a worker hands results to the application's main loop;
 * the test's thread runs that one. */
static inline gboolean
on_default_context (gsize index)
{
  return index % 7 == 3;
}

typedef struct _Stress Stress;

typedef struct
{
  Stress       *stress;
  guint         index;
  GMainContext *context;       /* (owned) */
  GThread      *thread;
  guint         n_accepted;    /* in its own context; written by the starter only */
  gint          n_delivered;   /* atomic: completed in its own context */
  gint          finished;      /* atomic */
} Starter;

struct _Stress
{
  EapComponent        *component;   /* (owned) */
  EapBackgroundWorker *worker;      /* (owned) */
  Starter              starters[N_STARTERS];
  GAsyncQueue         *to_complete; /* (element-type EapOperation) (owned), END_MARK */
  GAsyncQueue         *to_cancel;   /* (element-type user_state), END_MARK */
  GThread             *completers[N_COMPLETERS];
  GThread             *canceller;
  EapOperation       **held;        /* [N_INDEX] (owned): KIND_CANCEL ops until completed */
  gint                *n_completed; /* [N_INDEX] atomic */
  gint                *accepted;    /* [N_INDEX] atomic */
  gint                 n_accepted;
  gint                 n_delivered;
  gint                 n_double;
  gint                 n_wrong_context;
  gint                 n_wrong_outcome;
  gint                 n_refused;
  gint                 n_starters_finished;
};

static GMainContext *
expected_context (Stress *s,
                  gsize   index)
{
  if (on_default_context (index))
    return g_main_context_default ();
  return s->starters[index / N_OPS].context;
}

/* Whether the outcome is one its kind allows (R15, R23, R27, R30). */
static gboolean
outcome_ok (gsize             index,
            EapCompletedArgs *args)
{
  gboolean cancelled = eap_completed_args_get_cancelled (args);
  gboolean failed = eap_completed_args_get_error (args) != NULL;

  switch (kind_of (index))
    {
    case KIND_COMPLETER:
    case KIND_OWNER:
      /* cancel_all reaches them too, but a result stands (R27). */
      return !cancelled && !failed;
    case KIND_CANCEL:
    case KIND_RUN_CANCEL:
      return cancelled && !failed;
    case KIND_RUN:
      /* Succeeds, or is cancelled by cancel_all before a thread took it
       * (R30); the work always sets a result, which beats a late cancel. */
      if (cancelled)
        return !failed;
      return !failed &&
             eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args),
                                                       NULL) != NULL;
    case N_KINDS:
    default:
      return FALSE;
    }
}

static void
stress_on_completed (EapComponent     *component,
                     EapCompletedArgs *args,
                     gpointer          data)
{
  Stress *s = data;
  gsize index = index_of (eap_completed_args_get_user_state (args));
  EapOperation *held;

  if (index >= N_INDEX)
    {
      g_atomic_int_inc (&s->n_wrong_outcome);
      return;
    }

  if (g_atomic_int_add (&s->n_completed[index], 1) != 0)
    g_atomic_int_inc (&s->n_double);
  if (!g_main_context_is_owner (expected_context (s, index)))
    g_atomic_int_inc (&s->n_wrong_context);
  if (!outcome_ok (index, args))
    g_atomic_int_inc (&s->n_wrong_outcome);

  held = g_atomic_pointer_exchange (&s->held[index], NULL);
  g_clear_object (&held);

  if (!on_default_context (index))
    g_atomic_int_inc (&s->starters[index / N_OPS].n_delivered);
  g_atomic_int_inc (&s->n_delivered);
}

static gboolean
stress_work (EapDoWorkArgs  *args,
             gpointer        user_data,
             GError        **error)
{
  gsize index = index_of (eap_do_work_args_get_user_state (args));
  g_auto(GValue) result = G_VALUE_INIT;

  if (kind_of (index) == KIND_RUN_CANCEL)
    {
      /* No result: the run completes as cancelled. Never cancelled within
       * the deadline is a failure the outcome check sees. */
      if (wait_cancelled (eap_do_work_args_get_cancellable (args), STRESS_TIMEOUT_MS))
        return TRUE;
    }

  g_value_init (&result, G_TYPE_UINT64);
  g_value_set_uint64 (&result, index);
  eap_do_work_args_set_result (args, &result);
  return TRUE;
}

static gpointer
completer_thread (gpointer data)
{
  Stress *s = data;

  for (;;)
    {
      gpointer item = g_async_queue_timeout_pop (s->to_complete,
                                                 (guint64) STRESS_TIMEOUT_MS * 1000);
      g_autoptr(EapOperation) op = NULL;

      if (item == NULL || item == END_MARK)
        break;
      op = item;
      eap_operation_complete (op, NULL);
    }

  return NULL;
}

static gpointer
canceller_thread (gpointer data)
{
  Stress *s = data;
  guint n = 0;

  for (;;)
    {
      gpointer user_state = g_async_queue_timeout_pop (s->to_cancel,
                                                       (guint64) STRESS_TIMEOUT_MS * 1000);
      gsize index;

      if (user_state == NULL || user_state == END_MARK)
        break;

      index = index_of (user_state);
      if (kind_of (index) == KIND_RUN_CANCEL)
        eap_component_cancel_async (EAP_COMPONENT (s->worker), user_state);
      else
        eap_component_cancel_async (s->component, user_state);

      /* Now and then everything at once, owners' operations included. */
      if (++n % 1499 == 0)
        eap_component_cancel_all (s->component);
      else if (n % 1499 == 700)
        eap_component_cancel_all (EAP_COMPONENT (s->worker));
    }

  return NULL;
}

/* Starts operation @index from the calling thread. Ops the starter must
 * complete itself go to @owned. Returns whether it was accepted. */
static gboolean
start_one (Stress *s,
           gsize   index,
           GQueue *owned)
{
  g_autoptr(GError) error = NULL;
  gpointer user_state = state_of (index);
  EapOperation *op;

  switch (kind_of (index))
    {
    case KIND_RUN:
    case KIND_RUN_CANCEL:
      if (!eap_background_worker_run_worker_async (s->worker, NULL, user_state, &error))
        return FALSE;
      g_atomic_int_set (&s->accepted[index], 1);
      if (kind_of (index) == KIND_RUN_CANCEL)
        g_async_queue_push (s->to_cancel, user_state);
      return TRUE;

    case KIND_COMPLETER:
    case KIND_OWNER:
    case KIND_CANCEL:
      op = eap_component_begin_operation (s->component, "stress", user_state, &error);
      if (op == NULL)
        return FALSE;
      g_atomic_int_set (&s->accepted[index], 1);
      if (kind_of (index) == KIND_COMPLETER)
        g_async_queue_push (s->to_complete, op);
      else if (kind_of (index) == KIND_OWNER)
        g_queue_push_tail (owned, op);
      else
        {
          /* Held before it can complete: the handler drops it. */
          g_atomic_pointer_set (&s->held[index], op);
          eap_test_complete_when_cancelled (op);
          g_async_queue_push (s->to_cancel, user_state);
        }
      return TRUE;

    case N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
starter_caught_up (gpointer data)
{
  Starter *st = data;

  return (guint) g_atomic_int_get (&st->n_delivered) >= st->n_accepted;
}

static gpointer
starter_thread (gpointer data)
{
  Starter *st = data;
  Stress *s = st->stress;
  GQueue owned = G_QUEUE_INIT;
  gint64 deadline = eap_test_deadline (STRESS_TIMEOUT_MS);

  g_main_context_push_thread_default (st->context);

  for (guint i = 0; i < N_OPS; i++)
    {
      gsize index = (gsize) st->index * N_OPS + i;
      gboolean on_default = on_default_context (index);

      /* Nothing pushed: the operation captures the global default context
       * (pushing that one would acquire it, and the test's thread owns
       * it while it runs it). */
      if (on_default)
        g_main_context_pop_thread_default (st->context);
      if (start_one (s, index, &owned))
        {
          g_atomic_int_inc (&s->n_accepted);
          if (!on_default)
            st->n_accepted++;
        }
      else
        g_atomic_int_inc (&s->n_refused);
      if (on_default)
        g_main_context_push_thread_default (st->context);

      /* The owner completes its own a few starts later, from this
       * thread, while other threads complete theirs. */
      while (owned.length > 8)
        {
          g_autoptr(EapOperation) op = g_queue_pop_head (&owned);

          eap_operation_complete (op, NULL);
        }

      while (g_main_context_iteration (st->context, FALSE))
        ;
      while (st->n_accepted - (guint) g_atomic_int_get (&st->n_delivered) > WINDOW &&
             !eap_test_deadline_passed (deadline))
        g_main_context_iteration (st->context, TRUE);
    }

  while (owned.length > 0)
    {
      g_autoptr(EapOperation) op = g_queue_pop_head (&owned);

      eap_operation_complete (op, NULL);
    }

  /* Everything of this context delivered, then what it must release
   * (a background worker's runs are freed in their context, R53). */
  eap_test_iterate_until (st->context, starter_caught_up, st,
                          (guint) MAX (0, (deadline - g_get_monotonic_time ()) / 1000));
  while (g_main_context_iteration (st->context, FALSE))
    ;

  g_main_context_pop_thread_default (st->context);
  g_atomic_int_set (&st->finished, 1);
  g_atomic_int_inc (&s->n_starters_finished);
  g_main_context_wakeup (g_main_context_default ());

  return NULL;
}

static gboolean
stress_done (gpointer data)
{
  Stress *s = data;

  return g_atomic_int_get (&s->n_starters_finished) == N_STARTERS &&
         g_atomic_int_get (&s->n_delivered) >= g_atomic_int_get (&s->n_accepted);
}

/* R15 R16 R25 R29 R38 R39 R44 R45: 8 threads x 10000 operations on two
 * shared components. */
static void
test_many_threads_start_cancel_complete (void)
{
  Stress *s = g_new0 (Stress, 1);
  GWeakRef worker_ref;
  guint n_finalized = eap_test_component_get_n_finalized ();
  guint n_missing = 0, n_extra = 0, n_held = 0;
  gulong ids[2];

  s->component = eap_test_component_new ();
  s->worker = eap_background_worker_new ();
  eap_background_worker_set_work_func (s->worker, stress_work, NULL, NULL);
  g_weak_ref_init (&worker_ref, s->worker);
  ids[0] = g_signal_connect (s->component, "completed", G_CALLBACK (stress_on_completed), s);
  ids[1] = g_signal_connect (s->worker, "completed", G_CALLBACK (stress_on_completed), s);
  s->to_complete = g_async_queue_new ();
  s->to_cancel = g_async_queue_new ();
  s->held = g_new0 (EapOperation *, N_INDEX);
  s->n_completed = g_new0 (gint, N_INDEX);
  s->accepted = g_new0 (gint, N_INDEX);

  for (guint c = 0; c < N_COMPLETERS; c++)
    s->completers[c] = g_thread_new ("completer", completer_thread, s);
  s->canceller = g_thread_new ("canceller", canceller_thread, s);
  for (guint t = 0; t < N_STARTERS; t++)
    {
      Starter *st = &s->starters[t];

      st->stress = s;
      st->index = t;
      st->context = g_main_context_new ();
      st->thread = g_thread_new ("starter", starter_thread, st);
    }

  /* The application's main loop: what was started with the global
   * default context is delivered here. */
  CU_ASSERT_TRUE (eap_test_iterate_until (g_main_context_default (), stress_done, s,
                                          STRESS_TIMEOUT_MS));
  while (g_main_context_iteration (g_main_context_default (), FALSE))
    ;

  for (guint t = 0; t < N_STARTERS; t++)
    g_thread_join (s->starters[t].thread);
  for (guint c = 0; c < N_COMPLETERS; c++)
    g_async_queue_push (s->to_complete, END_MARK);
  g_async_queue_push (s->to_cancel, END_MARK);
  for (guint c = 0; c < N_COMPLETERS; c++)
    g_thread_join (s->completers[c]);
  g_thread_join (s->canceller);
  /* The last releases of the runs may have been queued meanwhile. */
  while (g_main_context_iteration (g_main_context_default (), FALSE))
    ;

  for (gsize i = 0; i < N_INDEX; i++)
    {
      gint n = g_atomic_int_get (&s->n_completed[i]);

      if (g_atomic_int_get (&s->accepted[i]) && n == 0)
        n_missing++;
      else if (n > (g_atomic_int_get (&s->accepted[i]) ? 1 : 0))
        n_extra++;
      if (s->held[i] != NULL)
        {
          n_held++;
          g_clear_object (&s->held[i]);
        }
    }

  printf ("\n    %d accepted, %d refused, %d delivered; missing %u, extra %u, "
          "double %d, wrong context %d, wrong outcome %d\n",
          s->n_accepted, s->n_refused, s->n_delivered, n_missing, n_extra,
          s->n_double, s->n_wrong_context, s->n_wrong_outcome);

  CU_ASSERT_EQUAL (s->n_accepted, N_INDEX);      /* unique user states: none refused */
  CU_ASSERT_EQUAL (s->n_refused, 0);
  CU_ASSERT_EQUAL (n_missing, 0);                /* R15 */
  CU_ASSERT_EQUAL (n_extra, 0);                  /* R16 */
  CU_ASSERT_EQUAL (s->n_double, 0);
  CU_ASSERT_EQUAL (n_held, 0);
  CU_ASSERT_EQUAL (s->n_wrong_context, 0);       /* R38, R39 */
  CU_ASSERT_EQUAL (s->n_wrong_outcome, 0);       /* R23, R27, R30 */
  CU_ASSERT_EQUAL (s->n_delivered, s->n_accepted);
  CU_ASSERT_FALSE (eap_component_get_is_busy (s->component));   /* R45 */
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (s->worker)));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (s->component), 0);
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (s->worker)), 0);

  /* No operation holds them any more (R48 ends at completion). */
  g_signal_handler_disconnect (s->component, ids[0]);
  g_signal_handler_disconnect (s->worker, ids[1]);
  g_clear_object (&s->component);
  g_clear_object (&s->worker);
  CU_ASSERT_EQUAL (eap_test_component_get_n_finalized (), n_finalized + 1);
  {
    g_autoptr(GObject) still = g_weak_ref_get (&worker_ref);

    CU_ASSERT_PTR_NULL (still);
  }
  g_weak_ref_clear (&worker_ref);

  for (guint t = 0; t < N_STARTERS; t++)
    g_main_context_unref (s->starters[t].context);
  g_async_queue_unref (s->to_complete);
  g_async_queue_unref (s->to_cancel);
  g_free (s->held);
  g_free (s->n_completed);
  g_free (s->accepted);
  g_free (s);
}

/* ------------------------------------------------------------------ */
/* 2. Progress from many threads while cancelling                       */
/* ------------------------------------------------------------------ */

#define PROGRESS_N_OPS       1000
#define PROGRESS_N_REPORTERS 4
#define PROGRESS_N_REPORTS   25

typedef struct
{
  EapComponent *component;                  /* (owned) */
  EapOperation *ops[PROGRESS_N_OPS];        /* (owned) */
  gint          reporters_left[PROGRESS_N_OPS];
  /* Written in the fixture's context only. */
  gboolean      completed[PROGRESS_N_OPS];
  int           last_percentage[PROGRESS_N_OPS];
  guint         n_completed;
  guint         n_cancelled;
  guint         n_progress;
  guint         n_progress_after_completed;
  guint         n_percentage_bad;
  guint         n_double;
  guint         n_wrong_context;
  GMainContext *context;
  GThread      *first_reporter;
  GMutex        start_lock;
  EapTestLatch  half_way;
} Progress;

static void
progress_on_progress (EapComponent    *component,
                      EapProgressArgs *args,
                      gpointer         data)
{
  Progress *p = data;
  gsize index = index_of (eap_progress_args_get_user_state (args));
  int percentage = eap_progress_args_get_percentage (args);

  g_assert (index < PROGRESS_N_OPS);
  p->n_progress++;
  if (!g_main_context_is_owner (p->context))
    p->n_wrong_context++;
  if (p->completed[index])
    p->n_progress_after_completed++;                            /* R17 */
  if (percentage < p->last_percentage[index] || percentage > 100)
    p->n_percentage_bad++;                                      /* R32 */
  p->last_percentage[index] = percentage;
}

static void
progress_on_completed (EapComponent     *component,
                       EapCompletedArgs *args,
                       gpointer          data)
{
  Progress *p = data;
  gsize index = index_of (eap_completed_args_get_user_state (args));

  g_assert (index < PROGRESS_N_OPS);
  if (p->completed[index])
    p->n_double++;
  p->completed[index] = TRUE;
  p->n_completed++;
  if (eap_completed_args_get_cancelled (args))
    p->n_cancelled++;
  if (!g_main_context_is_owner (p->context))
    p->n_wrong_context++;
}

/* Each reporter reports on every operation in turn, all of them on the
 * same one at about the same time, as the threads of one component's
 * work would; the last one out completes it, like a well-written
 * component: nothing is reported after that (R18 would be a critical). */
static gpointer
reporter_thread (gpointer data)
{
  Progress *p = data;

  g_mutex_lock (&p->start_lock);
  g_mutex_unlock (&p->start_lock);

  for (guint i = 0; i < PROGRESS_N_OPS; i++)
    {
      EapOperation *op = p->ops[i];
      GCancellable *cancellable = eap_operation_get_cancellable (op);

      if (i == PROGRESS_N_OPS / 2 && g_thread_self () == p->first_reporter)
        eap_test_latch_set (&p->half_way);

      for (guint r = 0; r < PROGRESS_N_REPORTS; r++)
        {
          if (g_cancellable_is_cancelled (cancellable))
            break;
          eap_operation_report_progress (op, r + 1, PROGRESS_N_REPORTS);
          /* Every third, one reporter cancels it half-way, while the
           * others go on reporting. */
          if (i % 3 == 0 && r == PROGRESS_N_REPORTS / 2 && g_thread_self () == p->first_reporter)
            eap_component_cancel_async (p->component, state_of (i));
        }

      if (g_atomic_int_dec_and_test (&p->reporters_left[i]) &&
          !eap_operation_return_error_if_cancelled (op))
        eap_operation_complete (op, NULL);
    }

  return NULL;
}

static gpointer
progress_canceller_thread (gpointer data)
{
  Progress *p = data;

  /* Once the reporters are half-way: everything in flight, then one in
   * three of the rest by user_state, racing the reporters. */
  if (!eap_test_latch_wait (&p->half_way, STRESS_TIMEOUT_MS))
    return NULL;
  eap_component_cancel_all (p->component);
  for (guint i = PROGRESS_N_OPS / 2; i < PROGRESS_N_OPS; i++)
    if (i % 3 == 1)
      eap_component_cancel_async (p->component, state_of (i));

  return NULL;
}

static gboolean
progress_all_completed (gpointer data)
{
  Progress *p = data;

  return p->n_completed >= PROGRESS_N_OPS;
}

/* R17 R18 R25 R32 R47: progress from four threads at once on each
 * operation, while another thread cancels by user_state and cancels all. */
static void
test_progress_from_many_threads_while_cancelling (void)
{
  Progress *p = g_new0 (Progress, 1);
  GThread *reporters[PROGRESS_N_REPORTERS];
  GThread *canceller;

  g_mutex_init (&p->start_lock);
  eap_test_latch_init (&p->half_way);
  p->context = eap_test_fixture ()->context;
  p->component = eap_test_component_new ();
  eap_component_set_progress_interval (p->component, 0);     /* every report */
  g_signal_connect (p->component, "progress-changed", G_CALLBACK (progress_on_progress), p);
  g_signal_connect (p->component, "completed", G_CALLBACK (progress_on_completed), p);

  for (guint i = 0; i < PROGRESS_N_OPS; i++)
    {
      p->ops[i] = eap_test_begin_op (p->component, "report", state_of (i));
      p->reporters_left[i] = PROGRESS_N_REPORTERS;
    }

  /* The first reporter learns who it is under the lock of this fixture:
   * it must not start before first_reporter is set. */
  g_mutex_lock (&p->start_lock);
  for (guint r = 0; r < PROGRESS_N_REPORTERS; r++)
    reporters[r] = g_thread_new ("reporter", reporter_thread, p);
  p->first_reporter = reporters[0];
  g_mutex_unlock (&p->start_lock);
  canceller = g_thread_new ("canceller", progress_canceller_thread, p);

  CU_ASSERT_TRUE (eap_test_wait_until (progress_all_completed, p, STRESS_TIMEOUT_MS));

  for (guint r = 0; r < PROGRESS_N_REPORTERS; r++)
    g_thread_join (reporters[r]);
  g_thread_join (canceller);
  eap_test_drain ();

  printf ("\n    %u completed (%u cancelled), %u progress emissions\n",
          p->n_completed, p->n_cancelled, p->n_progress);
  CU_ASSERT_EQUAL (p->n_completed, PROGRESS_N_OPS);
  CU_ASSERT_EQUAL (p->n_double, 0);
  CU_ASSERT_EQUAL (p->n_progress_after_completed, 0);
  CU_ASSERT_EQUAL (p->n_percentage_bad, 0);
  CU_ASSERT_EQUAL (p->n_wrong_context, 0);
  CU_ASSERT_TRUE (p->n_cancelled >= (PROGRESS_N_OPS + 2) / 3);   /* every third at least */
  CU_ASSERT_TRUE (p->n_progress > 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (p->component));

  for (guint i = 0; i < PROGRESS_N_OPS; i++)
    g_clear_object (&p->ops[i]);
  g_clear_object (&p->component);
  g_mutex_clear (&p->start_lock);
  eap_test_latch_clear (&p->half_way);
  g_free (p);
}

/* ------------------------------------------------------------------ */
/* 3. Closed or disposed with operations in flight                      */
/* ------------------------------------------------------------------ */

#define DISPOSE_N_STARTERS 4
#define DISPOSE_MAX_OPS    4000                 /* per starter, per component */
#define DISPOSE_INDEX      (DISPOSE_N_STARTERS * DISPOSE_MAX_OPS * 2)
#define DISPOSE_AFTER      2000                 /* accepted before the close */

typedef enum
{
  END_CLOSE,     /* eap_component_close(): handlers stay connected */
  END_DISPOSE,   /* g_object_run_dispose(): GObject destroys the handlers */
} EndHow;

typedef struct _Dispose Dispose;

typedef struct
{
  Dispose      *dispose;
  guint         index;
  GMainContext *context;     /* (owned) */
  GThread      *thread;
  guint         n_accepted;  /* written by the starter only */
  gint          n_waited;    /* atomic: wait_async callbacks in its context */
} DisposeStarter;

struct _Dispose
{
  EapComponent        *component;    /* (owned) */
  EapBackgroundWorker *worker;       /* (owned) */
  EndHow               how;
  gboolean             from_handler; /* else from a thread of its own */
  DisposeStarter       starters[DISPOSE_N_STARTERS];
  EapOperation       **held;         /* [DISPOSE_INDEX] (owned) until completed */
  gint                *n_emitted;    /* [DISPOSE_INDEX] atomic: completed emissions seen */
  gint                *n_waited;     /* [DISPOSE_INDEX] atomic: wait_async callbacks */
  gint                *accepted;     /* [DISPOSE_INDEX] atomic */
  gint                 n_accepted;
  gint                 n_refused_closed;
  gint                 n_refused_other;
  gint                 n_double;
  gint                 n_not_cancelled;
  gint                 n_wait_not_cancelled;
  gint                 n_accepted_after_close;
  gint                 ended;        /* atomic: both close/dispose calls returned */
  gint                 n_starters_finished;
  EapTestLatch         go;           /* DISPOSE_AFTER accepted */
  EapOperation        *trigger;      /* (owned): its handler ends both (from_handler) */
};

/* Index layout: starter, then component (0) or worker (1), then op. */
static inline gsize
dispose_index (guint starter,
               guint which,
               guint i)
{
  return ((gsize) starter * 2 + which) * DISPOSE_MAX_OPS + i;
}

static void
end_both (Dispose *d)
{
  if (d->how == END_CLOSE)
    {
      eap_component_close (d->component);
      eap_component_close (EAP_COMPONENT (d->worker));
    }
  else
    {
      /* What dropping the last reference would do, were the operations
       * not holding references of their own (R48). */
      g_object_run_dispose (G_OBJECT (d->component));
      g_object_run_dispose (G_OBJECT (d->worker));
    }
  g_atomic_int_set (&d->ended, 1);
  for (guint t = 0; t < DISPOSE_N_STARTERS; t++)
    g_main_context_wakeup (d->starters[t].context);
}

static gboolean
dispose_ended (gpointer data)
{
  Dispose *d = data;

  return g_atomic_int_get (&d->ended);
}

static void
dispose_on_completed (EapComponent     *component,
                      EapCompletedArgs *args,
                      gpointer          data)
{
  Dispose *d = data;
  gpointer user_state = eap_completed_args_get_user_state (args);
  gsize index;

  if (user_state == END_MARK)
    {
      /* The trigger: close or dispose both components from inside this
       * handler (R51), operations of every starter in flight. */
      if (d->from_handler)
        end_both (d);
      return;
    }

  if (user_state == NULL)
    return;          /* a late start that should have been refused: counted */

  index = index_of (user_state);
  g_assert (index < DISPOSE_INDEX);
  if (g_atomic_int_add (&d->n_emitted[index], 1) != 0)
    g_atomic_int_inc (&d->n_double);
  if (!eap_completed_args_get_cancelled (args))
    g_atomic_int_inc (&d->n_not_cancelled);        /* R49: all of them are */
}

typedef struct
{
  Dispose *dispose;
  gsize    index;
} DisposeWait;

/* eap_operation_wait_async()'s callback, after completed was emitted:
 * what still reports a completion once the handlers are gone. */
static void
dispose_waited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  DisposeWait *w = data;
  Dispose *d = w->dispose;
  g_autoptr(GError) error = NULL;
  g_autoptr(EapCompletedArgs) args = NULL;
  EapOperation *held;

  args = eap_operation_wait_finish (EAP_OPERATION (source), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_atomic_int_inc (&d->n_wait_not_cancelled);
  if (g_atomic_int_add (&d->n_waited[w->index], 1) != 0)
    g_atomic_int_inc (&d->n_double);
  held = g_atomic_pointer_exchange (&d->held[w->index], NULL);
  g_clear_object (&held);
  g_atomic_int_inc (&d->starters[w->index / (2 * DISPOSE_MAX_OPS)].n_waited);
  g_free (w);
}

static gboolean
dispose_work (EapDoWorkArgs  *args,
              gpointer        user_data,
              GError        **error)
{
  /* Runs until cancelled: by the close, at the latest. */
  if (!wait_cancelled (eap_do_work_args_get_cancellable (args), STRESS_TIMEOUT_MS))
    {
      g_auto(GValue) result = G_VALUE_INIT;

      g_value_init (&result, G_TYPE_BOOLEAN);
      eap_do_work_args_set_result (args, &result);   /* not cancelled: a failure */
    }
  return TRUE;
}

static gboolean
dispose_starter_caught_up (gpointer data)
{
  DisposeStarter *st = data;

  return (guint) g_atomic_int_get (&st->n_waited) >= st->n_accepted;
}

static gpointer
dispose_starter_thread (gpointer data)
{
  DisposeStarter *st = data;
  Dispose *d = st->dispose;
  gboolean component_closed = FALSE, worker_closed = FALSE;

  g_main_context_push_thread_default (st->context);

  for (guint i = 0; i < DISPOSE_MAX_OPS && !(component_closed && worker_closed); i++)
    {
      for (guint which = 0; which < 2; which++)
        {
          gsize index = dispose_index (st->index, which, i);
          g_autoptr(GError) error = NULL;
          gboolean ended_before = g_atomic_int_get (&d->ended);
          EapOperation *op = NULL;
          DisposeWait *w;

          if (which == 0 && !component_closed)
            {
              op = eap_component_begin_operation (d->component, "stress",
                                                  state_of (index), &error);
              if (op != NULL)
                eap_test_complete_when_cancelled (op);
            }
          else if (which == 1 && !worker_closed)
            {
              /* Not completed before this context runs: still findable. */
              if (eap_background_worker_run_worker_async (d->worker, NULL, state_of (index),
                                                          &error))
                op = eap_component_dup_operation (EAP_COMPONENT (d->worker),
                                                  state_of (index));
              g_assert (op != NULL || error != NULL);
            }
          else
            continue;

          if (op != NULL)
            {
              g_atomic_pointer_set (&d->held[index], op);
              w = g_new0 (DisposeWait, 1);
              w->dispose = d;
              w->index = index;
              eap_operation_wait_async (op, NULL, dispose_waited_cb, w);
              g_atomic_int_set (&d->accepted[index], 1);
              st->n_accepted++;
              if (ended_before)
                g_atomic_int_inc (&d->n_accepted_after_close);   /* R50 */
              if (g_atomic_int_add (&d->n_accepted, 1) + 1 == DISPOSE_AFTER)
                eap_test_latch_set (&d->go);
            }
          else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
            {
              g_atomic_int_inc (&d->n_refused_closed);
              if (which == 0)
                component_closed = TRUE;
              else
                worker_closed = TRUE;
            }
          else
            {
              g_printerr ("\n    refused: %s\n", error->message);
              g_atomic_int_inc (&d->n_refused_other);
              if (which == 0)
                component_closed = TRUE;
              else
                worker_closed = TRUE;
            }
        }

      while (g_main_context_iteration (st->context, FALSE))
        ;
    }

  /* Out of user states before the end came: wait for it, then a start
   * must be refused (R50). */
  if (!(component_closed && worker_closed))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) worker_error = NULL;
      g_autoptr(EapOperation) late = NULL;

      eap_test_iterate_until (st->context, dispose_ended, d, STRESS_TIMEOUT_MS);
      if (!component_closed)
        {
          late = eap_component_begin_operation (d->component, "late", NULL, &error);
          if (late != NULL)
            {
              g_atomic_int_inc (&d->n_accepted_after_close);
              eap_operation_complete (late, NULL);
            }
          else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
            g_atomic_int_inc (&d->n_refused_closed);
        }
      if (!worker_closed)
        {
          if (eap_background_worker_run_worker_async (d->worker, NULL, NULL, &worker_error))
            g_atomic_int_inc (&d->n_accepted_after_close);
          else if (g_error_matches (worker_error, G_IO_ERROR, G_IO_ERROR_CLOSED))
            g_atomic_int_inc (&d->n_refused_closed);
        }
    }

  eap_test_iterate_until (st->context, dispose_starter_caught_up, st, STRESS_TIMEOUT_MS);
  while (g_main_context_iteration (st->context, FALSE))
    ;

  g_main_context_pop_thread_default (st->context);
  g_atomic_int_inc (&d->n_starters_finished);
  eap_test_latch_set (&d->go);     /* wakes the fixture's context */

  return NULL;
}

static gpointer
ender_thread (gpointer data)
{
  Dispose *d = data;

  if (eap_test_latch_wait (&d->go, STRESS_TIMEOUT_MS))
    end_both (d);

  return NULL;
}

static gboolean
dispose_done (gpointer data)
{
  Dispose *d = data;

  return g_atomic_int_get (&d->n_starters_finished) == DISPOSE_N_STARTERS;
}

static gboolean
dispose_trigger_ready (gpointer data)
{
  Dispose *d = data;

  return eap_test_latch_is_set (&d->go);
}

static void
run_dispose_test (EndHow   how,
                  gboolean from_handler)
{
  Dispose *d = g_new0 (Dispose, 1);
  GThread *ender = NULL;
  GWeakRef worker_ref;
  guint n_finalized = eap_test_component_get_n_finalized ();
  guint n_missing = 0, n_extra = 0, n_not_emitted = 0;

  d->how = how;
  d->from_handler = from_handler;
  d->component = eap_test_component_new ();
  d->worker = eap_background_worker_new ();
  eap_background_worker_set_work_func (d->worker, dispose_work, NULL, NULL);
  g_weak_ref_init (&worker_ref, d->worker);
  g_signal_connect (d->component, "completed", G_CALLBACK (dispose_on_completed), d);
  g_signal_connect (d->worker, "completed", G_CALLBACK (dispose_on_completed), d);
  d->held = g_new0 (EapOperation *, DISPOSE_INDEX);
  d->n_emitted = g_new0 (gint, DISPOSE_INDEX);
  d->n_waited = g_new0 (gint, DISPOSE_INDEX);
  d->accepted = g_new0 (gint, DISPOSE_INDEX);
  eap_test_latch_init (&d->go);

  if (from_handler)
    d->trigger = eap_test_begin_op (d->component, "trigger", END_MARK);
  else
    ender = g_thread_new ("ender", ender_thread, d);

  for (guint t = 0; t < DISPOSE_N_STARTERS; t++)
    {
      DisposeStarter *st = &d->starters[t];

      st->dispose = d;
      st->index = t;
      st->context = g_main_context_new ();
      st->thread = g_thread_new ("starter", dispose_starter_thread, st);
    }

  if (from_handler)
    {
      /* Completed once DISPOSE_AFTER are accepted: its handler, in the
       * fixture's context, ends both while the starters go on. */
      CU_ASSERT_TRUE (eap_test_wait_until (dispose_trigger_ready, d, STRESS_TIMEOUT_MS));
      eap_operation_complete (d->trigger, NULL);
    }

  CU_ASSERT_TRUE (eap_test_wait_until (dispose_done, d, STRESS_TIMEOUT_MS));
  for (guint t = 0; t < DISPOSE_N_STARTERS; t++)
    g_thread_join (d->starters[t].thread);
  if (ender != NULL)
    g_thread_join (ender);
  eap_test_drain ();

  for (gsize i = 0; i < DISPOSE_INDEX; i++)
    {
      gint waited = g_atomic_int_get (&d->n_waited[i]);
      gint emitted = g_atomic_int_get (&d->n_emitted[i]);
      gboolean accepted = g_atomic_int_get (&d->accepted[i]);

      if (accepted && waited == 0)
        n_missing++;
      else if (waited > (accepted ? 1 : 0) || emitted > (accepted ? 1 : 0))
        n_extra++;                          /* none for a refused one */
      if (accepted && emitted == 0)
        n_not_emitted++;
      g_clear_object (&d->held[i]);
    }

  printf ("\n    %s %s: %d accepted, %d refused CLOSED, %d refused otherwise; "
          "missing %u, extra %u, no handler call %u, not cancelled %d/%d, "
          "accepted after close %d\n",
          how == END_CLOSE ? "close" : "dispose",
          from_handler ? "from a handler" : "from a thread",
          d->n_accepted, d->n_refused_closed, d->n_refused_other,
          n_missing, n_extra, n_not_emitted, d->n_not_cancelled, d->n_wait_not_cancelled,
          d->n_accepted_after_close);

  CU_ASSERT_TRUE (g_atomic_int_get (&d->ended));
  CU_ASSERT_TRUE (d->n_accepted >= DISPOSE_AFTER);
  CU_ASSERT_EQUAL (d->n_refused_closed, 2 * DISPOSE_N_STARTERS);   /* R50 */
  CU_ASSERT_EQUAL (d->n_refused_other, 0);
  CU_ASSERT_EQUAL (d->n_accepted_after_close, 0);                   /* R50 */
  CU_ASSERT_EQUAL (n_missing, 0);                                   /* R15, R49 */
  CU_ASSERT_EQUAL (n_extra, 0);
  CU_ASSERT_EQUAL (d->n_double, 0);
  CU_ASSERT_EQUAL (d->n_not_cancelled, 0);                          /* R49 */
  CU_ASSERT_EQUAL (d->n_wait_not_cancelled, 0);
  /* Closed, the handlers see every completion (R49). Disposed, GObject
   * has destroyed them: only the waits see those that were in flight. */
  if (how == END_CLOSE)
    CU_ASSERT_EQUAL (n_not_emitted, 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (d->component));
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (d->worker)));

  g_clear_object (&d->trigger);
  g_clear_object (&d->component);
  g_clear_object (&d->worker);
  CU_ASSERT_EQUAL (eap_test_component_get_n_finalized (), n_finalized + 1);   /* R48 */
  {
    g_autoptr(GObject) still = g_weak_ref_get (&worker_ref);

    CU_ASSERT_PTR_NULL (still);
  }
  g_weak_ref_clear (&worker_ref);

  for (guint t = 0; t < DISPOSE_N_STARTERS; t++)
    g_main_context_unref (d->starters[t].context);
  eap_test_latch_clear (&d->go);
  g_free (d->held);
  g_free (d->n_emitted);
  g_free (d->n_waited);
  g_free (d->accepted);
  g_free (d);
}

/* R49 R50 R51 R15: closed from a completed handler in one context while
 * four threads start operations in theirs. */
static void
test_close_from_handler (void)
{
  run_dispose_test (END_CLOSE, TRUE);
}

/* R49 R50 R15: closed from a thread of its own. */
static void
test_close_from_other_thread (void)
{
  run_dispose_test (END_CLOSE, FALSE);
}

/* R49 R50 R51: disposed from a completed handler. */
static void
test_dispose_from_handler (void)
{
  run_dispose_test (END_DISPOSE, TRUE);
}

/* R49 R50: disposed from a thread of its own. */
static void
test_dispose_from_other_thread (void)
{
  run_dispose_test (END_DISPOSE, FALSE);
}

/* ------------------------------------------------------------------ */
/* 4. EapTcpClient closed from another thread while it sends            */
/* ------------------------------------------------------------------ */

#define TCP_ROUNDS     20
#define TCP_MAX_SENDS  2000
#define TCP_CLOSE_AT   50     /* sends accepted before the other thread closes */

typedef struct
{
  int           listen_fd;
  guint16       port;
  GThread      *thread;
  gint64        n_received;   /* written by the thread before it ends */
} Sink;

static gpointer
sink_thread (gpointer data)
{
  Sink *sink = data;
  guint8 buf[65536];
  struct timeval tv = { 20, 0 };
  int fd = accept (sink->listen_fd, NULL, NULL);

  if (fd < 0)
    return NULL;
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      sink->n_received += n;
    }
  close (fd);

  return NULL;
}

typedef struct
{
  EapTcpClient *client;
  EapTestLatch  go;
  EapTestLatch  closed;
  gint          n_completed[TCP_MAX_SENDS];
  guint         n_accepted;
  guint         n_delivered;
  guint         n_double;
  guint         n_disconnected;
  gboolean      connected;
  gboolean      connect_failed;
} TcpRound;

static void
tcp_on_completed (EapComponent     *component,
                  EapCompletedArgs *args,
                  gpointer          data)
{
  TcpRound *r = data;
  const char *name = eap_completed_args_get_operation_name (args);
  gsize index;

  if (g_strcmp0 (name, "connect") == 0)
    {
      r->connected = eap_completed_args_get_error (args) == NULL;
      r->connect_failed = !r->connected;
      return;
    }

  index = index_of (eap_completed_args_get_user_state (args));
  g_assert (index < TCP_MAX_SENDS);
  if (r->n_completed[index]++ != 0)
    r->n_double++;
  r->n_delivered++;
}

static void
tcp_on_disconnected (EapTcpClient *client,
                     const GError *error,
                     gpointer      data)
{
  TcpRound *r = data;

  r->n_disconnected++;
}

static gpointer
tcp_closer_thread (gpointer data)
{
  TcpRound *r = data;

  if (eap_test_latch_wait (&r->go, STRESS_TIMEOUT_MS))
    eap_component_close (EAP_COMPONENT (r->client));
  eap_test_latch_set (&r->closed);

  return NULL;
}

static gboolean
tcp_connect_done (gpointer data)
{
  TcpRound *r = data;

  return r->connected || r->connect_failed;
}

static gboolean
tcp_round_done (gpointer data)
{
  TcpRound *r = data;

  return r->n_delivered >= r->n_accepted && r->n_disconnected > 0 &&
         !eap_component_get_is_busy (EAP_COMPONENT (r->client));
}

/* R15 R25 R49 R50: sends and cancels by user_state from the client's
 * context while eap_component_close() comes from another thread; twenty
 * rounds, so the close lands at different points. */
static void
test_tcp_close_from_other_thread (void)
{
  g_autoptr(GBytes) chunk = NULL;
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  guint total_accepted = 0, total_refused = 0;
  int fd;

  fd = socket (AF_INET, SOCK_STREAM, 0);
  CU_ASSERT_FATAL (fd >= 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  CU_ASSERT_FATAL (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
  CU_ASSERT_FATAL (listen (fd, 4) == 0);
  CU_ASSERT_FATAL (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);

  {
    guint8 *data = g_malloc (4096);

    memset (data, 'x', 4096);
    chunk = g_bytes_new_take (data, 4096);
  }

  for (guint round = 0; round < TCP_ROUNDS; round++)
    {
      TcpRound *r = g_new0 (TcpRound, 1);
      Sink sink = { fd, ntohs (addr.sin_port), NULL, 0 };
      GThread *closer;
      g_autoptr(GError) error = NULL;
      gboolean refused = FALSE;

      eap_test_latch_init (&r->go);
      eap_test_latch_init (&r->closed);
      r->client = eap_tcp_client_new ();
      g_signal_connect (r->client, "completed", G_CALLBACK (tcp_on_completed), r);
      g_signal_connect (r->client, "disconnected", G_CALLBACK (tcp_on_disconnected), r);
      sink.thread = g_thread_new ("sink", sink_thread, &sink);

      CU_ASSERT_TRUE_FATAL (eap_tcp_client_connect_async (r->client, "127.0.0.1", sink.port,
                                                          NULL, &error));
      CU_ASSERT_TRUE (eap_test_wait_until (tcp_connect_done, r, EAP_TEST_TIMEOUT_MS));
      CU_ASSERT_TRUE_FATAL (r->connected);

      closer = g_thread_new ("closer", tcp_closer_thread, r);

      /* Close lands after 50 + round accepted sends, give or take what
       * the other thread's timing adds. */
      for (guint i = 0; i < TCP_MAX_SENDS - 1 && !refused; i++)
        {
          if (eap_tcp_client_send_async (r->client, chunk, state_of (i), &error))
            {
              r->n_accepted++;
              if (i % 3 == 2)
                eap_component_cancel_async (EAP_COMPONENT (r->client), state_of (i - 1));
              if (r->n_accepted == TCP_CLOSE_AT + round)
                eap_test_latch_set (&r->go);
            }
          else
            {
              /* Once closed (R50); nothing is emitted for it. */
              CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
              g_clear_error (&error);
              refused = TRUE;
            }
          while (g_main_context_iteration (eap_test_fixture ()->context, FALSE))
            ;
        }

      CU_ASSERT_TRUE (eap_test_latch_wait (&r->closed, STRESS_TIMEOUT_MS));
      if (!refused)
        {
          /* The other thread was slow to run: it has closed by now. */
          CU_ASSERT_FALSE (eap_tcp_client_send_async (r->client, chunk,
                                                      state_of (TCP_MAX_SENDS - 1), &error));
          CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
          g_clear_error (&error);
          refused = TRUE;
        }
      CU_ASSERT_TRUE (eap_test_wait_until (tcp_round_done, r, STRESS_TIMEOUT_MS));
      g_thread_join (closer);

      CU_ASSERT_EQUAL (r->n_delivered, r->n_accepted);      /* R15 */
      CU_ASSERT_EQUAL (r->n_double, 0);
      CU_ASSERT_EQUAL (r->n_disconnected, 1);
      for (guint i = 0; i < TCP_MAX_SENDS; i++)
        if (r->n_completed[i] != (i < r->n_accepted ? 1 : 0))
          {
            CU_FAIL ("a send completed other than once");
            break;
          }

      total_accepted += r->n_accepted;
      total_refused += refused;
      g_clear_object (&r->client);
      g_thread_join (sink.thread);        /* the sink saw the end of the stream */
      eap_test_drain ();
      eap_test_latch_clear (&r->go);
      eap_test_latch_clear (&r->closed);
      g_free (r);
    }

  printf ("\n    %u sends accepted in %u rounds, %u refused after close\n",
          total_accepted, TCP_ROUNDS, total_refused);
  close (fd);
}

static CU_TestInfo stress_tests[] = {
  { "R15 R16 R25 R38 R39 R45 8 threads x 10000 ops: start, cancel, complete, exactly once",
    test_many_threads_start_cancel_complete },
  { "R17 R18 R32 progress from 4 threads per op while another thread cancels",
    test_progress_from_many_threads_while_cancelling },
  { "R49 R50 R51 closed from a completed handler, ops of 4 threads in flight",
    test_close_from_handler },
  { "R49 R50 closed from another thread, ops of 4 threads in flight",
    test_close_from_other_thread },
  { "R49 R50 R51 disposed from a completed handler, ops of 4 threads in flight",
    test_dispose_from_handler },
  { "R49 R50 disposed from another thread, ops of 4 threads in flight",
    test_dispose_from_other_thread },
  { "R15 R49 R50 EapTcpClient closed from another thread while it sends and cancels",
    test_tcp_close_from_other_thread },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    { "Stress", NULL, NULL, eap_test_setup, eap_test_teardown, stress_tests },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();

  /* Classes made before any thread starts. GType publishes a new class
   * with atomics inside GObject, which ThreadSanitizer does not see: the
   * first instance made in a second thread would look like a race with
   * the class_init of the first (the TSan pass, tests/tsan.supp). */
  {
    GType types[] = {
      EAP_TYPE_COMPLETED_ARGS, EAP_TYPE_PROGRESS_ARGS, EAP_TYPE_OPERATION,
      EAP_TYPE_RUN_WORKER_COMPLETED_ARGS, EAP_TYPE_DO_WORK_ARGS,
      EAP_TYPE_BACKGROUND_WORKER, EAP_TYPE_TCP_CLIENT, EAP_TEST_TYPE_COMPONENT,
      G_TYPE_CANCELLABLE,
    };

    for (guint i = 0; i < G_N_ELEMENTS (types); i++)
      g_type_class_unref (g_type_class_ref (types[i]));
  }

  return eap_test_main (argc, argv, suites);
}
