/* pattern-blocking.c: the job with plain blocking GIO calls
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: pattern-blocking HOST:PORT [N]
 *
 * .NET: the synchronous TcpClient / Socket API (Connect, a StreamWriter's
 * WriteLine, a StreamReader's ReadLine), or a WCF synchronous operation
 * contract. Each call returns when its work is done; meanwhile the thread
 * waits in the kernel and can do nothing else. The code reads top to
 * bottom, errors are return values, and a program with one job and no
 * user interface needs nothing more.
 */

#include "patterns-common.h"

static gboolean
run_job (PatternsJob  *job,
         GError      **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  GOutputStream *output;

  connection = g_socket_client_connect_to_host (client, job->host, job->port, NULL, error);
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

      /* Send: returns once every byte is in the kernel's send buffer. */
      if (!g_output_stream_write_all (output, g_bytes_get_data (line, NULL),
                                      g_bytes_get_size (line), NULL, NULL, error))
        return FALSE;

      /* Receive: waits until a whole line has arrived (NULL at EOF). */
      echo = g_data_input_stream_read_line (input, NULL, NULL, &read_error);
      if (read_error != NULL)
        {
          g_propagate_error (error, read_error);
          return FALSE;
        }

      if (!patterns_job_check (job, i, echo, error))
        return FALSE;
      patterns_job_progress (job, i + 1);
    }

  return g_io_stream_close (G_IO_STREAM (connection), NULL, error);
}

int
main (int   argc,
      char *argv[])
{
  PatternsJob job;
  g_autoptr(GError) error = NULL;
  int status;

  if (!patterns_job_init (&job, argc, argv))
    return 2;

  patterns_job_start (&job);
  run_job (&job, &error);
  status = patterns_job_finish (&job, error);

  patterns_job_clear (&job);
  return status;
}
