/* test-nginx.c: EapWebClient against a real nginx on loopback (issue 4)
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test writes a minimal nginx.conf into a fresh temporary folder
 * (listen 127.0.0.1:<free port>, root in that folder, gzip on for text,
 * daemon off, single process, pid and logs in the folder), starts
 * /usr/sbin/nginx as a child, waits until the port answers, runs, then
 * kills nginx by its pid and waits for it. A missing nginx FAILS the suite:
 * scripts/setup-deps installs it.
 */

#include "web-test.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#define NGINX_BIN "/usr/sbin/nginx"
#define NGINX_BIG_SEED 21
#define NGINX_WAIT_MS 30000

typedef struct
{
  char        *dir;        /* the temporary prefix: conf, logs, www/ */
  char        *www;
  guint16      port;
  GSubprocess *proc;       /* (owned) */
  gboolean     exited;
} Nginx;

static const char text_line[] = "nginx interop: a line of text that compresses well. ✓\n";
#define TEXT_N_LINES 4000

static guint16
free_loopback_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, &error);
  guint16 port;

  g_assert_no_error (error);
  g_socket_bind (sock, addr, TRUE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_socket_close (sock, NULL);

  return port;
}

static char *
text_contents (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < TEXT_N_LINES; i++)
    g_string_append (s, text_line);
  return g_string_free (s, FALSE);
}

static void
nginx_exited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Nginx *ngx = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  ngx->exited = TRUE;
}

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the fixture's context until @ms pass or nginx exits: the pause
 * between two connection attempts while nginx starts. */
static void
wait_a_little (Nginx *ngx,
               guint  ms)
{
  GMainContext *context = eap_test_fixture ()->context;
  gboolean fired = FALSE;
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, timeout_flag_cb, &fired, NULL);
  g_source_attach (source, context);
  while (!fired && !ngx->exited)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (source);
  g_source_unref (source);
}

static gboolean
port_answers (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

static void
nginx_stop (Nginx *ngx)
{
  gint64 deadline;

  if (ngx == NULL)
    return;

  if (ngx->proc != NULL && !ngx->exited)
    {
      /* by its pid: g_subprocess_send_signal signals exactly our child */
      g_subprocess_send_signal (ngx->proc, SIGTERM);
      deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
      while (!ngx->exited && !eap_test_deadline_passed (deadline))
        wait_a_little (ngx, 50);
      if (!ngx->exited)
        {
          g_subprocess_force_exit (ngx->proc);
          while (!ngx->exited)
            g_main_context_iteration (eap_test_fixture ()->context, TRUE);
        }
    }
  g_clear_object (&ngx->proc);
  web_test_remove_dir (ngx->dir);
  g_free (ngx->dir);
  g_free (ngx->www);
  g_free (ngx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Nginx, nginx_stop)

static void
print_error_log (Nginx *ngx)
{
  g_autofree char *log_path = g_build_filename (ngx->dir, "error.log", NULL);
  g_autofree char *log = NULL;

  if (g_file_get_contents (log_path, &log, NULL, NULL))
    fprintf (stderr, "\n  nginx error.log:\n%s\n", log);
}

/* Starts nginx serving www/big.bin (64 MiB pattern) and www/text.txt.
 * Returns NULL (and fails the test) if nginx is missing or does not
 * answer. */
static Nginx *
nginx_start (void)
{
  g_autoptr(Nginx) ngx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *big = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_path = NULL;
  g_autofree guint8 *data = NULL;
  gint64 deadline;

  if (!g_file_test (NGINX_BIN, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "\n  " NGINX_BIN " is not installed: the nginx interop tests need it "
               "(scripts/setup-deps installs it; on Debian: apt-get install nginx-light)\n");
      CU_FAIL ("nginx is not installed (" NGINX_BIN ")");
      return NULL;
    }

  ngx = g_new0 (Nginx, 1);
  ngx->dir = web_test_make_tmp_dir ();
  ngx->www = g_build_filename (ngx->dir, "www", NULL);
  g_mkdir (ngx->www, 0755);
  ngx->port = free_loopback_port ();

  big = g_build_filename (ngx->www, "big.bin", NULL);
  data = web_test_pattern_new (WEB_TEST_BIG_SIZE, NGINX_BIG_SEED);
  web_test_write_file (big, data, WEB_TEST_BIG_SIZE);
  {
    g_autofree char *small = g_build_filename (ngx->www, "small.bin", NULL);
    g_autofree guint8 *small_data = web_test_pattern_new (5000, 3);

    web_test_write_file (small, small_data, 5000);
  }
  text = text_contents ();
  text_path = g_build_filename (ngx->www, "text.txt", NULL);
  web_test_write_file (text_path, text, strlen (text));

  conf = g_strdup_printf (
    "# generated by tests/web/test-nginx.c\n"
    "daemon off;\n"
    "master_process off;\n"
    "worker_processes 1;\n"
    "%s"
    "pid %s/nginx.pid;\n"
    "error_log %s/error.log warn;\n"
    "events { worker_connections 64; }\n"
    "http {\n"
    "  access_log %s/access.log;\n"
    "  client_body_temp_path %s/body;\n"
    "  proxy_temp_path %s/proxy;\n"
    "  fastcgi_temp_path %s/fastcgi;\n"
    "  uwsgi_temp_path %s/uwsgi;\n"
    "  scgi_temp_path %s/scgi;\n"
    "  types { text/plain txt; application/octet-stream bin; }\n"
    "  default_type application/octet-stream;\n"
    "  sendfile on;\n"
    "  gzip on;\n"
    "  gzip_types text/plain;\n"
    "  gzip_min_length 1;\n"
    "  server {\n"
    "    listen 127.0.0.1:%u;\n"
    "    root %s;\n"
    "  }\n"
    "}\n",
    getuid () == 0 ? "user root;\n" : "",
    ngx->dir, ngx->dir, ngx->dir, ngx->dir, ngx->dir, ngx->dir, ngx->dir, ngx->dir,
    ngx->port, ngx->www);
  conf_path = g_build_filename (ngx->dir, "nginx.conf", NULL);
  web_test_write_file (conf_path, conf, strlen (conf));

  ngx->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                NGINX_BIN, "-c", conf_path, "-p", ngx->dir,
                                "-e", "stderr", NULL);
  if (ngx->proc == NULL)
    {
      fprintf (stderr, "\n  cannot start nginx: %s\n", error->message);
      CU_FAIL ("cannot start nginx");
      return NULL;
    }
  g_subprocess_wait_async (ngx->proc, NULL, nginx_exited_cb, ngx);

  deadline = eap_test_deadline (NGINX_WAIT_MS);
  while (!port_answers (ngx->port))
    {
      if (ngx->exited || eap_test_deadline_passed (deadline))
        {
          print_error_log (ngx);
          CU_FAIL ("nginx did not answer on its port");
          return NULL;
        }
      wait_a_little (ngx, 20);
    }

  return g_steal_pointer (&ngx);
}

static char *
nginx_uri (Nginx      *ngx,
           const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", ngx->port, path);
}

typedef struct
{
  EapWebClient    *client;
  EapTestRecorder *rec;
  char            *dir;
} NgxClient;

static NgxClient *
ngx_client_new (void)
{
  NgxClient *c = g_new0 (NgxClient, 1);

  c->client = eap_web_client_new ();
  c->rec = eap_test_recorder_new (EAP_COMPONENT (c->client), NULL);
  c->dir = web_test_make_tmp_dir ();
  return c;
}

static void
ngx_client_free (NgxClient *c)
{
  if (c == NULL)
    return;
  eap_test_recorder_free (c->rec);
  g_object_unref (c->client);
  eap_test_drain ();
  web_test_remove_dir (c->dir);
  g_free (c->dir);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NgxClient, ngx_client_free)

static EapCompletedArgs *
ngx_download_file (NgxClient  *c,
                   const char *uri,
                   const char *path,
                   gpointer    state)
{
  g_autoptr(GError) error = NULL;
  EapCompletedArgs *args;

  CU_ASSERT_TRUE (eap_web_client_download_file_async (c->client, uri, path, state, &error));
  CU_ASSERT_PTR_NULL (error);
  args = web_test_wait_completed (c->rec, state, 60000);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (args));
  return args;
}

static void
assert_dir (const char *dir,
            const char *expected)
{
  g_autofree char *listing = web_test_list_dir (dir);

  if (!g_str_equal (listing, expected))
    fprintf (stderr, "\n  folder holds “%s”, expected “%s”\n", listing, expected);
  CU_ASSERT_STRING_EQUAL (listing, expected);
}

static void
test_nginx_large_file (void)
{
  g_autoptr(Nginx) ngx = nginx_start ();
  g_autoptr(NgxClient) c = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  EapCompletedArgs *args;
  EapWebProgressArgs *last;
  gint64 start, elapsed_ms;
  guint n_progress = 0;

  if (ngx == NULL)
    return;
  c = ngx_client_new ();
  uri = nginx_uri (ngx, "/big.bin");
  path = g_build_filename (c->dir, "big.bin", NULL);
  expected = web_test_pattern_sha256 (WEB_TEST_BIG_SIZE, NGINX_BIG_SEED);

  start = g_get_monotonic_time ();
  args = ngx_download_file (c, uri, path, GINT_TO_POINTER (1));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 200);
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  assert_dir (c->dir, "big.bin");

  last = web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, &n_progress);
  CU_ASSERT_PTR_NOT_NULL_FATAL (last);
  CU_ASSERT_EQUAL (eap_web_progress_args_get_total_bytes (last), (gint64) WEB_TEST_BIG_SIZE);
  CU_ASSERT_TRUE (n_progress <= elapsed_ms / 50 + 3);   /* R34 */
}

static void
test_nginx_range_resume (void)
{
  g_autoptr(Nginx) ngx = nginx_start ();
  g_autoptr(NgxClient) c = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part = NULL;
  g_autofree char *small_path = NULL;
  g_autofree char *small_part = NULL;
  g_autofree char *small_uri = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  g_autofree guint8 *prefix = NULL;
  gsize prefix_len = 10 * 1024 * 1024 + 3;
  EapCompletedArgs *args;
  const GError *e;

  if (ngx == NULL)
    return;
  c = ngx_client_new ();
  uri = nginx_uri (ngx, "/big.bin");
  small_uri = nginx_uri (ngx, "/small.bin");
  path = g_build_filename (c->dir, "big.bin", NULL);
  part = g_build_filename (c->dir, "big.bin.part", NULL);
  expected = web_test_pattern_sha256 (WEB_TEST_BIG_SIZE, NGINX_BIG_SEED);

  /* A partial from an earlier, interrupted run. */
  prefix = web_test_pattern_new (prefix_len, NGINX_BIG_SEED);
  web_test_write_file (part, prefix, prefix_len);
  eap_web_client_set_resume (c->client, TRUE);

  args = ngx_download_file (c, uri, path, GINT_TO_POINTER (1));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 206);
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_response_header (EAP_WEB_COMPLETED_ARGS (args),
                                                                      "Content-Range"),
                          "bytes 10485763-67108863/67108864");
  got = web_test_file_sha256 (path);
  CU_ASSERT_STRING_EQUAL (got, expected);
  assert_dir (c->dir, "big.bin");
  web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, NULL);

  /* A partial longer than the file: nginx answers 416. (Not with text:
   * nginx serves no ranges of a gzipped response and answers 200, which
   * the client rightly takes as "start over".) */
  small_path = g_build_filename (c->dir, "small.bin", NULL);
  small_part = g_build_filename (c->dir, "small.bin.part", NULL);
  {
    g_autofree char *junk = g_strnfill (6000, 'z');

    web_test_write_file (small_part, junk, 6000);
  }
  args = ngx_download_file (c, small_uri, small_path, GINT_TO_POINTER (2));
  e = eap_completed_args_get_error (args);
  CU_ASSERT_TRUE (g_error_matches (e, EAP_HTTP_ERROR, EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE));
  if (e != NULL && !g_error_matches (e, EAP_HTTP_ERROR, EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE))
    fprintf (stderr, "\n  416: got %s %d: %s\n", g_quark_to_string (e->domain), e->code, e->message);
  CU_ASSERT_FALSE (g_file_test (small_path, G_FILE_TEST_EXISTS));
  CU_ASSERT_EQUAL (eap_web_completed_args_get_status (EAP_WEB_COMPLETED_ARGS (args)), 416);
}

static void
test_nginx_gzip (void)
{
  g_autoptr(Nginx) ngx = nginx_start ();
  g_autoptr(NgxClient) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  EapCompletedArgs *args;
  const char *got;

  if (ngx == NULL)
    return;
  c = ngx_client_new ();
  uri = nginx_uri (ngx, "/text.txt");
  path = g_build_filename (c->dir, "text.txt", NULL);
  text = text_contents ();

  CU_ASSERT_TRUE (eap_web_client_download_string_async (c->client, uri, GINT_TO_POINTER (1), &error));
  CU_ASSERT_PTR_NULL (error);
  args = web_test_wait_completed (c->rec, GINT_TO_POINTER (1), 60000);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  WEB_TEST_ASSERT_SUCCESS (args);
  /* nginx really compressed it (libsoup asks for gzip) */
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_response_header (EAP_WEB_COMPLETED_ARGS (args),
                                                                      "Content-Encoding"), "gzip");
  got = eap_download_string_completed_args_get_text (EAP_DOWNLOAD_STRING_COMPLETED_ARGS (args), &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_STRING_EQUAL (got, text);
  web_test_check_progress (c->rec, GINT_TO_POINTER (1), TRUE, NULL);

  args = ngx_download_file (c, uri, path, GINT_TO_POINTER (2));
  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_STRING_EQUAL (eap_web_completed_args_get_response_header (EAP_WEB_COMPLETED_ARGS (args),
                                                                      "Content-Encoding"), "gzip");
  CU_ASSERT_TRUE (web_test_file_equals (path, text, -1));
  assert_dir (c->dir, "text.txt");
  web_test_check_progress (c->rec, GINT_TO_POINTER (2), TRUE, NULL);
}

CU_TestInfo web_nginx_tests[] = {
  { "R34 R35 interop: a 64 MiB file from nginx, checksum", test_nginx_large_file },
  { "R57 interop: resume with Range from nginx (206), and its 416", test_nginx_range_resume },
  { "interop: gzip from nginx is decoded", test_nginx_gzip },
  CU_TEST_INFO_NULL,
};
