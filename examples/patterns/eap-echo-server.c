/* eap-echo-server.c: a line echo server on EapTcpListener
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: eap-echo-server [--address A] [--port P] [--verbose]
 *
 * Sends every line it receives back to its sender (ended with CR LF), to
 * any number of clients at once, in one thread. It prints
 * "listening on port P" once it listens (--port 0, the default, picks a
 * free port), and stops on SIGINT or SIGTERM.
 *
 * The whole server is three handlers: client-accepted connects the other
 * two to the new client, line-received queues the echo, and disconnected
 * says goodbye. The server keeps no list of clients: a connected
 * EapTcpClient is kept alive by its connection until it has emitted
 * disconnected.
 */

#include <eap.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static gboolean verbose;

static void
print_client (EapTcpClient *client,
              const char   *what)
{
  g_autoptr(GSocketAddress) address = eap_tcp_client_dup_remote_address (client);
  g_autofree char *name = NULL;

  if (address != NULL)
    name = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));
  printf ("%s %s\n", name != NULL ? name : "a client", what);
  fflush (stdout);
}

static void
on_line_received (EapTcpClient *client,
                  const char   *line,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Queued, not written: the client writes when the socket is writable.
   * A client that sends but never reads fills its queue (max-send-queue)
   * and is dropped, instead of growing the server without bound. */
  if (!eap_tcp_client_queue_line (client, line, &error))
    {
      g_printerr ("eap-echo-server: dropping a client: %s\n", error->message);
      eap_component_close (EAP_COMPONENT (client));
    }
}

static void
on_disconnected (EapTcpClient *client,
                 const GError *error,
                 gpointer      user_data)
{
  if (verbose)
    print_client (client, error != NULL ? error->message : "disconnected");
}

static void
on_client_accepted (EapTcpListener *listener,
                    EapTcpClient   *client,
                    gpointer        user_data)
{
  if (verbose)
    print_client (client, "connected");
  g_signal_connect (client, "line-received", G_CALLBACK (on_line_received), NULL);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), NULL);
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *address = NULL;
  int port = 0;
  const GOptionEntry entries[] = {
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
      "Listen on this address only (default: all)", "ADDRESS" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Listen on this port (default: 0, any free)", "PORT" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print connections and disconnections", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- echo lines back");
  g_autoptr(EapTcpListener) listener = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  guint sigint_id, sigterm_id;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || port < 0 || port > 65535)
    {
      g_printerr ("eap-echo-server: %s\n", error != NULL ? error->message : "bad port");
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  listener = eap_tcp_listener_new ();
  eap_tcp_listener_set_framing (listener, EAP_TCP_FRAMING_LINES);
  g_signal_connect (listener, "client-accepted", G_CALLBACK (on_client_accepted), NULL);

  if (!eap_tcp_listener_listen (listener, address, (guint16) port, &error))
    {
      g_printerr ("eap-echo-server: %s\n", error->message);
      return EXIT_FAILURE;
    }

  printf ("eap-echo-server: listening on port %u\n", eap_tcp_listener_get_port (listener));
  fflush (stdout);

  sigint_id = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);

  g_clear_handle_id (&sigint_id, g_source_remove);
  g_clear_handle_id (&sigterm_id, g_source_remove);
  eap_component_close (EAP_COMPONENT (listener));
  return EXIT_SUCCESS;
}
