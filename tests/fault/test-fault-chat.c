/* test-fault-chat.c: faults against eap-chat-server and eap-chat-client
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Part of suite Fault (test-fault.c registers these tests). The chat
 * server runs in-process (chat-server.c) in a thread of its own with its
 * own context, as in tests/chat; the clients are in-process ChatClients on
 * the fixture's context, or raw blocking sockets (reads bounded by poll()
 * with a deadline) when the test thread has nothing else to run.
 */

#include "chat-client.h"
#include "chat-test-server.h"
#include "eap-test.h"
#include "fault-proxy.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 20000

static void
print_proxy (FaultProxy *proxy)
{
  g_autofree char *text = fault_proxy_describe (proxy);

  if (g_getenv ("FAULT_VERBOSE") != NULL)
    fprintf (stderr, "\n%s", text);
}

/* ------------------------------------------------------------------ */
/* The server in a thread (chat-test-server.c): waiting on its stats   */
/* ------------------------------------------------------------------ */

typedef struct
{
  ChatTestServer *st;
  guint           n_clients;      /* wanted n_clients */
  guint64         n_accepted;     /* and at least this many accepted */
  ChatServerStats last;
} StatsWait;

static gboolean
stats_reached (gpointer data)
{
  StatsWait *w = data;

  w->last = chat_test_server_stats (w->st);
  return w->last.n_clients == w->n_clients && w->last.n_accepted >= w->n_accepted;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits until the server counts @n_clients connections after at least
 * @n_accepted accepted ones, asking it every 10 ms (its stats live in its
 * thread; the tick wakes the fixture's context to ask again). */
static gboolean
wait_stats (ChatTestServer *st,
            guint         n_clients,
            guint64       n_accepted,
            guint         timeout_ms)
{
  StatsWait w = { st, n_clients, n_accepted };
  GSource *tick = g_timeout_source_new (10);
  gboolean ok;

  g_source_set_callback (tick, tick_cb, NULL, NULL);
  g_source_attach (tick, eap_test_fixture ()->context);
  ok = eap_test_wait_until (stats_reached, &w, timeout_ms);
  g_source_destroy (tick);
  g_source_unref (tick);
  if (!ok)
    fprintf (stderr, "\n  server: %u clients, %" G_GUINT64_FORMAT " accepted; "
             "wanted %u, %" G_GUINT64_FORMAT "\n",
             w.last.n_clients, w.last.n_accepted, n_clients, n_accepted);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Raw peers                                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  int      fd;
  GString *buf;
  gboolean eof;
} Raw;

static Raw *
raw_connect (guint16 port)
{
  Raw *raw = g_new0 (Raw, 1);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port) };
  int one = 1;

  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  raw->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert (raw->fd >= 0);
  setsockopt (raw->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  g_assert (connect (raw->fd, (struct sockaddr *) &sin, sizeof sin) == 0);
  raw->buf = g_string_new (NULL);
  return raw;
}

static void
raw_free (Raw *raw)
{
  if (raw == NULL)
    return;
  close (raw->fd);
  g_string_free (raw->buf, TRUE);
  g_free (raw);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

static gboolean
raw_write (Raw        *raw,
           const char *data)
{
  return eap_test_write_all (raw->fd, data, strlen (data));
}

/* The next line without CR LF, or NULL at @deadline or EOF (a reset
 * counts as EOF). */
static char *
raw_read_line_until (Raw   *raw,
                     gint64 deadline)
{
  for (;;)
    {
      const char *nl = memchr (raw->buf->str, '\n', raw->buf->len);
      struct pollfd pfd = { .fd = raw->fd, .events = POLLIN };
      gint64 left_ms;
      char chunk[4096];
      ssize_t n;

      if (nl != NULL)
        {
          gsize length = nl - raw->buf->str;
          gsize keep = length > 0 && nl[-1] == '\r' ? length - 1 : length;
          char *line = g_strndup (raw->buf->str, keep);

          g_string_erase (raw->buf, 0, length + 1);
          return line;
        }
      left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      if (raw->eof || left_ms < 0)
        return NULL;
      if (poll (&pfd, 1, (int) MIN (left_ms, G_MAXINT)) <= 0)
        continue;                      /* EINTR, or the deadline: checked above */
      n = recv (raw->fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        raw->eof = TRUE;
      else
        g_string_append_len (raw->buf, chunk, n);
    }
}

/* Reads lines until one holds @needle; NULL at the deadline or EOF. */
static char *
raw_wait (Raw        *raw,
          const char *needle,
          gint64      deadline)
{
  char *line;

  while ((line = raw_read_line_until (raw, deadline)) != NULL)
    {
      if (strstr (line, needle) != NULL)
        return line;
      g_free (line);
    }
  return NULL;
}

static gboolean
raw_register (Raw        *raw,
              const char *nick)
{
  g_autofree char *lines = g_strdup_printf ("NICK %s\r\nUSER %s 0 * :%s\r\n", nick, nick, nick);
  g_autofree char *welcome = NULL;

  raw_write (raw, lines);
  welcome = raw_wait (raw, " 001 ", eap_test_deadline (WAIT_MS));
  return welcome != NULL;
}

/* ------------------------------------------------------------------ */
/* ChatClient sessions on the fixture's context                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  ChatClient *client;     /* (owned) */
  GPtrArray  *output;     /* (element-type utf8) (owned) */
  guint       cursor;
} Session;

static void
session_output_cb (ChatClient *client,
                   const char *line,
                   gpointer    data)
{
  Session *session = data;

  if (g_getenv ("FAULT_VERBOSE") != NULL)
    fprintf (stderr, "\n  %s: %s", chat_client_get_nick (client), line);
  g_ptr_array_add (session->output, g_strdup (line));
}

static Session *
session_new (guint16     port,
             const char *nick)
{
  ChatClientOptions options = {
    .host = "127.0.0.1",
    .port = port,
    .nick = nick,
    .channel = "#test",
    .reconnect_min_ms = 50,
    .reconnect_max_ms = 400,
  };
  Session *session = g_new0 (Session, 1);

  session->output = g_ptr_array_new_with_free_func (g_free);
  session->client = chat_client_new (&options);
  g_signal_connect (session->client, "output", G_CALLBACK (session_output_cb), session);
  return session;
}

static void
session_free (Session *session)
{
  if (session == NULL)
    return;
  chat_client_stop (session->client);
  eap_test_drain ();
  g_signal_handlers_disconnect_by_data (session->client, session);
  g_object_unref (session->client);
  eap_test_drain ();
  g_ptr_array_unref (session->output);
  g_free (session);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_free)

typedef struct
{
  Session    *session;
  const char *needle;
} SessionWait;

static gboolean
session_has (gpointer data)
{
  SessionWait *w = data;

  for (guint i = w->session->cursor; i < w->session->output->len; i++)
    if (strstr (g_ptr_array_index (w->session->output, i), w->needle) != NULL)
      {
        w->session->cursor = i + 1;
        return TRUE;
      }
  return FALSE;
}

/* Waits for an output line holding @needle after the cursor, and moves the
 * cursor past it. */
static gboolean
session_wait (Session    *session,
              const char *needle)
{
  SessionWait w = { session, needle };

  if (eap_test_wait_until (session_has, &w, WAIT_MS))
    return TRUE;
  fprintf (stderr, "\n  no “%s” in what %s printed:\n", needle,
           chat_client_get_nick (session->client));
  for (guint i = 0; i < session->output->len; i++)
    fprintf (stderr, "    %s\n", (char *) g_ptr_array_index (session->output, i));
  return FALSE;
}

static const char *
session_last (Session *session)
{
  return session->cursor > 0 ? g_ptr_array_index (session->output, session->cursor - 1) : "";
}

static gboolean
session_printed (Session    *session,
                 const char *needle)
{
  for (guint i = 0; i < session->output->len; i++)
    if (strstr (g_ptr_array_index (session->output, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

/* A cut in the middle of a line the client sends: the client says
 * "connection lost" and reconnects with back-off while the proxy keeps
 * cutting (0.05, 0.1, 0.2 s), then gets through; the half line never
 * reaches anyone. */
static void
test_chat_client_cut_reconnect (void)
{
  ChatServerOptions options;
  g_autoptr(ChatTestServer) st = NULL;
  g_autoptr(FaultProxy) proxy = NULL;
  g_autoptr(Session) alice = NULL;
  g_autoptr(Session) bob = NULL;
  FaultPlan cut_line = { FAULT_CUT, FAULT_UP, 10, 0 };
  FaultPlan cut_at_once = { FAULT_CUT, FAULT_UP, 0, 0 };
  FaultReport r;

  chat_test_server_options (&options);
  options.flood_limit = FALSE;
  st = chat_test_server_start (&options);
  proxy = fault_proxy_new (st->port, eap_test_fixture ()->context);
  bob = session_new (st->port, "bob");
  alice = session_new (fault_proxy_get_port (proxy), "alice");

  chat_client_start (bob->client);
  CU_ASSERT_TRUE_FATAL (session_wait (bob, "*** you joined #test"));
  chat_client_start (alice->client);
  CU_ASSERT_TRUE_FATAL (session_wait (alice, "*** you joined #test"));
  CU_ASSERT_TRUE (session_wait (bob, "*** alice!"));

  /* The next two connections are cut as soon as they are made. */
  fault_proxy_push_plan (proxy, &cut_at_once);
  fault_proxy_push_plan (proxy, &cut_at_once);
  /* This one is cut 10 bytes into the next line alice sends. */
  fault_proxy_arm (proxy, 0, &cut_line);
  CU_ASSERT_TRUE (chat_client_send_user_line (alice->client, "this line is cut in the middle",
                                              NULL));

  CU_ASSERT_TRUE (session_wait (alice, "reconnecting in 0.05 s"));
  CU_ASSERT_TRUE (g_str_has_prefix (session_last (alice) + 11,
                                    "connection lost: the server closed the connection"));
  CU_ASSERT_TRUE (session_wait (alice, "reconnecting in 0.1 s"));
  CU_ASSERT_TRUE (session_wait (alice, "reconnecting in 0.2 s"));
  CU_ASSERT_TRUE (session_wait (alice, "reconnected"));
  CU_ASSERT_TRUE (session_wait (alice, "*** you joined #test"));
  CU_ASSERT_TRUE (session_wait (bob, "*** alice!"));
  CU_ASSERT_TRUE (chat_client_send_user_line (alice->client, "after the storm", NULL));
  CU_ASSERT_TRUE (session_wait (bob, "<alice> after the storm"));

  /* No data invented: the half line never became a message. */
  CU_ASSERT_FALSE (session_printed (bob, "this line"));
  CU_ASSERT_EQUAL (fault_proxy_get_n_accepted (proxy), 4);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.fired);
  CU_ASSERT_EQUAL (r.forwarded[FAULT_UP], r.fired_at);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 3, &r));
  CU_ASSERT_FALSE (r.fired);
  print_proxy (proxy);
}

/* The server dies under a connected client: "connection lost", retries
 * that fail while nothing listens (the proxy resets them), then a new
 * server is found and the client is back in its channel. */
static void
test_chat_server_killed (void)
{
  ChatServerOptions options;
  ChatTestServer *st = NULL;
  g_autoptr(ChatTestServer) st2 = NULL;
  g_autoptr(FaultProxy) proxy = NULL;
  g_autoptr(Session) alice = NULL;
  g_autoptr(Session) bob = NULL;

  chat_test_server_options (&options);
  st = chat_test_server_start (&options);
  proxy = fault_proxy_new (st->port, eap_test_fixture ()->context);
  alice = session_new (fault_proxy_get_port (proxy), "alice");
  chat_client_start (alice->client);
  CU_ASSERT_TRUE_FATAL (session_wait (alice, "*** you joined #test"));

  chat_test_server_stop (st);
  CU_ASSERT_TRUE (session_wait (alice, "connection lost: "));
  CU_ASSERT_TRUE (g_str_has_suffix (session_last (alice), "; reconnecting in 0.05 s"));
  /* Nothing listens behind the proxy now: each try is reset. */
  CU_ASSERT_TRUE (session_wait (alice, "reconnecting in 0.1 s"));
  CU_ASSERT_TRUE (session_wait (alice, "reconnecting in 0.2 s"));

  st2 = chat_test_server_start (&options);
  fault_proxy_set_upstream (proxy, st2->port);
  CU_ASSERT_TRUE (session_wait (alice, "reconnected"));
  CU_ASSERT_TRUE (session_wait (alice, "*** you joined #test"));
  bob = session_new (st2->port, "bob");
  chat_client_start (bob->client);
  CU_ASSERT_TRUE_FATAL (session_wait (bob, "*** you joined #test"));
  CU_ASSERT_TRUE (chat_client_send_user_line (alice->client, "still here", NULL));
  CU_ASSERT_TRUE (session_wait (bob, "<alice> still here"));
  print_proxy (proxy);
}

/* Slowloris: one byte a second (the proxy trickles what the slow client
 * sends) never registers and is dropped at the registration deadline,
 * with an ERROR line; a registered client's round trips meanwhile stay
 * fast: the slow one costs the others nothing. */
static void
test_chat_slowloris (void)
{
  ChatServerOptions options;
  g_autoptr(ChatTestServer) st = NULL;
  g_autoptr(FaultProxy) proxy = NULL;
  g_autoptr(Raw) slow = NULL;
  g_autoptr(Raw) good = NULL;
  g_autofree char *error_line = NULL;
  FaultPlan trickle = { FAULT_TRICKLE, FAULT_UP, 0, 1000 };
  ChatServerStats stats;
  FaultReport r;
  gint64 connected_at, dropped_at = 0, worst_rtt = 0, deadline;
  guint n_round_trips = 0;

  chat_test_server_options (&options);
  options.registration_timeout_ms = 1500;
  options.flood_limit = FALSE;
  st = chat_test_server_start (&options);
  proxy = fault_proxy_new (st->port, NULL);
  fault_proxy_set_default (proxy, &trickle);

  good = raw_connect (st->port);
  CU_ASSERT_TRUE_FATAL (raw_register (good, "good"));

  slow = raw_connect (fault_proxy_get_port (proxy));
  connected_at = g_get_monotonic_time ();
  raw_write (slow, "NICK slowloris\r\nUSER slow 0 * :one byte a second\r\n");

  /* Round trips on the good connection while the slow one is being
   * dropped; waiting for the slow one's bytes paces them (poll with a
   * deadline: no sleep). */
  deadline = eap_test_deadline (WAIT_MS);
  while (dropped_at == 0 && g_get_monotonic_time () < deadline)
    {
      g_autofree char *ping = g_strdup_printf ("PING :rt%u\r\n", n_round_trips);
      g_autofree char *pong = NULL;
      g_autofree char *line = NULL;
      gint64 t0 = g_get_monotonic_time ();

      raw_write (good, ping);
      pong = raw_wait (good, "PONG", eap_test_deadline (5000));
      CU_ASSERT_PTR_NOT_NULL_FATAL (pong);
      worst_rtt = MAX (worst_rtt, g_get_monotonic_time () - t0);
      n_round_trips++;

      line = raw_read_line_until (slow, g_get_monotonic_time () + 100 * 1000);
      if (line != NULL && g_str_has_prefix (line, "ERROR "))
        error_line = g_steal_pointer (&line);
      if (slow->eof)
        dropped_at = g_get_monotonic_time ();
    }

  CU_ASSERT_TRUE_FATAL (dropped_at != 0);
  CU_ASSERT_PTR_NOT_NULL (error_line);
  CU_ASSERT_TRUE (error_line != NULL && strstr (error_line, "Registration timed out") != NULL);
  /* Dropped at the deadline, not before; the bound after it is generous
   * (the server sweeps every deadline/4). */
  CU_ASSERT_TRUE (dropped_at - connected_at >= 1400 * 1000);
  CU_ASSERT_TRUE (dropped_at - connected_at < fault_bound_us (6 * G_USEC_PER_SEC));
  /* The proxy really did trickle: about a byte a second until then. */
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.forwarded[FAULT_UP] >= 1);
  CU_ASSERT_TRUE (r.forwarded[FAULT_UP] <=
                  2 + (guint64) (dropped_at - connected_at) / G_USEC_PER_SEC);
  /* The others were not held up: each round trip well under a second
   * (they take well under a millisecond here; the bound only catches a
   * server that waits for the slow client). */
  if (g_getenv ("FAULT_VERBOSE") != NULL)
    fprintf (stderr, "\n  %u round trips, worst %" G_GINT64_FORMAT " µs; "
             "dropped after %" G_GINT64_FORMAT " ms\n",
             n_round_trips, worst_rtt, (dropped_at - connected_at) / 1000);
  CU_ASSERT_TRUE (n_round_trips >= 5);
  CU_ASSERT_TRUE (worst_rtt < fault_bound_us (G_USEC_PER_SEC));

  print_proxy (proxy);
  stats = chat_test_server_stats (st);
  CU_ASSERT_EQUAL (stats.n_clients, 1);
  CU_ASSERT_EQUAL (stats.n_registered, 1);
  CU_ASSERT_EQUAL (stats.n_dropped, 1);
}

/* A client that sends its registration and half-closes at once still gets
 * the welcome, then the server closes, and forgets it. */
static void
test_chat_server_half_closing_peer (void)
{
  ChatServerOptions options;
  g_autoptr(ChatTestServer) st = NULL;
  g_autoptr(Raw) raw = NULL;
  g_autofree char *welcome = NULL;
  g_autofree char *rest = NULL;

  chat_test_server_options (&options);
  st = chat_test_server_start (&options);
  raw = raw_connect (st->port);
  raw_write (raw, "NICK half\r\nUSER half 0 * :half closed\r\nPING :last\r\n");
  shutdown (raw->fd, SHUT_WR);
  welcome = raw_wait (raw, " 001 half ", eap_test_deadline (WAIT_MS));
  CU_ASSERT_PTR_NOT_NULL (welcome);
  rest = raw_wait (raw, "PONG", eap_test_deadline (WAIT_MS));
  CU_ASSERT_PTR_NOT_NULL (rest);
  g_clear_pointer (&rest, g_free);
  /* then EOF: nothing more, and not a hang */
  while ((rest = raw_read_line_until (raw, eap_test_deadline (WAIT_MS))) != NULL)
    g_clear_pointer (&rest, g_free);
  CU_ASSERT_TRUE (raw->eof);
  CU_ASSERT_TRUE (wait_stats (st, 0, 1, WAIT_MS));
}

static gint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtoll (line + 6, NULL, 10) : -1;
}

#if defined(__SANITIZE_ADDRESS__)
# define FAULT_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define FAULT_ASAN 1
# endif
#endif

#define BURST 2000

/* Opens BURST connections at once (half of them register), waits until the
 * server holds them all, drops them all, and waits until it has forgotten
 * every one. */
static void
burst (ChatTestServer *st,
       guint64       n_accepted_before)
{
  g_autofree int *fds = g_new (int, BURST);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (st->port) };

  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  for (guint i = 0; i < BURST; i++)
    {
      fds[i] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_assert (fds[i] >= 0);
      g_assert (connect (fds[i], (struct sockaddr *) &sin, sizeof sin) == 0);
      if (i % 2 == 0)
        {
          g_autofree char *lines = g_strdup_printf ("NICK b%u\r\nUSER b 0 * :burst\r\n", i);

          send (fds[i], lines, strlen (lines), MSG_NOSIGNAL);
        }
    }
  CU_ASSERT_TRUE (wait_stats (st, BURST, n_accepted_before + BURST, 60000));
  for (guint i = 0; i < BURST; i++)
    close (fds[i]);
  CU_ASSERT_TRUE (wait_stats (st, 0, n_accepted_before + BURST, 60000));
}

/* 2,000 connections opened and dropped at once, twice: the server's count
 * of clients returns to 0 each time, and its memory to its baseline. */
static void
test_chat_burst_memory (void)
{
  ChatServerOptions options;
  g_autoptr(ChatTestServer) st = NULL;
  struct rlimit rl;
  gint64 rss_start, rss_first, rss_second;
  g_autoptr(Raw) good = NULL;
  ChatServerStats stats;
  const char *rounds;
  guint n_rounds;

  /* Each connection is two descriptors in this process (ours and the
   * server's): 4,000 and some. */
  CU_ASSERT_EQUAL_FATAL (getrlimit (RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 3 * BURST)
    {
      rl.rlim_cur = MIN (rl.rlim_max, (rlim_t) 4 * BURST);
      CU_ASSERT_EQUAL (setrlimit (RLIMIT_NOFILE, &rl), 0);
    }
  if (rl.rlim_cur < 2 * BURST + 200)
    {
      fprintf (stderr, "\n  skipped: RLIMIT_NOFILE hard limit %lu is too low\n",
               (unsigned long) rl.rlim_max);
      return;
    }

  chat_test_server_options (&options);
  st = chat_test_server_start (&options);
  malloc_trim (0);
  rss_start = rss_kib ();
  burst (st, 0);
  malloc_trim (0);
  rss_first = rss_kib ();
  burst (st, BURST);
  malloc_trim (0);
  rss_second = rss_kib ();
  /* FAULT_BURST_ROUNDS=N: N - 2 more bursts, printed, to see a trend. */
  rounds = g_getenv ("FAULT_BURST_ROUNDS");
  n_rounds = rounds != NULL ? (guint) g_ascii_strtoull (rounds, NULL, 10) : 2;
  for (guint i = 2; i < n_rounds; i++)
    {
      burst (st, (guint64) i * BURST);
      malloc_trim (0);
      fprintf (stderr, "\n  RSS after burst %u: %" G_GINT64_FORMAT " KiB", i + 1, rss_kib ());
    }

  stats = chat_test_server_stats (st);
  CU_ASSERT_EQUAL (stats.n_clients, 0);
  CU_ASSERT_EQUAL (stats.n_registered, 0);
  CU_ASSERT_TRUE (stats.n_accepted >= 2 * BURST);
  CU_ASSERT_EQUAL (stats.n_channels, 0);

  if (g_getenv ("FAULT_VERBOSE") != NULL)
    fprintf (stderr, "\n  RSS: %" G_GINT64_FORMAT " KiB at start, %" G_GINT64_FORMAT
             " after one burst, %" G_GINT64_FORMAT " after two\n",
             rss_start, rss_first, rss_second);
  /* The baseline is the RSS after the first burst: that one grows the
   * allocator's arenas and the server's tables to their high-water mark,
   * which malloc keeps. The second burst must then cost nothing more: a
   * leak of 4 KiB per connection (less than an idle connection's state,
   * docs/tcp.md) would show as 8 MiB over 2,000 connections, so 8 MiB
   * is the bound. Under AddressSanitizer, freed memory is held in its
   * quarantine on purpose (up to 256 MiB) and RSS says nothing: there,
   * LeakSanitizer at exit is the leak check (memcheck's under Valgrind). */
#ifndef FAULT_ASAN
  if (!fault_under_valgrind ())   /* the same: its freed blocks queue */
    {
      CU_ASSERT_TRUE (rss_start > 0 && rss_first > 0 && rss_second > 0);
      if (rss_second - rss_first >= 8 * 1024)
        fprintf (stderr, "\n  RSS grew by %" G_GINT64_FORMAT " KiB over the second burst\n",
                 rss_second - rss_first);
      CU_ASSERT_TRUE (rss_second - rss_first < 8 * 1024);
    }
#else
  (void) rss_start;
  (void) rss_first;
  (void) rss_second;
#endif

  /* And the server still serves. */
  good = raw_connect (st->port);
  CU_ASSERT_TRUE (raw_register (good, "after"));
}

CU_TestInfo fault_chat_tests[] = {
  { "ChatClient: cut mid-line: connection lost, back-off 0.05/0.1/0.2 s, reconnected; half line never delivered", test_chat_client_cut_reconnect },
  { "ChatClient: server killed: connection lost, retries reset, reconnected to the new server", test_chat_server_killed },
  { "ChatServer: slowloris (1 byte/s) dropped at the registration deadline; others' round trips < 1 s", test_chat_slowloris },
  { "ChatServer: a peer that half-closes after registering still gets the welcome, then EOF", test_chat_server_half_closing_peer },
  { "ChatServer: 2,000 connections opened and dropped twice: n_clients back to 0, RSS back to baseline", test_chat_burst_memory },
  CU_TEST_INFO_NULL,
};
