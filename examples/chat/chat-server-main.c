/* chat-server-main.c: eap-chat-server, an IRC-compatible chat server
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   eap-chat-server --port 6667 [--address 127.0.0.1] [--max-clients N]
 *
 * Prints "eap-chat-server: listening on ADDRESS:PORT" on stdout once it
 * accepts connections (tests read it to learn the port of --port 0), logs
 * one line per connect and disconnect on stderr unless --quiet, and exits
 * cleanly on SIGINT or SIGTERM.
 */

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "chat-server.h"

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  ChatServerOptions options;
  int port = 6667;
  int max_clients = 0;
  int flood_burst = -1;
  int flood_excess = -1;
  double flood_rate = 0;
  gboolean no_flood_limit = FALSE;
  gboolean quiet = FALSE;
  double registration_timeout = 30;
  double ping_interval = 90;
  double ping_timeout = 60;
  gint64 max_send_queue = 256 * 1024;
  g_autofree char *address = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(ChatServer) server = NULL;
  guint sigint, sigterm;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (0: any free port; default 6667)", "PORT" },
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
      "Address to listen on (default 127.0.0.1; \"::\" for every interface)", "ADDRESS" },
    { "max-clients", 0, 0, G_OPTION_ARG_INT, &max_clients, "Refuse connections beyond N (0: no limit)", "N" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Server name (default eap.local)", "NAME" },
    { "registration-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &registration_timeout,
      "Seconds a new connection has to register (default 30)", "SECONDS" },
    { "ping-interval", 0, 0, G_OPTION_ARG_DOUBLE, &ping_interval,
      "Seconds of silence before the server sends PING (default 90)", "SECONDS" },
    { "ping-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &ping_timeout,
      "Seconds to answer a PING before being dropped (default 60)", "SECONDS" },
    { "flood-burst", 0, 0, G_OPTION_ARG_INT, &flood_burst, "Lines a client may send at once (default 10)", "N" },
    { "flood-rate", 0, 0, G_OPTION_ARG_DOUBLE, &flood_rate, "Lines per second after the burst (default 2)", "R" },
    { "flood-excess", 0, 0, G_OPTION_ARG_INT, &flood_excess,
      "Lines beyond the allowance before \"Excess Flood\" (default 10)", "N" },
    { "no-flood-limit", 0, 0, G_OPTION_ARG_NONE, &no_flood_limit, "No flood control (benchmarks)", NULL },
    { "max-send-queue", 0, 0, G_OPTION_ARG_INT64, &max_send_queue,
      "Bytes queued to a client before it is dropped (default 262144)", "BYTES" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No connect/disconnect lines on stderr", NULL },
    G_OPTION_ENTRY_NULL,
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- an IRC-compatible chat server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("eap-chat-server: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || max_clients < 0 || registration_timeout <= 0
      || ping_interval <= 0 || ping_timeout <= 0 || max_send_queue < 1024
      || (flood_rate < 0))
    {
      g_printerr ("eap-chat-server: an option is out of range (see --help)\n");
      return 2;
    }

  chat_server_options_init (&options);
  if (name != NULL)
    options.name = name;
  options.max_clients = max_clients;
  options.registration_timeout_ms = (guint) (registration_timeout * 1000);
  options.ping_interval_ms = (guint) (ping_interval * 1000);
  options.ping_timeout_ms = (guint) (ping_timeout * 1000);
  options.flood_limit = !no_flood_limit;
  if (flood_burst > 0)
    options.flood_burst = flood_burst;
  if (flood_excess >= 0)
    options.flood_excess = flood_excess;
  if (flood_rate > 0)
    options.flood_rate = flood_rate;
  options.max_send_queue = max_send_queue;
  options.quiet = quiet;

  if (address == NULL)
    address = g_strdup ("127.0.0.1");

  server = chat_server_new (&options);
  if (!chat_server_listen (server, address, port, &error))
    {
      g_printerr ("eap-chat-server: %s\n", error->message);
      return 1;
    }
  printf (strchr (address, ':') != NULL ? "eap-chat-server: listening on [%s]:%u\n"
                                           : "eap-chat-server: listening on %s:%u\n",
          address, chat_server_get_port (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (!quiet)
    g_printerr ("eap-chat-server: shutting down\n");
  return 0;
}
