/* bench-dispatch.c: what an eap operation costs, against GTask
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two figures, each against a yardstick run in the same process, the two
 * alternating A B A B over ROUNDS rounds, reported as medians (the
 * machine is shared and noisy: PERF-ANCHORS.md):
 *
 * (a) Dispatch: one trivial operation from `…_async` to its `completed`
 *     handler, on one thread, with 1 and with 1,000 operations in flight
 *     (each handler starts the next). The operation is the cheapest a
 *     component can have: it completes inside its own `…_async` with
 *     eap_operation_complete(), so the figure is the core's overhead
 *     alone. Yardstick: a raw GTask doing the same round trip
 *     (g_task_new + g_task_return_pointer in the same iteration, callback
 *     on a later dispatch). Goal: at most 2x GTask.
 *
 * (b) Coalesced progress: eap_operation_report_progress() in a tight
 *     loop on an operation whose dispatch source is already armed, so
 *     every report is folded into the pending one; from the thread that
 *     owns the context and from a worker thread. Yardstick: the least any
 *     "latest value wins" hand-off can cost, a GMutex lock, two stores
 *     and an unlock. Goal: under 100 ns per report.
 *
 * Usage: bench-dispatch [--rounds=N] [--ops=N] [--reports=N]
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <eap.h>

#include "bench-util.h"

/* ------------------------------------------------------------------ */
/* A component with one operation that completes at once                */
/* ------------------------------------------------------------------ */

#define BENCH_TYPE_COMPONENT (bench_component_get_type ())
G_DECLARE_FINAL_TYPE (BenchComponent, bench_component, BENCH, COMPONENT, EapComponent)

struct _BenchComponent
{
  EapComponent parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchComponent, bench_component, EAP_TYPE_COMPONENT)

static void
bench_component_class_init (BenchComponentClass *klass)
{
}

static void
bench_component_init (BenchComponent *self)
{
}

static gboolean
bench_component_noop_async (BenchComponent  *self,
                            gpointer         user_state,
                            GError         **error)
{
  EapOperation *op;

  op = eap_component_begin_operation (EAP_COMPONENT (self), "noop", user_state, error);
  if (op == NULL)
    return FALSE;

  eap_operation_complete (op, NULL);   /* plain success; delivered later */
  g_object_unref (op);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Timing and statistics                                                */
/* ------------------------------------------------------------------ */


/* ------------------------------------------------------------------ */
/* (a) Dispatch                                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  BenchComponent *component;   /* (unowned) */
  GObject        *source;      /* (unowned): the GTask source object */
  guint64         n_total;
  guint64         n_started;
  guint64         n_done;
} Run;

static void
start_eap (Run *run)
{
  run->n_started++;
  if (!bench_component_noop_async (run->component, NULL, NULL))
    g_error ("bench: the operation was refused");
}

static void
eap_completed_cb (EapComponent     *component,
                  EapCompletedArgs *args,
                  gpointer          user_data)
{
  Run *run = user_data;

  run->n_done++;
  if (run->n_started < run->n_total)
    start_eap (run);
}

static void start_task (Run *run);

static void
task_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;

  g_task_propagate_pointer (G_TASK (result), NULL);
  run->n_done++;
  if (run->n_started < run->n_total)
    start_task (run);
}

static void
start_task (Run *run)
{
  GTask *task;

  run->n_started++;
  task = g_task_new (run->source, NULL, task_done_cb, run);
  g_task_return_pointer (task, NULL, NULL);   /* callback on a later dispatch */
  g_object_unref (task);
}

/* Runs @n_ops operations, @in_flight at a time, on @context, which the
 * calling thread has pushed; returns ns per operation. */
static double
run_dispatch (GMainContext *context,
              Run          *run,
              gboolean      use_eap,
              guint64       n_ops,
              guint         in_flight)
{
  gint64 start;

  run->n_total = n_ops;
  run->n_started = 0;
  run->n_done = 0;

  start = bench_now_ns ();
  for (guint i = 0; i < in_flight && run->n_started < n_ops; i++)
    use_eap ? start_eap (run) : start_task (run);
  while (run->n_done < n_ops)
    g_main_context_iteration (context, TRUE);

  return (double) (bench_now_ns () - start) / (double) n_ops;
}

/* ------------------------------------------------------------------ */
/* (b) Coalesced progress                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  GMutex mutex;
  gint64 done;
  gint64 total;
} LatestValue;

typedef struct
{
  EapOperation *op;         /* (unowned) (nullable): NULL for the yardstick */
  LatestValue  *latest;     /* (unowned) */
  guint64       n_reports;
  double        ns_per_report;
} ReportLoop;

static void
report_loop (ReportLoop *loop)
{
  gint64 total = (gint64) loop->n_reports;
  gint64 start = bench_now_ns ();

  if (loop->op != NULL)
    {
      for (gint64 i = 1; i <= total; i++)
        eap_operation_report_progress (loop->op, i, total);
    }
  else
    {
      for (gint64 i = 1; i <= total; i++)
        {
          g_mutex_lock (&loop->latest->mutex);
          loop->latest->done = i;
          loop->latest->total = total;
          g_mutex_unlock (&loop->latest->mutex);
        }
    }

  loop->ns_per_report = (double) (bench_now_ns () - start) / (double) loop->n_reports;
}

static gpointer
report_thread (gpointer data)
{
  report_loop (data);
  return NULL;
}

static double
run_reports (EapOperation *op,
             LatestValue  *latest,
             guint64       n_reports,
             gboolean      from_worker)
{
  ReportLoop loop = { op, latest, n_reports, 0 };

  if (op != NULL)
    eap_operation_report_progress (op, 0, (gint64) n_reports);   /* arms the source */

  if (from_worker)
    g_thread_join (g_thread_new ("bench-reporter", report_thread, &loop));
  else
    report_loop (&loop);

  return loop.ns_per_report;
}

static void
count_progress_cb (EapComponent    *component,
                   EapProgressArgs *args,
                   gpointer         user_data)
{
  guint *n_emitted = user_data;

  (*n_emitted)++;
}

/* ------------------------------------------------------------------ */
/* Driver                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char *figure;
  const char *yardstick;
  const char *goal;
  double      eap_ns;
  double      yardstick_ns;
  double      eap_min, eap_max;
  gboolean    met;
} Row;

static void
summarize (Row          *row,
           const double *eap,
           const double *yardstick,
           guint         n)
{
  row->eap_ns = bench_median (eap, n);
  row->yardstick_ns = bench_median (yardstick, n);
  row->eap_min = row->eap_max = eap[0];
  for (guint i = 1; i < n; i++)
    {
      row->eap_min = MIN (row->eap_min, eap[i]);
      row->eap_max = MAX (row->eap_max, eap[i]);
    }
}

static void
bench_dispatch (Row     *row,
                guint    in_flight,
                guint    rounds,
                guint64  n_ops)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(BenchComponent) component = NULL;
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  g_autofree double *a = g_new0 (double, rounds);
  g_autofree double *b = g_new0 (double, rounds);
  Run run = { 0 };

  g_main_context_push_thread_default (context);
  component = g_object_new (BENCH_TYPE_COMPONENT, NULL);
  run.component = component;
  run.source = source;
  g_signal_connect (component, "completed::noop", G_CALLBACK (eap_completed_cb), &run);

  /* A B, A B, …: eap first, then GTask, in every round; round 0 warms
   * up and is not counted. */
  for (guint r = 0; r <= rounds; r++)
    {
      double eap_ns = run_dispatch (context, &run, TRUE, n_ops, in_flight);
      double task_ns = run_dispatch (context, &run, FALSE, n_ops, in_flight);

      if (r > 0)
        {
          a[r - 1] = eap_ns;
          b[r - 1] = task_ns;
        }
    }

  g_clear_object (&component);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  summarize (row, a, b, rounds);
  row->met = row->eap_ns <= 2 * row->yardstick_ns;
}

static void
bench_progress (Row      *row,
                gboolean  from_worker,
                guint     rounds,
                guint64   n_reports)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(BenchComponent) component = NULL;
  g_autoptr(EapOperation) op = NULL;
  g_autofree double *a = g_new0 (double, rounds);
  g_autofree double *b = g_new0 (double, rounds);
  LatestValue latest = { 0 };
  guint n_emitted = 0;

  g_mutex_init (&latest.mutex);
  g_main_context_push_thread_default (context);
  component = g_object_new (BENCH_TYPE_COMPONENT, NULL);
  g_signal_connect (component, "progress-changed::report", G_CALLBACK (count_progress_cb),
                    &n_emitted);
  op = eap_component_begin_operation (EAP_COMPONENT (component), "report", NULL, NULL);
  g_assert (op != NULL);

  /* The context is not iterated while the loops run, so the source armed
   * by the first report stays pending and every later report coalesces. */
  for (guint r = 0; r <= rounds; r++)
    {
      double eap_ns = run_reports (op, &latest, n_reports, from_worker);
      double lock_ns = run_reports (NULL, &latest, n_reports, from_worker);

      if (r > 0)
        {
          a[r - 1] = eap_ns;
          b[r - 1] = lock_ns;
        }
    }

  /* Finish cleanly: one progress emission (the newest), then completed. */
  eap_operation_complete (op, NULL);
  while (eap_component_get_is_busy (EAP_COMPONENT (component)))
    g_main_context_iteration (context, TRUE);
  g_clear_object (&op);
  g_clear_object (&component);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_mutex_clear (&latest.mutex);

  if (n_emitted != 1)
    fprintf (stderr, "bench: expected 1 coalesced progress emission, saw %u\n", n_emitted);

  summarize (row, a, b, rounds);
  row->met = row->eap_ns < 100;
}

static void
print_table (const Row *rows,
             guint      n_rows)
{
  printf ("\n%-36s %10s %10s  %-22s %7s  %-22s %s\n",
          "figure", "eap", "(min-max)", "yardstick", "ratio", "goal", "");
  for (guint i = 0; i < n_rows; i++)
    {
      const Row *row = &rows[i];
      g_autofree char *spread = g_strdup_printf ("%.0f-%.0f", row->eap_min, row->eap_max);
      g_autofree char *yard = g_strdup_printf ("%.0f ns %s", row->yardstick_ns, row->yardstick);

      printf ("%-36s %7.0f ns %10s  %-22s %6.2fx  %-22s %s\n",
              row->figure, row->eap_ns, spread, yard,
              row->eap_ns / row->yardstick_ns, row->goal, row->met ? "ok" : "MISSED");
    }
}

int
main (int   argc,
      char *argv[])
{
  int rounds = 15;
  gint64 n_ops = 100000;
  gint64 n_reports = 2000000;
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Timed A B rounds per figure (default 15)", "N" },
    { "ops", 'n', 0, G_OPTION_ARG_INT64, &n_ops, "Operations per round (default 100000)", "N" },
    { "reports", 'p', 0, G_OPTION_ARG_INT64, &n_reports,
      "Progress reports per round (default 2000000)", "N" },
    G_OPTION_ENTRY_NULL
  };
  Row rows[] = {
    { "op round trip, 1 in flight", "GTask", "<= 2x GTask" },
    { "op round trip, 1000 in flight", "GTask", "<= 2x GTask" },
    { "coalesced report, owner thread", "mutex store", "< 100 ns/report" },
    { "coalesced report, worker thread", "mutex store", "< 100 ns/report" },
  };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) ||
      rounds < 1 || n_ops < 1 || n_reports < 1)
    {
      fprintf (stderr, "bench-dispatch: %s\n", error ? error->message : "counts must be positive");
      return 2;
    }

  printf ("bench-dispatch: %d rounds (+1 warm-up) of A=eap then B=yardstick; medians\n"
          "  dispatch: %" G_GINT64_FORMAT " ops per round; progress: %" G_GINT64_FORMAT
          " reports per round\n", rounds, n_ops, n_reports);

  bench_dispatch (&rows[0], 1, (guint) rounds, (guint64) n_ops);
  bench_dispatch (&rows[1], 1000, (guint) rounds, (guint64) n_ops);
  bench_progress (&rows[2], FALSE, (guint) rounds, (guint64) n_reports);
  bench_progress (&rows[3], TRUE, (guint) rounds, (guint64) n_reports);

  print_table (rows, G_N_ELEMENTS (rows));
  printf ("\nns per operation or per report; ratio = eap / yardstick. Context: GTask round\n"
          "trip 1.09 us (1 in flight), 0.50 us (1000); g_main_context_invoke per report\n"
          "1.32 us (PERF-ANCHORS.md).\n");
  return 0;
}
