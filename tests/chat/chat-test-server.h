/* chat-test-server.h: the chat server in a thread of its own, for tests
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by tests/chat/test-chat-server.c and tests/fault/test-fault-chat.c.
 * The server (chat-server.c) runs in-process in its own thread, with its
 * own GMainContext, on 127.0.0.1 and a port the kernel picks.
 */

#pragma once

#include "chat-server.h"
#include "eap-test.h"

G_BEGIN_DECLS

typedef struct
{
  ChatServerOptions options;
  GThread          *thread;
  GMainContext     *context;     /* (owned): the server's */
  GMainLoop        *loop;        /* (owned) */
  ChatServer       *server;      /* (owned by the thread) */
  guint16           port;
  gboolean          listening;
  EapTestLatch      ready;
} ChatTestServer;

void             chat_test_server_options (ChatServerOptions       *options);
ChatTestServer  *chat_test_server_start   (const ChatServerOptions *options);
ChatServerStats  chat_test_server_stats   (ChatTestServer          *st);
void             chat_test_server_stop    (ChatTestServer          *st);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChatTestServer, chat_test_server_stop)

G_END_DECLS
