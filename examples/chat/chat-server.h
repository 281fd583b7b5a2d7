/* chat-server.h: an IRC-compatible chat server (a subset of RFC 1459/2812)
 * on EapTcpListener and EapTcpClient, in-process: eap-chat-server's main()
 * runs one, and so do the tests and the benchmark.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <eap.h>

#include "irc-message.h"

G_BEGIN_DECLS

/* A line is at most 510 bytes plus CR LF (RFC 2812). The framer is given
 * two bytes of tolerance (512 without the terminator): a line of 511 or
 * 512 bytes is answered with 417 ERR_INPUTTOOLONG and the client stays; a
 * longer one makes the framer drop the client (EAP_ERROR_LIMIT_EXCEEDED),
 * since memory for it must stay bounded. */
#define CHAT_SERVER_MAX_LINE_LENGTH (IRC_MAX_LINE + 2)

typedef struct
{
  const char *name;                  /* server name in prefixes; default "eap.local" */
  guint       max_clients;           /* 0 = unlimited (EapTcpListener:max-clients) */
  gsize       max_send_queue;        /* bytes per client; beyond: dropped. 256 KiB */
  guint       registration_timeout_ms; /* NICK+USER within this; 30 000 */
  guint       ping_interval_ms;      /* idle this long -> PING; 90 000 */
  guint       ping_timeout_ms;       /* and no answer within this -> dropped; 60 000 */
  gboolean    flood_limit;           /* token bucket per client; TRUE */
  guint       flood_burst;           /* lines at once; 10 */
  double      flood_rate;            /* lines per second after the burst; 2 */
  guint       flood_excess;          /* lines beyond the bucket before "Excess Flood"; 10 */
  gboolean    quiet;                 /* no connect/disconnect lines on stderr */
} ChatServerOptions;

typedef struct
{
  guint   n_clients;      /* connections now */
  guint   n_registered;   /* of which registered */
  guint   n_channels;
  guint64 n_accepted;     /* connections ever */
  guint64 n_dropped;      /* closed by the server: flood, send queue, timeouts, bad lines */
  guint64 n_rejected;     /* refused beyond max_clients */
  guint64 n_lines;        /* lines received */
  guint64 n_deliveries;   /* PRIVMSG/NOTICE lines queued to recipients */
} ChatServerStats;

typedef struct _ChatServer ChatServer;

void         chat_server_options_init (ChatServerOptions  *options);

/* Events are handled in the thread-default context of the caller of
 * chat_server_listen(). @options NULL: the defaults. */
ChatServer  *chat_server_new          (const ChatServerOptions *options);
gboolean     chat_server_listen       (ChatServer         *server,
                                       const char         *address,
                                       guint16             port,
                                       GError            **error);
guint16      chat_server_get_port     (ChatServer         *server);
void         chat_server_get_stats    (ChatServer         *server,
                                       ChatServerStats    *stats);
/* Stops listening and closes every connection at once. */
void         chat_server_free         (ChatServer         *server);

/* Tests and fuzzing: a client without a socket, so that lines can be fed
 * to the server's command handling directly. Everything the server would
 * queue to the peer's connection goes to @func, as it would be written
 * (whole lines, each with its CR LF, but not checked for CR or LF inside:
 * a caller checks that), until the server closes the peer: then @func
 * gets (NULL, 0) once, and nothing after. A peer is freed in the server's
 * context (an idle callback, the default context unless listening) once
 * it is closed, or by chat_server_free(): after @func got NULL, or after
 * chat_server_peer_disconnect(), the pointer must not be used. */
typedef struct _ChatServerPeer ChatServerPeer;
typedef void (*ChatServerPeerFunc) (const char *data,
                                    gsize       length,
                                    gpointer    user_data);

ChatServerPeer *chat_server_add_peer          (ChatServer         *server,
                                               const char         *host,
                                               ChatServerPeerFunc  func,
                                               gpointer            user_data);
/* One line as EapTcpClient's framer hands it over: no terminator, no NUL,
 * at most CHAT_SERVER_MAX_LINE_LENGTH bytes. */
void            chat_server_peer_receive_line (ChatServerPeer     *peer,
                                               const char         *line);
/* The peer went away (@error: why, as EapTcpClient::disconnected says). */
void            chat_server_peer_disconnect   (ChatServerPeer     *peer,
                                               GError             *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChatServer, chat_server_free)

G_END_DECLS
