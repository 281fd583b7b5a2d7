/* chat-test-server.c: the chat server in a thread of its own, for tests
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "chat-test-server.h"

#include <CUnit/CUnit.h>

/* The server's stats are asked for across threads; a burst of thousands
 * of connections (tests/fault) can keep its thread busy for a while. */
#define CHAT_TEST_SERVER_STATS_MS 20000

static gpointer
server_thread_main (gpointer data)
{
  ChatTestServer *st = data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (st->context);
  st->server = chat_server_new (&st->options);
  st->listening = chat_server_listen (st->server, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  st->port = chat_server_get_port (st->server);
  eap_test_latch_set (&st->ready);

  g_main_loop_run (st->loop);

  g_clear_pointer (&st->server, chat_server_free);
  /* Let the closed connections finish their business in this context. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (st->context, FALSE); i++)
    ;
  g_main_context_pop_thread_default (st->context);
  return NULL;
}

/* The options every test starts from: the defaults, quiet. */
void
chat_test_server_options (ChatServerOptions *options)
{
  chat_server_options_init (options);
  options->quiet = TRUE;
}

/* Starts the server with @options (NULL: chat_test_server_options()) and
 * returns once it listens. */
ChatTestServer *
chat_test_server_start (const ChatServerOptions *options)
{
  ChatTestServer *st = g_new0 (ChatTestServer, 1);

  if (options != NULL)
    st->options = *options;
  else
    chat_test_server_options (&st->options);
  st->context = g_main_context_new ();
  st->loop = g_main_loop_new (st->context, FALSE);
  eap_test_latch_init (&st->ready);
  st->thread = g_thread_new ("chat-server", server_thread_main, st);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&st->ready, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE_FATAL (st->listening);
  CU_ASSERT_NOT_EQUAL_FATAL (st->port, 0);
  return st;
}

typedef struct
{
  ChatTestServer  *st;
  ChatServerStats  stats;
  EapTestLatch     done;
} StatsRequest;

static gboolean
get_stats_cb (gpointer data)
{
  StatsRequest *req = data;

  chat_server_get_stats (req->st->server, &req->stats);
  eap_test_latch_set (&req->done);
  return G_SOURCE_REMOVE;
}

/* The server's stats, read in its own thread. */
ChatServerStats
chat_test_server_stats (ChatTestServer *st)
{
  StatsRequest req = { .st = st };

  eap_test_latch_init (&req.done);
  g_main_context_invoke (st->context, get_stats_cb, &req);
  CU_ASSERT_TRUE_FATAL (eap_test_latch_wait (&req.done, CHAT_TEST_SERVER_STATS_MS));
  eap_test_latch_clear (&req.done);
  return req.stats;
}

/* Stops the server: chat_server_free() closes every connection at once,
 * which from the clients' side is a server that died. NULL is ignored. */
void
chat_test_server_stop (ChatTestServer *st)
{
  if (st == NULL)
    return;
  g_main_loop_quit (st->loop);
  g_main_context_wakeup (st->context);
  g_thread_join (st->thread);
  g_main_loop_unref (st->loop);
  g_main_context_unref (st->context);
  eap_test_latch_clear (&st->ready);
  g_free (st);
}
