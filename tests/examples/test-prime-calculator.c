/* test-prime-calculator.c: the sample component, tested as a user would
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PrimeCalculator is the "write your own component" sample, built only on
 * the public API. These tests hold it to the same contract as the built-in
 * components (EAP-REQUIREMENTS.md; test names cite the rules), which also
 * makes them a check of the core from a third party's point of view.
 *
 * No sleeps: every wait iterates the test's context up to a deadline.
 */

#include <CUnit/CUnit.h>

#include "eap-test.h"
#include "prime-calculator.h"

/* The largest prime below 2^64 (2^64 - 59). Trial division would need
 * hours, so an operation on it ends only because a test cancels it. */
#define LONG_PRIME G_GUINT64_CONSTANT (18446744073709551557)

/* A prime whose search takes milliseconds but reports ~100 progress
 * values (√9999999967 ≈ 10^5 candidates). */
#define MEDIUM_PRIME G_GUINT64_CONSTANT (9999999967)

typedef struct
{
  guint64  number;
  gboolean is_prime;
  guint64  first_divisor;
} Case;

static const Case cases[] = {
  { 2, TRUE, 2 },
  { 3, TRUE, 3 },
  { 4, FALSE, 2 },
  { 5, TRUE, 5 },
  { 9, FALSE, 3 },
  { 25, FALSE, 5 },
  { 49, FALSE, 7 },
  { 97, TRUE, 97 },
  { 561, FALSE, 3 },                                       /* a Carmichael number */
  { 7919, TRUE, 7919 },
  { 1000000007, TRUE, 1000000007 },
  { G_GUINT64_CONSTANT (4295098369), FALSE, 65537 },        /* 65537²: divisor == √n */
  { G_GUINT64_CONSTANT (4294967297), FALSE, 641 },          /* Fermat's F5 */
  { G_GUINT64_CONSTANT (600851475143), FALSE, 71 },
  { G_GUINT64_CONSTANT (999999999989), TRUE, G_GUINT64_CONSTANT (999999999989) },
  { G_GUINT64_CONSTANT (1000006000009), FALSE, 1000003 },   /* 1000003² */
  { G_MAXUINT64, FALSE, 3 },                                /* 2^64 - 1 */
  { G_MAXUINT64 - 1, FALSE, 2 },
};

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static EapTestEvent *
event_at (EapTestRecorder *recorder,
          guint            i)
{
  return &g_array_index (recorder->events, EapTestEvent, i);
}

static gpointer
event_user_state (EapTestEvent *event)
{
  if (event->kind == EAP_TEST_EVENT_COMPLETED)
    return eap_completed_args_get_user_state (EAP_COMPLETED_ARGS (event->args));
  if (event->kind == EAP_TEST_EVENT_PROGRESS)
    return eap_progress_args_get_user_state (EAP_PROGRESS_ARGS (event->args));
  return NULL;
}

/* The completed args of the operation started with @user_state, or NULL. */
static PrimeCalculateCompletedArgs *
find_completed (EapTestRecorder *recorder,
                gpointer         user_state)
{
  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = event_at (recorder, i);

      if (event->kind == EAP_TEST_EVENT_COMPLETED && event_user_state (event) == user_state)
        return PRIME_CALCULATE_COMPLETED_ARGS (event->args);
    }
  return NULL;
}

typedef struct
{
  EapTestRecorder *recorder;
  gpointer         user_state;
  EapTestEventKind kind;
  guint            n;
} CountWait;

static gboolean
has_count (gpointer data)
{
  CountWait *wait = data;

  return eap_test_recorder_count (wait->recorder, wait->kind, wait->user_state) >= wait->n;
}

/* Waits until the operation of @user_state has had @n events of @kind. */
static gboolean
wait_for (EapTestRecorder  *recorder,
          EapTestEventKind  kind,
          gpointer          user_state,
          guint             n)
{
  CountWait wait = { recorder, user_state, kind, n };

  return eap_test_wait_until (has_count, &wait, EAP_TEST_TIMEOUT_MS);
}

static PrimeCalculator *
new_calculator (guint progress_interval_ms)
{
  PrimeCalculator *calc = prime_calculator_new ();

  eap_component_set_progress_interval (EAP_COMPONENT (calc), progress_interval_ms);
  return calc;
}

static gboolean
start (PrimeCalculator *calc,
       guint64          number,
       gpointer         user_state)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = prime_calculator_calculate_prime_async (calc, number, user_state, &error);

  CU_ASSERT_TRUE (ok);
  CU_ASSERT_PTR_NULL (error);
  return ok;
}

/* Asserts that @args reports a cancelled operation the way R22/R23 say. */
static void
assert_cancelled (PrimeCalculateCompletedArgs *args,
                  guint64                      number)
{
  g_autoptr(GError) error = NULL;
  gboolean is_prime;
  guint64 divisor;

  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (EAP_COMPLETED_ARGS (args)));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (EAP_COMPLETED_ARGS (args)));
  CU_ASSERT_EQUAL (prime_calculate_completed_args_get_number (args), number);

  is_prime = prime_calculate_completed_args_get_is_prime (args, &error);
  CU_ASSERT_FALSE (is_prime);
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);

  divisor = prime_calculate_completed_args_get_first_divisor (args, &error);
  CU_ASSERT_EQUAL (divisor, 0);
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);

  CU_ASSERT_FALSE (eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (args), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
}

/* ------------------------------------------------------------------ */
/* Results                                                              */
/* ------------------------------------------------------------------ */

static void
test_results (void)   /* R3, R4, R13, R21 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (50);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    start (calc, cases[i].number, (gpointer) &cases[i]);

  /* R13: nothing is emitted inside …_async, however quick the work. */
  CU_ASSERT_EQUAL (recorder->n_completed, 0);
  CU_ASSERT_EQUAL (recorder->n_progress, 0);
  CU_ASSERT_TRUE (eap_component_get_is_busy (EAP_COMPONENT (calc)));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, G_N_ELEMENTS (cases),
                                                          EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (calc)));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PrimeCalculateCompletedArgs *args = find_completed (recorder, (gpointer) &cases[i]);
      g_autoptr(GError) error = NULL;

      CU_ASSERT_PTR_NOT_NULL_FATAL (args);
      CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED,
                                                (gpointer) &cases[i]), 1);
      CU_ASSERT_STRING_EQUAL (eap_completed_args_get_operation_name (EAP_COMPLETED_ARGS (args)),
                              PRIME_CALCULATOR_CALCULATE_PRIME);
      CU_ASSERT_FALSE (eap_completed_args_get_cancelled (EAP_COMPLETED_ARGS (args)));
      CU_ASSERT_PTR_NULL (eap_completed_args_get_error (EAP_COMPLETED_ARGS (args)));
      CU_ASSERT_EQUAL (prime_calculate_completed_args_get_number (args), cases[i].number);
      CU_ASSERT_EQUAL (prime_calculate_completed_args_get_is_prime (args, &error),
                       cases[i].is_prime);
      CU_ASSERT_PTR_NULL (error);
      CU_ASSERT_EQUAL (prime_calculate_completed_args_get_first_divisor (args, &error),
                       cases[i].first_divisor);
      CU_ASSERT_PTR_NULL (error);
      if (prime_calculate_completed_args_get_first_divisor (args, NULL) != cases[i].first_divisor)
        fprintf (stderr, "%" G_GUINT64_FORMAT ": first divisor %" G_GUINT64_FORMAT
                 ", expected %" G_GUINT64_FORMAT "\n", cases[i].number,
                 prime_calculate_completed_args_get_first_divisor (args, NULL),
                 cases[i].first_divisor);
    }

  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* Progress                                                             */
/* ------------------------------------------------------------------ */

/* Checks the progress of the operation @user_state of @number: all in the
 * test's thread and context, all before its completed, never decreasing;
 * returns the last progress args. */
static PrimeCalculateProgressArgs *
check_progress_sequence (EapTestRecorder *recorder,
                         gpointer         user_state,
                         guint            *n_progress)
{
  PrimeCalculateProgressArgs *last = NULL;
  gboolean completed = FALSE;

  *n_progress = 0;
  for (guint i = 0; i < recorder->events->len; i++)
    {
      EapTestEvent *event = event_at (recorder, i);
      PrimeCalculateProgressArgs *args;

      if (event->kind == EAP_TEST_EVENT_BUSY_CHANGED || event_user_state (event) != user_state)
        continue;

      CU_ASSERT_TRUE (event->in_context);                  /* R38 */
      CU_ASSERT_PTR_EQUAL (event->thread, g_thread_self ()); /* R41: never a worker */

      if (event->kind == EAP_TEST_EVENT_COMPLETED)
        {
          completed = TRUE;
          continue;
        }

      CU_ASSERT_FALSE (completed);                          /* R17: none after completed */
      CU_ASSERT_TRUE_FATAL (PRIME_IS_CALCULATE_PROGRESS_ARGS (event->args));
      args = PRIME_CALCULATE_PROGRESS_ARGS (event->args);
      CU_ASSERT_STRING_EQUAL (eap_progress_args_get_operation_name (EAP_PROGRESS_ARGS (args)),
                              PRIME_CALCULATOR_CALCULATE_PRIME);

      if (last != NULL)                                     /* R32 */
        {
          EapProgressArgs *a = EAP_PROGRESS_ARGS (last), *b = EAP_PROGRESS_ARGS (args);

          CU_ASSERT_TRUE (eap_progress_args_get_percentage (b) >= eap_progress_args_get_percentage (a));
          CU_ASSERT_TRUE (eap_progress_args_get_done (b) >= eap_progress_args_get_done (a));
          CU_ASSERT_TRUE (prime_calculate_progress_args_get_latest_prime (args) >=
                          prime_calculate_progress_args_get_latest_prime (last));
          CU_ASSERT_TRUE (prime_calculate_progress_args_get_primes_found (args) >=
                          prime_calculate_progress_args_get_primes_found (last));
        }
      CU_ASSERT_TRUE (eap_progress_args_get_percentage (EAP_PROGRESS_ARGS (args)) >= 0);
      CU_ASSERT_TRUE (eap_progress_args_get_percentage (EAP_PROGRESS_ARGS (args)) <= 100);
      last = args;
      (*n_progress)++;
    }

  CU_ASSERT_TRUE (completed);
  return last;
}

static void
test_progress_order (void)   /* R6, R17, R32, R35, R38 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (0);   /* 0: every report */
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  static int prime_state, composite_state;
  PrimeCalculateProgressArgs *last;
  guint n;

  start (calc, MEDIUM_PRIME, &prime_state);
  start (calc, G_GUINT64_CONSTANT (99999994999997), &composite_state);  /* 4999999 × 20000003 */
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));

  /* The prime: searched to the end, so the last report is 100 % with
   * done == total == √n, and the count of primes below √n (9592 primes
   * up to 99999 = ⌊√9999999967⌋). The search takes milliseconds, so the
   * reports may all coalesce into that last one (R34). */
  last = check_progress_sequence (recorder, &prime_state, &n);
  CU_ASSERT_TRUE (n >= 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (EAP_PROGRESS_ARGS (last)), 100);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (EAP_PROGRESS_ARGS (last)), 99999);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (EAP_PROGRESS_ARGS (last)), 99999);
  CU_ASSERT_EQUAL (prime_calculate_progress_args_get_latest_prime (last), 99991);
  CU_ASSERT_EQUAL (prime_calculate_progress_args_get_primes_found (last), 9592);

  /* The composite: the search stops at its first divisor, and the last
   * report says so. */
  last = check_progress_sequence (recorder, &composite_state, &n);
  CU_ASSERT_TRUE (n >= 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (EAP_PROGRESS_ARGS (last)), 4999999);
  CU_ASSERT_EQUAL (prime_calculate_progress_args_get_latest_prime (last), 4999999);
  CU_ASSERT_FALSE (eap_progress_args_get_indeterminate (EAP_PROGRESS_ARGS (last)));

  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                         */
/* ------------------------------------------------------------------ */

static void
test_cancel_one_of_several (void)   /* R5, R26, R29 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (0);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  static int small, first, second, unknown;
  PrimeCalculateCompletedArgs *args;

  /* The small one first, so that it never waits behind the long ones,
   * even with a one-thread pool on a one-processor machine. */
  start (calc, 97, &small);
  start (calc, LONG_PRIME, &first);
  start (calc, LONG_PRIME, &second);
  CU_ASSERT_TRUE_FATAL (wait_for (recorder, EAP_TEST_EVENT_PROGRESS, &first, 1));

  /* Cancel the first, part-way. Nothing is emitted before cancel returns,
   * and an unknown user_state is a no-op. */
  eap_component_cancel_async (EAP_COMPONENT (calc), &first);
  eap_component_cancel_async (EAP_COMPONENT (calc), &unknown);
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, &first), 0);

  CU_ASSERT_TRUE_FATAL (wait_for (recorder, EAP_TEST_EVENT_COMPLETED, &first, 1));
  assert_cancelled (find_completed (recorder, &first), LONG_PRIME);

  /* Only the first was touched: the small one completed normally and the
   * second is still in flight. */
  CU_ASSERT_TRUE_FATAL (wait_for (recorder, EAP_TEST_EVENT_COMPLETED, &small, 1));
  args = find_completed (recorder, &small);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (EAP_COMPLETED_ARGS (args)));
  CU_ASSERT_TRUE (prime_calculate_completed_args_get_is_prime (args, NULL));
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (find_completed (recorder, &second));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (calc)), 1);
  CU_ASSERT_TRUE (eap_component_get_is_busy (EAP_COMPONENT (calc)));

  eap_component_cancel_async (EAP_COMPONENT (calc), &second);
  CU_ASSERT_TRUE_FATAL (wait_for (recorder, EAP_TEST_EVENT_COMPLETED, &second, 1));
  assert_cancelled (find_completed (recorder, &second), LONG_PRIME);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (calc)));
  CU_ASSERT_EQUAL (recorder->n_completed, 3);

  /* A late cancel of a finished operation is harmless too (R25). */
  eap_component_cancel_async (EAP_COMPONENT (calc), &first);
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 3);

  eap_test_recorder_free (recorder);
}

static void
test_cancelled_getters (void)   /* R22, R23 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (50);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  static int state;
  EapCompletedArgs *args;

  start (calc, LONG_PRIME, &state);
  eap_component_cancel_async (EAP_COMPONENT (calc), &state);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (recorder, 0);

  /* Even a cancelled operation completes with the typed subclass, so a
   * handler can always cast. */
  CU_ASSERT_TRUE_FATAL (PRIME_IS_CALCULATE_COMPLETED_ARGS (args));
  CU_ASSERT_PTR_EQUAL (eap_completed_args_get_user_state (args), &state);
  assert_cancelled (PRIME_CALCULATE_COMPLETED_ARGS (args), LONG_PRIME);

  eap_test_recorder_free (recorder);
}

static void
test_cancel_before_worker_began (void)   /* R30 */
{
  /* The worker pool has one thread per processor: keep them all busy, so
   * the next operation waits in the queue; cancel it there. */
  guint n_busy = g_get_num_processors ();
  g_autoptr(PrimeCalculator) calc = new_calculator (0);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  g_autofree int *busy = g_new0 (int, n_busy);
  static int queued;

  for (guint i = 0; i < n_busy; i++)
    start (calc, LONG_PRIME, &busy[i]);
  for (guint i = 0; i < n_busy; i++)
    CU_ASSERT_TRUE_FATAL (wait_for (recorder, EAP_TEST_EVENT_PROGRESS, &busy[i], 1));

  start (calc, LONG_PRIME, &queued);
  eap_component_cancel_async (EAP_COMPONENT (calc), &queued);
  eap_component_cancel_all (EAP_COMPONENT (calc));

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, n_busy + 1,
                                                          EAP_TEST_TIMEOUT_MS));
  assert_cancelled (find_completed (recorder, &queued), LONG_PRIME);
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_PROGRESS, &queued), 0);
  for (guint i = 0; i < n_busy; i++)
    assert_cancelled (find_completed (recorder, &busy[i]), LONG_PRIME);

  eap_test_recorder_free (recorder);
}

static void
cancel_from_progress_cb (EapComponent    *component,
                         EapProgressArgs *args,
                         gpointer         user_data)
{
  guint *n_calls = user_data;

  (*n_calls)++;
  eap_component_cancel_async (component, eap_progress_args_get_user_state (args));
}

static void
test_cancel_from_progress_handler (void)   /* R25, R51 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (0);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  static int state;
  guint n_calls = 0;
  guint n;

  g_signal_connect (calc, "progress-changed::" PRIME_CALCULATOR_CALCULATE_PRIME,
                    G_CALLBACK (cancel_from_progress_cb), &n_calls);
  start (calc, LONG_PRIME, &state);

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 1, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (n_calls >= 1);
  assert_cancelled (find_completed (recorder, &state), LONG_PRIME);
  check_progress_sequence (recorder, &state, &n);

  g_signal_handlers_disconnect_by_func (calc, cancel_from_progress_cb, &n_calls);
  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* Refusals                                                             */
/* ------------------------------------------------------------------ */

static void
test_duplicate_user_state (void)   /* R11 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (50);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  g_autoptr(GError) error = NULL;
  static int state;

  start (calc, LONG_PRIME, &state);

  CU_ASSERT_FALSE (prime_calculator_calculate_prime_async (calc, 97, &state, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (calc)), 1);

  /* NULL never collides. */
  start (calc, 97, NULL);
  start (calc, 89, NULL);

  eap_component_cancel_async (EAP_COMPONENT (calc), &state);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 3, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();

  /* Exactly one completion for the user_state: the refused call added none. */
  CU_ASSERT_EQUAL (eap_test_recorder_count (recorder, EAP_TEST_EVENT_COMPLETED, &state), 1);
  assert_cancelled (find_completed (recorder, &state), LONG_PRIME);
  CU_ASSERT_EQUAL (recorder->n_completed, 3);

  /* Once it has completed, the user_state is free again. */
  start (calc, 97, &state);
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 4, EAP_TEST_TIMEOUT_MS));

  eap_test_recorder_free (recorder);
}

static void
test_zero_and_one_refused (void)   /* R9 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (50);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);

  for (guint64 n = 0; n < 2; n++)
    {
      g_autoptr(GError) error = NULL;
      guint64 divisor = 42;
      gboolean is_prime = TRUE;

      CU_ASSERT_FALSE (prime_calculator_calculate_prime_async (calc, n, NULL, &error));
      CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
      g_clear_error (&error);

      CU_ASSERT_FALSE (prime_calculator_calculate_prime (calc, n, &is_prime, &divisor,
                                                         NULL, &error));
      CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
      CU_ASSERT_EQUAL (divisor, 42);        /* out parameters untouched on error */
      CU_ASSERT_TRUE (is_prime);
    }

  /* A refusal starts nothing and emits nothing, not even notify::is-busy. */
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (calc)));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->events->len, 0);

  eap_test_recorder_free (recorder);
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                             */
/* ------------------------------------------------------------------ */

static void
test_close_with_operations_in_flight (void)   /* R15, R49, R50 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (50);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  g_autoptr(GError) error = NULL;
  static int a, b;

  start (calc, LONG_PRIME, &a);
  start (calc, LONG_PRIME, &b);
  eap_component_close (EAP_COMPONENT (calc));
  CU_ASSERT_EQUAL (recorder->n_completed, 0);   /* never inside close */

  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (recorder, 2, EAP_TEST_TIMEOUT_MS));
  assert_cancelled (find_completed (recorder, &a), LONG_PRIME);
  assert_cancelled (find_completed (recorder, &b), LONG_PRIME);

  CU_ASSERT_FALSE (prime_calculator_calculate_prime_async (calc, 97, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  CU_ASSERT_FALSE (prime_calculator_calculate_prime (calc, 97, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));

  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->n_completed, 2);
  eap_test_recorder_free (recorder);
}

static void
set_flag_cb (EapComponent     *component,
             EapCompletedArgs *args,
             gpointer          user_data)
{
  gint *flag = user_data;

  CU_ASSERT_TRUE (prime_calculate_completed_args_get_is_prime (PRIME_CALCULATE_COMPLETED_ARGS (args),
                                                               NULL));
  g_atomic_int_set (flag, 1);
}

static gboolean
pointer_is_null (gpointer data)
{
  return g_atomic_pointer_get ((gpointer *) data) == NULL;
}

static void
test_drop_last_reference (void)   /* R48 */
{
  PrimeCalculator *calc = new_calculator (50);
  gpointer weak = calc;
  gint completed = 0;

  g_object_add_weak_pointer (G_OBJECT (calc), &weak);
  g_signal_connect (calc, "completed::" PRIME_CALCULATOR_CALCULATE_PRIME,
                    G_CALLBACK (set_flag_cb), &completed);
  start (calc, MEDIUM_PRIME, NULL);

  /* The operation keeps the calculator alive until it has completed. */
  g_object_unref (calc);
  CU_ASSERT_PTR_NOT_NULL (g_atomic_pointer_get (&weak));

  CU_ASSERT_TRUE (eap_test_wait_until (eap_test_cond_flag, &completed, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_test_wait_until (pointer_is_null, &weak, EAP_TEST_TIMEOUT_MS));
  if (g_atomic_pointer_get (&weak) != NULL)
    g_object_remove_weak_pointer (G_OBJECT (weak), &weak);
}

/* ------------------------------------------------------------------ */
/* The blocking twin                                                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  PrimeCalculator *calc;          /* (unowned) */
  GCancellable    *cancellable;   /* (unowned) */
  GError          *error;         /* (owned) (nullable) */
  gboolean         ok;
  EapTestLatch     started;
  EapTestLatch     done;
} BlockingRun;

static gpointer
blocking_thread (gpointer data)
{
  BlockingRun *run = data;

  eap_test_latch_set (&run->started);
  run->ok = prime_calculator_calculate_prime (run->calc, LONG_PRIME, NULL, NULL,
                                              run->cancellable, &run->error);
  eap_test_latch_set (&run->done);
  return NULL;
}

static void
test_blocking_twin (void)   /* R4, R8, R60 */
{
  g_autoptr(PrimeCalculator) calc = new_calculator (50);
  EapTestRecorder *recorder = eap_test_recorder_new (EAP_COMPONENT (calc), NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  BlockingRun run = { calc, cancellable, NULL, TRUE };
  GThread *thread;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean is_prime = !cases[i].is_prime;
      guint64 divisor = 0;

      CU_ASSERT_TRUE (prime_calculator_calculate_prime (calc, cases[i].number, &is_prime,
                                                        &divisor, NULL, &error));
      CU_ASSERT_PTR_NULL (error);
      CU_ASSERT_EQUAL (is_prime, cases[i].is_prime);
      CU_ASSERT_EQUAL (divisor, cases[i].first_divisor);
    }

  /* It is plain blocking work: no operation, no signal, no busy state. */
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (calc)));
  eap_test_drain ();
  CU_ASSERT_EQUAL (recorder->events->len, 0);

  /* Cancelled from another thread while it runs, it stops promptly. */
  eap_test_latch_init (&run.started);
  eap_test_latch_init (&run.done);
  thread = g_thread_new ("blocking-prime", blocking_thread, &run);
  CU_ASSERT_TRUE (eap_test_latch_wait (&run.started, EAP_TEST_TIMEOUT_MS));
  g_cancellable_cancel (cancellable);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&run.done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  CU_ASSERT_FALSE (run.ok);
  CU_ASSERT_TRUE (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&run.error);
  eap_test_latch_clear (&run.started);
  eap_test_latch_clear (&run.done);

  /* Already cancelled: fails at once. */
  CU_ASSERT_FALSE (prime_calculator_calculate_prime (calc, LONG_PRIME, NULL, NULL,
                                                     cancellable, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));

  eap_test_recorder_free (recorder);
}

static CU_TestInfo prime_calculator_tests[] = {
  { "R3 R4 R13 primes and composites give the right results", test_results },
  { "R6 R17 R32 R35 progress in context, non-decreasing, before completed", test_progress_order },
  { "R5 R26 R29 cancelling one of several by user_state", test_cancel_one_of_several },
  { "R22 R23 getters of a cancelled op give G_IO_ERROR_CANCELLED", test_cancelled_getters },
  { "R30 an op cancelled before its worker began never runs", test_cancel_before_worker_began },
  { "R25 R51 cancelling from a progress handler", test_cancel_from_progress_handler },
  { "R11 a duplicate user_state is refused", test_duplicate_user_state },
  { "R9 0 and 1 are refused at call time", test_zero_and_one_refused },
  { "R15 R49 R50 close cancels what is in flight, then refuses", test_close_with_operations_in_flight },
  { "R48 dropping the last reference keeps the op alive", test_drop_last_reference },
  { "R4 R8 R60 the blocking twin", test_blocking_twin },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "PrimeCalculator",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = prime_calculator_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
