/* chat-client.h: the logic of eap-chat-client, an IRC client on
 * EapTcpClient. The command line (chat-client-main.c) and the tests both
 * drive a ChatClient: they feed it what the user types with
 * chat_client_send_user_line() and show what it prints through its
 * ::output signal.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <eap.h>

G_BEGIN_DECLS

/* Defaults of ChatClientOptions (0 in a field means "the default"). */
#define CHAT_CLIENT_DEFAULT_RECONNECT_MIN_MS  1000
#define CHAT_CLIENT_DEFAULT_RECONNECT_MAX_MS  30000
#define CHAT_CLIENT_DEFAULT_PING_INTERVAL_MS  60000
#define CHAT_CLIENT_DEFAULT_PING_TIMEOUT_MS   30000
/* User lines kept while not connected, sent once registered again. */
#define CHAT_CLIENT_MAX_PENDING_LINES         64

typedef struct
{
  const char *host;              /* server name or address */
  guint16     port;
  const char *nick;
  const char *channel;           /* (nullable): joined after registration */
  const char *user;              /* (nullable): USER name; default: the nick */
  const char *realname;          /* (nullable): default "eap-chat-client" */
  gboolean    no_reconnect;      /* a lost connection ends the client */
  guint       reconnect_min_ms;  /* first back-off delay, doubled each try */
  guint       reconnect_max_ms;  /* cap of the back-off */
  guint       ping_interval_ms;  /* quiet time before the client PINGs */
  guint       ping_timeout_ms;   /* no answer that long after a PING: dead */
} ChatClientOptions;

#define CHAT_TYPE_CLIENT (chat_client_get_type ())
G_DECLARE_FINAL_TYPE (ChatClient, chat_client, CHAT, CLIENT, GObject)

/* Signals:
 *   output (const char *line): one timestamped line to show the user,
 *     "[12:34:56] <nick> text", without a newline.
 *   finished (int status): the client stopped for good (after /quit, or a
 *     lost connection with no_reconnect): 0 after /quit or
 *     chat_client_stop(), 1 after a lost connection.
 * Both are emitted in the thread-default context of chat_client_start(). */

ChatClient *chat_client_new               (const ChatClientOptions *options) G_GNUC_WARN_UNUSED_RESULT;
/* Connects (and registers, joins) in the thread-default context. */
void        chat_client_start             (ChatClient  *self);
/* One line as the user typed it: a /command or text for the current
 * channel. A line holding CR, LF (or too long to send even truncated) is
 * refused: FALSE with @error, and an error line is printed. Lines typed
 * before registration or while reconnecting are kept (up to
 * CHAT_CLIENT_MAX_PENDING_LINES) and sent once registered. */
gboolean    chat_client_send_user_line    (ChatClient  *self,
                                           const char  *text,
                                           GError     **error);
/* The nick the server knows us by (the one asked for until registered). */
const char *chat_client_get_nick          (ChatClient  *self);
/* The channel plain text goes to (nullable). */
const char *chat_client_get_channel       (ChatClient  *self);
gboolean    chat_client_is_registered     (ChatClient  *self);
/* Stops at once: no QUIT, no reconnect; emits finished (0) later. */
void        chat_client_stop              (ChatClient  *self);

/* Tests and fuzzing: starts as if connected, without a socket. Every line
 * the client would queue (NICK and USER at once, then replies and what
 * the user types) goes to @func without its CR LF, and unchecked (the
 * caller checks it), until the client drops the connection (finishes);
 * chat_client_receive_line() stands for a line from the server, as
 * EapTcpClient's framer hands it over (no terminator, no NUL); ignored
 * once the client dropped the connection. */
typedef void (*ChatClientSinkFunc) (const char *line,
                                    gpointer    user_data);

void        chat_client_start_with_sink   (ChatClient         *self,
                                           ChatClientSinkFunc  func,
                                           gpointer            user_data);
void        chat_client_receive_line      (ChatClient  *self,
                                           const char  *line);

/* "433" -> "ERR_NICKNAMEINUSE: nickname is already in use", or NULL. */
const char *chat_client_numeric_meaning   (const char  *numeric);

G_END_DECLS
