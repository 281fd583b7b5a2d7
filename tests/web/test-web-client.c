/* test-web-client.c: EapWebClient against EAP-REQUIREMENTS.md and issue 4
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every server runs on 127.0.0.1 in a thread of its own (its own pushed
 * context and main loop), so the test thread is free to iterate its
 * fixture context for the client, or to block in a blocking twin. Two
 * kinds of server:
 *
 * - TestServer: a SoupServer (optionally with TLS) serving generated
 *   content, redirects, status codes, gzip, charsets and an upload echo.
 * - RawServer: a plain blocking socket server, one thread per connection,
 *   for what SoupServer will not do on request: close the connection
 *   mid-body, or send headers and part of the body and then stall.
 *
 * No sleeps: waits iterate the fixture's context with a deadline
 * (eap_test_wait_until), or wait on a GCond with a deadline; the servers
 * wake the test's context whenever their state changes.
 */

#include "web-test.h"

#include <libsoup/soup.h>
#include <glib/gstdio.h>

#ifndef WEB_TEST_DATADIR
# error "WEB_TEST_DATADIR must name tests/web"
#endif

/* ------------------------------------------------------------------ */
/* TestServer: a SoupServer in its own thread                           */
/* ------------------------------------------------------------------ */

static const char gzip_line[] = "The quick brown fox jumps over the lazy dog. Grüße ✓\n";
#define GZIP_N_LINES 2000

typedef struct
{
  gboolean      tls;
  GThread      *thread;
  GMainContext *context;        /* (owned): the server thread's */
  GMainLoop    *loop;           /* (owned) */
  SoupServer   *server;         /* (owned): touched only in the server thread */
  guint16       port;
  char         *base;           /* "http://127.0.0.1:PORT" */
  EapTestLatch  ready;
  GBytes       *gzip_plain;     /* (owned) */
  GBytes       *gzip_body;      /* (owned): gzip_plain, gzip-compressed */

  GMutex        mutex;          /* guards what follows: the server thread writes */
  guint         n_requests;
  char         *last_path;
  char         *last_method;
  char         *last_range;
  char         *last_user_agent;
  char         *last_x_test;
} TestServer;

static void
server_record (TestServer        *ts,
               SoupServerMessage *msg,
               const char        *path)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);

  g_mutex_lock (&ts->mutex);
  ts->n_requests++;
  g_free (ts->last_path);
  ts->last_path = g_strdup (path);
  g_free (ts->last_method);
  ts->last_method = g_strdup (soup_server_message_get_method (msg));
  g_free (ts->last_range);
  ts->last_range = g_strdup (soup_message_headers_get_one (req, "Range"));
  g_free (ts->last_user_agent);
  ts->last_user_agent = g_strdup (soup_message_headers_get_one (req, "User-Agent"));
  g_free (ts->last_x_test);
  ts->last_x_test = g_strdup (soup_message_headers_get_one (req, "X-Eap-Test"));
  g_mutex_unlock (&ts->mutex);
}

static char *
server_dup_field (TestServer  *ts,
                  char       **field)
{
  char *ret;

  g_mutex_lock (&ts->mutex);
  ret = g_strdup (*field);
  g_mutex_unlock (&ts->mutex);

  return ret;
}

/* /gen/SIZE/SEED (honours "Range: bytes=N-" with 206 and 416) and
 * /norange/SIZE/SEED (always 200 with the whole body). */
static void
serve_generated (SoupServerMessage *msg,
                 gsize              size,
                 guint              seed,
                 gboolean           ranges)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char *range = soup_message_headers_get_one (req, "Range");
  guint64 start = 0;
  guint8 *body;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);

  if (ranges)
    {
      soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
      if (range != NULL && sscanf (range, "bytes=%" G_GUINT64_FORMAT "-", &start) == 1)
        {
          g_autofree char *content_range = NULL;

          if (start >= size)
            {
              content_range = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, size);
              soup_message_headers_replace (resp, "Content-Range", content_range);
              soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
              return;
            }
          content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT,
                                           start, size - 1, size);
          soup_message_headers_replace (resp, "Content-Range", content_range);
          soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
        }
      else
        start = 0;
    }

  if (size - start == 0)
    {
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY, "", 0);
      return;
    }

  body = g_malloc (size - start);
  web_test_pattern_fill (body, start, size - start, seed);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                    (char *) body, size - start);
  /* A 200 to a Range request must stay a 200: SoupServer turns a complete,
   * accumulated 200 body into a 206 on its own. */
  if (!ranges)
    soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
}

static void
serve_chunked (SoupServerMessage *msg,
               gsize              size,
               guint              seed)
{
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (resp, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (resp, "application/octet-stream", NULL);
  for (gsize off = 0; off < size; off += 16384)
    {
      gsize n = MIN ((gsize) 16384, size - off);
      guint8 *chunk = g_malloc (n);

      web_test_pattern_fill (chunk, off, n, seed);
      soup_message_body_append (body, SOUP_MEMORY_TAKE, chunk, n);
    }
  soup_message_body_complete (body);
}

static void
serve_echo (SoupServerMessage *msg)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) data = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  const char *type = soup_message_headers_get_content_type (req, NULL);
  char *reply = g_strdup_printf ("%s %s %" G_GSIZE_FORMAT " %s",
                                 soup_server_message_get_method (msg),
                                 type ? type : "-", g_bytes_get_size (data), sha);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, reply, strlen (reply));
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           data)
{
  TestServer *ts = data;
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  gsize size;
  guint n;

  server_record (ts, msg, path);

  if (g_str_equal (path, "/empty"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC, "", 0);
    }
  else if (g_str_equal (path, "/one"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC, "x", 1);
    }
  else if (sscanf (path, "/gen/%" G_GSIZE_FORMAT "/%u", &size, &n) == 2)
    serve_generated (msg, size, n, TRUE);
  else if (sscanf (path, "/norange/%" G_GSIZE_FORMAT "/%u", &size, &n) == 2)
    serve_generated (msg, size, n, FALSE);
  else if (sscanf (path, "/chunked/%" G_GSIZE_FORMAT "/%u", &size, &n) == 2)
    serve_chunked (msg, size, n);
  else if (g_str_equal (path, "/gzip"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (resp, "Content-Encoding", "gzip");
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (ts->gzip_body, NULL),
                                        g_bytes_get_size (ts->gzip_body));
    }
  else if (sscanf (path, "/redirect/%u", &n) == 1)
    soup_server_message_set_redirect (msg, n, "/one");
  else if (sscanf (path, "/redirect-echo/%u", &n) == 1)
    soup_server_message_set_redirect (msg, n, "/echo");
  else if (sscanf (path, "/chain/%u", &n) == 1)
    {
      if (n == 0)
        {
          soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
          soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC, "x", 1);
        }
      else
        {
          g_autofree char *next = g_strdup_printf ("/chain/%u", n - 1);

          soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, next);
        }
    }
  else if (g_str_equal (path, "/loop"))
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "/loop");
  else if (g_str_equal (path, "/goto") && query != NULL && g_hash_table_lookup (query, "to"))
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, g_hash_table_lookup (query, "to"));
  else if (sscanf (path, "/status/%u", &n) == 1)
    {
      soup_server_message_set_status (msg, n, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "nope", 4);
    }
  else if (g_str_equal (path, "/headers"))
    {
      SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
      const char *ua = soup_message_headers_get_one (req, "User-Agent");
      const char *x = soup_message_headers_get_one (req, "X-Eap-Test");
      char *reply = g_strdup_printf ("UA=%s\nX=%s", ua ? ua : "", x ? x : "");

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (resp, "X-Reply", "yes");
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, reply, strlen (reply));
    }
  else if (g_str_equal (path, "/text/utf8-default"))
    {
      static const char text[] = "grüße ✓";

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, text, strlen (text));
    }
  else if (g_str_equal (path, "/text/latin1"))
    {
      static const char text[] = "gr\xfc\xdf" "e";

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=ISO-8859-1", SOUP_MEMORY_STATIC,
                                        text, strlen (text));
    }
  else if (g_str_equal (path, "/text/invalid"))
    {
      static const char text[] = "ab\xff\xfe" "cd";

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                        text, strlen (text));
    }
  else if (g_str_equal (path, "/echo"))
    serve_echo (msg);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static GBytes *
gzip_compress (GBytes *plain)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (compressor));
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (out, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static gpointer
server_thread (gpointer data)
{
  TestServer *ts = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  GSList *uris;

  g_main_context_push_thread_default (ts->context);

  if (ts->tls)
    {
      cert = g_tls_certificate_new_from_files (WEB_TEST_DATADIR "/test-cert.pem",
                                               WEB_TEST_DATADIR "/test-key.pem", &error);
      g_assert_no_error (error);
      ts->server = soup_server_new ("tls-certificate", cert, NULL);
    }
  else
    ts->server = soup_server_new (NULL, NULL);

  soup_server_add_handler (ts->server, NULL, server_cb, ts, NULL);
  soup_server_listen_local (ts->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY |
                            (ts->tls ? SOUP_SERVER_LISTEN_HTTPS : 0),
                            &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (ts->server);
  g_assert (uris != NULL);
  ts->port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  ts->base = g_strdup_printf ("%s://127.0.0.1:%u", ts->tls ? "https" : "http", ts->port);

  eap_test_latch_set (&ts->ready);
  g_main_loop_run (ts->loop);

  soup_server_disconnect (ts->server);
  g_clear_object (&ts->server);
  while (g_main_context_iteration (ts->context, FALSE))
    ;
  g_main_context_pop_thread_default (ts->context);

  return NULL;
}

static TestServer *
test_server_new (gboolean tls)
{
  TestServer *ts = g_new0 (TestServer, 1);
  GString *plain = g_string_new (NULL);

  for (guint i = 0; i < GZIP_N_LINES; i++)
    g_string_append (plain, gzip_line);
  ts->gzip_plain = g_string_free_to_bytes (plain);
  ts->gzip_body = gzip_compress (ts->gzip_plain);

  ts->tls = tls;
  g_mutex_init (&ts->mutex);
  eap_test_latch_init (&ts->ready);
  ts->context = g_main_context_new ();
  ts->loop = g_main_loop_new (ts->context, FALSE);
  ts->thread = g_thread_new ("test-server", server_thread, ts);
  g_assert (eap_test_latch_wait (&ts->ready, EAP_TEST_TIMEOUT_MS));

  return ts;
}

static void
test_server_free (TestServer *ts)
{
  if (ts == NULL)
    return;

  g_main_loop_quit (ts->loop);
  g_thread_join (ts->thread);

  g_main_loop_unref (ts->loop);
  g_main_context_unref (ts->context);
  eap_test_latch_clear (&ts->ready);
  g_mutex_clear (&ts->mutex);
  g_bytes_unref (ts->gzip_plain);
  g_bytes_unref (ts->gzip_body);
  g_free (ts->base);
  g_free (ts->last_path);
  g_free (ts->last_method);
  g_free (ts->last_range);
  g_free (ts->last_user_agent);
  g_free (ts->last_x_test);
  g_free (ts);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestServer, test_server_free)

static char *
test_server_uri (TestServer *ts,
                 const char *path)
{
  return g_strconcat (ts->base, path, NULL);
}

/* ------------------------------------------------------------------ */
/* RawServer: drops the connection mid-body, or stalls                  */
/* ------------------------------------------------------------------ */

typedef enum
{
  RAW_DROP,    /* headers (Content-Length: size) + n_before bytes, then close */
  RAW_STALL,   /* headers + n_before bytes, then nothing until the client goes */
} RawMode;

typedef struct
{
  RawMode       mode;
  gsize         size;
  gsize         n_before;
  guint         seed;
  GSocket      *listener;            /* (owned) */
  guint16       port;
  GCancellable *stop;                /* (owned) */
  GThread      *acceptor;
  GMainContext *wake;                /* (owned): the test's, woken on changes */

  GMutex        mutex;               /* guards what follows */
  GCond         cond;
  GPtrArray    *handlers;            /* (element-type GThread) */
  guint         n_connections;
  guint         n_stalled;           /* stalled connections, after sending n_before */
  guint         n_closed_by_client;  /* stalled connections the client closed */
  gint64        last_closed_time;    /* monotonic, of the last client close */
} RawServer;

typedef struct
{
  RawServer *rs;
  GSocket   *conn;   /* (owned) */
} RawConnection;

static void
raw_changed (RawServer *rs)
{
  g_cond_broadcast (&rs->cond);
  g_main_context_wakeup (rs->wake);
}

static gboolean
raw_send_all (GSocket      *conn,
              const guint8 *data,
              gsize         len,
              GCancellable *cancellable)
{
  while (len > 0)
    {
      gssize n = g_socket_send (conn, (const char *) data, len, cancellable, NULL);

      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gpointer
raw_connection_thread (gpointer data)
{
  RawConnection *rc = data;
  RawServer *rs = rc->rs;
  g_autoptr(GString) request = g_string_new (NULL);
  g_autofree char *headers = NULL;
  g_autofree guint8 *body = NULL;
  char buf[4096];

  g_socket_set_timeout (rc->conn, 20);

  while (strstr (request->str, "\r\n\r\n") == NULL)
    {
      gssize n = g_socket_receive (rc->conn, buf, sizeof buf, rs->stop, NULL);

      if (n <= 0)
        goto out;
      g_string_append_len (request, buf, n);
    }

  headers = g_strdup_printf ("HTTP/1.1 200 OK\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                             "\r\n", rs->size);
  body = web_test_pattern_new (rs->n_before, rs->seed);
  if (!raw_send_all (rc->conn, (const guint8 *) headers, strlen (headers), rs->stop) ||
      !raw_send_all (rc->conn, body, rs->n_before, rs->stop))
    goto out;

  if (rs->mode == RAW_DROP)
    {
      g_socket_shutdown (rc->conn, FALSE, TRUE, NULL);
      goto out;
    }

  g_mutex_lock (&rs->mutex);
  rs->n_stalled++;
  raw_changed (rs);
  g_mutex_unlock (&rs->mutex);

  /* Stalled: send nothing more. Readable now means the client closed the
   * connection (EOF or reset): it will read no further bytes. */
  if (g_socket_condition_timed_wait (rc->conn, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                     20 * G_USEC_PER_SEC, rs->stop, NULL) &&
      g_socket_receive (rc->conn, buf, sizeof buf, rs->stop, NULL) <= 0 &&
      !g_cancellable_is_cancelled (rs->stop))
    {
      g_mutex_lock (&rs->mutex);
      rs->n_closed_by_client++;
      rs->last_closed_time = g_get_monotonic_time ();
      raw_changed (rs);
      g_mutex_unlock (&rs->mutex);
    }

out:
  g_socket_close (rc->conn, NULL);
  g_object_unref (rc->conn);
  g_free (rc);

  return NULL;
}

static gpointer
raw_acceptor_thread (gpointer data)
{
  RawServer *rs = data;

  for (;;)
    {
      GSocket *conn = g_socket_accept (rs->listener, rs->stop, NULL);
      RawConnection *rc;

      if (conn == NULL)
        break;

      rc = g_new0 (RawConnection, 1);
      rc->rs = rs;
      rc->conn = conn;

      g_mutex_lock (&rs->mutex);
      rs->n_connections++;
      g_ptr_array_add (rs->handlers, g_thread_new ("raw-connection", raw_connection_thread, rc));
      raw_changed (rs);
      g_mutex_unlock (&rs->mutex);
    }

  return NULL;
}

static GSocket *
bind_loopback (guint16 *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_bind (sock, addr, TRUE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  return sock;
}

static RawServer *
raw_server_new (RawMode mode,
                gsize   size,
                gsize   n_before,
                guint   seed)
{
  RawServer *rs = g_new0 (RawServer, 1);
  g_autoptr(GError) error = NULL;

  rs->mode = mode;
  rs->size = size;
  rs->n_before = n_before;
  rs->seed = seed;
  rs->stop = g_cancellable_new ();
  rs->wake = g_main_context_ref (eap_test_fixture ()->context);
  rs->handlers = g_ptr_array_new ();
  g_mutex_init (&rs->mutex);
  g_cond_init (&rs->cond);

  rs->listener = bind_loopback (&rs->port);
  g_socket_listen (rs->listener, &error);
  g_assert_no_error (error);

  rs->acceptor = g_thread_new ("raw-acceptor", raw_acceptor_thread, rs);

  return rs;
}

static void
raw_server_free (RawServer *rs)
{
  if (rs == NULL)
    return;

  g_cancellable_cancel (rs->stop);
  g_thread_join (rs->acceptor);
  /* No new handler can appear now. */
  for (guint i = 0; i < rs->handlers->len; i++)
    g_thread_join (rs->handlers->pdata[i]);
  g_ptr_array_unref (rs->handlers);

  g_socket_close (rs->listener, NULL);
  g_object_unref (rs->listener);
  g_object_unref (rs->stop);
  g_main_context_unref (rs->wake);
  g_mutex_clear (&rs->mutex);
  g_cond_clear (&rs->cond);
  g_free (rs);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawServer, raw_server_free)

static char *
raw_server_uri (RawServer  *rs,
                const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", rs->port, path);
}

static guint
raw_get (RawServer *rs,
         guint     *field)
{
  guint ret;

  g_mutex_lock (&rs->mutex);
  ret = *field;
  g_mutex_unlock (&rs->mutex);

  return ret;
}

typedef struct
{
  RawServer *rs;
  guint      n;
} RawWait;

static gboolean
raw_has_stalled (gpointer data)
{
  RawWait *w = data;

  return raw_get (w->rs, &w->rs->n_stalled) >= w->n;
}

static gboolean
raw_has_closed (gpointer data)
{
  RawWait *w = data;

  return raw_get (w->rs, &w->rs->n_closed_by_client) >= w->n;
}

/* Blocks (never iterates) until @n connections stalled; for threads. */
static gboolean
raw_wait_stalled_blocking (RawServer *rs,
                           guint      n,
                           guint      timeout_ms)
{
  gint64 deadline = eap_test_deadline (timeout_ms);
  gboolean ret;

  g_mutex_lock (&rs->mutex);
  while (rs->n_stalled < n)
    if (!g_cond_wait_until (&rs->cond, &rs->mutex, deadline))
      break;
  ret = rs->n_stalled >= n;
  g_mutex_unlock (&rs->mutex);

  return ret;
}

/* ------------------------------------------------------------------ */
/* Client helpers                                                       */
/* ------------------------------------------------------------------ */

#define WAIT_MS 20000   /* per op: the 64 MiB ones under ASan take a while */

typedef struct
{
  EapWebClient    *client;
  EapTestRecorder *rec;
  char            *dir;
  GHashTable      *listings;   /* user_state -> the folder's listing when
                                * its completed was emitted (R52 R57) */
  gulong           listing_id;
} Client;

static void
note_listing (EapComponent     *component,
              EapCompletedArgs *args,
              Client           *c)
{
  g_hash_table_replace (c->listings, eap_completed_args_get_user_state (args),
                        web_test_list_dir (c->dir));
}

static Client *
client_new (void)
{
  Client *c = g_new0 (Client, 1);

  c->client = eap_web_client_new ();
  c->rec = eap_test_recorder_new (EAP_COMPONENT (c->client), NULL);
  c->dir = web_test_make_tmp_dir ();
  c->listings = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  c->listing_id = g_signal_connect (c->client, "completed", G_CALLBACK (note_listing), c);

  return c;
}

static void
client_free (Client *c)
{
  if (c == NULL)
    return;

  eap_test_recorder_free (c->rec);
  g_clear_signal_handler (&c->listing_id, c->client);
  g_object_unref (c->client);
  eap_test_drain ();
  web_test_remove_dir (c->dir);
  g_hash_table_unref (c->listings);
  g_free (c->dir);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

/* R52 R57: what the folder held while @state's completed was emitted. */
static void
assert_listing_at_completed (Client     *c,
                             gpointer    state,
                             const char *expected)
{
  const char *listing = g_hash_table_lookup (c->listings, state);

  if (listing == NULL || !g_str_equal (listing, expected))
    fprintf (stderr, "\n  at completed, folder held “%s”, expected “%s”\n",
             listing ? listing : "(no completed)", expected);
  CU_ASSERT_STRING_EQUAL (listing ? listing : "(no completed)", expected);
}

/* R57: the folder held no entry naming @name while @state's completed was
 * emitted (neither the file nor its temporary sibling). */
static void
assert_listing_at_completed_lacks (Client     *c,
                                   gpointer    state,
                                   const char *name)
{
  const char *listing = g_hash_table_lookup (c->listings, state);
  gboolean lacks = listing != NULL && strstr (listing, name) == NULL;

  /* (gcc's format check under ASan cannot see that @name is never NULL) */
  if (!lacks)
    fprintf (stderr, "\n  at completed, folder held “%s”, with no “%s” expected\n",
             listing ? listing : "(no completed)", name ? name : "");
  CU_ASSERT_TRUE (lacks);
}

static char *
client_path (Client     *c,
             const char *name)
{
  return g_build_filename (c->dir, name, NULL);
}

static void
assert_listing (Client     *c,
                const char *expected)
{
  g_autofree char *listing = web_test_list_dir (c->dir);

  if (!g_str_equal (listing, expected))
    fprintf (stderr, "\n  folder holds “%s”, expected “%s”\n", listing, expected);
  CU_ASSERT_STRING_EQUAL (listing, expected);
}

/* Starts a download-file and asserts R13: accepted, nothing emitted yet. */
static void
start_download_file (Client     *c,
                     const char *uri,
                     const char *path,
                     gpointer    state)
{
  g_autoptr(GError) error = NULL;
  guint n_before = c->rec->events->len;

  CU_ASSERT_TRUE (eap_web_client_download_file_async (c->client, uri, path, state, &error));
  CU_ASSERT_PTR_NULL (error);
  /* R13: nothing but notify::is-busy inside the call */
  for (guint i = n_before; i < c->rec->events->len; i++)
    CU_ASSERT_EQUAL (g_array_index (c->rec->events, EapTestEvent, i).kind,
                     EAP_TEST_EVENT_BUSY_CHANGED);
}

static EapCompletedArgs *
download_file (Client     *c,
               const char *uri,
               const char *path,
               gpointer    state)
{
  EapCompletedArgs *args;

  start_download_file (c, uri, path, state);
  args = web_test_wait_completed (c->rec, state, WAIT_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (args));
  return args;
}

static EapCompletedArgs *
download_bytes (Client     *c,
                const char *uri,
                gpointer    state)
{
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;
  guint n_events = c->rec->events->len;

  CU_ASSERT_TRUE (eap_web_client_download_bytes_async (c->client, uri, state, &error));
  CU_ASSERT_PTR_NULL (error);
  for (guint i = n_events; i < c->rec->events->len; i++)
    CU_ASSERT_EQUAL (g_array_index (c->rec->events, EapTestEvent, i).kind,
                     EAP_TEST_EVENT_BUSY_CHANGED);
  args = web_test_wait_completed (c->rec, state, WAIT_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (EAP_IS_DOWNLOAD_BYTES_COMPLETED_ARGS (args));
  return args;
}

static EapCompletedArgs *
download_string (Client     *c,
                 const char *uri,
                 gpointer    state)
{
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;

  CU_ASSERT_TRUE (eap_web_client_download_string_async (c->client, uri, state, &error));
  CU_ASSERT_PTR_NULL (error);
  args = web_test_wait_completed (c->rec, state, WAIT_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (EAP_IS_DOWNLOAD_STRING_COMPLETED_ARGS (args));
  return args;
}

static GBytes *
args_bytes (EapCompletedArgs *args)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = eap_download_bytes_completed_args_get_bytes (EAP_DOWNLOAD_BYTES_COMPLETED_ARGS (args),
                                                               &error);

  CU_ASSERT_PTR_NULL (error);
  return bytes;
}

static gboolean
bytes_equal_str (GBytes     *bytes,
                 const char *s,
                 gsize       len)
{
  gsize n = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &n) : NULL;

  return bytes != NULL && n == len && (len == 0 || memcmp (data, s, len) == 0);
}

static char *
web_args_uri (EapCompletedArgs *args)
{
  return g_strdup (eap_web_completed_args_get_uri (EAP_WEB_COMPLETED_ARGS (args)));
}

/* ------------------------------------------------------------------ */
/* Bodies                                                               */
/* ------------------------------------------------------------------ */

static void
test_empty_body (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/empty");
  g_autofree char *path = client_path (c, "out.bin");
  g_autofree char *final_uri = NULL;
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args = download_file (c, uri, path, GINT_TO_POINTER (1));
  EapDownloadFileCompletedArgs *fargs = EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args);

  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_EQUAL (web_test_file_size (path), 0);
  assert_listing (c, "out.bin");
  CU_ASSERT_STRING_EQUAL (eap_download_file_completed_args_get_path (fargs, &error), path);
  CU_ASSERT_EQUAL (eap_download_file_completed_args_get_size (fargs, &error), 0);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 200);
  final_uri = web_args_uri (args);
  CU_ASSERT_STRING_EQUAL (final_uri, uri);
  web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, NULL);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (c->client)));
}

static void
test_one_byte_body (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/one");
  g_autofree char *path = client_path (c, "one");
  EapCompletedArgs *args;
  EapWebProgressArgs *last;

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), "x", 1));
  last = web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, NULL);
  CU_ASSERT_PTR_NOT_NULL (last);      /* R35: a known total ends on a final progress */
  if (last != NULL)
    {
      CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_received (last), 1);
      CU_ASSERT_EQUAL (eap_web_progress_args_get_total_bytes (last), 1);
    }

  args = download_file (c, uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (web_test_file_equals (path, "x", 1));
  assert_listing (c, "one");
}

static void
test_big_file_checksum_bounded_progress (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *path_part = g_strdup_printf ("/gen/%" G_GSIZE_FORMAT "/7", WEB_TEST_BIG_SIZE);
  g_autofree char *uri = test_server_uri (ts, path_part);
  g_autofree char *path = client_path (c, "big.bin");
  g_autofree char *expected = web_test_pattern_sha256 (WEB_TEST_BIG_SIZE, 7);
  g_autofree char *got = NULL;
  EapCompletedArgs *args;
  EapWebProgressArgs *last;
  gint64 start, elapsed_ms;
  guint n_progress = 0;

  CU_ASSERT_EQUAL (eap_component_get_progress_interval (EAP_COMPONENT (c->client)), 50);
  start = g_get_monotonic_time ();
  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;

  WEB_TEST_ASSERT_SUCCESS (args);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  CU_ASSERT_EQUAL (eap_download_file_completed_args_get_size (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args), NULL),
                   (gint64) WEB_TEST_BIG_SIZE);
  assert_listing (c, "big.bin");
  assert_listing_at_completed (c, GINT_TO_POINTER (1), "big.bin");   /* renamed before completed */

  last = web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, &n_progress);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_total_bytes (last), (gint64) WEB_TEST_BIG_SIZE);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_received (last), (gint64) WEB_TEST_BIG_SIZE);
  /* R34: at most one emission per 50 ms interval, plus the first and the
   * final flush. */
  if (n_progress > elapsed_ms / 50 + 3)
    fprintf (stderr, "\n  R34: %u progress emissions in %" G_GINT64_FORMAT " ms\n",
             n_progress, elapsed_ms);
  CU_ASSERT_TRUE (n_progress <= elapsed_ms / 50 + 3);
  CU_ASSERT_TRUE (n_progress >= 1);
}

static void
test_chunked_unknown_length (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/chunked/300000/3");
  g_autofree char *path = client_path (c, "chunked.bin");
  g_autofree guint8 *expected = web_test_pattern_new (300000, 3);
  g_autofree char *expected_sha = web_test_pattern_sha256 (300000, 3);
  g_autofree char *got = NULL;
  EapCompletedArgs *args;
  EapWebProgressArgs *last;
  guint n_progress = 0;

  eap_component_set_progress_interval (EAP_COMPONENT (c->client), 0);

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), (const char *) expected, 300000));
  last = web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, &n_progress);
  CU_ASSERT_TRUE (n_progress >= 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  /* R33: unknown total, indeterminate, 0 %, exact byte count */
  CU_ASSERT_EQUAL (eap_web_progress_args_get_total_bytes (last), -1);
  CU_ASSERT_EQUAL (eap_progress_args_get_total (EAP_PROGRESS_ARGS (last)), -1);
  CU_ASSERT_TRUE (eap_progress_args_get_indeterminate (EAP_PROGRESS_ARGS (last)));
  CU_ASSERT_EQUAL (eap_progress_args_get_percentage (EAP_PROGRESS_ARGS (last)), 0);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_received (last), 300000);
  CU_ASSERT_EQUAL (eap_progress_args_get_done (EAP_PROGRESS_ARGS (last)), 300000);

  args = download_file (c, uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected_sha);
  last = web_test_check_progress (c->rec, GINT_TO_POINTER (2), TRUE, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_received (last), 300000);
  assert_listing (c, "chunked.bin");
}

static void
test_gzip_decoded (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/gzip");
  g_autofree char *path = client_path (c, "text.txt");
  g_autoptr(GError) error = NULL;
  const char *plain;
  gsize plain_len;
  EapCompletedArgs *args;
  EapWebProgressArgs *last;
  const char *text;

  plain = g_bytes_get_data (ts->gzip_plain, &plain_len);
  CU_ASSERT_TRUE (g_bytes_get_size (ts->gzip_body) < plain_len / 4);  /* really compressed */

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), plain, plain_len));
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_response_header (EAP_WEB_COMPLETED_ARGS (args),
                                                                      "Content-Encoding"), "gzip");
  last = web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, NULL);
  /* As documented: the total of a compressed body is unknown (R33), and
   * the bytes are the decoded ones. */
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_total_bytes (last), -1);
  CU_ASSERT_TRUE (eap_progress_args_get_indeterminate (EAP_PROGRESS_ARGS (last)));
  CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_received (last), (gint64) plain_len);

  args = download_string (c, uri, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  text = eap_download_string_completed_args_get_text (EAP_DOWNLOAD_STRING_COMPLETED_ARGS (args), &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (text != NULL && strlen (text) == plain_len && memcmp (text, plain, plain_len) == 0);
  web_test_check_progress (c->rec, GINT_TO_POINTER (2), TRUE, NULL);

  args = download_file (c, uri, path, GINT_TO_POINTER (3));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (web_test_file_equals (path, plain, (gssize) plain_len));
  web_test_check_progress (c->rec, GINT_TO_POINTER (3), TRUE, NULL);
}

/* ------------------------------------------------------------------ */
/* Redirects and HTTP errors                                            */
/* ------------------------------------------------------------------ */

static void
test_redirects_followed (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *target = test_server_uri (ts, "/one");
  static const guint codes[] = { 301, 302, 307, 308 };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/redirect/%u", codes[i]);
      g_autofree char *uri = test_server_uri (ts, path);
      g_autofree char *final_uri = NULL;
      EapCompletedArgs *args = download_bytes (c, uri, GUINT_TO_POINTER (codes[i]));

      WEB_TEST_ASSERT_SUCCESS (args);
      CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), "x", 1));
      final_uri = web_args_uri (args);
      if (!g_str_equal (final_uri, target))
        fprintf (stderr, "\n  %u: final URI %s, expected %s\n", codes[i], final_uri, target);
      CU_ASSERT_STRING_EQUAL (final_uri, target);
      CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 200);
    }
}

static void
test_redirect_loop (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/loop");
  g_autofree char *path = client_path (c, "loop.bin");
  EapCompletedArgs *args;

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, EAP_HTTP_ERROR_TOO_MANY_REDIRECTS, "/loop");
  CU_ASSERT_PTR_NULL (eap_download_bytes_completed_args_get_bytes (EAP_DOWNLOAD_BYTES_COMPLETED_ARGS (args), NULL));

  args = download_file (c, uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, EAP_HTTP_ERROR_TOO_MANY_REDIRECTS, "/loop");
  assert_listing (c, "");
}

static void
test_http_status_errors (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri404 = test_server_uri (ts, "/status/404");
  g_autofree char *uri500 = test_server_uri (ts, "/status/500");
  g_autofree char *path = client_path (c, "kept.txt");
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;
  const GError *e;

  web_test_write_file (path, "old", 3);

  args = download_file (c, uri404, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, 404, uri404);
  e = eap_completed_args_get_error (args);
  CU_ASSERT_TRUE (e != NULL && strstr (e->message, "404") != NULL);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 404);
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_reason_phrase (EAP_WEB_COMPLETED_ARGS (args)),
                          "Not Found");
  /* R22: the result getter gives the op's error */
  CU_ASSERT_PTR_NULL (eap_download_file_completed_args_get_path (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args),
                                                                 &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_HTTP_ERROR, 404));
  /* R57: the destination is untouched and no temporary file is left */
  CU_ASSERT_TRUE (web_test_file_equals (path, "old", 3));
  assert_listing (c, "kept.txt");
  assert_listing_at_completed (c, GINT_TO_POINTER (1), "kept.txt");

  args = download_bytes (c, uri500, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, 500, uri500);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 500);
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_reason_phrase (EAP_WEB_COMPLETED_ARGS (args)),
                          "Internal Server Error");
  web_test_check_progress (c->rec, GINT_TO_POINTER (2), FALSE, NULL);
}

/* ------------------------------------------------------------------ */
/* Broken and stalled servers                                           */
/* ------------------------------------------------------------------ */

static void
test_server_closes_mid_body (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_DROP, 1024 * 1024, 100000, 1);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/drop");
  g_autofree char *path = client_path (c, "dest.bin");
  EapCompletedArgs *args;
  const GError *e;

  web_test_write_file (path, "old", 3);

  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  e = eap_completed_args_get_error (args);
  CU_ASSERT_PTR_NOT_NULL (e);
  if (e != NULL)
    fprintf (stderr, "\n  [closed mid-body: %s %d: %s]\n", g_quark_to_string (e->domain), e->code, e->message);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  /* R57 */
  CU_ASSERT_TRUE (web_test_file_equals (path, "old", 3));
  assert_listing (c, "dest.bin");
  assert_listing_at_completed (c, GINT_TO_POINTER (1), "dest.bin");
  web_test_check_progress (c->rec, GINT_TO_POINTER (1), FALSE, NULL);

  args = download_bytes (c, uri, GINT_TO_POINTER (2));
  CU_ASSERT_PTR_NOT_NULL (eap_completed_args_get_error (args));
  CU_ASSERT_PTR_NULL (eap_download_bytes_completed_args_get_bytes (EAP_DOWNLOAD_BYTES_COMPLETED_ARGS (args), NULL));
}

typedef struct
{
  EapTestRecorder *rec;
  gpointer         state;
  gint64           bytes;
} ProgressWait;

static gboolean
has_progress_bytes (gpointer data)
{
  ProgressWait *w = data;
  gboolean ret = FALSE;

  g_mutex_lock (&w->rec->mutex);
  for (guint i = 0; i < w->rec->events->len && !ret; i++)
    {
      EapTestEvent *event = &g_array_index (w->rec->events, EapTestEvent, i);

      ret = event->kind == EAP_TEST_EVENT_PROGRESS &&
            EAP_IS_WEB_PROGRESS_ARGS (event->args) &&
            eap_progress_args_get_user_state (EAP_PROGRESS_ARGS (event->args)) == w->state &&
            eap_web_progress_args_get_bytes_received (EAP_WEB_PROGRESS_ARGS (event->args)) >= w->bytes;
    }
  g_mutex_unlock (&w->rec->mutex);

  return ret;
}

static gint64 completed_time;

static void
note_completed_time (EapComponent     *component,
                     EapCompletedArgs *args,
                     gpointer          data)
{
  completed_time = g_get_monotonic_time ();
}

static void
test_stalled_server_cancel (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 10 * 1024 * 1024, 200000, 2);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autofree char *path = client_path (c, "stalled.bin");
  ProgressWait pw = { c->rec, GINT_TO_POINTER (1), 200000 };
  RawWait closed = { rs, 1 };
  EapCompletedArgs *args;
  EapWebProgressArgs *last;
  gint64 cancel_time, latency_ms;
  gulong id;

  eap_component_set_progress_interval (EAP_COMPONENT (c->client), 0);
  id = g_signal_connect (c->client, "completed", G_CALLBACK (note_completed_time), NULL);
  completed_time = 0;

  start_download_file (c, uri, path, GINT_TO_POINTER (1));
  /* The client has read everything the server sent: it now waits. */
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (has_progress_bytes, &pw, WAIT_MS));
  CU_ASSERT_PTR_NULL (web_test_find_completed (c->rec, GINT_TO_POINTER (1)));

  cancel_time = g_get_monotonic_time ();
  eap_component_cancel_async (EAP_COMPONENT (c->client), GINT_TO_POINTER (1));
  CU_ASSERT_PTR_NULL (web_test_find_completed (c->rec, GINT_TO_POINTER (1)));  /* R26 */
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (1), WAIT_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  latency_ms = (completed_time - cancel_time) / 1000;
  if (latency_ms > 250)
    fprintf (stderr, "\n  R28: cancelled after %" G_GINT64_FORMAT " ms\n", latency_ms);
  CU_ASSERT_TRUE (latency_ms <= 250);          /* R28 */
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));   /* R23 */
  CU_ASSERT_TRUE (EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (args));

  /* R57: the temporary file is gone before completed */
  assert_listing (c, "");
  assert_listing_at_completed (c, GINT_TO_POINTER (1), "");
  last = web_test_check_progress (c->rec, GINT_TO_POINTER (1), FALSE, NULL);
  CU_ASSERT_TRUE (last != NULL && eap_web_progress_args_get_bytes_received (last) == 200000);
  CU_ASSERT_TRUE (last != NULL && eap_web_progress_args_get_total_bytes (last) == 10 * 1024 * 1024);

  /* R28: no further reads: the client let go of the connection. */
  CU_ASSERT_TRUE (eap_test_wait_until (raw_has_closed, &closed, EAP_TEST_TIMEOUT_MS));

  g_clear_signal_handler (&id, c->client);
}

static void
test_timeout_on_stalled_server (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 1024 * 1024, 1000, 2);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autofree char *path = client_path (c, "timeout.bin");
  EapCompletedArgs *args;
  gint64 start;

  eap_web_client_set_timeout (c->client, 1);
  CU_ASSERT_EQUAL (eap_web_client_get_timeout (c->client), 1);

  start = g_get_monotonic_time ();
  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, NULL);
  CU_ASSERT_TRUE (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC);
  assert_listing (c, "");
  assert_listing_at_completed (c, GINT_TO_POINTER (1), "");
}

/* ------------------------------------------------------------------ */
/* TLS                                                                  */
/* ------------------------------------------------------------------ */

static void
test_tls_self_signed_rejected (void)
{
  g_autoptr(TestServer) ts = test_server_new (TRUE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/one");
  g_autofree char *path = client_path (c, "tls.bin");
  EapCompletedArgs *args;
  const GError *e;

  CU_ASSERT_PTR_NULL (eap_web_client_get_tls_database (c->client));

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  e = eap_completed_args_get_error (args);
  CU_ASSERT_PTR_NOT_NULL (e);
  if (e != NULL && e->domain != G_TLS_ERROR)
    fprintf (stderr, "\n  TLS: got %s %d: %s\n", g_quark_to_string (e->domain), e->code, e->message);
  CU_ASSERT_TRUE (e != NULL && e->domain == G_TLS_ERROR);
  CU_ASSERT_TRUE (e != NULL && strstr (e->message, uri) != NULL);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));

  args = download_file (c, uri, path, GINT_TO_POINTER (2));
  e = eap_completed_args_get_error (args);
  CU_ASSERT_TRUE (e != NULL && e->domain == G_TLS_ERROR);
  assert_listing (c, "");
  g_mutex_lock (&ts->mutex);
  CU_ASSERT_EQUAL (ts->n_requests, 0);   /* nothing got through */
  g_mutex_unlock (&ts->mutex);
}

static void
test_tls_accepted_with_database (void)
{
  g_autoptr(TestServer) ts = test_server_new (TRUE);
  g_autoptr(TestServer) plain = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/one");
  g_autofree char *http_target = test_server_uri (plain, "/one");
  g_autofree char *goto_path = g_strconcat ("/goto?to=", http_target, NULL);
  g_autofree char *downgrade = test_server_uri (ts, goto_path);
  g_autofree char *path_part = g_strdup_printf ("/gen/%u/4", 3 * 1024 * 1024);
  g_autofree char *big_uri = test_server_uri (ts, path_part);
  g_autofree char *path = client_path (c, "tls.bin");
  g_autofree char *expected = web_test_pattern_sha256 (3 * 1024 * 1024, 4);
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (WEB_TEST_DATADIR "/test-cert.pem", &error);
  EapCompletedArgs *args;

  g_assert_no_error (error);
  eap_web_client_set_tls_database (c->client, db);
  CU_ASSERT_PTR_EQUAL (eap_web_client_get_tls_database (c->client), db);

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), "x", 1));

  args = download_file (c, big_uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  web_test_check_progress (c->rec, GINT_TO_POINTER (2), TRUE, NULL);

  /* https -> http is refused by default */
  args = download_bytes (c, downgrade, GINT_TO_POINTER (3));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, EAP_HTTP_ERROR_REDIRECT_REFUSED, NULL);
  g_mutex_lock (&plain->mutex);
  CU_ASSERT_EQUAL (plain->n_requests, 0);
  g_mutex_unlock (&plain->mutex);
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

static void
test_non_ascii_file_name (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/gen/5000/5");
  g_autofree char *path = client_path (c, "grüße ✓.txt");
  g_autofree char *got = NULL;
  g_autofree char *expected = web_test_pattern_sha256 (5000, 5);
  EapCompletedArgs *args;

  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  assert_listing (c, "grüße ✓.txt");
  CU_ASSERT_STRING_EQUAL (eap_download_file_completed_args_get_path (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args), NULL),
                          path);
}

static void
test_existing_destination (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *ok_uri = test_server_uri (ts, "/gen/70000/6");
  g_autofree char *bad_uri = test_server_uri (ts, "/status/404");
  g_autofree char *path = client_path (c, "dest.bin");
  g_autofree char *expected = web_test_pattern_sha256 (70000, 6);
  g_autofree char *got = NULL;
  EapCompletedArgs *args;

  web_test_write_file (path, "precious", 8);

  args = download_file (c, bad_uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, 404, NULL);
  CU_ASSERT_TRUE (web_test_file_equals (path, "precious", 8));
  assert_listing (c, "dest.bin");

  args = download_file (c, ok_uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  assert_listing (c, "dest.bin");
}

static void
test_missing_folder (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/one");
  g_autofree char *path = g_build_filename (c->dir, "missing", "sub", "out.bin", NULL);
  EapCompletedArgs *args;

  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, NULL);
  assert_listing (c, "");
}

static void
test_directory_as_path (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/one");
  g_autofree char *sub = client_path (c, "adir");
  EapCompletedArgs *args;

  CU_ASSERT_EQUAL (g_mkdir (sub, 0700), 0);
  args = download_file (c, uri, sub, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, NULL);
  CU_ASSERT_TRUE (g_file_test (sub, G_FILE_TEST_IS_DIR));
  assert_listing (c, "adir");

  args = download_file (c, uri, c->dir, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, NULL);
  assert_listing (c, "adir");
}

#define N_AT_ONCE 20

static void
test_twenty_at_once (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  GString *expected_listing = g_string_new (NULL);
  char *paths[N_AT_ONCE];

  for (guint i = 0; i < N_AT_ONCE; i++)
    {
      g_autofree char *p = g_strdup_printf ("/gen/%u/%u", 200000 + i * 1000, i + 10);
      g_autofree char *uri = test_server_uri (ts, p);
      g_autofree char *name = g_strdup_printf ("f%02u.bin", i);

      paths[i] = client_path (c, name);
      start_download_file (c, uri, paths[i], GUINT_TO_POINTER (i + 1));
      g_string_append_printf (expected_listing, "%s%s", i ? "|" : "", name);
    }
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (c->client)), N_AT_ONCE);
  CU_ASSERT_TRUE (eap_component_get_is_busy (EAP_COMPONENT (c->client)));

  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (c->rec, N_AT_ONCE, WAIT_MS));
  CU_ASSERT_EQUAL (c->rec->n_completed, N_AT_ONCE);

  for (guint i = 0; i < N_AT_ONCE; i++)
    {
      EapCompletedArgs *args = web_test_find_completed (c->rec, GUINT_TO_POINTER (i + 1));
      g_autofree char *expected = web_test_pattern_sha256 (200000 + i * 1000, i + 10);
      g_autofree char *got = web_test_file_sha256 (paths[i]);

      WEB_TEST_ASSERT_SUCCESS (args);
      CU_ASSERT_STRING_EQUAL (got, expected);
      web_test_check_progress (c->rec, GUINT_TO_POINTER (i + 1), TRUE, NULL);
      g_free (paths[i]);
    }
  assert_listing (c, expected_listing->str);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (c->client)));
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (c->client)), 0);
  g_string_free (expected_listing, TRUE);
}

/* ------------------------------------------------------------------ */
/* Resume                                                               */
/* ------------------------------------------------------------------ */

#define RESUME_SIZE ((gsize) 3 * 1024 * 1024)

static void
test_resume_with_range (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_DROP, RESUME_SIZE, 1000000, 8);
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *drop_uri = raw_server_uri (rs, "/big");
  g_autofree char *gen_path = g_strdup_printf ("/gen/%" G_GSIZE_FORMAT "/8", RESUME_SIZE);
  g_autofree char *uri = test_server_uri (ts, gen_path);
  g_autofree char *path = client_path (c, "big.bin");
  g_autofree char *part = client_path (c, "big.bin.part");
  g_autofree char *expected = web_test_pattern_sha256 (RESUME_SIZE, 8);
  g_autofree char *got = NULL;
  g_autofree char *range = NULL;
  g_autofree char *want_range = NULL;
  g_autofree guint8 *prefix = NULL;
  g_autofree char *part_data = NULL;
  gsize part_len = 0;
  EapCompletedArgs *args;

  eap_web_client_set_resume (c->client, TRUE);
  CU_ASSERT_TRUE (eap_web_client_get_resume (c->client));

  /* An interrupted download keeps its partial file. */
  args = download_file (c, drop_uri, path, GINT_TO_POINTER (1));
  CU_ASSERT_PTR_NOT_NULL (eap_completed_args_get_error (args));
  assert_listing (c, "big.bin.part");
  assert_listing_at_completed (c, GINT_TO_POINTER (1), "big.bin.part");
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (part, &part_data, &part_len, NULL));
  CU_ASSERT_TRUE_FATAL (part_len > 0 && part_len <= 1000000);
  prefix = web_test_pattern_new (part_len, 8);
  CU_ASSERT_EQUAL (memcmp (part_data, prefix, part_len), 0);

  /* The next one asks for the rest and appends the 206. */
  args = download_file (c, uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 206);
  range = server_dup_field (ts, &ts->last_range);
  want_range = g_strdup_printf ("bytes=%" G_GSIZE_FORMAT "-", part_len);
  CU_ASSERT_STRING_EQUAL (range, want_range);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  CU_ASSERT_EQUAL (eap_download_file_completed_args_get_size (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args), NULL),
                   (gint64) RESUME_SIZE);
  assert_listing (c, "big.bin");
  web_test_check_progress (c->rec, GINT_TO_POINTER (2), TRUE, NULL);
}

static void
test_resume_server_ignores_range (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *norange_path = g_strdup_printf ("/norange/%" G_GSIZE_FORMAT "/9", RESUME_SIZE);
  g_autofree char *uri = test_server_uri (ts, norange_path);
  g_autofree char *path = client_path (c, "big.bin");
  g_autofree char *part = client_path (c, "big.bin.part");
  g_autofree char *expected = web_test_pattern_sha256 (RESUME_SIZE, 9);
  g_autofree char *got = NULL;
  g_autofree char *range = NULL;
  guint8 junk[1000];
  EapCompletedArgs *args;

  /* A partial that does not match: a 200 must replace it, not extend it. */
  memset (junk, 0xAA, sizeof junk);
  web_test_write_file (part, junk, sizeof junk);
  eap_web_client_set_resume (c->client, TRUE);

  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 200);
  range = server_dup_field (ts, &ts->last_range);
  CU_ASSERT_STRING_EQUAL (range, "bytes=1000-");
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  assert_listing (c, "big.bin");
  web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, NULL);
}

static void
test_resume_416 (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/gen/5000/3");
  g_autofree char *path = client_path (c, "small.bin");
  g_autofree char *part = client_path (c, "small.bin.part");
  g_autofree char *range = NULL;
  g_autofree guint8 *junk = web_test_pattern_new (6000, 1);
  g_autofree guint8 *good = NULL;
  EapCompletedArgs *args;

  /* A partial longer than the resource: the server answers 416. */
  web_test_write_file (part, junk, 6000);
  eap_web_client_set_resume (c->client, TRUE);

  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE, uri);
  range = server_dup_field (ts, &ts->last_range);
  CU_ASSERT_STRING_EQUAL (range, "bytes=6000-");
  CU_ASSERT_FALSE (g_file_test (path, G_FILE_TEST_EXISTS));
  /* as documented: the partial that could not be resumed is removed */
  assert_listing (c, "");

  /* As documented: a 416 whose Content-Range says the partial already
   * holds the whole resource completes the download from it. */
  good = web_test_pattern_new (5000, 3);
  web_test_write_file (part, good, 5000);
  args = download_file (c, uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  g_free (range);
  range = server_dup_field (ts, &ts->last_range);
  CU_ASSERT_STRING_EQUAL (range, "bytes=5000-");
  CU_ASSERT_TRUE (web_test_file_equals (path, (const char *) good, 5000));
  assert_listing (c, "small.bin");
  web_test_check_progress (c->rec, GINT_TO_POINTER (2), TRUE, NULL);
}

/* ------------------------------------------------------------------ */
/* Strings, uploads, headers                                            */
/* ------------------------------------------------------------------ */

static void
test_download_string_charsets (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *utf8_uri = test_server_uri (ts, "/text/utf8-default");
  g_autofree char *latin1_uri = test_server_uri (ts, "/text/latin1");
  g_autofree char *invalid_uri = test_server_uri (ts, "/text/invalid");
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;

  args = download_string (c, utf8_uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_STRING_EQUAL (eap_download_string_completed_args_get_text (EAP_DOWNLOAD_STRING_COMPLETED_ARGS (args), NULL),
                          "grüße ✓");

  args = download_string (c, latin1_uri, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_STRING_EQUAL (eap_download_string_completed_args_get_text (EAP_DOWNLOAD_STRING_COMPLETED_ARGS (args), NULL),
                          "grüße");

  args = download_string (c, invalid_uri, GINT_TO_POINTER (3));
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, NULL);
  CU_ASSERT_PTR_NULL (eap_download_string_completed_args_get_text (EAP_DOWNLOAD_STRING_COMPLETED_ARGS (args), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
}

/* R58: counts this process's descriptors open on @path. */
static guint
count_fds_on (const char *path)
{
  GDir *d = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && g_str_equal (target, path))
        n++;
    }
  g_dir_close (d);

  return n;
}

typedef struct
{
  const char *path;
  gint        n_fds_at_completed;
} FdCheck;

static void
check_fds_at_completed (EapComponent     *component,
                        EapCompletedArgs *args,
                        FdCheck          *check)
{
  check->n_fds_at_completed = (gint) count_fds_on (check->path);
}

static char *
expected_echo (const char *method,
               const char *type,
               GBytes     *data)
{
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);

  return g_strdup_printf ("%s %s %" G_GSIZE_FORMAT " %s", method, type, g_bytes_get_size (data), sha);
}

static void
check_upload_progress (Client   *c,
                       gpointer  state,
                       gint64    to_send,
                       gint64    response_len)
{
  EapWebProgressArgs *last = web_test_check_progress (c->rec, state, TRUE, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  /* R36: sent and received in separate fields */
  CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_sent (last), to_send);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_total_bytes_to_send (last), to_send);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_bytes_received (last), response_len);
  /* the documented combination: done = sent + received, total = both totals */
  CU_ASSERT_EQUAL (eap_progress_args_get_done (EAP_PROGRESS_ARGS (last)), to_send + response_len);
  if (eap_web_progress_args_get_total_bytes (last) >= 0)
    CU_ASSERT_EQUAL (eap_progress_args_get_total (EAP_PROGRESS_ARGS (last)),
                     to_send + eap_web_progress_args_get_total_bytes (last));
}

static void
test_upload_bytes_and_file (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/echo");
  g_autofree char *path = client_path (c, "upload grüße.bin");
  gsize size = 4 * 1024 * 1024;
  g_autoptr(GBytes) data = g_bytes_new_take (web_test_pattern_new (size, 11), size);
  g_autoptr(GBytes) file_data = g_bytes_new_take (web_test_pattern_new (1024 * 1024 + 3, 12), 1024 * 1024 + 3);
  g_autofree char *want_bytes = expected_echo ("POST", "application/x-test", data);
  g_autoptr(GError) error = NULL;
  GBytes *response;
  FdCheck check = { NULL, -1 };
  EapCompletedArgs *args;
  gulong id;

  eap_component_set_progress_interval (EAP_COMPONENT (c->client), 0);

  CU_ASSERT_TRUE (eap_web_client_upload_bytes_async (c->client, uri, "POST", "application/x-test",
                                                     data, GINT_TO_POINTER (1), &error));
  CU_ASSERT_PTR_NULL (error);
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (1), WAIT_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (EAP_IS_UPLOAD_COMPLETED_ARGS (args));
  WEB_TEST_ASSERT_SUCCESS (args);
  response = eap_upload_completed_args_get_response (EAP_UPLOAD_COMPLETED_ARGS (args), NULL);
  CU_ASSERT_TRUE (bytes_equal_str (response, want_bytes, strlen (want_bytes)));
  check_upload_progress (c, GINT_TO_POINTER (1), (gint64) size, (gint64) strlen (want_bytes));

  /* upload-file: PUT, from a non-ASCII name; R58 no descriptor on the
   * file is left open when completed is emitted */
  web_test_write_file (path, g_bytes_get_data (file_data, NULL), g_bytes_get_size (file_data));
  check.path = path;
  id = g_signal_connect (c->client, "completed::upload-file", G_CALLBACK (check_fds_at_completed), &check);
  CU_ASSERT_TRUE (eap_web_client_upload_file_async (c->client, uri, "PUT", path, GINT_TO_POINTER (2), &error));
  CU_ASSERT_PTR_NULL (error);
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (2), WAIT_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (EAP_IS_UPLOAD_COMPLETED_ARGS (args));
  WEB_TEST_ASSERT_SUCCESS (args);
  response = eap_upload_completed_args_get_response (EAP_UPLOAD_COMPLETED_ARGS (args), NULL);
  CU_ASSERT_TRUE_FATAL (response != NULL);
  {
    g_autofree char *got = g_strndup (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
    g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, file_data);
    g_autofree char *tail = g_strdup_printf (" %" G_GSIZE_FORMAT " %s", g_bytes_get_size (file_data), sha);

    /* the content type of a file upload is the component's guess */
    CU_ASSERT_TRUE (g_str_has_prefix (got, "PUT "));
    CU_ASSERT_TRUE (g_str_has_suffix (got, tail));
    check_upload_progress (c, GINT_TO_POINTER (2), (gint64) g_bytes_get_size (file_data),
                           (gint64) strlen (got));
  }
  CU_ASSERT_EQUAL (check.n_fds_at_completed, 0);   /* R58 */

  /* a missing file fails through completed (R12), with R58 too */
  {
    g_autofree char *missing = client_path (c, "missing.bin");

    check.path = missing;
    check.n_fds_at_completed = -1;
    CU_ASSERT_TRUE (eap_web_client_upload_file_async (c->client, uri, "PUT", missing,
                                                      GINT_TO_POINTER (3), &error));
    CU_ASSERT_PTR_NULL (error);
    args = web_test_wait_completed (c->rec, GINT_TO_POINTER (3), WAIT_MS);
    WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, NULL);
    CU_ASSERT_EQUAL (check.n_fds_at_completed, 0);
  }
  g_clear_signal_handler (&id, c->client);
}

static void
test_request_and_response_headers (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/headers");
  g_auto(GStrv) names = NULL;
  EapCompletedArgs *args;
  gboolean found = FALSE;

  eap_web_client_set_user_agent (c->client, "eap-test/1.0");
  CU_ASSERT_STRING_EQUAL (eap_web_client_get_user_agent (c->client), "eap-test/1.0");
  eap_web_client_set_request_header (c->client, "X-Eap-Test", "hello");
  CU_ASSERT_STRING_EQUAL (eap_web_client_get_request_header (c->client, "X-Eap-Test"), "hello");

  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), "UA=eap-test/1.0\nX=hello",
                                   strlen ("UA=eap-test/1.0\nX=hello")));
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_response_header (EAP_WEB_COMPLETED_ARGS (args), "X-Reply"),
                          "yes");
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_response_header (EAP_WEB_COMPLETED_ARGS (args), "x-reply"),
                          "yes");
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 200);
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_reason_phrase (EAP_WEB_COMPLETED_ARGS (args)), "OK");
  names = eap_web_completed_args_dup_response_header_names (EAP_WEB_COMPLETED_ARGS (args));
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    found |= g_ascii_strcasecmp (names[i], "X-Reply") == 0;
  CU_ASSERT_TRUE (found);

  /* a header removed (NULL) no longer reaches the server */
  eap_web_client_set_request_header (c->client, "X-Eap-Test", NULL);
  CU_ASSERT_PTR_NULL (eap_web_client_get_request_header (c->client, "X-Eap-Test"));
  args = download_bytes (c, uri, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), "UA=eap-test/1.0\nX=",
                                   strlen ("UA=eap-test/1.0\nX=")));
}

/* ------------------------------------------------------------------ */
/* Transport and argument errors                                        */
/* ------------------------------------------------------------------ */

static void
test_connection_refused (void)
{
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = NULL;
  g_autofree char *path = client_path (c, "refused.bin");
  GSocket *sock;
  guint16 port;
  EapCompletedArgs *args;

  /* A port that was just bound, and closed without listening. */
  sock = bind_loopback (&port);
  g_socket_close (sock, NULL);
  g_object_unref (sock);
  uri = g_strdup_printf ("http://127.0.0.1:%u/x", port);

  args = download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, uri);
  assert_listing (c, "");
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 0);
}

static void
test_unknown_host (void)
{
  g_autoptr(Client) c = client_new ();
  EapCompletedArgs *args;
  const GError *e;

  args = download_bytes (c, "http://nonexistent.invalid/", GINT_TO_POINTER (1));
  e = eap_completed_args_get_error (args);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  fprintf (stderr, "\n  [unknown host: %s %d: %s]\n", g_quark_to_string (e->domain), e->code, e->message);
  CU_ASSERT_TRUE (e->domain == G_RESOLVER_ERROR || e->domain == G_IO_ERROR);
  if (e->domain == G_RESOLVER_ERROR)
    CU_ASSERT_TRUE (e->code == G_RESOLVER_ERROR_NOT_FOUND || e->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE);
  CU_ASSERT_TRUE (strstr (e->message, "nonexistent.invalid") != NULL);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
}

static void
test_bad_uri (void)
{
  g_autoptr(Client) c = client_new ();
  g_autofree char *path = client_path (c, "bad.bin");
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;

  /* R12: accepted, then failed through completed, never synchronously */
  CU_ASSERT_TRUE (eap_web_client_download_bytes_async (c->client, "not a uri", GINT_TO_POINTER (1), &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_EQUAL (c->rec->n_completed, 0);
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (1), WAIT_MS);
  WEB_TEST_ASSERT_ERROR (args, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);
  CU_ASSERT_TRUE (args != NULL && EAP_IS_DOWNLOAD_BYTES_COMPLETED_ARGS (args));

  args = download_file (c, "ftp://127.0.0.1/x", path, GINT_TO_POINTER (2));
  CU_ASSERT_PTR_NOT_NULL (eap_completed_args_get_error (args));
  assert_listing (c, "");
}

static void
test_duplicate_user_state (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 1024 * 1024, 1000, 2);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autofree char *path = client_path (c, "a.bin");
  g_autofree char *path2 = client_path (c, "b.bin");
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;
  guint n_events;

  start_download_file (c, uri, path, GINT_TO_POINTER (1));
  n_events = c->rec->events->len;

  CU_ASSERT_FALSE (eap_web_client_download_file_async (c->client, uri, path2, GINT_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  CU_ASSERT_FALSE (eap_web_client_download_bytes_async (c->client, uri, GINT_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  CU_ASSERT_EQUAL (c->rec->events->len, n_events);   /* emits nothing */
  CU_ASSERT_EQUAL (eap_component_get_n_operations (EAP_COMPONENT (c->client)), 1);

  eap_component_cancel_async (EAP_COMPONENT (c->client), GINT_TO_POINTER (1));
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (1), WAIT_MS);
  CU_ASSERT_TRUE (args != NULL && eap_completed_args_get_cancelled (args));
  eap_test_drain ();
  CU_ASSERT_EQUAL (c->rec->n_completed, 1);
  assert_listing (c, "");
}

static void
test_close_with_downloads_in_flight (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 1024 * 1024, 5000, 2);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autoptr(GError) error = NULL;
  RawWait stalled = { rs, 4 };
  RawWait closed = { rs, 4 };
  GBytes *bytes;

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%u.bin", i);
      g_autofree char *path = client_path (c, name);

      start_download_file (c, uri, path, GUINT_TO_POINTER (i));
    }
  CU_ASSERT_TRUE (eap_web_client_download_bytes_async (c->client, uri, GUINT_TO_POINTER (4), &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (raw_has_stalled, &stalled, WAIT_MS));

  eap_component_close (EAP_COMPONENT (c->client));
  CU_ASSERT_EQUAL (c->rec->n_completed, 0);      /* R26: nothing synchronous */

  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (c->rec, 4, WAIT_MS));
  for (guint i = 1; i <= 4; i++)
    {
      EapCompletedArgs *args = web_test_find_completed (c->rec, GUINT_TO_POINTER (i));

      CU_ASSERT_TRUE (args != NULL && eap_completed_args_get_cancelled (args));   /* R49 */
      CU_ASSERT_TRUE (args != NULL && eap_completed_args_get_error (args) == NULL);
      /* R57: each operation's own temporary file is gone before its own
       * completed; the others' may still be there, as they complete on
       * their own in any order. */
      if (i <= 3)
        {
          g_autofree char *name = g_strdup_printf ("f%u.bin", i);

          assert_listing_at_completed_lacks (c, GUINT_TO_POINTER (i), name);
        }
    }
  eap_test_drain ();
  CU_ASSERT_EQUAL (c->rec->n_completed, 4);
  assert_listing (c, "");                        /* R57 */
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (c->client)));
  CU_ASSERT_TRUE (eap_test_wait_until (raw_has_closed, &closed, EAP_TEST_TIMEOUT_MS));

  /* R50: closed refuses, synchronously, async and blocking alike */
  CU_ASSERT_FALSE (eap_web_client_download_bytes_async (c->client, uri, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_error (&error);
  bytes = eap_web_client_download_bytes (c->client, uri, NULL, &error);
  CU_ASSERT_PTR_NULL (bytes);
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));
  g_clear_pointer (&bytes, g_bytes_unref);
}

/* ------------------------------------------------------------------ */
/* Blocking twins                                                       */
/* ------------------------------------------------------------------ */

static void
test_blocking_twins (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *one = test_server_uri (ts, "/one");
  g_autofree char *text_uri = test_server_uri (ts, "/text/latin1");
  g_autofree char *gen = test_server_uri (ts, "/gen/300000/13");
  g_autofree char *missing = test_server_uri (ts, "/status/404");
  g_autofree char *echo = test_server_uri (ts, "/echo");
  g_autofree char *path = client_path (c, "blocking.bin");
  g_autofree char *upath = client_path (c, "up.bin");
  g_autofree char *expected = web_test_pattern_sha256 (300000, 13);
  g_autofree char *got = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GBytes) payload = g_bytes_new_static ("hello", 5);
  g_autofree char *want_echo = expected_echo ("POST", "text/plain", payload);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = eap_web_client_download_bytes (c->client, one, NULL, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (bytes_equal_str (bytes, "x", 1));
  g_clear_pointer (&bytes, g_bytes_unref);

  text = eap_web_client_download_string (c->client, text_uri, NULL, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_STRING_EQUAL (text, "grüße");

  CU_ASSERT_TRUE (eap_web_client_download_file (c->client, gen, path, NULL, &error));
  CU_ASSERT_PTR_NULL (error);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  assert_listing (c, "blocking.bin");

  CU_ASSERT_FALSE (eap_web_client_download_file (c->client, missing, path, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_HTTP_ERROR, 404));
  g_clear_error (&error);
  g_free (got);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);     /* R57 for the twin too */
  assert_listing (c, "blocking.bin");

  bytes = eap_web_client_download_bytes (c->client, missing, NULL, &error);
  CU_ASSERT_PTR_NULL (bytes);
  CU_ASSERT_TRUE (g_error_matches (error, EAP_HTTP_ERROR, 404));
  g_clear_error (&error);

  bytes = eap_web_client_upload_bytes (c->client, echo, "POST", "text/plain", payload, NULL, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (bytes_equal_str (bytes, want_echo, strlen (want_echo)));
  g_clear_pointer (&bytes, g_bytes_unref);

  web_test_write_file (upath, "hello", 5);
  bytes = eap_web_client_upload_file (c->client, echo, "PUT", upath, NULL, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (bytes != NULL && g_str_has_prefix (g_bytes_get_data (bytes, NULL), "PUT "));
  g_clear_pointer (&bytes, g_bytes_unref);

  /* R8 R60: no signals, never busy */
  eap_test_drain ();
  CU_ASSERT_EQUAL (c->rec->events->len, 0);
  CU_ASSERT_FALSE (eap_component_get_is_busy (EAP_COMPONENT (c->client)));
}

typedef struct
{
  RawServer    *rs;
  GCancellable *cancellable;
  gint64        cancel_time;
} Canceller;

static gpointer
canceller_thread (gpointer data)
{
  Canceller *cl = data;

  if (raw_wait_stalled_blocking (cl->rs, 1, WAIT_MS))
    {
      /* the stalled server has sent its part: cancel while the client
       * reads or waits, which must work either way */
      cl->cancel_time = g_get_monotonic_time ();
      g_cancellable_cancel (cl->cancellable);
    }
  else
    g_cancellable_cancel (cl->cancellable);   /* never leave the test blocked */

  return NULL;
}

static void
test_blocking_twin_cancel (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 1024 * 1024, 100000, 2);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autofree char *path = client_path (c, "twin.bin");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Canceller cl = { rs, cancellable, 0 };
  GThread *thread;
  gint64 returned;

  thread = g_thread_new ("canceller", canceller_thread, &cl);
  CU_ASSERT_FALSE (eap_web_client_download_file (c->client, uri, path, cancellable, &error));
  returned = g_get_monotonic_time ();
  g_thread_join (thread);

  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  CU_ASSERT_TRUE (cl.cancel_time > 0);
  if (cl.cancel_time > 0 && returned - cl.cancel_time > 250 * 1000)
    fprintf (stderr, "\n  twin cancelled after %" G_GINT64_FORMAT " ms\n", (returned - cl.cancel_time) / 1000);
  CU_ASSERT_TRUE (cl.cancel_time > 0 && returned - cl.cancel_time <= 250 * 1000);
  assert_listing (c, "");
  eap_test_drain ();
  CU_ASSERT_EQUAL (c->rec->events->len, 0);
}

static void
test_redirect_methods_and_limit (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autoptr(GBytes) data = g_bytes_new_take (web_test_pattern_new (1000, 1), 1000);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autofree char *want_post = expected_echo ("POST", "application/x-test", data);
  g_autofree char *empty_sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, empty);
  g_autofree char *want_get_tail = g_strdup_printf (" 0 %s", empty_sha);
  g_autofree char *ok_uri = test_server_uri (ts, "/chain/3");
  g_autofree char *long_uri = test_server_uri (ts, "/chain/4");
  g_autoptr(GError) error = NULL;
  static const guint codes[] = { 301, 302, 303, 307, 308 };
  EapCompletedArgs *args;

  /* As documented: 307 and 308 repeat the request, body included; 301,
   * 302 and 303 turn a POST into a GET without a body. */
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *p = g_strdup_printf ("/redirect-echo/%u", codes[i]);
      g_autofree char *uri = test_server_uri (ts, p);
      g_autofree char *got = NULL;
      GBytes *response;

      CU_ASSERT_TRUE (eap_web_client_upload_bytes_async (c->client, uri, "POST", "application/x-test",
                                                         data, GUINT_TO_POINTER (codes[i]), &error));
      CU_ASSERT_PTR_NULL (error);
      args = web_test_wait_completed (c->rec, GUINT_TO_POINTER (codes[i]), WAIT_MS);
      CU_ASSERT_PTR_NOT_NULL_FATAL (args);
      WEB_TEST_ASSERT_SUCCESS (args);
      response = eap_upload_completed_args_get_response (EAP_UPLOAD_COMPLETED_ARGS (args), NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL (response);
      got = g_strndup (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
      if (codes[i] >= 307)
        {
          if (!g_str_equal (got, want_post))
            fprintf (stderr, "\n  %u: server saw “%s”\n", codes[i], got);
          CU_ASSERT_STRING_EQUAL (got, want_post);
        }
      else
        {
          if (!g_str_has_prefix (got, "GET ") || !g_str_has_suffix (got, want_get_tail))
            fprintf (stderr, "\n  %u: server saw “%s”\n", codes[i], got);
          CU_ASSERT_TRUE (g_str_has_prefix (got, "GET "));
          CU_ASSERT_TRUE (g_str_has_suffix (got, want_get_tail));
        }
    }

  /* max-redirects: 3 are followed, a 4th is too many */
  eap_web_client_set_max_redirects (c->client, 3);
  CU_ASSERT_EQUAL (eap_web_client_get_max_redirects (c->client), 3);
  args = download_bytes (c, ok_uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_TRUE (bytes_equal_str (args_bytes (args), "x", 1));
  args = download_bytes (c, long_uri, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_ERROR (args, EAP_HTTP_ERROR, EAP_HTTP_ERROR_TOO_MANY_REDIRECTS, NULL);
}

typedef struct
{
  char         *uri;
  EapWebClient *client;
  GMainContext *context;       /* (owned): the thread's */
  gint          done;          /* atomic */
  gboolean      in_context;
  gboolean      success;
  gboolean      accepted;
  GThread      *emitter;
} OtherThread;

static void
other_thread_completed (EapComponent     *component,
                        EapCompletedArgs *args,
                        OtherThread      *ot)
{
  if (eap_completed_args_get_user_state (args) != GINT_TO_POINTER (100))
    return;
  ot->in_context = g_main_context_is_owner (ot->context);
  ot->emitter = g_thread_self ();
  ot->success = eap_completed_args_get_error (args) == NULL &&
                !eap_completed_args_get_cancelled (args);
  g_atomic_int_set (&ot->done, 1);
}

static gpointer
other_thread_main (gpointer data)
{
  OtherThread *ot = data;
  gint64 deadline = eap_test_deadline (WAIT_MS);

  g_main_context_push_thread_default (ot->context);
  ot->accepted = eap_web_client_download_bytes_async (ot->client, ot->uri, GINT_TO_POINTER (100), NULL);
  while (ot->accepted && !g_atomic_int_get (&ot->done) && !eap_test_deadline_passed (deadline))
    g_main_context_iteration (ot->context, TRUE);
  /* let the op's last sources run, then leave */
  while (g_main_context_iteration (ot->context, FALSE))
    ;
  g_main_context_pop_thread_default (ot->context);

  return NULL;
}

static void
test_contexts_per_op (void)
{
  g_autoptr(TestServer) ts = test_server_new (FALSE);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = test_server_uri (ts, "/gen/500000/2");
  g_autofree char *expected = web_test_pattern_sha256 (500000, 2);
  OtherThread ot = { 0, };
  GThread *thread;
  EapCompletedArgs *args;
  gulong id;
  guint n_out_of_context = 0;

  ot.uri = uri;
  ot.client = c->client;
  ot.context = g_main_context_new ();
  id = g_signal_connect (c->client, "completed", G_CALLBACK (other_thread_completed), &ot);

  /* R39: one op from another thread's context, one from ours, at once */
  thread = g_thread_new ("other-context", other_thread_main, &ot);
  args = download_bytes (c, uri, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  {
    GBytes *b = args_bytes (args);
    g_autofree char *sha = b ? g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, b) : NULL;

    CU_ASSERT_STRING_EQUAL (sha, expected);
  }
  g_thread_join (thread);

  CU_ASSERT_TRUE (ot.accepted);
  CU_ASSERT_TRUE (g_atomic_int_get (&ot.done));
  CU_ASSERT_TRUE (ot.in_context);      /* R38 */
  CU_ASSERT_TRUE (ot.emitter == thread);
  CU_ASSERT_TRUE (ot.success);

  /* every emission for our op came in our context */
  g_mutex_lock (&c->rec->mutex);
  for (guint i = 0; i < c->rec->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (c->rec->events, EapTestEvent, i);
      gpointer state = NULL;

      if (event->kind == EAP_TEST_EVENT_COMPLETED)
        state = eap_completed_args_get_user_state (EAP_COMPLETED_ARGS (event->args));
      else if (event->kind == EAP_TEST_EVENT_PROGRESS)
        state = eap_progress_args_get_user_state (EAP_PROGRESS_ARGS (event->args));
      if (state == GINT_TO_POINTER (1) && !event->in_context)
        n_out_of_context++;
    }
  g_mutex_unlock (&c->rec->mutex);
  CU_ASSERT_EQUAL (n_out_of_context, 0);

  g_clear_signal_handler (&id, c->client);
  g_main_context_unref (ot.context);
}

static void
test_max_connections_per_host (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 1024 * 1024, 1000, 2);
  g_autoptr(Client) c = client_new ();
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autoptr(GError) error = NULL;
  RawWait one = { rs, 1 };
  RawWait two = { rs, 2 };
  EapCompletedArgs *args;

  eap_web_client_set_max_connections_per_host (c->client, 1);
  CU_ASSERT_EQUAL (eap_web_client_get_max_connections_per_host (c->client), 1);

  CU_ASSERT_TRUE (eap_web_client_download_bytes_async (c->client, uri, GINT_TO_POINTER (1), &error));
  CU_ASSERT_TRUE (eap_web_client_download_bytes_async (c->client, uri, GINT_TO_POINTER (2), &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (raw_has_stalled, &one, WAIT_MS));
  /* the second waits for the one connection allowed */
  eap_test_drain ();
  CU_ASSERT_EQUAL (raw_get (rs, &rs->n_connections), 1);

  eap_component_cancel_async (EAP_COMPONENT (c->client), GINT_TO_POINTER (1));
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (1), WAIT_MS);
  CU_ASSERT_TRUE (args != NULL && eap_completed_args_get_cancelled (args));
  /* now the second one gets its connection */
  CU_ASSERT_TRUE (eap_test_wait_until (raw_has_stalled, &two, WAIT_MS));
  CU_ASSERT_PTR_NULL (web_test_find_completed (c->rec, GINT_TO_POINTER (2)));

  eap_component_cancel_async (EAP_COMPONENT (c->client), GINT_TO_POINTER (2));
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (2), WAIT_MS);
  CU_ASSERT_TRUE (args != NULL && eap_completed_args_get_cancelled (args));
}

/* Three wait_async records: all called? */
static gboolean
all_three_called (gpointer data)
{
  EapTestWaitAsync *waits = data;

  return waits[0].n_calls > 0 && waits[1].n_calls > 0 && waits[2].n_calls > 0;
}

static void
test_dispose_with_downloads_in_flight (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_STALL, 1024 * 1024, 5000, 2);
  g_autofree char *uri = raw_server_uri (rs, "/stall");
  g_autofree char *dir = web_test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  EapWebClient *client = eap_web_client_new ();
  EapTestWaitAsync *waits = g_new0 (EapTestWaitAsync, 3);   /* heap: outlives a failed test */
  EapOperation *ops[3];
  RawWait stalled = { rs, 3 };
  RawWait closed = { rs, 3 };

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%u.bin", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      CU_ASSERT_TRUE (eap_web_client_download_file_async (client, uri, path, GUINT_TO_POINTER (i + 1), &error));
      CU_ASSERT_PTR_NULL (error);
    }
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (raw_has_stalled, &stalled, WAIT_MS));

  /* run_dispose destroys every signal handler: watch the operations. */
  for (guint i = 0; i < 3; i++)
    {
      ops[i] = eap_component_dup_operation (EAP_COMPONENT (client), GUINT_TO_POINTER (i + 1));
      CU_ASSERT_PTR_NOT_NULL_FATAL (ops[i]);
      eap_operation_wait_async (ops[i], NULL, eap_test_wait_async_cb, &waits[i]);
    }

  g_object_run_dispose (G_OBJECT (client));
  CU_ASSERT_FALSE (eap_web_client_download_bytes_async (client, uri, NULL, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));   /* R50 */
  g_clear_error (&error);
  g_object_unref (client);     /* R48: the ops keep it alive until they complete */

  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (all_three_called, waits, WAIT_MS));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EapCompletedArgs) args = eap_operation_dup_completed_args (ops[i]);

      CU_ASSERT_TRUE (g_error_matches (waits[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      CU_ASSERT_PTR_NOT_NULL (args);
      CU_ASSERT_TRUE (args != NULL && eap_completed_args_get_cancelled (args));   /* R49 */
      CU_ASSERT_TRUE (args != NULL && EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (args));
      eap_test_wait_async_clear (&waits[i]);
      g_object_unref (ops[i]);
    }
  g_free (waits);
  eap_test_drain ();
  {
    g_autofree char *listing = web_test_list_dir (dir);

    CU_ASSERT_STRING_EQUAL (listing, "");    /* R57 */
  }
  CU_ASSERT_TRUE (eap_test_wait_until (raw_has_closed, &closed, EAP_TEST_TIMEOUT_MS));
  web_test_remove_dir (dir);
}

static CU_TestInfo web_client_tests[] = {
  { "R13 R15 R35 empty body downloads to an empty file", test_empty_body },
  { "R35 one-byte body: final progress 1/1", test_one_byte_body },
  { "R32 R34 R35 64 MiB download: checksum, bounded monotonic progress ending at the total", test_big_file_checksum_bounded_progress },
  { "R33 chunked without Content-Length: total -1, indeterminate, 0 %, exact bytes", test_chunked_unknown_length },
  { "R35 gzip Content-Encoding is decoded", test_gzip_decoded },
  { "redirects 301 302 307 308 are followed; final URI in the args", test_redirects_followed },
  { "R54 redirect loop gives EAP_HTTP_ERROR_TOO_MANY_REDIRECTS", test_redirect_loop },
  { "redirects: 307/308 repeat a POST with its body, 301/302/303 turn it into GET; max-redirects", test_redirect_methods_and_limit },
  { "R12 R22 R54 R57 404 and 500: EAP_HTTP_ERROR = status, URI in message, status in args", test_http_status_errors },
  { "R57 server closes mid-body: error, no temp file, destination untouched", test_server_closes_mid_body },
  { "R26 R28 R57 stalled server + cancel: cancelled within 250 ms, connection dropped, no temp file", test_stalled_server_cancel },
  { "R19 R54 timeout on a stalled server gives G_IO_ERROR_TIMED_OUT", test_timeout_on_stalled_server },
  { "R54 TLS: self-signed server rejected by default with G_TLS_ERROR", test_tls_self_signed_rejected },
  { "TLS: accepted with tls-database; https->http redirect refused", test_tls_accepted_with_database },
  { "R57 non-ASCII file name", test_non_ascii_file_name },
  { "R57 existing destination kept on failure, replaced on success", test_existing_destination },
  { "R12 missing folder gives G_IO_ERROR_NOT_FOUND through completed", test_missing_folder },
  { "R12 a directory as path gives G_IO_ERROR_IS_DIRECTORY", test_directory_as_path },
  { "R29 R44 R45 20 downloads at once on one instance", test_twenty_at_once },
  { "R35 R57 resume: an interrupted download keeps .part, then 206 appends", test_resume_with_range },
  { "resume: a server ignoring Range (200) starts over", test_resume_server_ignores_range },
  { "R54 resume: 416 gives EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE, or completes a whole partial", test_resume_416 },
  { "R22 download-string: UTF-8 default, ISO-8859-1 charset, invalid UTF-8 is G_IO_ERROR_INVALID_DATA", test_download_string_charsets },
  { "R12 R35 R36 R58 upload-bytes and upload-file: body reaches the server, sent bytes counted, fds closed", test_upload_bytes_and_file },
  { "request headers and user-agent reach the server; response headers in the args", test_request_and_response_headers },
  { "R54 refused connection gives G_IO_ERROR_CONNECTION_REFUSED naming the URI", test_connection_refused },
  { "R54 unknown host gives a G_RESOLVER_ERROR naming the host", test_unknown_host },
  { "R12 R13 a bad URI completes with G_IO_ERROR_INVALID_ARGUMENT, never synchronously", test_bad_uri },
  { "R11 a duplicate user_state is refused synchronously", test_duplicate_user_state },
  { "R15 R49 R50 R57 close with downloads in flight: each completes cancelled, no temp files", test_close_with_downloads_in_flight },
  { "R38 R39 ops started in two threads' contexts each complete in their own", test_contexts_per_op },
  { "R29 max-connections-per-host 1 queues the second transfer", test_max_connections_per_host },
  { "R48 R49 R50 R57 dispose with downloads in flight: each completes cancelled, no temp files", test_dispose_with_downloads_in_flight },
  { "R8 R60 blocking twins: true blocking I/O, no signals, never busy", test_blocking_twins },
  { "R28 R60 a blocking twin honours its cancellable on a stalled server", test_blocking_twin_cancel },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "EapWebClient",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = web_client_tests,
    },
    {
      .pName = "Nginx",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = web_nginx_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  /* For debugging: WEB_TEST_ONLY=<text> runs only the tests whose name
   * contains it. */
  if (g_getenv ("WEB_TEST_ONLY") != NULL)
    {
      const char *only = g_getenv ("WEB_TEST_ONLY");
      guint j = 0;

      for (guint i = 0; web_client_tests[i].pName != NULL; i++)
        if (strstr (web_client_tests[i].pName, only) != NULL)
          web_client_tests[j++] = web_client_tests[i];
      web_client_tests[j] = (CU_TestInfo) CU_TEST_INFO_NULL;
    }

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
