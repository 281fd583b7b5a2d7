/* chat-client-main.c: eap-chat-client, the command line
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   eap-chat-client HOST:PORT --nick N --channel '#c' [--user U]
 *                   [--realname R] [--no-reconnect] [--script FILE]
 *
 * Reads what the user types asynchronously, line by line, from the
 * terminal or a pipe (or from --script FILE): a poll source on the
 * descriptor in the main context, so the IRC connection keeps running
 * while nobody types. (GUnixInputStream would need gio-unix-2.0, which
 * eap_dep does not carry.) The end of the input is
 * /quit. Everything the client has to say goes to stdout, one timestamped
 * line at a time.
 */

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chat-client.h"
#include "irc-message.h"

/* A typed line longer than this is dropped whole (the terminal's line
 * editor would not produce one; a pipe might). */
#define MAX_INPUT_LINE (64 * 1024)

typedef struct
{
  ChatClient *client;       /* (owned) */
  int         input_fd;     /* stdin or the script */
  guint       input_id;     /* the g_unix_fd_add source, 0 once removed */
  GString    *partial;      /* (owned): input read past the last newline */
  gboolean    overlong;     /* dropping the rest of an overlong line */
  GMainLoop  *loop;         /* (owned) */
  int         status;
} App;

static void
output_cb (ChatClient *client,
           const char *line,
           gpointer    data)
{
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
finished_cb (ChatClient *client,
             int         status,
             gpointer    data)
{
  App *app = data;

  app->status = status;
  g_clear_handle_id (&app->input_id, g_source_remove);
  g_main_loop_quit (app->loop);
}

static void
user_line (App  *app,
           char *line)
{
  gsize length = strlen (line);

  if (length > 0 && line[length - 1] == '\r')
    line[length - 1] = '\0';
  /* A refused line has been reported on the output already. */
  chat_client_send_user_line (app->client, line, NULL);
}

/* Splits what was read into lines; keeps the unfinished one. */
static void
take_lines (App        *app,
            const char *bytes,
            gsize       length)
{
  const char *end = bytes + length;

  while (bytes < end)
    {
      const char *newline = memchr (bytes, '\n', end - bytes);
      gsize chunk = (newline != NULL ? newline : end) - bytes;

      if (!app->overlong)
        g_string_append_len (app->partial, bytes, chunk);
      if (app->partial->len > MAX_INPUT_LINE)
        {
          if (!app->overlong)
            g_printerr ("eap-chat-client: an input line over %u bytes was dropped\n",
                        MAX_INPUT_LINE);
          app->overlong = TRUE;
          g_string_truncate (app->partial, 0);
        }
      if (newline == NULL)
        break;
      if (!app->overlong)
        user_line (app, app->partial->str);
      app->overlong = FALSE;
      g_string_truncate (app->partial, 0);
      bytes = newline + 1;
    }
}

/* The input is read when poll() says it is readable: one read() then
 * never blocks, on a terminal, a pipe or a file, and the descriptor's
 * flags (shared with the shell) stay as they are. */
static gboolean
input_ready_cb (int           fd,
                GIOCondition  condition,
                gpointer      data)
{
  App *app = data;
  char buffer[4096];
  gssize n = read (fd, buffer, sizeof buffer);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n > 0)
    {
      take_lines (app, buffer, (gsize) n);
      return G_SOURCE_CONTINUE;
    }

  /* The end of the input (or an unreadable one) is /quit. */
  if (n < 0)
    g_printerr ("eap-chat-client: cannot read the input: %s\n", g_strerror (errno));
  if (app->partial->len > 0 && !app->overlong)
    user_line (app, app->partial->str);
  app->input_id = 0;
  chat_client_send_user_line (app->client, "/quit", NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer data)
{
  App *app = data;

  /* A second Ctrl-C while quitting stops at once. */
  if (!chat_client_send_user_line (app->client, "/quit", NULL))
    chat_client_stop (app->client);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_address (const char  *address,
               char       **host,
               guint16     *port,
               GError     **error)
{
  g_autoptr(GSocketConnectable) parsed = g_network_address_parse (address, 0, error);

  if (parsed == NULL)
    return FALSE;
  *port = g_network_address_get_port (G_NETWORK_ADDRESS (parsed));
  if (*port == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "\"%s\" has no port: write HOST:PORT", address);
      return FALSE;
    }
  *host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed)));
  return TRUE;
}

static int
open_input (const char *script)
{
  if (script == NULL)
    return 0;
  return g_open (script, O_RDONLY | O_CLOEXEC, 0);
}

/* Runs the client until it finishes: output to stdout, input from
 * app->input_fd, Ctrl-C (or SIGTERM) is /quit. */
static void
run (App                     *app,
     const ChatClientOptions *options)
{
  app->client = chat_client_new (options);
  app->partial = g_string_new (NULL);
  app->loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (app->client, "output", G_CALLBACK (output_cb), app);
  g_signal_connect (app->client, "finished", G_CALLBACK (finished_cb), app);
  g_unix_signal_add (SIGINT, signal_cb, app);
  g_unix_signal_add (SIGTERM, signal_cb, app);

  chat_client_start (app->client);
  app->input_id = g_unix_fd_add (app->input_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                 input_ready_cb, app);
  g_main_loop_run (app->loop);

  g_clear_handle_id (&app->input_id, g_source_remove);
  g_clear_object (&app->client);
  g_string_free (app->partial, TRUE);
  g_main_loop_unref (app->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *nick = NULL;
  g_autofree char *channel = NULL;
  g_autofree char *user = NULL;
  g_autofree char *realname = NULL;
  g_autofree char *script = NULL;
  g_autofree char *host = NULL;
  gboolean no_reconnect = FALSE;
  int reconnect_min_ms = 0;
  int reconnect_max_ms = 0;
  int ping_interval_ms = 0;
  int ping_timeout_ms = 0;
  GOptionEntry entries[] = {
    { "nick", 'n', 0, G_OPTION_ARG_STRING, &nick, "Nick name", "N" },
    { "channel", 'c', 0, G_OPTION_ARG_STRING, &channel, "Channel to join", "#C" },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, "User name (default: the nick)", "U" },
    { "realname", 'r', 0, G_OPTION_ARG_STRING, &realname, "Real name", "R" },
    { "no-reconnect", 0, 0, G_OPTION_ARG_NONE, &no_reconnect, "Exit when the connection is lost", NULL },
    { "script", 's', 0, G_OPTION_ARG_FILENAME, &script, "Read the input from FILE", "FILE" },
    { "reconnect-min-ms", 0, 0, G_OPTION_ARG_INT, &reconnect_min_ms, "First reconnect delay (default 1000)", "MS" },
    { "reconnect-max-ms", 0, 0, G_OPTION_ARG_INT, &reconnect_max_ms, "Longest reconnect delay (default 30000)", "MS" },
    { "ping-interval-ms", 0, 0, G_OPTION_ARG_INT, &ping_interval_ms, "PING a server quiet that long (default 60000)", "MS" },
    { "ping-timeout-ms", 0, 0, G_OPTION_ARG_INT, &ping_timeout_ms, "Give up on a PING unanswered that long (default 30000)", "MS" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("HOST:PORT - an IRC client on EapTcpClient");
  g_autoptr(GError) error = NULL;
  ChatClientOptions options = { 0 };
  guint16 port = 0;
  App app = { 0 };

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Commands: /join #c, /part [#c] [msg], /msg NICK|#c text, /nick N, /me action,\n"
    "/topic [text], /quit [msg]; other lines go to the current channel.\n"
    "The end of the input is /quit.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("eap-chat-client: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || nick == NULL)
    {
      g_printerr ("usage: eap-chat-client HOST:PORT --nick N [--channel '#c'] (see --help)\n");
      return 2;
    }
  if (!parse_address (argv[1], &host, &port, &error))
    {
      g_printerr ("eap-chat-client: %s\n", error->message);
      return 2;
    }
  if (!irc_nick_is_valid (nick) || (channel != NULL && !irc_channel_is_valid (channel)))
    {
      g_printerr ("eap-chat-client: \"%s\" is not a valid %s\n",
                  irc_nick_is_valid (nick) ? channel : nick,
                  irc_nick_is_valid (nick) ? "channel (#name)" : "nick");
      return 2;
    }
  app.input_fd = open_input (script);
  if (app.input_fd < 0)
    {
      g_printerr ("eap-chat-client: cannot open %s: %s\n", script, g_strerror (errno));
      return 2;
    }

  options.host = host;
  options.port = port;
  options.nick = nick;
  options.channel = channel;
  options.user = user;
  options.realname = realname;
  options.no_reconnect = no_reconnect;
  options.reconnect_min_ms = (guint) MAX (reconnect_min_ms, 0);
  options.reconnect_max_ms = (guint) MAX (reconnect_max_ms, 0);
  options.ping_interval_ms = (guint) MAX (ping_interval_ms, 0);
  options.ping_timeout_ms = (guint) MAX (ping_timeout_ms, 0);

  run (&app, &options);
  if (script != NULL)
    close (app.input_fd);
  return app.status;
}
