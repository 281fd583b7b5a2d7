/* pattern-apm-callback.c: the job with GIO's _async/_finish callbacks
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: pattern-apm-callback HOST:PORT [N]
 *
 * .NET: the Asynchronous Programming Model with an AsyncCallback.
 * `x_async (…, callback, user_data)` is `BeginX (…, callback, state)`;
 * the callback receives a GAsyncResult (IAsyncResult) and calls
 * `x_finish (result, &error)` (`EndX (ar)`), which returns the result or
 * the error. The job becomes a chain: each callback finishes one step and
 * starts the next. C#'s async/await compiles to exactly this chain: every
 * `await` is a Begin whose callback resumes the rest of the method.
 *
 * The callbacks run in the main context of the thread that started each
 * call (here the default one, run by g_main_loop_run): one thread does
 * everything, and nothing blocks.
 */

#include "patterns-common.h"

typedef struct
{
  PatternsJob        job;
  GMainLoop         *loop;        /* (owned) */
  GSocketConnection *connection;  /* (owned) (nullable) */
  GDataInputStream  *input;       /* (owned) (nullable) */
  GOutputStream     *output;      /* (unowned) (nullable): the connection's */
  GBytes            *line;        /* (owned) (nullable): being written */
  guint              i;           /* the line in flight */
  GError            *error;       /* (owned) (nullable): how it ended */
} Run;

static void send_line (Run *run);

static void
finish (Run    *run,
        GError *error)
{
  run->error = error;
  g_main_loop_quit (run->loop);
}

/* EndReceive: the echo of line i has arrived. */
static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autofree char *echo = NULL;
  GError *error = NULL;

  echo = g_data_input_stream_read_line_finish (run->input, result, NULL, &error);
  if (error != NULL || !patterns_job_check (&run->job, run->i, echo, &error))
    {
      finish (run, error);
      return;
    }

  patterns_job_progress (&run->job, ++run->i);
  if (run->i < run->job.n_lines)
    send_line (run);
  else
    finish (run, NULL);
}

/* EndSend, then BeginReceive. */
static void
on_line_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (run->output, result, NULL, &error))
    {
      finish (run, error);
      return;
    }

  g_data_input_stream_read_line_async (run->input, G_PRIORITY_DEFAULT, NULL,
                                       on_line_read, run);
}

/* BeginSend. */
static void
send_line (Run *run)
{
  g_clear_pointer (&run->line, g_bytes_unref);
  run->line = patterns_job_line (&run->job, run->i);
  g_output_stream_write_all_async (run->output, g_bytes_get_data (run->line, NULL),
                                   g_bytes_get_size (run->line), G_PRIORITY_DEFAULT, NULL,
                                   on_line_written, run);
}

/* EndConnect, then the first send. */
static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  GError *error = NULL;

  run->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                            result, &error);
  if (run->connection == NULL)
    {
      finish (run, error);
      return;
    }

  run->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (run->connection)));
  g_data_input_stream_set_newline_type (run->input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  run->output = g_io_stream_get_output_stream (G_IO_STREAM (run->connection));
  send_line (run);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  Run run = { 0, };
  int status;

  if (!patterns_job_init (&run.job, argc, argv))
    return 2;
  run.loop = g_main_loop_new (NULL, FALSE);

  patterns_job_start (&run.job);
  g_socket_client_connect_to_host_async (client, run.job.host, run.job.port, NULL,
                                         on_connected, &run);   /* BeginConnect */
  g_main_loop_run (run.loop);                                   /* the callbacks run here */
  status = patterns_job_finish (&run.job, run.error);

  g_clear_error (&run.error);
  g_clear_pointer (&run.line, g_bytes_unref);
  g_clear_object (&run.input);
  g_clear_object (&run.connection);   /* the last reference closes it */
  g_main_loop_unref (run.loop);
  patterns_job_clear (&run.job);
  return status;
}
