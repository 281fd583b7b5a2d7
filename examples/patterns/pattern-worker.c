/* pattern-worker.c: the blocking job in an EapBackgroundWorker
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: pattern-worker HOST:PORT [N]
 *
 * .NET: BackgroundWorker (DoWork, ReportProgress, ProgressChanged,
 * RunWorkerCompleted, CancelAsync). The work function is the blocking
 * code of pattern-blocking.c, run in a worker thread; it talks to the main
 * thread only through its EapDoWorkArgs. Progress and the outcome arrive
 * as signals in the main thread, which stays free for its main loop
 * (a user interface, in a real program). Ctrl-C cancels: the operation's
 * GCancellable interrupts the blocking GIO calls.
 */

#include <eap.h>
#include <glib-unix.h>
#include <signal.h>

#include "patterns-common.h"

#define JOB GINT_TO_POINTER (1)

typedef struct
{
  PatternsJob job;
  GMainLoop  *loop;    /* (owned) */
  GError     *error;   /* (owned) (nullable): how it ended */
} Run;

/* DoWork, in a worker thread: pattern-blocking's run_job, plus the
 * cancellable and the progress reports. */
static gboolean
do_work (EapDoWorkArgs  *args,
         gpointer        user_data,
         GError        **error)
{
  PatternsJob *job = user_data;
  GCancellable *cancellable = eap_do_work_args_get_cancellable (args);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  GOutputStream *output;

  connection = g_socket_client_connect_to_host (client, job->host, job->port, cancellable, error);
  if (connection == NULL)
    return FALSE;

  input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  for (guint i = 0; i < job->n_lines; i++)
    {
      g_autoptr(GBytes) line = patterns_job_line (job, i);
      g_autofree char *echo = NULL;
      GError *read_error = NULL;

      if (!g_output_stream_write_all (output, g_bytes_get_data (line, NULL),
                                      g_bytes_get_size (line), NULL, cancellable, error))
        return FALSE;

      echo = g_data_input_stream_read_line (input, NULL, cancellable, &read_error);
      if (read_error != NULL)
        {
          g_propagate_error (error, read_error);
          return FALSE;
        }

      if (!patterns_job_check (job, i, echo, error))
        return FALSE;
      eap_do_work_args_report_progress_full (args, i + 1, job->n_lines);   /* ReportProgress */
    }

  return g_io_stream_close (G_IO_STREAM (connection), cancellable, error);
}

/* ProgressChanged, in the main thread (coalesced: at most one per 50 ms). */
static void
on_progress (EapComponent    *worker,
             EapProgressArgs *args,
             gpointer         user_data)
{
  Run *run = user_data;

  patterns_job_progress (&run->job, eap_progress_args_get_done (args));
}

/* RunWorkerCompleted, in the main thread. */
static void
on_completed (EapComponent     *worker,
              EapCompletedArgs *args,
              gpointer          user_data)
{
  Run *run = user_data;

  eap_completed_args_propagate_error (args, &run->error);   /* cancelled = G_IO_ERROR_CANCELLED */
  g_main_loop_quit (run->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  eap_component_cancel_async (user_data, JOB);   /* CancelAsync */
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EapBackgroundWorker) worker = eap_background_worker_new ();
  Run run = { 0, };
  guint sigint_id;
  int status;

  if (!patterns_job_init (&run.job, argc, argv))
    return 2;
  run.loop = g_main_loop_new (NULL, FALSE);

  eap_background_worker_set_work_func (worker, do_work, &run.job, NULL);
  g_signal_connect (worker, "progress-changed::run-worker", G_CALLBACK (on_progress), &run);
  g_signal_connect (worker, "completed::run-worker", G_CALLBACK (on_completed), &run);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, worker);

  patterns_job_start (&run.job);
  if (eap_background_worker_run_worker_async (worker, NULL, JOB, &run.error))   /* RunWorkerAsync */
    g_main_loop_run (run.loop);
  status = patterns_job_finish (&run.job, run.error);

  g_source_remove (sigint_id);
  g_clear_error (&run.error);
  g_main_loop_unref (run.loop);
  patterns_job_clear (&run.job);
  return status;
}
