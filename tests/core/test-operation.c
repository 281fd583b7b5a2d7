/* test-operation.c: EapOperation, EapCompletedArgs and EapProgressArgs
 *
 * Operations are driven by hand on an EapTestComponent: the test plays the
 * component (begin, report, complete, from this thread or from others) and
 * the user (handlers, poll, wait) at once.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "eap-test.h"

#define STRESS_TIMEOUT_MS 60000

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */


static EapCompletedArgs *
new_error_args (void)
{
  g_autoptr(GError) error = eap_test_new_error ();

  return eap_completed_args_new (error);
}

static EapCompletedArgs *
new_cancelled_args (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");

  return eap_completed_args_new (error);
}

/* Returns the progress args recorded for @user_state, in order. */
static GPtrArray *
recorded_progress (EapTestRecorder *recorder,
                   gpointer         user_state)
{
  GPtrArray *ret = g_ptr_array_new ();

  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent, i);

      if (event->kind == EAP_TEST_EVENT_PROGRESS &&
          eap_progress_args_get_user_state (EAP_PROGRESS_ARGS (event->args)) == user_state)
        g_ptr_array_add (ret, event->args);
    }

  return ret;
}

/* Checks that the events of @user_state are `progress* completed`, and
 * every one of them was emitted in the recorder's context. */
static void
assert_progress_then_completed (EapTestRecorder *recorder,
                                gpointer         user_state)
{
  gboolean seen_completed = FALSE;

  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent, i);
      gpointer state;

      if (event->kind == EAP_TEST_EVENT_BUSY_CHANGED)
        continue;

      state = event->kind == EAP_TEST_EVENT_COMPLETED
        ? eap_completed_args_get_user_state (EAP_COMPLETED_ARGS (event->args))
        : eap_progress_args_get_user_state (EAP_PROGRESS_ARGS (event->args));
      if (state != user_state)
        continue;

      CU_ASSERT_TRUE (event->in_context);
      CU_ASSERT_FALSE (seen_completed);      /* nothing after completed */
      if (event->kind == EAP_TEST_EVENT_COMPLETED)
        seen_completed = TRUE;
    }

  CU_ASSERT_TRUE (seen_completed);
}

typedef struct
{
  EapTestRecorder *recorder;
  guint            n;
} ProgressWait;

static gboolean
has_n_progress (gpointer data)
{
  ProgressWait *wait = data;

  return wait->recorder->n_progress >= wait->n;
}

static gboolean
wait_progress (EapTestRecorder *recorder,
               guint            n)
{
  ProgressWait wait = { recorder, n };

  return eap_test_wait_until (has_n_progress, &wait, EAP_TEST_TIMEOUT_MS);
}

/* A completed-args subclass with one typed result (R3, R22). */
#define TEST_TYPE_RESULT_ARGS (test_result_args_get_type ())
G_DECLARE_FINAL_TYPE (TestResultArgs, test_result_args, TEST, RESULT_ARGS, EapCompletedArgs)

struct _TestResultArgs
{
  EapCompletedArgs parent_instance;
  char            *text;
};

G_DEFINE_FINAL_TYPE (TestResultArgs, test_result_args, EAP_TYPE_COMPLETED_ARGS)

static void
test_result_args_finalize (GObject *object)
{
  g_free (TEST_RESULT_ARGS (object)->text);
  G_OBJECT_CLASS (test_result_args_parent_class)->finalize (object);
}

static void
test_result_args_class_init (TestResultArgsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_result_args_finalize;
}

static void
test_result_args_init (TestResultArgs *self)
{
}

static EapCompletedArgs *
test_result_args_new (const char   *text,
                      const GError *error)
{
  TestResultArgs *self = g_object_new (TEST_TYPE_RESULT_ARGS, "error", error, NULL);

  self->text = g_strdup (text);
  return EAP_COMPLETED_ARGS (self);
}

static const char *
test_result_args_get_text (TestResultArgs  *self,
                           GError         **error)
{
  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;
  return self->text;
}

/* A progress-args subclass with one field of its own (R6, R37). */
#define TEST_TYPE_ITEM_PROGRESS_ARGS (test_item_progress_args_get_type ())
G_DECLARE_FINAL_TYPE (TestItemProgressArgs, test_item_progress_args, TEST, ITEM_PROGRESS_ARGS,
                      EapProgressArgs)

struct _TestItemProgressArgs
{
  EapProgressArgs parent_instance;
  int             item;
};

G_DEFINE_FINAL_TYPE (TestItemProgressArgs, test_item_progress_args, EAP_TYPE_PROGRESS_ARGS)

static void
test_item_progress_args_class_init (TestItemProgressArgsClass *klass)
{
}

static void
test_item_progress_args_init (TestItemProgressArgs *self)
{
}

static EapProgressArgs *
test_item_progress_args_new (gint64 done,
                             gint64 total,
                             int    item)
{
  TestItemProgressArgs *self = g_object_new (TEST_TYPE_ITEM_PROGRESS_ARGS,
                                             "done", done, "total", total, NULL);

  self->item = item;
  return EAP_PROGRESS_ARGS (self);
}

/* ------------------------------------------------------------------ */
/* EapOperation                                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  guint             n_frob;
  guint             n_other;
  EapCompletedArgs *frob_args;   /* (owned) */
} DetailCounts;

static void
on_completed_frob (EapComponent     *component,
                   EapCompletedArgs *args,
                   DetailCounts     *counts)
{
  counts->n_frob++;
  g_set_object (&counts->frob_args, args);
}

static void
on_completed_other (EapComponent     *component,
                    EapCompletedArgs *args,
                    DetailCounts     *counts)
{
  counts->n_other++;
}

static void
test_completed_detail (void)   /* R2 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  DetailCounts counts = { 0, };
  EapCompletedArgs *args;
  int token;

  g_signal_connect (component, "completed::frob", G_CALLBACK (on_completed_frob), &counts);
  g_signal_connect (component, "completed::other", G_CALLBACK (on_completed_other), &counts);

  op = eap_test_begin_op (component, "frob", &token);
  CU_ASSERT_STRING_EQUAL (eap_operation_get_name (op), "frob");
  CU_ASSERT_PTR_EQUAL (eap_operation_get_user_state (op), &token);

  args = test_result_args_new ("result", NULL);
  eap_operation_complete (op, args);     /* transfer full; args stays alive in the op */

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();

  /* The detailed handler saw exactly this op; the other detail nothing;
   * plain `completed` saw it too. */
  CU_ASSERT_EQUAL (counts.n_frob, 1);
  CU_ASSERT_EQUAL (counts.n_other, 0);
  CU_ASSERT_EQUAL (recorder->n_completed, 1);
  CU_ASSERT_PTR_EQUAL (counts.frob_args, args);
  CU_ASSERT_PTR_EQUAL (eap_test_recorder_get_completed (recorder, 0), args);
  CU_ASSERT_TRUE (TEST_IS_RESULT_ARGS (counts.frob_args));
  CU_ASSERT_STRING_EQUAL (eap_completed_args_get_operation_name (counts.frob_args), "frob");
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (counts.frob_args), &token);

  g_signal_handlers_disconnect_by_data (component, &counts);
  g_clear_object (&counts.frob_args);
  eap_test_recorder_free (recorder);
}

static void
test_no_emission_inside_begin (void)   /* R13 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  int token;

  eap_component_set_progress_interval (component, 0);

  /* The whole life of an op in one go, as a component that finishes at
   * once would do it inside its _async: nothing may be emitted yet. */
  op = eap_test_begin_op (component, "instant", &token);
  eap_operation_report_progress (op, 5, 10);
  eap_operation_report_progress (op, 10, 10);
  eap_operation_complete (op, NULL);

  CU_ASSERT_EQUAL (recorder->n_progress, 0);
  CU_ASSERT_EQUAL (recorder->n_completed, 0);
  CU_ASSERT_TRUE (eap_component_get_is_busy (component));

  /* A later dispatch delivers them. */
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, &token), 1);
  assert_progress_then_completed (recorder, &token);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  eap_test_recorder_free (recorder);
}

static void
test_immediate_error_through_signal (void)   /* R61 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapCompletedArgs *args;
  int token;

  /* A setup failure found inside _async: begin succeeded, so the caller
   * learns of the failure only from the signal, never from a return. */
  op = eap_test_begin_op (component, "open", &token);
  eap_operation_complete_error (op, eap_test_new_error ());
  CU_ASSERT_EQUAL (recorder->n_completed, 0);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (recorder, 0);
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args),
                                   G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (args), &token);

  eap_test_recorder_free (recorder);
}

static void
test_poll (void)   /* R8 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(EapOperation) found = NULL;
  g_autoptr(EapCompletedArgs) claimed = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  int token;

  op = eap_test_begin_op (component, "poll", &token);
  CU_ASSERT_FALSE (eap_operation_is_completed (op));
  CU_ASSERT_PTR_NULL (eap_operation_dup_completed_args (op));

  /* The user finds the same op by its user state. */
  found = eap_component_dup_operation (component, &token);
  CU_ASSERT_PTR_EQUAL (found, op);

  eap_operation_complete (op, NULL);

  /* Claimed: the poll says so at once, before the signal. */
  CU_ASSERT_TRUE (eap_operation_is_completed (found));
  claimed = eap_operation_dup_completed_args (found);
  CU_ASSERT_PTR_NOT_NULL_FATAL (claimed);
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (claimed));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (claimed));
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (claimed), &token);
  CU_ASSERT_EQUAL (recorder->n_completed, 0);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_operation_is_completed (op));

  eap_test_recorder_free (recorder);
}

typedef struct
{
  EapOperation *op;
  EapTestLatch  started;
  EapTestLatch  done;
  gboolean      ok;
  GError       *error;
  gboolean      completed_after;
} WaitThread;

static gpointer
wait_thread (gpointer data)
{
  WaitThread *wt = data;

  eap_test_latch_set (&wt->started);
  wt->ok = eap_operation_wait (wt->op, NULL, &wt->error);
  wt->completed_after = eap_operation_is_completed (wt->op);
  eap_test_latch_set (&wt->done);

  return NULL;
}

/* Starts a thread that waits for @op, completes @op with @args from this
 * thread without iterating any context, and checks the thread returned. */
static void
wait_from_thread (EapComponent     *component,
                  EapCompletedArgs *args,
                  WaitThread       *wt)
{
  GThread *thread;

  eap_test_latch_init (&wt->started);
  eap_test_latch_init (&wt->done);
  wt->op = eap_test_begin_op (component, "wait", NULL);

  thread = g_thread_new ("waiter", wait_thread, wt);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&wt->started, EAP_TEST_TIMEOUT_MS));

  /* Not completed, so the waiter cannot have returned. */
  CU_ASSERT_FALSE (eap_test_latch_is_set (&wt->done));

  eap_operation_complete (wt->op, args);

  /* The wait ends on the claim, without this context being iterated. */
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&wt->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  CU_ASSERT_TRUE (wt->completed_after);

  eap_test_latch_clear (&wt->started);
  eap_test_latch_clear (&wt->done);
}

static void
test_wait_from_thread (void)   /* R8 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  /* On the heap: a thread never sees this stack frame. */
  WaitThread *success = g_new0 (WaitThread, 1);
  WaitThread *failure = g_new0 (WaitThread, 1);
  WaitThread *cancelled = g_new0 (WaitThread, 1);

  wait_from_thread (component, NULL, success);
  CU_ASSERT_TRUE (success->ok);
  CU_ASSERT_PTR_NULL (success->error);

  wait_from_thread (component, new_error_args (), failure);
  CU_ASSERT_FALSE (failure->ok);
  CU_ASSERT_TRUE (g_error_matches (failure->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));

  wait_from_thread (component, new_cancelled_args (), cancelled);
  CU_ASSERT_FALSE (cancelled->ok);
  CU_ASSERT_TRUE (g_error_matches (cancelled->error, G_IO_ERROR, G_IO_ERROR_CANCELLED));

  /* The signals still come, once each. */
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 3, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 3);

  g_clear_error (&failure->error);
  g_clear_error (&cancelled->error);
  g_clear_object (&success->op);
  g_clear_object (&failure->op);
  g_clear_object (&cancelled->op);
  g_free (success);
  g_free (failure);
  g_free (cancelled);
  eap_test_recorder_free (recorder);
}

static gboolean
set_int_flag (gpointer data)
{
  g_atomic_int_set ((gint *) data, 1);
  return G_SOURCE_REMOVE;
}

static void
test_wait_would_block (void)   /* R8, R60 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(GError) error = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  GSource *idle;
  gint idle_ran = 0;
  gint64 start;

  op = eap_test_begin_op (component, "wait", NULL);

  /* Something ready on the context: if wait iterated it, this would run. */
  idle = g_idle_source_new ();
  g_source_set_callback (idle, set_int_flag, &idle_ran, NULL);
  g_source_attach (idle, eap_test_fixture ()->context);

  start = g_get_monotonic_time ();
  CU_ASSERT_FALSE (eap_operation_wait (op, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  CU_ASSERT_TRUE (g_get_monotonic_time () - start < 1 * G_TIME_SPAN_SECOND);   /* at once */
  CU_ASSERT_EQUAL (g_atomic_int_get (&idle_ran), 0);
  CU_ASSERT_FALSE (eap_operation_is_completed (op));

  g_source_destroy (idle);
  g_source_unref (idle);

  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_recorder_free (recorder);
}

typedef EapTestWaitAsync WaitAsync;


static void
test_wait_async (void)   /* R8 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(EapOperation) failing = NULL;
  g_autoptr(EapOperation) cancelled = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  WaitAsync ok = { recorder, }, ok2 = { recorder, }, late = { recorder, };
  WaitAsync err = { recorder, }, canc = { recorder, };
  int token;

  /* Success: callback after the signal, in the caller's context, once. */
  op = eap_test_begin_op (component, "bridge", &token);
  eap_operation_wait_async (op, NULL, eap_test_wait_async_cb, &ok);
  eap_operation_wait_async (op, NULL, eap_test_wait_async_cb, &ok2);
  eap_operation_complete (op, test_result_args_new ("value", NULL));
  CU_ASSERT_EQUAL (ok.n_calls, 0);

  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &ok, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &ok2, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (ok.n_calls, 1);
  CU_ASSERT_EQUAL (ok2.n_calls, 1);
  CU_ASSERT_EQUAL (ok.n_completed_at_call, 1);   /* completed was emitted first */
  CU_ASSERT_TRUE (ok.in_context);
  CU_ASSERT_PTR_NULL (ok.error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ok.args);
  CU_ASSERT_TRUE (TEST_IS_RESULT_ARGS (ok.args));
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (ok.args), &token);
  CU_ASSERT_STRING_EQUAL (test_result_args_get_text (TEST_RESULT_ARGS (ok.args), NULL), "value");

  /* Waiting on an op whose completed is already out: still once, later. */
  eap_operation_wait_async (op, NULL, eap_test_wait_async_cb, &late);
  CU_ASSERT_EQUAL (late.n_calls, 0);
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &late, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (late.n_calls, 1);
  CU_ASSERT_PTR_NOT_NULL (late.args);

  /* Failure: finish gives NULL and the op's error. */
  failing = eap_test_begin_op (component, "bridge", NULL);
  eap_operation_wait_async (failing, NULL, eap_test_wait_async_cb, &err);
  eap_operation_complete_error (failing, eap_test_new_error ());
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &err, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_PTR_NULL (err.args);
  CU_ASSERT_TRUE (g_error_matches (err.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));

  /* Cancellation: finish gives NULL and G_IO_ERROR_CANCELLED. */
  cancelled = eap_test_begin_op (component, "bridge", NULL);
  eap_test_complete_when_cancelled (cancelled);
  eap_operation_wait_async (cancelled, NULL, eap_test_wait_async_cb, &canc);
  eap_operation_cancel (cancelled);
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (eap_test_wait_async_called, &canc, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_PTR_NULL (canc.args);
  CU_ASSERT_TRUE (g_error_matches (canc.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));

  eap_test_drain ();
  CU_ASSERT_EQUAL (err.n_calls, 1);
  CU_ASSERT_EQUAL (canc.n_calls, 1);
  CU_ASSERT_EQUAL (recorder->n_completed, 3);

  eap_test_wait_async_clear (&ok);
  eap_test_wait_async_clear (&ok2);
  eap_test_wait_async_clear (&late);
  eap_test_wait_async_clear (&err);
  eap_test_wait_async_clear (&canc);
  eap_test_recorder_free (recorder);
}

/* R8: a GIO-style wait whose own cancellable races the completion. */

#define WAIT_RACE_N_OPS 300

typedef struct
{
  EapOperation *op;
  GCancellable *wait_cancellable;
  gint          arrived;
  guint         n_calls;
  gboolean      got_args;
  gboolean      got_cancelled;
} WaitRaceOp;

typedef struct
{
  WaitRaceOp   ops[WAIT_RACE_N_OPS];
  EapTestLatch done[2];
  gint         n_timeouts;   /* atomic */
} WaitRace;

typedef struct
{
  WaitRace *race;
  guint     index;
} WaitRaceThread;

static void
wait_race_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  WaitRaceOp *wop = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EapCompletedArgs) args = eap_operation_wait_finish (EAP_OPERATION (source),
                                                                result, &error);

  wop->n_calls++;
  wop->got_args = args != NULL;
  wop->got_cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gpointer
wait_race_thread (gpointer data)
{
  WaitRaceThread *wrt = data;
  WaitRace *race = wrt->race;

  for (guint i = 0; i < WAIT_RACE_N_OPS; i++)
    {
      WaitRaceOp *wop = &race->ops[i];
      gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);

      g_atomic_int_inc (&wop->arrived);
      while (g_atomic_int_get (&wop->arrived) < 2)
        {
          if (eap_test_deadline_passed (deadline))
            {
              g_atomic_int_inc (&race->n_timeouts);
              break;
            }
          g_thread_yield ();
        }

      if ((wrt->index + i) % 2 == 0)
        g_cancellable_cancel (wop->wait_cancellable);
      else
        eap_operation_complete (wop->op, NULL);
    }

  eap_test_latch_set (&race->done[wrt->index]);
  return NULL;
}

static gboolean
wait_race_all_called (gpointer data)
{
  WaitRace *race = data;

  for (guint i = 0; i < WAIT_RACE_N_OPS; i++)
    if (race->ops[i].n_calls == 0)
      return FALSE;
  return TRUE;
}

static void
test_wait_async_cancel_race (void)   /* R8 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  WaitRace *race = g_new0 (WaitRace, 1);   /* threads never see the stack */
  WaitRaceThread *wrts = g_new0 (WaitRaceThread, 2);
  GThread *threads[2];
  guint n_bad = 0, n_cancelled = 0;

  for (guint i = 0; i < WAIT_RACE_N_OPS; i++)
    {
      WaitRaceOp *wop = &race->ops[i];

      wop->op = eap_test_begin_op (component, "awaited", NULL);
      wop->wait_cancellable = g_cancellable_new ();
      eap_operation_wait_async (wop->op, wop->wait_cancellable, wait_race_cb, wop);
    }

  for (guint t = 0; t < 2; t++)
    {
      eap_test_latch_init (&race->done[t]);
      wrts[t].race = race;
      wrts[t].index = t;
      threads[t] = g_thread_new ("wait-racer", wait_race_thread, &wrts[t]);
    }
  /* Dispatch while they race. */
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until ((EapTestCondition) eap_test_latch_is_set,
                                             &race->done[0], STRESS_TIMEOUT_MS));
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until ((EapTestCondition) eap_test_latch_is_set,
                                             &race->done[1], STRESS_TIMEOUT_MS));
  for (guint t = 0; t < 2; t++)
    {
      g_thread_join (threads[t]);
      eap_test_latch_clear (&race->done[t]);
    }
  CU_ASSERT_EQUAL (race->n_timeouts, 0);

  CU_ASSERT_TRUE (eap_test_wait_until (wait_race_all_called, race, STRESS_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, WAIT_RACE_N_OPS, STRESS_TIMEOUT_MS));
  eap_test_drain ();

  /* Each callback ran exactly once, with one outcome or the other. */
  for (guint i = 0; i < WAIT_RACE_N_OPS; i++)
    {
      WaitRaceOp *wop = &race->ops[i];

      if (wop->n_calls != 1 || wop->got_args == wop->got_cancelled)
        n_bad++;
      if (wop->got_cancelled)
        n_cancelled++;
      g_clear_object (&wop->op);
      g_clear_object (&wop->wait_cancellable);
    }
  CU_ASSERT_EQUAL (n_bad, 0);
  CU_ASSERT_EQUAL (recorder->n_completed, WAIT_RACE_N_OPS);
  g_printerr ("  %u waits cancelled first, %u completed first\n",
              n_cancelled, WAIT_RACE_N_OPS - n_cancelled);

  g_free (wrts);
  g_free (race);
  eap_test_recorder_free (recorder);
}

/* R14 */

typedef struct
{
  EapComponent *component;
  guint         n;
  guint         target;
  guintptr      lowest;
  guintptr      highest;
  gboolean      in_handler;
  guint         n_reentered;
  guint         n_begin_failed;
  guint         n_bad_depth;
} Chain;

static void
chain_on_completed (EapComponent     *component,
                    EapCompletedArgs *args,
                    Chain            *chain)
{
  guintptr frame = (guintptr) __builtin_frame_address (0);

  if (chain->in_handler)
    chain->n_reentered++;
  chain->in_handler = TRUE;

  if (g_main_depth () != 1)
    chain->n_bad_depth++;

  chain->n++;
  chain->lowest = MIN (chain->lowest, frame);
  chain->highest = MAX (chain->highest, frame);

  if (chain->n < chain->target)
    {
      EapOperation *op = eap_component_begin_operation (component, "step", NULL, NULL);

      if (op == NULL)
        chain->n_begin_failed++;
      else
        {
          eap_operation_complete (op, NULL);
          g_object_unref (op);
        }
    }

  chain->in_handler = FALSE;
}

static gboolean
chain_done (gpointer data)
{
  Chain *chain = data;

  return chain->n >= chain->target;
}

static void
test_chain_constant_stack (void)   /* R14 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  Chain chain = { component, 0, 100000, G_MAXSIZE, 0, };

  g_signal_connect (component, "completed::step", G_CALLBACK (chain_on_completed), &chain);

  op = eap_test_begin_op (component, "step", NULL);
  eap_operation_complete (op, NULL);

  CU_ASSERT_TRUE (eap_test_wait_until (chain_done, &chain, STRESS_TIMEOUT_MS));
  eap_test_drain ();

  CU_ASSERT_EQUAL (chain.n, 100000);
  CU_ASSERT_EQUAL (chain.n_reentered, 0);
  CU_ASSERT_EQUAL (chain.n_begin_failed, 0);
  CU_ASSERT_EQUAL (chain.n_bad_depth, 0);
  CU_ASSERT_TRUE (chain.highest - chain.lowest < 64 * 1024);
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));

  g_signal_handlers_disconnect_by_data (component, &chain);
}

/* R16 */

#define RACE_N_OPS 1000
#define RACE_N_THREADS 3

enum {
  WON_SUCCESS = 1 << 0,
  WON_ERROR = 1 << 1,
  WON_CANCEL = 1 << 2,
};

typedef struct _Race Race;

typedef struct
{
  Race *race;
  guint index;
} RaceThread;

typedef struct
{
  Race         *race;
  EapOperation *op;
  gulong        cancelled_id;
  gint          arrived;
  gint          winners;       /* WON_* bits, atomic */
  gint          n_wins;        /* atomic */
} RaceOp;

struct _Race
{
  RaceOp       ops[RACE_N_OPS];
  RaceThread   threads[RACE_N_THREADS];
  EapTestLatch done[RACE_N_THREADS];
  gint         n_timeouts;     /* atomic */
};

static void
race_cancelled_cb (GCancellable *cancellable,
                   RaceOp       *rop)
{
  if (eap_operation_try_complete (rop->op, new_cancelled_args ()))
    {
      g_atomic_int_or (&rop->winners, WON_CANCEL);
      g_atomic_int_inc (&rop->n_wins);
    }
}

static gpointer
race_thread (gpointer data)
{
  RaceThread *rt = data;
  Race *race = rt->race;

  for (guint i = 0; i < RACE_N_OPS; i++)
    {
      RaceOp *rop = &race->ops[i];
      gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);

      /* A barrier per op, so the three really race on it. */
      g_atomic_int_inc (&rop->arrived);
      while (g_atomic_int_get (&rop->arrived) < RACE_N_THREADS)
        {
          if (eap_test_deadline_passed (deadline))
            {
              g_atomic_int_inc (&race->n_timeouts);
              break;
            }
          g_thread_yield ();
        }

      switch ((rt->index + i) % RACE_N_THREADS)
        {
        case 0:
          if (eap_operation_try_complete (rop->op, NULL))
            {
              g_atomic_int_or (&rop->winners, WON_SUCCESS);
              g_atomic_int_inc (&rop->n_wins);
            }
          break;
        case 1:
          if (eap_operation_try_complete (rop->op, new_error_args ()))
            {
              g_atomic_int_or (&rop->winners, WON_ERROR);
              g_atomic_int_inc (&rop->n_wins);
            }
          break;
        default:
          eap_operation_cancel (rop->op);
          break;
        }
    }

  eap_test_latch_set (&race->done[rt->index]);
  return NULL;
}

static void
test_racing_completions (void)   /* R16, R23, R27 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  Race *race = g_new0 (Race, 1);
  GThread *threads[RACE_N_THREADS];
  guint n_bad = 0;
  guint by_kind[3] = { 0, };

  for (guint i = 0; i < RACE_N_OPS; i++)
    {
      RaceOp *rop = &race->ops[i];

      rop->race = race;
      rop->op = eap_test_begin_op (component, "race", GUINT_TO_POINTER (i + 1));
      rop->cancelled_id = g_cancellable_connect (eap_operation_get_cancellable (rop->op),
                                                 G_CALLBACK (race_cancelled_cb), rop, NULL);
    }

  for (guint t = 0; t < RACE_N_THREADS; t++)
    {
      eap_test_latch_init (&race->done[t]);
      race->threads[t].race = race;
      race->threads[t].index = t;
      threads[t] = g_thread_new ("racer", race_thread, &race->threads[t]);
    }
  for (guint t = 0; t < RACE_N_THREADS; t++)
    {
      CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&race->done[t], STRESS_TIMEOUT_MS));
      g_thread_join (threads[t]);
      eap_test_latch_clear (&race->done[t]);
    }
  CU_ASSERT_EQUAL (race->n_timeouts, 0);

  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, RACE_N_OPS, STRESS_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, RACE_N_OPS);

  for (guint i = 0; i < RACE_N_OPS; i++)
    {
      RaceOp *rop = &race->ops[i];
      g_autoptr(EapCompletedArgs) args = eap_operation_dup_completed_args (rop->op);
      gboolean ok;

      ok = rop->n_wins == 1 && args != NULL &&
           eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED,
                                    GUINT_TO_POINTER (i + 1)) == 1;
      if (ok)
        {
          const GError *error = eap_completed_args_get_error (args);
          gboolean cancelled = eap_completed_args_get_cancelled (args);

          switch (rop->winners)
            {
            case WON_SUCCESS:
              ok = error == NULL && !cancelled;
              by_kind[0]++;
              break;
            case WON_ERROR:
              ok = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && !cancelled;
              by_kind[1]++;
              break;
            case WON_CANCEL:
              ok = error == NULL && cancelled;
              by_kind[2]++;
              break;
            default:
              ok = FALSE;
            }
        }
      if (!ok)
        n_bad++;

      g_cancellable_disconnect (eap_operation_get_cancellable (rop->op), rop->cancelled_id);
      g_clear_object (&rop->op);
    }

  CU_ASSERT_EQUAL (n_bad, 0);
  g_printerr ("  race winners: %u success, %u error, %u cancel\n",
              by_kind[0], by_kind[1], by_kind[2]);

  g_free (race);
  eap_test_recorder_free (recorder);
}

typedef struct
{
  EapOperation *op;
  guint         n_reports;
} Reporter;

static gpointer
report_then_complete_thread (gpointer data)
{
  Reporter *reporter = data;

  for (guint i = 1; i <= reporter->n_reports; i++)
    eap_operation_report_progress (reporter->op, i, reporter->n_reports);
  eap_operation_complete (reporter->op, NULL);

  return NULL;
}

static void
test_progress_before_completed (void)   /* R17 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) queued = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GPtrArray) progress = NULL;
  int tokens[4];

  eap_component_set_progress_interval (component, 0);

  /* A report still queued when completion is claimed is flushed before
   * completed, never after. */
  queued = eap_test_begin_op (component, "queued", &tokens[0]);
  eap_operation_report_progress (queued, 3, 10);
  eap_operation_complete (queued, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  assert_progress_then_completed (recorder, &tokens[0]);
  progress = recorded_progress (recorder, &tokens[0]);
  CU_ASSERT_EQUAL_FATAL (progress->len, 1);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (progress->pdata[0]), 3);

  /* Workers reporting flat out, then completing, while this thread
   * dispatches: per op, progress* completed. */
  {
    Reporter reporters[3];
    GThread *threads[3];

    for (guint i = 0; i < 3; i++)
      {
        reporters[i].op = eap_test_begin_op (component, "busy", &tokens[i + 1]);
        reporters[i].n_reports = 20000;
        threads[i] = g_thread_new ("reporter", report_then_complete_thread, &reporters[i]);
      }

    CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 4, STRESS_TIMEOUT_MS));
    for (guint i = 0; i < 3; i++)
      {
        g_thread_join (threads[i]);
        g_object_unref (reporters[i].op);
      }
  }

  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 4);
  for (guint i = 1; i < 4; i++)
    {
      g_autoptr(GPtrArray) p = recorded_progress (recorder, &tokens[i]);

      CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, &tokens[i]), 1);
      assert_progress_then_completed (recorder, &tokens[i]);
      /* The newest value, never dropped, is the last one shown. */
      CU_ASSERT_TRUE_FATAL (p->len > 0);
      CU_ASSERT_EQUAL (eap_progress_args_get_done (p->pdata[p->len - 1]), 20000);
    }

  eap_test_recorder_free (recorder);
}

static void
test_post_after_completion (void)   /* R18 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(EapCompletedArgs) args = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  int token;

  eap_component_set_progress_interval (component, 0);
  op = eap_test_begin_op (component, "once", &token);
  eap_operation_complete (op, NULL);

  /* Claimed but not yet emitted: every further post is refused. */
  EAP_TEST_EXPECT_CRITICAL (eap_operation_report_progress (op, 1, 2));
  EAP_TEST_EXPECT_CRITICAL (eap_operation_report_progress_args (op, eap_progress_args_new (1, 2)));
  EAP_TEST_EXPECT_CRITICAL (eap_operation_complete (op, new_error_args ()));
  EAP_TEST_EXPECT_CRITICAL (eap_operation_complete_error (op, eap_test_new_error ()));
  CU_ASSERT_FALSE (eap_operation_try_complete (op, new_error_args ()));   /* quietly */
  CU_ASSERT_FALSE (eap_operation_return_error_if_cancelled (op));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));

  /* And after the emission too. */
  EAP_TEST_EXPECT_CRITICAL (eap_operation_report_progress (op, 2, 2));
  EAP_TEST_EXPECT_CRITICAL (eap_operation_complete (op, NULL));
  CU_ASSERT_FALSE (eap_operation_try_complete (op, NULL));

  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 1);
  CU_ASSERT_EQUAL (recorder->n_progress, 0);

  /* The first outcome stands. */
  args = eap_operation_dup_completed_args (op);
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));

  eap_test_recorder_free (recorder);
}

static void
test_timeout (void)   /* R19 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(GError) error = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapCompletedArgs *args;

  op = eap_test_begin_op (component, "slow", NULL);
  eap_test_complete_when_cancelled (op);
  eap_operation_set_timeout (op, 20);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (eap_operation_get_cancellable (op)));
  args = eap_test_recorder_get_completed (recorder, 0);
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args),
                                   G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_FALSE (eap_completed_args_propagate_error (args, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));

  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 1);
  eap_test_recorder_free (recorder);
}

static void
test_timeout_not_reached (void)   /* R19, R31 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *op;
  EapCompletedArgs *args;

  /* Done well before its limit: a plain success, and the timer goes
   * with the op (no ref left behind on the context). */
  op = eap_test_begin_op (component, "quick", NULL);
  g_object_add_weak_pointer (G_OBJECT (op), (gpointer *) &op);
  eap_test_complete_when_cancelled (op);
  eap_operation_set_timeout (op, 60000);
  eap_operation_complete (op, NULL);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (recorder, 0);
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));

  eap_test_drain ();
  g_object_unref (op);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (op);

  eap_test_recorder_free (recorder);
}

static void
test_dropped_without_completing (void)   /* R20 */
{
  EapComponent *component = eap_test_component_new ();
  EapOperation *op;
  EapOperation *again;
  int token;

  g_object_add_weak_pointer (G_OBJECT (component), (gpointer *) &component);

  op = eap_test_begin_op (component, "forgotten", &token);
  CU_ASSERT_TRUE (eap_component_get_is_busy (component));

  /* The implementation lets go of it without completing it. */
  EAP_TEST_EXPECT_CRITICAL (g_object_unref (op));
  eap_test_drain ();

  /* Its slot is free: not busy, the user state may be used again. */
  CU_ASSERT_FALSE (eap_component_get_is_busy (component));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (component), 0);
  CU_ASSERT_PTR_NULL (eap_component_dup_operation (component, &token));
  again = eap_test_begin_op (component, "forgotten", &token);
  eap_operation_complete (again, NULL);
  g_object_unref (again);
  eap_test_drain ();

  /* And its hold on the component is gone: the component finalizes. */
  g_object_unref (component);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (component);
}

static void
test_late_cancel_harmless (void)   /* R31 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(EapOperation) other = NULL;
  EapOperation *op;
  int token, other_token;

  op = eap_test_begin_op (component, "short", &token);
  other = eap_test_begin_op (component, "short", &other_token);
  g_object_add_weak_pointer (G_OBJECT (op), (gpointer *) &op);

  /* Each op owns its own cancellable. */
  cancellable = g_object_ref (eap_operation_get_cancellable (op));
  CU_ASSERT_TRUE (G_IS_CANCELLABLE (cancellable));
  CU_ASSERT_PTR_NOT_EQUAL (cancellable, eap_operation_get_cancellable (other));

  eap_operation_set_timeout (op, 60000);
  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));

  /* Late cancels, by every route, change nothing. */
  eap_operation_cancel (op);
  eap_component_cancel_async (component, &token);
  g_cancellable_cancel (cancellable);
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 1);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (eap_test_recorder_get_completed (recorder, 0)));
  CU_ASSERT_FALSE (g_cancellable_is_cancelled (eap_operation_get_cancellable (other)));

  /* Once the op is gone, a cancellable outliving it can still be
   * cancelled: nothing of the op may still be connected to it. */
  g_object_unref (op);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL_FATAL (op);
  g_cancellable_reset (cancellable);
  g_cancellable_cancel (cancellable);

  eap_operation_complete (other, NULL);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_recorder_free (recorder);
}

static void
test_args_type_on_every_path (void)   /* R3, R22 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *ops[3];
  int tokens[3];

  /* Handlers of a typed operation get its type whichever way it ends. */
  for (guint i = 0; i < 3; i++)
    {
      ops[i] = eap_test_begin_op (component, "typed", &tokens[i]);
      eap_operation_set_completed_args_type (ops[i], TEST_TYPE_RESULT_ARGS);
    }
  eap_operation_complete_error (ops[0], eap_test_new_error ());
  eap_operation_cancel (ops[1]);
  CU_ASSERT_TRUE (eap_operation_return_error_if_cancelled (ops[1]));
  eap_operation_complete (ops[2], NULL);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 3, EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < 3; i++)
    {
      EapCompletedArgs *args = eap_test_recorder_get_completed (recorder, i);
      gpointer state = eap_completed_args_get_user_state (args);
      g_autoptr(GError) error = NULL;
      const char *text;

      CU_ASSERT_TRUE_FATAL (TEST_IS_RESULT_ARGS (args));
      text = test_result_args_get_text (TEST_RESULT_ARGS (args), &error);
      CU_ASSERT_PTR_NULL (text);
      if (state == &tokens[0])
        {
          CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
        }
      else if (state == &tokens[1])
        {
          CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
          CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
        }
      else
        {
          CU_ASSERT_PTR_NULL (error);   /* success, with the fields at their defaults */
        }
    }

  for (guint i = 0; i < 3; i++)
    g_object_unref (ops[i]);
  eap_test_recorder_free (recorder);
}

static void
test_cancel_before_cancellable (void)   /* R31, R5 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(EapOperation) op = NULL;
  GCancellable *cancellable;
  int token;

  /* Cancelled before the component ever asked for the cancellable: the one
   * it gets afterwards is already cancelled, and the check sees it. */
  op = eap_test_begin_op (component, "early", &token);
  eap_component_cancel_async (component, &token);
  cancellable = eap_operation_get_cancellable (op);
  CU_ASSERT_TRUE (g_cancellable_is_cancelled (cancellable));
  CU_ASSERT_PTR_EQUAL (eap_operation_get_cancellable (op), cancellable);   /* one per op */
  CU_ASSERT_TRUE (eap_operation_return_error_if_cancelled (op));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (eap_test_recorder_get_completed (recorder, 0)));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (eap_test_recorder_get_completed (recorder, 0)));

  eap_test_recorder_free (recorder);
}

static void
test_result_before_cancel_stands (void)   /* R27 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) done = NULL;
  g_autoptr(EapOperation) failed = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapCompletedArgs *args;
  int token_done, token_failed;

  done = eap_test_begin_op (component, "work", &token_done);
  failed = eap_test_begin_op (component, "work", &token_failed);
  eap_test_complete_when_cancelled (done);
  eap_test_complete_when_cancelled (failed);

  /* The work finished first; the cancel arrives before the signal. */
  eap_operation_complete (done, test_result_args_new ("42", NULL));
  eap_operation_complete_error (failed, eap_test_new_error ());
  eap_component_cancel_async (component, &token_done);
  eap_component_cancel_async (component, &token_failed);
  eap_component_cancel_all (component);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 2);

  for (guint i = 0; i < 2; i++)
    {
      args = eap_test_recorder_get_completed (recorder, i);
      CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
      if (eap_completed_args_get_user_state (args) == &token_done)
        {
          CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
          CU_ASSERT_STRING_EQUAL (test_result_args_get_text (TEST_RESULT_ARGS (args), NULL), "42");
        }
      else
        CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args),
                                         G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
    }

  eap_test_recorder_free (recorder);
}

static void
test_percentage_never_decreases (void)   /* R32 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GPtrArray) progress = NULL;
  const gint64 reports[][2] = {
    { 50, 100 }, { 20, 100 }, { 70, 100 }, { 10, 200 }, { 500, 100 }, { 30, 100 },
  };
  int last = 0;

  eap_component_set_progress_interval (component, 0);
  op = eap_test_begin_op (component, "jumpy", NULL);

  /* One at a time, each emitted before the next is reported. */
  for (guint i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      eap_operation_report_progress (op, reports[i][0], reports[i][1]);
      CU_ASSERT_TRUE_FATAL (wait_progress (recorder, i + 1));
    }
  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));

  progress = recorded_progress (recorder, NULL);
  CU_ASSERT_EQUAL_FATAL (progress->len, G_N_ELEMENTS (reports));
  for (guint i = 0; i < progress->len; i++)
    {
      int percentage = eap_progress_args_get_percentage (progress->pdata[i]);

      CU_ASSERT_TRUE (percentage >= 0 && percentage <= 100);
      CU_ASSERT_TRUE (percentage >= last);
      /* The counts are reported as they are. */
      CU_ASSERT_EQUAL (eap_progress_args_get_done (progress->pdata[i]), reports[i][0]);
      last = percentage;
    }
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (progress->pdata[0]), 50);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (progress->pdata[4]), 100);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (progress->pdata[5]), 100);

  eap_test_recorder_free (recorder);
}

static void
test_indeterminate_progress (void)   /* R33 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GPtrArray) progress = NULL;

  eap_component_set_progress_interval (component, 0);
  op = eap_test_begin_op (component, "stream", NULL);

  eap_operation_report_progress (op, 12345, -1);
  CU_ASSERT_TRUE_FATAL (wait_progress (recorder, 1));
  eap_operation_report_progress (op, 99999, -1);
  CU_ASSERT_TRUE_FATAL (wait_progress (recorder, 2));
  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));

  progress = recorded_progress (recorder, NULL);
  CU_ASSERT_EQUAL_FATAL (progress->len, 2);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (progress->pdata[0]), -1);
  CU_ASSERT_TRUE (eap_progress_args_get_indeterminate (progress->pdata[0]));
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (progress->pdata[0]), 0);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (progress->pdata[0]), 12345);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (progress->pdata[1]), 0);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (progress->pdata[1]), 99999);

  eap_test_recorder_free (recorder);
}

static void
test_progress_coalesced (void)   /* R34 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(EapOperation) every = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GPtrArray) progress = NULL;
  int token_every;

  /* Even with interval 0: reports made between two dispatches are one
   * emission, with the newest values. */
  eap_component_set_progress_interval (component, 0);
  op = eap_test_begin_op (component, "burst", NULL);
  for (guint i = 1; i <= 100; i++)
    eap_operation_report_progress (op, i, 100);
  CU_ASSERT_TRUE_FATAL (wait_progress (recorder, 1));
  eap_test_drain ();
  progress = recorded_progress (recorder, NULL);
  CU_ASSERT_EQUAL_FATAL (progress->len, 1);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (progress->pdata[0]), 100);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (progress->pdata[0]), 100);

  /* Interval 0 shows every report that has a dispatch of its own. */
  every = eap_test_begin_op (component, "every", &token_every);
  for (guint i = 1; i <= 10; i++)
    {
      eap_operation_report_progress (every, i, 10);
      CU_ASSERT_TRUE_FATAL (wait_progress (recorder, 1 + i));
    }
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_PROGRESS, &token_every), 10);

  eap_operation_complete (op, NULL);
  eap_operation_complete (every, NULL);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  eap_test_recorder_free (recorder);
}

static void
test_progress_interval_property (void)   /* R34 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (component),
                                                    "progress-interval");
  guint value = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
  CU_ASSERT_TRUE ((pspec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE);
  CU_ASSERT_EQUAL (eap_component_get_progress_interval (component), 50);   /* the default */
  g_object_set (component, "progress-interval", 0, NULL);
  g_object_get (component, "progress-interval", &value, NULL);
  CU_ASSERT_EQUAL (value, 0);
  CU_ASSERT_EQUAL (eap_component_get_progress_interval (component), 0);
}

#define FLOOD_MIN_DURATION_US (400 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  EapOperation *op;
  guint         n_reports;    /* distinct values, the last one is the total */
  guint64       n_calls;      /* reports made in all, repeats included */
  EapTestLatch  done;
} Flood;

static gpointer
flood_thread (gpointer data)
{
  Flood *flood = data;
  gint64 start = g_get_monotonic_time ();

  /* A tight loop of reports, kept up for several progress intervals: a
   * fast machine repeats the current value rather than finish early. */
  for (guint i = 1; i <= flood->n_reports; i++)
    {
      eap_operation_report_progress (flood->op, i, flood->n_reports);
      flood->n_calls++;
      if (i % 1000 == 0)
        while (g_get_monotonic_time () - start <
               (gint64) i * FLOOD_MIN_DURATION_US / flood->n_reports)
          {
            eap_operation_report_progress (flood->op, i, flood->n_reports);
            flood->n_calls++;
          }
    }
  eap_operation_complete (flood->op, NULL);
  eap_test_latch_set (&flood->done);

  return NULL;
}

static void
test_million_reports_bounded (void)   /* R34, R35 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GPtrArray) progress = NULL;
  Flood *flood = g_new0 (Flood, 1);   /* threads never see the stack */
  EapProgressArgs *last;
  GThread *thread;
  gint64 start, elapsed_ms;
  gboolean completed_last = FALSE;

  CU_ASSERT_EQUAL (eap_component_get_progress_interval (component), 50);
  flood->n_reports = 1000000;
  eap_test_latch_init (&flood->done);
  flood->op = eap_test_begin_op (component, "flood", NULL);

  start = g_get_monotonic_time ();
  thread = g_thread_new ("flood", flood_thread, flood);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (recorder, 1, STRESS_TIMEOUT_MS));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&flood->done, STRESS_TIMEOUT_MS));
  g_thread_join (thread);
  eap_test_latch_clear (&flood->done);
  eap_test_drain ();

  /* At most one emission per 50 ms, plus the first and the final flush. */
  g_printerr ("  %u emissions for %" G_GUINT64_FORMAT " reports in %" G_GINT64_FORMAT " ms\n",
              recorder->n_progress, flood->n_calls, elapsed_ms);
  CU_ASSERT_TRUE (flood->n_calls >= 1000000);
  CU_ASSERT_TRUE (recorder->n_progress <= elapsed_ms / 50 + 3);
  CU_ASSERT_TRUE (recorder->n_progress < 1000);

  /* The last value arrives, at 100 %, before completed. */
  progress = recorded_progress (recorder, NULL);
  CU_ASSERT_TRUE_FATAL (progress->len > 0);
  last = progress->pdata[progress->len - 1];
  CU_ASSERT_EQUAL (eap_progress_args_get_done (last), 1000000);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (last), 1000000);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (last), 100);
  assert_progress_then_completed (recorder, NULL);
  {
    EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent,
                                          recorder->events->len - 1);

    completed_last = event->kind == EAP_TEST_EVENT_COMPLETED;
  }
  CU_ASSERT_TRUE (completed_last);

  g_object_unref (flood->op);
  eap_test_recorder_free (recorder);
  g_free (flood);
}

/* R47 */

#define ORDER_N_THREADS 4
#define ORDER_N_REPORTS 5000

typedef struct _Order Order;

typedef struct
{
  Order *order;
  guint  index;
} OrderThread;

struct _Order
{
  EapOperation *op;
  GMutex        mutex;          /* serialises production */
  gint64        produced;       /* under mutex */
  EapTestLatch  done[ORDER_N_THREADS];
  gint64        last_seen;
  guint         n_out_of_order;
  OrderThread   threads[ORDER_N_THREADS];
};

static gpointer
order_thread (gpointer data)
{
  OrderThread *ot = data;
  Order *order = ot->order;

  for (guint i = 0; i < ORDER_N_REPORTS; i++)
    {
      g_mutex_lock (&order->mutex);
      order->produced++;
      if (order->produced % 2 == 0)
        eap_operation_report_progress (order->op, order->produced,
                                       ORDER_N_THREADS * ORDER_N_REPORTS);
      else
        eap_operation_report_progress_args (order->op,
                                            test_item_progress_args_new (order->produced,
                                                                         ORDER_N_THREADS * ORDER_N_REPORTS,
                                                                         (int) order->produced));
      g_mutex_unlock (&order->mutex);
    }

  eap_test_latch_set (&order->done[ot->index]);
  return NULL;
}

static void
order_on_progress (EapComponent    *component,
                   EapProgressArgs *args,
                   Order           *order)
{
  gint64 done = eap_progress_args_get_done (args);

  if (done <= order->last_seen)
    order->n_out_of_order++;
  if (TEST_IS_ITEM_PROGRESS_ARGS (args) && TEST_ITEM_PROGRESS_ARGS (args)->item != done)
    order->n_out_of_order++;
  order->last_seen = done;
}

static void
progress_in_order (guint interval_ms)
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  Order *order = g_new0 (Order, 1);   /* threads never see the stack */
  GThread *threads[ORDER_N_THREADS];

  eap_component_set_progress_interval (component, interval_ms);
  g_mutex_init (&order->mutex);
  order->op = eap_test_begin_op (component, "ordered", NULL);
  g_signal_connect (component, "progress-changed::ordered", G_CALLBACK (order_on_progress), order);

  for (guint t = 0; t < ORDER_N_THREADS; t++)
    {
      eap_test_latch_init (&order->done[t]);
      order->threads[t].order = order;
      order->threads[t].index = t;
      threads[t] = g_thread_new ("producer", order_thread, &order->threads[t]);
    }

  /* Dispatch while they produce. */
  for (guint t = 0; t < ORDER_N_THREADS; t++)
    {
      CU_ASSERT_TRUE_FATAL (eap_test_wait_until ((EapTestCondition) eap_test_latch_is_set,
                                                 &order->done[t], STRESS_TIMEOUT_MS));
      g_thread_join (threads[t]);
      eap_test_latch_clear (&order->done[t]);
    }

  eap_operation_complete (order->op, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));

  CU_ASSERT_TRUE (recorder->n_progress > 0);
  CU_ASSERT_EQUAL (order->n_out_of_order, 0);
  CU_ASSERT_EQUAL (order->last_seen, ORDER_N_THREADS * ORDER_N_REPORTS);

  g_signal_handlers_disconnect_by_data (component, order);
  g_object_unref (order->op);
  g_mutex_clear (&order->mutex);
  eap_test_recorder_free (recorder);
  g_free (order);
}

static void
test_progress_order_every_report (void)   /* R47 */
{
  progress_in_order (0);
}

static void
test_progress_order_default_interval (void)   /* R47 */
{
  progress_in_order (50);
}

static void
test_progress_subclass (void)   /* R6, R37 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) op = NULL;
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  g_autoptr(GPtrArray) progress = NULL;
  EapProgressArgs *args;
  int token;

  eap_component_set_progress_interval (component, 0);
  op = eap_test_begin_op (component, "items", &token);
  eap_operation_report_progress_args (op, test_item_progress_args_new (3, 12, 77));
  CU_ASSERT_TRUE_FATAL (wait_progress (recorder, 1));
  eap_operation_complete (op, NULL);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));

  progress = recorded_progress (recorder, &token);
  CU_ASSERT_EQUAL_FATAL (progress->len, 1);
  args = progress->pdata[0];
  CU_ASSERT_TRUE_FATAL (TEST_IS_ITEM_PROGRESS_ARGS (args));
  CU_ASSERT_EQUAL (TEST_ITEM_PROGRESS_ARGS (args)->item, 77);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (args), 3);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (args), 12);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (args), 25);
  CU_ASSERT_FALSE (eap_progress_args_get_indeterminate (args));
  CU_ASSERT_PTR_EQUAL (eap_progress_args_get_user_state (args), &token);
  CU_ASSERT_STRING_EQUAL (eap_progress_args_get_operation_name (args), "items");

  /* Delivered args are frozen, like completed args. */
  EAP_TEST_EXPECT_COMPLAINT (g_object_set (args, "done", (gint64) 11, NULL));
  CU_ASSERT_EQUAL (eap_progress_args_get_done (args), 3);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (args), 25);

  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* EapCompletedArgs                                                     */
/* ------------------------------------------------------------------ */

static void
test_args_payload (void)   /* R21 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(EapOperation) ok = NULL;
  g_autoptr(EapOperation) failed = NULL;
  g_autoptr(GError) error = eap_test_new_error ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapCompletedArgs *args;
  GError *prop_error = NULL;
  gboolean prop_cancelled = TRUE;
  gpointer prop_state = NULL;
  char *prop_name = NULL;
  static const char some_state[] = "exactly this pointer";

  ok = eap_test_begin_op (component, "payload", (gpointer) some_state);
  failed = eap_test_begin_op (component, "payload", NULL);
  eap_operation_complete (ok, NULL);
  eap_operation_complete (failed, eap_completed_args_new (error));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));

  for (guint i = 0; i < 2; i++)
    {
      args = eap_test_recorder_get_completed (recorder, i);
      if (eap_completed_args_get_user_state (args) == some_state)
        {
          CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
          CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
          g_object_get (args, "error", &prop_error, "cancelled", &prop_cancelled,
                        "user-state", &prop_state, "operation-name", &prop_name, NULL);
          CU_ASSERT_PTR_NULL (prop_error);
          CU_ASSERT_FALSE (prop_cancelled);
          CU_ASSERT_PTR_EQUAL (prop_state, some_state);
          CU_ASSERT_STRING_EQUAL (prop_name, "payload");
          g_clear_pointer (&prop_name, g_free);
        }
      else
        {
          const GError *got = eap_completed_args_get_error (args);

          CU_ASSERT_PTR_NULL (eap_completed_args_get_user_state (args));
          CU_ASSERT_TRUE (g_error_matches (got, error->domain, error->code));
          CU_ASSERT_STRING_EQUAL (got->message, error->message);
          CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
        }
    }

  /* All readable; the identity only the op fills in is read-only. Error
   * and cancelled are set by the component when it makes the args, and
   * cannot change once delivered (R24 checks that). */
  {
    GObjectClass *klass = g_type_class_peek (EAP_TYPE_COMPLETED_ARGS);
    const char *names[] = { "error", "cancelled", "user-state", "operation-name" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        GParamSpec *pspec = g_object_class_find_property (klass, names[i]);

        CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
        CU_ASSERT_TRUE (pspec->flags & G_PARAM_READABLE);
        if (i >= 2)
          CU_ASSERT_TRUE (!(pspec->flags & G_PARAM_WRITABLE) ||
                          (pspec->flags & G_PARAM_CONSTRUCT_ONLY));
      }
  }

  eap_test_recorder_free (recorder);
}

static void
test_args_propagate_error (void)   /* R22, R3 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(GError) error = eap_test_new_error ();
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *ops[3];
  int tokens[3];

  ops[0] = eap_test_begin_op (component, "typed", &tokens[0]);
  ops[1] = eap_test_begin_op (component, "typed", &tokens[1]);
  ops[2] = eap_test_begin_op (component, "typed", &tokens[2]);
  eap_test_complete_when_cancelled (ops[2]);

  eap_operation_complete (ops[0], test_result_args_new ("fine", NULL));
  eap_operation_complete (ops[1], test_result_args_new ("never seen", error));
  eap_operation_cancel (ops[2]);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 3, EAP_TEST_TIMEOUT_MS));

  for (guint i = 0; i < 3; i++)
    {
      EapCompletedArgs *args = eap_test_recorder_get_completed (recorder, i);
      gpointer state = eap_completed_args_get_user_state (args);
      g_autoptr(GError) got = NULL;
      g_autoptr(GError) got_text = NULL;
      const char *text;

      if (state == &tokens[0])
        {
          CU_ASSERT_TRUE_FATAL (TEST_IS_RESULT_ARGS (args));
          CU_ASSERT_TRUE (eap_completed_args_propagate_error (args, &got));
          CU_ASSERT_PTR_NULL (got);
          text = test_result_args_get_text (TEST_RESULT_ARGS (args), &got_text);
          CU_ASSERT_STRING_EQUAL (text, "fine");
          CU_ASSERT_PTR_NULL (got_text);
          /* A NULL GError ** is fine too. */
          CU_ASSERT_TRUE (eap_completed_args_propagate_error (args, NULL));
        }
      else if (state == &tokens[1])
        {
          CU_ASSERT_FALSE (eap_completed_args_propagate_error (args, &got));
          CU_ASSERT_TRUE (g_error_matches (got, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
          /* A copy: the caller owns it, the args keep theirs. */
          CU_ASSERT_PTR_NOT_EQUAL (got, eap_completed_args_get_error (args));
          CU_ASSERT_PTR_NULL (test_result_args_get_text (TEST_RESULT_ARGS (args), &got_text));
          CU_ASSERT_TRUE (g_error_matches (got_text, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
          CU_ASSERT_FALSE (eap_completed_args_propagate_error (args, NULL));
        }
      else
        {
          CU_ASSERT_PTR_EQUAL (state, &tokens[2]);
          CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
          CU_ASSERT_FALSE (eap_completed_args_propagate_error (args, &got));
          CU_ASSERT_TRUE (g_error_matches (got, G_IO_ERROR, G_IO_ERROR_CANCELLED));
        }
    }

  for (guint i = 0; i < 3; i++)
    g_object_unref (ops[i]);
  eap_test_recorder_free (recorder);
}

static void
test_args_outcome_exclusive (void)   /* R23 */
{
  g_autoptr(EapComponent) component = eap_test_component_new ();
  g_autoptr(GError) real = eap_test_new_error ();
  g_autoptr(GError) cancel = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stop");
  EapTestRecorder *recorder = eap_test_recorder_new (component, NULL);
  EapOperation *ops[4];
  int tokens[4];

  for (guint i = 0; i < 4; i++)
    ops[i] = eap_test_begin_op (component, "outcome", &tokens[i]);

  /* A real failure flagged as cancelled too: a failure, not cancelled. */
  eap_operation_complete (ops[0], g_object_new (EAP_TYPE_COMPLETED_ARGS,
                                                "error", real, "cancelled", TRUE, NULL));
  /* A cancellation error: cancelled, and no error. */
  eap_operation_complete (ops[1], eap_completed_args_new (cancel));
  eap_operation_complete_error (ops[2], g_error_copy (cancel));
  /* Cancelled by flag alone. */
  eap_operation_complete (ops[3], g_object_new (EAP_TYPE_COMPLETED_ARGS, "cancelled", TRUE, NULL));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 4, EAP_TEST_TIMEOUT_MS));

  for (guint i = 0; i < 4; i++)
    {
      EapCompletedArgs *args = eap_test_recorder_get_completed (recorder, i);
      gboolean cancelled = eap_completed_args_get_cancelled (args);
      const GError *error = eap_completed_args_get_error (args);

      /* Never both. */
      CU_ASSERT_FALSE (cancelled && error != NULL);
      if (eap_completed_args_get_user_state (args) == &tokens[0])
        {
          CU_ASSERT_FALSE (cancelled);
          CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
        }
      else
        {
          CU_ASSERT_TRUE (cancelled);
          CU_ASSERT_PTR_NULL (error);
        }
    }

  for (guint i = 0; i < 4; i++)
    g_object_unref (ops[i]);
  eap_test_recorder_free (recorder);
}

static void
on_completed_keep (EapComponent      *component,
                   EapCompletedArgs  *args,
                   EapCompletedArgs **kept)
{
  g_set_object (kept, args);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
test_args_outlive_emission (void)   /* R24 */
{
  EapComponent *component = eap_test_component_new ();
  g_autoptr(GError) error = eap_test_new_error ();
  EapCompletedArgs *kept = NULL;
  EapOperation *op;
  int token;

  g_signal_connect (component, "completed", G_CALLBACK (on_completed_keep), &kept);
  op = eap_test_begin_op (component, "keep", &token);
  eap_operation_complete (op, eap_completed_args_new (error));
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (pointer_set, &kept, EAP_TEST_TIMEOUT_MS));

  /* Everything else goes away; the handler's reference keeps the args. */
  g_signal_handlers_disconnect_by_data (component, &kept);
  g_object_unref (op);
  g_object_unref (component);
  eap_test_drain ();

  CU_ASSERT_TRUE_FATAL (EAP_IS_COMPLETED_ARGS (kept));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (kept),
                                   G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (kept), &token);

  /* Its contents cannot be changed: refused, with a complaint. */
  EAP_TEST_EXPECT_COMPLAINT (g_object_set (kept, "cancelled", TRUE, NULL));
  EAP_TEST_EXPECT_COMPLAINT (g_object_set (kept, "error", NULL, NULL));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (kept));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (kept),
                                   G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  CU_ASSERT_STRING_EQUAL (eap_completed_args_get_operation_name (kept), "keep");

  g_object_unref (kept);
}

static void
test_args_new_unsealed (void)   /* R21 */
{
  g_autoptr(GError) error = eap_test_new_error ();
  g_autoptr(EapCompletedArgs) ok = eap_completed_args_new (NULL);
  g_autoptr(EapCompletedArgs) failed = eap_completed_args_new (error);

  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (ok));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (ok));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_user_state (ok));
  CU_ASSERT_TRUE (eap_completed_args_propagate_error (ok, NULL));

  /* The args keep a copy of the error given to them. */
  CU_ASSERT_PTR_NOT_EQUAL (eap_completed_args_get_error (failed), error);
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (failed),
                                   G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
}

/* ------------------------------------------------------------------ */
/* EapProgressArgs                                                      */
/* ------------------------------------------------------------------ */

static void
test_progress_args_values (void)   /* R32, R33 */
{
  struct {
    gint64 done, total;
    int percentage;
    gboolean indeterminate;
  } cases[] = {
    { 0, 100, 0, FALSE },
    { 1, 3, 33, FALSE },
    { 99, 100, 99, FALSE },        /* never 100 before the end */
    { 999999, 1000000, 99, FALSE },
    { 100, 100, 100, FALSE },
    { 250, 100, 100, FALSE },      /* clamped */
    { 12345, -1, 0, TRUE },        /* unknown total: no made-up percentage */
    { 0, -1, 0, TRUE },
    { 999999999999, 1000000000000, 99, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EapProgressArgs) args = eap_progress_args_new (cases[i].done, cases[i].total);

      CU_ASSERT_EQUAL (eap_progress_args_get_done (args), cases[i].done);
      CU_ASSERT_EQUAL (eap_progress_args_get_total (args), cases[i].total);
      CU_ASSERT_EQUAL (eap_progress_args_get_percentage (args), cases[i].percentage);
      CU_ASSERT_EQUAL (eap_progress_args_get_indeterminate (args), cases[i].indeterminate);
    }

  /* Nonsense input still gives a count and a percentage in range. */
  {
    g_autoptr(EapProgressArgs) args = eap_progress_args_new (-5, -7);
    int percentage = eap_progress_args_get_percentage (args);

    CU_ASSERT_TRUE (eap_progress_args_get_done (args) >= 0);
    CU_ASSERT_TRUE (percentage >= 0 && percentage <= 100);
  }
}

static void
test_progress_args_properties (void)   /* R6 */
{
  g_autoptr(EapProgressArgs) args = eap_progress_args_new (30, 40);
  GObjectClass *klass = G_OBJECT_GET_CLASS (args);
  /* Computed or filled in by the op: read-only. done and total are set by
   * whoever makes the args (and frozen once reported: see R6 R37). */
  const char *names[] = { "percentage", "indeterminate", "user-state", "operation-name",
                          "done", "total" };
  gint64 done = 0, total = 0;
  int percentage = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GParamSpec *pspec = g_object_class_find_property (klass, names[i]);

      CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
      CU_ASSERT_TRUE (pspec->flags & G_PARAM_READABLE);
      if (i < 4)
        CU_ASSERT_TRUE (!(pspec->flags & G_PARAM_WRITABLE) ||
                        (pspec->flags & G_PARAM_CONSTRUCT_ONLY));
    }

  g_object_get (args, "done", &done, "total", &total, "percentage", &percentage, NULL);
  CU_ASSERT_EQUAL (done, 30);
  CU_ASSERT_EQUAL (total, 40);
  CU_ASSERT_EQUAL (percentage, 75);
}

/* ------------------------------------------------------------------ */

static CU_TestInfo operation_tests[] = {
  { "R2 completed::<name> carries the completed args", test_completed_detail },
  { "R13 nothing is emitted inside begin; an immediate complete is dispatched later",
    test_no_emission_inside_begin },
  { "R61 an immediate failure arrives through the signal", test_immediate_error_through_signal },
  { "R8 is_completed turns TRUE at the claim, before the signal", test_poll },
  { "R8 wait from another thread returns the outcome once claimed", test_wait_from_thread },
  { "R8 R60 wait from the owning thread fails at once with WOULD_BLOCK", test_wait_would_block },
  { "R8 wait_async calls back once, after completed, finish gives the outcome",
    test_wait_async },
  { "R8 a wait_async racing its own cancel and the completion calls back once",
    test_wait_async_cancel_race },
  { "R14 100000 chained immediate ops run in constant stack depth", test_chain_constant_stack },
  { "R16 R23 R27 racing success, error and cancel: one winner, one emission per op",
    test_racing_completions },
  { "R17 progress always before completed, never after, even when queued",
    test_progress_before_completed },
  { "R18 posting after completion is a critical and emits nothing", test_post_after_completion },
  { "R19 a timeout completes with TIMED_OUT and cancelled FALSE", test_timeout },
  { "R19 R31 an op done before its timeout succeeds and is released", test_timeout_not_reached },
  { "R20 an op dropped without completing logs a critical and frees its slot",
    test_dropped_without_completing },
  { "R31 each op owns a cancellable; a late cancel is harmless", test_late_cancel_harmless },
  { "R31 R5 a cancel before the cancellable is asked for still reaches the work",
    test_cancel_before_cancellable },
  { "R27 a result or error produced before the cancel stands", test_result_before_cancel_stands },
  { "R32 percentage stays in 0..100 and never decreases", test_percentage_never_decreases },
  { "R33 unknown total: -1, indeterminate, 0 %, exact done", test_indeterminate_progress },
  { "R34 reports between dispatches coalesce, newest wins", test_progress_coalesced },
  { "R34 progress-interval defaults to 50 and is writable", test_progress_interval_property },
  { "R34 R35 1000000 reports: bounded emissions, final 100 % before completed",
    test_million_reports_bounded },
  { "R47 progress from several threads is seen in production order (interval 0)",
    test_progress_order_every_report },
  { "R47 progress from several threads is seen in production order (interval 50)",
    test_progress_order_default_interval },
  { "R6 R37 a progress subclass arrives with its fields and identity", test_progress_subclass },
  CU_TEST_INFO_NULL,
};

static CU_TestInfo completed_args_tests[] = {
  { "R21 error, cancelled and exactly the user_state pointer", test_args_payload },
  { "R21 new args hold a copy of the error and no identity", test_args_new_unsealed },
  { "R22 R3 propagate_error and typed getters: value, copy of error, or CANCELLED",
    test_args_propagate_error },
  { "R23 the outcome is exactly one of success, error, cancelled", test_args_outcome_exclusive },
  { "R3 R22 an op's completed-args type holds on error, cancel and NULL paths",
    test_args_type_on_every_path },
  { "R24 args stay valid after emission and never change", test_args_outlive_emission },
  CU_TEST_INFO_NULL,
};

static CU_TestInfo progress_args_tests[] = {
  { "R32 R33 percentage, done, total, indeterminate", test_progress_args_values },
  { "R6 percentage, done, total and user-state are properties; computed ones read-only",
    test_progress_args_properties },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    { "EapOperation", NULL, NULL, eap_test_setup, eap_test_teardown, operation_tests },
    { "EapCompletedArgs", NULL, NULL, eap_test_setup, eap_test_teardown, completed_args_tests },
    { "EapProgressArgs", NULL, NULL, eap_test_setup, eap_test_teardown, progress_args_tests },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
