/* pattern-apm-poll.c: the job as operations the program polls
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: pattern-apm-poll HOST:PORT [N]
 *
 * .NET: the Asynchronous Programming Model with polling:
 *
 *   IAsyncResult ar = socket.BeginConnect (host, port, null, null);
 *   while (!ar.IsCompleted)
 *     DoSomethingElse ();
 *   socket.EndConnect (ar);
 *
 * Every eap operation is an EapOperation, which is the IAsyncResult:
 * start it with `…_async (…, user_state)`, get it back with
 * eap_component_dup_operation (user_state), poll it with
 * eap_operation_is_completed (), and take its outcome (EndX) with
 * eap_operation_dup_completed_args ().
 *
 * One difference: .NET completes I/O on thread-pool threads, while an eap
 * operation moves forward when the main context of the thread that
 * started it is iterated. So "doing something else" includes giving that
 * context a turn, without blocking. Polling costs CPU for nothing while
 * there is nothing else to do: the count printed at the end shows how
 * many turns the program spent waiting.
 *
 * Received lines are events in eap (line-received): here they go to an
 * inbox that the program polls as it would poll a BeginReceive.
 */

#include <eap.h>
#include <stdio.h>

#include "patterns-common.h"

typedef struct
{
  GQueue   lines;          /* (element-type utf8) (owned): received, not yet read */
  gboolean disconnected;
  GError  *error;          /* (owned) (nullable): why it disconnected */
} Inbox;

static guint64 n_turns;
static guintptr next_state = 1;   /* a fresh user_state for every operation */

/* What the program does while it waits: give the main context a turn
 * (the operations need it), then anything else it likes. Never blocks. */
static void
do_something_else (void)
{
  g_main_context_iteration (NULL, FALSE);
  n_turns++;
}

/* BeginX has been called with @state: poll until it completes, then EndX. */
static gboolean
poll_operation (EapTcpClient  *client,
                gpointer       state,
                GError       **error)
{
  g_autoptr(EapOperation) op = eap_component_dup_operation (EAP_COMPONENT (client), state);
  g_autoptr(EapCompletedArgs) args = NULL;

  while (!eap_operation_is_completed (op))              /* IAsyncResult.IsCompleted */
    do_something_else ();

  args = eap_operation_dup_completed_args (op);         /* EndX: the outcome */
  return eap_completed_args_propagate_error (args, error);
}

/* BeginReceive + polling + EndReceive, on the inbox. */
static char *
poll_line (Inbox   *inbox,
           GError **error)
{
  while (g_queue_is_empty (&inbox->lines) && !inbox->disconnected)
    do_something_else ();

  if (g_queue_is_empty (&inbox->lines) && inbox->error != NULL)
    g_propagate_error (error, g_error_copy (inbox->error));
  return g_queue_pop_head (&inbox->lines);              /* NULL: disconnected */
}

static gboolean
run_job (PatternsJob   *job,
         EapTcpClient  *client,
         Inbox         *inbox,
         GError       **error)
{
  gpointer state = GUINT_TO_POINTER (next_state++);

  if (!eap_tcp_client_connect_async (client, job->host, job->port, state, error) ||  /* BeginConnect */
      !poll_operation (client, state, error))                                         /* EndConnect */
    return FALSE;

  for (guint i = 0; i < job->n_lines; i++)
    {
      g_autoptr(GBytes) line = patterns_job_line (job, i);
      g_autofree char *echo = NULL;
      GError *read_error = NULL;

      state = GUINT_TO_POINTER (next_state++);
      if (!eap_tcp_client_send_async (client, line, state, error) ||  /* BeginSend */
          !poll_operation (client, state, error))                     /* EndSend */
        return FALSE;

      echo = poll_line (inbox, &read_error);
      if (read_error != NULL)
        {
          g_propagate_error (error, read_error);
          return FALSE;
        }
      if (!patterns_job_check (job, i, echo, error))
        return FALSE;
      patterns_job_progress (job, i + 1);
    }

  state = GUINT_TO_POINTER (next_state++);
  return eap_tcp_client_close_async (client, state, error) &&   /* BeginClose */
         poll_operation (client, state, error);                /* EndClose */
}

static void
on_line_received (EapTcpClient *client,
                  const char   *line,
                  gpointer      user_data)
{
  Inbox *inbox = user_data;

  g_queue_push_tail (&inbox->lines, g_strdup (line));
}

static void
on_disconnected (EapTcpClient *client,
                 const GError *error,
                 gpointer      user_data)
{
  Inbox *inbox = user_data;

  inbox->disconnected = TRUE;
  inbox->error = error != NULL ? g_error_copy (error) : NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(GError) error = NULL;
  PatternsJob job;
  Inbox inbox = { G_QUEUE_INIT, FALSE, NULL };
  int status;

  if (!patterns_job_init (&job, argc, argv))
    return 2;

  eap_tcp_client_set_framing (client, EAP_TCP_FRAMING_LINES);
  g_signal_connect (client, "line-received", G_CALLBACK (on_line_received), &inbox);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), &inbox);

  patterns_job_start (&job);
  run_job (&job, client, &inbox, &error);
  printf ("%s: did something else %" G_GUINT64_FORMAT " times while waiting\n",
          job.program, n_turns);
  status = patterns_job_finish (&job, error);

  eap_component_close (EAP_COMPONENT (client));
  g_signal_handlers_disconnect_by_data (client, &inbox);
  g_queue_clear_full (&inbox.lines, g_free);
  g_clear_error (&inbox.error);
  patterns_job_clear (&job);
  return status;
}
