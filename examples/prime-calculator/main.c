/* main.c: eap-prime-calculator, a command line for PrimeCalculator
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: eap-prime-calculator [--interval=MS] [--cancel=N] [NUMBER…]
 *
 * Starts one calculate-prime operation per NUMBER, all at once, each with
 * its own user_state, and prints every event as it arrives: progress
 * (percentage, latest prime) and completion (result, cancelled or error),
 * with the thread that printed it. The work runs in worker threads; the
 * events all arrive here, in the main thread. The N-th operation is
 * cancelled from its own progress handler once it passes 25 %, and Ctrl-C
 * cancels everything. Without NUMBERs it runs a demo set of a few seconds.
 *
 * This file is the client side: it uses the component exactly as the .NET
 * sample's form uses PrimeNumberCalculator.
 */

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "prime-calculator.h"

/* Cancel the chosen operation once it has done this much. */
#define CANCEL_AT_PERCENT 25

typedef enum
{
  OUTCOME_RUNNING,
  OUTCOME_REFUSED,
  OUTCOME_PRIME,
  OUTCOME_COMPOSITE,
  OUTCOME_CANCELLED,
  OUTCOME_FAILED,
} Outcome;

/* One number to test. Its address is the operation's user_state: unique
 * while it is in flight, and it leads straight back here in the handlers. */
typedef struct
{
  guint    index;            /* 1-based, as printed */
  guint64  number;
  gint64   started_us;
  gint64   finished_us;
  Outcome  outcome;
  guint64  first_divisor;
  int      last_percent;
  gboolean cancel_when_due;  /* the one to cancel part-way */
  gboolean cancel_requested;
  char    *message;          /* (owned) (nullable): why it was refused or failed */
} Job;

typedef struct
{
  PrimeCalculator *calculator;   /* (owned) */
  GMainLoop       *loop;         /* (owned) */
  GThread         *main_thread;  /* (unowned) */
  gint64           start_us;
  Job             *jobs;         /* (owned) (array length=n_jobs) */
  guint            n_jobs;
} App;

/* The demo set: a spread of sizes. Trial division takes time ∝ √number,
 * from nothing for 600851475143 (= 71 × 839 × 1471 × 6857) to about five
 * seconds for the prime 999999999999989, which is the one cancelled. */
static const guint64 demo_numbers[] = {
  G_GUINT64_CONSTANT (600851475143),      /* composite, at once */
  G_GUINT64_CONSTANT (1000000007),        /* prime, at once */
  G_GUINT64_CONSTANT (299999999999977),   /* prime, ~2 s */
  G_GUINT64_CONSTANT (99999994999997),    /* 4999999 × 20000003: composite, ~0.4 s */
  G_GUINT64_CONSTANT (999999999999989),   /* prime, ~5 s: cancelled at 25 % */
  G_GUINT64_CONSTANT (99999999999973),    /* prime, ~1 s */
};
#define DEMO_CANCEL_INDEX 5

static const char *
thread_name (App *app)
{
  /* Every event should say "main": that is the point of the pattern. */
  return g_thread_self () == app->main_thread ? "main" : "WORKER";
}

static void G_GNUC_PRINTF (3, 4)
print_event (App        *app,
             Job        *job,
             const char *format,
             ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);

  printf ("%7.3f s  [%s thread]  #%u  %s\n",
          (g_get_monotonic_time () - app->start_us) / 1e6,
          thread_name (app), job->index, text);
  fflush (stdout);
}

/* progress-changed::calculate-prime, in the main thread. */
static void
on_progress (EapComponent    *component,
             EapProgressArgs *args,
             gpointer         user_data)
{
  App *app = user_data;
  Job *job = eap_progress_args_get_user_state (args);
  PrimeCalculateProgressArgs *prime_args = PRIME_CALCULATE_PROGRESS_ARGS (args);
  int percent = eap_progress_args_get_percentage (args);

  job->last_percent = percent;
  print_event (app, job, "%3d %%  latest prime %10" G_GUINT64_FORMAT
               ", primes found: %" G_GUINT64_FORMAT,
               percent,
               prime_calculate_progress_args_get_latest_prime (prime_args),
               prime_calculate_progress_args_get_primes_found (prime_args));

  /* Cancelling from inside a handler is allowed (R51), and it emits
   * nothing before returning: the completed signal, with cancelled set,
   * comes on a later dispatch. */
  if (job->cancel_when_due && !job->cancel_requested && percent >= CANCEL_AT_PERCENT)
    {
      job->cancel_requested = TRUE;
      print_event (app, job, "cancelling it (eap_component_cancel_async)");
      eap_component_cancel_async (component, job);
    }
}

/* completed::calculate-prime, in the main thread, exactly once per
 * accepted operation. */
static void
on_completed (EapComponent     *component,
              EapCompletedArgs *args,
              gpointer          user_data)
{
  App *app = user_data;
  Job *job = eap_completed_args_get_user_state (args);
  PrimeCalculateCompletedArgs *prime_args = PRIME_CALCULATE_COMPLETED_ARGS (args);
  g_autoptr(GError) error = NULL;
  gboolean is_prime;

  job->finished_us = g_get_monotonic_time ();

  /* The outcome is exactly one of: cancelled, failed, succeeded. */
  if (eap_completed_args_get_cancelled (args))
    {
      job->outcome = OUTCOME_CANCELLED;
      print_event (app, job, "cancelled at %d %%", job->last_percent);
      return;
    }

  /* The getter reports a failure as a GError (R22). */
  is_prime = prime_calculate_completed_args_get_is_prime (prime_args, &error);
  if (error != NULL)
    {
      job->outcome = OUTCOME_FAILED;
      job->message = g_strdup (error->message);
      print_event (app, job, "failed: %s", error->message);
      return;
    }

  job->first_divisor = prime_calculate_completed_args_get_first_divisor (prime_args, NULL);
  job->outcome = is_prime ? OUTCOME_PRIME : OUTCOME_COMPOSITE;
  if (is_prime)
    print_event (app, job, "%" G_GUINT64_FORMAT " is prime", job->number);
  else
    print_event (app, job, "%" G_GUINT64_FORMAT " is not prime: first divisor %"
                 G_GUINT64_FORMAT, job->number, job->first_divisor);
}

/* is-busy turns FALSE just before the last completed signal: all done. */
static void
on_busy_changed (EapComponent *component,
                 GParamSpec   *pspec,
                 gpointer      user_data)
{
  App *app = user_data;

  if (!eap_component_get_is_busy (component))
    g_main_loop_quit (app->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  App *app = user_data;

  printf ("Interrupted: cancelling everything (eap_component_cancel_all)\n");
  eap_component_cancel_all (EAP_COMPONENT (app->calculator));
  return G_SOURCE_CONTINUE;
}

static void
start_all (App *app)
{
  for (guint i = 0; i < app->n_jobs; i++)
    {
      Job *job = &app->jobs[i];
      g_autoptr(GError) error = NULL;

      job->started_us = g_get_monotonic_time ();
      if (prime_calculator_calculate_prime_async (app->calculator, job->number, job, &error))
        {
          print_event (app, job, "started: is %" G_GUINT64_FORMAT " prime?%s", job->number,
                       job->cancel_when_due ? " (to be cancelled part-way)" : "");
        }
      else
        {
          /* Refused at call time (R9): no signal will ever come for it. */
          job->outcome = OUTCOME_REFUSED;
          job->message = g_strdup (error->message);
          print_event (app, job, "refused: %s", error->message);
        }
    }
}

static const char *
outcome_text (Outcome outcome)
{
  switch (outcome)
    {
    case OUTCOME_RUNNING:   return "running";
    case OUTCOME_REFUSED:   return "refused";
    case OUTCOME_PRIME:     return "prime";
    case OUTCOME_COMPOSITE: return "composite";
    case OUTCOME_CANCELLED: return "cancelled";
    case OUTCOME_FAILED:    return "failed";
    default:                return "?";
    }
}

static guint
print_summary (App *app)
{
  guint counts[OUTCOME_FAILED + 1] = { 0 };

  printf ("\nSummary, %.2f s in all:\n", (g_get_monotonic_time () - app->start_us) / 1e6);
  for (guint i = 0; i < app->n_jobs; i++)
    {
      Job *job = &app->jobs[i];
      g_autofree char *detail = NULL;

      counts[job->outcome]++;
      if (job->outcome == OUTCOME_COMPOSITE)
        detail = g_strdup_printf ("first divisor %" G_GUINT64_FORMAT, job->first_divisor);
      else if (job->outcome == OUTCOME_CANCELLED)
        detail = g_strdup_printf ("at %d %%", job->last_percent);
      else if (job->message != NULL)
        detail = g_strdup (job->message);

      printf ("  #%-2u %20" G_GUINT64_FORMAT "  %-9s  %6.2f s  %s\n",
              job->index, job->number, outcome_text (job->outcome),
              job->finished_us ? (job->finished_us - job->started_us) / 1e6 : 0.0,
              detail ? detail : "");
    }

  printf ("%u numbers: %u prime, %u composite, %u cancelled, %u failed, %u refused\n",
          app->n_jobs, counts[OUTCOME_PRIME], counts[OUTCOME_COMPOSITE],
          counts[OUTCOME_CANCELLED], counts[OUTCOME_FAILED], counts[OUTCOME_REFUSED]);

  return counts[OUTCOME_FAILED] + counts[OUTCOME_REFUSED] + counts[OUTCOME_RUNNING];
}

static gboolean
parse_numbers (App      *app,
               char    **args,
               int       cancel_index,
               GError  **error)
{
  guint n_args = args ? g_strv_length (args) : 0;

  app->n_jobs = n_args ? n_args : G_N_ELEMENTS (demo_numbers);
  app->jobs = g_new0 (Job, app->n_jobs);

  for (guint i = 0; i < app->n_jobs; i++)
    {
      Job *job = &app->jobs[i];

      job->index = i + 1;
      job->cancel_when_due = (cancel_index > 0 && (guint) cancel_index == job->index);
      if (n_args == 0)
        job->number = demo_numbers[i];
      else if (!g_ascii_string_to_unsigned (args[i], 10, 0, G_MAXUINT64, &job->number, error))
        return FALSE;
    }

  return TRUE;
}

static void
app_clear (App *app)
{
  for (guint i = 0; i < app->n_jobs; i++)
    g_free (app->jobs[i].message);
  g_clear_pointer (&app->jobs, g_free);
  g_clear_object (&app->calculator);
  g_clear_pointer (&app->loop, g_main_loop_unref);
}

int
main (int   argc,
      char *argv[])
{
  App app = { 0 };
  int interval_ms = 250;
  int cancel_index = -1;
  g_auto(GStrv) numbers = NULL;
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval_ms,
      "At most one progress event per operation per MS milliseconds (default 250)", "MS" },
    { "cancel", 'c', 0, G_OPTION_ARG_INT, &cancel_index,
      "Cancel the N-th number once it passes 25 % (demo: 5; 0: none)", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &numbers, NULL, "[NUMBER…]" },
    G_OPTION_ENTRY_NULL
  };
  guint sigint_id;
  guint n_bad;

  setlocale (LC_ALL, "");
  options = g_option_context_new (NULL);
  g_option_context_set_summary (options,
    "Tests NUMBERs for primality at once, in worker threads, printing each\n"
    "progress and completed event as the main thread receives it.\n"
    "Without NUMBERs, runs a demo set and cancels one of them part-way.");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) ||
      !parse_numbers (&app, numbers, cancel_index < 0 && numbers == NULL ? DEMO_CANCEL_INDEX
                                                                       : cancel_index, &error))
    {
      fprintf (stderr, "eap-prime-calculator: %s\n", error->message);
      app_clear (&app);
      return 2;
    }

  app.main_thread = g_thread_self ();
  app.loop = g_main_loop_new (NULL, FALSE);
  app.calculator = prime_calculator_new ();
  app.start_us = g_get_monotonic_time ();

  /* Fewer, fuller progress events than the 50 ms default: a terminal
   * needs no more. The component coalesces the rest (latest wins). */
  eap_component_set_progress_interval (EAP_COMPONENT (app.calculator), (guint) MAX (interval_ms, 0));

  /* The detail names the operation, as CalculatePrimeCompleted does in .NET. */
  g_signal_connect (app.calculator, "progress-changed::" PRIME_CALCULATOR_CALCULATE_PRIME,
                    G_CALLBACK (on_progress), &app);
  g_signal_connect (app.calculator, "completed::" PRIME_CALCULATOR_CALCULATE_PRIME,
                    G_CALLBACK (on_completed), &app);
  g_signal_connect (app.calculator, "notify::is-busy", G_CALLBACK (on_busy_changed), &app);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &app);

  printf ("Testing %u numbers at once. The searches run in worker threads (one\n"
          "per processor, here %u; the others wait their turn); each event below\n"
          "is printed by the thread that received it.\n\n",
          app.n_jobs, g_get_num_processors ());
  start_all (&app);

  if (eap_component_get_is_busy (EAP_COMPONENT (app.calculator)))
    g_main_loop_run (app.loop);

  g_source_remove (sigint_id);
  n_bad = print_summary (&app);
  app_clear (&app);
  return n_bad == 0 ? 0 : 1;
}
