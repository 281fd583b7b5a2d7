/* test-component.c: EapComponent, the contract every component keeps
 *
 * The test plays a component (an EapTestComponent whose operations it
 * begins and completes by hand, from this thread or from others) and its
 * user (handlers, cancel, close, unref) at once. Like any well-written
 * component, it completes an operation when its cancellable is cancelled
 * (eap_test_complete_when_cancelled()).
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eap-test.h"

#define STRESS_TIMEOUT_MS 60000

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */


static gboolean
component_idle (gpointer data)
{
  return !eap_component_get_is_busy (data);
}

/* Iterates the fixture's context until the component has no operation in
 * flight: the last completed has then been emitted (it is emitted in the
 * same dispatch that removes the operation). */
static gboolean
wait_idle (EapComponent *component)
{
  gboolean ret = eap_test_wait_until (component_idle, component, EAP_TEST_TIMEOUT_MS);

  eap_test_drain ();
  return ret;
}

typedef struct
{
  guint *counter;
  guint  n;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *w = data;

  return (guint) g_atomic_int_get ((gint *) w->counter) >= w->n;
}

/* Iterates the fixture's context until *@counter >= @n. */
static gboolean
wait_count (guint *counter,
            guint  n)
{
  CountWait w = { counter, n };

  return eap_test_wait_until (count_reached, &w, EAP_TEST_TIMEOUT_MS);
}

static gboolean
pointer_set_cond (gpointer data)
{
  return g_atomic_pointer_get ((gpointer *) data) != NULL;
}

static void
count_calls (gpointer  instance,
             gpointer  arg,
             guint    *n_calls)
{
  (*n_calls)++;
}

typedef EapTestWaitAsync WaitAsync;


/* Asserts that @recorder saw exactly one completion for @user_state and
 * returns its args. */
static EapCompletedArgs *
completed_for (EapTestRecorder *recorder,
               gpointer         user_state)
{
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, user_state), 1);

  for (guint i = 0; eap_test_recorder_get_completed (recorder, i) != NULL; i++)
    {
      EapCompletedArgs *args = eap_test_recorder_get_completed (recorder, i);

      if (eap_completed_args_get_user_state (args) == user_state)
        return args;
    }

  return NULL;
}

static void
assert_cancelled (EapCompletedArgs *args)
{
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
}

static void
assert_success (EapCompletedArgs *args)
{
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
}

static void
assert_all_in_context (EapTestRecorder *recorder)
{
  GThread *self = g_thread_self ();

  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent, i);

      CU_ASSERT_TRUE (event->in_context);
      CU_ASSERT_PTR_EQUAL (event->thread, self);
    }
}

/* ------------------------------------------------------------------ */
/* R62: the harness                                                     */
/* ------------------------------------------------------------------ */

static int
run_in_child (void (*func) (void))
{
  pid_t pid;
  int status = 0;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid == 0)
    {
      func ();
      _exit (0);                /* survived: not fatal */
    }
  CU_ASSERT_TRUE_FATAL (pid > 0);
  CU_ASSERT_EQUAL (waitpid (pid, &status, 0), pid);

  return status;
}

static void
log_unexpected_critical (void)
{
  g_critical ("an unexpected critical, in a child process: this must abort it");
}

static void
log_unexpected_warning (void)
{
  g_warning ("an unexpected warning, in a child process: this must abort it");
}

static void
test_fatal_criticals (void)   /* R62 */
{
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  int status;

  g_log_set_always_fatal (fatal);
  CU_ASSERT_TRUE (fatal & G_LOG_LEVEL_CRITICAL);
  CU_ASSERT_TRUE (fatal & G_LOG_LEVEL_WARNING);

  /* Unexpected ones kill the process. */
  status = run_in_child (log_unexpected_critical);
  CU_ASSERT_TRUE (WIFSIGNALED (status));
  status = run_in_child (log_unexpected_warning);
  CU_ASSERT_TRUE (WIFSIGNALED (status));

  /* Armed ones are counted instead; g_return_if_fail() is a critical. */
  EAP_TEST_EXPECT_CRITICAL (g_critical ("an expected critical"));
  EAP_TEST_EXPECT_CRITICAL (eap_component_cancel_all (NULL));
  EAP_TEST_EXPECT_WARNING (g_warning ("an expected warning"));
  CU_ASSERT_EQUAL (eap_test_fixture ()->n_criticals_seen, 2);
  CU_ASSERT_EQUAL (eap_test_fixture ()->n_warnings_seen, 1);
}

/* ------------------------------------------------------------------ */
/* API shape, usage errors                                              */
/* ------------------------------------------------------------------ */

static void
test_cancel_entry_points (void)   /* R5 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *ops[4];
  int tokens[4];

  for (guint i = 0; i < 4; i++)
    {
      ops[i] = eap_test_begin_op (component, "cancellable", &tokens[i]);
      if (i < 3)
        eap_test_complete_when_cancelled (ops[i]);
    }

  eap_component_cancel_async (component, &tokens[0]);
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[0])));
  CU_ASSERT_FALSE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[1])));

  eap_operation_cancel (ops[1]);
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[1])));
  CU_ASSERT_FALSE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[2])));

  /* ops[3] is a worker that checks for cancellation itself. */
  eap_component_cancel_all (component);
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[2])));
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[3])));
  CU_ASSERT_TRUE (eap_operation_return_error_if_cancelled (ops[3]));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 4, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  for (guint i = 0; i < 4; i++)
    {
      assert_cancelled (completed_for (recorder, &tokens[i]));
      g_object_unref (ops[i]);
    }

  eap_test_recorder_free (recorder);
}

static void
test_is_busy (void)   /* R7 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (component), "is-busy");
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(EapOperation) a = NULL;
  g_autoptr(EapOperation) b = NULL;
  gboolean busy = TRUE;

  CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
  CU_ASSERT_EQUAL (pspec->value_type, G_TYPE_BOOLEAN);
  CU_ASSERT_TRUE (pspec->flags & G_PARAM_READABLE);
  CU_ASSERT_FALSE (pspec->flags & G_PARAM_WRITABLE);

  g_object_get (component, "is-busy", &busy, NULL);
  CU_ASSERT_FALSE (busy);

  a = eap_test_begin_op (component, "job", NULL);
  g_object_get (component, "is-busy", &busy, NULL);
  CU_ASSERT_TRUE (busy);                                    /* before _async returns */
  b = eap_test_begin_op (component, "job", NULL);
  CU_ASSERT_EQUAL (eap_component_get_n_operations (component), 2);

  eap_operation_complete (a, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_TRUE (eap_component_get_is_busy (component));   /* b still runs */

  eap_operation_complete (b, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  /* Notified on each change, and only then: TRUE once, FALSE once. */
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_BUSY_CHANGED, NULL), 2);
  {
    EapTestEvent *first = &g_array_index (recorder->events, EapTestEvent, 0);
    EapTestEvent *last = &g_array_index (recorder->events, EapTestEvent, recorder->events->len - 2);

    CU_ASSERT_EQUAL (first->kind, EAP_TEST_EVENT_BUSY_CHANGED);
    CU_ASSERT_TRUE (first->busy);
    CU_ASSERT_EQUAL (last->kind, EAP_TEST_EVENT_BUSY_CHANGED);
    CU_ASSERT_FALSE (last->busy);
  }
  assert_all_in_context (recorder);

  eap_test_recorder_free (recorder);
}

static void
test_rejected_calls (void)   /* R9 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapComponent) closed = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapTestRecorder *closed_recorder = eap_test_recorder_new (closed, NULL);
  g_autoptr(GError) error = NULL;
  EapOperation *op = NULL;
  int token;

  /* Programmer errors: a critical and NULL, at once. */
  EAP_TEST_EXPECT_CRITICAL (op = eap_component_begin_operation (NULL, "x", &token, &error));
  CU_ASSERT_PTR_NULL (op);
  EAP_TEST_EXPECT_CRITICAL (op = eap_component_begin_operation (component, NULL, &token, &error));
  CU_ASSERT_PTR_NULL (op);
  EAP_TEST_EXPECT_CRITICAL (eap_operation_report_progress (NULL, 1, 2));
  EAP_TEST_EXPECT_CRITICAL (eap_operation_complete (NULL, NULL));
  EAP_TEST_EXPECT_CRITICAL (eap_component_cancel_async (NULL, &token));

  /* A disposed-of (closed) object: a GError, synchronously. */
  eap_component_close (closed);
  op = eap_component_begin_operation (closed, "x", &token, &error);
  CU_ASSERT_PTR_NULL (op);
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  CU_ASSERT_PTR_NOT_NULL (error ? error->message : NULL);

  /* Nothing was ever emitted for any of them. */
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->events->len, 0);
  CU_ASSERT_EQUAL (closed_recorder->events->len, 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  eap_test_recorder_free (recorder);
  eap_test_recorder_free (closed_recorder);
}

static void
test_duplicate_user_state (void)   /* R11 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(EapOperation) first = NULL;
  g_autoptr(EapOperation) anon1 = NULL;
  g_autoptr(EapOperation) anon2 = NULL;
  g_autoptr(EapOperation) found = NULL;
  g_autoptr(EapOperation) again = NULL;
  g_autoptr(GError) error = NULL;
  EapOperation *dup;
  int token;

  first = eap_test_begin_op (component, "job", &token);

  dup = eap_component_begin_operation (component, "other-job", &token, &error);
  CU_ASSERT_PTR_NULL (dup);
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);

  /* Nothing started; the running op is untouched. */
  CU_ASSERT_EQUAL (eap_component_get_n_operations (component), 1);
  found = eap_component_dup_operation (component, &token);
  CU_ASSERT_PTR_EQUAL (found, first);
  CU_ASSERT_FALSE (g_cancellable_is_cancelled (eap_operation_get_cancellable (first)));

  /* NULL never collides. */
  anon1 = eap_test_begin_op (component, "job", NULL);
  anon2 = eap_test_begin_op (component, "job", NULL);
  CU_ASSERT_EQUAL (eap_component_get_n_operations (component), 3);

  eap_operation_complete (first, NULL);
  eap_operation_complete (anon1, NULL);
  eap_operation_complete (anon2, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 3, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 3);
  assert_success (completed_for (recorder, &token));
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, NULL), 2);

  /* Finished, the user state is free again. */
  again = eap_test_begin_op (component, "job", &token);
  eap_operation_complete (again, NULL);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 4, EAP_TEST_TIMEOUT_MS));

  eap_test_recorder_free (recorder);
}

static void
test_dup_operation (void)   /* R8 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(EapOperation) found = NULL;
  int token, unknown;

  op = eap_test_begin_op (component, "poll", &token);
  found = eap_component_dup_operation (component, &token);
  CU_ASSERT_PTR_EQUAL (found, op);
  CU_ASSERT_PTR_NULL (eap_component_dup_operation (component, &unknown));
  CU_ASSERT_PTR_NULL (eap_component_dup_operation (component, NULL));

  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_PTR_NULL (eap_component_dup_operation (component, &token));

  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* Exactly once                                                         */
/* ------------------------------------------------------------------ */

static void
test_exactly_once_every_path (void)   /* R15 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapComponent) closing = eap_test_component_new ();
  EapComponent *disposing = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapTestRecorder *closing_recorder = eap_test_recorder_new (closing, NULL);
  enum { SUCCESS, ERROR, TIMEOUT, CANCEL_ASYNC, CANCEL_OP, CANCEL_ALL, N_PATHS };
  EapOperation *ops[N_PATHS];
  int tokens[N_PATHS];
  EapOperation *closed_op, *disposed_op;
  WaitAsync disposed_wait = { 0, };
  int closed_token, disposed_token;

  for (guint i = 0; i < N_PATHS; i++)
    {
      ops[i] = eap_test_begin_op (component, "path", &tokens[i]);
      eap_test_complete_when_cancelled (ops[i]);
    }
  closed_op = eap_test_begin_op (closing, "path", &closed_token);
  eap_test_complete_when_cancelled (closed_op);
  disposed_op = eap_test_begin_op (disposing, "path", &disposed_token);
  eap_test_complete_when_cancelled (disposed_op);
  eap_operation_wait_async (disposed_op, NULL, eap_test_wait_async_cb, &disposed_wait);

  eap_operation_complete (ops[SUCCESS], NULL);
  eap_operation_complete_error (ops[ERROR], eap_test_new_error ());
  eap_operation_set_timeout (ops[TIMEOUT], 10);
  eap_component_cancel_async (component, &tokens[CANCEL_ASYNC]);
  eap_operation_cancel (ops[CANCEL_OP]);
  eap_component_close (closing);
  g_object_run_dispose (G_OBJECT (disposing));

  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, N_PATHS - 1, EAP_TEST_TIMEOUT_MS));
  eap_component_cancel_all (component);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, N_PATHS, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (closing_recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_test_wait_until (eap_test_wait_async_called, &disposed_wait, EAP_TEST_TIMEOUT_MS));

  /* Let anything late show up, then count. */
  eap_component_cancel_all (component);
  eap_component_cancel_all (closing);
  eap_test_drain ();

  CU_ASSERT_EQUAL (recorder->n_completed, N_PATHS);
  for (guint i = 0; i < N_PATHS; i++)
    CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, &tokens[i]), 1);
  assert_success (completed_for (recorder, &tokens[SUCCESS]));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (completed_for (recorder, &tokens[ERROR])),
                                   G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (completed_for (recorder, &tokens[TIMEOUT])),
                                   G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  assert_cancelled (completed_for (recorder, &tokens[CANCEL_ASYNC]));
  assert_cancelled (completed_for (recorder, &tokens[CANCEL_OP]));
  assert_cancelled (completed_for (recorder, &tokens[CANCEL_ALL]));
  CU_ASSERT_EQUAL (closing_recorder->n_completed, 1);
  assert_cancelled (completed_for (closing_recorder, &closed_token));
  CU_ASSERT_EQUAL (disposed_wait.n_calls, 1);
  CU_ASSERT_TRUE (g_error_matches (disposed_wait.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));

  for (guint i = 0; i < N_PATHS; i++)
    g_object_unref (ops[i]);
  g_object_unref (closed_op);
  g_object_unref (disposed_op);
  g_object_unref (disposing);
  eap_test_wait_async_clear (&disposed_wait);
  eap_test_recorder_free (recorder);
  eap_test_recorder_free (closing_recorder);
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  EapComponent *component;
  EapTestLatch  done;
} CancelThread;

static gpointer
cancel_unknown_thread (gpointer data)
{
  CancelThread *ct = data;
  int unknown;

  for (guint i = 0; i < 1000; i++)
    {
      eap_component_cancel_async (ct->component, &unknown);
      eap_component_cancel_async (ct->component, NULL);
    }
  eap_component_cancel_all (ct->component);
  eap_test_latch_set (&ct->done);

  return NULL;
}

static void
test_cancel_no_ops (void)   /* R25 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(EapOperation) op = NULL;
  CancelThread *ct = g_new0 (CancelThread, 1);   /* threads never see the stack */
  GThread *thread;
  int token, unknown;

  /* Idle component: every cancel is a quiet no-op. */
  eap_component_cancel_async (component, &unknown);
  eap_component_cancel_async (component, NULL);
  eap_component_cancel_all (component);

  /* From another thread too, while an op runs. */
  op = eap_test_begin_op (component, "job", &token);
  eap_test_complete_when_cancelled (op);
  ct->component = component;
  eap_test_latch_init (&ct->done);
  thread = g_thread_new ("canceller", cancel_unknown_thread, ct);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&ct->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  eap_test_latch_clear (&ct->done);

  /* cancel_all from the thread cancelled the op; it completes once. */
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  assert_cancelled (completed_for (recorder, &token));

  /* Finished: cancelling it again changes nothing. */
  eap_component_cancel_async (component, &token);
  eap_operation_cancel (op);
  eap_component_cancel_all (component);
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 1);

  eap_test_recorder_free (recorder);
  g_free (ct);
}

typedef struct
{
  EapComponent    *component;
  EapTestRecorder *recorder;
  gpointer         victim;
  guint            n_victim_at_return;
  guint            n_total_at_return;
  gboolean         done;
} CancelInHandler;

static void
cancel_in_completed (EapComponent     *component,
                     EapCompletedArgs *args,
                     CancelInHandler  *cih)
{
  if (cih->done)
    return;
  cih->done = TRUE;
  eap_component_cancel_async (component, cih->victim);
  cih->n_victim_at_return = eap_test_recorder_count (cih->recorder, EAP_TEST_EVENT_COMPLETED,
                                                     cih->victim);
}

static void
test_cancel_in_handler (void)   /* R26 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  CancelInHandler cih = { component, recorder, };
  EapOperation *trigger, *victim, *more[3];
  int trigger_token, victim_token, more_tokens[3];

  /* Cancel from inside a completed handler: the victim's component
   * completes it at once, inside the cancel; still nothing is emitted
   * before cancel returns. */
  trigger = eap_test_begin_op (component, "trigger", &trigger_token);
  victim = eap_test_begin_op (component, "victim", &victim_token);
  eap_test_complete_when_cancelled (victim);
  cih.victim = &victim_token;
  g_signal_connect (component, "completed::trigger", G_CALLBACK (cancel_in_completed), &cih);

  eap_operation_complete (trigger, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (cih.done);
  CU_ASSERT_EQUAL (cih.n_victim_at_return, 0);
  assert_cancelled (completed_for (recorder, &victim_token));

  /* The same at the top level, with cancel_all. */
  for (guint i = 0; i < 3; i++)
    {
      more[i] = eap_test_begin_op (component, "more", &more_tokens[i]);
      eap_test_complete_when_cancelled (more[i]);
    }
  eap_component_cancel_all (component);
  CU_ASSERT_EQUAL (recorder->n_completed, 2);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 5, EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < 3; i++)
    {
      assert_cancelled (completed_for (recorder, &more_tokens[i]));
      g_object_unref (more[i]);
    }

  g_signal_handlers_disconnect_by_data (component, &cih);
  g_object_unref (trigger);
  g_object_unref (victim);
  eap_test_recorder_free (recorder);
}

static void
test_cancel_one_of_many (void)   /* R29 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *ops[3];
  int tokens[3];

  for (guint i = 0; i < 3; i++)
    {
      ops[i] = eap_test_begin_op (component, "download", &tokens[i]);
      eap_test_complete_when_cancelled (ops[i]);
    }

  eap_component_cancel_async (component, &tokens[1]);
  CU_ASSERT_FALSE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[0])));
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[1])));
  CU_ASSERT_FALSE (g_cancellable_is_cancelled (eap_operation_get_cancellable (ops[2])));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_component_get_is_busy (component));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (component), 2);

  eap_operation_complete (ops[0], NULL);
  eap_operation_complete (ops[2], NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 3, EAP_TEST_TIMEOUT_MS));
  assert_success (completed_for (recorder, &tokens[0]));
  assert_cancelled (completed_for (recorder, &tokens[1]));
  assert_success (completed_for (recorder, &tokens[2]));

  for (guint i = 0; i < 3; i++)
    g_object_unref (ops[i]);
  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* Thread and context affinity                                          */
/* ------------------------------------------------------------------ */

/* A thread that pushes a context of its own, starts an operation there
 * and iterates that context until the operation's completed arrives. */
typedef struct
{
  EapComponent *component;   /* (unowned) */
  int           token;
  GMainContext *context;     /* (owned): made before the thread starts */
  GThread      *thread;
  EapOperation *op;          /* (owned) */
  EapTestLatch  began;
  EapTestLatch  finished;
  gboolean      began_ok;
  gboolean      waited;
  gint          n_completed; /* atomic */
  gint          n_progress;  /* atomic */
  gint          n_busy;      /* atomic */
} Affine;

typedef struct
{
  Affine *affine[2];
  guint   n;
  gint    n_wrong;           /* atomic: an emission outside its op's context */
} AffineSet;

static Affine *
affine_for (AffineSet *set,
            gpointer   user_state)
{
  for (guint i = 0; i < set->n; i++)
    if (&set->affine[i]->token == user_state)
      return set->affine[i];
  return NULL;
}

static void
affine_check (AffineSet *set,
              Affine    *a)
{
  if (a == NULL || !g_main_context_is_owner (a->context) || g_thread_self () != a->thread)
    g_atomic_int_inc (&set->n_wrong);
}

static void
affine_on_completed (EapComponent     *component,
                     EapCompletedArgs *args,
                     AffineSet        *set)
{
  Affine *a = affine_for (set, eap_completed_args_get_user_state (args));

  affine_check (set, a);
  if (a != NULL)
    g_atomic_int_inc (&a->n_completed);
}

static void
affine_on_progress (EapComponent    *component,
                    EapProgressArgs *args,
                    AffineSet       *set)
{
  Affine *a = affine_for (set, eap_progress_args_get_user_state (args));

  affine_check (set, a);
  if (a != NULL)
    g_atomic_int_inc (&a->n_progress);
}

static void
affine_on_busy (EapComponent *component,
                GParamSpec   *pspec,
                AffineSet    *set)
{
  Affine *owner = NULL;

  /* is-busy belongs to no single op: it must be in one of theirs. */
  for (guint i = 0; i < set->n; i++)
    if (g_main_context_is_owner (set->affine[i]->context))
      owner = set->affine[i];
  if (owner == NULL)
    g_atomic_int_inc (&set->n_wrong);
  else
    g_atomic_int_inc (&owner->n_busy);
}

static gboolean
affine_completed (gpointer data)
{
  return g_atomic_int_get (&((Affine *) data)->n_completed) > 0;
}

static gpointer
affine_thread (gpointer data)
{
  Affine *a = data;
  GMainContext *context = a->context;

  g_main_context_push_thread_default (context);
  a->thread = g_thread_self ();

  a->op = eap_component_begin_operation (a->component, "affine", &a->token, NULL);
  a->began_ok = a->op != NULL;
  if (a->op != NULL)
    eap_operation_report_progress (a->op, 1, 4);   /* from the starting thread */
  eap_test_latch_set (&a->began);

  if (a->began_ok)
    a->waited = eap_test_iterate_until (context, affine_completed, a, EAP_TEST_TIMEOUT_MS);
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;

  g_main_context_pop_thread_default (context);
  eap_test_latch_set (&a->finished);

  return NULL;
}

static void
run_affine_threads (guint n)   /* R38, R39, R46 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  /* On the heap: a thread never sees this stack frame. */
  Affine *affine = g_new0 (Affine, 2);
  AffineSet *set = g_new0 (AffineSet, 1);
  GThread *threads[2];

  set->affine[0] = &affine[0];
  set->affine[1] = &affine[1];
  set->n = n;

  eap_component_set_progress_interval (component, 0);
  g_signal_connect (component, "completed", G_CALLBACK (affine_on_completed), set);
  g_signal_connect (component, "progress-changed", G_CALLBACK (affine_on_progress), set);
  g_signal_connect (component, "notify::is-busy", G_CALLBACK (affine_on_busy), set);

  for (guint i = 0; i < n; i++)
    {
      affine[i].component = component;
      affine[i].context = g_main_context_new ();
      eap_test_latch_init (&affine[i].began);
      eap_test_latch_init (&affine[i].finished);
    }
  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("affine", affine_thread, &affine[i]);
  for (guint i = 0; i < n; i++)
    {
      CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&affine[i].began, EAP_TEST_TIMEOUT_MS));
      CU_ASSERT_TRUE_FATAL (affine[i].began_ok);
    }

  /* This thread plays the worker: it reports and completes both. */
  for (guint i = 0; i < n; i++)
    {
      eap_operation_report_progress (affine[i].op, 3, 4);
      eap_operation_report_progress (affine[i].op, 4, 4);
      eap_operation_complete (affine[i].op, NULL);
    }

  /* All threads are gone before any of their contexts is. */
  for (guint i = 0; i < n; i++)
    CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&affine[i].finished, 2 * EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < n; i++)
    {
      eap_test_latch_clear (&affine[i].began);
      eap_test_latch_clear (&affine[i].finished);

      CU_ASSERT_TRUE (affine[i].waited);
      CU_ASSERT_EQUAL (affine[i].n_completed, 1);
      CU_ASSERT_TRUE (affine[i].n_progress >= 1);
      g_clear_object (&affine[i].op);
      g_main_context_unref (affine[i].context);
    }

  /* Each emission ran in the thread, and the context, that started its
   * op; is-busy too (TRUE once and FALSE once, in some op's context). */
  CU_ASSERT_EQUAL (set->n_wrong, 0);
  CU_ASSERT_EQUAL (affine[0].n_busy + (n > 1 ? affine[1].n_busy : 0), 2);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  g_signal_handlers_disconnect_by_data (component, set);
  g_free (affine);
  g_free (set);
}

static void
test_context_of_starting_thread (void)   /* R38, R46 */
{
  run_affine_threads (1);
}

static void
test_context_per_op (void)   /* R39 */
{
  run_affine_threads (2);
}

typedef struct
{
  EapTestRecorder *recorder;
  gint             n_calls;
  gint             n_bad_depth;
} DepthCheck;

static void
depth_on_completed (EapComponent     *component,
                    EapCompletedArgs *args,
                    DepthCheck       *dc)
{
  dc->n_calls++;
  if (g_main_depth () != 1)   /* dispatched by our own iteration, not a nested loop */
    dc->n_bad_depth++;
}

static void
test_no_default_context (void)   /* R40 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  GMainContext *global = g_main_context_default ();
  DepthCheck dc = { recorder, };

  /* Nothing pending there before: the test's own baseline. */
  while (g_main_context_iteration (global, FALSE))
    ;

  eap_component_set_progress_interval (component, 0);
  g_signal_connect (component, "completed", G_CALLBACK (depth_on_completed), &dc);

  op = eap_test_begin_op (component, "local", NULL);
  CU_ASSERT_PTR_EQUAL (eap_operation_get_context (op), eap_test_fixture ()->context);
  CU_ASSERT_PTR_NOT_EQUAL (eap_operation_get_context (op), global);
  eap_operation_report_progress (op, 1, 2);
  eap_operation_set_timeout (op, 60000);
  eap_operation_complete (op, NULL);

  /* Only the captured context is iterated, and that suffices. */
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_FALSE (g_main_context_pending (global));
  CU_ASSERT_EQUAL (dc.n_calls, 1);
  CU_ASSERT_EQUAL (dc.n_bad_depth, 0);
  assert_all_in_context (recorder);

  g_signal_handlers_disconnect_by_data (component, &dc);
  eap_test_recorder_free (recorder);
}

typedef struct
{
  EapOperation *op;
  EapTestLatch  done;
  gboolean      with_error;
} Worker;

static gpointer
worker_report_complete (gpointer data)
{
  Worker *w = data;

  for (guint i = 1; i <= 1000; i++)
    eap_operation_report_progress (w->op, i, 1000);
  if (w->with_error)
    eap_operation_complete_error (w->op, eap_test_new_error ());
  else
    eap_operation_complete (w->op, NULL);
  eap_test_latch_set (&w->done);

  return NULL;
}

static void
test_workers_never_emit (void)   /* R41, R42 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  Worker *w = g_new0 (Worker, 1);   /* threads never see the stack */
  GThread *thread;

  eap_component_set_progress_interval (component, 0);
  w->op = eap_test_begin_op (component, "work", NULL);
  w->with_error = TRUE;
  eap_test_latch_init (&w->done);

  /* Only the worker runs until it is done: nothing may have been emitted,
   * since this thread has not iterated its context. */
  thread = g_thread_new ("worker", worker_report_complete, w);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&w->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  eap_test_latch_clear (&w->done);
  CU_ASSERT_EQUAL (recorder->events->len, 1);      /* is-busy TRUE, from begin here */
  CU_ASSERT_EQUAL (recorder->n_progress, 0);
  CU_ASSERT_EQUAL (recorder->n_completed, 0);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_TRUE (recorder->n_progress >= 1);
  assert_all_in_context (recorder);

  g_object_unref (w->op);
  eap_test_recorder_free (recorder);
  g_free (w);
}

static void
test_context_not_iterated (void)   /* R43 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  GMainContext *idle_context = g_main_context_new ();
  EapTestRecorder *recorder;
  Worker *w = g_new0 (Worker, 1);   /* threads never see the stack */
  GThread *thread;

  eap_component_set_progress_interval (component, 0);
  recorder = eap_test_recorder_new (component, idle_context);

  /* Started in a context that nobody iterates for now. */
  g_main_context_push_thread_default (idle_context);
  w->op = eap_test_begin_op (component, "stuck", NULL);
  g_main_context_pop_thread_default (idle_context);
  eap_test_latch_init (&w->done);

  /* The worker reports and completes without waiting for anyone. */
  thread = g_thread_new ("worker", worker_report_complete, w);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&w->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  eap_test_latch_clear (&w->done);
  CU_ASSERT_EQUAL (recorder->n_completed, 0);

  /* Once the context runs, the completion is delivered there. */
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < 1000 && g_main_context_iteration (idle_context, FALSE); i++)
    ;
  assert_all_in_context (recorder);

  g_object_unref (w->op);
  eap_test_recorder_free (recorder);
  g_main_context_unref (idle_context);
  g_free (w);
}

/* ------------------------------------------------------------------ */
/* Concurrency and is-busy                                              */
/* ------------------------------------------------------------------ */

#define TABLE_N_THREADS 4
#define TABLE_N_ROUNDS 300

typedef struct
{
  GMainContext *context;
  guint         n_wins;
  guint         n_collisions;
  gint          n_completed;   /* atomic */
  EapTestLatch  done;
} TableThread;

typedef struct _Table Table;

typedef struct
{
  Table       *table;
  TableThread *tt;
} TableArg;

struct _Table
{
  EapComponent *component;
  gpointer      user_state;    /* the one all threads fight over */
  TableThread   threads[TABLE_N_THREADS];
  gint          n_wrong;       /* atomic */
  gint          stop;          /* atomic */
  EapTestLatch  canceller_done;
  TableArg      args[TABLE_N_THREADS];
};

static GPrivate table_thread_key;

static void
table_on_completed (EapComponent     *component,
                    EapCompletedArgs *args,
                    Table            *table)
{
  TableThread *tt = g_private_get (&table_thread_key);

  if (tt == NULL || !g_main_context_is_owner (tt->context) ||
      eap_completed_args_get_user_state (args) != table->user_state)
    g_atomic_int_inc (&table->n_wrong);
  else
    g_atomic_int_inc (&tt->n_completed);
}

static gboolean
table_thread_caught_up (gpointer data)
{
  TableThread *tt = data;

  return (guint) g_atomic_int_get (&tt->n_completed) == tt->n_wins;
}

static gpointer
table_thread (gpointer data)
{
  TableArg *arg = data;
  Table *table = arg->table;
  TableThread *tt = arg->tt;

  tt->context = g_main_context_new ();
  g_main_context_push_thread_default (tt->context);
  g_private_set (&table_thread_key, tt);

  for (guint i = 0; i < TABLE_N_ROUNDS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EapOperation) op = NULL;
      g_autoptr(EapOperation) found = NULL;

      op = eap_component_begin_operation (table->component, "contended", table->user_state,
                                          &error);
      if (op == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
            tt->n_collisions++;
          else
            g_atomic_int_inc (&table->n_wrong);
          g_thread_yield ();
          continue;
        }

      tt->n_wins++;
      eap_test_complete_when_cancelled (op);

      /* Ours until its completed: nobody else can hold this user state. */
      found = eap_component_dup_operation (table->component, table->user_state);
      if (found != op)
        g_atomic_int_inc (&table->n_wrong);

      switch (i % 3)
        {
        case 0:
          eap_component_cancel_async (table->component, table->user_state);
          break;
        case 1:
          eap_operation_try_complete (op, NULL);
          break;
        default:
          eap_operation_cancel (op);
          break;
        }

      if (!eap_test_iterate_until (tt->context, table_thread_caught_up, tt, EAP_TEST_TIMEOUT_MS))
        g_atomic_int_inc (&table->n_wrong);
    }

  for (guint i = 0; i < 1000 && g_main_context_iteration (tt->context, FALSE); i++)
    ;
  g_private_set (&table_thread_key, NULL);
  g_main_context_pop_thread_default (tt->context);
  eap_test_latch_set (&tt->done);

  return NULL;
}

static gpointer
table_canceller (gpointer data)
{
  Table *table = data;

  /* Lookups and cancels racing the starts and removals. */
  while (!g_atomic_int_get (&table->stop))
    {
      EapOperation *op = eap_component_dup_operation (table->component, table->user_state);

      if (op != NULL)
        {
          if (eap_operation_get_user_state (op) != table->user_state)
            g_atomic_int_inc (&table->n_wrong);
          g_object_unref (op);
        }
      eap_component_cancel_async (table->component, table->user_state);
      g_thread_yield ();
    }
  eap_test_latch_set (&table->canceller_done);

  return NULL;
}

static void
test_table_consistent (void)   /* R44 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) after = NULL;
  Table *table = g_new0 (Table, 1);
  GThread *threads[TABLE_N_THREADS];
  GThread *canceller;
  static int contended;
  guint n_wins = 0, n_collisions = 0, n_completed = 0;

  table->component = component;
  table->user_state = &contended;
  g_signal_connect (component, "completed", G_CALLBACK (table_on_completed), table);
  eap_test_latch_init (&table->canceller_done);
  canceller = g_thread_new ("canceller", table_canceller, table);

  for (guint t = 0; t < TABLE_N_THREADS; t++)
    {
      eap_test_latch_init (&table->threads[t].done);
      table->args[t].table = table;
      table->args[t].tt = &table->threads[t];
      threads[t] = g_thread_new ("starter", table_thread, &table->args[t]);
    }
  for (guint t = 0; t < TABLE_N_THREADS; t++)
    {
      TableThread *tt = &table->threads[t];

      CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&tt->done, STRESS_TIMEOUT_MS));
      g_thread_join (threads[t]);
      eap_test_latch_clear (&tt->done);
      n_wins += tt->n_wins;
      n_collisions += tt->n_collisions;
      n_completed += tt->n_completed;
      g_main_context_unref (tt->context);
    }
  g_atomic_int_set (&table->stop, 1);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&table->canceller_done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (canceller);
  eap_test_latch_clear (&table->canceller_done);

  g_printerr ("  %u starts won, %u refused as duplicates\n", n_wins, n_collisions);
  CU_ASSERT_EQUAL (table->n_wrong, 0);
  CU_ASSERT_EQUAL (n_wins + n_collisions, TABLE_N_THREADS * TABLE_N_ROUNDS);
  CU_ASSERT_EQUAL (n_completed, n_wins);
  CU_ASSERT_TRUE (n_wins > 0);

  /* Nothing was lost or left behind in the table. */
  CU_ASSERT_EQUAL (eap_component_get_n_operations (component), 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));
  CU_ASSERT_PTR_NULL (eap_component_dup_operation (component, &contended));
  g_signal_handlers_disconnect_by_data (component, table);
  after = eap_test_begin_op (component, "contended", &contended);
  eap_operation_complete (after, NULL);
  CU_ASSERT_TRUE (wait_idle (component));

  g_free (table);
}

typedef struct
{
  EapComponent *component;
  int           token;
  guint         n;
  gboolean      busy_in_handler[2];
  guint         n_ops_in_handler[2];
  gboolean      restarted;
  gboolean      busy_after_restart;
  EapOperation *second;
} Restart;

static void
restart_on_completed (EapComponent     *component,
                      EapCompletedArgs *args,
                      Restart          *r)
{
  guint idx = MIN (r->n, 1);

  r->n++;
  r->busy_in_handler[idx] = eap_component_get_is_busy (component);
  r->n_ops_in_handler[idx] = eap_component_get_n_operations (component);

  if (idx == 0)
    {
      g_autoptr(GError) error = NULL;

      /* Same user state, from the handler of the op that used it. */
      r->second = eap_component_begin_operation (component, "job", &r->token, &error);
      r->restarted = r->second != NULL && error == NULL;
      r->busy_after_restart = eap_component_get_is_busy (component);
      if (r->second != NULL)
        eap_operation_complete (r->second, NULL);
    }
}

static void
test_busy_false_in_last_handler (void)   /* R45 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  Restart r = { component, };
  const EapTestEventKind kinds[] = {
    EAP_TEST_EVENT_BUSY_CHANGED, EAP_TEST_EVENT_BUSY_CHANGED, EAP_TEST_EVENT_COMPLETED,
    EAP_TEST_EVENT_BUSY_CHANGED, EAP_TEST_EVENT_BUSY_CHANGED, EAP_TEST_EVENT_COMPLETED,
  };
  const gboolean busy[] = { TRUE, FALSE, FALSE, TRUE, FALSE, FALSE };

  g_signal_connect (component, "completed::job", G_CALLBACK (restart_on_completed), &r);

  op = eap_test_begin_op (component, "job", &r.token);
  CU_ASSERT_TRUE (eap_component_get_is_busy (component));
  eap_operation_complete (op, NULL);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();

  CU_ASSERT_EQUAL (r.n, 2);
  CU_ASSERT_FALSE (r.busy_in_handler[0]);
  CU_ASSERT_EQUAL (r.n_ops_in_handler[0], 0);
  CU_ASSERT_TRUE (r.restarted);
  CU_ASSERT_TRUE (r.busy_after_restart);
  CU_ASSERT_FALSE (r.busy_in_handler[1]);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  /* notify::is-busy(FALSE) comes just before each last completed. */
  CU_ASSERT_EQUAL_FATAL (recorder->events->len, G_N_ELEMENTS (kinds));
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent, i);

      CU_ASSERT_EQUAL (event->kind, kinds[i]);
      CU_ASSERT_EQUAL (event->busy, busy[i]);
    }

  g_signal_handlers_disconnect_by_data (component, &r);
  g_clear_object (&r.second);
  eap_test_recorder_free (recorder);
}

typedef struct
{
  EapComponent *component;
  gboolean      captured_default;
  EapTestLatch  done;
} DefaultStarter;

static gpointer
default_starter (gpointer data)
{
  DefaultStarter *ds = data;
  EapOperation *op;

  /* No thread-default context pushed here: the op belongs to the global
   * default context, which another thread iterates. */
  op = eap_component_begin_operation (ds->component, "from-thread", NULL, NULL);
  if (op != NULL)
    {
      ds->captured_default = eap_operation_get_context (op) == g_main_context_default ();
      eap_operation_complete (op, NULL);
      g_object_unref (op);
    }
  eap_test_latch_set (&ds->done);

  return NULL;
}

static void
test_busy_notified_in_op_context (void)   /* R46 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  GMainContext *global = g_main_context_default ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, global);
  DefaultStarter *ds = g_new0 (DefaultStarter, 1);   /* threads never see the stack */
  GThread *thread;

  ds->component = component;
  eap_test_latch_init (&ds->done);
  thread = g_thread_new ("starter", default_starter, ds);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&ds->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  eap_test_latch_clear (&ds->done);
  CU_ASSERT_TRUE (ds->captured_default);
  CU_ASSERT_EQUAL (recorder->events->len, 0);   /* not emitted in the starting thread */

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < 1000 && g_main_context_iteration (global, FALSE); i++)
    ;

  /* TRUE, FALSE, completed: all in the default context, run here. */
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_BUSY_CHANGED, NULL), 2);
  CU_ASSERT_EQUAL (recorder->events->len, 3);
  assert_all_in_context (recorder);

  eap_test_recorder_free (recorder);
  g_free (ds);
}

/* ------------------------------------------------------------------ */
/* Lifetime, dispose and re-entrancy                                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  guint    n_calls;
  gboolean alive_in_handler;
  gpointer *weak;
} Seen;

static void
seen_on_completed (EapComponent     *component,
                   EapCompletedArgs *args,
                   Seen             *seen)
{
  seen->n_calls++;
  seen->alive_in_handler = *seen->weak != NULL && EAP_IS_COMPONENT (component) &&
                           !eap_component_is_closed (component);
}

static void
test_last_ref_dropped_while_pending (void)   /* R48 */
{
  EapComponent *component = eap_test_component_new ();
  Seen seen = { 0, FALSE, (gpointer *) &component };
  EapOperation *op;
  int token;

  g_object_add_weak_pointer (G_OBJECT (component), (gpointer *) &component);
  g_signal_connect (component, "completed", G_CALLBACK (seen_on_completed), &seen);

  op = eap_test_begin_op (component, "orphan", &token);
  g_object_unref (component);                   /* the user's last reference */
  CU_ASSERT_PTR_NOT_NULL_FATAL (component);     /* kept by the pending op */

  eap_operation_complete (op, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (component);
  CU_ASSERT_TRUE_FATAL (wait_count (&seen.n_calls, 1));
  CU_ASSERT_TRUE (seen.alive_in_handler);

  /* After the emission the op lets go: the component is finalized. */
  g_object_unref (op);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (component);
  CU_ASSERT_EQUAL (seen.n_calls, 1);
}

static void
test_context_kept_alive (void)   /* R48 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  GMainContext *context = g_main_context_new ();
  Seen seen = { 0, FALSE, (gpointer *) &component };
  g_autoptr(EapOperation) op = NULL;
  GMainContext *op_context;

  g_signal_connect (component, "completed", G_CALLBACK (seen_on_completed), &seen);

  g_main_context_push_thread_default (context);
  op = eap_test_begin_op (component, "elsewhere", NULL);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);               /* the op keeps it */

  op_context = eap_operation_get_context (op);
  CU_ASSERT_PTR_EQUAL (op_context, context);
  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE (eap_test_iterate_until (op_context, eap_test_cond_flag,
                                          &seen.n_calls, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (seen.n_calls, 1);

  g_signal_handlers_disconnect_by_data (component, &seen);
}

static void
test_dispose_with_ops_in_flight (void)   /* R49, R50 */
{
  EapComponent *component = eap_test_component_new ();
  EapOperation *ops[3];
  WaitAsync waits[3] = { { 0, }, };
  g_autoptr(GError) error = NULL;
  guint n_finalized = eap_test_component_get_n_finalized ();
  int tokens[3];

  /* (Weak pointers would not do: dispose itself clears them.) */
  for (guint i = 0; i < 3; i++)
    {
      ops[i] = eap_test_begin_op (component, "inflight", &tokens[i]);
      eap_test_complete_when_cancelled (ops[i]);
      eap_operation_wait_async (ops[i], NULL, eap_test_wait_async_cb, &waits[i]);
    }

  g_object_run_dispose (G_OBJECT (component));
  for (guint i = 0; i < 3; i++)
    CU_ASSERT_EQUAL (waits[i].n_calls, 0);          /* nothing inside dispose */

  for (guint i = 0; i < 3; i++)
    CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &waits[i], EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EapCompletedArgs) args = eap_operation_dup_completed_args (ops[i]);

      CU_ASSERT_EQUAL (waits[i].n_calls, 1);
      CU_ASSERT_PTR_NULL (waits[i].args);
      CU_ASSERT_TRUE (g_error_matches (waits[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      assert_cancelled (args);
      CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (args), &tokens[i]);
      eap_test_wait_async_clear (&waits[i]);
    }

  /* Disposed: refuses new work (R50). */
  CU_ASSERT_TRUE (eap_component_is_closed (component));
  CU_ASSERT_PTR_NULL (eap_component_begin_operation (component, "inflight", NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  for (guint i = 0; i < 3; i++)
    g_object_unref (ops[i]);
  CU_ASSERT_EQUAL (eap_test_component_get_n_finalized (), n_finalized);
  g_object_unref (component);
  eap_test_drain ();
  CU_ASSERT_EQUAL (eap_test_component_get_n_finalized (), n_finalized + 1);
}

static void
test_close_with_ops_in_flight (void)   /* R49 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *ops[3], *finished;
  int tokens[3], finished_token;

  for (guint i = 0; i < 3; i++)
    {
      ops[i] = eap_test_begin_op (component, "inflight", &tokens[i]);
      eap_test_complete_when_cancelled (ops[i]);
    }
  /* One had already finished when close came. */
  finished = eap_test_begin_op (component, "inflight", &finished_token);
  eap_test_complete_when_cancelled (finished);
  eap_operation_complete (finished, NULL);

  eap_component_close (component);
  eap_component_close (component);                 /* twice is fine */
  CU_ASSERT_EQUAL (recorder->n_completed, 0);       /* later, not inside close */

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 4, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 4);
  for (guint i = 0; i < 3; i++)
    {
      assert_cancelled (completed_for (recorder, &tokens[i]));
      g_object_unref (ops[i]);
    }
  assert_success (completed_for (recorder, &finished_token));
  assert_all_in_context (recorder);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  g_object_unref (finished);
  eap_test_recorder_free (recorder);
}

static void
test_close_vfunc (void)   /* R49: close ends what is not an operation */
{
  EapComponent *component = eap_test_component_new ();
  EapComponent *disposed = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  gboolean probe_cancelled = FALSE;
  EapOperation *op;
  int token;

  op = eap_test_begin_op (component, "inflight", &token);
  eap_test_complete_when_cancelled (op);
  eap_test_component_set_close_probe (component, op);

  eap_component_close (component);
  CU_ASSERT_EQUAL (eap_test_component_get_n_close_calls (component, &probe_cancelled), 1);
  CU_ASSERT_TRUE (probe_cancelled);           /* operations first, then the vfunc */
  eap_component_close (component);
  CU_ASSERT_EQUAL (eap_test_component_get_n_close_calls (component, NULL), 1);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  g_object_unref (op);
  eap_test_recorder_free (recorder);
  g_object_unref (component);

  /* Dispose closes without the vfunc: the subclass tore down already. */
  g_object_run_dispose (G_OBJECT (disposed));
  CU_ASSERT_TRUE (eap_component_is_closed (disposed));
  CU_ASSERT_EQUAL (eap_test_component_get_n_close_calls (disposed, NULL), 0);
  g_object_unref (disposed);
}

static void
test_closed_refuses (void)   /* R50 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GError) error = NULL;
  int token;

  CU_ASSERT_FALSE (eap_component_is_closed (component));
  eap_component_close (component);
  CU_ASSERT_TRUE (eap_component_is_closed (component));

  CU_ASSERT_PTR_NULL (eap_component_begin_operation (component, "late", &token, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  CU_ASSERT_PTR_NULL (eap_component_begin_operation (component, "late", NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));

  /* Cancels on a closed component are still quiet no-ops. */
  eap_component_cancel_async (component, &token);
  eap_component_cancel_all (component);

  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->events->len, 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  eap_test_recorder_free (recorder);
}

static void
test_closed_property (void)   /* R50, DESIGN: `closed` is a read-only property */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (component), "closed");
  gboolean closed = TRUE;

  CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
  CU_ASSERT_TRUE (pspec->flags & G_PARAM_READABLE);
  CU_ASSERT_FALSE (pspec->flags & G_PARAM_WRITABLE);
  g_object_get (component, "closed", &closed, NULL);
  CU_ASSERT_FALSE (closed);
  eap_component_close (component);
  g_object_get (component, "closed", &closed, NULL);
  CU_ASSERT_TRUE (closed);
}

/* R51 */

static void
unref_on_completed (EapComponent     *component,
                    EapCompletedArgs *args,
                    guint            *n_calls)
{
  (*n_calls)++;
  g_object_unref (component);       /* the reference the test handed over */
}

static void
test_handler_unrefs_component (void)   /* R51 */
{
  EapComponent *component = eap_test_component_new ();
  EapOperation *op;
  guint n_calls = 0;

  g_object_add_weak_pointer (G_OBJECT (component), (gpointer *) &component);
  g_signal_connect (component, "completed", G_CALLBACK (unref_on_completed), &n_calls);

  op = eap_test_begin_op (component, "last", NULL);
  eap_operation_complete (op, NULL);
  /* From here on, the handler owns the test's reference. */
  CU_ASSERT_TRUE_FATAL (wait_count (&n_calls, 1));

  g_object_unref (op);
  eap_test_drain ();
  CU_ASSERT_EQUAL (n_calls, 1);
  CU_ASSERT_PTR_NULL (component);
}

typedef struct
{
  guint n_progress;
  guint n_progress_after_completed;
  guint n_completed;
} CancelFromProgress;

static void
cancel_on_progress (EapComponent       *component,
                    EapProgressArgs    *args,
                    CancelFromProgress *cfp)
{
  cfp->n_progress++;
  if (cfp->n_completed > 0)
    cfp->n_progress_after_completed++;
  eap_component_cancel_async (component, eap_progress_args_get_user_state (args));
}

static void
count_completed (EapComponent       *component,
                 EapCompletedArgs   *args,
                 CancelFromProgress *cfp)
{
  cfp->n_completed++;
}

static void
test_progress_handler_cancels (void)   /* R51 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  CancelFromProgress cfp = { 0, };
  g_autoptr(EapOperation) op = NULL;
  int token;

  eap_component_set_progress_interval (component, 0);
  g_signal_connect (component, "progress-changed", G_CALLBACK (cancel_on_progress), &cfp);
  g_signal_connect (component, "completed", G_CALLBACK (count_completed), &cfp);

  op = eap_test_begin_op (component, "watched", &token);
  eap_test_complete_when_cancelled (op);
  eap_operation_report_progress (op, 1, 10);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (cfp.n_progress, 1);
  CU_ASSERT_EQUAL (cfp.n_progress_after_completed, 0);
  CU_ASSERT_EQUAL (cfp.n_completed, 1);
  assert_cancelled (completed_for (recorder, &token));

  g_signal_handlers_disconnect_by_data (component, &cfp);
  eap_test_recorder_free (recorder);
}

typedef struct
{
  int           token_b;
  EapOperation *b;
  gboolean      started_b;
  gboolean      refused_after_close;
} StartAndClose;

static void
start_and_close_on_completed (EapComponent     *component,
                              EapCompletedArgs *args,
                              StartAndClose    *sac)
{
  g_autoptr(GError) error = NULL;
  EapOperation *refused;

  if (sac->b != NULL)
    return;

  sac->b = eap_component_begin_operation (component, "b", &sac->token_b, NULL);
  sac->started_b = sac->b != NULL;
  if (sac->b != NULL)
    eap_test_complete_when_cancelled (sac->b);

  eap_component_close (component);
  refused = eap_component_begin_operation (component, "c", NULL, &error);
  sac->refused_after_close = refused == NULL &&
                             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_object (&refused);
}

static void
test_handler_starts_and_closes (void)   /* R51 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  StartAndClose sac = { 0, };
  g_autoptr(EapOperation) a = NULL;
  int token_a;

  g_signal_connect (component, "completed::a", G_CALLBACK (start_and_close_on_completed), &sac);

  a = eap_test_begin_op (component, "a", &token_a);
  eap_operation_complete (a, NULL);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_TRUE (sac.started_b);
  CU_ASSERT_TRUE (sac.refused_after_close);
  CU_ASSERT_EQUAL (recorder->n_completed, 2);
  assert_success (completed_for (recorder, &token_a));
  assert_cancelled (completed_for (recorder, &sac.token_b));
  assert_all_in_context (recorder);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  g_signal_handlers_disconnect_by_data (component, &sac);
  g_clear_object (&sac.b);
  eap_test_recorder_free (recorder);
}

typedef struct
{
  guint n_busy_false;
  guint n_completed;
} BusyCloser;

static void
close_on_idle (EapComponent *component,
               GParamSpec   *pspec,
               BusyCloser   *bc)
{
  if (eap_component_get_is_busy (component))
    return;
  bc->n_busy_false++;
  eap_component_close (component);
  g_object_unref (component);       /* the reference the test handed over */
}

static void
count_completed_bc (EapComponent     *component,
                    EapCompletedArgs *args,
                    BusyCloser       *bc)
{
  bc->n_completed++;
}

static void
test_busy_handler_closes_and_unrefs (void)   /* R51 */
{
  EapComponent *component = eap_test_component_new ();
  BusyCloser bc = { 0, };
  EapOperation *op;

  g_object_add_weak_pointer (G_OBJECT (component), (gpointer *) &component);
  g_signal_connect (component, "notify::is-busy", G_CALLBACK (close_on_idle), &bc);
  g_signal_connect (component, "completed", G_CALLBACK (count_completed_bc), &bc);

  op = eap_test_begin_op (component, "job", NULL);
  eap_operation_complete (op, NULL);
  /* is-busy FALSE comes just before completed: the handler closes and
   * drops the component then; completed must still come, once. */
  CU_ASSERT_TRUE_FATAL (wait_count (&bc.n_completed, 1));

  g_object_unref (op);
  eap_test_drain ();
  CU_ASSERT_EQUAL (bc.n_busy_false, 1);
  CU_ASSERT_EQUAL (bc.n_completed, 1);
  CU_ASSERT_PTR_NULL (component);
}

typedef struct
{
  WaitAsync waits[2];
  guint     n_completed;
} DisposeInHandler;

static void
dispose_on_completed (EapComponent     *component,
                      EapCompletedArgs *args,
                      DisposeInHandler *dih)
{
  dih->n_completed++;
  g_object_run_dispose (G_OBJECT (component));
}

static void
test_handler_disposes (void)   /* R51, R49 */
{
  EapComponent *component = eap_test_component_new ();
  DisposeInHandler dih = { { { 0, }, }, 0 };
  guint n_finalized = eap_test_component_get_n_finalized ();
  EapOperation *first, *others[2];
  g_signal_connect (component, "completed", G_CALLBACK (dispose_on_completed), &dih);

  first = eap_test_begin_op (component, "first", NULL);
  for (guint i = 0; i < 2; i++)
    {
      others[i] = eap_test_begin_op (component, "other", NULL);
      eap_test_complete_when_cancelled (others[i]);
      eap_operation_wait_async (others[i], NULL, eap_test_wait_async_cb, &dih.waits[i]);
    }
  eap_operation_complete (first, NULL);

  for (guint i = 0; i < 2; i++)
    CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &dih.waits[i],
                                               EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();

  /* Dispose dropped the handlers; the others still completed, once. */
  CU_ASSERT_EQUAL (dih.n_completed, 1);
  for (guint i = 0; i < 2; i++)
    {
      CU_ASSERT_EQUAL (dih.waits[i].n_calls, 1);
      CU_ASSERT_TRUE (g_error_matches (dih.waits[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      eap_test_wait_async_clear (&dih.waits[i]);
      g_object_unref (others[i]);
    }

  g_object_unref (first);
  CU_ASSERT_EQUAL (eap_test_component_get_n_finalized (), n_finalized);
  g_object_unref (component);
  eap_test_drain ();
  CU_ASSERT_EQUAL (eap_test_component_get_n_finalized (), n_finalized + 1);
}

typedef struct
{
  EapOperation *op;
  int          *token;
  gboolean      found_in_table;
  guint         n_ops;
  gboolean      busy;
  gboolean      op_completed;
  gboolean      same_outcome;
  gboolean      restarted;
  gboolean      second_saw_success;
  EapOperation *restart;
} Bookkeeping;

static void
bookkeeping_first (EapComponent     *component,
                   EapCompletedArgs *args,
                   Bookkeeping      *bk)
{
  g_autoptr(EapOperation) found = eap_component_dup_operation (component, bk->token);
  g_autoptr(EapCompletedArgs) claimed = eap_operation_dup_completed_args (bk->op);

  if (bk->restart != NULL)
    return;

  bk->found_in_table = found != NULL;
  bk->n_ops = eap_component_get_n_operations (component);
  bk->busy = eap_component_get_is_busy (component);
  bk->op_completed = eap_operation_is_completed (bk->op);
  bk->same_outcome = claimed != NULL &&
                     eap_completed_args_get_cancelled (claimed) == eap_completed_args_get_cancelled (args) &&
                     eap_completed_args_get_error (claimed) == NULL &&
                     eap_completed_args_get_user_state (claimed) == bk->token;

  /* Try to change the outcome from the handler: too late. */
  eap_component_cancel_async (component, bk->token);
  eap_operation_cancel (bk->op);
  eap_component_cancel_all (component);
  bk->restart = eap_component_begin_operation (component, "job", bk->token, NULL);
  bk->restarted = bk->restart != NULL;
  if (bk->restart != NULL)
    eap_operation_complete (bk->restart, NULL);
}

static void
bookkeeping_second (EapComponent     *component,
                    EapCompletedArgs *args,
                    Bookkeeping      *bk)
{
  if (eap_completed_args_get_user_state (args) == bk->token && !bk->second_saw_success)
    bk->second_saw_success = !eap_completed_args_get_cancelled (args) &&
                             eap_completed_args_get_error (args) == NULL;
}

static void
test_bookkeeping_before_emission (void)   /* R52 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder;
  g_autoptr(EapCompletedArgs) final = NULL;
  Bookkeeping bk = { 0, };
  int token;

  bk.token = &token;
  g_signal_connect (component, "completed::job", G_CALLBACK (bookkeeping_first), &bk);
  g_signal_connect (component, "completed::job", G_CALLBACK (bookkeeping_second), &bk);
  recorder = eap_test_recorder_new (component, NULL);

  bk.op = eap_test_begin_op (component, "job", &token);
  eap_test_complete_when_cancelled (bk.op);
  eap_operation_complete (bk.op, NULL);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();

  CU_ASSERT_FALSE (bk.found_in_table);
  CU_ASSERT_EQUAL (bk.n_ops, 0);
  CU_ASSERT_FALSE (bk.busy);
  CU_ASSERT_TRUE (bk.op_completed);
  CU_ASSERT_TRUE (bk.same_outcome);
  CU_ASSERT_TRUE (bk.restarted);
  CU_ASSERT_TRUE (bk.second_saw_success);

  /* The outcome never changed. */
  assert_success (eap_test_recorder_get_completed (recorder, 0));
  final = eap_operation_dup_completed_args (bk.op);
  assert_success (final);

  g_signal_handlers_disconnect_by_data (component, &bk);
  g_clear_object (&bk.op);
  g_clear_object (&bk.restart);
  eap_test_recorder_free (recorder);
}

static void
record_finalize_thread (gpointer data,
                        GObject *where_the_object_was)
{
  *(GThread **) data = g_thread_self ();
}

typedef struct
{
  EapOperation *op;            /* (owned): the worker's reference */
  gboolean      hold;          /* keep it until completed has been emitted */
  EapTestLatch  emitted;
  EapTestLatch  done;
  GThread      *finalized_in;  /* set by the component's weak ref */
} Releaser;

static gpointer
complete_and_release (gpointer data)
{
  Releaser *r = data;

  eap_operation_complete (r->op, NULL);
  if (r->hold)
    eap_test_latch_wait (&r->emitted, EAP_TEST_TIMEOUT_MS);
  g_clear_object (&r->op);          /* the worker lets go of its op */
  eap_test_latch_set (&r->done);

  return NULL;
}

static void
released_on_context (gboolean hold)
{
  EapComponent *component = eap_test_component_new ();
  Releaser *r = g_new0 (Releaser, 1);   /* threads never see the stack */
  guint n_calls = 0;
  GThread *thread;

  r->hold = hold;
  g_object_weak_ref (G_OBJECT (component), record_finalize_thread, &r->finalized_in);
  g_signal_connect (component, "completed", G_CALLBACK (count_calls), &n_calls);

  r->op = eap_test_begin_op (component, "job", NULL);
  g_object_unref (component);       /* only the op holds it now */
  eap_test_latch_init (&r->emitted);
  eap_test_latch_init (&r->done);

  thread = g_thread_new ("worker", complete_and_release, r);
  if (hold)
    {
      /* The worker still holds its op when completed is emitted here. */
      CU_ASSERT_TRUE_FATAL (wait_count (&n_calls, 1));
      eap_test_latch_set (&r->emitted);
    }
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&r->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  eap_test_latch_clear (&r->emitted);
  eap_test_latch_clear (&r->done);

  CU_ASSERT_TRUE (eap_test_wait_until (pointer_set_cond, &r->finalized_in, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_PTR_EQUAL (r->finalized_in, g_thread_self ());   /* never the worker */
  CU_ASSERT_EQUAL (n_calls, 1);
  g_free (r);
}

static void
test_released_on_context (void)   /* R53 */
{
  /* A worker that drops its op at once, and one that holds it until
   * after the emission: either way the component goes in its context. */
  released_on_context (FALSE);
  released_on_context (TRUE);
}

static void
test_error_codes (void)   /* R54 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapComponent) closed = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(EapOperation) cancelled = NULL;
  g_autoptr(EapOperation) timed = NULL;
  g_autoptr(GError) dup_error = NULL;
  g_autoptr(GError) closed_error = NULL;
  g_autoptr(GError) cancel_error = NULL;
  g_autoptr(GError) timeout_error = NULL;
  g_autoptr(GError) block_error = NULL;
  int token, timed_token;

  cancelled = eap_test_begin_op (component, "codes", &token);
  eap_test_complete_when_cancelled (cancelled);
  CU_ASSERT_PTR_NULL (eap_component_begin_operation (component, "codes", &token, &dup_error));
  CU_ASSERT_TRUE (g_error_matches (dup_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));

  eap_component_close (closed);
  CU_ASSERT_PTR_NULL (eap_component_begin_operation (closed, "codes", NULL, &closed_error));
  CU_ASSERT_TRUE (g_error_matches (closed_error, G_IO_ERROR, G_IO_ERROR_CLOSED));

  timed = eap_test_begin_op (component, "codes", &timed_token);
  eap_test_complete_when_cancelled (timed);
  CU_ASSERT_FALSE (eap_operation_wait (timed, NULL, &block_error));
  CU_ASSERT_TRUE (g_error_matches (block_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  eap_operation_set_timeout (timed, 5);

  eap_component_cancel_async (component, &token);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));

  CU_ASSERT_FALSE (eap_completed_args_propagate_error (completed_for (recorder, &token),
                                                       &cancel_error));
  CU_ASSERT_TRUE (g_error_matches (cancel_error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  CU_ASSERT_FALSE (eap_completed_args_propagate_error (completed_for (recorder, &timed_token),
                                                       &timeout_error));
  CU_ASSERT_TRUE (g_error_matches (timeout_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));

  /* Every message is for people: not empty. */
  CU_ASSERT_TRUE (dup_error->message[0] != '\0');
  CU_ASSERT_TRUE (closed_error->message[0] != '\0');
  CU_ASSERT_TRUE (timeout_error->message[0] != '\0');

  eap_test_recorder_free (recorder);
}

/* R56 */

static gboolean
warning_logged (gpointer data)
{
  return eap_test_get_n_seen (FALSE) > GPOINTER_TO_UINT (data);
}

static void
noop_on_completed (EapComponent     *component,
                   EapCompletedArgs *args,
                   gpointer          data)
{
}

static void
test_unhandled_error_warns (void)   /* R56 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapComponent) other_detail = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(EapOperation) op2 = NULL;
  g_autofree char *message = NULL;
  gboolean warned = FALSE;

  /* Nobody listens at all. */
  op = eap_test_begin_op (component, "frobnicate", NULL);
  eap_operation_complete_error (op, eap_test_new_error ());
  EAP_TEST_EXPECT_WARNING (warned = eap_test_wait_until (warning_logged,
                                                         GUINT_TO_POINTER (eap_test_get_n_seen (FALSE)),
                                                         EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (warned);
  message = eap_test_dup_last_expected_message ();
  CU_ASSERT_PTR_NOT_NULL_FATAL (message);
  CU_ASSERT_PTR_NOT_NULL (strstr (message, "frobnicate"));   /* names the op */
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  /* Somebody listens, but to another operation's completed. */
  g_signal_connect (other_detail, "completed::something-else", G_CALLBACK (noop_on_completed), NULL);
  op2 = eap_test_begin_op (other_detail, "frobnicate", NULL);
  eap_operation_complete_error (op2, eap_test_new_error ());
  warned = FALSE;
  EAP_TEST_EXPECT_WARNING (warned = eap_test_wait_until (warning_logged,
                                                         GUINT_TO_POINTER (eap_test_get_n_seen (FALSE)),
                                                         EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (warned);
  eap_test_drain ();
}

static void
test_handled_error_is_quiet (void)   /* R56 */
{
  g_autoptr(EapComponent) detailed = eap_test_component_new ();
  g_autoptr(EapComponent) plain = eap_test_component_new ();
  g_autoptr(EapComponent) unwatched = eap_test_component_new ();
  g_autoptr(EapComponent) awaited = eap_test_component_new ();
  EapOperation *ops[5];
  WaitAsync wa = { 0, };
  guint before = eap_test_get_n_seen (FALSE);

  /* Any warning here would abort the test binary (not armed). */
  g_signal_connect (detailed, "completed::frob", G_CALLBACK (noop_on_completed), NULL);
  g_signal_connect (plain, "completed", G_CALLBACK (noop_on_completed), NULL);

  ops[0] = eap_test_begin_op (detailed, "frob", NULL);
  eap_operation_complete_error (ops[0], eap_test_new_error ());
  ops[1] = eap_test_begin_op (plain, "frob", NULL);
  eap_operation_complete_error (ops[1], eap_test_new_error ());
  /* Success and cancellation are not errors: no handler needed. */
  ops[2] = eap_test_begin_op (unwatched, "frob", NULL);
  eap_operation_complete (ops[2], NULL);
  ops[3] = eap_test_begin_op (unwatched, "frob", NULL);
  eap_test_complete_when_cancelled (ops[3]);
  eap_operation_cancel (ops[3]);
  /* Somebody waits GIO-style: they get the error. */
  ops[4] = eap_test_begin_op (awaited, "frob", NULL);
  eap_operation_wait_async (ops[4], NULL, eap_test_wait_async_cb, &wa);
  eap_operation_complete_error (ops[4], eap_test_new_error ());

  CU_ASSERT_TRUE (wait_idle (detailed));
  CU_ASSERT_TRUE (wait_idle (plain));
  CU_ASSERT_TRUE (wait_idle (unwatched));
  CU_ASSERT_TRUE (eap_test_wait_until (eap_test_wait_async_called, &wa, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (g_error_matches (wa.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  CU_ASSERT_EQUAL (eap_test_get_n_seen (FALSE), before);

  for (guint i = 0; i < 5; i++)
    g_object_unref (ops[i]);
  eap_test_wait_async_clear (&wa);
}

/* ------------------------------------------------------------------ */

static CU_TestInfo component_tests[] = {
  { "R62 criticals and warnings are fatal unless a test expects them", test_fatal_criticals },
  { "R5 cancel_async, cancel_all and eap_operation_cancel cancel the op", test_cancel_entry_points },
  { "R7 is-busy is read-only, TRUE while ops run, notified on each change", test_is_busy },
  { "R9 usage errors are reported synchronously and emit nothing", test_rejected_calls },
  { "R11 a user_state in flight is refused with INVALID_ARGUMENT; NULL never collides",
    test_duplicate_user_state },
  { "R8 dup_operation finds the op in flight by user_state", test_dup_operation },
  { "R15 exactly one completed on success, error, timeout, cancel, close and dispose",
    test_exactly_once_every_path },
  { "R25 cancels are no-ops for unknown or finished user_state, from any thread",
    test_cancel_no_ops },
  { "R26 a cancel, even from a handler, emits nothing before it returns", test_cancel_in_handler },
  { "R29 cancelling one op leaves the others alone", test_cancel_one_of_many },
  { "R38 R46 every emission runs in the context of the thread that started the op",
    test_context_of_starting_thread },
  { "R39 two threads with their own contexts each receive their own op", test_context_per_op },
  { "R40 nothing goes to the global default context and no nested loop runs",
    test_no_default_context },
  { "R41 R42 a worker's reports and completion are emitted only in the context",
    test_workers_never_emit },
  { "R43 a context nobody iterates does not block the completing thread",
    test_context_not_iterated },
  { "R44 concurrent start, lookup, cancel and completion keep the table consistent",
    test_table_consistent },
  { "R45 is-busy is FALSE in the last completed handler, which may restart the user_state",
    test_busy_false_in_last_handler },
  { "R46 notify::is-busy runs in the op's context when started from another thread",
    test_busy_notified_in_op_context },
  { "R48 dropping the last user ref while an op is pending still delivers completed",
    test_last_ref_dropped_while_pending },
  { "R48 an op keeps its context alive", test_context_kept_alive },
  { "R49 R50 dispose with ops in flight: each completes once, cancelled; then CLOSED",
    test_dispose_with_ops_in_flight },
  { "R49 close with ops in flight: each completes once, cancelled, later",
    test_close_with_ops_in_flight },
  { "R50 a closed component refuses with G_IO_ERROR_CLOSED and emits nothing",
    test_closed_refuses },
  { "R50 the closed property is read-only and TRUE after close", test_closed_property },
  { "R51 a completed handler may drop the last ref to the component",
    test_handler_unrefs_component },
  { "R51 a progress handler may cancel its op", test_progress_handler_cancels },
  { "R51 a completed handler may start an op and close the component",
    test_handler_starts_and_closes },
  { "R51 a notify::is-busy handler may close and drop the component",
    test_busy_handler_closes_and_unrefs },
  { "R51 R49 a completed handler may dispose the component with ops pending",
    test_handler_disposes },
  { "R52 bookkeeping is done before completed; handlers cannot change the outcome",
    test_bookkeeping_before_emission },
  { "R53 the op's hold on the component is released in the context, not the worker",
    test_released_on_context },
  { "R49 close runs the close vfunc once, after cancelling", test_close_vfunc },
  { "R54 refusals and outcomes use stable G_IO_ERROR codes", test_error_codes },
  { "R56 an error nobody handles logs a warning naming the op", test_unhandled_error_warns },
  { "R56 no warning when handled, awaited, successful or cancelled", test_handled_error_is_quiet },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    { "EapComponent", NULL, NULL, eap_test_setup, eap_test_teardown, component_tests },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
