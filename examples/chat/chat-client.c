/* chat-client.c: the logic of eap-chat-client
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One EapTcpClient per connection attempt, in line framing. The client
 * registers (NICK, USER; on 433 it tries nick_, nick__ ...), joins its
 * channels after 001, and turns what the server says into timestamped
 * lines for the ::output signal. A quiet server gets a PING; no answer in
 * time counts as a lost connection. A lost connection is retried with
 * exponential back-off, and the client re-registers and re-joins.
 *
 * What the user types never reaches the wire unchecked: every line sent is
 * built with irc_message_to_line(), which refuses CR, LF and NUL, and text
 * is cut at a UTF-8 boundary so that the line the server relays (with our
 * prefix in front) stays within 512 bytes.
 */

#include "chat-client.h"

#include <string.h>

#include "irc-message.h"

typedef enum
{
  STATE_IDLE,         /* not started */
  STATE_CONNECTING,
  STATE_REGISTERING,  /* connected, NICK/USER sent, no 001 yet */
  STATE_REGISTERED,
  STATE_WAITING,      /* connection lost, a reconnect is scheduled */
  STATE_QUITTING,     /* QUIT sent, closing */
  STATE_FINISHED,
} State;

struct _ChatClient
{
  GObject       parent_instance;

  GMainContext *context;          /* (owned): where signals are emitted */
  char         *host;             /* (owned) */
  guint16       port;
  char         *wanted_nick;      /* (owned): the nick asked for */
  char         *nick;             /* (owned): current or attempted nick */
  char         *user;             /* (owned) */
  char         *realname;         /* (owned) */
  gboolean      no_reconnect;
  guint         reconnect_min_ms;
  guint         reconnect_max_ms;
  guint         ping_interval_ms;
  guint         ping_timeout_ms;

  State         state;
  EapTcpClient *tcp;              /* (owned) (nullable): the current connection */
  ChatClientSinkFunc sink;        /* (nullable): a connection without a socket, see
                                   * chat_client_start_with_sink() */
  gpointer      sink_data;
  guint         n_nick_tries;     /* 433s during this registration */
  guint         n_backoffs;       /* failed tries since the last registration */
  gboolean      was_registered;   /* registered once: the next 001 is a reconnect */
  GPtrArray    *channels;         /* (owned) (element-type utf8): to (re-)join */
  char         *current;          /* (owned) (nullable): where plain text goes */
  GQueue        pending;          /* (owned) (element-type utf8): user lines to send once registered */
  gsize         prefix_len;       /* length of ":nick!user@host " once known, else 0 */
  gint64        last_received;    /* monotonic time of the last line read */
  gint64        ping_sent;        /* monotonic time of our PING, 0 if none outstanding */
  GSource      *ping_source;      /* (owned) (nullable) */
  GSource      *reconnect_source; /* (owned) (nullable) */
  GSource      *quit_source;      /* (owned) (nullable): gives up a slow QUIT */
  GSource      *finish_source;    /* (owned) (nullable) */
  int           exit_status;
};

enum { OUTPUT, FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ChatClient, chat_client, G_TYPE_OBJECT)

#define MAX_NICK_TRIES 9
#define QUIT_TIMEOUT_MS 3000
/* ":" nick "!" user "@" host " " with the longest host name. */
#define PREFIX_GUESS(nick_len) (1 + (nick_len) + 1 + 10 + 1 + 63 + 1)

static void connect_now          (ChatClient *self);
static void handle_user_line     (ChatClient *self,
                                  const char *text);

/* ------------------------------------------------------------------ */
/* Output                                                               */
/* ------------------------------------------------------------------ */

/* Text from the network, made safe for a terminal: valid UTF-8, and no
 * control characters (IRC colour codes, escape sequences) left. */
static char *
sanitize (const char *text)
{
  char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);

  for (char *p = valid; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return valid;
}

static void emit_line (ChatClient *self,
                       const char *format,
                       ...) G_GNUC_PRINTF (2, 3);

static void
emit_line (ChatClient *self,
           const char *format,
           ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  line = g_strdup_printf ("[%s] %s", stamp, text);
  g_signal_emit (self, signals[OUTPUT], 0, line);
}

typedef struct
{
  const char *numeric;
  const char *meaning;
} Numeric;

static const Numeric numerics[] = {
  { "401", "ERR_NOSUCHNICK: no such nick or channel" },
  { "402", "ERR_NOSUCHSERVER: no such server" },
  { "403", "ERR_NOSUCHCHANNEL: no such channel" },
  { "404", "ERR_CANNOTSENDTOCHAN: cannot send to channel" },
  { "405", "ERR_TOOMANYCHANNELS: joined too many channels" },
  { "406", "ERR_WASNOSUCHNICK: there was no such nick" },
  { "407", "ERR_TOOMANYTARGETS: too many targets" },
  { "409", "ERR_NOORIGIN: no origin specified" },
  { "411", "ERR_NORECIPIENT: no recipient given" },
  { "412", "ERR_NOTEXTTOSEND: no text to send" },
  { "417", "ERR_INPUTTOOLONG: input line too long" },
  { "421", "ERR_UNKNOWNCOMMAND: unknown command" },
  { "422", "ERR_NOMOTD: no message of the day" },
  { "431", "ERR_NONICKNAMEGIVEN: no nickname given" },
  { "432", "ERR_ERRONEUSNICKNAME: erroneous nickname" },
  { "433", "ERR_NICKNAMEINUSE: nickname is already in use" },
  { "436", "ERR_NICKCOLLISION: nickname collision" },
  { "437", "ERR_UNAVAILRESOURCE: nick or channel temporarily unavailable" },
  { "441", "ERR_USERNOTINCHANNEL: they are not on that channel" },
  { "442", "ERR_NOTONCHANNEL: you are not on that channel" },
  { "443", "ERR_USERONCHANNEL: already on channel" },
  { "451", "ERR_NOTREGISTERED: you have not registered" },
  { "461", "ERR_NEEDMOREPARAMS: not enough parameters" },
  { "462", "ERR_ALREADYREGISTRED: already registered" },
  { "464", "ERR_PASSWDMISMATCH: password incorrect" },
  { "465", "ERR_YOUREBANNEDCREEP: you are banned from this server" },
  { "471", "ERR_CHANNELISFULL: channel is full" },
  { "473", "ERR_INVITEONLYCHAN: channel is invite only" },
  { "474", "ERR_BANNEDFROMCHAN: banned from channel" },
  { "475", "ERR_BADCHANNELKEY: bad channel key" },
  { "476", "ERR_BADCHANMASK: bad channel mask" },
  { "481", "ERR_NOPRIVILEGES: permission denied" },
  { "482", "ERR_CHANOPRIVSNEEDED: you are not channel operator" },
};

const char *
chat_client_numeric_meaning (const char *numeric)
{
  g_return_val_if_fail (numeric != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (numerics); i++)
    if (strcmp (numerics[i].numeric, numeric) == 0)
      return numerics[i].meaning;
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Sending                                                              */
/* ------------------------------------------------------------------ */

static gboolean
send_message (ChatClient  *self,
              IrcMessage  *message,
              GError     **error)
{
  g_autofree char *line = NULL;

  if (self->sink == NULL && (self->tcp == NULL || !eap_tcp_client_is_connected (self->tcp)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "not connected");
      return FALSE;
    }
  line = irc_message_to_line (message);
  if (line == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a %s message with a line break or over %u bytes cannot be sent",
                   message->command, IRC_MAX_LINE);
      return FALSE;
    }
  if (self->sink != NULL)
    {
      /* Unchecked: the caller of chat_client_start_with_sink() checks. */
      self->sink (line, self->sink_data);
      return TRUE;
    }
  return eap_tcp_client_queue_line (self->tcp, line, error);
}

/* Sends @command with @params (NULL-terminated); reports a failure as an
 * error line. */
static gboolean
send_command (ChatClient *self,
              const char *command,
              ...)
{
  g_autoptr(IrcMessage) message = irc_message_new (NULL, command);
  g_autoptr(GError) error = NULL;
  const char *param;
  va_list args;

  va_start (args, command);
  while ((param = va_arg (args, const char *)) != NULL)
    irc_message_add_param (message, param);
  va_end (args);

  if (!send_message (self, message, &error))
    {
      emit_line (self, "!!! %s not sent: %s", command, error->message);
      return FALSE;
    }
  return TRUE;
}

/* PRIVMSG or NOTICE with @text cut so that the relayed line fits. */
static gboolean
send_text (ChatClient *self,
           const char *command,
           const char *target,
           const char *text,
           gboolean    action)
{
  g_autoptr(IrcMessage) message = irc_message_new (NULL, command);
  g_autoptr(GError) error = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *payload = NULL;
  gsize prefix = self->prefix_len != 0 ? self->prefix_len : PREFIX_GUESS (strlen (self->nick));
  gsize overhead = prefix + strlen (command) + 1 + strlen (target) + 2 + (action ? 9 : 0);

  if (overhead >= IRC_MAX_LINE)
    {
      emit_line (self, "!!! not sent: the target name is too long");
      return FALSE;
    }
  cut = irc_truncate_utf8 (text, IRC_MAX_LINE - overhead);
  if (strlen (cut) < strlen (text))
    emit_line (self, "*** message cut to %" G_GSIZE_FORMAT " bytes (IRC's 512-byte limit)",
               strlen (cut));
  payload = action ? g_strdup_printf ("\001ACTION %s\001", cut) : g_strdup (cut);

  irc_message_add_param (message, target);
  irc_message_add_param (message, payload);
  if (!send_message (self, message, &error))
    {
      emit_line (self, "!!! not sent: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Channels                                                             */
/* ------------------------------------------------------------------ */

static int
find_channel (ChatClient *self,
              const char *channel)
{
  for (guint i = 0; i < self->channels->len; i++)
    if (irc_casecmp (g_ptr_array_index (self->channels, i), channel) == 0)
      return (int) i;
  return -1;
}

static void
add_channel (ChatClient *self,
             const char *channel)
{
  if (find_channel (self, channel) < 0)
    g_ptr_array_add (self->channels, g_strdup (channel));
}

/* Forgets @channel; plain text then goes to the last channel left. */
static void
remove_channel (ChatClient *self,
                const char *channel)
{
  int i = find_channel (self, channel);

  if (i >= 0)
    g_ptr_array_remove_index (self->channels, (guint) i);
  if (self->current != NULL && irc_casecmp (self->current, channel) == 0)
    {
      g_clear_pointer (&self->current, g_free);
      if (self->channels->len > 0)
        self->current = g_strdup (g_ptr_array_index (self->channels, self->channels->len - 1));
    }
}

static void
set_current (ChatClient *self,
             const char *channel)
{
  g_free (self->current);
  self->current = g_strdup (channel);
}

/* ------------------------------------------------------------------ */
/* Connection life cycle                                                */
/* ------------------------------------------------------------------ */

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static GSource *
add_timeout (ChatClient  *self,
             guint        ms,
             GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

/* Forgets the current connection. @close: the connection may still be up
 * (otherwise it already emitted disconnected). */
static void
drop_connection (ChatClient *self,
                 gboolean    close)
{
  clear_source (&self->ping_source);
  self->sink = NULL;
  if (self->tcp == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->tcp, self);
  if (close)
    eap_component_close (EAP_COMPONENT (self->tcp));
  g_clear_object (&self->tcp);
}

static gboolean
finish_cb (gpointer data)
{
  ChatClient *self = data;

  g_clear_pointer (&self->finish_source, g_source_unref);
  g_signal_emit (self, signals[FINISHED], 0, self->exit_status);
  return G_SOURCE_REMOVE;
}

/* Stops for good; finished is emitted from the context, never from
 * inside the call that ended the client. */
static void
finish (ChatClient *self,
        int         status)
{
  if (self->state == STATE_FINISHED)
    return;
  self->state = STATE_FINISHED;
  self->exit_status = status;
  drop_connection (self, TRUE);
  clear_source (&self->reconnect_source);
  clear_source (&self->quit_source);
  g_queue_clear_full (&self->pending, g_free);

  self->finish_source = g_idle_source_new ();
  g_source_set_callback (self->finish_source, finish_cb,
                         g_object_ref (self), g_object_unref);
  g_source_attach (self->finish_source, self->context);
}

static gboolean
reconnect_cb (gpointer data)
{
  ChatClient *self = data;

  g_clear_pointer (&self->reconnect_source, g_source_unref);
  connect_now (self);
  return G_SOURCE_REMOVE;
}

/* The next back-off delay: min, 2 min, 4 min ... capped at max. */
static guint
next_delay_ms (ChatClient *self)
{
  guint64 delay = self->reconnect_min_ms;

  for (guint i = 0; i < self->n_backoffs && delay < self->reconnect_max_ms; i++)
    delay *= 2;
  self->n_backoffs++;
  return (guint) MIN (delay, (guint64) self->reconnect_max_ms);
}

static gboolean is_quit (const char *text);

static int
find_quit (gconstpointer line,
           gconstpointer unused)
{
  return is_quit (line) ? 0 : 1;
}

/* The connection is gone (or never came up): says so and schedules the
 * next try, or finishes. @what: "connection lost" or "cannot connect". */
static void
connection_lost (ChatClient *self,
                 gboolean    close,
                 const char *what,
                 const char *reason)
{
  guint delay;

  drop_connection (self, close);
  if (self->state == STATE_QUITTING)
    {
      finish (self, 0);
      return;
    }
  if (self->state == STATE_FINISHED)
    return;
  /* No retries when told not to, nor when the user already typed /quit
   * (the end of a script) that is still waiting for a connection. */
  if (self->no_reconnect || g_queue_find_custom (&self->pending, NULL, find_quit) != NULL)
    {
      emit_line (self, "%s: %s", what, reason);
      finish (self, 1);
      return;
    }

  delay = next_delay_ms (self);
  self->state = STATE_WAITING;
  emit_line (self, "%s: %s; reconnecting in %g s", what, reason, delay / 1000.0);
  clear_source (&self->reconnect_source);
  self->reconnect_source = add_timeout (self, delay, reconnect_cb);
}

static gboolean
ping_cb (gpointer data)
{
  ChatClient *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 quiet = (now - self->last_received) / 1000;
  guint next;

  g_clear_pointer (&self->ping_source, g_source_unref);
  if (self->ping_sent != 0)
    {
      gint64 waited = (now - self->ping_sent) / 1000;

      if (waited >= self->ping_timeout_ms)
        {
          g_autofree char *reason =
            g_strdup_printf ("no answer to PING in %g s", self->ping_timeout_ms / 1000.0);

          connection_lost (self, TRUE, "connection lost", reason);
          return G_SOURCE_REMOVE;
        }
      next = (guint) (self->ping_timeout_ms - waited);
    }
  else if (quiet >= self->ping_interval_ms)
    {
      send_command (self, "PING", "eap-chat-client", NULL);
      self->ping_sent = now;
      next = self->ping_timeout_ms;
    }
  else
    next = (guint) (self->ping_interval_ms - quiet);

  self->ping_source = add_timeout (self, MAX (next, 1), ping_cb);
  return G_SOURCE_REMOVE;
}

static void
register_now (ChatClient *self)
{
  self->state = STATE_REGISTERING;
  self->n_nick_tries = 0;
  self->prefix_len = 0;
  g_free (self->nick);
  self->nick = g_strdup (self->wanted_nick);
  send_command (self, "NICK", self->nick, NULL);
  send_command (self, "USER", self->user, "0", "*", self->realname, NULL);
}

static void
connect_completed_cb (EapComponent     *component,
                      EapCompletedArgs *args,
                      gpointer          data)
{
  ChatClient *self = data;
  const GError *error = eap_completed_args_get_error (args);

  if (eap_completed_args_get_cancelled (args))
    return;
  if (error != NULL)
    {
      connection_lost (self, FALSE, "cannot connect", error->message);
      return;
    }

  self->last_received = g_get_monotonic_time ();
  self->ping_sent = 0;
  clear_source (&self->ping_source);
  self->ping_source = add_timeout (self, self->ping_interval_ms, ping_cb);
  register_now (self);
}

static void
disconnected_cb (EapTcpClient *tcp,
                 const GError *error,
                 gpointer      data)
{
  ChatClient *self = data;

  connection_lost (self, FALSE, "connection lost",
                   error != NULL ? error->message : "the server closed the connection");
}

/* Stays connected after drop_connection(): an operation that completes
 * once the connection was dropped (a cancelled connect, a QUIT's close)
 * has a handler, so it is never reported as unhandled. */
static void
ignore_completed_cb (EapComponent     *component,
                     EapCompletedArgs *args,
                     gpointer          data)
{
}

static void line_received_cb (EapTcpClient *tcp,
                              const char   *line,
                              gpointer      data);

static void
connect_now (ChatClient *self)
{
  g_autoptr(GError) error = NULL;
  guint idle_s = (self->ping_interval_ms + self->ping_timeout_ms) / 1000 + 2;
  gboolean ok;

  drop_connection (self, TRUE);
  self->state = STATE_CONNECTING;
  self->tcp = eap_tcp_client_new ();
  eap_tcp_client_set_framing (self->tcp, EAP_TCP_FRAMING_LINES);
  /* A backstop for connect and for a silent server; the PING logic
   * normally notices first. */
  eap_tcp_client_set_timeout (self->tcp, idle_s);
  g_signal_connect (self->tcp, "completed", G_CALLBACK (ignore_completed_cb), NULL);
  g_signal_connect (self->tcp, "completed::connect", G_CALLBACK (connect_completed_cb), self);
  g_signal_connect (self->tcp, "line-received", G_CALLBACK (line_received_cb), self);
  g_signal_connect (self->tcp, "disconnected", G_CALLBACK (disconnected_cb), self);

  /* The connection's events go to the thread-default context. */
  g_main_context_push_thread_default (self->context);
  ok = eap_tcp_client_connect_async (self->tcp, self->host, self->port, NULL, &error);
  g_main_context_pop_thread_default (self->context);
  if (!ok)
    connection_lost (self, TRUE, "cannot connect", error->message);
}

/* ------------------------------------------------------------------ */
/* What the server says                                                 */
/* ------------------------------------------------------------------ */

/* "nick" of "nick!user@host"; a server name stays whole. */
static char *
prefix_nick (const IrcMessage *message)
{
  const char *bang;

  if (message->prefix == NULL)
    return g_strdup ("");
  bang = strchr (message->prefix, '!');
  return bang != NULL ? g_strndup (message->prefix, bang - message->prefix)
                      : g_strdup (message->prefix);
}

static gboolean
is_me (ChatClient *self,
       const char *nick)
{
  return irc_casecmp (nick, self->nick) == 0;
}

static const char *
param (const IrcMessage *message,
       guint             index)
{
  const char *p = irc_message_get_param (message, index);

  return p != NULL ? p : "";
}

static const char *
trailing (const IrcMessage *message)
{
  guint n = irc_message_n_params (message);

  return n > 0 ? irc_message_get_param (message, n - 1) : "";
}

static void
flush_pending (ChatClient *self)
{
  char *line;

  while (self->state == STATE_REGISTERED &&
         (line = g_queue_pop_head (&self->pending)) != NULL)
    {
      handle_user_line (self, line);
      g_free (line);
    }
}

static void
on_welcome (ChatClient       *self,
            const IrcMessage *message)
{
  g_autofree char *text = sanitize (trailing (message));
  g_autofree char *nick = NULL;

  g_free (self->nick);
  self->nick = g_strdup (param (message, 0));
  self->state = STATE_REGISTERED;
  self->n_backoffs = 0;
  if (self->was_registered)
    emit_line (self, "reconnected");
  self->was_registered = TRUE;
  /* The nick is the server's word: made safe like any text from it. */
  nick = sanitize (self->nick);
  emit_line (self, "registered as %s: %s", nick, text);

  for (guint i = 0; i < self->channels->len; i++)
    send_command (self, "JOIN", g_ptr_array_index (self->channels, i), NULL);
  flush_pending (self);
}

static void
on_nick_in_use (ChatClient       *self,
                const IrcMessage *message)
{
  g_autofree char *taken = sanitize (param (message, 1));
  g_autofree char *next = NULL;
  g_autofree char *shown = NULL;

  if (self->state != STATE_REGISTERING)
    {
      emit_line (self, "!!! 433 %s: nick %s is already in use",
                 chat_client_numeric_meaning ("433"), taken);
      return;
    }
  if (++self->n_nick_tries > MAX_NICK_TRIES ||
      strlen (self->wanted_nick) + self->n_nick_tries > IRC_MAX_NICK)
    {
      emit_line (self, "!!! nick %s is already in use and so are its variants; "
                 "choose another with /nick", taken);
      return;
    }
  next = g_strdup_printf ("%s%.*s", self->wanted_nick, (int) self->n_nick_tries,
                          "______________________________");
  /* wanted_nick may come from the server (NICK): made safe to show. */
  shown = sanitize (next);
  emit_line (self, "*** nick %s is already in use; trying %s", taken, shown);
  g_free (self->nick);
  self->nick = g_steal_pointer (&next);
  send_command (self, "NICK", self->nick, NULL);
}

static void
on_join (ChatClient       *self,
         const IrcMessage *message,
         const char       *who)
{
  g_autofree char *channel = sanitize (param (message, 0));
  g_autofree char *from = sanitize (message->prefix);

  if (is_me (self, who))
    {
      add_channel (self, channel);
      if (self->current == NULL)
        set_current (self, channel);
      if (message->prefix != NULL)
        self->prefix_len = 1 + strlen (message->prefix) + 1;
      emit_line (self, "*** you joined %s", channel);
    }
  else
    emit_line (self, "*** %s joined %s", from, channel);
}

static void
on_part (ChatClient       *self,
         const IrcMessage *message,
         const char       *who)
{
  g_autofree char *channel = sanitize (param (message, 0));
  g_autofree char *reason = sanitize (irc_message_n_params (message) > 1 ? trailing (message) : "");
  g_autofree char *nick = sanitize (who);

  if (is_me (self, who))
    remove_channel (self, channel);
  emit_line (self, "*** %s left %s%s%s%s", is_me (self, who) ? "you" : nick, channel,
             *reason ? " (" : "", reason, *reason ? ")" : "");
}

static void
on_nick (ChatClient       *self,
         const IrcMessage *message,
         const char       *who)
{
  g_autofree char *nick = sanitize (param (message, 0));
  g_autofree char *old = sanitize (who);

  if (is_me (self, who))
    {
      g_free (self->nick);
      self->nick = g_strdup (param (message, 0));
      g_free (self->wanted_nick);
      self->wanted_nick = g_strdup (self->nick);
      /* our relayed prefix is now ":new!user@host " */
      if (message->prefix != NULL && strchr (message->prefix, '!') != NULL)
        self->prefix_len = 1 + strlen (self->nick) + strlen (strchr (message->prefix, '!')) + 1;
      else
        self->prefix_len = 0;
      emit_line (self, "*** you are now known as %s", nick);
    }
  else
    emit_line (self, "*** %s is now known as %s", old, nick);
}

/* PRIVMSG and NOTICE, with CTCP ACTION shown as "* nick does". */
static void
on_text (ChatClient       *self,
         const IrcMessage *message,
         const char       *who)
{
  const char *target = param (message, 0);
  const char *raw = trailing (message);
  gboolean notice = strcmp (message->command, "NOTICE") == 0;
  gboolean to_channel = target[0] == '#' || target[0] == '&';
  gboolean elsewhere = to_channel && (self->current == NULL ||
                                      irc_casecmp (self->current, target) != 0);
  g_autofree char *nick = sanitize (who);
  g_autofree char *safe_target = sanitize (target);
  g_autofree char *where = elsewhere ? g_strdup_printf ("[%s] ", safe_target) : g_strdup ("");
  g_autofree char *text = NULL;

  if (raw[0] == '\001')
    {
      g_autofree char *ctcp = g_strndup (raw + 1, strcspn (raw + 1, "\001"));

      if (g_str_has_prefix (ctcp, "ACTION ") || strcmp (ctcp, "ACTION") == 0)
        {
          text = sanitize (ctcp + MIN (strlen (ctcp), 7));
          emit_line (self, "%s* %s %s", where, nick, text);
        }
      else if (!notice && g_str_has_prefix (ctcp, "VERSION"))
        {
          send_text (self, "NOTICE", who, "\001VERSION eap-chat-client\001", FALSE);
          emit_line (self, "*** CTCP VERSION from %s", nick);
        }
      else
        {
          text = sanitize (ctcp);
          emit_line (self, "*** CTCP %s from %s", text, nick);
        }
      return;
    }

  text = sanitize (raw);
  if (notice && (message->prefix == NULL || strchr (message->prefix, '!') == NULL))
    emit_line (self, "-%s- %s", nick[0] ? nick : "server", text);
  else if (notice)
    emit_line (self, "%s-%s- %s", where, nick, text);
  else if (to_channel)
    emit_line (self, "%s<%s> %s", where, nick, text);
  else
    emit_line (self, "*%s* %s", nick, text);
}

static void
on_numeric (ChatClient       *self,
            const IrcMessage *message)
{
  const char *meaning = chat_client_numeric_meaning (message->command);
  guint n = irc_message_n_params (message);
  g_autoptr(GString) args = g_string_new (NULL);
  g_autofree char *text = NULL;

  gboolean is_error = message->command[0] == '4' || message->command[0] == '5';

  /* params[0] is our nick; the rest are the subject and the text
   * ("nobody: No such nick" for an error, "1 channels formed" else). */
  for (guint i = 1; i + 1 < n; i++)
    g_string_append_printf (args, "%s%s", args->len ? " " : "", param (message, i));
  if (n > 1)
    g_string_append_printf (args, "%s%s", args->len ? (is_error ? ": " : " ") : "",
                            trailing (message));
  text = sanitize (args->str);

  if (is_error)
    {
      /* A channel we cannot join is not re-joined after a reconnect. */
      if (strstr (" 403 405 471 473 474 475 476 ", message->command) != NULL && n > 1)
        remove_channel (self, param (message, 1));
      emit_line (self, "!!! %s %s: %s", message->command,
                 meaning != NULL ? meaning : "error", text);
      return;
    }
  if (strcmp (message->command, "332") == 0 || strcmp (message->command, "331") == 0)
    {
      g_autofree char *channel = sanitize (param (message, 1));
      g_autofree char *topic = sanitize (trailing (message));

      if (message->command[2] == '2')
        emit_line (self, "*** topic of %s: %s", channel, topic);
      else
        emit_line (self, "*** no topic is set on %s", channel);
    }
  else if (strcmp (message->command, "353") == 0)
    {
      g_autofree char *names = sanitize (trailing (message));
      g_autofree char *channel = sanitize (param (message, 2));

      emit_line (self, "*** users on %s: %s", channel, names);
    }
  else if (strstr (" 004 005 333 366 ", message->command) == NULL)
    {
      g_autofree char *server = sanitize (message->prefix != NULL ? message->prefix : "server");

      emit_line (self, "-%s- %s", server, text);
    }
}

static void
dispatch (ChatClient       *self,
          const IrcMessage *message)
{
  const char *command = message->command;
  g_autofree char *who = prefix_nick (message);

  if (strcmp (command, "PING") == 0)
    send_command (self, "PONG", irc_message_n_params (message) > 0 ? trailing (message) : "", NULL);
  else if (strcmp (command, "PONG") == 0)
    ;
  else if (strcmp (command, "001") == 0)
    on_welcome (self, message);
  else if (strcmp (command, "433") == 0)
    on_nick_in_use (self, message);
  else if (strcmp (command, "JOIN") == 0)
    on_join (self, message, who);
  else if (strcmp (command, "PART") == 0)
    on_part (self, message, who);
  else if (strcmp (command, "NICK") == 0)
    on_nick (self, message, who);
  else if (strcmp (command, "PRIVMSG") == 0 || strcmp (command, "NOTICE") == 0)
    on_text (self, message, who);
  else if (strcmp (command, "QUIT") == 0)
    {
      g_autofree char *nick = sanitize (who);
      g_autofree char *reason = sanitize (trailing (message));

      emit_line (self, "*** %s quit (%s)", nick, reason);
    }
  else if (strcmp (command, "TOPIC") == 0)
    {
      g_autofree char *nick = sanitize (who);
      g_autofree char *channel = sanitize (param (message, 0));
      g_autofree char *topic = sanitize (param (message, 1));

      emit_line (self, "*** %s set the topic of %s to: %s", nick, channel, topic);
    }
  else if (strcmp (command, "KICK") == 0)
    {
      g_autofree char *nick = sanitize (who);
      g_autofree char *channel = sanitize (param (message, 0));
      g_autofree char *victim = sanitize (param (message, 1));
      g_autofree char *reason = sanitize (param (message, 2));

      if (is_me (self, param (message, 1)))
        remove_channel (self, param (message, 0));
      emit_line (self, "*** %s was kicked from %s by %s (%s)", victim, channel, nick, reason);
    }
  else if (strcmp (command, "ERROR") == 0)
    {
      g_autofree char *text = sanitize (trailing (message));

      emit_line (self, "!!! server error: %s", text);
    }
  else if (g_ascii_isdigit (command[0]))
    on_numeric (self, message);
  else
    {
      g_autofree char *nick = sanitize (who);
      g_autofree char *text = sanitize (trailing (message));

      emit_line (self, "*** %s %s %s", nick, command, text);
    }
}

static void
line_received_cb (EapTcpClient *tcp,
                  const char   *line,
                  gpointer      data)
{
  chat_client_receive_line (data, line);
}

void
chat_client_receive_line (ChatClient *self,
                          const char *line)
{
  g_autoptr(IrcMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  /* Without a connection (dropped, or never started), as from a socket
   * whose handlers drop_connection() disconnected: nothing arrives. */
  if (self->tcp == NULL && self->sink == NULL)
    return;

  self->last_received = g_get_monotonic_time ();
  self->ping_sent = 0;

  message = irc_message_parse (line, strlen (line), &error);
  if (message == NULL)
    {
      if (!g_error_matches (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_EMPTY))
        emit_line (self, "!!! ignored a line from the server: %s", error->message);
      return;
    }
  g_object_ref (self);   /* a handler of output may drop the last reference */
  dispatch (self, message);
  g_object_unref (self);
}

/* ------------------------------------------------------------------ */
/* What the user types                                                  */
/* ------------------------------------------------------------------ */

static gboolean
quit_timeout_cb (gpointer data)
{
  ChatClient *self = data;

  g_clear_pointer (&self->quit_source, g_source_unref);
  finish (self, 0);
  return G_SOURCE_REMOVE;
}

static void
quit (ChatClient *self,
      const char *reason)
{
  if (self->tcp == NULL || !eap_tcp_client_is_connected (self->tcp))
    {
      finish (self, 0);
      return;
    }
  send_command (self, "QUIT", *reason ? reason : "eap-chat-client", NULL);
  self->state = STATE_QUITTING;
  /* Flushes the QUIT, then closes; disconnected then finishes. */
  eap_tcp_client_close_async (self->tcp, NULL, NULL);
  self->quit_source = add_timeout (self, QUIT_TIMEOUT_MS, quit_timeout_cb);
}

/* Splits "word rest" at the first space; *rest is never NULL. */
static char *
split_word (const char  *text,
            const char **rest)
{
  const char *space = strchr (text, ' ');

  if (space == NULL)
    {
      *rest = text + strlen (text);
      return g_strdup (text);
    }
  *rest = space + 1;
  while (**rest == ' ')
    (*rest)++;
  return g_strndup (text, space - text);
}

static gboolean
is_channel_name (const char *name)
{
  return name[0] == '#' || name[0] == '&';
}

static void
command_join (ChatClient *self,
              const char *args)
{
  const char *rest;
  g_autofree char *channel = split_word (args, &rest);

  if (!irc_channel_is_valid (channel))
    {
      emit_line (self, "!!! /join needs a channel name such as #eap");
      return;
    }
  add_channel (self, channel);
  set_current (self, channel);
  send_command (self, "JOIN", channel, NULL);
}

static void
command_part (ChatClient *self,
              const char *args)
{
  const char *reason = args;
  g_autofree char *channel = NULL;

  if (is_channel_name (args))
    channel = split_word (args, &reason);
  else if (self->current != NULL)
    channel = g_strdup (self->current);
  if (channel == NULL || !irc_channel_is_valid (channel))
    {
      emit_line (self, "!!! /part: not on a channel");
      return;
    }
  remove_channel (self, channel);
  if (*reason)
    send_command (self, "PART", channel, reason, NULL);
  else
    send_command (self, "PART", channel, NULL);
}

static void
command_msg (ChatClient *self,
             const char *args)
{
  const char *text;
  g_autofree char *target = split_word (args, &text);

  if (!(irc_nick_is_valid (target) || irc_channel_is_valid (target)) || *text == '\0')
    {
      emit_line (self, "!!! usage: /msg NICK|#channel text");
      return;
    }
  if (send_text (self, "PRIVMSG", target, text, FALSE))
    emit_line (self, "-> *%s* %s", target, text);
}

static void
command_nick (ChatClient *self,
              const char *args)
{
  const char *rest;
  g_autofree char *nick = split_word (args, &rest);

  if (!irc_nick_is_valid (nick))
    {
      emit_line (self, "!!! /nick: \"%s\" is not a valid nick", nick);
      return;
    }
  if (self->state == STATE_REGISTERING)
    {
      g_free (self->nick);
      self->nick = g_strdup (nick);
      g_free (self->wanted_nick);
      self->wanted_nick = g_strdup (nick);
    }
  send_command (self, "NICK", nick, NULL);
}

static void
command_topic (ChatClient *self,
               const char *args)
{
  if (self->current == NULL)
    emit_line (self, "!!! /topic: not on a channel; use /join #channel");
  else if (*args)
    send_command (self, "TOPIC", self->current, args, NULL);
  else
    send_command (self, "TOPIC", self->current, NULL);
}

static void
say (ChatClient *self,
     const char *text,
     gboolean    action)
{
  g_autofree char *nick = NULL;

  if (self->current == NULL)
    {
      emit_line (self, "!!! not on a channel; use /join #channel");
      return;
    }
  if (!send_text (self, "PRIVMSG", self->current, text, action))
    return;
  /* Our nick may come from the server (001, NICK): made safe to show. */
  nick = sanitize (self->nick);
  if (action)
    emit_line (self, "* %s %s", nick, text);
  else
    emit_line (self, "<%s> %s", nick, text);
}

static void
handle_command (ChatClient *self,
                const char *text)
{
  const char *args;
  g_autofree char *word = split_word (text + 1, &args);
  g_autofree char *command = g_ascii_strdown (word, -1);

  if (strcmp (command, "join") == 0)
    command_join (self, args);
  else if (strcmp (command, "part") == 0)
    command_part (self, args);
  else if (strcmp (command, "msg") == 0)
    command_msg (self, args);
  else if (strcmp (command, "nick") == 0)
    command_nick (self, args);
  else if (strcmp (command, "me") == 0)
    say (self, args, TRUE);
  else if (strcmp (command, "quit") == 0)
    quit (self, args);
  else if (strcmp (command, "topic") == 0)
    command_topic (self, args);
  else
    emit_line (self, "!!! unknown command /%s (try /join /part /msg /nick /me /topic /quit)",
               command);
}

static void
handle_user_line (ChatClient *self,
                  const char *text)
{
  if (text[0] == '/' && text[1] != '/')
    handle_command (self, text);
  else
    say (self, text[0] == '/' ? text + 1 : text, FALSE);
}

static gboolean
is_quit (const char *text)
{
  return g_ascii_strncasecmp (text, "/quit", 5) == 0 && (text[5] == '\0' || text[5] == ' ');
}

gboolean
chat_client_send_user_line (ChatClient  *self,
                            const char  *text,
                            GError     **error)
{
  g_autofree char *valid = NULL;

  g_return_val_if_fail (CHAT_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (strpbrk (text, "\r\n") != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a line holding CR or LF is not sent");
      emit_line (self, "!!! not sent: the line holds a line break (CR or LF)");
      return FALSE;
    }
  if (self->state == STATE_FINISHED || self->state == STATE_QUITTING)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the client has quit");
      return FALSE;
    }
  if (text[0] == '\0')
    return TRUE;

  valid = g_utf8_make_valid (text, -1);
  if (self->state == STATE_REGISTERED ||
      (is_quit (valid) && (self->state == STATE_WAITING || self->state == STATE_IDLE)))
    {
      g_object_ref (self);
      handle_user_line (self, valid);
      g_object_unref (self);
      return TRUE;
    }
  if (self->pending.length >= CHAT_CLIENT_MAX_PENDING_LINES)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           "too many lines waiting for the connection");
      emit_line (self, "!!! not sent: not connected, and %u lines already wait",
                 CHAT_CLIENT_MAX_PENDING_LINES);
      return FALSE;
    }
  g_queue_push_tail (&self->pending, g_steal_pointer (&valid));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The object                                                           */
/* ------------------------------------------------------------------ */

ChatClient *
chat_client_new (const ChatClientOptions *options)
{
  ChatClient *self;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->host != NULL, NULL);
  g_return_val_if_fail (options->nick != NULL, NULL);

  self = g_object_new (CHAT_TYPE_CLIENT, NULL);
  self->host = g_strdup (options->host);
  self->port = options->port;
  self->wanted_nick = g_strdup (options->nick);
  self->nick = g_strdup (options->nick);
  self->user = g_strdup (options->user != NULL ? options->user : options->nick);
  self->realname = g_strdup (options->realname != NULL ? options->realname : "eap-chat-client");
  self->no_reconnect = options->no_reconnect;
  self->reconnect_min_ms = options->reconnect_min_ms ? options->reconnect_min_ms
                                                     : CHAT_CLIENT_DEFAULT_RECONNECT_MIN_MS;
  self->reconnect_max_ms = options->reconnect_max_ms ? options->reconnect_max_ms
                                                     : CHAT_CLIENT_DEFAULT_RECONNECT_MAX_MS;
  self->reconnect_max_ms = MAX (self->reconnect_max_ms, self->reconnect_min_ms);
  self->ping_interval_ms = options->ping_interval_ms ? options->ping_interval_ms
                                                     : CHAT_CLIENT_DEFAULT_PING_INTERVAL_MS;
  self->ping_timeout_ms = options->ping_timeout_ms ? options->ping_timeout_ms
                                                   : CHAT_CLIENT_DEFAULT_PING_TIMEOUT_MS;
  if (options->channel != NULL)
    {
      add_channel (self, options->channel);
      set_current (self, options->channel);
    }
  return self;
}

void
chat_client_start (ChatClient *self)
{
  g_return_if_fail (CHAT_IS_CLIENT (self));
  g_return_if_fail (self->state == STATE_IDLE);

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  connect_now (self);
}

void
chat_client_start_with_sink (ChatClient         *self,
                             ChatClientSinkFunc  func,
                             gpointer            user_data)
{
  g_return_if_fail (CHAT_IS_CLIENT (self));
  g_return_if_fail (self->state == STATE_IDLE);
  g_return_if_fail (func != NULL);

  /* As connect_now() and connect_completed_cb(), without the connection
   * and without the PING timer. */
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  self->sink = func;
  self->sink_data = user_data;
  self->last_received = g_get_monotonic_time ();
  self->ping_sent = 0;
  register_now (self);
}

void
chat_client_stop (ChatClient *self)
{
  g_return_if_fail (CHAT_IS_CLIENT (self));

  finish (self, 0);
}

const char *
chat_client_get_nick (ChatClient *self)
{
  g_return_val_if_fail (CHAT_IS_CLIENT (self), NULL);

  return self->nick;
}

const char *
chat_client_get_channel (ChatClient *self)
{
  g_return_val_if_fail (CHAT_IS_CLIENT (self), NULL);

  return self->current;
}

gboolean
chat_client_is_registered (ChatClient *self)
{
  g_return_val_if_fail (CHAT_IS_CLIENT (self), FALSE);

  return self->state == STATE_REGISTERED;
}

static void
chat_client_dispose (GObject *object)
{
  ChatClient *self = CHAT_CLIENT (object);

  drop_connection (self, TRUE);
  clear_source (&self->reconnect_source);
  clear_source (&self->quit_source);
  clear_source (&self->finish_source);

  G_OBJECT_CLASS (chat_client_parent_class)->dispose (object);
}

static void
chat_client_finalize (GObject *object)
{
  ChatClient *self = CHAT_CLIENT (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->host);
  g_free (self->wanted_nick);
  g_free (self->nick);
  g_free (self->user);
  g_free (self->realname);
  g_ptr_array_unref (self->channels);
  g_free (self->current);
  g_queue_clear_full (&self->pending, g_free);

  G_OBJECT_CLASS (chat_client_parent_class)->finalize (object);
}

static void
chat_client_class_init (ChatClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = chat_client_dispose;
  object_class->finalize = chat_client_finalize;

  signals[OUTPUT] =
    g_signal_new ("output", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
chat_client_init (ChatClient *self)
{
  self->channels = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&self->pending);
  self->context = g_main_context_ref_thread_default ();
}
