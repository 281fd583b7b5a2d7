/* eap-test.c: what every eap test suite needs
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "eap-test.h"

/* The fixture of the running test. Log handlers and recorder callbacks may
 * run in other threads, so the counters it holds are only touched under
 * log_mutex; the pointer itself changes only between tests. */
static EapTestFixture *current_fixture;
static GMutex log_mutex;
static char *last_expected_message;   /* (owned) (nullable): under log_mutex */

/* Set by the log handler of the thread that just accepted an expected
 * message, read back by the fatal handler that g_logv() calls right after
 * it in the same thread. */
static GPrivate accepted_expected;

/* ------------------------------------------------------------------ */
/* Logging: criticals and warnings abort unless a test armed them       */
/* ------------------------------------------------------------------ */

/* Under log_mutex. Returns TRUE if the message is one a test armed with
 * EAP_TEST_EXPECT_CRITICAL or EAP_TEST_EXPECT_WARNING, and counts it. */
static gboolean
consume_expected_locked (GLogLevelFlags level)
{
  EapTestFixture *f = current_fixture;

  if (f == NULL)
    return FALSE;

  if ((level & G_LOG_LEVEL_CRITICAL) && f->n_criticals_expected > 0)
    {
      f->n_criticals_seen++;
      return TRUE;
    }

  if ((level & G_LOG_LEVEL_WARNING) && f->n_warnings_expected > 0)
    {
      f->n_warnings_seen++;
      return TRUE;
    }

  return FALSE;
}

static gboolean
consume_expected (GLogLevelFlags  level,
                  const char     *message)
{
  gboolean ret;

  g_mutex_lock (&log_mutex);
  ret = consume_expected_locked (level);
  if (ret)
    {
      g_free (last_expected_message);
      last_expected_message = g_strdup (message);
    }
  g_mutex_unlock (&log_mutex);

  return ret;
}

/* The default handler of the classic g_log() API (g_critical(),
 * g_warning(), g_return_if_fail()). An expected message is printed as a
 * note and marked for eap_test_fatal_handler(), which g_logv() calls next
 * and which then keeps the process alive. */
static void
eap_test_log_handler (const char     *log_domain,
                      GLogLevelFlags  log_level,
                      const char     *message,
                      gpointer        user_data)
{
  if ((log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0 &&
      consume_expected (log_level, message))
    {
      g_private_set (&accepted_expected, GINT_TO_POINTER (TRUE));
      fprintf (stderr, "(expected) %s-%s: %s\n",
               log_domain ? log_domain : "**",
               (log_level & G_LOG_LEVEL_CRITICAL) ? "CRITICAL" : "WARNING",
               message);
      return;
    }

  g_log_default_handler (log_domain, log_level, message, user_data);
}

/* Asked by g_logv() whether a fatal message really aborts. */
static gboolean
eap_test_fatal_handler (const char     *log_domain,
                        GLogLevelFlags  log_level,
                        const char     *message,
                        gpointer        user_data)
{
  if (g_private_get (&accepted_expected) != NULL)
    {
      g_private_set (&accepted_expected, NULL);
      return FALSE;     /* armed by the test: keep going */
    }

  return TRUE;          /* abort */
}

static gboolean
fields_have_key (const GLogField *fields,
                 gsize            n_fields,
                 const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, key) == 0)
      return TRUE;
  return FALSE;
}

static const char *
fields_get_string (const GLogField *fields,
                   gsize            n_fields,
                   const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, key) == 0 && fields[i].length < 0)
      return fields[i].value;
  return NULL;
}

/* The writer of the structured API (g_log_structured(), and code built
 * with G_LOG_USE_STRUCTURED). Classic-API messages pass through here too,
 * after eap_test_log_handler() has dealt with them. */
static GLogWriterOutput
eap_test_log_writer (GLogLevelFlags   log_level,
                     const GLogField *fields,
                     gsize            n_fields,
                     gpointer         user_data)
{
  if (!fields_have_key (fields, n_fields, "GLIB_OLD_LOG_API") &&
      (log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0 &&
      consume_expected (log_level, fields_get_string (fields, n_fields, "MESSAGE")))
    {
      const char *domain = fields_get_string (fields, n_fields, "GLIB_DOMAIN");
      const char *message = fields_get_string (fields, n_fields, "MESSAGE");

      fprintf (stderr, "(expected) %s-%s: %s\n",
               domain ? domain : "**",
               (log_level & G_LOG_LEVEL_CRITICAL) ? "CRITICAL" : "WARNING",
               message ? message : "");
      return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

void
eap_test_init (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_default_handler (eap_test_log_handler, NULL);
  g_test_log_set_fatal_handler (eap_test_fatal_handler, NULL);
  g_log_set_writer_func (eap_test_log_writer, NULL, NULL);

  /* Line-buffered output keeps CUnit's lines and our last line in order
   * with the log messages when both go to a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);
}

void
eap_test_expect_begin (gboolean critical)
{
  g_mutex_lock (&log_mutex);
  g_assert (current_fixture != NULL);
  if (critical)
    current_fixture->n_criticals_expected++;
  else
    current_fixture->n_warnings_expected++;
  g_mutex_unlock (&log_mutex);
}

guint
eap_test_expect_end (gboolean critical)
{
  guint seen;

  g_mutex_lock (&log_mutex);
  g_assert (current_fixture != NULL);
  if (critical)
    {
      current_fixture->n_criticals_expected = 0;
      seen = current_fixture->n_criticals_seen;
    }
  else
    {
      current_fixture->n_warnings_expected = 0;
      seen = current_fixture->n_warnings_seen;
    }
  g_mutex_unlock (&log_mutex);

  return seen;
}

guint
eap_test_get_n_seen (gboolean critical)
{
  guint seen;

  g_mutex_lock (&log_mutex);
  g_assert (current_fixture != NULL);
  seen = critical ? current_fixture->n_criticals_seen : current_fixture->n_warnings_seen;
  g_mutex_unlock (&log_mutex);

  return seen;
}

char *
eap_test_dup_last_expected_message (void)
{
  char *ret;

  g_mutex_lock (&log_mutex);
  ret = g_strdup (last_expected_message);
  g_mutex_unlock (&log_mutex);

  return ret;
}

/* ------------------------------------------------------------------ */
/* Running suites                                                       */
/* ------------------------------------------------------------------ */

/* $EAP_TEST_SKIP: names of tests, separated by ';', that this run must
 * not run, for a run where they cannot work (scripts/valgrind says which
 * and why). CUnit counts them as inactive: neither passed nor failed. */
static void
skip_tests (CU_SuiteInfo *suites)
{
  const char *env = g_getenv ("EAP_TEST_SKIP");
  g_auto(GStrv) names = NULL;

  if (env == NULL || *env == '\0')
    return;

  CU_set_fail_on_inactive (CU_FALSE);
  names = g_strsplit (env, ";", -1);
  for (CU_SuiteInfo *info = suites; info->pName != NULL; info++)
    {
      CU_pSuite suite = CU_get_suite (info->pName);

      for (guint i = 0; suite != NULL && names[i] != NULL; i++)
        {
          CU_pTest test = CU_get_test (suite, names[i]);

          if (test != NULL)
            {
              CU_set_test_active (test, CU_FALSE);
              fprintf (stderr, "%s: skipped (EAP_TEST_SKIP): %s\n", info->pName, names[i]);
            }
        }
    }
}

int
eap_test_main (int           argc,
               char         *argv[],
               CU_SuiteInfo *suites)
{
  unsigned int n_run = 0;
  unsigned int n_failed = 0;
  unsigned int n_suites_failed = 0;
  gboolean unknown_suite = FALSE;

  if (CU_initialize_registry () != CUE_SUCCESS ||
      CU_register_suites (suites) != CUE_SUCCESS)
    {
      fprintf (stderr, "CUnit: %s\n", CU_get_error_msg ());
      printf ("0 passed, 1 failed\n");
      CU_cleanup_registry ();
      return 2;
    }

  CU_basic_set_mode (CU_BRM_VERBOSE);
  skip_tests (suites);

  if (argc > 1)
    {
      CU_pSuite suite = CU_get_suite (argv[1]);

      if (suite == NULL)
        {
          fprintf (stderr, "%s: no suite named “%s”\n", argv[0], argv[1]);
          unknown_suite = TRUE;
        }
      else
        CU_basic_run_suite (suite);
    }
  else
    CU_basic_run_tests ();

  if (!unknown_suite)
    {
      n_run = CU_get_number_of_tests_run ();
      n_failed = CU_get_number_of_tests_failed ();   /* tests, not asserts */
      n_suites_failed = CU_get_number_of_suites_failed ();
    }
  else
    n_failed = 1;

  fflush (stderr);
  printf ("\n%u passed, %u failed\n", n_run - MIN (n_failed, n_run), n_failed);
  fflush (stdout);

  CU_cleanup_registry ();

  return (n_failed == 0 && n_suites_failed == 0) ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */
/* ------------------------------------------------------------------ */

void
eap_test_setup (void)
{
  EapTestFixture *f = g_new0 (EapTestFixture, 1);

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);

  g_mutex_lock (&log_mutex);
  g_assert (current_fixture == NULL);
  current_fixture = f;
  g_mutex_unlock (&log_mutex);
}

static void
drain_context (GMainContext *context,
               guint         timeout_ms)
{
  gint64 deadline = eap_test_deadline (timeout_ms);

  while (g_main_context_iteration (context, FALSE))
    {
      if (eap_test_deadline_passed (deadline))
        {
          fprintf (stderr, "eap-test: context still busy after %u ms of draining\n",
                   timeout_ms);
          break;
        }
    }
}

void
eap_test_teardown (void)
{
  EapTestFixture *f = current_fixture;

  g_assert (f != NULL);

  /* A test that failed half-way (a _FATAL assertion longjmps) may have
   * left a context of its own pushed on top of the fixture's. */
  for (GMainContext *top = g_main_context_get_thread_default ();
       top != NULL && top != f->context;
       top = g_main_context_get_thread_default ())
    {
      fprintf (stderr, "eap-test: the test left a context pushed; popping it\n");
      g_main_context_pop_thread_default (top);
    }

  drain_context (f->context, EAP_TEST_TIMEOUT_MS);
  g_main_context_pop_thread_default (f->context);

  g_mutex_lock (&log_mutex);
  current_fixture = NULL;
  g_clear_pointer (&last_expected_message, g_free);
  g_mutex_unlock (&log_mutex);

  g_main_context_unref (f->context);
  g_free (f);
}

EapTestFixture *
eap_test_fixture (void)
{
  EapTestFixture *f = current_fixture;

  g_assert (f != NULL);
  return f;
}

/* ------------------------------------------------------------------ */
/* Waiting                                                              */
/* ------------------------------------------------------------------ */

static gboolean
set_flag_cb (gpointer data)
{
  gboolean *flag = data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
eap_test_iterate_until (GMainContext     *context,
                        EapTestCondition  cond,
                        gpointer          data,
                        guint             timeout_ms)
{
  GSource *timeout;
  gboolean timed_out = FALSE;
  gboolean ret;

  if (context == NULL)
    context = eap_test_fixture ()->context;

  if (cond (data))
    return TRUE;

  timeout = g_timeout_source_new (eap_test_scale_timeout (timeout_ms));
  g_source_set_callback (timeout, set_flag_cb, &timed_out, NULL);
  g_source_set_name (timeout, "[eap-test] deadline");
  g_source_attach (timeout, context);

  while (!(ret = cond (data)) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);

  return ret;
}

gboolean
eap_test_wait_until (EapTestCondition cond,
                     gpointer         data,
                     guint            timeout_ms)
{
  return eap_test_iterate_until (NULL, cond, data, timeout_ms);
}

void
eap_test_drain (void)
{
  drain_context (eap_test_fixture ()->context, EAP_TEST_TIMEOUT_MS);
}

guint
eap_test_scale_timeout (guint timeout_ms)
{
  static gsize scale = 0;

  if (g_once_init_enter (&scale))
    {
      const char *env = g_getenv ("EAP_TEST_TIMEOUT_SCALE");
      guint64 n = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 0;

      g_once_init_leave (&scale, (gsize) CLAMP (n, 1, 1000));
    }

  return (guint) MIN ((guint64) timeout_ms * scale, G_MAXUINT);
}

gint64
eap_test_deadline (guint timeout_ms)
{
  return g_get_monotonic_time ()
         + (gint64) eap_test_scale_timeout (timeout_ms) * G_TIME_SPAN_MILLISECOND;
}

gboolean
eap_test_deadline_passed (gint64 deadline)
{
  return g_get_monotonic_time () >= deadline;
}

/* ------------------------------------------------------------------ */
/* Recorder                                                             */
/* ------------------------------------------------------------------ */

static void
record (EapTestRecorder  *recorder,
        EapTestEventKind  kind,
        GObject          *args)
{
  EapTestEvent event = { 0, };

  event.kind = kind;
  event.args = args ? g_object_ref (args) : NULL;
  event.busy = eap_component_get_is_busy (recorder->component);
  event.in_context = g_main_context_is_owner (recorder->context);
  event.thread = g_thread_self ();

  g_mutex_lock (&recorder->mutex);
  g_array_append_val (recorder->events, event);
  if (kind == EAP_TEST_EVENT_COMPLETED)
    recorder->n_completed++;
  else if (kind == EAP_TEST_EVENT_PROGRESS)
    recorder->n_progress++;
  g_mutex_unlock (&recorder->mutex);
}

static void
on_completed (EapComponent     *component,
              EapCompletedArgs *args,
              EapTestRecorder  *recorder)
{
  record (recorder, EAP_TEST_EVENT_COMPLETED, G_OBJECT (args));
}

static void
on_progress_changed (EapComponent    *component,
                     EapProgressArgs *args,
                     EapTestRecorder *recorder)
{
  record (recorder, EAP_TEST_EVENT_PROGRESS, G_OBJECT (args));
}

static void
on_notify_is_busy (EapComponent    *component,
                   GParamSpec      *pspec,
                   EapTestRecorder *recorder)
{
  record (recorder, EAP_TEST_EVENT_BUSY_CHANGED, NULL);
}

static void
clear_event (gpointer data)
{
  EapTestEvent *event = data;

  g_clear_object (&event->args);
}

EapTestRecorder *
eap_test_recorder_new (EapComponent *component,
                       GMainContext *context)
{
  EapTestRecorder *recorder;

  g_return_val_if_fail (EAP_IS_COMPONENT (component), NULL);

  if (context == NULL)
    context = eap_test_fixture ()->context;

  recorder = g_new0 (EapTestRecorder, 1);
  g_mutex_init (&recorder->mutex);
  recorder->component = g_object_ref (component);
  recorder->context = g_main_context_ref (context);
  recorder->events = g_array_new (FALSE, TRUE, sizeof (EapTestEvent));
  g_array_set_clear_func (recorder->events, clear_event);

  recorder->handler_ids[0] =
    g_signal_connect (component, "completed", G_CALLBACK (on_completed), recorder);
  recorder->handler_ids[1] =
    g_signal_connect (component, "progress-changed", G_CALLBACK (on_progress_changed), recorder);
  recorder->handler_ids[2] =
    g_signal_connect (component, "notify::is-busy", G_CALLBACK (on_notify_is_busy), recorder);

  return recorder;
}

void
eap_test_recorder_free (EapTestRecorder *recorder)
{
  if (recorder == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (recorder->handler_ids); i++)
    g_clear_signal_handler (&recorder->handler_ids[i], recorder->component);

  g_clear_pointer (&recorder->events, g_array_unref);
  g_clear_object (&recorder->component);
  g_clear_pointer (&recorder->context, g_main_context_unref);
  g_mutex_clear (&recorder->mutex);
  g_free (recorder);
}

EapCompletedArgs *
eap_test_recorder_get_completed (EapTestRecorder *recorder,
                                 guint            n)
{
  EapCompletedArgs *ret = NULL;
  guint seen = 0;

  g_mutex_lock (&recorder->mutex);
  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent, i);

      if (event->kind != EAP_TEST_EVENT_COMPLETED)
        continue;
      if (seen++ == n)
        {
          ret = EAP_COMPLETED_ARGS (event->args);
          break;
        }
    }
  g_mutex_unlock (&recorder->mutex);

  return ret;
}

typedef struct
{
  EapTestRecorder *recorder;
  guint            n;
} WaitCompleted;

static gboolean
has_n_completed (gpointer data)
{
  WaitCompleted *wait = data;
  gboolean ret;

  g_mutex_lock (&wait->recorder->mutex);
  ret = wait->recorder->n_completed >= wait->n;
  g_mutex_unlock (&wait->recorder->mutex);

  return ret;
}

gboolean
eap_test_recorder_wait_completed (EapTestRecorder *recorder,
                                  guint            n,
                                  guint            timeout_ms)
{
  WaitCompleted wait = { recorder, n };

  return eap_test_iterate_until (recorder->context, has_n_completed, &wait, timeout_ms);
}

guint
eap_test_recorder_count (EapTestRecorder  *recorder,
                         EapTestEventKind  kind,
                         gpointer          user_state)
{
  guint count = 0;

  g_mutex_lock (&recorder->mutex);
  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (recorder->events, EapTestEvent, i);
      gpointer event_state = NULL;

      if (event->kind != kind)
        continue;

      if (kind == EAP_TEST_EVENT_BUSY_CHANGED)
        {
          count++;                  /* is-busy belongs to no single operation */
          continue;
        }

      if (kind == EAP_TEST_EVENT_COMPLETED)
        event_state = eap_completed_args_get_user_state (EAP_COMPLETED_ARGS (event->args));
      else
        event_state = eap_progress_args_get_user_state (EAP_PROGRESS_ARGS (event->args));

      if (event_state == user_state)
        count++;
    }
  g_mutex_unlock (&recorder->mutex);

  return count;
}

/* ------------------------------------------------------------------ */
/* EapTestComponent                                                     */
/* ------------------------------------------------------------------ */

struct _EapTestComponent
{
  EapComponent parent_instance;
  guint         n_close_calls;
  EapOperation *close_probe;     /* no reference: the test holds one */
  gboolean      probe_cancelled_at_close;
};

G_DEFINE_FINAL_TYPE (EapTestComponent, eap_test_component, EAP_TYPE_COMPONENT)

static gint n_test_components_finalized;

static void
eap_test_component_finalize (GObject *object)
{
  G_OBJECT_CLASS (eap_test_component_parent_class)->finalize (object);
  g_atomic_int_inc (&n_test_components_finalized);
}

/* Records the vfunc's calls, and whether the probe operation was already
 * cancelled when it ran (the order the vfunc's doc promises). */
static void
eap_test_component_close (EapComponent *component)
{
  EapTestComponent *self = EAP_TEST_COMPONENT (component);

  self->n_close_calls++;
  if (self->close_probe != NULL)
    self->probe_cancelled_at_close =
      g_cancellable_is_cancelled (eap_operation_get_cancellable (self->close_probe));
}

static void
eap_test_component_class_init (EapTestComponentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eap_test_component_finalize;
  EAP_COMPONENT_CLASS (klass)->close = eap_test_component_close;
}

static void
eap_test_component_init (EapTestComponent *self)
{
}

EapComponent *
eap_test_component_new (void)
{
  return g_object_new (EAP_TEST_TYPE_COMPONENT, NULL);
}

void
eap_test_component_set_close_probe (EapComponent *self,
                                    EapOperation *op)
{
  EAP_TEST_COMPONENT (self)->close_probe = op;
}

guint
eap_test_component_get_n_close_calls (EapComponent *self,
                                      gboolean     *probe_cancelled)
{
  EapTestComponent *test = EAP_TEST_COMPONENT (self);

  if (probe_cancelled != NULL)
    *probe_cancelled = test->probe_cancelled_at_close;

  return test->n_close_calls;
}

guint
eap_test_component_get_n_finalized (void)
{
  return (guint) g_atomic_int_get (&n_test_components_finalized);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

gboolean
eap_test_cond_flag (gpointer data)
{
  return g_atomic_int_get ((gint *) data) != 0;
}

static void
complete_cancelled_cb (GCancellable *cancellable,
                       gpointer      data)
{
  EapOperation *op = data;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "Operation was cancelled");

  eap_operation_try_complete (op, eap_completed_args_new (error));
}

gulong
eap_test_complete_when_cancelled (EapOperation *op)
{
  g_return_val_if_fail (EAP_IS_OPERATION (op), 0);

  return g_cancellable_connect (eap_operation_get_cancellable (op),
                                G_CALLBACK (complete_cancelled_cb), op, NULL);
}

void
eap_test_latch_init (EapTestLatch *latch)
{
  g_mutex_init (&latch->mutex);
  g_cond_init (&latch->cond);
  latch->set = FALSE;
}

void
eap_test_latch_clear (EapTestLatch *latch)
{
  g_mutex_clear (&latch->mutex);
  g_cond_clear (&latch->cond);
}

void
eap_test_latch_set (EapTestLatch *latch)
{
  g_mutex_lock (&latch->mutex);
  latch->set = TRUE;
  g_cond_broadcast (&latch->cond);
  g_mutex_unlock (&latch->mutex);

  /* A test thread may be waiting for this in eap_test_wait_until(),
   * blocked in the fixture's context: wake it so it looks again. */
  g_mutex_lock (&log_mutex);
  if (current_fixture != NULL)
    g_main_context_wakeup (current_fixture->context);
  g_mutex_unlock (&log_mutex);
}

gboolean
eap_test_latch_is_set (EapTestLatch *latch)
{
  gboolean ret;

  g_mutex_lock (&latch->mutex);
  ret = latch->set;
  g_mutex_unlock (&latch->mutex);

  return ret;
}

gboolean
eap_test_latch_wait (EapTestLatch *latch,
                     guint         timeout_ms)
{
  gint64 deadline = eap_test_deadline (timeout_ms);
  gboolean ret;

  g_mutex_lock (&latch->mutex);
  while (!latch->set)
    if (!g_cond_wait_until (&latch->cond, &latch->mutex, deadline))
      break;
  ret = latch->set;
  g_mutex_unlock (&latch->mutex);

  return ret;
}

EapOperation *
eap_test_begin_op (EapComponent *component,
                   const char   *name,
                   gpointer      user_state)
{
  g_autoptr(GError) error = NULL;
  EapOperation *op;

  op = eap_component_begin_operation (component, name, user_state, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (op);

  return op;
}

GError *
eap_test_new_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No such frob");
}

void
eap_test_wait_async_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      data)
{
  EapTestWaitAsync *wa = data;

  wa->n_calls++;
  if (wa->recorder != NULL)
    wa->n_completed_at_call = wa->recorder->n_completed;
  wa->in_context = g_main_context_is_owner (eap_test_fixture ()->context);
  g_clear_object (&wa->args);
  g_clear_error (&wa->error);
  wa->args = eap_operation_wait_finish (EAP_OPERATION (source), result, &wa->error);
}

gboolean
eap_test_wait_async_called (gpointer data)
{
  return ((EapTestWaitAsync *) data)->n_calls > 0;
}

void
eap_test_wait_async_clear (EapTestWaitAsync *wa)
{
  g_clear_object (&wa->args);
  g_clear_error (&wa->error);
}

/* ------------------------------------------------------------------ */
/* Child processes                                                      */
/* ------------------------------------------------------------------ */

typedef struct
{
  EapTestChild *child;      /* (owned) */
  gboolean      is_stdout;
} ChildReader;

static void
child_clear (gpointer data)
{
  EapTestChild *child = data;

  g_free (child->name);
  g_clear_object (&child->process);
  g_string_free (child->out, TRUE);
  g_string_free (child->err, TRUE);
  g_ptr_array_unref (child->lines);
}

EapTestChild *
eap_test_child_ref (EapTestChild *child)
{
  return g_rc_box_acquire (child);
}

void
eap_test_child_unref (EapTestChild *child)
{
  g_rc_box_release_full (child, child_clear);
}

static void
child_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  ChildReader *reader = data;
  EapTestChild *child = reader->child;
  GString *text = reader->is_stdout ? child->out : child->err;
  char *line;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  if (line == NULL)
    {
      if (reader->is_stdout)
        child->out_eof = TRUE;
      else
        child->err_eof = TRUE;
      eap_test_child_unref (child);
      g_free (reader);
      return;
    }

  g_string_append (text, line);
  g_string_append_c (text, '\n');
  if (reader->is_stdout)
    {
      if (child->echo)
        fprintf (stderr, "%s| %s\n", child->name, line);
      g_ptr_array_add (child->lines, line);
    }
  else
    g_free (line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL,
                                       child_line_cb, reader);
}

static void
child_read_lines (EapTestChild *child,
                  GInputStream *pipe,
                  gboolean      is_stdout)
{
  g_autoptr(GDataInputStream) stream = g_data_input_stream_new (pipe);
  ChildReader *reader = g_new0 (ChildReader, 1);

  reader->child = eap_test_child_ref (child);
  reader->is_stdout = is_stdout;
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, child_line_cb, reader);
}

static void
child_exited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  EapTestChild *child = data;

  if (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL) &&
      g_subprocess_get_if_exited (child->process))
    child->status = g_subprocess_get_exit_status (child->process);
  child->exited = TRUE;
  eap_test_child_unref (child);
}

EapTestChild *
eap_test_child_spawn (const char         *name,
                      const char * const *argv,
                      EapTestChildFlags   flags)
{
  g_autoptr(GError) error = NULL;
  GSubprocessFlags process_flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  EapTestChild *child = g_rc_box_new0 (EapTestChild);

  child->name = name != NULL ? g_strdup (name) : g_path_get_basename (argv[0]);
  child->out = g_string_new (NULL);
  child->err = g_string_new (NULL);
  child->lines = g_ptr_array_new_with_free_func (g_free);
  child->status = -1;
  child->echo = (flags & EAP_TEST_CHILD_ECHO) != 0;
  if (flags & EAP_TEST_CHILD_STDIN)
    process_flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  process_flags |= (flags & EAP_TEST_CHILD_MERGE_STDERR) ? G_SUBPROCESS_FLAGS_STDERR_MERGE
                                                         : G_SUBPROCESS_FLAGS_STDERR_PIPE;

  child->process = g_subprocess_newv (argv, process_flags, &error);
  CU_ASSERT_PTR_NULL (error);
  if (child->process == NULL)
    {
      fprintf (stderr, "cannot start %s: %s\n", argv[0], error->message);
      child->exited = child->out_eof = child->err_eof = TRUE;
      return child;
    }

  child->stdin_pipe = g_subprocess_get_stdin_pipe (child->process);
  child_read_lines (child, g_subprocess_get_stdout_pipe (child->process), TRUE);
  if (flags & EAP_TEST_CHILD_MERGE_STDERR)
    child->err_eof = TRUE;
  else
    child_read_lines (child, g_subprocess_get_stderr_pipe (child->process), FALSE);
  g_subprocess_wait_async (child->process, NULL, child_exited_cb, eap_test_child_ref (child));
  return child;
}

gboolean
eap_test_child_is_done (gpointer data)
{
  EapTestChild *child = data;

  return child->exited && child->out_eof && child->err_eof;
}

void
eap_test_child_kill (EapTestChild *child)
{
  if (child->process != NULL && !child->exited)
    g_subprocess_force_exit (child->process);
  eap_test_wait_until (eap_test_child_is_done, child, EAP_TEST_TIMEOUT_MS);
}

int
eap_test_child_wait (EapTestChild *child,
                     int           expected,
                     guint         timeout_ms)
{
  int status = -1;

  if (eap_test_wait_until (eap_test_child_is_done, child, timeout_ms))
    status = child->status;
  else
    {
      fprintf (stderr, "%s did not finish in %u ms\n", child->name, timeout_ms);
      eap_test_child_kill (child);
    }

  if (status != expected)
    fprintf (stderr, "\n[%s exited %d, expected %d]\nstdout:\n%s\nstderr:\n%s\n",
             child->name, status, expected, child->out->str, child->err->str);
  return status;
}

int
eap_test_child_stop (EapTestChild *child,
                     int           expected,
                     guint         timeout_ms)
{
  if (child->process != NULL && !child->exited)
    g_subprocess_send_signal (child->process, SIGTERM);
  return eap_test_child_wait (child, expected, timeout_ms);
}

gboolean
eap_test_child_wait_line (EapTestChild *child,
                          const char   *needle,
                          gboolean      prefix,
                          guint         timeout_ms)
{
  return eap_test_wait_line (child->lines, &child->cursor, &child->out_eof, child->name,
                             needle, prefix, timeout_ms);
}

typedef struct
{
  GPtrArray      *lines;    /* (unowned) */
  guint          *cursor;   /* (unowned) */
  const gboolean *eof;      /* (unowned) (nullable) */
  const char     *needle;
  gboolean        prefix;
  gboolean        found;
} LineWait;

static gboolean
line_wait_cond (gpointer data)
{
  LineWait *wait = data;

  for (guint i = *wait->cursor; i < wait->lines->len; i++)
    {
      const char *line = g_ptr_array_index (wait->lines, i);

      if (wait->prefix ? g_str_has_prefix (line, wait->needle)
                       : strstr (line, wait->needle) != NULL)
        {
          *wait->cursor = i + 1;
          wait->found = TRUE;
          return TRUE;
        }
    }
  return wait->eof != NULL && *wait->eof;
}

gboolean
eap_test_wait_line (GPtrArray      *lines,
                    guint          *cursor,
                    const gboolean *eof,
                    const char     *who,
                    const char     *needle,
                    gboolean        prefix,
                    guint           timeout_ms)
{
  LineWait wait = { lines, cursor, eof, needle, prefix, FALSE };
  guint before = *cursor;

  eap_test_wait_until (line_wait_cond, &wait, timeout_ms);
  if (wait.found)
    return TRUE;
  fprintf (stderr, "\n%s: no line with \"%s\"; lines from %u:\n", who, needle, before);
  for (guint i = before; i < lines->len; i++)
    fprintf (stderr, "  %s\n", (char *) g_ptr_array_index (lines, i));
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Servers on loopback                                                  */
/* ------------------------------------------------------------------ */

guint16
eap_test_free_loopback_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, &error);
  guint16 port;

  g_assert_no_error (error);
  g_socket_bind (sock, addr, TRUE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_socket_close (sock, NULL);
  return port;
}

gboolean
eap_test_port_answers (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

static gboolean
never_cond (gpointer data)
{
  return FALSE;
}

/* GSubprocess reaps its child in GLib's worker thread, whether or not
 * anybody waits for it; from then on it has no identifier. */
static gboolean
process_has_exited (GSubprocess *process)
{
  return g_subprocess_get_identifier (process) == NULL;
}

gboolean
eap_test_wait_port (GSubprocess *process,
                    guint16      port,
                    guint        timeout_ms)
{
  gint64 deadline = eap_test_deadline (timeout_ms);

  while (!eap_test_port_answers (port))
    {
      if (process_has_exited (process) || eap_test_deadline_passed (deadline))
        return FALSE;
      eap_test_wait_until (never_cond, NULL, 20);
    }
  return TRUE;
}

void
eap_test_stop_process (GSubprocess *process,
                       guint        timeout_ms)
{
  gint64 deadline = eap_test_deadline (timeout_ms);

  g_subprocess_send_signal (process, SIGTERM);   /* a no-op once reaped */
  while (!process_has_exited (process) && !eap_test_deadline_passed (deadline))
    eap_test_wait_until (never_cond, NULL, 20);
  if (!process_has_exited (process))
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
    }
}

gboolean
eap_test_write_all (int         fd,
                    const void *data,
                    gsize       length)
{
  const char *p = data;

  while (length > 0)
    {
      gssize n = send (fd, p, length, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      length -= n;
    }
  return TRUE;
}

int
eap_test_listen_loopback (guint16 *port,
                          int      backlog)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  g_assert (fd >= 0);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
  g_assert (listen (fd, backlog) == 0);
  g_assert (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
  *port = ntohs (addr.sin_port);
  return fd;
}

int
eap_test_connect_loopback (guint16 port)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int saved = errno;

      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}
