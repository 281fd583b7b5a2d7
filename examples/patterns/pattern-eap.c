/* pattern-eap.c: the job with EapTcpClient and its signals
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: pattern-eap HOST:PORT [N]
 *
 * .NET: the Event-based Asynchronous Pattern: `XxxAsync (…, userState)`
 * starts an operation and the component raises `XxxCompleted` (here the
 * detailed signal completed::xxx) in the thread that started it. The
 * program connects its handlers, starts the first operation and runs the
 * main loop; each handler reacts to one event. Received lines are events
 * too (line-received), as are the end of the connection (disconnected).
 * One thread, no locks, nothing blocks.
 */

#include <eap.h>

#include "patterns-common.h"

typedef struct
{
  PatternsJob   job;
  EapTcpClient *client;  /* (owned) */
  GMainLoop    *loop;    /* (owned) */
  guint         i;       /* the line whose echo is awaited */
  GError       *error;   /* (owned) (nullable): how it ended */
} Run;

/* The end, either way: the first error wins. */
static void
finish (Run    *run,
        GError *error)
{
  if (run->error == NULL)
    run->error = error;
  else
    g_clear_error (&error);
  eap_component_close (EAP_COMPONENT (run->client));   /* a no-op once closed */
  g_main_loop_quit (run->loop);
}

static void
send_line (Run *run)
{
  g_autoptr(GBytes) line = patterns_job_line (&run->job, run->i);
  GError *error = NULL;

  /* Returns FALSE only when it refuses at once; otherwise completed::send
   * follows. A NULL user_state: the sends need no name. */
  if (!eap_tcp_client_send_async (run->client, line, NULL, &error))
    finish (run, error);
}

/* ConnectCompleted */
static void
on_connect_completed (EapTcpClient     *client,
                      EapCompletedArgs *args,
                      gpointer          user_data)
{
  Run *run = user_data;
  GError *error = NULL;

  if (!eap_completed_args_propagate_error (args, &error))
    finish (run, error);
  else
    send_line (run);
}

/* SendCompleted: the line is in the kernel; its echo comes as an event. */
static void
on_send_completed (EapTcpClient     *client,
                   EapCompletedArgs *args,
                   gpointer          user_data)
{
  Run *run = user_data;
  GError *error = NULL;

  if (!eap_completed_args_propagate_error (args, &error))
    finish (run, error);
}

static void
on_line_received (EapTcpClient *client,
                  const char   *line,
                  gpointer      user_data)
{
  Run *run = user_data;
  GError *error = NULL;

  if (!patterns_job_check (&run->job, run->i, line, &error))
    {
      finish (run, error);
      return;
    }

  patterns_job_progress (&run->job, ++run->i);
  if (run->i < run->job.n_lines)
    send_line (run);
  else if (!eap_tcp_client_close_async (client, NULL, &error))   /* then completed::close */
    finish (run, error);
}

/* CloseCompleted: everything was sent and the connection is closed. */
static void
on_close_completed (EapTcpClient     *client,
                    EapCompletedArgs *args,
                    gpointer          user_data)
{
  Run *run = user_data;
  GError *error = NULL;

  eap_completed_args_propagate_error (args, &error);
  finish (run, error);
}

/* Once per connection, whatever ended it; before completed::close when we
 * close it ourselves. */
static void
on_disconnected (EapTcpClient *client,
                 const GError *error,
                 gpointer      user_data)
{
  Run *run = user_data;

  if (run->i < run->job.n_lines)
    finish (run, error != NULL ? g_error_copy (error)
                               : g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                              "The server closed the connection after %u of %u lines",
                                              run->i, run->job.n_lines));
}

int
main (int   argc,
      char *argv[])
{
  Run run = { 0, };
  int status;

  if (!patterns_job_init (&run.job, argc, argv))
    return 2;
  run.loop = g_main_loop_new (NULL, FALSE);
  run.client = eap_tcp_client_new ();
  eap_tcp_client_set_framing (run.client, EAP_TCP_FRAMING_LINES);

  g_signal_connect (run.client, "completed::connect", G_CALLBACK (on_connect_completed), &run);
  g_signal_connect (run.client, "completed::send", G_CALLBACK (on_send_completed), &run);
  g_signal_connect (run.client, "completed::close", G_CALLBACK (on_close_completed), &run);
  g_signal_connect (run.client, "line-received", G_CALLBACK (on_line_received), &run);
  g_signal_connect (run.client, "disconnected", G_CALLBACK (on_disconnected), &run);

  patterns_job_start (&run.job);
  if (eap_tcp_client_connect_async (run.client, run.job.host, run.job.port, NULL, &run.error))
    g_main_loop_run (run.loop);
  status = patterns_job_finish (&run.job, run.error);

  /* Nothing more may reach this Run: it is about to go. */
  g_signal_handlers_disconnect_by_data (run.client, &run);
  g_clear_error (&run.error);
  g_clear_object (&run.client);
  g_main_loop_unref (run.loop);
  patterns_job_clear (&run.job);
  return status;
}
