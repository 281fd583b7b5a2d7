/* test-tcp-listener.c: EapTcpListener against plain blocking BSD sockets
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The eap side (the listener and the clients it accepts) runs in the
 * test's thread, on the fixture's context. The peers are plain blocking
 * BSD sockets: connected from the test thread when connecting is all they
 * do (the kernel completes a connect to a listening socket without an
 * accept), or driven by threads of their own when they read and write.
 * No sleeps: the test iterates its context until a condition holds, with
 * a deadline; threads signal latches, which wake that context.
 */

#include "eap-test.h"

#include "eap-tcp-client-private.h"

/* Test-only, in eap-tcp-listener.c: how many blocking accepts wait. */
guint _eap_tcp_listener_get_n_blocking (EapTcpListener *self);

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Blocking peers                                                      */
/* ------------------------------------------------------------------ */

static guint16
peer_local_port (int fd)
{
  struct sockaddr_in sin = { 0 };
  socklen_t len = sizeof sin;

  if (getsockname (fd, (struct sockaddr *) &sin, &len) < 0)
    return 0;
  return ntohs (sin.sin_port);
}

/* Reads until EOF or an error; a timeout on the socket bounds each read.
 * Returns the bytes, and whether it ended with a clean EOF. */
static GByteArray *
read_to_eof (int       fd,
             gboolean *clean_eof)
{
  GByteArray *all = g_byte_array_new ();
  char buf[16384];

  *clean_eof = FALSE;
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0)
        *clean_eof = TRUE;
      if (n <= 0)
        break;
      g_byte_array_append (all, (guint8 *) buf, n);
    }
  return all;
}

/* Bounds every blocking read and write of a peer: a hang becomes a
 * failure instead of a stuck test. */
static void
peer_set_timeout (int  fd,
                  guint seconds)
{
  struct timeval tv = { .tv_sec = seconds };

  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* ------------------------------------------------------------------ */
/* The eap side: a listener and what its clients saw                   */
/* ------------------------------------------------------------------ */

typedef enum
{
  MODE_RECORD,   /* keep what arrives */
  MODE_ECHO,     /* send it back (queue_send / queue_line) */
} ServerMode;

typedef struct
{
  EapTcpListener *listener;        /* (owned) */
  ServerMode      mode;
  GPtrArray      *clients;         /* (owned) (element-type EapTcpClient): every client seen */
  guint           n_accepted;      /* client-accepted emissions */
  gboolean        accepted_in_context;
  guint           n_disconnected;
  guint           n_disconnected_error;
  GError         *first_error;     /* (owned) (nullable): first disconnect error */
  guint           n_lines;
  GString        *received;        /* (owned): bytes or lines (each + "\n") in record mode */
  guint64         n_echoed;
  guint           n_queue_failures;
  guint           n_notify_n_clients;
  guint           n_notify_n_rejected;
  guint           n_notify_listening;
} Server;

static void
client_received_cb (EapTcpClient *client,
                    GBytes       *bytes,
                    Server       *server)
{
  if (server->mode == MODE_ECHO)
    {
      if (!eap_tcp_client_queue_send (client, bytes, NULL))
        server->n_queue_failures++;
      else
        server->n_echoed += g_bytes_get_size (bytes);
    }
  else
    g_string_append_len (server->received, g_bytes_get_data (bytes, NULL),
                         g_bytes_get_size (bytes));
}

static void
client_line_received_cb (EapTcpClient *client,
                         const char   *line,
                         Server       *server)
{
  server->n_lines++;
  if (server->mode == MODE_ECHO)
    {
      if (!eap_tcp_client_queue_line (client, line, NULL))
        server->n_queue_failures++;
    }
  else
    {
      g_string_append (server->received, line);
      g_string_append_c (server->received, '\n');
    }
}

static void
client_disconnected_cb (EapTcpClient *client,
                        const GError *error,
                        Server       *server)
{
  server->n_disconnected++;
  if (error != NULL)
    {
      server->n_disconnected_error++;
      if (server->first_error == NULL)
        server->first_error = g_error_copy (error);
    }
}

/* Follows @client: its events are recorded in @server. */
static void
server_adopt (Server       *server,
              EapTcpClient *client)
{
  g_ptr_array_add (server->clients, g_object_ref (client));
  eap_tcp_client_set_max_send_queue (client, 128 * 1024 * 1024);
  g_signal_connect (client, "received", G_CALLBACK (client_received_cb), server);
  g_signal_connect (client, "line-received", G_CALLBACK (client_line_received_cb), server);
  g_signal_connect (client, "disconnected", G_CALLBACK (client_disconnected_cb), server);
}

static void
client_accepted_cb (EapTcpListener *listener,
                    EapTcpClient   *client,
                    Server         *server)
{
  server->n_accepted++;
  server->accepted_in_context = g_main_context_is_owner (eap_test_fixture ()->context);
  server_adopt (server, client);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Server     *server)
{
  if (g_str_equal (pspec->name, "n-clients"))
    server->n_notify_n_clients++;
  else if (g_str_equal (pspec->name, "n-rejected"))
    server->n_notify_n_rejected++;
  else if (g_str_equal (pspec->name, "listening"))
    server->n_notify_listening++;
}

static Server *
server_new (ServerMode    mode,
            EapTcpFraming framing)
{
  Server *server = g_new0 (Server, 1);

  server->mode = mode;
  server->clients = g_ptr_array_new_with_free_func (g_object_unref);
  server->received = g_string_new (NULL);
  server->listener = eap_tcp_listener_new ();
  eap_tcp_listener_set_framing (server->listener, framing);
  g_signal_connect (server->listener, "client-accepted", G_CALLBACK (client_accepted_cb), server);
  g_signal_connect (server->listener, "notify", G_CALLBACK (notify_cb), server);
  return server;
}

/* Listens on 127.0.0.1, a free port; returns the port (0 on failure). */
static guint16
server_listen (Server *server)
{
  g_autoptr(GError) error = NULL;

  if (!eap_tcp_listener_listen (server->listener, "127.0.0.1", 0, &error))
    {
      CU_FAIL (error->message);
      return 0;
    }
  return eap_tcp_listener_get_port (server->listener);
}

static gboolean
all_disconnected (gpointer data)
{
  Server *server = data;

  return server->n_disconnected >= server->clients->len;
}

/* Closes every client still connected, waits for their disconnected, and
 * frees everything. */
static void
server_free (Server *server)
{
  for (guint i = 0; i < server->clients->len; i++)
    eap_component_close (g_ptr_array_index (server->clients, i));
  CU_ASSERT_TRUE (eap_test_wait_until (all_disconnected, server, EAP_TEST_TIMEOUT_MS));
  eap_component_close (EAP_COMPONENT (server->listener));
  eap_test_drain ();
  for (guint i = 0; i < server->clients->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (server->clients, i), server);
  g_signal_handlers_disconnect_by_data (server->listener, server);
  g_clear_object (&server->listener);
  eap_test_drain ();
  g_ptr_array_unref (server->clients);
  g_string_free (server->received, TRUE);
  g_clear_error (&server->first_error);
  g_free (server);
}

typedef struct
{
  Server *server;
  guint   n;
} CountCond;

static gboolean
n_accepted_at_least (gpointer data)
{
  CountCond *c = data;

  return c->server->n_accepted >= c->n;
}

static gboolean
n_disconnected_at_least (gpointer data)
{
  CountCond *c = data;

  return c->server->n_disconnected >= c->n;
}

static gboolean
wait_accepted (Server *server,
               guint   n)
{
  CountCond c = { server, n };

  return eap_test_wait_until (n_accepted_at_least, &c, EAP_TEST_TIMEOUT_MS);
}

static gboolean
wait_disconnected (Server *server,
                   guint   n)
{
  CountCond c = { server, n };

  return eap_test_wait_until (n_disconnected_at_least, &c, EAP_TEST_TIMEOUT_MS);
}

/* ------------------------------------------------------------------ */
/* listen                                                              */
/* ------------------------------------------------------------------ */

static void
test_listen_port_zero (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *text = NULL;
  guint16 port;
  int fd;

  CU_ASSERT_FALSE (eap_tcp_listener_is_listening (server->listener));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_port (server->listener), 0);

  port = server_listen (server);
  CU_ASSERT_NOT_EQUAL (port, 0);
  CU_ASSERT_TRUE (eap_tcp_listener_is_listening (server->listener));
  CU_ASSERT_EQUAL (server->n_notify_listening, 1);
  address = eap_tcp_listener_dup_local_address (server->listener);
  CU_ASSERT_TRUE_FATAL (G_IS_INET_SOCKET_ADDRESS (address));
  text = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  CU_ASSERT_STRING_EQUAL (text, "127.0.0.1");
  CU_ASSERT_EQUAL (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)), port);

  /* The port is really the one listening. */
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE (fd >= 0);
  CU_ASSERT_TRUE (wait_accepted (server, 1));
  close (fd);

  server_free (server);
}

static void
test_listen_any_dual_stack (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) gclient = g_socket_client_new ();
  g_autoptr(GSocketConnection) c6 = NULL;
  guint16 port;
  int fd;

  /* NULL: every interface, IPv6 and IPv4. */
  CU_ASSERT_TRUE_FATAL (eap_tcp_listener_listen (server->listener, NULL, 0, &error));
  port = eap_tcp_listener_get_port (server->listener);
  CU_ASSERT_NOT_EQUAL (port, 0);

  fd = eap_test_connect_loopback (port);             /* over IPv4 */
  CU_ASSERT_TRUE (fd >= 0);
  CU_ASSERT_TRUE (wait_accepted (server, 1));
  c6 = g_socket_client_connect_to_host (gclient, "::1", port, NULL, &error);
  if (c6 != NULL)                                 /* IPv6 loopback may be off */
    {
      CU_ASSERT_TRUE (wait_accepted (server, 2));
    }
  else
    g_clear_error (&error);

  close (fd);
  g_clear_object (&c6);
  server_free (server);
}

static void
test_listen_address_in_use (void)
{
  Server *a = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(EapTcpListener) b = eap_tcp_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *port_text = NULL;
  guint16 port;

  port = server_listen (a);
  CU_ASSERT_FALSE (eap_tcp_listener_listen (b, "127.0.0.1", port, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE));
  port_text = g_strdup_printf ("127.0.0.1:%u", port);
  CU_ASSERT_PTR_NOT_NULL (error != NULL ? strstr (error->message, port_text) : NULL);
  CU_ASSERT_FALSE (eap_tcp_listener_is_listening (b));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_port (b), 0);

  server_free (a);
}

static void
test_listen_twice_pending (void)   /* R10 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GError) error = NULL;
  guint16 port;

  port = server_listen (server);
  CU_ASSERT_FALSE (eap_tcp_listener_listen (server->listener, "127.0.0.1", 0, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING));
  /* The first listening socket is untouched. */
  CU_ASSERT_TRUE (eap_tcp_listener_is_listening (server->listener));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_port (server->listener), port);
  CU_ASSERT_EQUAL (server->n_notify_listening, 1);

  server_free (server);
}

/* ------------------------------------------------------------------ */
/* client-accepted                                                     */
/* ------------------------------------------------------------------ */

static void
test_client_accepted (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GSocketAddress) remote = NULL;
  EapTcpClient *client;
  guint16 port;
  int fd;

  port = server_listen (server);
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  CU_ASSERT_FATAL (wait_accepted (server, 1));

  CU_ASSERT_EQUAL (server->n_accepted, 1);
  CU_ASSERT_TRUE (server->accepted_in_context);
  client = g_ptr_array_index (server->clients, 0);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));
  CU_ASSERT_EQUAL (eap_tcp_client_get_framing (client), EAP_TCP_FRAMING_RAW);
  remote = eap_tcp_client_dup_remote_address (client);
  CU_ASSERT_TRUE_FATAL (G_IS_INET_SOCKET_ADDRESS (remote));
  CU_ASSERT_EQUAL (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)),
                   peer_local_port (fd));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 1);
  CU_ASSERT_TRUE (server->n_notify_n_clients >= 1);

  /* The peer's bytes arrive as received on the accepted client. */
  CU_ASSERT_TRUE (eap_test_write_all (fd, "hello", 5));
  close (fd);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_STRING_EQUAL (server->received->str, "hello");
  CU_ASSERT_EQUAL (server->n_disconnected_error, 0);
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 0);

  server_free (server);
}

/* ------------------------------------------------------------------ */
/* Peers in threads                                                    */
/* ------------------------------------------------------------------ */

typedef struct _Peer Peer;
typedef void (*PeerFunc) (Peer *peer);

struct _Peer
{
  guint16       port;
  PeerFunc      func;
  GThread      *thread;
  EapTestLatch  done;
  int           fd;
  /* Results, read after done: */
  gboolean      ok;
  char         *failure;       /* (owned) (nullable) */
  GByteArray   *got;           /* (owned) (nullable) */
  gboolean      clean_eof;
  gsize         size;          /* input for some peers */
  char         *sent_sum;      /* (owned) (nullable) */
  char         *got_sum;       /* (owned) (nullable) */
};

static gpointer
peer_thread (gpointer data)
{
  Peer *peer = data;

  peer->fd = eap_test_connect_loopback (peer->port);
  if (peer->fd < 0)
    peer->failure = g_strdup_printf ("connect: %s", g_strerror (errno));
  else
    {
      peer_set_timeout (peer->fd, 20);
      peer->func (peer);
      if (peer->fd >= 0)
        close (peer->fd);
    }
  eap_test_latch_set (&peer->done);
  return NULL;
}

static Peer *
peer_start (guint16  port,
            PeerFunc func,
            gsize    size)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->port = port;
  peer->func = func;
  peer->size = size;
  peer->fd = -1;
  eap_test_latch_init (&peer->done);
  peer->thread = g_thread_new ("peer", peer_thread, peer);
  return peer;
}

/* Waits for the peer while iterating the eap side; TRUE if it finished. */
static gboolean
peer_wait (Peer  *peer,
           guint  timeout_ms)
{
  gboolean done = eap_test_wait_until ((EapTestCondition) eap_test_latch_is_set,
                                       &peer->done, timeout_ms);

  if (done)
    g_clear_pointer (&peer->thread, g_thread_join);
  return done;
}

static void
peer_free (Peer *peer)
{
  if (peer->thread != NULL)
    {
      /* A failed test: give the thread its deadline, then join it. */
      peer_wait (peer, 30000);
      if (peer->thread != NULL)
        g_error ("peer thread stuck");
    }
  if (peer->failure != NULL)
    CU_FAIL (peer->failure);
  g_free (peer->failure);
  if (peer->got != NULL)
    g_byte_array_unref (peer->got);
  g_free (peer->sent_sum);
  g_free (peer->got_sum);
  eap_test_latch_clear (&peer->done);
  g_free (peer);
}

/* ------------------------------------------------------------------ */
/* Echo                                                                */
/* ------------------------------------------------------------------ */

static void
peer_lines (Peer *peer)
{
  static const char out[] = "hello\r\nworld\nlast line\r\n";

  if (!eap_test_write_all (peer->fd, out, strlen (out)))
    {
      peer->failure = g_strdup_printf ("send: %s", g_strerror (errno));
      return;
    }
  shutdown (peer->fd, SHUT_WR);
  peer->got = read_to_eof (peer->fd, &peer->clean_eof);
}

static void
test_line_echo (void)
{
  Server *server = server_new (MODE_ECHO, EAP_TCP_FRAMING_LINES);
  Peer *peer;

  peer = peer_start (server_listen (server), peer_lines, 0);
  CU_ASSERT_TRUE (peer_wait (peer, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_PTR_NOT_NULL_FATAL (peer->got);
  g_byte_array_append (peer->got, (guint8 *) "", 1);
  CU_ASSERT_STRING_EQUAL ((char *) peer->got->data, "hello\r\nworld\r\nlast line\r\n");
  CU_ASSERT_TRUE (peer->clean_eof);
  CU_ASSERT_EQUAL (server->n_lines, 3);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_EQUAL (server->n_disconnected_error, 0);

  peer_free (peer);
  server_free (server);
}

typedef struct
{
  Peer   *peer;
  GError *error;
} Writer;

/* Writes peer->size pseudo-random bytes, checksummed, then half-closes. */
static gpointer
random_writer (gpointer data)
{
  Peer *peer = data;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  guint32 buf[16384];
  gsize left = peer->size;

  while (left > 0)
    {
      gsize n = MIN (left, sizeof buf);

      for (guint i = 0; i < G_N_ELEMENTS (buf); i++)
        buf[i] = g_rand_int (rand);
      g_checksum_update (sum, (guchar *) buf, n);
      if (!eap_test_write_all (peer->fd, buf, n))
        return g_strdup_printf ("send: %s", g_strerror (errno));
      left -= n;
    }
  shutdown (peer->fd, SHUT_WR);
  peer->sent_sum = g_strdup (g_checksum_get_string (sum));
  return NULL;
}

/* Writes (in a second thread) and reads at once, so that neither side's
 * buffers fill up. */
static void
peer_random_echo (Peer *peer)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  GThread *writer = g_thread_new ("writer", random_writer, peer);
  char buf[65536];
  gsize total = 0;
  char *failure;

  for (;;)
    {
      ssize_t n = recv (peer->fd, buf, sizeof buf, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0)
        peer->clean_eof = TRUE;
      if (n <= 0)
        break;
      g_checksum_update (sum, (guchar *) buf, n);
      total += n;
    }
  failure = g_thread_join (writer);
  if (failure != NULL)
    peer->failure = failure;
  else if (total != peer->size)
    peer->failure = g_strdup_printf ("echoed %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes",
                                     total, peer->size);
  peer->got_sum = g_strdup (g_checksum_get_string (sum));
}

static void
test_echo_64_mib (void)
{
  Server *server = server_new (MODE_ECHO, EAP_TCP_FRAMING_RAW);
  Peer *peer;

  peer = peer_start (server_listen (server), peer_random_echo, 64 * 1024 * 1024);
  CU_ASSERT_TRUE (peer_wait (peer, 60000));
  CU_ASSERT_PTR_NULL (peer->failure);
  CU_ASSERT_PTR_NOT_NULL_FATAL (peer->sent_sum);
  CU_ASSERT_PTR_NOT_NULL_FATAL (peer->got_sum);
  CU_ASSERT_STRING_EQUAL (peer->sent_sum, peer->got_sum);
  CU_ASSERT_TRUE (peer->clean_eof);
  CU_ASSERT_EQUAL (server->n_echoed, 64 * 1024 * 1024);
  CU_ASSERT_EQUAL (server->n_queue_failures, 0);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_EQUAL (server->n_disconnected_error, 0);

  peer_free (peer);
  server_free (server);
}

/* Writes everything, half-closes at once, then reads: the replies to the
 * last bytes are still on their way when the eap side sees EOF. */
static void
peer_half_close (Peer *peer)
{
  g_autofree char *out = g_malloc (peer->size);

  for (gsize i = 0; i < peer->size; i++)
    out[i] = 'a' + i % 26;
  if (!eap_test_write_all (peer->fd, out, peer->size))
    {
      peer->failure = g_strdup_printf ("send: %s", g_strerror (errno));
      return;
    }
  shutdown (peer->fd, SHUT_WR);
  peer->got = read_to_eof (peer->fd, &peer->clean_eof);
  if (peer->got->len != peer->size || memcmp (peer->got->data, out, peer->size) != 0)
    peer->failure = g_strdup_printf ("got %u bytes back of %" G_GSIZE_FORMAT,
                                     peer->got->len, peer->size);
}

static void
test_half_close (void)
{
  Server *server = server_new (MODE_ECHO, EAP_TCP_FRAMING_RAW);
  Peer *peer;

  /* Less than the socket buffers hold: the peer need not read while it
   * writes. */
  peer = peer_start (server_listen (server), peer_half_close, 100 * 1000);
  CU_ASSERT_TRUE (peer_wait (peer, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (peer->clean_eof);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_EQUAL (server->n_disconnected, 1);
  CU_ASSERT_EQUAL (server->n_disconnected_error, 0);
  CU_ASSERT_EQUAL (server->n_echoed, 100 * 1000);

  peer_free (peer);
  server_free (server);
}

/* ------------------------------------------------------------------ */
/* Reset                                                               */
/* ------------------------------------------------------------------ */

static void
test_peer_reset (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };
  int fd;

  fd = eap_test_connect_loopback (server_listen (server));
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  CU_ASSERT_FATAL (wait_accepted (server, 1));
  CU_ASSERT_TRUE (eap_test_write_all (fd, "mid-stream", 10));

  /* SO_LINGER 0: close sends a RST, not a FIN. */
  setsockopt (fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  close (fd);

  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_EQUAL (server->n_disconnected, 1);
  CU_ASSERT_EQUAL (server->n_disconnected_error, 1);
  CU_ASSERT_PTR_NOT_NULL (server->first_error);
  if (server->first_error != NULL)
    {
      CU_ASSERT_TRUE (g_error_matches (server->first_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                      g_error_matches (server->first_error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
    }
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 0);

  server_free (server);
}

/* ------------------------------------------------------------------ */
/* max-clients                                                         */
/* ------------------------------------------------------------------ */

static gboolean
n_rejected_at_least_one (gpointer data)
{
  return eap_tcp_listener_get_n_rejected (data) >= 1;
}

static void
test_max_clients (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  char c;
  guint16 port;
  int fd1, fd2, fd3;

  eap_tcp_listener_set_max_clients (server->listener, 1);
  CU_ASSERT_EQUAL (eap_tcp_listener_get_max_clients (server->listener), 1);
  port = server_listen (server);

  fd1 = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd1 >= 0);
  CU_ASSERT_FATAL (wait_accepted (server, 1));

  fd2 = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd2 >= 0);
  CU_ASSERT_TRUE (eap_test_wait_until (n_rejected_at_least_one, server->listener,
                                       EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_rejected (server->listener), 1);
  CU_ASSERT_EQUAL (server->n_notify_n_rejected, 1);
  CU_ASSERT_EQUAL (server->n_accepted, 1);
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 1);

  /* The extra peer sees EOF at once. */
  peer_set_timeout (fd2, 5);
  CU_ASSERT_EQUAL (recv (fd2, &c, 1, 0), 0);
  close (fd2);

  /* When the first goes, a place is free again. */
  close (fd1);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 0);
  fd3 = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE (wait_accepted (server, 2));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_rejected (server->listener), 1);
  close (fd3);

  server_free (server);
}

/* ------------------------------------------------------------------ */
/* accept_async                                                        */
/* ------------------------------------------------------------------ */

static void
test_accept_async (void)   /* R2 R3 R22 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_LINES);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (server->listener), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  EapCompletedArgs *args;
  EapTcpClient *client;
  guint16 port;
  int fd;

  port = server_listen (server);
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, GSIZE_TO_POINTER (7), &error));
  CU_ASSERT_TRUE (eap_component_get_is_busy (EAP_COMPONENT (server->listener)));
  CU_ASSERT_EQUAL (rec->n_completed, 0);

  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  /* Sent before the handoff: it must not be lost. */
  CU_ASSERT_TRUE (eap_test_write_all (fd, "early\n", 6));
  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));

  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_TRUE_FATAL (EAP_IS_TCP_ACCEPT_COMPLETED_ARGS (args));
  CU_ASSERT_STRING_EQUAL (eap_completed_args_get_operation_name (args), "accept");
  CU_ASSERT_EQUAL (eap_completed_args_get_user_state (args), GSIZE_TO_POINTER (7));
  client = eap_tcp_accept_completed_args_get_client (EAP_TCP_ACCEPT_COMPLETED_ARGS (args), &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE_FATAL (EAP_IS_TCP_CLIENT (client));
  CU_ASSERT_EQUAL (server->n_accepted, 0);   /* not client-accepted too */
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (server->listener)));
  remote = eap_tcp_client_dup_remote_address (client);
  CU_ASSERT_EQUAL (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)),
                   peer_local_port (fd));
  CU_ASSERT_EQUAL (eap_tcp_client_get_framing (client), EAP_TCP_FRAMING_LINES);

  /* Handlers connected after completed still get the first line. */
  server_adopt (server, client);
  close (fd);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_STRING_EQUAL (server->received->str, "early\n");

  eap_test_recorder_free (rec);
  server_free (server);
}

static void
test_accept_async_cancel (void)   /* R4 R22 R26 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (server->listener), NULL);
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;
  guint16 port;
  int fd;

  port = server_listen (server);
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, GSIZE_TO_POINTER (1), &error));
  eap_component_cancel_async (EAP_COMPONENT (server->listener), GSIZE_TO_POINTER (1));
  CU_ASSERT_EQUAL (rec->n_completed, 0);   /* never inside cancel */
  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));

  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_TRUE_FATAL (EAP_IS_TCP_ACCEPT_COMPLETED_ARGS (args));
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_PTR_NULL (eap_tcp_accept_completed_args_get_client (EAP_TCP_ACCEPT_COMPLETED_ARGS (args),
                                                                &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));

  /* The listener still listens; the next peer goes to client-accepted. */
  CU_ASSERT_TRUE (eap_tcp_listener_is_listening (server->listener));
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE (wait_accepted (server, 1));
  CU_ASSERT_EQUAL (rec->n_completed, 1);
  close (fd);

  eap_test_recorder_free (rec);
  server_free (server);
}

static void
test_accept_async_oldest_first (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (server->listener), NULL);
  g_autoptr(GError) error = NULL;
  EapTcpClient *c1, *c2;
  g_autoptr(GSocketAddress) r1 = NULL;
  guint16 port;
  int fd1, fd2;

  port = server_listen (server);
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, GSIZE_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, GSIZE_TO_POINTER (2), &error));
  fd1 = eap_test_connect_loopback (port);
  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  fd2 = eap_test_connect_loopback (port);
  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 2, EAP_TEST_TIMEOUT_MS));

  CU_ASSERT_EQUAL (eap_completed_args_get_user_state (eap_test_recorder_get_completed (rec, 0)),
                   GSIZE_TO_POINTER (1));
  c1 = eap_tcp_accept_completed_args_get_client (
         EAP_TCP_ACCEPT_COMPLETED_ARGS (eap_test_recorder_get_completed (rec, 0)), NULL);
  c2 = eap_tcp_accept_completed_args_get_client (
         EAP_TCP_ACCEPT_COMPLETED_ARGS (eap_test_recorder_get_completed (rec, 1)), NULL);
  CU_ASSERT_TRUE_FATAL (c1 != NULL && c2 != NULL);
  r1 = eap_tcp_client_dup_remote_address (c1);
  CU_ASSERT_EQUAL (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (r1)),
                   peer_local_port (fd1));
  server_adopt (server, c1);
  server_adopt (server, c2);
  CU_ASSERT_EQUAL (server->n_accepted, 0);

  close (fd1);
  close (fd2);
  CU_ASSERT_TRUE (wait_disconnected (server, 2));
  eap_test_recorder_free (rec);
  server_free (server);
}

typedef struct
{
  EapTcpListener *listener;     /* (unowned) */
  EapTestLatch    started;
  EapTestLatch    done;
  gboolean        in_context;   /* completed ran in the thread's context */
  EapTcpClient   *client;       /* (owned) (nullable) */
  char           *line;         /* (owned) (nullable) */
} RemoteAccept;

static void
remote_line_cb (EapTcpClient *client,
                const char   *line,
                RemoteAccept *ra)
{
  if (ra->line == NULL)
    ra->line = g_strdup (line);
}

static void
remote_completed_cb (EapComponent     *component,
                     EapCompletedArgs *args,
                     gpointer          data)
{
  RemoteAccept *ra = data;
  EapTcpClient *client;

  ra->in_context = g_main_context_is_owner (g_main_context_get_thread_default ());
  client = eap_tcp_accept_completed_args_get_client (EAP_TCP_ACCEPT_COMPLETED_ARGS (args), NULL);
  if (client != NULL)
    {
      ra->client = g_object_ref (client);
      /* The client's events come to the listener's context. */
      g_signal_connect (client, "line-received", G_CALLBACK (remote_line_cb), ra);
    }
  eap_test_latch_set (&ra->done);
}

static gpointer
remote_accept_thread (gpointer data)
{
  RemoteAccept *ra = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
  gulong id;

  g_main_context_push_thread_default (context);
  id = g_signal_connect (ra->listener, "completed::accept", G_CALLBACK (remote_completed_cb), ra);
  if (eap_tcp_listener_accept_async (ra->listener, NULL, NULL))
    {
      eap_test_latch_set (&ra->started);
      while (!eap_test_latch_is_set (&ra->done) && !eap_test_deadline_passed (deadline))
        g_main_context_iteration (context, TRUE);
    }
  g_signal_handler_disconnect (ra->listener, id);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  eap_test_latch_set (&ra->started);
  eap_test_latch_set (&ra->done);
  return NULL;
}

static gboolean
remote_got_line (gpointer data)
{
  return ((RemoteAccept *) data)->line != NULL;
}

static void
test_accept_async_from_another_thread (void)   /* R38 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_LINES);
  RemoteAccept ra = { 0 };
  GThread *thread;
  guint16 port;
  int fd;

  eap_test_latch_init (&ra.started);
  eap_test_latch_init (&ra.done);
  ra.listener = server->listener;
  port = server_listen (server);
  thread = g_thread_new ("remote-accept", remote_accept_thread, &ra);
  CU_ASSERT_TRUE (eap_test_latch_wait (&ra.started, EAP_TEST_TIMEOUT_MS));

  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  CU_ASSERT_TRUE (eap_test_write_all (fd, "across\n", 7));
  CU_ASSERT_TRUE (eap_test_wait_until ((EapTestCondition) eap_test_latch_is_set, &ra.done,
                                       EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);
  CU_ASSERT_TRUE (ra.in_context);
  CU_ASSERT_PTR_NOT_NULL_FATAL (ra.client);
  CU_ASSERT_EQUAL (server->n_accepted, 0);

  /* Reading started after completed::accept, in the listener's context:
   * the first line was not lost. */
  CU_ASSERT_TRUE (eap_test_wait_until (remote_got_line, &ra, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_STRING_EQUAL (ra.line != NULL ? ra.line : "", "across");

  g_signal_handlers_disconnect_by_data (ra.client, &ra);
  server_adopt (server, ra.client);
  close (fd);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  g_clear_object (&ra.client);
  g_free (ra.line);
  eap_test_latch_clear (&ra.started);
  eap_test_latch_clear (&ra.done);
  server_free (server);
}

/* ------------------------------------------------------------------ */
/* stop and close                                                      */
/* ------------------------------------------------------------------ */

static void
test_stop_keeps_clients (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_LINES);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (server->listener), NULL);
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;
  guint16 port;
  int fd, fd2;

  port = server_listen (server);
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  CU_ASSERT_FATAL (wait_accepted (server, 1));
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, NULL, &error));

  eap_tcp_listener_stop (server->listener);
  CU_ASSERT_FALSE (eap_tcp_listener_is_listening (server->listener));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_port (server->listener), 0);
  CU_ASSERT_EQUAL (server->n_notify_listening, 2);

  /* The pending accept completes with CLOSED. */
  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args),
                                   G_IO_ERROR, G_IO_ERROR_CLOSED));

  /* New peers are refused by the system... */
  fd2 = eap_test_connect_loopback (port);
  CU_ASSERT_EQUAL (fd2, -1);
  CU_ASSERT_EQUAL (errno, ECONNREFUSED);
  if (fd2 >= 0)
    close (fd2);

  /* ...and the accepted client is still up both ways. */
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (g_ptr_array_index (server->clients, 0)));
  CU_ASSERT_TRUE (eap_test_write_all (fd, "still here\n", 11));
  close (fd);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_STRING_EQUAL (server->received->str, "still here\n");
  CU_ASSERT_EQUAL (server->n_disconnected_error, 0);

  /* A stopped listener may listen again; accept_async when not listening
   * completes with CLOSED. */
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, NULL, &error));
  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 2, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (eap_test_recorder_get_completed (rec, 1)),
                                   G_IO_ERROR, G_IO_ERROR_CLOSED));
  CU_ASSERT_TRUE (eap_tcp_listener_listen (server->listener, "127.0.0.1", 0, &error));
  CU_ASSERT_TRUE (eap_tcp_listener_is_listening (server->listener));

  eap_test_recorder_free (rec);
  server_free (server);
}

static void
stop_and_relisten_cb (EapTcpListener *listener,
                      EapTcpClient   *client,
                      gpointer        data)
{
  guint16 *port = data;
  g_autoptr(GError) error = NULL;

  eap_tcp_listener_stop (listener);
  if (eap_tcp_listener_listen (listener, "127.0.0.1", *port, &error))
    *port = 0;                       /* 0: relistened on the same port */
}

static void
test_stop_and_listen_from_handler (void)   /* R51 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  guint16 port, port_in_handler;
  gulong id;
  int fd, fd2;

  port = port_in_handler = server_listen (server);
  id = g_signal_connect (server->listener, "client-accepted",
                         G_CALLBACK (stop_and_relisten_cb), &port_in_handler);
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  CU_ASSERT_TRUE (wait_accepted (server, 1));
  g_signal_handler_disconnect (server->listener, id);
  CU_ASSERT_EQUAL (port_in_handler, 0);
  CU_ASSERT_TRUE (eap_tcp_listener_is_listening (server->listener));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_port (server->listener), port);

  /* The new socket accepts. */
  fd2 = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE (wait_accepted (server, 2));
  close (fd);
  if (fd2 >= 0)
    close (fd2);

  server_free (server);
}

static gboolean
not_listening (gpointer data)
{
  return !eap_tcp_listener_is_listening (data);
}

static void
test_close_with_accept_pending (void)   /* R15 R49 R50 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (server->listener), NULL);
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;
  guint16 port;
  int fd;

  port = server_listen (server);
  CU_ASSERT_TRUE (eap_tcp_listener_accept_async (server->listener, GSIZE_TO_POINTER (3), &error));
  eap_component_close (EAP_COMPONENT (server->listener));
  CU_ASSERT_EQUAL (rec->n_completed, 0);

  CU_ASSERT_FATAL (eap_test_recorder_wait_completed (rec, 1, EAP_TEST_TIMEOUT_MS));
  args = eap_test_recorder_get_completed (rec, 0);
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_TRUE (eap_test_wait_until (not_listening, server->listener, EAP_TEST_TIMEOUT_MS));
  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->n_completed, 1);   /* exactly once */

  /* Closed: refuses, emits nothing. */
  CU_ASSERT_FALSE (eap_tcp_listener_accept_async (server->listener, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  CU_ASSERT_FALSE (eap_tcp_listener_listen (server->listener, "127.0.0.1", port, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_EQUAL (fd, -1);
  if (fd >= 0)
    close (fd);
  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->n_completed, 1);

  eap_test_recorder_free (rec);
  server_free (server);
}

static void
test_close_without_operation (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  guint16 port;
  int fd;

  /* Nothing pending: the close vfunc alone closes the socket, without a
   * peer to wake the listener; then the port refuses. */
  port = server_listen (server);
  eap_component_close (EAP_COMPONENT (server->listener));
  CU_ASSERT_TRUE (eap_test_wait_until (not_listening, server->listener, EAP_TEST_TIMEOUT_MS));
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE (fd < 0);
  CU_ASSERT_EQUAL (server->n_accepted, 0);
  if (fd >= 0)
    close (fd);

  server_free (server);
}

static void
test_dispose_while_listening (void)
{
  g_autoptr(EapTcpListener) listener = eap_tcp_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port;
  int fd;

  CU_ASSERT_TRUE_FATAL (eap_tcp_listener_listen (listener, "127.0.0.1", 0, &error));
  port = eap_tcp_listener_get_port (listener);
  g_clear_object (&listener);
  eap_test_drain ();
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_EQUAL (fd, -1);
  if (fd >= 0)
    close (fd);
}

/* ------------------------------------------------------------------ */
/* The blocking twin                                                   */
/* ------------------------------------------------------------------ */

typedef struct
{
  EapTcpListener *listener;     /* (unowned) */
  GCancellable   *cancellable;  /* (unowned) (nullable) */
  EapTestLatch    done;
  EapTestLatch    started;
  guint16         remote_port;
  gboolean        connected;
  gboolean        in_own_context;
  GError         *error;        /* (owned) (nullable) */
  char           *line;         /* (owned) (nullable): first line received */
} Acceptor;

static void
acceptor_line_cb (EapTcpClient *client,
                  const char   *line,
                  Acceptor     *a)
{
  if (a->line == NULL)
    a->line = g_strdup (line);
}

static gpointer
acceptor_thread (gpointer data)
{
  Acceptor *a = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(EapTcpClient) client = NULL;
  gint64 deadline;

  g_main_context_push_thread_default (context);
  eap_test_latch_set (&a->started);
  client = eap_tcp_listener_accept (a->listener, a->cancellable, &a->error);
  if (client != NULL)
    {
      g_autoptr(GSocketAddress) remote = eap_tcp_client_dup_remote_address (client);

      a->connected = eap_tcp_client_is_connected (client);
      a->remote_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
      /* The client's events come to this thread's context. */
      g_signal_connect (client, "line-received", G_CALLBACK (acceptor_line_cb), a);
      deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
      while (a->line == NULL && !eap_test_deadline_passed (deadline))
        g_main_context_iteration (context, FALSE);
      g_signal_handlers_disconnect_by_data (client, a);
      eap_component_close (EAP_COMPONENT (client));
      while (g_main_context_iteration (context, FALSE))
        ;
    }
  g_clear_object (&client);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  eap_test_latch_set (&a->done);
  return NULL;
}

#define N_HANDOVER_ROUNDS 20

/* Joins the acceptor; a stuck one is woken first by stopping the
 * listener, so that a failed test cannot hang. */
static void
acceptor_join (Acceptor *a,
               GThread  *thread)
{
  if (!eap_test_latch_is_set (&a->done))
    eap_tcp_listener_stop (a->listener);
  g_thread_join (thread);
  g_clear_error (&a->error);
  g_clear_pointer (&a->line, g_free);
  eap_test_latch_clear (&a->done);
  eap_test_latch_clear (&a->started);
}

static void
test_blocking_accept_from_thread (void)   /* R8 R60 */
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_LINES);
  Acceptor a = { 0 };
  GThread *thread;
  guint16 port;
  int fd;

  /* 1. The peer waits in the backlog and nobody iterates the listener's
   * context: the blocking caller accepts it itself, and the client's
   * events come to the caller's thread. */
  eap_test_latch_init (&a.done);
  eap_test_latch_init (&a.started);
  a.listener = server->listener;
  port = server_listen (server);
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  CU_ASSERT_TRUE (eap_test_write_all (fd, "to the thread\n", 14));
  thread = g_thread_new ("acceptor", acceptor_thread, &a);
  CU_ASSERT_TRUE (eap_test_latch_wait (&a.done, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_PTR_NULL (a.error);
  CU_ASSERT_TRUE (a.connected);
  CU_ASSERT_EQUAL (a.remote_port, peer_local_port (fd));
  CU_ASSERT_STRING_EQUAL (a.line != NULL ? a.line : "", "to the thread");
  acceptor_join (&a, thread);
  close (fd);

  /* 2. The listener's context runs too: once the caller waits, a peer
   * goes to it and not to client-accepted, whichever side accepts it (the
   * kernel wakes both: the listener's context hands the peer over when it
   * wins). Several rounds, so that both sides win some. */
  for (guint round = 0; round < N_HANDOVER_ROUNDS; round++)
    {
      Acceptor b = { 0 };
      gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);

      eap_test_latch_init (&b.done);
      eap_test_latch_init (&b.started);
      b.listener = server->listener;
      thread = g_thread_new ("acceptor", acceptor_thread, &b);
      while (_eap_tcp_listener_get_n_blocking (server->listener) == 0 &&
             !eap_test_deadline_passed (deadline))
        g_thread_yield ();
      CU_ASSERT_EQUAL (_eap_tcp_listener_get_n_blocking (server->listener), 1);

      fd = eap_test_connect_loopback (port);
      CU_ASSERT_TRUE_FATAL (fd >= 0);
      CU_ASSERT_TRUE (eap_test_write_all (fd, "handed over\n", 12));
      CU_ASSERT_TRUE (eap_test_wait_until ((EapTestCondition) eap_test_latch_is_set, &b.done,
                                           EAP_TEST_TIMEOUT_MS));
      CU_ASSERT_PTR_NULL (b.error);
      CU_ASSERT_TRUE (b.connected);
      CU_ASSERT_EQUAL (b.remote_port, peer_local_port (fd));
      CU_ASSERT_STRING_EQUAL (b.line != NULL ? b.line : "", "handed over");
      CU_ASSERT_EQUAL (server->n_accepted, 0);
      acceptor_join (&b, thread);
      close (fd);
    }

  server_free (server);
}

static void
test_blocking_accept_in_listening_thread (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GError) error = NULL;
  g_autoptr(EapTcpClient) client = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  int fd;

  /* A plain blocking server: nobody iterates the listener's context. */
  fd = eap_test_connect_loopback (server_listen (server));
  CU_ASSERT_TRUE_FATAL (fd >= 0);
  client = eap_tcp_listener_accept (server->listener, NULL, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE_FATAL (EAP_IS_TCP_CLIENT (client));
  remote = eap_tcp_client_dup_remote_address (client);
  CU_ASSERT_EQUAL (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)),
                   peer_local_port (fd));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 1);
  server_adopt (server, client);
  close (fd);
  CU_ASSERT_TRUE (wait_disconnected (server, 1));
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), 0);

  server_free (server);
}

static void
test_blocking_accept_cancel_and_stop (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Acceptor a = { 0 }, b = { 0 };
  GThread *thread;

  /* Not listening: CLOSED at once. */
  CU_ASSERT_PTR_NULL (eap_tcp_listener_accept (server->listener, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  server_listen (server);

  /* Cancelled from another thread. */
  eap_test_latch_init (&a.done);
  eap_test_latch_init (&a.started);
  a.listener = server->listener;
  a.cancellable = cancellable;
  thread = g_thread_new ("acceptor", acceptor_thread, &a);
  CU_ASSERT_TRUE (eap_test_latch_wait (&a.started, EAP_TEST_TIMEOUT_MS));
  g_cancellable_cancel (cancellable);
  CU_ASSERT_TRUE (eap_test_latch_wait (&a.done, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (g_error_matches (a.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  CU_ASSERT_TRUE (eap_tcp_listener_is_listening (server->listener));
  acceptor_join (&a, thread);

  /* Stopped while waiting. */
  eap_test_latch_init (&b.done);
  eap_test_latch_init (&b.started);
  b.listener = server->listener;
  thread = g_thread_new ("acceptor", acceptor_thread, &b);
  CU_ASSERT_TRUE (eap_test_latch_wait (&b.started, EAP_TEST_TIMEOUT_MS));
  eap_tcp_listener_stop (server->listener);
  CU_ASSERT_TRUE (eap_test_latch_wait (&b.done, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (g_error_matches (b.error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  acceptor_join (&b, thread);

  server_free (server);
}

/* ------------------------------------------------------------------ */
/* Many connections                                                    */
/* ------------------------------------------------------------------ */

#ifndef N_MANY
# define N_MANY 1000
#endif

typedef struct
{
  guint16       port;
  int           fds[N_MANY];
  guint         n_connected;
  int           connect_errno;
  EapTestLatch  connected;
  EapTestLatch  release;
  EapTestLatch  done;
} Many;

static gpointer
many_thread (gpointer data)
{
  Many *m = data;

  for (guint i = 0; i < N_MANY; i++)
    {
      m->fds[i] = eap_test_connect_loopback (m->port);
      if (m->fds[i] < 0)
        {
          m->connect_errno = errno;
          break;
        }
      m->n_connected++;
    }
  eap_test_latch_set (&m->connected);
  eap_test_latch_wait (&m->release, 60000);
  for (guint i = 0; i < m->n_connected; i++)
    close (m->fds[i]);
  eap_test_latch_set (&m->done);
  return NULL;
}

/* Resident set size of this process, in bytes (0 if unknown). */
static gsize
rss_bytes (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) ||
      sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return 0;
  return resident * (gsize) sysconf (_SC_PAGESIZE);
}

static gboolean
n_clients_is (gpointer data)
{
  gpointer *pair = data;

  return eap_tcp_listener_get_n_clients (pair[0]) == GPOINTER_TO_UINT (pair[1]);
}

static void
test_many_connections (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  struct rlimit rl;
  Many *m = g_new0 (Many, 1);
  gpointer pair[2];
  GThread *thread;
  gint64 start, elapsed;
  gsize rss_before, rss_after;

  /* Both ends live in this process: two descriptors per connection. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * N_MANY + 200)
    {
      rl.rlim_cur = MIN (rl.rlim_max, (rlim_t) 2 * N_MANY + 200);
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  CU_ASSERT_TRUE_FATAL (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 2 * N_MANY + 100);

  eap_test_latch_init (&m->connected);
  eap_test_latch_init (&m->release);
  eap_test_latch_init (&m->done);
  m->port = server_listen (server);
  rss_before = rss_bytes ();
  start = g_get_monotonic_time ();
  thread = g_thread_new ("many", many_thread, m);

  pair[0] = server->listener;
  pair[1] = GUINT_TO_POINTER (N_MANY);
  CU_ASSERT_TRUE (eap_test_wait_until (n_clients_is, pair, 30000));
  elapsed = g_get_monotonic_time () - start;
  rss_after = rss_bytes ();
  CU_ASSERT_TRUE (eap_test_latch_wait (&m->connected, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (m->n_connected, N_MANY);
  CU_ASSERT_EQUAL (server->n_accepted, N_MANY);
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_clients (server->listener), N_MANY);
  CU_ASSERT_EQUAL (eap_tcp_listener_get_n_rejected (server->listener), 0);
  /* Figures for the record, not asserted: a sanitizer build inflates
   * memory, and the blocking peers share the process. bench/ measures. */
  printf ("\n    %d connections accepted in %.3f s, %.1f KB RSS each (both ends)\n",
          N_MANY, elapsed / 1e6, (double) (rss_after - rss_before) / N_MANY / 1024);

  /* All close: every accepted client disconnects, the count goes to 0. */
  eap_test_latch_set (&m->release);
  pair[1] = GUINT_TO_POINTER (0);
  CU_ASSERT_TRUE (eap_test_wait_until (n_clients_is, pair, 30000));
  CU_ASSERT_EQUAL (server->n_disconnected, N_MANY);
  CU_ASSERT_EQUAL (server->n_disconnected_error, 0);
  CU_ASSERT_TRUE (server->n_notify_n_clients >= 2 * N_MANY);
  CU_ASSERT_TRUE (eap_test_latch_wait (&m->done, EAP_TEST_TIMEOUT_MS));
  g_thread_join (thread);

  eap_test_latch_clear (&m->connected);
  eap_test_latch_clear (&m->release);
  eap_test_latch_clear (&m->done);
  g_free (m);
  server_free (server);
}

/* ------------------------------------------------------------------ */
/* Out of descriptors                                                  */
/* ------------------------------------------------------------------ */

static gboolean
warned (gpointer data)
{
  return eap_test_get_n_seen (FALSE) >= GPOINTER_TO_UINT (data);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_emfile_pauses_and_logs_once (void)
{
  Server *server = server_new (MODE_RECORD, EAP_TCP_FRAMING_RAW);
  g_autoptr(GSource) timer = NULL;
  gboolean timed_out = FALSE;
  guint n_iterations = 0;
  struct rlimit saved, rl;
  GArray *fillers = g_array_new (FALSE, FALSE, sizeof (int));
  guint n_warnings;
  guint16 port;
  int fd, filler;

  port = server_listen (server);
  CU_ASSERT_TRUE_FATAL (getrlimit (RLIMIT_NOFILE, &saved) == 0);

  /* Use up every descriptor but one, which the peer takes. */
  rl = saved;
  rl.rlim_cur = 512;
  CU_ASSERT_TRUE_FATAL (setrlimit (RLIMIT_NOFILE, &rl) == 0);
  while ((filler = dup (0)) >= 0)
    g_array_append_val (fillers, filler);
  filler = g_array_index (fillers, int, fillers->len - 1);
  close (filler);
  g_array_set_size (fillers, fillers->len - 1);

  n_warnings = eap_test_get_n_seen (FALSE);
  eap_test_expect_begin (FALSE);
  fd = eap_test_connect_loopback (port);
  CU_ASSERT_TRUE (fd >= 0);
  CU_ASSERT_TRUE (eap_test_wait_until (warned, GUINT_TO_POINTER (n_warnings + 1),
                                       EAP_TEST_TIMEOUT_MS));

  /* Paused, not spinning: over a few pauses, the context stays mostly
   * idle (an idle source counts the iterations; a spinning listener
   * would make thousands), and the warning is not repeated. */
  timer = g_timeout_source_new (350);
  g_source_set_callback (timer, set_flag_cb, &timed_out, NULL);
  g_source_attach (timer, eap_test_fixture ()->context);
  while (!timed_out)
    {
      g_main_context_iteration (eap_test_fixture ()->context, TRUE);
      n_iterations++;
    }
  CU_ASSERT_TRUE (n_iterations < 50);
  CU_ASSERT_EQUAL (eap_test_expect_end (FALSE), n_warnings + 1);
  CU_ASSERT_EQUAL (server->n_accepted, 0);

  /* Descriptors free again: the peer is accepted after the pause. */
  for (guint i = 0; i < fillers->len; i++)
    close (g_array_index (fillers, int, i));
  g_array_unref (fillers);
  CU_ASSERT_TRUE (setrlimit (RLIMIT_NOFILE, &saved) == 0);
  CU_ASSERT_TRUE (wait_accepted (server, 1));
  close (fd);

  server_free (server);
}

/* ------------------------------------------------------------------ */

static CU_TestInfo tcp_listener_tests[] = {
  { "listen on port 0 picks a free port, readable after", test_listen_port_zero },
  { "listen on NULL accepts IPv4 and IPv6 peers", test_listen_any_dual_stack },
  { "a port in use fails with ADDRESS_IN_USE naming address:port", test_listen_address_in_use },
  { "R10 listening twice refuses with PENDING", test_listen_twice_pending },
  { "client-accepted gives a connected client with the peer's address", test_client_accepted },
  { "line echo server against a blocking client", test_line_echo },
  { "64 MiB of random bytes echoed and checksummed", test_echo_64_mib },
  { "half-close: queued replies delivered, then disconnected(NULL)", test_half_close },
  { "a peer reset mid-stream disconnects with an error", test_peer_reset },
  { "max-clients: the extra peer sees EOF and n-rejected counts it", test_max_clients },
  { "R2 R3 R22 accept_async completes with the client, no event lost", test_accept_async },
  { "R4 R22 R26 accept_async cancelled completes cancelled", test_accept_async_cancel },
  { "accept_async operations take peers oldest first", test_accept_async_oldest_first },
  { "R38 accept_async from another thread completes in that thread's context", test_accept_async_from_another_thread },
  { "stop keeps accepted clients; pending accept completes CLOSED", test_stop_keeps_clients },
  { "R51 stop and listen again from inside client-accepted", test_stop_and_listen_from_handler },
  { "R15 R49 R50 close with accept_async pending completes it once", test_close_with_accept_pending },
  { "R49 close without operations closes the socket at once", test_close_without_operation },
  { "dropping the last reference stops listening", test_dispose_while_listening },
  { "R8 R60 blocking accept from a thread", test_blocking_accept_from_thread },
  { "R60 blocking accept in the listening thread, context not iterated", test_blocking_accept_in_listening_thread },
  { "R8 blocking accept: cancelled, stopped, not listening", test_blocking_accept_cancel_and_stop },
  { "1,000 connections accepted, counted, closed", test_many_connections },
  { "out of descriptors: accepting pauses, logs once, resumes", test_emfile_pauses_and_logs_once },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "EapTcpListener",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = tcp_listener_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
