/* test-background-worker.c: EapBackgroundWorker against EAP-REQUIREMENTS.md
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No sleeps: work that must block until the test lets it go waits at a
 * gate (a GMutex/GCond with a deadline) that also opens on cancellation,
 * and the test iterates its context with eap_test_wait_until().
 */

#include "eap-test.h"

#include "eap-background-worker-private.h"  /* EAP_BACKGROUND_WORKER_MAX_THREADS */

#include <string.h>

/* ------------------------------------------------------------------ */
/* The work: what it does is chosen by its argument                     */
/* ------------------------------------------------------------------ */

/* Shared by the test and its works; refcounted so that a late work never
 * touches freed memory, even after a failed test. */
typedef struct
{
  GMutex         mutex;
  GCond          cond;
  gboolean       open;              /* the gate */
  guint          n_started;         /* works that began */
  guint          n_at_gate;         /* works waiting at the gate now */
  guint          n_result_set;      /* "result-then-cancel" works past set_result */
  guint          n_in_main_thread;  /* works that ran in the test's thread */
  guint          n_destroyed;       /* destroy_counting() calls */
  GThread       *main_thread;       /* (unowned) */
  GMainContext  *context;           /* (owned): the test's, woken on every change */
  GThread       *last_thread;       /* (unowned): thread of the last work */
  GThread       *destroy_thread;    /* (unowned): thread of the last destroy_counting() */
  EapDoWorkArgs *kept_args;         /* (owned) (nullable): kept by "keep-args" */
} WorkState;

static WorkState *
work_state_new (void)
{
  WorkState *st = g_atomic_rc_box_new0 (WorkState);

  g_mutex_init (&st->mutex);
  g_cond_init (&st->cond);
  st->main_thread = g_thread_self ();
  st->context = g_main_context_ref_thread_default ();

  return st;
}

static WorkState *
work_state_ref (WorkState *st)
{
  return g_atomic_rc_box_acquire (st);
}

static void
work_state_clear (gpointer data)
{
  WorkState *st = data;

  g_clear_object (&st->kept_args);
  g_main_context_unref (st->context);
  g_mutex_clear (&st->mutex);
  g_cond_clear (&st->cond);
}

static void
work_state_unref (WorkState *st)
{
  g_atomic_rc_box_release_full (st, work_state_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WorkState, work_state_unref)

/* Under st->mutex: tells threads waiting on the cond, and the test
 * iterating its context in eap_test_wait_until(), that something changed. */
static void
changed_locked (WorkState *st)
{
  g_cond_broadcast (&st->cond);
  g_main_context_wakeup (st->context);
}

/* A destroy notify that counts where and how often it ran. */
static void
destroy_counting (gpointer data)
{
  WorkState *st = data;

  g_mutex_lock (&st->mutex);
  st->n_destroyed++;
  st->destroy_thread = g_thread_self ();
  g_mutex_unlock (&st->mutex);

  work_state_unref (st);
}

static void
note_started (WorkState *st)
{
  g_mutex_lock (&st->mutex);
  st->n_started++;
  st->last_thread = g_thread_self ();
  if (st->last_thread == st->main_thread)
    st->n_in_main_thread++;
  changed_locked (st);
  g_mutex_unlock (&st->mutex);
}

static void
gate_cancelled_cb (GCancellable *cancellable,
                   WorkState    *st)
{
  g_mutex_lock (&st->mutex);
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->mutex);
}

/* Blocks until the test opens the gate (TRUE), the run is cancelled or
 * the deadline passes (FALSE). */
static gboolean
gate_wait (WorkState    *st,
           GCancellable *cancellable)
{
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
  gboolean opened;
  gulong id;

  id = g_cancellable_connect (cancellable, G_CALLBACK (gate_cancelled_cb), st, NULL);

  g_mutex_lock (&st->mutex);
  st->n_at_gate++;
  changed_locked (st);
  while (!st->open && !g_cancellable_is_cancelled (cancellable))
    if (!g_cond_wait_until (&st->cond, &st->mutex, deadline))
      break;
  opened = st->open;
  st->n_at_gate--;
  g_mutex_unlock (&st->mutex);

  /* Outside st->mutex: disconnect waits for a running gate_cancelled_cb. */
  g_cancellable_disconnect (cancellable, id);

  return opened;
}

static void
gate_open (WorkState *st)
{
  g_mutex_lock (&st->mutex);
  st->open = TRUE;
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->mutex);
}

static void
set_int_result (EapDoWorkArgs *args,
                int            n)
{
  GValue v = G_VALUE_INIT;

  g_value_set_int (g_value_init (&v, G_TYPE_INT), n);
  eap_do_work_args_set_result (args, &v);
  g_value_unset (&v);
}

static void
set_string_result (EapDoWorkArgs *args,
                   const char    *s)
{
  GValue v = G_VALUE_INIT;

  g_value_set_string (g_value_init (&v, G_TYPE_STRING), s);
  eap_do_work_args_set_result (args, &v);
  g_value_unset (&v);
}

static gboolean
run_gate (WorkState      *st,
          EapDoWorkArgs  *args,
          GError        **error)
{
  if (gate_wait (st, eap_do_work_args_get_cancellable (args)))
    {
      set_string_result (args, "opened");
      return TRUE;
    }
  if (eap_do_work_args_is_cancellation_pending (args))
    return TRUE;          /* no result: the run completes as cancelled */

  g_set_error_literal (error, EAP_ERROR, EAP_ERROR_FAILED, "the test never opened the gate");
  return FALSE;
}

static gboolean
run_command (WorkState      *st,
             EapDoWorkArgs  *args,
             const char     *command,
             GError        **error)
{
  if (g_str_equal (command, "gate"))
    return run_gate (st, args, error);

  if (g_str_equal (command, "progress"))
    {
      for (int i = 1; i <= 100; i++)
        eap_do_work_args_report_progress (args, i);
      set_int_result (args, 100);
      return TRUE;
    }

  if (g_str_equal (command, "progress-unknown"))
    {
      eap_do_work_args_report_progress_full (args, 5, -1);
      return TRUE;
    }

  if (g_str_equal (command, "error"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
      return FALSE;
    }

  if (g_str_equal (command, "false"))
    return FALSE;       /* a bug in the work: no error set */

  if (g_str_equal (command, "set-error"))
    {
      g_autoptr(GError) e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                                 "not allowed");

      set_int_result (args, 1);           /* the error outweighs it */
      eap_do_work_args_set_error (args, e);
      return TRUE;
    }

  if (g_str_equal (command, "cancel-error"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "gave up");
      return FALSE;
    }

  if (g_str_equal (command, "result-then-cancel"))
    {
      set_int_result (args, 27);
      g_mutex_lock (&st->mutex);
      st->n_result_set++;
      changed_locked (st);
      g_mutex_unlock (&st->mutex);
      /* The gate stays shut: this returns once the run is cancelled. */
      if (!gate_wait (st, eap_do_work_args_get_cancellable (args)) &&
          !eap_do_work_args_is_cancellation_pending (args))
        {
          g_set_error_literal (error, EAP_ERROR, EAP_ERROR_FAILED, "the test never cancelled");
          return FALSE;
        }
      return TRUE;
    }

  if (g_str_equal (command, "keep-args"))
    {
      g_mutex_lock (&st->mutex);
      g_set_object (&st->kept_args, args);
      g_mutex_unlock (&st->mutex);
      return TRUE;
    }

  g_set_error (error, EAP_ERROR, EAP_ERROR_FAILED, "unknown command %s", command);
  return FALSE;
}

/* The EapWorkFunc of most tests. No argument: success without a result;
 * an int n: the result n * n; a string: a command of run_command(). */
static gboolean
work_func (EapDoWorkArgs  *args,
           gpointer        user_data,
           GError        **error)
{
  WorkState *st = user_data;
  const GValue *arg = eap_do_work_args_get_argument (args);

  note_started (st);

  if (arg == NULL)
    return TRUE;
  if (G_VALUE_HOLDS_INT (arg))
    {
      set_int_result (args, g_value_get_int (arg) * g_value_get_int (arg));
      return TRUE;
    }
  g_assert (G_VALUE_HOLDS_STRING (arg));
  return run_command (st, args, g_value_get_string (arg), error);
}

/* ------------------------------------------------------------------ */
/* Test helpers                                                         */
/* ------------------------------------------------------------------ */

static EapBackgroundWorker *
new_worker (WorkState *st)
{
  EapBackgroundWorker *worker = eap_background_worker_new ();

  eap_background_worker_set_work_func (worker, work_func, work_state_ref (st),
                                       (GDestroyNotify) work_state_unref);
  return worker;
}

static gboolean
start_int (EapBackgroundWorker  *worker,
           int                   n,
           gpointer              user_state,
           GError              **error)
{
  GValue v = G_VALUE_INIT;
  gboolean ret;

  g_value_set_int (g_value_init (&v, G_TYPE_INT), n);
  ret = eap_background_worker_run_worker_async (worker, &v, user_state, error);
  g_value_unset (&v);

  return ret;
}

static gboolean
start_cmd (EapBackgroundWorker  *worker,
           const char           *command,
           gpointer              user_state,
           GError              **error)
{
  GValue v = G_VALUE_INIT;
  gboolean ret;

  g_value_set_static_string (g_value_init (&v, G_TYPE_STRING), command);
  ret = eap_background_worker_run_worker_async (worker, &v, user_state, error);
  g_value_unset (&v);

  return ret;
}

typedef struct
{
  WorkState *st;
  guint      n;
} StateCount;

static gboolean
n_at_gate_reached (gpointer data)
{
  StateCount *c = data;
  gboolean ret;

  g_mutex_lock (&c->st->mutex);
  ret = c->st->n_at_gate >= c->n;
  g_mutex_unlock (&c->st->mutex);

  return ret;
}

static gboolean
wait_at_gate (WorkState *st,
              guint      n)
{
  StateCount c = { st, n };

  return eap_test_wait_until (n_at_gate_reached, &c, EAP_TEST_TIMEOUT_MS);
}

static guint
get_n_started (WorkState *st)
{
  guint n;

  g_mutex_lock (&st->mutex);
  n = st->n_started;
  g_mutex_unlock (&st->mutex);

  return n;
}

static EapCompletedArgs *
find_completed (EapTestRecorder *rec,
                gpointer         user_state)
{
  EapCompletedArgs *args;

  for (guint i = 0; (args = eap_test_recorder_get_completed (rec, i)) != NULL; i++)
    if (eap_completed_args_get_user_state (args) == user_state)
      return args;

  return NULL;
}

static EapTestEvent *
find_event (EapTestRecorder  *rec,
            EapTestEventKind  kind,
            guint             n)
{
  for (guint i = 0; i < rec->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (rec->events, EapTestEvent, i);

      if (event->kind == kind && n-- == 0)
        return event;
    }
  return NULL;
}

/* The int result of a completed run, or -1 (with a failed assertion) when
 * it has none. */
static int
int_result (EapCompletedArgs *args)
{
  g_autoptr(GError) error = NULL;
  const GValue *v;

  CU_ASSERT_TRUE_FATAL (EAP_IS_RUN_WORKER_COMPLETED_ARGS (args));
  v = eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args), &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL (v);
  if (v == NULL || !G_VALUE_HOLDS_INT (v))
    return -1;
  return g_value_get_int (v);
}

static const char *
string_result (EapCompletedArgs *args)
{
  const GValue *v;

  CU_ASSERT_TRUE_FATAL (EAP_IS_RUN_WORKER_COMPLETED_ARGS (args));
  v = eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args), NULL);
  if (v == NULL || !G_VALUE_HOLDS_STRING (v))
    return "(none)";
  return g_value_get_string (v);
}

static void
assert_cancelled (EapCompletedArgs *args)
{
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE_FATAL (EAP_IS_RUN_WORKER_COMPLETED_ARGS (args));
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_PTR_NULL (eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args),
                                                                &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
}

static void
assert_failed_with (EapCompletedArgs *args,
                    GQuark            domain,
                    int               code)
{
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE_FATAL (EAP_IS_RUN_WORKER_COMPLETED_ARGS (args));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args), domain, code));
  CU_ASSERT_PTR_NULL (eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args),
                                                                &error));
  CU_ASSERT_TRUE (g_error_matches (error, domain, code));
}

static void
count_cb (gpointer  instance,
          gpointer  args,
          guint    *counter)
{
  (*counter)++;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void
test_completes_in_starting_context (void)   /* R1, R2, R13, R38, R41 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  g_autoptr(GError) error = NULL;
  guint *n_detailed = g_new0 (guint, 1);
  EapCompletedArgs *args;
  EapTestEvent *event;
  gulong id;

  id = g_signal_connect (worker, "completed::run-worker", G_CALLBACK (count_cb), n_detailed);

  CU_ASSERT_TRUE (start_int (worker, 7, GINT_TO_POINTER (1), &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (eap_component_get_is_busy (EAP_COMPONENT (worker)));
  CU_ASSERT_EQUAL (rec->n_completed, 0);          /* never inside _async (R13) */

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_TRUE_FATAL (EAP_IS_RUN_WORKER_COMPLETED_ARGS (args));
  CU_ASSERT_STRING_EQUAL (eap_completed_args_get_operation_name (args), "run-worker");
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (args), GINT_TO_POINTER (1));
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_EQUAL (int_result (args), 49);
  CU_ASSERT_EQUAL (*n_detailed, 1);

  event = find_event (rec, EAP_TEST_EVENT_COMPLETED, 0);
  CU_ASSERT_TRUE (event->in_context);
  CU_ASSERT_PTR_EQUAL (event->thread, g_thread_self ());
  CU_ASSERT_FALSE (event->busy);                  /* already FALSE in the handler */
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));

  /* The work itself ran in a pool thread. */
  CU_ASSERT_EQUAL (get_n_started (st), 1);
  CU_ASSERT_EQUAL (st->n_in_main_thread, 0);
  CU_ASSERT_PTR_NOT_EQUAL (st->last_thread, g_thread_self ());

  g_signal_handler_disconnect (worker, id);
  g_free (n_detailed);
  eap_test_recorder_free (rec);
}

typedef struct
{
  EapBackgroundWorker *worker;       /* (unowned): the test keeps it alive */
  GMainContext        *context;      /* (unowned): the thread's own */
  GThread             *thread;       /* (unowned) */
  gboolean             started;
  gboolean             completed;
  gboolean             in_context;
  gboolean             in_thread;
  int                  result;
} ThreadRun;

static void
thread_completed_cb (EapComponent     *component,
                     EapCompletedArgs *args,
                     ThreadRun        *tr)
{
  const GValue *v;

  v = eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args), NULL);
  tr->completed = TRUE;
  tr->in_context = g_main_context_is_owner (tr->context);
  tr->in_thread = g_thread_self () == tr->thread;
  tr->result = v != NULL && G_VALUE_HOLDS_INT (v) ? g_value_get_int (v) : -1;
}

static gboolean
thread_run_done (gpointer data)
{
  return ((ThreadRun *) data)->completed;
}

static gpointer
thread_run_main (gpointer data)
{
  ThreadRun *tr = data;
  GMainContext *context = g_main_context_new ();
  gulong id;

  g_main_context_push_thread_default (context);
  tr->context = context;
  tr->thread = g_thread_self ();

  id = g_signal_connect (tr->worker, "completed::run-worker",
                         G_CALLBACK (thread_completed_cb), tr);
  tr->started = start_int (tr->worker, 5, tr, NULL);
  if (tr->started)
    eap_test_iterate_until (context, thread_run_done, tr, EAP_TEST_TIMEOUT_MS);
  g_signal_handler_disconnect (tr->worker, id);

  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return NULL;
}

static void
test_completes_in_other_threads_context (void)   /* R38, R39 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  ThreadRun *tr = g_new0 (ThreadRun, 1);
  GThread *thread;

  tr->worker = worker;
  thread = g_thread_new ("starter", thread_run_main, tr);
  g_thread_join (thread);

  CU_ASSERT_TRUE (tr->started);
  CU_ASSERT_TRUE (tr->completed);
  CU_ASSERT_TRUE (tr->in_context);
  CU_ASSERT_TRUE (tr->in_thread);
  CU_ASSERT_EQUAL (tr->result, 25);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));
  g_free (tr);
}

static void
test_progress_before_completed_coalesced (void)   /* R6, R17, R32, R33, R34 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  guint *n_detailed = g_new0 (guint, 1);
  EapProgressArgs *last = NULL;
  gboolean seen_completed = FALSE;
  int last_percentage = -1;
  gulong id;

  /* An interval far beyond the run: what remains is the first emission
   * and the flush before completed, never the 100 reports. */
  eap_component_set_progress_interval (EAP_COMPONENT (worker), 60000);
  id = g_signal_connect (worker, "progress-changed::run-worker", G_CALLBACK (count_cb), n_detailed);

  CU_ASSERT_TRUE (start_cmd (worker, "progress", GINT_TO_POINTER (3), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));

  for (guint i = 0; i < rec->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (rec->events, EapTestEvent, i);

      if (event->kind == EAP_TEST_EVENT_COMPLETED)
        seen_completed = TRUE;
      if (event->kind != EAP_TEST_EVENT_PROGRESS)
        continue;
      CU_ASSERT_FALSE (seen_completed);           /* progress* completed (R17) */
      CU_ASSERT_TRUE (event->in_context);
      last = EAP_PROGRESS_ARGS (event->args);
      CU_ASSERT_TRUE (eap_progress_args_get_percentage (last) >= last_percentage);
      last_percentage = eap_progress_args_get_percentage (last);
    }

  CU_ASSERT_TRUE (rec->n_progress >= 1 && rec->n_progress <= 2);
  CU_ASSERT_EQUAL (*n_detailed, rec->n_progress);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (last), 100);   /* the newest wins */
  CU_ASSERT_EQUAL (eap_progress_args_get_done (last), 100);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (last), 100);
  CU_ASSERT_PTR_EQUAL (eap_progress_args_get_user_state (last), GINT_TO_POINTER (3));
  CU_ASSERT_STRING_EQUAL (eap_progress_args_get_operation_name (last), "run-worker");
  CU_ASSERT_EQUAL (int_result (eap_test_recorder_get_completed (rec, 0)), 100);

  /* An unknown total stays unknown (R33). */
  CU_ASSERT_TRUE (start_cmd (worker, "progress-unknown", GINT_TO_POINTER (4), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 2, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (eap_test_recorder_count (rec, EAP_TEST_EVENT_PROGRESS, GINT_TO_POINTER (4)), 1);
  for (guint i = 0; i < rec->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (rec->events, EapTestEvent, i);

      if (event->kind == EAP_TEST_EVENT_PROGRESS)
        last = EAP_PROGRESS_ARGS (event->args);
    }
  CU_ASSERT_EQUAL (eap_progress_args_get_total (last), -1);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (last), 5);
  CU_ASSERT_TRUE (eap_progress_args_get_indeterminate (last));
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (last), 0);

  g_signal_handler_disconnect (worker, id);
  g_free (n_detailed);
  eap_test_recorder_free (rec);
}

static void
test_several_runs_cancel_one (void)   /* R29, R25, R26 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  EapCompletedArgs *args;

  for (int i = 1; i <= 3; i++)
    CU_ASSERT_TRUE (start_cmd (worker, "gate", GINT_TO_POINTER (i), NULL));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (worker)), 3);
  CU_ASSERT_TRUE_FATAL (wait_at_gate (st, 3));

  eap_component_cancel_async (EAP_COMPONENT (worker), GINT_TO_POINTER (2));
  eap_component_cancel_async (EAP_COMPONENT (worker), GINT_TO_POINTER (99));  /* unknown: no-op */
  CU_ASSERT_EQUAL (rec->n_completed, 0);          /* cancel never emits inline (R26) */

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (args), GINT_TO_POINTER (2));
  assert_cancelled (args);
  CU_ASSERT_TRUE (eap_component_get_is_busy (EAP_COMPONENT (worker)));

  gate_open (st);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 3, EAP_TEST_TIMEOUT_MS));
  for (int i = 1; i <= 3; i += 2)
    {
      args = find_completed (rec, GINT_TO_POINTER (i));
      CU_ASSERT_PTR_NOT_NULL_FATAL (args);
      CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
      CU_ASSERT_STRING_EQUAL (string_result (args), "opened");
    }
  for (int i = 1; i <= 3; i++)
    CU_ASSERT_EQUAL (eap_test_recorder_count (rec, EAP_TEST_EVENT_COMPLETED, GINT_TO_POINTER (i)), 1);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));

  eap_test_recorder_free (rec);
}

static void
test_cancel_before_work_began (void)   /* R30 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  const guint n = EAP_BACKGROUND_WORKER_MAX_THREADS;
  gpointer late = GUINT_TO_POINTER (n + 1);

  /* Every pool thread blocked at the gate: the next run has to queue. */
  for (guint i = 1; i <= n; i++)
    CU_ASSERT_TRUE (start_cmd (worker, "gate", GUINT_TO_POINTER (i), NULL));
  CU_ASSERT_TRUE_FATAL (wait_at_gate (st, n));

  CU_ASSERT_TRUE (start_cmd (worker, "gate", late, NULL));
  CU_ASSERT_EQUAL (get_n_started (st), n);
  eap_component_cancel_async (EAP_COMPONENT (worker), late);

  gate_open (st);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, n + 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (get_n_started (st), n);        /* the late run's work never ran */
  assert_cancelled (find_completed (rec, late));
  CU_ASSERT_STRING_EQUAL (string_result (find_completed (rec, GUINT_TO_POINTER (1))), "opened");
  CU_ASSERT_STRING_EQUAL (string_result (find_completed (rec, GUINT_TO_POINTER (n))), "opened");

  eap_test_recorder_free (rec);
}

static gboolean
result_was_set (gpointer data)
{
  WorkState *st = data;
  gboolean ret;

  g_mutex_lock (&st->mutex);
  ret = st->n_result_set > 0;
  g_mutex_unlock (&st->mutex);

  return ret;
}

static void
test_result_beats_late_cancel (void)   /* R27, P8 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  EapCompletedArgs *args;

  CU_ASSERT_TRUE (start_cmd (worker, "result-then-cancel", GINT_TO_POINTER (9), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (result_was_set, st, EAP_TEST_TIMEOUT_MS));
  eap_component_cancel_async (EAP_COMPONENT (worker), GINT_TO_POINTER (9));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_EQUAL (int_result (args), 27);

  eap_test_recorder_free (rec);
}

static void
test_work_errors_reach_completed (void)   /* R55, R23, R54 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  const char *commands[] = { "error", "false", "set-error", "cancel-error" };
  EapCompletedArgs *args;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    CU_ASSERT_TRUE (start_cmd (worker, commands[i], GUINT_TO_POINTER (i + 1), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 4, EAP_TEST_TIMEOUT_MS));

  /* FALSE with an error: that error. */
  assert_failed_with (find_completed (rec, GUINT_TO_POINTER (1)), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  /* FALSE without an error: never dropped, EAP_ERROR_FAILED saying so. */
  args = find_completed (rec, GUINT_TO_POINTER (2));
  assert_failed_with (args, EAP_ERROR, EAP_ERROR_FAILED);
  CU_ASSERT_PTR_NOT_NULL_FATAL (eap_completed_args_get_error (args));
  CU_ASSERT_PTR_NOT_NULL (strstr (eap_completed_args_get_error (args)->message,
                                  "without setting an error"));

  /* An error set on the args outweighs the result set before it. */
  assert_failed_with (find_completed (rec, GUINT_TO_POINTER (3)),
                      G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  /* A G_IO_ERROR_CANCELLED from the work is a cancellation. */
  assert_cancelled (find_completed (rec, GUINT_TO_POINTER (4)));

  eap_test_recorder_free (rec);
}

typedef struct
{
  guint n_warnings;
} WarningWait;

static gboolean
warning_seen (gpointer data)
{
  WarningWait *w = data;

  return eap_test_get_n_seen (FALSE) > w->n_warnings;
}

static void
test_unhandled_error_warns (void)   /* R55, R56 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  WarningWait w = { eap_test_get_n_seen (FALSE) };
  gboolean seen = FALSE;

  CU_ASSERT_TRUE (start_cmd (worker, "error", NULL, NULL));
  EAP_TEST_EXPECT_WARNING (seen = eap_test_wait_until (warning_seen, &w, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (seen);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));
}

typedef struct
{
  WorkState    *st;           /* (owned) */
  GCancellable *cancellable;  /* (owned) */
} Canceller;

static gpointer
canceller_main (gpointer data)
{
  Canceller *c = data;
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);

  g_mutex_lock (&c->st->mutex);
  while (c->st->n_at_gate == 0)
    if (!g_cond_wait_until (&c->st->cond, &c->st->mutex, deadline))
      break;
  g_mutex_unlock (&c->st->mutex);

  g_cancellable_cancel (c->cancellable);
  return NULL;
}

static void
test_blocking_twin (void)   /* R8, R60 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GValue arg = G_VALUE_INIT;
  GValue result = G_VALUE_INIT;
  Canceller *canceller;
  GThread *thread;

  /* Runs in this very thread and answers through the out value. */
  g_value_set_int (g_value_init (&arg, G_TYPE_INT), 6);
  CU_ASSERT_TRUE (eap_background_worker_run_worker (worker, &arg, &result, NULL, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (G_VALUE_HOLDS_INT (&result) && g_value_get_int (&result) == 36);
  CU_ASSERT_PTR_EQUAL (st->last_thread, g_thread_self ());
  g_value_unset (&result);
  g_value_unset (&arg);

  /* Progress is dropped; no result is a NULL pointer, never unset. */
  g_value_set_static_string (g_value_init (&arg, G_TYPE_STRING), "progress");
  CU_ASSERT_TRUE (eap_background_worker_run_worker (worker, &arg, NULL, NULL, NULL));
  g_value_unset (&arg);
  CU_ASSERT_TRUE (eap_background_worker_run_worker (worker, NULL, &result, NULL, NULL));
  CU_ASSERT_TRUE (G_VALUE_HOLDS_POINTER (&result) && g_value_get_pointer (&result) == NULL);
  g_value_unset (&result);

  /* Failures: FALSE and the error, the value left unset. */
  g_value_set_static_string (g_value_init (&arg, G_TYPE_STRING), "error");
  CU_ASSERT_FALSE (eap_background_worker_run_worker (worker, &arg, &result, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  CU_ASSERT_FALSE (G_IS_VALUE (&result));
  g_clear_error (&error);
  g_value_set_static_string (&arg, "false");
  CU_ASSERT_FALSE (eap_background_worker_run_worker (worker, &arg, NULL, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_FAILED));
  g_clear_error (&error);

  /* A cancel while it runs: the work sees it, no result: cancelled. */
  canceller = g_new0 (Canceller, 1);
  canceller->st = work_state_ref (st);
  canceller->cancellable = g_object_ref (cancellable);
  thread = g_thread_new ("canceller", canceller_main, canceller);
  g_value_set_static_string (&arg, "gate");
  CU_ASSERT_FALSE (eap_background_worker_run_worker (worker, &arg, &result, cancellable, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  g_thread_join (thread);
  work_state_unref (canceller->st);
  g_object_unref (canceller->cancellable);
  g_free (canceller);

  /* Already cancelled: the work does not run at all. */
  {
    guint n_started = get_n_started (st);

    CU_ASSERT_FALSE (eap_background_worker_run_worker (worker, &arg, &result, cancellable, &error));
    CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    CU_ASSERT_EQUAL (get_n_started (st), n_started);
    g_clear_error (&error);
  }
  g_value_unset (&arg);

  /* No operation, no signal, no busy state at any point. */
  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->events->len, 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));
  CU_ASSERT_EQUAL (st->n_in_main_thread, get_n_started (st));

  /* A closed worker refuses the blocking twin as it refuses the async
   * form (R50), without running the work. */
  {
    guint n_started = get_n_started (st);

    eap_component_close (EAP_COMPONENT (worker));
    CU_ASSERT_FALSE (eap_background_worker_run_worker (worker, NULL, &result, NULL, &error));
    CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
    CU_ASSERT_FALSE (G_IS_VALUE (&result));
    CU_ASSERT_EQUAL (get_n_started (st), n_started);
    g_clear_error (&error);
  }

  eap_test_recorder_free (rec);
}

static void
test_duplicate_user_state_refused (void)   /* R11, R9 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE (start_cmd (worker, "gate", GINT_TO_POINTER (7), NULL));
  CU_ASSERT_FALSE (start_cmd (worker, "gate", GINT_TO_POINTER (7), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  /* NULL never collides. */
  CU_ASSERT_TRUE (start_cmd (worker, "gate", NULL, NULL));
  CU_ASSERT_TRUE (start_cmd (worker, "gate", NULL, NULL));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (worker)), 3);

  CU_ASSERT_TRUE_FATAL (wait_at_gate (st, 3));
  gate_open (st);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 3, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->n_completed, 3);
  CU_ASSERT_EQUAL (eap_test_recorder_count (rec, EAP_TEST_EVENT_COMPLETED, GINT_TO_POINTER (7)), 1);
  CU_ASSERT_EQUAL (get_n_started (st), 3);        /* the refused run never ran */

  eap_test_recorder_free (rec);
}

static void
test_closed_refuses (void)   /* R50, R9 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  g_autoptr(EapBackgroundWorker) idle = eap_background_worker_new ();
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  g_autoptr(GError) error = NULL;

  eap_component_close (EAP_COMPONENT (worker));
  CU_ASSERT_FALSE (start_int (worker, 2, GINT_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);

  /* Closed outranks "no work". */
  eap_component_close (EAP_COMPONENT (idle));
  CU_ASSERT_FALSE (start_int (idle, 2, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));

  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->events->len, 0);
  CU_ASSERT_EQUAL (get_n_started (st), 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));

  eap_test_recorder_free (rec);
}

static void
test_no_work_refused (void)   /* R9: neither a work function nor a do-work handler */
{
  g_autoptr(EapBackgroundWorker) worker = eap_background_worker_new ();
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_FALSE (start_int (worker, 2, GINT_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_FAILED));
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (worker)));
  g_clear_error (&error);

  CU_ASSERT_FALSE (eap_background_worker_run_worker (worker, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_FAILED));

  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->events->len, 0);

  eap_test_recorder_free (rec);
}

/* Three wait_async records: all called? */
static gboolean
all_three_called (gpointer data)
{
  EapTestWaitAsync *waits = data;

  return waits[0].n_calls > 0 && waits[1].n_calls > 0 && waits[2].n_calls > 0;
}

static void
test_dispose_cancels_runs_in_flight (void)   /* R49, R15, R50 */
{
  g_autoptr(WorkState) st = work_state_new ();
  EapBackgroundWorker *worker = new_worker (st);
  EapTestWaitAsync *waits = g_new0 (EapTestWaitAsync, 3);   /* heap: outlives a failed test */
  EapOperation *ops[3];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    CU_ASSERT_TRUE (start_cmd (worker, "gate", GUINT_TO_POINTER (i + 1), NULL));
  CU_ASSERT_TRUE_FATAL (wait_at_gate (st, 3));

  /* run_dispose destroys every signal handler, so watch the operations. */
  for (guint i = 0; i < 3; i++)
    {
      ops[i] = eap_component_dup_operation (EAP_COMPONENT (worker), GUINT_TO_POINTER (i + 1));
      CU_ASSERT_PTR_NOT_NULL_FATAL (ops[i]);
      eap_operation_wait_async (ops[i], NULL, eap_test_wait_async_cb, &waits[i]);
    }

  g_object_run_dispose (G_OBJECT (worker));
  CU_ASSERT_FALSE (start_cmd (worker, "gate", NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_object_unref (worker);     /* the runs keep it alive until they complete */

  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (all_three_called, waits, EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EapCompletedArgs) args = eap_operation_dup_completed_args (ops[i]);

      CU_ASSERT_PTR_NULL (waits[i].args);
      CU_ASSERT_TRUE (g_error_matches (waits[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      CU_ASSERT_TRUE (eap_operation_is_completed (ops[i]));
      CU_ASSERT_PTR_NOT_NULL_FATAL (args);
      assert_cancelled (args);
      eap_test_wait_async_clear (&waits[i]);
      g_object_unref (ops[i]);
    }
  CU_ASSERT_EQUAL (get_n_started (st), 3);
  g_free (waits);
}

static void
do_work_handler (EapBackgroundWorker *worker,
                 EapDoWorkArgs       *args,
                 WorkState           *st)
{
  const GValue *arg = eap_do_work_args_get_argument (args);
  g_autofree char *upper = NULL;

  note_started (st);
  eap_do_work_args_report_progress (args, 50);
  upper = g_ascii_strup (g_value_get_string (arg), -1);
  set_string_result (args, upper);
}

static void
test_do_work_signal_handler (void)   /* R55, DoWork: the Python path */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = eap_background_worker_new ();
  EapTestRecorder *rec;
  EapTestEvent *event;
  GValue arg = G_VALUE_INIT;
  GValue result = G_VALUE_INIT;

  g_signal_connect_data (worker, "do-work", G_CALLBACK (do_work_handler),
                         work_state_ref (st), (GClosureNotify) (void (*) (void)) work_state_unref, 0);
  rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);

  g_value_set_static_string (g_value_init (&arg, G_TYPE_STRING), "hello");
  CU_ASSERT_TRUE (eap_background_worker_run_worker_async (worker, &arg, GINT_TO_POINTER (5), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_STRING_EQUAL (string_result (eap_test_recorder_get_completed (rec, 0)), "HELLO");

  /* do-work is the one signal emitted in a worker thread, by design. */
  CU_ASSERT_EQUAL (get_n_started (st), 1);
  CU_ASSERT_EQUAL (st->n_in_main_thread, 0);
  event = find_event (rec, EAP_TEST_EVENT_PROGRESS, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (event);
  CU_ASSERT_TRUE (event->in_context);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (EAP_PROGRESS_ARGS (event->args)), 50);

  /* The blocking twin emits it in the calling thread. */
  CU_ASSERT_TRUE (eap_background_worker_run_worker (worker, &arg, &result, NULL, NULL));
  CU_ASSERT_STRING_EQUAL (g_value_get_string (&result), "HELLO");
  CU_ASSERT_EQUAL (st->n_in_main_thread, 1);
  g_value_unset (&result);
  g_value_unset (&arg);

  eap_test_recorder_free (rec);
}

static void
count_do_work (EapBackgroundWorker *worker,
               EapDoWorkArgs       *args,
               guint               *counter)
{
  g_atomic_int_inc (counter);
}

static void
test_work_func_wins_and_is_kept_by_runs (void)   /* set_work_func semantics, R53 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = eap_background_worker_new ();
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  guint *n_signal = g_new0 (guint, 1);
  gulong id;

  id = g_signal_connect (worker, "do-work", G_CALLBACK (count_do_work), n_signal);
  eap_background_worker_set_work_func (worker, work_func, work_state_ref (st), destroy_counting);

  /* The function wins over do-work. */
  CU_ASSERT_TRUE (start_int (worker, 3, GINT_TO_POINTER (1), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (int_result (eap_test_recorder_get_completed (rec, 0)), 9);
  CU_ASSERT_EQUAL (g_atomic_int_get (n_signal), 0);

  /* A run in flight keeps the function it started with. */
  CU_ASSERT_TRUE (start_cmd (worker, "gate", GINT_TO_POINTER (2), NULL));
  CU_ASSERT_TRUE_FATAL (wait_at_gate (st, 1));
  eap_background_worker_set_work_func (worker, NULL, NULL, NULL);
  CU_ASSERT_EQUAL (st->n_destroyed, 0);
  gate_open (st);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 2, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_STRING_EQUAL (string_result (eap_test_recorder_get_completed (rec, 1)), "opened");
  eap_test_drain ();
  /* Freed once, by the run's release in this context, not in the pool. */
  CU_ASSERT_EQUAL (st->n_destroyed, 1);
  CU_ASSERT_PTR_EQUAL (st->destroy_thread, g_thread_self ());

  /* Without a function, do-work runs. */
  CU_ASSERT_TRUE (start_int (worker, 3, GINT_TO_POINTER (3), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 3, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (g_atomic_int_get (n_signal), 1);
  CU_ASSERT_PTR_NULL (eap_run_worker_completed_args_get_result (
                        EAP_RUN_WORKER_COMPLETED_ARGS (eap_test_recorder_get_completed (rec, 2)), NULL));

  g_signal_handler_disconnect (worker, id);
  g_free (n_signal);
  eap_test_recorder_free (rec);
}

typedef struct
{
  EapOperation *op;        /* (owned) */
  GMainContext *context;   /* (unowned): the test's, woken when done */
  gboolean      ok;
  GError       *error;     /* (owned) (nullable) */
  int           done;      /* atomic */
} Waiter;

static gpointer
waiter_main (gpointer data)
{
  Waiter *w = data;

  w->ok = eap_operation_wait (w->op, NULL, &w->error);
  g_atomic_int_set (&w->done, 1);
  g_main_context_wakeup (w->context);
  return NULL;
}

static gboolean
waiter_done (gpointer data)
{
  return g_atomic_int_get (&((Waiter *) data)->done) != 0;
}

static void
test_poll_and_wait_from_another_thread (void)   /* R8: APM poll/wait */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  Waiter *w = g_new0 (Waiter, 1);
  Waiter *w2 = g_new0 (Waiter, 1);
  GThread *thread;
  GThread *thread2;
  g_autoptr(EapCompletedArgs) args = NULL;

  CU_ASSERT_TRUE (start_cmd (worker, "gate", GINT_TO_POINTER (11), NULL));
  CU_ASSERT_TRUE (start_cmd (worker, "gate", GINT_TO_POINTER (12), NULL));
  w->op = eap_component_dup_operation (EAP_COMPONENT (worker), GINT_TO_POINTER (11));
  w2->op = eap_component_dup_operation (EAP_COMPONENT (worker), GINT_TO_POINTER (12));
  CU_ASSERT_PTR_NOT_NULL_FATAL (w->op);
  CU_ASSERT_PTR_NOT_NULL_FATAL (w2->op);
  CU_ASSERT_STRING_EQUAL (eap_operation_get_name (w->op), "run-worker");
  CU_ASSERT_FALSE (eap_operation_is_completed (w->op));     /* poll */
  CU_ASSERT_TRUE_FATAL (wait_at_gate (st, 2));

  w->context = w2->context = eap_test_fixture ()->context;
  thread = g_thread_new ("waiter", waiter_main, w);
  thread2 = g_thread_new ("waiter2", waiter_main, w2);

  /* One ends with its result, the other cancelled. */
  eap_component_cancel_async (EAP_COMPONENT (worker), GINT_TO_POINTER (12));
  CU_ASSERT_TRUE (eap_test_wait_until (waiter_done, w2, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_FALSE (eap_operation_is_completed (w->op));
  gate_open (st);
  CU_ASSERT_TRUE (eap_test_wait_until (waiter_done, w, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  g_thread_join (thread2);

  CU_ASSERT_TRUE (w->ok);
  CU_ASSERT_PTR_NULL (w->error);
  CU_ASSERT_TRUE (eap_operation_is_completed (w->op));
  args = eap_operation_dup_completed_args (w->op);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_STRING_EQUAL (string_result (args), "opened");

  CU_ASSERT_FALSE (w2->ok);
  CU_ASSERT_TRUE (g_error_matches (w2->error, G_IO_ERROR, G_IO_ERROR_CANCELLED));

  /* The events still arrive, once each. */
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, EAP_TEST_TIMEOUT_MS));

  g_clear_error (&w->error);
  g_clear_error (&w2->error);
  g_object_unref (w->op);
  g_object_unref (w2->op);
  g_free (w);
  g_free (w2);
  eap_test_recorder_free (rec);
}

static void
test_do_work_args_sealed_after_work (void)   /* R18 */
{
  g_autoptr(WorkState) st = work_state_new ();
  g_autoptr(EapBackgroundWorker) worker = new_worker (st);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (worker), NULL);
  g_autoptr(EapDoWorkArgs) kept = NULL;
  GValue v = G_VALUE_INIT;

  CU_ASSERT_TRUE (start_cmd (worker, "keep-args", GINT_TO_POINTER (1), NULL));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  g_mutex_lock (&st->mutex);
  kept = g_steal_pointer (&st->kept_args);
  g_mutex_unlock (&st->mutex);
  CU_ASSERT_PTR_NOT_NULL_FATAL (kept);

  /* Reading stays fine... */
  CU_ASSERT_STRING_EQUAL (g_value_get_string (eap_do_work_args_get_argument (kept)), "keep-args");
  CU_ASSERT_PTR_EQUAL (eap_do_work_args_get_user_state (kept), GINT_TO_POINTER (1));
  CU_ASSERT_FALSE (eap_do_work_args_is_cancellation_pending (kept));

  /* ...writing after the work returned is a critical and changes nothing. */
  g_value_set_int (g_value_init (&v, G_TYPE_INT), 1);
  EAP_TEST_EXPECT_CRITICAL (eap_do_work_args_set_result (kept, &v));
  EAP_TEST_EXPECT_CRITICAL (eap_do_work_args_report_progress (kept, 10));
  EAP_TEST_EXPECT_CRITICAL (eap_do_work_args_take_error (kept, g_error_new_literal (EAP_ERROR, EAP_ERROR_FAILED, "late")));
  g_value_unset (&v);

  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->n_completed, 1);
  CU_ASSERT_EQUAL (rec->n_progress, 0);
  CU_ASSERT_PTR_NULL (eap_run_worker_completed_args_get_result (
                        EAP_RUN_WORKER_COMPLETED_ARGS (eap_test_recorder_get_completed (rec, 0)), NULL));

  eap_test_recorder_free (rec);
}

static CU_TestInfo background_worker_tests[] = {
  { "R1 R2 R13 R38 completes with its result in the starting context", test_completes_in_starting_context },
  { "R38 R39 a run started in another thread completes in that thread's context", test_completes_in_other_threads_context },
  { "R6 R17 R34 progress-changed::run-worker comes before completed, coalesced", test_progress_before_completed_coalesced },
  { "R29 several runs at once, cancel one by user_state", test_several_runs_cancel_one },
  { "R30 a run cancelled before its worker began never runs its work", test_cancel_before_work_began },
  { "R27 a result beats a late cancel", test_result_beats_late_cancel },
  { "R12 R55 work errors, FALSE without error and CANCELLED reach completed", test_work_errors_reach_completed },
  { "R55 R56 a failed run nobody handles logs a warning", test_unhandled_error_warns },
  { "R8 R60 R50 blocking twin runs in the calling thread, honours its cancellable, refuses once closed", test_blocking_twin },
  { "R11 a duplicate user_state is refused synchronously", test_duplicate_user_state_refused },
  { "R50 a closed worker refuses with G_IO_ERROR_CLOSED", test_closed_refuses },
  { "R9 a worker without work refuses synchronously", test_no_work_refused },
  { "R49 dispose with runs in flight: each completes cancelled", test_dispose_cancels_runs_in_flight },
  { "R55 do-work handler runs the work in a worker thread (binding path)", test_do_work_signal_handler },
  { "R53 work func wins over do-work, is kept by runs, freed in context", test_work_func_wins_and_is_kept_by_runs },
  { "R8 APM poll and wait from another thread", test_poll_and_wait_from_another_thread },
  { "R18 do-work args are sealed once the work returns", test_do_work_args_sealed_after_work },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "EapBackgroundWorker",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = background_worker_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
