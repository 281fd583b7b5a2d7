/* bench-echo-eap.c: the eap echo server of bench-tcp
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An EapTcpListener on 127.0.0.1 (free port, RAW framing); every accepted
 * EapTcpClient echoes each `received` chunk with
 * eap_tcp_client_queue_send. The server keeps no reference to its clients:
 * a connected client is kept alive by its connection until `disconnected`.
 * Backpressure as an echo server should do it: with `send-high-water`
 * (1 MiB) a client stops reading while that much of its echo waits, so a
 * peer that writes faster than it reads is slowed by TCP instead of
 * overflowing `max-send-queue`. Should queue_send still fail, the server
 * says so on stderr and closes that connection (rather than echo a stream
 * with a hole in it). bench-tcp-load keeps at most 4 MiB in flight anyway,
 * the same for every server.
 *
 * Like bench-echo-server (the yardsticks), it raises RLIMIT_NOFILE to
 * 25,000 when it can, prints
 *
 *   port=PORT nofile=LIMIT
 *
 * on stdout once it listens, and serves until killed.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <eap.h>

#include "bench-util.h"

#define WANT_NOFILE 25000

static void
on_received (EapTcpClient *client,
             GBytes       *bytes,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (eap_tcp_client_queue_send (client, bytes, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
    return;
  fprintf (stderr, "bench-echo-eap: cannot echo %zu bytes (%s): closing the connection\n",
           g_bytes_get_size (bytes), error->message);
  eap_component_close (EAP_COMPONENT (client));
}

static void
on_client_accepted (EapTcpListener *listener,
                    EapTcpClient   *client,
                    gpointer        user_data)
{
  eap_tcp_client_set_send_high_water (client, 1024 * 1024);
  g_signal_connect (client, "received", G_CALLBACK (on_received), NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EapTcpListener) listener = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  rlim_t nofile;

  signal (SIGPIPE, SIG_IGN);
  nofile = bench_raise_nofile (WANT_NOFILE, 0);
  loop = g_main_loop_new (NULL, FALSE);
  listener = eap_tcp_listener_new ();
  eap_tcp_listener_set_framing (listener, EAP_TCP_FRAMING_RAW);
  g_signal_connect (listener, "client-accepted", G_CALLBACK (on_client_accepted), NULL);
  if (!eap_tcp_listener_listen (listener, "127.0.0.1", 0, &error))
    {
      fprintf (stderr, "bench-echo-eap: %s\n", error->message);
      return 1;
    }
  printf ("port=%u nofile=%lu\n", (guint) eap_tcp_listener_get_port (listener),
          (unsigned long) nofile);
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
