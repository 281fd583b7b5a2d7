/* test-tcp-client.c: EapTcpClient against EAP-REQUIREMENTS.md and issue 3
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peer of every test is a plain blocking BSD socket (or, for TLS, a
 * blocking GTlsServerConnection) served by a thread of its own on
 * 127.0.0.1; the eap side iterates the fixture's context. No sleeps: waits
 * iterate the context with a deadline, or block on a latch with one.
 */

#include "eap-test.h"
#include "eap-tcp-client-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_TEST_DATADIR
# error "TCP_TEST_DATADIR must name tests/web"
#endif

extern CU_TestInfo eap_line_framer_tests[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EapTestRecorder, eap_test_recorder_free)

/* ------------------------------------------------------------------ */
/* A one-connection server in a thread                                  */
/* ------------------------------------------------------------------ */

typedef enum
{
  SERVER_ECHO,           /* echoes until EOF, then closes */
  SERVER_SEND_SHUTDOWN,  /* sends @to_send, shutdown (SHUT_WR), reads until EOF */
  SERVER_RESET,          /* sends @to_send, waits for @release, closes with RST */
  SERVER_SILENT,         /* reads until EOF or @release, never writes */
  SERVER_NO_READ,        /* never reads; closes on @release */
  SERVER_COUNT,          /* reads and counts until EOF */
  SERVER_TLS_ECHO,       /* TLS handshake, then echoes until EOF */
  SERVER_FLOOD,          /* a thread writes @to_send then shuts down; reading
                          * (into @checksum) waits for @release */
} ServerMode;

typedef struct
{
  ServerMode    mode;
  int           listen_fd;
  guint16       port;
  GThread      *thread;
  GBytes       *to_send;        /* (owned) (nullable) */
  EapTestLatch  accepted;
  EapTestLatch  release;
  EapTestLatch  finished;
  gint64        n_received;     /* written by the thread before finished */
  gboolean      saw_eof;
  GError       *tls_error;      /* (owned) (nullable) */
  GChecksum    *checksum;       /* (owned) (nullable): SERVER_FLOOD's reads */
  int           fd;             /* the accepted socket, for SERVER_FLOOD's writer */
} Server;

static void
serve_tls (Server *s,
           int     fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) base = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GIOStream) tls = NULL;
  guint8 buf[16384];

  socket = g_socket_new_from_fd (fd, &error);
  g_assert_no_error (error);
  base = g_socket_connection_factory_create_connection (socket);
  cert = g_tls_certificate_new_from_files (TCP_TEST_DATADIR "/test-cert.pem",
                                           TCP_TEST_DATADIR "/test-key.pem", &error);
  g_assert_no_error (error);
  tls = g_tls_server_connection_new (G_IO_STREAM (base), cert, &error);
  g_assert_no_error (error);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error))
    {
      s->tls_error = g_steal_pointer (&error);
      return;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (tls), buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        {
          s->saw_eof = n == 0;
          break;
        }
      s->n_received += n;
      if (!g_output_stream_write_all (g_io_stream_get_output_stream (tls), buf, n, NULL, NULL, NULL))
        break;
    }
  g_io_stream_close (tls, NULL, NULL);
}

static gpointer
flood_writer (gpointer data)
{
  Server *s = data;

  eap_test_write_all (s->fd, g_bytes_get_data (s->to_send, NULL), g_bytes_get_size (s->to_send));
  shutdown (s->fd, SHUT_WR);
  return NULL;
}

/* Reads until the client's EOF (or an error), counting the bytes, adding
 * them to the checksum if there is one, and sending them back if @echo. */
static void
read_until_eof (Server  *s,
                int      fd,
                guint8  *buf,
                gboolean echo)
{
  for (;;)
    {
      ssize_t n = recv (fd, buf, 256 * 1024, 0);

      if (n <= 0)
        {
          s->saw_eof = n == 0;
          return;
        }
      s->n_received += n;
      if (s->checksum != NULL)
        g_checksum_update (s->checksum, buf, n);
      if (echo)
        eap_test_write_all (fd, buf, n);
    }
}

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  guint8 *buf = g_malloc (256 * 1024);
  int fd;

  fd = accept (s->listen_fd, NULL, NULL);
  eap_test_latch_set (&s->accepted);
  if (fd < 0)
    goto out;

  /* A client that never closes (a failing test) must not hang the
   * teardown's join: reads give up after 20 s, as the latches do. */
  {
    struct timeval tv = { 20, 0 };

    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  switch (s->mode)
    {
    case SERVER_ECHO:
      read_until_eof (s, fd, buf, TRUE);
      close (fd);
      break;

    case SERVER_SEND_SHUTDOWN:
      eap_test_write_all (fd, g_bytes_get_data (s->to_send, NULL), g_bytes_get_size (s->to_send));
      shutdown (fd, SHUT_WR);
      read_until_eof (s, fd, buf, FALSE);
      close (fd);
      break;

    case SERVER_RESET:
      {
        struct linger lg = { 1, 0 };

        if (s->to_send != NULL)
          eap_test_write_all (fd, g_bytes_get_data (s->to_send, NULL), g_bytes_get_size (s->to_send));
        eap_test_latch_wait (&s->release, 20000);
        setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close (fd);
      }
      break;

    case SERVER_SILENT:
    case SERVER_COUNT:
      read_until_eof (s, fd, buf, FALSE);
      close (fd);
      break;

    case SERVER_NO_READ:
      if (s->to_send != NULL)
        eap_test_write_all (fd, g_bytes_get_data (s->to_send, NULL), g_bytes_get_size (s->to_send));
      eap_test_latch_wait (&s->release, 20000);
      close (fd);
      break;

    case SERVER_TLS_ECHO:
      serve_tls (s, fd);
      break;

    case SERVER_FLOOD:
      {
        GThread *writer;

        s->fd = fd;
        s->checksum = g_checksum_new (G_CHECKSUM_SHA256);
        writer = g_thread_new ("tcp-test-flood", flood_writer, s);
        eap_test_latch_wait (&s->release, 20000);
        read_until_eof (s, fd, buf, FALSE);
        g_thread_join (writer);
        close (fd);
      }
      break;
    }

out:
  g_free (buf);
  eap_test_latch_set (&s->finished);
  return NULL;
}

static Server *
server_new (ServerMode  mode,
            GBytes     *to_send)
{
  Server *s = g_new0 (Server, 1);

  s->mode = mode;
  s->to_send = to_send != NULL ? g_bytes_ref (to_send) : NULL;
  eap_test_latch_init (&s->accepted);
  eap_test_latch_init (&s->release);
  eap_test_latch_init (&s->finished);

  s->listen_fd = eap_test_listen_loopback (&s->port, 8);
  s->thread = g_thread_new ("tcp-test-server", server_thread, s);

  return s;
}

static void
server_free (Server *s)
{
  eap_test_latch_set (&s->release);
  if (!eap_test_latch_is_set (&s->accepted))
    shutdown (s->listen_fd, SHUT_RDWR);   /* wakes accept () */
  g_thread_join (s->thread);
  close (s->listen_fd);
  g_clear_pointer (&s->to_send, g_bytes_unref);
  g_clear_error (&s->tls_error);
  g_clear_pointer (&s->checksum, g_checksum_free);
  eap_test_latch_clear (&s->accepted);
  eap_test_latch_clear (&s->release);
  eap_test_latch_clear (&s->finished);
  g_free (s);
}

/* ------------------------------------------------------------------ */
/* What the client emits                                                */
/* ------------------------------------------------------------------ */

typedef struct
{
  EapTcpClient *client;          /* (unowned) */
  GByteArray   *received;        /* (owned) */
  GChecksum    *checksum;        /* (owned) (nullable): instead of @received */
  gint64        n_received;
  GPtrArray    *lines;           /* (owned) */
  guint         n_disconnected;
  GError       *disconnect_error; /* (owned) (nullable) */
  gboolean      received_after_disconnect;
  gboolean      in_context;
  guint         n_connected_notify;
  /* Reactions */
  gboolean      close_on_received;
  gboolean      unref_on_received;
  EapTestRecorder *rec;           /* (unowned) (nullable): data must follow completed::connect */
  gboolean      data_before_connected;
} Watch;

static void
on_received (EapTcpClient *client,
             GBytes       *bytes,
             gpointer      data)
{
  Watch *w = data;
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);

  if (w->n_disconnected > 0)
    w->received_after_disconnect = TRUE;
  if (w->rec != NULL && w->rec->n_completed == 0)
    w->data_before_connected = TRUE;
  if (!g_main_context_is_owner (eap_test_fixture ()->context))
    w->in_context = FALSE;
  if (w->checksum != NULL)
    g_checksum_update (w->checksum, p, size);
  else
    g_byte_array_append (w->received, p, size);
  w->n_received += size;

  if (w->close_on_received)
    {
      w->close_on_received = FALSE;
      CU_ASSERT_TRUE (eap_tcp_client_close_async (client, NULL, NULL));
    }
  if (w->unref_on_received)
    {
      w->unref_on_received = FALSE;
      g_object_unref (client);
    }
}

static void
on_line (EapTcpClient *client,
         const char   *line,
         gpointer      data)
{
  Watch *w = data;

  if (w->n_disconnected > 0)
    w->received_after_disconnect = TRUE;
  if (w->rec != NULL && w->rec->n_completed == 0)
    w->data_before_connected = TRUE;
  g_ptr_array_add (w->lines, g_strdup (line));
}

static void
on_disconnected (EapTcpClient *client,
                 const GError *error,
                 gpointer      data)
{
  Watch *w = data;

  w->n_disconnected++;
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  g_clear_error (&w->disconnect_error);
  if (error != NULL)
    w->disconnect_error = g_error_copy (error);
}

static void
on_notify_connected (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    data)
{
  Watch *w = data;

  w->n_connected_notify++;
}

static Watch *
watch_new (EapTcpClient *client)
{
  Watch *w = g_new0 (Watch, 1);

  w->client = client;
  w->received = g_byte_array_new ();
  w->lines = g_ptr_array_new_with_free_func (g_free);
  w->in_context = TRUE;
  g_signal_connect (client, "received", G_CALLBACK (on_received), w);
  g_signal_connect (client, "line-received", G_CALLBACK (on_line), w);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), w);
  g_signal_connect (client, "notify::connected", G_CALLBACK (on_notify_connected), w);
  return w;
}

static void
watch_free (Watch *w)
{
  if (w->client != NULL)
    g_signal_handlers_disconnect_by_data (w->client, w);
  g_byte_array_unref (w->received);
  g_ptr_array_unref (w->lines);
  g_clear_pointer (&w->checksum, g_checksum_free);
  g_clear_error (&w->disconnect_error);
  g_free (w);
}

static gboolean
cond_disconnected (gpointer data)
{
  return ((Watch *) data)->n_disconnected > 0;
}

typedef struct
{
  Watch *w;
  gsize  n;
} WantBytes;

static gboolean
cond_received (gpointer data)
{
  WantBytes *wb = data;
  return (gsize) wb->w->n_received >= wb->n;
}

static gboolean
wait_received (Watch *w,
               gsize  n)
{
  WantBytes wb = { w, n };
  return eap_test_wait_until (cond_received, &wb, 30000);
}

/* Connects @client to 127.0.0.1:@port and waits for completed::connect;
 * returns the completed args' error (NULL: connected). */
static GError *
connect_and_wait (EapTcpClient    *client,
                  EapTestRecorder *rec,
                  const char      *host,
                  guint16          port)
{
  g_autoptr(GError) error = NULL;
  guint before = rec->n_completed;
  EapCompletedArgs *args;
  const GError *e;

  CU_ASSERT_TRUE_FATAL (eap_tcp_client_connect_async (client, host, port, NULL, &error));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, before + 1, 30000));
  args = eap_test_recorder_get_completed (rec, before);
  CU_ASSERT_STRING_EQUAL (eap_completed_args_get_operation_name (args), "connect");
  e = eap_completed_args_get_error (args);
  return e != NULL ? g_error_copy (e) : NULL;
}

static EapCompletedArgs *
nth_completed_named (EapTestRecorder *rec,
                     const char      *name,
                     guint            nth)
{
  for (guint i = 0; i < rec->n_completed; i++)
    {
      EapCompletedArgs *args = eap_test_recorder_get_completed (rec, i);
      if (g_strcmp0 (eap_completed_args_get_operation_name (args), name) == 0 && nth-- == 0)
        return args;
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void
test_connect_echo (void)
{
  Server *s = server_new (SERVER_ECHO, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr(GSocketAddress) remote = NULL;

  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  CU_ASSERT_PTR_NULL (eap_tcp_client_dup_remote_address (client));
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));
  CU_ASSERT_EQUAL (w->n_connected_notify, 1);
  remote = eap_tcp_client_dup_remote_address (client);
  CU_ASSERT_TRUE (G_IS_INET_SOCKET_ADDRESS (remote));
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    CU_ASSERT_EQUAL (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)), s->port);

  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, hello, GSIZE_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (eap_tcp_client_queue_line (client, "line", &error));
  CU_ASSERT_TRUE (wait_received (w, 11));
  CU_ASSERT_EQUAL (w->received->len, 11);
  CU_ASSERT_EQUAL (memcmp (w->received->data, "helloline\r\n", 11), 0);
  CU_ASSERT_TRUE (w->in_context);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, 5000));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (nth_completed_named (rec, "send", 0)));

  /* queue_line refuses CR, LF. */
  CU_ASSERT_FALSE (eap_tcp_client_queue_line (client, "a\nb", &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);

  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, NULL, &error));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 3, 5000));
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  CU_ASSERT_EQUAL (w->n_connected_notify, 2);
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 5000));
  CU_ASSERT_TRUE (s->saw_eof);

  /* Not connected: sends complete with NOT_CONNECTED. */
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, hello, NULL, &error));
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 4, 5000));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (eap_test_recorder_get_completed (rec, 3)),
                                   G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED));
  CU_ASSERT_FALSE (eap_tcp_client_queue_send (client, hello, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED));
  CU_ASSERT_EQUAL (w->n_disconnected, 1);

  watch_free (w);
  server_free (s);
}

static void
test_big_echo_checksum (void)
{
  const gsize size = 64 * 1024 * 1024;
  Server *s = server_new (SERVER_ECHO, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *expected = NULL;
  guint32 *p = g_malloc (size);
  GRand *rand = g_rand_new_with_seed (42);
  EapProgressArgs *last_progress = NULL;

  for (gsize i = 0; i < size / 4; i++)
    p[i] = g_rand_int (rand);
  g_rand_free (rand);
  data = g_bytes_new_take (p, size);
  expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  w->checksum = g_checksum_new (G_CHECKSUM_SHA256);

  eap_tcp_client_set_max_send_queue (client, size);
  eap_component_set_progress_interval (EAP_COMPONENT (client), 0);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);

  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (7), &error));
  CU_ASSERT_TRUE (wait_received (w, size));
  CU_ASSERT_EQUAL (w->n_received, size);
  CU_ASSERT_STRING_EQUAL (g_checksum_get_string (w->checksum), expected);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, 5000));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (eap_test_recorder_get_completed (rec, 1)));

  /* Progress of the big send: several reports, the last at size/size. */
  CU_ASSERT_TRUE (eap_test_recorder_count (rec, EAP_TEST_EVENT_PROGRESS, GSIZE_TO_POINTER (7)) >= 2);
  for (guint i = 0; i < rec->events->len; i++)
    {
      EapTestEvent *e = &g_array_index (rec->events, EapTestEvent, i);
      if (e->kind == EAP_TEST_EVENT_PROGRESS)
        last_progress = EAP_PROGRESS_ARGS (e->args);
    }
  CU_ASSERT_PTR_NOT_NULL_FATAL (last_progress);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (last_progress), (gint64) size);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (last_progress), (gint64) size);
  CU_ASSERT_EQUAL (eap_tcp_client_get_send_queue_size (client), 0);

  /* A connected client lives on without references: close it. */
  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, NULL, &error));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  watch_free (w);
  server_free (s);
}

static void
echo_counting_refusals (EapTcpClient *client,
                        GBytes       *bytes,
                        gpointer      data)
{
  guint *n_refused = data;
  g_autoptr(GError) error = NULL;

  if (!eap_tcp_client_queue_send (client, bytes, &error))
    (*n_refused)++;
}

static gboolean
cond_queue_above (gpointer data)
{
  EapTcpClient *client = data;

  return eap_tcp_client_get_send_queue_size (client) > eap_tcp_client_get_send_high_water (client);
}

/* An echo to a peer that floods and reads late: with send-high-water the
 * client stops reading instead of its queue overflowing max-send-queue,
 * and every byte still comes back once the peer reads. */
static void
test_send_high_water (void)
{
  const gsize size = 16 * 1024 * 1024;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *expected = NULL;
  guint32 *p = g_malloc (size);
  GRand *rand = g_rand_new_with_seed (7);
  Server *s;
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  GMainContext *context = g_main_context_get_thread_default ();
  guint n_refused = 0;
  gint64 at_mark;

  for (gsize i = 0; i < size / 4; i++)
    p[i] = g_rand_int (rand);
  g_rand_free (rand);
  data = g_bytes_new_take (p, size);
  expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  s = server_new (SERVER_FLOOD, data);

  w->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_signal_connect (client, "received", G_CALLBACK (echo_counting_refusals), &n_refused);
  eap_tcp_client_set_max_send_queue (client, 4 * 1024 * 1024);
  eap_tcp_client_set_send_high_water (client, 1024 * 1024);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);

  /* The peer reads nothing yet: the queue passes the mark, then reading
   * waits although the peer's bytes are there to read. */
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (cond_queue_above, client, 5000));
  at_mark = w->n_received;
  for (guint i = 0; i < 200; i++)
    g_main_context_iteration (context, FALSE);
  CU_ASSERT_EQUAL (w->n_received, at_mark);
  CU_ASSERT_TRUE (w->n_received < (gint64) size);
  CU_ASSERT_EQUAL (n_refused, 0);

  /* The peer reads: everything flows, nothing was refused or lost. */
  eap_test_latch_set (&s->release);
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 20000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 20000));
  CU_ASSERT_EQUAL (w->n_received, (gint64) size);
  CU_ASSERT_EQUAL (s->n_received, (gint64) size);
  CU_ASSERT_EQUAL (n_refused, 0);
  CU_ASSERT_STRING_EQUAL (g_checksum_get_string (s->checksum), expected);

  watch_free (w);
  server_free (s);
}

static void
test_half_close (void)
{
  g_autoptr(GBytes) payload = g_bytes_new_static ("all of it\nand more\n", 19);
  Server *s = server_new (SERVER_SEND_SHUTDOWN, payload);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;

  w->rec = rec;
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_EQUAL (w->n_received, 19);
  CU_ASSERT_FALSE (w->data_before_connected);
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_FALSE (w->received_after_disconnect);
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 5000));
  CU_ASSERT_TRUE (s->saw_eof);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_disconnected, 1);

  watch_free (w);
  server_free (s);
}

/* An echo server that queued its replies in received still delivers them
 * after the peer's EOF: the client stops reading, writes, then closes. */
static void
echo_back (EapTcpClient *client,
           GBytes       *bytes,
           gpointer      data)
{
  CU_ASSERT_TRUE (eap_tcp_client_queue_send (client, bytes, NULL));
}

static void
test_half_close_replies_delivered (void)
{
  int sv[2];
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  EapTcpClient *client;
  Watch *w;
  char buf[64];
  gsize got = 0;
  gpointer weak;

  /* The accepted-client path, on one end of a socket pair. */
  CU_ASSERT_EQUAL_FATAL (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  socket = g_socket_new_from_fd (sv[0], &error);
  g_assert_no_error (error);
  client = _eap_tcp_client_new_accepted (socket, eap_test_fixture ()->context,
                                         EAP_TCP_FRAMING_RAW, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (client);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));
  w = watch_new (client);
  g_signal_connect (client, "received", G_CALLBACK (echo_back), NULL);

  eap_test_write_all (sv[1], (const guint8 *) "ping", 4);
  shutdown (sv[1], SHUT_WR);
  /* Nothing before start. */
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_received, 0);

  _eap_tcp_client_start (client);
  /* The server drops its reference: the connection keeps the client. */
  weak = client;
  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  w->client = NULL;
  g_object_unref (client);
  CU_ASSERT_PTR_NOT_NULL (weak);

  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_EQUAL (w->n_received, 4);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (weak);   /* finalized once disconnected */

  for (;;)
    {
      ssize_t n = recv (sv[1], buf + got, sizeof buf - got, 0);
      if (n <= 0)
        break;
      got += n;
    }
  CU_ASSERT_EQUAL (got, 4);
  CU_ASSERT_EQUAL (memcmp (buf, "ping", 4), 0);
  close (sv[1]);
  watch_free (w);
}

static void
test_peer_reset (void)
{
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  Server *s = server_new (SERVER_RESET, hello);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (32 * 1024 * 1024), 32 * 1024 * 1024);
  EapCompletedArgs *send_args;

  eap_tcp_client_set_max_send_queue (client, 64 * 1024 * 1024);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE (wait_received (w, 5));

  /* The peer does not read: this send stays pending. */
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, big, GSIZE_TO_POINTER (2), &error));
  eap_test_drain ();
  CU_ASSERT_TRUE (eap_tcp_client_get_send_queue_size (client) > 0);
  eap_test_latch_set (&s->release);

  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NOT_NULL (w->disconnect_error);
  if (w->disconnect_error != NULL)
    {
      g_autofree char *peer = g_strdup_printf ("127.0.0.1:%u", s->port);

      CU_ASSERT_TRUE (w->disconnect_error->domain == G_IO_ERROR);
      /* A message a person can act on: it names the peer. */
      CU_ASSERT_PTR_NOT_NULL (strstr (w->disconnect_error->message, peer));
    }
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, 5000));
  send_args = nth_completed_named (rec, "send", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (send_args);
  CU_ASSERT_PTR_NOT_NULL (eap_completed_args_get_error (send_args));
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  CU_ASSERT_EQUAL (eap_tcp_client_get_send_queue_size (client), 0);

  watch_free (w);
  server_free (s);
}

static void
test_idle_timeout (void)
{
  Server *s = server_new (SERVER_SILENT, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  gint64 start;

  eap_tcp_client_set_timeout (client, 1);
  CU_ASSERT_EQUAL (eap_tcp_client_get_timeout (client), 1);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  start = g_get_monotonic_time ();
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_TRUE (g_get_monotonic_time () - start >= G_USEC_PER_SEC / 2);
  CU_ASSERT_TRUE (g_error_matches (w->disconnect_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 5000));

  watch_free (w);
  server_free (s);
}

/* A listening socket whose accept queue is full drops new SYNs: a
 * connect to it hangs until the timeout. */
static void
test_connect_timeout (void)
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  g_autoptr(GError) error = NULL;
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd, fillers[8];
  gint64 start;

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
  g_assert (listen (fd, 0) == 0);
  g_assert (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
  for (guint i = 0; i < G_N_ELEMENTS (fillers); i++)
    {
      fillers[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      connect (fillers[i], (struct sockaddr *) &addr, sizeof addr);
    }

  eap_tcp_client_set_timeout (client, 1);
  start = g_get_monotonic_time ();
  error = connect_and_wait (client, rec, "127.0.0.1", ntohs (addr.sin_port));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  CU_ASSERT_TRUE (g_get_monotonic_time () - start >= G_USEC_PER_SEC / 2);
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));

  for (guint i = 0; i < G_N_ELEMENTS (fillers); i++)
    close (fillers[i]);
  close (fd);
}

static void
test_refused (void)
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd;

  /* Bound, not listening: connecting is refused. */
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
  g_assert (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);

  error = connect_and_wait (client, rec, "127.0.0.1", ntohs (addr.sin_port));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_disconnected, 0);
  close (fd);
  watch_free (w);
}

static void
test_unresolvable (void)
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  g_autoptr(GError) error = NULL;

  error = connect_and_wait (client, rec, "nonexistent.invalid", 80);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_TRUE (error->domain == G_RESOLVER_ERROR || error->domain == G_IO_ERROR);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "nonexistent.invalid:80"));
}

static void
test_second_connect_pending (void)
{
  Server *s = server_new (SERVER_SILENT, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;

  /* While connecting. */
  CU_ASSERT_TRUE (eap_tcp_client_connect_async (client, "127.0.0.1", s->port, NULL, &error));
  CU_ASSERT_FALSE (eap_tcp_client_connect_async (client, "127.0.0.1", s->port, GSIZE_TO_POINTER (9), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING));
  g_clear_error (&error);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 1, 5000));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (eap_test_recorder_get_completed (rec, 0)));

  /* While connected; the blocking twin too. */
  CU_ASSERT_FALSE (eap_tcp_client_connect_async (client, "127.0.0.1", s->port, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING));
  g_clear_error (&error);
  CU_ASSERT_FALSE (eap_tcp_client_connect_sync (client, "127.0.0.1", s->port, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING));
  g_clear_error (&error);
  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->n_completed, 1);
  CU_ASSERT_EQUAL (eap_test_recorder_count (rec, EAP_TEST_EVENT_COMPLETED, GSIZE_TO_POINTER (9)), 0);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));

  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, NULL, &error));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));

  watch_free (w);
  server_free (s);
}

/* Fills the kernel's buffers towards a peer that does not read, until
 * something stays queued. */
static gboolean
fill_until_queued (EapTcpClient *client)
{
  g_autoptr(GBytes) chunk = g_bytes_new_take (g_malloc0 (256 * 1024), 256 * 1024);

  for (guint i = 0; i < 1024; i++)
    {
      if (eap_tcp_client_get_send_queue_size (client) > 0)
        return TRUE;
      if (!eap_tcp_client_queue_send (client, chunk, NULL))
        return FALSE;
      eap_test_drain ();
    }
  return eap_tcp_client_get_send_queue_size (client) > 0;
}

static void
test_max_send_queue (void)
{
  Server *s = server_new (SERVER_NO_READ, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) big = NULL;
  gsize limit = 1024 * 1024;

  eap_tcp_client_set_max_send_queue (client, limit);
  CU_ASSERT_EQUAL (eap_tcp_client_get_max_send_queue (client), limit);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE_FATAL (fill_until_queued (client));

  big = g_bytes_new_take (g_malloc0 (limit), limit);
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, big, GSIZE_TO_POINTER (3), &error));
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, 5000));
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (eap_test_recorder_get_completed (rec, 1)),
                                   EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED));
  CU_ASSERT_FALSE (eap_tcp_client_queue_send (client, big, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED));
  g_clear_error (&error);
  CU_ASSERT_TRUE (eap_tcp_client_get_send_queue_size (client) <= limit);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));
  CU_ASSERT_EQUAL (w->n_disconnected, 0);

  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, GSIZE_TO_POINTER (4), &error));
  eap_component_cancel_async (EAP_COMPONENT (client), GSIZE_TO_POINTER (4));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  watch_free (w);
  server_free (s);
}

static void
test_line_too_long (void)
{
  g_autofree char *text = g_strconcat ("short\r\nsecond\n", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL);
  g_autoptr(GBytes) payload = g_bytes_new (text, strlen (text));
  Server *s = server_new (SERVER_NO_READ, payload);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;

  w->rec = rec;
  eap_tcp_client_set_framing (client, EAP_TCP_FRAMING_LINES);
  eap_tcp_client_set_max_line_length (client, 50);
  CU_ASSERT_EQUAL (eap_tcp_client_get_framing (client), EAP_TCP_FRAMING_LINES);
  CU_ASSERT_EQUAL (eap_tcp_client_get_max_line_length (client), 50);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_TRUE (g_error_matches (w->disconnect_error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED));
  CU_ASSERT_EQUAL (w->lines->len, 2);
  if (w->lines->len == 2)
    {
      CU_ASSERT_STRING_EQUAL (w->lines->pdata[0], "short");
      CU_ASSERT_STRING_EQUAL (w->lines->pdata[1], "second");
    }
  CU_ASSERT_EQUAL (w->n_received, 0);
  CU_ASSERT_FALSE (w->data_before_connected);

  watch_free (w);
  server_free (s);
}

static void
test_cancel_queued_send (void)
{
  Server *s = server_new (SERVER_NO_READ, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (1000), 1000);
  gsize queued;
  EapCompletedArgs *args;

  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE_FATAL (fill_until_queued (client));
  queued = eap_tcp_client_get_send_queue_size (client);
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (5), &error));
  CU_ASSERT_EQUAL (eap_tcp_client_get_send_queue_size (client), queued + 1000);
  eap_component_cancel_async (EAP_COMPONENT (client), GSIZE_TO_POINTER (5));
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, 5000));
  args = eap_test_recorder_get_completed (rec, 1);
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_EQUAL (eap_tcp_client_get_send_queue_size (client), queued);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));

  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, GSIZE_TO_POINTER (6), &error));
  eap_component_cancel_async (EAP_COMPONENT (client), GSIZE_TO_POINTER (6));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  watch_free (w);
  server_free (s);
}

static void
test_ipv6_loopback (void)
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  struct sockaddr_in6 addr = { 0 };
  socklen_t len = sizeof addr;
  int fd, peer;
  char buf[8];

  fd = socket (AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);   /* no IPv6 here */
      watch_free (w);
      return;
    }
  g_assert (listen (fd, 4) == 0);
  g_assert (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);

  error = connect_and_wait (client, rec, "::1", ntohs (addr.sin6_port));
  CU_ASSERT_PTR_NULL_FATAL (error);
  peer = accept (fd, NULL, NULL);
  CU_ASSERT_TRUE_FATAL (peer >= 0);
  CU_ASSERT_TRUE (eap_tcp_client_queue_line (client, "v6", NULL));
  CU_ASSERT_EQUAL (recv (peer, buf, 4, MSG_WAITALL), 4);
  CU_ASSERT_EQUAL (memcmp (buf, "v6\r\n", 4), 0);
  close (peer);
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  close (fd);
  watch_free (w);
}

static void
test_close_flushes (void)
{
  const gsize size = 4 * 1024 * 1024;
  Server *s = server_new (SERVER_COUNT, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (size), size);
  EapCompletedArgs *send_args, *close_args;
  guint n_disc_at_close = G_MAXUINT;

  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (2), &error));
  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, GSIZE_TO_POINTER (3), &error));
  /* Nothing emitted inside the calls. */
  CU_ASSERT_EQUAL (w->n_disconnected, 0);
  CU_ASSERT_EQUAL (rec->n_completed, 1);

  while (rec->n_completed < 4 && eap_test_recorder_wait_completed (rec, rec->n_completed + 1, 10000))
    if ((close_args = nth_completed_named (rec, "close", 0)) != NULL && n_disc_at_close == G_MAXUINT)
      n_disc_at_close = w->n_disconnected;
  CU_ASSERT_EQUAL (rec->n_completed, 4);
  send_args = nth_completed_named (rec, "send", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (send_args);
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (send_args));
  send_args = nth_completed_named (rec, "send", 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (send_args);
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (send_args));
  close_args = nth_completed_named (rec, "close", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (close_args);
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (close_args));
  /* disconnected (NULL) came before completed::close */
  CU_ASSERT_EQUAL (n_disc_at_close, 1);
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 10000));
  CU_ASSERT_EQUAL (s->n_received, (gint64) (2 * size));
  CU_ASSERT_TRUE (s->saw_eof);

  watch_free (w);
  server_free (s);
}

static void
test_cancel_close (void)
{
  Server *s = server_new (SERVER_NO_READ, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (8 * 1024 * 1024), 8 * 1024 * 1024);
  EapCompletedArgs *args;

  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (1), &error));
  eap_test_drain ();
  CU_ASSERT_TRUE (eap_tcp_client_get_send_queue_size (client) > 0);
  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, GSIZE_TO_POINTER (2), &error));
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_disconnected, 0);   /* still flushing to a peer that does not read */
  eap_component_cancel_async (EAP_COMPONENT (client), GSIZE_TO_POINTER (2));

  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 3, 5000));
  CU_ASSERT_EQUAL (w->n_disconnected, 1);
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  args = nth_completed_named (rec, "close", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  args = nth_completed_named (rec, "send", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args), G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED));
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));

  watch_free (w);
  server_free (s);
}

static gboolean
all_three_called (gpointer data)
{
  EapTestWaitAsync *waits = data;

  return waits[0].n_calls > 0 && waits[1].n_calls > 0 && waits[2].n_calls > 0;
}

static void
test_dispose_with_sends_in_flight (void)
{
  Server *s = server_new (SERVER_NO_READ, NULL);
  EapTcpClient *client = eap_tcp_client_new ();
  EapTestRecorder *rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  EapTestWaitAsync *waits = g_new0 (EapTestWaitAsync, 3);
  EapOperation *ops[3];
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (8 * 1024 * 1024), 8 * 1024 * 1024);
  gpointer weak = client;

  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  eap_test_recorder_free (rec);
  for (guint i = 0; i < 3; i++)
    {
      CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (i + 1), &error));
      ops[i] = eap_component_dup_operation (EAP_COMPONENT (client), GSIZE_TO_POINTER (i + 1));
      CU_ASSERT_PTR_NOT_NULL_FATAL (ops[i]);
      eap_operation_wait_async (ops[i], NULL, eap_test_wait_async_cb, &waits[i]);
    }
  eap_test_drain ();
  CU_ASSERT_TRUE (eap_tcp_client_get_send_queue_size (client) > 0);

  /* run_dispose destroys every signal handler: watch the operations. */
  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  g_object_run_dispose (G_OBJECT (client));
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  g_object_unref (client);
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (all_three_called, waits, EAP_TEST_TIMEOUT_MS));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EapCompletedArgs) args = eap_operation_dup_completed_args (ops[i]);

      CU_ASSERT_EQUAL (waits[i].n_calls, 1);
      CU_ASSERT_PTR_NOT_NULL (waits[i].error);
      CU_ASSERT_PTR_NOT_NULL_FATAL (args);
      CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args) ||
                      eap_completed_args_get_error (args) != NULL);
      eap_test_wait_async_clear (&waits[i]);
      g_object_unref (ops[i]);
    }
  g_free (waits);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (weak);
  if (weak != NULL)
    g_object_remove_weak_pointer (G_OBJECT (weak), &weak);
  server_free (s);
}

/* Nothing in flight: close must still end the connection (the close
 * vfunc), not wait for the next socket event. Closed from another thread,
 * as the contract allows. */
static gpointer
close_in_thread (gpointer data)
{
  eap_component_close (EAP_COMPONENT (data));
  return NULL;
}

static void
test_component_close_idle_connection (void)
{
  Server *s = server_new (SERVER_SILENT, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;

  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (client)), 0);

  g_thread_join (g_thread_new ("closer", close_in_thread, client));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 5000));
  CU_ASSERT_TRUE (s->saw_eof);
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_disconnected, 1);

  watch_free (w);
  server_free (s);
}

static void
test_component_close_with_sends_in_flight (void)
{
  Server *s = server_new (SERVER_NO_READ, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_take (g_malloc0 (8 * 1024 * 1024), 8 * 1024 * 1024);

  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  for (guint i = 1; i <= 3; i++)
    CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GSIZE_TO_POINTER (i), &error));
  eap_test_drain ();

  eap_component_close (EAP_COMPONENT (client));
  CU_ASSERT_EQUAL (w->n_disconnected, 0);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 4, 5000));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_disconnected, 1);
  for (guint i = 1; i <= 3; i++)
    CU_ASSERT_EQUAL (eap_test_recorder_count (rec, EAP_TEST_EVENT_COMPLETED, GSIZE_TO_POINTER (i)), 1);
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));

  /* R50: closed refuses. */
  CU_ASSERT_FALSE (eap_tcp_client_connect_async (client, "127.0.0.1", s->port, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  CU_ASSERT_FALSE (eap_tcp_client_connect_sync (client, "127.0.0.1", s->port, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);

  watch_free (w);
  server_free (s);
}

static void
on_closed_then_done (EapComponent     *component,
                     EapCompletedArgs *args,
                     gpointer          data)
{
  (*(guint *) data)++;
}

static void
test_unref_inside_handler (void)
{
  g_autoptr(GBytes) hello = g_bytes_new_static ("hi", 2);
  Server *s = server_new (SERVER_NO_READ, hello);
  EapTcpClient *client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  gpointer weak = client;
  guint n_close = 0;

  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  g_signal_connect (client, "completed::close", G_CALLBACK (on_closed_then_done), &n_close);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  /* The recorder holds a reference; drop it too, from the handler. */
  w->close_on_received = TRUE;
  w->unref_on_received = TRUE;
  CU_ASSERT_TRUE (wait_received (w, 2));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, 5000));
  CU_ASSERT_EQUAL (n_close, 1);
  g_signal_handlers_disconnect_by_data (client, &n_close);
  watch_free (w);
  g_clear_pointer (&rec, eap_test_recorder_free);
  eap_test_drain ();
  CU_ASSERT_PTR_NULL (weak);
  if (weak != NULL)
    g_object_remove_weak_pointer (G_OBJECT (weak), &weak);
  server_free (s);
}

static void
test_blocking_twins (void)
{
  Server *s = server_new (SERVER_ECHO, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ping = g_bytes_new_static ("ping", 4);
  gsize big_size = 1024 * 1024;
  g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (big_size), big_size);

  CU_ASSERT_TRUE (eap_tcp_client_connect_sync (client, "127.0.0.1", s->port, NULL, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (eap_tcp_client_is_connected (client));
  CU_ASSERT_TRUE (eap_tcp_client_send_sync (client, ping, NULL, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (wait_received (w, 4));
  /* Bigger than the socket buffers: the echo server writes back while we
   * block, and we do not read then: it still completes once the kernel
   * has it all, which needs the peer to read. */
  {
    g_autoptr(GBytes) part = g_bytes_new_from_bytes (big, 0, 256 * 1024);

    CU_ASSERT_TRUE (eap_tcp_client_send_sync (client, part, NULL, &error));
    CU_ASSERT_TRUE (wait_received (w, 4 + 256 * 1024));
  }

  CU_ASSERT_TRUE (eap_tcp_client_close_sync (client, NULL, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  CU_ASSERT_EQUAL (w->n_disconnected, 0);     /* from the context, after */
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  eap_test_drain ();
  CU_ASSERT_EQUAL (rec->n_completed, 0);      /* not operations */

  /* Blocking connect failing. */
  server_free (s);
  s = NULL;
  eap_component_close (EAP_COMPONENT (client));
  CU_ASSERT_FALSE (eap_tcp_client_send_sync (client, ping, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  CU_ASSERT_FALSE (eap_tcp_client_close_sync (client, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);

  watch_free (w);
}

static void
test_blocking_connect_refused (void)
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(GError) error = NULL;
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd;

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
  g_assert (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
  CU_ASSERT_FALSE (eap_tcp_client_connect_sync (client, "127.0.0.1", ntohs (addr.sin_port), NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  close (fd);
}

static void
test_tls_unknown_ca (void)
{
  Server *s = server_new (SERVER_TLS_ECHO, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  g_autoptr(GError) error = NULL;

  eap_tcp_client_set_tls (client, TRUE);
  CU_ASSERT_TRUE (eap_tcp_client_get_tls (client));
  CU_ASSERT_PTR_NULL (eap_tcp_client_get_tls_database (client));
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NOT_NULL (error);
  if (error != NULL)
    CU_ASSERT_EQUAL (error->domain, G_TLS_ERROR);
  CU_ASSERT_FALSE (eap_tcp_client_is_connected (client));
  server_free (s);
}

static void
test_tls_trusted (void)
{
  Server *s = server_new (SERVER_TLS_ECHO, NULL);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (TCP_TEST_DATADIR "/test-cert.pem", &error);
  gsize size = 3 * 1024 * 1024 + 17;
  g_autoptr(GBytes) data = NULL;
  guint8 *p = g_malloc (size);

  g_assert_no_error (error);
  for (gsize i = 0; i < size; i++)
    p[i] = i * 7;
  data = g_bytes_new_take (p, size);

  eap_tcp_client_set_tls (client, TRUE);
  eap_tcp_client_set_tls_database (client, db);
  CU_ASSERT_PTR_EQUAL (eap_tcp_client_get_tls_database (client), db);
  error = connect_and_wait (client, rec, "127.0.0.1", s->port);
  CU_ASSERT_PTR_NULL_FATAL (error);
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, NULL, &error));
  CU_ASSERT_TRUE (wait_received (w, size));
  CU_ASSERT_EQUAL (w->received->len, size);
  if (w->received->len == size)
    CU_ASSERT_EQUAL (memcmp (w->received->data, g_bytes_get_data (data, NULL), size), 0);

  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, NULL, &error));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, 5000));
  CU_ASSERT_PTR_NULL (w->disconnect_error);
  CU_ASSERT_TRUE (eap_test_latch_wait (&s->finished, 5000));
  CU_ASSERT_PTR_NULL (s->tls_error);

  watch_free (w);
  server_free (s);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    data)
{
  (*(guint *) data)++;
}

static void
test_properties_notify (void)
{
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  guint n = 0;
  guint64 mll;

  g_signal_connect (client, "notify", G_CALLBACK (count_notify), &n);
  eap_tcp_client_set_timeout (client, 3);
  eap_tcp_client_set_timeout (client, 3);
  eap_tcp_client_set_framing (client, EAP_TCP_FRAMING_LINES);
  eap_tcp_client_set_max_line_length (client, 99);
  eap_tcp_client_set_max_send_queue (client, 1000);
  eap_tcp_client_set_tls (client, TRUE);
  CU_ASSERT_EQUAL (n, 5);
  g_object_get (client, "max-line-length", &mll, NULL);
  CU_ASSERT_EQUAL (mll, 99);
  CU_ASSERT_EQUAL (eap_tcp_client_get_max_line_length (client), 99);
  CU_ASSERT_EQUAL (eap_tcp_client_get_send_queue_size (client), 0);
  CU_ASSERT_EQUAL (EAP_TCP_CLIENT_DEFAULT_MAX_LINE_LENGTH, 8192);
}

static CU_TestInfo tcp_client_tests[] = {
  { "connect, echo, close: events in the connecting context", test_connect_echo },
  { "64 MiB of random bytes echoed, checksummed; progress of the big send", test_big_echo_checksum },
  { "half-close: all data, then disconnected (NULL)", test_half_close },
  { "send-high-water: reading waits for the queue; 16 MiB echoed, none refused", test_send_high_water },
  { "replies queued in received are delivered after the peer's EOF (accepted client)", test_half_close_replies_delivered },
  { "peer reset mid-stream: disconnected with an error, pending send fails", test_peer_reset },
  { "idle timeout: disconnected with G_IO_ERROR_TIMED_OUT", test_idle_timeout },
  { "R19 timeout bounds the connect: TIMED_OUT", test_connect_timeout },
  { "refused port: completed::connect with CONNECTION_REFUSED", test_refused },
  { "nonexistent.invalid: completed::connect with a resolver error naming host:port", test_unresolvable },
  { "R10 a second connect while connecting or connected: PENDING, nothing emitted", test_second_connect_pending },
  { "max-send-queue: LIMIT_EXCEEDED while the peer does not read; still connected", test_max_send_queue },
  { "over-long line: disconnected with EAP_ERROR_LIMIT_EXCEEDED", test_line_too_long },
  { "R4 cancelling a queued send takes it out of the queue", test_cancel_queued_send },
  { "connect to ::1", test_ipv6_loopback },
  { "close_async flushes; disconnected before completed::close", test_close_flushes },
  { "cancelling close closes at once; pending sends fail", test_cancel_close },
  { "R49 dispose with sends in flight: each completes once", test_dispose_with_sends_in_flight },
  { "R50 eap_component_close with sends in flight: each completes once, disconnected", test_component_close_with_sends_in_flight },
  { "R49 eap_component_close with nothing in flight ends the connection, from any thread", test_component_close_idle_connection },
  { "close and unref from inside received", test_unref_inside_handler },
  { "R8 blocking twins: connect, send, close; refused once closed", test_blocking_twins },
  { "blocking connect refused", test_blocking_connect_refused },
  { "R54 TLS: unknown CA completes connect with G_TLS_ERROR", test_tls_unknown_ca },
  { "TLS: trusted through tls-database, 3 MiB echoed, close_notify", test_tls_trusted },
  { "properties notify only on change", test_properties_notify },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "EapLineFramer",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = eap_line_framer_tests,
    },
    {
      .pName = "EapTcpClient",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = tcp_client_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
