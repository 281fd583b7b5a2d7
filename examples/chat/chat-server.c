/* chat-server.c: an IRC-compatible chat server on EapTcpListener and
 * EapTcpClient
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The subset of RFC 1459/2812 that irssi, weechat and hexchat need:
 * CAP (nothing offered), PASS (ignored), NICK, USER, PING, PONG, JOIN,
 * PART, PRIVMSG, NOTICE, TOPIC, NAMES, WHO, WHOIS, MODE (answers only:
 * nobody is an operator), MOTD (422), AWAY (acknowledged, not kept),
 * ISON, USERHOST, QUIT. Anything else is 421.
 *
 * Structure. Everything runs in one GMainContext (the one chat_server_listen
 * was called in): the listener hands each accepted connection over as an
 * EapTcpClient in line framing, whose line-received and disconnected
 * signals drive a Client. Nicks and channels are GHashTables keyed by the
 * RFC 1459 casefold of the name; a channel's members are a set of Clients,
 * so a message to a channel is formatted once, wrapped in one GBytes and
 * queued to each member with eap_tcp_client_queue_send().
 *
 * Dropping. A client whose send queue would pass max_send_queue (it does
 * not read) is dropped at once; so are flooders, clients that do not
 * register or answer PING in time, and lines the framer refuses. Dropping
 * never changes the tables: it marks the Client dead, closes its
 * connection and queues it for the reaper (an idle source), which
 * broadcasts its QUIT, takes it out of its channels and frees it. So a
 * fan-out loop can drop members while it iterates them, and a dead member
 * is skipped by every later loop.
 *
 * Flood control: a token bucket per client (flood_burst tokens, refilled
 * at flood_rate per second, one per line). Lines are still handled while
 * the bucket is empty, but a client more than flood_excess lines in debt
 * is dropped with "Excess Flood": a burst of flood_burst + flood_excess
 * lines is the most anyone can push through quickly.
 *
 * Time: one sweep timer per server (not one per client: thousands of
 * timeouts in one GMainContext would cost every iteration) checks the
 * registration deadline, sends PING to idle clients and drops those that
 * do not answer.
 *
 * Bytes: nothing from a peer reaches another peer without going through
 * irc_message_parse() (which refuses CR, LF and NUL) and
 * irc_message_to_line() (which refuses them again and bounds the line to
 * 510 bytes; text parameters are cut with irc_truncate_utf8() to fit).
 */

#include "chat-server.h"

#include <string.h>

#define CHAT_SERVER_VERSION   "eap-chat-0.1"
#define CHAT_MAX_TOPIC        390
#define CHAT_MAX_CHANNELS     100     /* per client */
#define CHAT_MAX_ECHO         64      /* bytes of a peer's bad argument echoed back */

typedef struct _Channel Channel;
typedef struct _ChatServerPeer Client;

struct _ChatServerPeer
{
  ChatServer   *server;
  EapTcpClient *tcp;               /* (owned) (nullable): NULL for a peer of chat_server_add_peer() */
  ChatServerPeerFunc peer_func;    /* a peer without a connection: gets what would be sent */
  gpointer      peer_data;
  char         *host;              /* (owned): the peer's IP */
  char         *nick;              /* (owned) (nullable) */
  char         *nick_folded;       /* (owned) (nullable): key in server->nicks */
  char         *user;              /* (owned) (nullable) */
  char         *realname;          /* (owned) (nullable) */
  char         *prefix;            /* (owned) (nullable): nick!user@host */
  char         *quit_reason;       /* (owned) (nullable) */
  GHashTable   *channels;          /* (owned) (nullable): set of Channel *, on demand */
  gint64        connected_us;
  gint64        last_rx_us;
  gint64        ping_sent_us;      /* 0 = no PING outstanding */
  gint64        tokens_us;
  double        tokens;
  guint         registered : 1;
  guint         got_user : 1;
  guint         cap_negotiating : 1;
  guint         dead : 1;          /* closed or closing: no more input or output */
  guint         detached : 1;      /* out of the channels and the nick table */
  guint         reaping : 1;       /* on server->reap */
  guint         peer_closed : 1;   /* peer_func was told the connection closed */
};

struct _Channel
{
  char       *name;                /* (owned): as its creator spelled it */
  char       *folded;              /* (owned): key in server->channels */
  char       *topic;               /* (owned) (nullable) */
  char       *topic_who;           /* (owned) (nullable) */
  gint64      topic_time;          /* seconds since the epoch */
  gint64      created;
  GHashTable *members;             /* (owned): set of Client * */
};

struct _ChatServer
{
  ChatServerOptions  options;
  char              *name;         /* (owned) */
  char              *created;      /* (owned): for 003 */
  GMainContext      *context;      /* (owned) (nullable): set by listen */
  EapTcpListener    *listener;     /* (owned) */
  GHashTable        *clients;      /* (owned): set of Client *, owns them */
  GHashTable        *nicks;        /* (owned): folded nick -> Client * */
  GHashTable        *channels;     /* (owned): folded name -> Channel *, owns them */
  GQueue             reap;         /* Client * to reap */
  GSource           *reap_source;  /* (owned) (nullable) */
  GSource           *sweep_source; /* (owned) (nullable) */
  ChatServerStats    stats;
};

static void client_kill (Client *c, const char *reason, gboolean flush);

/* Ends a connection at once, without flushing. A close operation started
 * and cancelled (eap_component_close cancels it) is the way that works
 * whether or not operations are in flight. */
static void
close_now (EapTcpClient *tcp)
{
  eap_tcp_client_close_async (tcp, NULL, NULL);
  eap_component_close (EAP_COMPONENT (tcp));
}

/* The connection side of a Client: its EapTcpClient, or for a peer of
 * chat_server_add_peer() its function. A peer's lines are passed on
 * unchecked (the fuzz target checks them) until it is closed. */
static gboolean
conn_queue_bytes (Client  *c,
                  GBytes  *bytes,
                  GError **error)
{
  if (c->tcp != NULL)
    return eap_tcp_client_queue_send (c->tcp, bytes, error);
  if (c->peer_closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Cannot send: the peer is closed");
      return FALSE;
    }
  c->peer_func (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), c->peer_data);
  return TRUE;
}

static GBytes *line_to_bytes (const char *line);

static gboolean
conn_queue_line (Client      *c,
                 const char  *line,
                 GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;

  if (c->tcp != NULL)
    return eap_tcp_client_queue_line (c->tcp, line, error);
  bytes = line_to_bytes (line);
  return conn_queue_bytes (c, bytes, error);
}

static void
conn_close_now (Client *c)
{
  if (c->tcp != NULL)
    close_now (c->tcp);
  else if (!c->peer_closed)
    {
      c->peer_closed = TRUE;
      c->peer_func (NULL, 0, c->peer_data);
    }
}

/* Flushes what is queued, then closes; FALSE if that cannot start. */
static gboolean
conn_close_flush (Client *c)
{
  if (c->tcp != NULL)
    return eap_tcp_client_close_async (c->tcp, NULL, NULL);
  conn_close_now (c);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

void
chat_server_options_init (ChatServerOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->name = "eap.local";
  options->max_send_queue = 256 * 1024;
  options->registration_timeout_ms = 30 * 1000;
  options->ping_interval_ms = 90 * 1000;
  options->ping_timeout_ms = 60 * 1000;
  options->flood_limit = TRUE;
  options->flood_burst = 10;
  options->flood_rate = 2.0;
  options->flood_excess = 10;
}

/* ------------------------------------------------------------------ */
/* Sending                                                              */
/* ------------------------------------------------------------------ */

/* The wire form of @m; if it is too long, its last parameter (text: a
 * message, a topic, a reason) is cut to fit. NULL if it cannot be sent. */
static char *
message_to_line_fit (IrcMessage *m)
{
  char *line = irc_message_to_line (m);
  guint n = m->params->len;
  g_autofree char *last = NULL;
  g_autofree char *head = NULL;
  gsize budget;

  if (line != NULL || n == 0)
    return line;

  /* Measure the line without its last parameter, then cut that to fit
   * " :" + text. */
  last = g_ptr_array_steal_index (m->params, n - 1);
  head = irc_message_to_line (m);
  if (head == NULL || strlen (head) + 2 >= IRC_MAX_LINE)
    {
      g_ptr_array_add (m->params, g_steal_pointer (&last));
      return NULL;
    }
  budget = IRC_MAX_LINE - strlen (head) - 2;
  g_ptr_array_add (m->params, irc_truncate_utf8 (last, budget));
  return irc_message_to_line (m);
}

static void
client_send_line (Client     *c,
                  const char *line)
{
  g_autoptr(GError) error = NULL;

  if (c->dead || line == NULL)
    return;
  if (!conn_queue_line (c, line, &error))
    client_kill (c, g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED)
                    ? "SendQ exceeded" : error->message, FALSE);
}

static void
client_send_message (Client     *c,
                     IrcMessage *m)
{
  g_autofree char *line = message_to_line_fit (m);

  client_send_line (c, line);
}

/* Queues one formatted line, as shared bytes, to a client. */
static void
client_send_bytes (Client *c,
                   GBytes *bytes)
{
  g_autoptr(GError) error = NULL;

  if (c->dead)
    return;
  if (!conn_queue_bytes (c, bytes, &error))
    client_kill (c, g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED)
                    ? "SendQ exceeded" : error->message, FALSE);
}

static GBytes *
line_to_bytes (const char *line)
{
  gsize length = strlen (line);
  char *data = g_malloc (length + 2);

  memcpy (data, line, length);
  data[length] = '\r';
  data[length + 1] = '\n';
  return g_bytes_new_take (data, length + 2);
}

/* A numeric reply: ":server CODE target params...", the params a
 * NULL-terminated list (the last may hold spaces). */
static void
client_numeric (Client     *c,
                const char *code,
                ...) G_GNUC_NULL_TERMINATED;

static void
client_numeric (Client     *c,
                const char *code,
                ...)
{
  g_autoptr(IrcMessage) m = irc_message_new (c->server->name, code);
  const char *param;
  va_list args;

  irc_message_add_param (m, c->nick != NULL ? c->nick : "*");
  va_start (args, code);
  while ((param = va_arg (args, const char *)) != NULL)
    irc_message_add_param (m, param);
  va_end (args);
  client_send_message (c, m);
}

/* A peer's argument echoed in an error, bounded. */
static char *
echo_arg (const char *arg)
{
  return irc_truncate_utf8 (arg, CHAT_MAX_ECHO);
}

/* Formats @m once and queues it to every live member of @channel except
 * @except. Returns the number of recipients. */
static guint
channel_broadcast (Channel    *channel,
                   IrcMessage *m,
                   Client     *except)
{
  g_autofree char *line = message_to_line_fit (m);
  g_autoptr(GBytes) bytes = NULL;
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  if (line == NULL)
    return 0;
  bytes = line_to_bytes (line);
  g_hash_table_iter_init (&iter, channel->members);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *member = key;

      if (member == except || member->dead)
        continue;
      client_send_bytes (member, bytes);
      n++;
    }
  return n;
}

/* Everyone who shares a channel with @c, once each, without @c. */
static GHashTable *
client_collect_peers (Client *c)
{
  GHashTable *peers = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key;

  if (c->channels == NULL)
    return peers;
  g_hash_table_iter_init (&iter, c->channels);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Channel *channel = key;
      GHashTableIter members;
      gpointer member;

      g_hash_table_iter_init (&members, channel->members);
      while (g_hash_table_iter_next (&members, &member, NULL))
        if (member != c)
          g_hash_table_add (peers, member);
    }
  return peers;
}

static void
send_to_peers (Client     *c,
               IrcMessage *m,
               gboolean    also_self)
{
  g_autoptr(GHashTable) peers = client_collect_peers (c);
  g_autofree char *line = message_to_line_fit (m);
  g_autoptr(GBytes) bytes = NULL;
  GHashTableIter iter;
  gpointer key;

  if (line == NULL)
    return;
  bytes = line_to_bytes (line);
  if (also_self)
    client_send_bytes (c, bytes);
  g_hash_table_iter_init (&iter, peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    client_send_bytes (key, bytes);
}

/* ------------------------------------------------------------------ */
/* Channels and clients                                                 */
/* ------------------------------------------------------------------ */

static void
channel_free (Channel *channel)
{
  g_free (channel->name);
  g_free (channel->folded);
  g_free (channel->topic);
  g_free (channel->topic_who);
  g_hash_table_unref (channel->members);
  g_free (channel);
}

static Channel *
channel_lookup (ChatServer *server,
                const char *name)
{
  g_autofree char *folded = irc_casefold (name);

  return g_hash_table_lookup (server->channels, folded);
}

static void
channel_remove_member (ChatServer *server,
                       Channel    *channel,
                       Client     *c)
{
  g_hash_table_remove (channel->members, c);
  if (c->channels != NULL)
    g_hash_table_remove (c->channels, channel);
  if (g_hash_table_size (channel->members) == 0)
    g_hash_table_remove (server->channels, channel->folded);   /* frees it */
}

/* The members of a set, to iterate while the set changes (GLib 2.76 has
 * g_hash_table_get_keys_as_ptr_array; the floor is 2.74). */
static GPtrArray *
set_to_array (GHashTable *set)
{
  GPtrArray *array = g_ptr_array_sized_new (g_hash_table_size (set));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (array, key);
  return array;
}

static void
client_update_prefix (Client *c)
{
  g_free (c->prefix);
  c->prefix = g_strdup_printf ("%s!%s@%s", c->nick, c->user != NULL ? c->user : "unknown", c->host);
}

/* Out of every channel (peers see @reason as a QUIT) and the nick table.
 * Idempotent. Never called while a channel's members are being iterated. */
static void
client_detach (Client     *c,
               const char *reason)
{
  ChatServer *server = c->server;

  if (c->detached)
    return;
  c->detached = TRUE;

  if (c->registered && c->channels != NULL && g_hash_table_size (c->channels) > 0)
    {
      g_autoptr(IrcMessage) m = irc_message_new (c->prefix, "QUIT");

      irc_message_add_param (m, reason != NULL ? reason : "Client quit");
      send_to_peers (c, m, FALSE);
    }

  if (c->channels != NULL)
    {
      g_autoptr(GPtrArray) list = set_to_array (c->channels);

      for (guint i = 0; i < list->len; i++)
        channel_remove_member (server, g_ptr_array_index (list, i), c);
      g_clear_pointer (&c->channels, g_hash_table_unref);
    }

  if (c->nick_folded != NULL && g_hash_table_lookup (server->nicks, c->nick_folded) == c)
    g_hash_table_remove (server->nicks, c->nick_folded);
  if (c->registered)
    server->stats.n_registered--;
}

static void
client_free (Client *c)
{
  if (c->tcp != NULL)
    {
      g_signal_handlers_disconnect_by_data (c->tcp, c);
      g_object_unref (c->tcp);
    }
  g_free (c->host);
  g_free (c->nick);
  g_free (c->nick_folded);
  g_free (c->user);
  g_free (c->realname);
  g_free (c->prefix);
  g_free (c->quit_reason);
  g_clear_pointer (&c->channels, g_hash_table_unref);
  g_free (c);
}

static gboolean
reap_cb (gpointer data)
{
  ChatServer *server = data;
  Client *c;

  while ((c = g_queue_pop_head (&server->reap)) != NULL)
    {
      client_detach (c, c->quit_reason);
      if (!server->options.quiet)
        g_printerr ("eap-chat-server: disconnect %s (%s): %s\n",
                    c->nick != NULL ? c->nick : "*", c->host,
                    c->quit_reason != NULL ? c->quit_reason : "closed");
      g_hash_table_remove (server->clients, c);   /* frees it */
      server->stats.n_clients--;
    }
  g_clear_pointer (&server->reap_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
client_schedule_reap (Client *c)
{
  ChatServer *server = c->server;

  if (c->reaping)
    return;
  c->reaping = TRUE;
  g_queue_push_tail (&server->reap, c);
  if (server->reap_source == NULL)
    {
      server->reap_source = g_idle_source_new ();
      g_source_set_priority (server->reap_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (server->reap_source, reap_cb, server, NULL);
      g_source_set_static_name (server->reap_source, "[eap-chat-server] reap");
      g_source_attach (server->reap_source, server->context);
    }
}

/* Drops @c: with @flush, an ERROR line is written first (only when its
 * queue is empty: a client that does not read gets no grace). Safe inside
 * any loop over members: only marks and schedules. */
static void
client_kill (Client     *c,
             const char *reason,
             gboolean    flush)
{
  if (c->dead)
    return;
  c->dead = TRUE;
  c->server->stats.n_dropped++;
  g_free (c->quit_reason);
  c->quit_reason = g_strdup (reason);

  if (flush && (c->tcp == NULL || eap_tcp_client_get_send_queue_size (c->tcp) == 0))
    {
      g_autofree char *line = g_strdup_printf ("ERROR :Closing link: (%s@%s) [%s]",
                                               c->user != NULL ? c->user : "unknown", c->host, reason);
      g_autofree char *safe = irc_truncate_utf8 (line, IRC_MAX_LINE);

      if (conn_queue_line (c, safe, NULL) && conn_close_flush (c))
        {
          client_schedule_reap (c);
          return;
        }
    }
  conn_close_now (c);
  client_schedule_reap (c);
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */
/* ------------------------------------------------------------------ */

static void
client_try_register (Client *c)
{
  ChatServer *server = c->server;
  g_autofree char *welcome = NULL;
  g_autofree char *host = NULL;
  g_autofree char *created = NULL;
  g_autofree char *nick = NULL;

  if (c->registered || c->nick == NULL || !c->got_user || c->cap_negotiating)
    return;

  c->registered = TRUE;
  server->stats.n_registered++;
  client_update_prefix (c);

  welcome = g_strdup_printf ("Welcome to the eap IRC network %s", c->prefix);
  host = g_strdup_printf ("Your host is %s, running version " CHAT_SERVER_VERSION, server->name);
  created = g_strdup_printf ("This server was created %s", server->created);
  client_numeric (c, "001", welcome, NULL);
  client_numeric (c, "002", host, NULL);
  client_numeric (c, "003", created, NULL);
  client_numeric (c, "004", server->name, CHAT_SERVER_VERSION, "i", "nt", NULL);
  client_numeric (c, "005", "CASEMAPPING=rfc1459", "CHANTYPES=#&", "NICKLEN=30", "CHANNELLEN=50",
                  "TOPICLEN=390", "CHANLIMIT=#&:100", "NETWORK=eap",
                  "are supported by this server", NULL);
  client_numeric (c, "422", "MOTD File is missing", NULL);
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */
/* ------------------------------------------------------------------ */

typedef void (*CommandFunc) (Client *c, IrcMessage *m);

static void
need_more_params (Client     *c,
                  IrcMessage *m)
{
  client_numeric (c, "461", m->command, "Not enough parameters", NULL);
}

static void
cmd_cap (Client     *c,
         IrcMessage *m)
{
  g_autofree char *sub = NULL;
  g_autoptr(IrcMessage) reply = NULL;

  if (irc_message_n_params (m) < 1)
    {
      need_more_params (c, m);
      return;
    }
  sub = g_ascii_strup (irc_message_get_param (m, 0), -1);
  reply = irc_message_new (c->server->name, "CAP");
  irc_message_add_param (reply, c->nick != NULL ? c->nick : "*");

  if (g_str_equal (sub, "LS") || g_str_equal (sub, "LIST"))
    {
      if (!c->registered && g_str_equal (sub, "LS"))
        c->cap_negotiating = TRUE;
      irc_message_add_param (reply, sub);
      irc_message_add_param (reply, "");
      client_send_message (c, reply);
    }
  else if (g_str_equal (sub, "REQ"))
    {
      g_autofree char *caps = echo_arg (irc_message_get_param (m, 1) != NULL
                                        ? irc_message_get_param (m, 1) : "");

      if (!c->registered)
        c->cap_negotiating = TRUE;
      irc_message_add_param (reply, "NAK");
      irc_message_add_param (reply, caps);
      client_send_message (c, reply);
    }
  else if (g_str_equal (sub, "END"))
    {
      c->cap_negotiating = FALSE;
      client_try_register (c);
    }
  else
    {
      g_autofree char *echo = echo_arg (sub);

      client_numeric (c, "410", echo, "Invalid CAP command", NULL);
    }
}

static void
cmd_pass (Client     *c,
          IrcMessage *m)
{
  /* No passwords here: accepted and ignored. */
}

static void
cmd_nick (Client     *c,
          IrcMessage *m)
{
  ChatServer *server = c->server;
  const char *nick = irc_message_get_param (m, 0);
  g_autofree char *folded = NULL;
  Client *holder;

  if (nick == NULL || nick[0] == '\0')
    {
      client_numeric (c, "431", "No nickname given", NULL);
      return;
    }
  if (!irc_nick_is_valid (nick))
    {
      g_autofree char *echo = echo_arg (nick);

      client_numeric (c, "432", echo, "Erroneous nickname", NULL);
      return;
    }

  folded = irc_casefold (nick);
  holder = g_hash_table_lookup (server->nicks, folded);
  if (holder != NULL && holder != c)
    {
      client_numeric (c, "433", nick, "Nickname is already in use", NULL);
      return;
    }
  if (c->nick != NULL && g_str_equal (c->nick, nick))
    return;

  if (c->registered)
    {
      g_autoptr(IrcMessage) change = irc_message_new (c->prefix, "NICK");

      irc_message_add_param (change, nick);
      send_to_peers (c, change, TRUE);
    }

  if (c->nick_folded != NULL)
    g_hash_table_remove (server->nicks, c->nick_folded);
  g_free (c->nick);
  g_free (c->nick_folded);
  c->nick = g_strdup (nick);
  c->nick_folded = g_steal_pointer (&folded);
  g_hash_table_insert (server->nicks, c->nick_folded, c);

  if (c->registered)
    client_update_prefix (c);
  else
    client_try_register (c);
}

/* A user name for the prefix: the peer's, if it is tame, else "user". */
static char *
sanitize_user (const char *user)
{
  gsize n = 0;

  for (const char *p = user; *p != '\0'; p++, n++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.') || n >= 16)
      return g_strdup ("user");
  return n > 0 ? g_strdup (user) : g_strdup ("user");
}

static void
cmd_user (Client     *c,
          IrcMessage *m)
{
  if (c->registered)
    {
      client_numeric (c, "462", "You may not reregister", NULL);
      return;
    }
  if (irc_message_n_params (m) < 4)
    {
      need_more_params (c, m);
      return;
    }
  g_free (c->user);
  g_free (c->realname);
  c->user = sanitize_user (irc_message_get_param (m, 0));
  c->realname = irc_truncate_utf8 (irc_message_get_param (m, 3), 100);
  c->got_user = TRUE;
  client_try_register (c);
}

static void
cmd_ping (Client     *c,
          IrcMessage *m)
{
  g_autoptr(IrcMessage) pong = NULL;

  if (irc_message_n_params (m) < 1)
    {
      client_numeric (c, "409", "No origin specified", NULL);
      return;
    }
  pong = irc_message_new (c->server->name, "PONG");
  irc_message_add_param (pong, c->server->name);
  irc_message_add_param (pong, irc_message_get_param (m, 0));
  client_send_message (c, pong);
}

static void
cmd_pong (Client     *c,
          IrcMessage *m)
{
  /* Every line counts as a sign of life (on_line_received). */
}

static void
send_names (Client  *c,
            Channel *channel)
{
  g_autoptr(GString) names = g_string_new (NULL);
  /* ":server 353 nick = #chan :" */
  gsize head = 1 + strlen (c->server->name) + 5 + strlen (c->nick) + 3 + strlen (channel->name) + 2;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, channel->members);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *member = key;

      if (member->dead)
        continue;
      if (names->len > 0 && head + names->len + 1 + strlen (member->nick) > IRC_MAX_LINE)
        {
          client_numeric (c, "353", "=", channel->name, names->str, NULL);
          g_string_truncate (names, 0);
        }
      if (names->len > 0)
        g_string_append_c (names, ' ');
      g_string_append (names, member->nick);
    }
  if (names->len > 0)
    client_numeric (c, "353", "=", channel->name, names->str, NULL);
  client_numeric (c, "366", channel->name, "End of /NAMES list", NULL);
}

static void
send_topic (Client  *c,
            Channel *channel,
            gboolean always)
{
  if (channel->topic != NULL)
    {
      g_autofree char *when = g_strdup_printf ("%" G_GINT64_FORMAT, channel->topic_time);

      client_numeric (c, "332", channel->name, channel->topic, NULL);
      client_numeric (c, "333", channel->name, channel->topic_who, when, NULL);
    }
  else if (always)
    client_numeric (c, "331", channel->name, "No topic is set", NULL);
}

static void
part_channel (Client     *c,
              Channel    *channel,
              const char *reason)
{
  g_autoptr(IrcMessage) part = irc_message_new (c->prefix, "PART");

  irc_message_add_param (part, channel->name);
  if (reason != NULL)
    irc_message_add_param (part, reason);
  channel_broadcast (channel, part, NULL);
  channel_remove_member (c->server, channel, c);
}

static void
cmd_join (Client     *c,
          IrcMessage *m)
{
  ChatServer *server = c->server;
  g_auto(GStrv) names = NULL;

  if (irc_message_n_params (m) < 1)
    {
      need_more_params (c, m);
      return;
    }
  if (g_str_equal (irc_message_get_param (m, 0), "0"))
    {
      if (c->channels != NULL)
        {
          g_autoptr(GPtrArray) list = set_to_array (c->channels);

          for (guint i = 0; i < list->len && !c->dead; i++)
            part_channel (c, g_ptr_array_index (list, i), c->nick);
        }
      return;
    }

  names = g_strsplit (irc_message_get_param (m, 0), ",", -1);
  for (guint i = 0; names[i] != NULL && !c->dead; i++)
    {
      const char *name = names[i];
      g_autofree char *folded = NULL;
      g_autoptr(IrcMessage) join = NULL;
      Channel *channel;

      if (!irc_channel_is_valid (name))
        {
          g_autofree char *echo = echo_arg (name);

          client_numeric (c, "403", echo, "No such channel", NULL);
          continue;
        }
      folded = irc_casefold (name);
      channel = g_hash_table_lookup (server->channels, folded);
      if (channel != NULL && c->channels != NULL && g_hash_table_contains (c->channels, channel))
        continue;
      if (c->channels != NULL && g_hash_table_size (c->channels) >= CHAT_MAX_CHANNELS)
        {
          client_numeric (c, "405", name, "You have joined too many channels", NULL);
          continue;
        }
      if (channel == NULL)
        {
          channel = g_new0 (Channel, 1);
          channel->name = g_strdup (name);
          channel->folded = g_steal_pointer (&folded);
          channel->created = g_get_real_time () / G_USEC_PER_SEC;
          channel->members = g_hash_table_new (NULL, NULL);
          g_hash_table_insert (server->channels, channel->folded, channel);
        }
      if (c->channels == NULL)
        c->channels = g_hash_table_new (NULL, NULL);
      g_hash_table_add (c->channels, channel);
      g_hash_table_add (channel->members, c);

      join = irc_message_new (c->prefix, "JOIN");
      irc_message_add_param (join, channel->name);
      channel_broadcast (channel, join, NULL);
      send_topic (c, channel, FALSE);
      send_names (c, channel);
    }
}

/* The channel @name if @c is on it; else replies 403 or 442, NULL. */
static Channel *
lookup_my_channel (Client     *c,
                   const char *name)
{
  Channel *channel = channel_lookup (c->server, name);

  if (channel == NULL)
    {
      g_autofree char *echo = echo_arg (name);

      client_numeric (c, "403", echo, "No such channel", NULL);
      return NULL;
    }
  if (c->channels == NULL || !g_hash_table_contains (c->channels, channel))
    {
      client_numeric (c, "442", channel->name, "You're not on that channel", NULL);
      return NULL;
    }
  return channel;
}

static void
cmd_part (Client     *c,
          IrcMessage *m)
{
  g_auto(GStrv) names = NULL;

  if (irc_message_n_params (m) < 1)
    {
      need_more_params (c, m);
      return;
    }
  names = g_strsplit (irc_message_get_param (m, 0), ",", -1);
  for (guint i = 0; names[i] != NULL && !c->dead; i++)
    {
      Channel *channel = lookup_my_channel (c, names[i]);

      if (channel != NULL)
        part_channel (c, channel, irc_message_get_param (m, 1));
    }
}

static void
message_or_notice (Client     *c,
                   IrcMessage *m,
                   gboolean    notice)
{
  ChatServer *server = c->server;
  const char *text = irc_message_get_param (m, 1);
  g_auto(GStrv) targets = NULL;

  if (irc_message_n_params (m) < 1 || irc_message_get_param (m, 0)[0] == '\0')
    {
      if (!notice)
        client_numeric (c, "411", "No recipient given (PRIVMSG)", NULL);
      return;
    }
  if (text == NULL || text[0] == '\0')
    {
      if (!notice)
        client_numeric (c, "412", "No text to send", NULL);
      return;
    }

  targets = g_strsplit (irc_message_get_param (m, 0), ",", 8);
  for (guint i = 0; targets[i] != NULL && !c->dead; i++)
    {
      const char *target = targets[i];
      g_autoptr(IrcMessage) out = NULL;

      if (target[0] == '#' || target[0] == '&')
        {
          Channel *channel = channel_lookup (server, target);

          if (channel == NULL)
            {
              if (!notice)
                {
                  g_autofree char *echo = echo_arg (target);

                  client_numeric (c, "403", echo, "No such channel", NULL);
                }
              continue;
            }
          if (c->channels == NULL || !g_hash_table_contains (c->channels, channel))
            {
              if (!notice)
                client_numeric (c, "404", channel->name, "Cannot send to channel", NULL);
              continue;
            }
          out = irc_message_new (c->prefix, m->command);
          irc_message_add_param (out, channel->name);
          irc_message_add_param (out, text);
          server->stats.n_deliveries += channel_broadcast (channel, out, c);
        }
      else
        {
          g_autofree char *folded = irc_casefold (target);
          Client *to = g_hash_table_lookup (server->nicks, folded);

          if (to == NULL || !to->registered || to->dead)
            {
              if (!notice)
                {
                  g_autofree char *echo = echo_arg (target);

                  client_numeric (c, "401", echo, "No such nick/channel", NULL);
                }
              continue;
            }
          out = irc_message_new (c->prefix, m->command);
          irc_message_add_param (out, to->nick);
          irc_message_add_param (out, text);
          client_send_message (to, out);
          server->stats.n_deliveries++;
        }
    }
}

static void
cmd_privmsg (Client     *c,
             IrcMessage *m)
{
  message_or_notice (c, m, FALSE);
}

static void
cmd_notice (Client     *c,
            IrcMessage *m)
{
  message_or_notice (c, m, TRUE);
}

static void
cmd_topic (Client     *c,
           IrcMessage *m)
{
  Channel *channel;
  g_autoptr(IrcMessage) out = NULL;

  if (irc_message_n_params (m) < 1)
    {
      need_more_params (c, m);
      return;
    }
  channel = lookup_my_channel (c, irc_message_get_param (m, 0));
  if (channel == NULL)
    return;
  if (irc_message_n_params (m) < 2)
    {
      send_topic (c, channel, TRUE);
      return;
    }

  g_clear_pointer (&channel->topic, g_free);
  g_clear_pointer (&channel->topic_who, g_free);
  if (irc_message_get_param (m, 1)[0] != '\0')
    {
      channel->topic = irc_truncate_utf8 (irc_message_get_param (m, 1), CHAT_MAX_TOPIC);
      channel->topic_who = g_strdup (c->nick);
      channel->topic_time = g_get_real_time () / G_USEC_PER_SEC;
    }
  out = irc_message_new (c->prefix, "TOPIC");
  irc_message_add_param (out, channel->name);
  irc_message_add_param (out, channel->topic != NULL ? channel->topic : "");
  channel_broadcast (channel, out, NULL);
}

static void
cmd_names (Client     *c,
           IrcMessage *m)
{
  g_auto(GStrv) names = NULL;

  if (irc_message_n_params (m) < 1)
    {
      client_numeric (c, "366", "*", "End of /NAMES list", NULL);
      return;
    }
  names = g_strsplit (irc_message_get_param (m, 0), ",", 8);
  for (guint i = 0; names[i] != NULL; i++)
    {
      Channel *channel = channel_lookup (c->server, names[i]);

      if (channel != NULL)
        send_names (c, channel);
      else
        {
          g_autofree char *echo = echo_arg (names[i]);

          client_numeric (c, "366", echo, "End of /NAMES list", NULL);
        }
    }
}

static void
send_who_reply (Client     *c,
                const char *channel,
                Client     *who)
{
  g_autofree char *real = g_strdup_printf ("0 %s", who->realname != NULL ? who->realname : "");

  client_numeric (c, "352", channel, who->user, who->host, c->server->name, who->nick, "H",
                  real, NULL);
}

static void
cmd_who (Client     *c,
         IrcMessage *m)
{
  const char *mask = irc_message_get_param (m, 0);
  g_autofree char *echo = echo_arg (mask != NULL ? mask : "*");

  if (mask != NULL && (mask[0] == '#' || mask[0] == '&'))
    {
      Channel *channel = channel_lookup (c->server, mask);

      if (channel != NULL)
        {
          GHashTableIter iter;
          gpointer key;

          g_hash_table_iter_init (&iter, channel->members);
          while (g_hash_table_iter_next (&iter, &key, NULL) && !c->dead)
            if (!((Client *) key)->dead)
              send_who_reply (c, channel->name, key);
        }
    }
  else if (mask != NULL)
    {
      g_autofree char *folded = irc_casefold (mask);
      Client *who = g_hash_table_lookup (c->server->nicks, folded);

      if (who != NULL && who->registered)
        send_who_reply (c, "*", who);
    }
  client_numeric (c, "315", echo, "End of WHO list", NULL);
}

static void
cmd_whois (Client     *c,
           IrcMessage *m)
{
  /* WHOIS [server] nick */
  const char *nick = irc_message_get_param (m, irc_message_n_params (m) > 1 ? 1 : 0);
  g_autofree char *folded = NULL;
  g_autofree char *echo = NULL;
  Client *who;

  if (nick == NULL)
    {
      client_numeric (c, "431", "No nickname given", NULL);
      return;
    }
  folded = irc_casefold (nick);
  echo = echo_arg (nick);
  who = g_hash_table_lookup (c->server->nicks, folded);
  if (who == NULL || !who->registered)
    client_numeric (c, "401", echo, "No such nick/channel", NULL);
  else
    {
      client_numeric (c, "311", who->nick, who->user, who->host, "*",
                      who->realname != NULL ? who->realname : "", NULL);
      client_numeric (c, "312", who->nick, c->server->name, "eap chat server", NULL);
    }
  client_numeric (c, "318", echo, "End of /WHOIS list", NULL);
}

static void
cmd_mode (Client     *c,
          IrcMessage *m)
{
  const char *target = irc_message_get_param (m, 0);

  if (target == NULL)
    {
      need_more_params (c, m);
      return;
    }
  if (target[0] == '#' || target[0] == '&')
    {
      Channel *channel = channel_lookup (c->server, target);
      const char *modes = irc_message_get_param (m, 1);

      if (channel == NULL)
        {
          g_autofree char *echo = echo_arg (target);

          client_numeric (c, "403", echo, "No such channel", NULL);
        }
      else if (modes == NULL)
        {
          g_autofree char *created = g_strdup_printf ("%" G_GINT64_FORMAT, channel->created);

          client_numeric (c, "324", channel->name, "+n", NULL);
          client_numeric (c, "329", channel->name, created, NULL);
        }
      else if ((g_str_equal (modes, "b") || g_str_equal (modes, "+b"))
               && irc_message_n_params (m) == 2)
        client_numeric (c, "368", channel->name, "End of channel ban list", NULL);
      else
        client_numeric (c, "482", channel->name, "You're not channel operator", NULL);
      return;
    }

  if (irc_casecmp (target, c->nick) == 0)
    client_numeric (c, "221", "+", NULL);
  else
    {
      g_autofree char *folded = irc_casefold (target);
      g_autofree char *echo = echo_arg (target);

      if (g_hash_table_contains (c->server->nicks, folded))
        client_numeric (c, "502", "Cannot change mode for other users", NULL);
      else
        client_numeric (c, "401", echo, "No such nick/channel", NULL);
    }
}

static void
cmd_quit (Client     *c,
          IrcMessage *m)
{
  const char *reason = irc_message_get_param (m, 0);
  g_autofree char *quit = g_strdup_printf ("Quit: %s", reason != NULL ? reason : "");
  g_autofree char *bounded = irc_truncate_utf8 (quit, 300);
  g_autofree char *line = g_strdup_printf ("ERROR :Closing link: (%s@%s) [%s]",
                                           c->user != NULL ? c->user : "unknown", c->host, bounded);

  /* Peers hear of it now, in order with what the client sent before. */
  client_detach (c, bounded);
  g_free (c->quit_reason);
  c->quit_reason = g_steal_pointer (&bounded);

  client_send_line (c, line);
  if (c->dead)
    return;
  c->dead = TRUE;
  if (!conn_close_flush (c))
    conn_close_now (c);
  client_schedule_reap (c);
}

static void
cmd_motd (Client     *c,
          IrcMessage *m)
{
  client_numeric (c, "422", "MOTD File is missing", NULL);
}

static void
cmd_away (Client     *c,
          IrcMessage *m)
{
  /* Away messages are not kept; clients only need the acknowledgement. */
  const char *text = irc_message_get_param (m, 0);

  if (text == NULL || text[0] == '\0')
    client_numeric (c, "305", "You are no longer marked as being away", NULL);
  else
    client_numeric (c, "306", "You have been marked as being away", NULL);
}

/* The registered client of @nick, or NULL. */
static Client *
lookup_nick (ChatServer *server,
             const char *nick)
{
  g_autofree char *folded = irc_casefold (nick);
  Client *who = g_hash_table_lookup (server->nicks, folded);

  return who != NULL && who->registered && !who->dead ? who : NULL;
}

static void
cmd_ison (Client     *c,
          IrcMessage *m)
{
  g_autoptr(GString) online = g_string_new (NULL);

  if (irc_message_n_params (m) < 1)
    {
      need_more_params (c, m);
      return;
    }
  for (guint i = 0; i < irc_message_n_params (m); i++)
    {
      g_auto(GStrv) nicks = g_strsplit (irc_message_get_param (m, i), " ", -1);

      for (guint j = 0; nicks[j] != NULL; j++)
        {
          Client *who = nicks[j][0] != '\0' ? lookup_nick (c->server, nicks[j]) : NULL;

          if (who == NULL)
            continue;
          if (online->len > 0)
            g_string_append_c (online, ' ');
          g_string_append (online, who->nick);
        }
    }
  client_numeric (c, "303", online->str, NULL);
}

static void
cmd_userhost (Client     *c,
              IrcMessage *m)
{
  g_autoptr(GString) reply = g_string_new (NULL);

  if (irc_message_n_params (m) < 1)
    {
      need_more_params (c, m);
      return;
    }
  for (guint i = 0; i < irc_message_n_params (m) && i < 5; i++)
    {
      Client *who = lookup_nick (c->server, irc_message_get_param (m, i));

      if (who == NULL)
        continue;
      if (reply->len > 0)
        g_string_append_c (reply, ' ');
      g_string_append_printf (reply, "%s=+%s@%s", who->nick, who->user, who->host);
    }
  client_numeric (c, "302", reply->str, NULL);
}

typedef struct
{
  const char  *name;
  CommandFunc  func;
  gboolean     before_registration;
} Command;

static const Command commands[] = {
  { "PRIVMSG", cmd_privmsg, FALSE },
  { "NOTICE", cmd_notice, FALSE },
  { "PING", cmd_ping, TRUE },
  { "PONG", cmd_pong, TRUE },
  { "JOIN", cmd_join, FALSE },
  { "PART", cmd_part, FALSE },
  { "NICK", cmd_nick, TRUE },
  { "USER", cmd_user, TRUE },
  { "CAP", cmd_cap, TRUE },
  { "PASS", cmd_pass, TRUE },
  { "QUIT", cmd_quit, TRUE },
  { "TOPIC", cmd_topic, FALSE },
  { "NAMES", cmd_names, FALSE },
  { "WHO", cmd_who, FALSE },
  { "WHOIS", cmd_whois, FALSE },
  { "MODE", cmd_mode, FALSE },
  { "MOTD", cmd_motd, FALSE },
  { "AWAY", cmd_away, FALSE },
  { "ISON", cmd_ison, FALSE },
  { "USERHOST", cmd_userhost, FALSE },
};

/* ------------------------------------------------------------------ */
/* Connection events                                                    */
/* ------------------------------------------------------------------ */

/* The token bucket: FALSE when @c is too far in debt. */
static gboolean
client_flood_ok (Client *c,
                 gint64  now)
{
  const ChatServerOptions *o = &c->server->options;

  if (!o->flood_limit)
    return TRUE;
  c->tokens = MIN ((double) o->flood_burst,
                   c->tokens + (now - c->tokens_us) / (double) G_USEC_PER_SEC * o->flood_rate);
  c->tokens_us = now;
  c->tokens -= 1.0;
  return c->tokens >= -(double) o->flood_excess;
}

static void
on_line_received (EapTcpClient *tcp,
                  const char   *line,
                  gpointer      data)
{
  Client *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(IrcMessage) m = NULL;
  gint64 now = g_get_monotonic_time ();

  if (c->dead)
    return;
  c->server->stats.n_lines++;
  c->last_rx_us = now;
  c->ping_sent_us = 0;

  if (!client_flood_ok (c, now))
    {
      client_kill (c, "Excess Flood", TRUE);
      return;
    }

  m = irc_message_parse (line, strlen (line), &error);
  if (m == NULL)
    {
      if (g_error_matches (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_TOO_LONG))
        client_numeric (c, "417", "Input line was too long", NULL);
      /* Empty, malformed, CR inside: ignored, as RFC 2812 §3 asks. */
      return;
    }
  /* A prefix from a client is ignored: it is always its own. */
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, m->command))
      {
        if (!c->registered && !commands[i].before_registration)
          client_numeric (c, "451", "You have not registered", NULL);
        else
          commands[i].func (c, m);
        return;
      }

  if (!c->registered)
    client_numeric (c, "451", "You have not registered", NULL);
  else
    {
      g_autofree char *echo = echo_arg (m->command);

      client_numeric (c, "421", echo, "Unknown command", NULL);
    }
}

static void
on_disconnected (EapTcpClient *tcp,
                 GError       *error,
                 gpointer      data)
{
  Client *c = data;

  if (c->dead)
    return;
  c->dead = TRUE;
  g_free (c->quit_reason);
  if (g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED)
      || g_error_matches (error, EAP_ERROR, EAP_ERROR_PROTOCOL))
    {
      /* The framer refused a line (too long, a NUL byte): a drop too. */
      c->quit_reason = g_strdup (error->message);
      c->server->stats.n_dropped++;
    }
  else if (error != NULL)
    c->quit_reason = g_strdup (error->message);
  else
    c->quit_reason = g_strdup ("Connection closed");
  client_schedule_reap (c);
}

static void
on_client_accepted (EapTcpListener *listener,
                    EapTcpClient   *tcp,
                    gpointer        data)
{
  ChatServer *server = data;
  g_autoptr(GSocketAddress) address = eap_tcp_client_dup_remote_address (tcp);
  Client *c = g_new0 (Client, 1);
  gint64 now = g_get_monotonic_time ();

  c->server = server;
  c->tcp = g_object_ref (tcp);
  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      g_autofree char *ip = g_inet_address_to_string (
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));

      /* "::1" would start a word with ':' in a prefix. */
      c->host = ip[0] == ':' ? g_strconcat ("0", ip, NULL) : g_steal_pointer (&ip);
    }
  else
    c->host = g_strdup ("unknown");
  c->connected_us = now;
  c->last_rx_us = now;
  c->tokens_us = now;
  c->tokens = server->options.flood_burst;

  eap_tcp_client_set_framing (tcp, EAP_TCP_FRAMING_LINES);
  eap_tcp_client_set_max_line_length (tcp, CHAT_SERVER_MAX_LINE_LENGTH);
  eap_tcp_client_set_max_send_queue (tcp, server->options.max_send_queue);
  g_signal_connect (tcp, "line-received", G_CALLBACK (on_line_received), c);
  g_signal_connect (tcp, "disconnected", G_CALLBACK (on_disconnected), c);

  g_hash_table_add (server->clients, c);
  server->stats.n_clients++;
  server->stats.n_accepted++;
  if (!server->options.quiet)
    g_printerr ("eap-chat-server: connect from %s (%u clients)\n", c->host, server->stats.n_clients);
}

/* ------------------------------------------------------------------ */
/* Peers without a connection (tests, fuzzing)                          */
/* ------------------------------------------------------------------ */

ChatServerPeer *
chat_server_add_peer (ChatServer         *server,
                      const char         *host,
                      ChatServerPeerFunc  func,
                      gpointer            user_data)
{
  Client *c;
  gint64 now = g_get_monotonic_time ();

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (host != NULL && host[0] != '\0' && host[0] != ':', NULL);
  g_return_val_if_fail (strpbrk (host, " \r\n") == NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  /* As on_client_accepted(), without the EapTcpClient. */
  c = g_new0 (Client, 1);
  c->server = server;
  c->peer_func = func;
  c->peer_data = user_data;
  c->host = g_strdup (host);
  c->connected_us = now;
  c->last_rx_us = now;
  c->tokens_us = now;
  c->tokens = server->options.flood_burst;

  g_hash_table_add (server->clients, c);
  server->stats.n_clients++;
  server->stats.n_accepted++;
  return c;
}

void
chat_server_peer_receive_line (ChatServerPeer *peer,
                               const char     *line)
{
  g_return_if_fail (peer != NULL && peer->tcp == NULL);
  g_return_if_fail (line != NULL);

  on_line_received (NULL, line, peer);
}

void
chat_server_peer_disconnect (ChatServerPeer *peer,
                             GError         *error)
{
  g_return_if_fail (peer != NULL && peer->tcp == NULL);

  on_disconnected (NULL, error, peer);
}

static gboolean
sweep_cb (gpointer data)
{
  ChatServer *server = data;
  const ChatServerOptions *o = &server->options;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, server->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *c = key;

      if (c->dead)
        continue;
      if (!c->registered)
        {
          if (now - c->connected_us >= (gint64) o->registration_timeout_ms * 1000)
            client_kill (c, "Registration timed out", TRUE);
        }
      else if (c->ping_sent_us != 0)
        {
          if (now - c->ping_sent_us >= (gint64) o->ping_timeout_ms * 1000)
            {
              g_autofree char *reason = g_strdup_printf ("Ping timeout: %u seconds",
                                                         (o->ping_interval_ms + o->ping_timeout_ms) / 1000);

              client_kill (c, reason, FALSE);
            }
        }
      else if (now - c->last_rx_us >= (gint64) o->ping_interval_ms * 1000)
        {
          g_autofree char *ping = g_strdup_printf ("PING :%s", server->name);

          c->ping_sent_us = now;
          client_send_line (c, ping);
        }
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* The server                                                           */
/* ------------------------------------------------------------------ */

ChatServer *
chat_server_new (const ChatServerOptions *options)
{
  ChatServer *server = g_new0 (ChatServer, 1);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (options != NULL)
    server->options = *options;
  else
    chat_server_options_init (&server->options);
  server->name = g_strdup (server->options.name != NULL && server->options.name[0] != '\0'
                           ? server->options.name : "eap.local");
  server->options.name = server->name;
  if (server->options.flood_rate <= 0)
    server->options.flood_rate = 2.0;
  server->created = g_date_time_format (now, "%Y-%m-%d %H:%M:%S UTC");
  server->clients = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) client_free, NULL);
  server->nicks = g_hash_table_new (g_str_hash, g_str_equal);
  server->channels = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify) channel_free);
  g_queue_init (&server->reap);

  server->listener = eap_tcp_listener_new ();
  eap_tcp_listener_set_framing (server->listener, EAP_TCP_FRAMING_LINES);
  eap_tcp_listener_set_max_clients (server->listener, server->options.max_clients);
  g_signal_connect (server->listener, "client-accepted", G_CALLBACK (on_client_accepted), server);
  return server;
}

gboolean
chat_server_listen (ChatServer  *server,
                    const char  *address,
                    guint16      port,
                    GError     **error)
{
  const ChatServerOptions *o;
  guint period;

  g_return_val_if_fail (server != NULL, FALSE);
  g_return_val_if_fail (server->context == NULL, FALSE);

  if (!eap_tcp_listener_listen (server->listener, address, port, error))
    return FALSE;

  o = &server->options;
  server->context = g_main_context_ref_thread_default ();
  period = MIN (o->registration_timeout_ms, MIN (o->ping_interval_ms, o->ping_timeout_ms)) / 4;
  period = CLAMP (period, 10, 1000);
  server->sweep_source = g_timeout_source_new (period);
  g_source_set_callback (server->sweep_source, sweep_cb, server, NULL);
  g_source_set_static_name (server->sweep_source, "[eap-chat-server] sweep");
  g_source_attach (server->sweep_source, server->context);
  return TRUE;
}

guint16
chat_server_get_port (ChatServer *server)
{
  g_return_val_if_fail (server != NULL, 0);

  return eap_tcp_listener_get_port (server->listener);
}

void
chat_server_get_stats (ChatServer      *server,
                       ChatServerStats *stats)
{
  g_return_if_fail (server != NULL);
  g_return_if_fail (stats != NULL);

  *stats = server->stats;
  stats->n_channels = g_hash_table_size (server->channels);
  stats->n_rejected = eap_tcp_listener_get_n_rejected (server->listener);
}

void
chat_server_free (ChatServer *server)
{
  GHashTableIter iter;
  gpointer key;

  if (server == NULL)
    return;

  g_signal_handlers_disconnect_by_data (server->listener, server);
  eap_tcp_listener_stop (server->listener);
  eap_component_close (EAP_COMPONENT (server->listener));
  g_clear_object (&server->listener);

  if (server->sweep_source != NULL)
    g_source_destroy (server->sweep_source);
  g_clear_pointer (&server->sweep_source, g_source_unref);
  if (server->reap_source != NULL)
    g_source_destroy (server->reap_source);
  g_clear_pointer (&server->reap_source, g_source_unref);
  g_queue_clear (&server->reap);

  /* No broadcasts on the way out: close every connection at once. */
  g_hash_table_iter_init (&iter, server->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *c = key;

      if (c->tcp != NULL)
        g_signal_handlers_disconnect_by_data (c->tcp, c);
      conn_close_now (c);
    }
  g_hash_table_unref (server->nicks);
  g_hash_table_unref (server->channels);
  g_hash_table_unref (server->clients);
  g_clear_pointer (&server->context, g_main_context_unref);
  g_free (server->created);
  g_free (server->name);
  g_free (server);
}
