/* consumer.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A program built the way an application is: against the installed headers
 * and `pkg-config eap-1`. tests/install/run compiles and runs it. It exits 0
 * only if a BackgroundWorker run delivered the result 42 through
 * `completed::run-worker` with the user_state it was started with.
 */

#include <eap.h>

#include <stdio.h>

typedef struct
{
  gboolean done;
  int      result;
  gboolean state_ok;
} Outcome;

static int user_state_tag;    /* its address is the user_state */

static gboolean
work_cb (EapDoWorkArgs  *args,
         gpointer        user_data,
         GError        **error)
{
  GValue result = G_VALUE_INIT;

  g_value_init (&result, G_TYPE_INT);
  g_value_set_int (&result, 42);
  eap_do_work_args_set_result (args, &result);
  g_value_unset (&result);

  return TRUE;
}

static void
completed_cb (EapComponent     *component,
              EapCompletedArgs *args,
              gpointer          user_data)
{
  Outcome *outcome = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  outcome->done = TRUE;
  outcome->state_ok = eap_completed_args_get_user_state (args) == &user_state_tag;

  value = eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args), &error);
  if (value == NULL)
    {
      fprintf (stderr, "consumer: run-worker failed: %s\n", error->message);
      return;
    }
  if (G_VALUE_HOLDS_INT (value))
    outcome->result = g_value_get_int (value);
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

int
main (void)
{
  g_autoptr(EapBackgroundWorker) worker = eap_background_worker_new ();
  g_autoptr(GError) error = NULL;
  Outcome outcome = { FALSE, 0, FALSE };
  gboolean timed_out = FALSE;
  guint deadline_id;

  g_signal_connect (worker, "completed::run-worker", G_CALLBACK (completed_cb), &outcome);
  eap_background_worker_set_work_func (worker, work_cb, NULL, NULL);

  if (!eap_background_worker_run_worker_async (worker, NULL, &user_state_tag, &error))
    {
      fprintf (stderr, "consumer: run_worker_async refused: %s\n", error->message);
      return 1;
    }

  deadline_id = g_timeout_add_seconds (10, deadline_cb, &timed_out);
  while (!outcome.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (deadline_id);

  printf ("consumer: eap %s, result %d, user_state %s%s\n",
          EAP_VERSION_S, outcome.result, outcome.state_ok ? "ok" : "WRONG",
          timed_out ? ", TIMED OUT" : "");

  return outcome.done && outcome.state_ok && outcome.result == 42 ? 0 : 1;
}
