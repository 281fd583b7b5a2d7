/* test-fault.c: faults injected between eap's clients and real servers
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Suite Fault (issue 6, item 2). Every test puts a FaultProxy
 * (fault-proxy.c, a thread of its own on 127.0.0.1) between a client and a
 * real server and breaks the connection at a chosen byte: a cut (FIN both
 * ways), a reset (RST), a stall, a trickle of one byte per write, a
 * half-close toward the client, a delay per chunk. What is checked is what
 * a user of the client sees: exactly one outcome (disconnected, or the
 * operation's completed), with the GError the documentation promises and
 * a message that can be shown as it is; the bytes that arrived are exactly
 * a prefix of what the server sent (none lost before the fault, none
 * invented), a failed download leaves no file behind; and nothing hangs.
 *
 * - EapTcpClient against a plain blocking socket server in a thread.
 * - EapWebClient against an in-process SoupServer in a thread.
 * - The chat server and client (test-fault-chat.c, with the examples).
 *
 * No sleeps: waits iterate the fixture's context with a deadline (the proxy
 * wakes it on every change), or block on a latch with one.
 */

#include "eap-test.h"
#include "fault-proxy.h"
#include "web-test.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 20000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EapTestRecorder, eap_test_recorder_free)

#ifdef FAULT_HAVE_CHAT
extern CU_TestInfo fault_chat_tests[];
#endif

static void
print_proxy (FaultProxy *proxy)
{
  g_autofree char *text = fault_proxy_describe (proxy);

  if (g_getenv ("FAULT_VERBOSE") != NULL)
    fprintf (stderr, "\n%s", text);
}

/* ------------------------------------------------------------------ */
/* A one-connection TCP server in a thread                              */
/* ------------------------------------------------------------------ */

typedef enum
{
  PEER_SEND,     /* sends @to_send, then reads until EOF */
  PEER_ECHO,     /* echoes until EOF */
  PEER_KILL,     /* sends @to_send, then closes at once: a server that dies */
  PEER_KILL_UNREAD, /* the same once the client's bytes arrived, unread: a reset */
} PeerMode;

typedef struct
{
  PeerMode      mode;
  int           listen_fd;
  guint16       port;
  GThread      *thread;
  GBytes       *to_send;        /* (owned) (nullable) */
  EapTestLatch  finished;
  GMainContext *wake;           /* (owned): the fixture's, woken when finished */
  GByteArray   *received;       /* (owned): written by the thread before finished */
  gboolean      saw_eof;
  int           read_errno;
} Peer;

static gpointer
peer_thread (gpointer data)
{
  Peer *p = data;
  guint8 buf[65536];
  struct timeval tv = { 20, 0 };   /* a failing test must not hang the join */
  int fd;

  fd = accept (p->listen_fd, NULL, NULL);
  if (fd < 0)
    goto out;
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (p->mode != PEER_ECHO && p->to_send != NULL)
    eap_test_write_all (fd, g_bytes_get_data (p->to_send, NULL), g_bytes_get_size (p->to_send));
  if (p->mode == PEER_KILL_UNREAD)
    recv (fd, buf, 1, MSG_PEEK);   /* blocks until there is something left unread */
  for (; p->mode != PEER_KILL && p->mode != PEER_KILL_UNREAD;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          p->saw_eof = n == 0;
          p->read_errno = n < 0 ? errno : 0;
          break;
        }
      g_byte_array_append (p->received, buf, n);
      if (p->mode == PEER_ECHO)
        eap_test_write_all (fd, buf, n);
    }
  close (fd);
out:
  eap_test_latch_set (&p->finished);
  g_main_context_wakeup (p->wake);
  return NULL;
}

static Peer *
peer_new (PeerMode  mode,
          GBytes   *to_send)
{
  Peer *p = g_new0 (Peer, 1);

  p->mode = mode;
  p->to_send = to_send != NULL ? g_bytes_ref (to_send) : NULL;
  p->received = g_byte_array_new ();
  p->wake = g_main_context_ref (eap_test_fixture ()->context);
  eap_test_latch_init (&p->finished);
  p->listen_fd = eap_test_listen_loopback (&p->port, 8);
  p->thread = g_thread_new ("fault-peer", peer_thread, p);
  return p;
}

static void
peer_free (Peer *p)
{
  if (p == NULL)
    return;
  shutdown (p->listen_fd, SHUT_RDWR);   /* wakes an accept () that got nobody */
  g_thread_join (p->thread);
  close (p->listen_fd);
  g_clear_pointer (&p->to_send, g_bytes_unref);
  g_byte_array_unref (p->received);
  g_main_context_unref (p->wake);
  eap_test_latch_clear (&p->finished);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

static gboolean
peer_finished (gpointer data)
{
  return eap_test_latch_is_set (&((Peer *) data)->finished);
}

/* ------------------------------------------------------------------ */
/* What the TCP client emits                                            */
/* ------------------------------------------------------------------ */

typedef struct
{
  GByteArray *received;        /* (owned) */
  GPtrArray  *lines;           /* (owned) */
  guint       n_disconnected;
  GError     *error;           /* (owned) (nullable): disconnected's */
  gboolean    after_disconnect; /* data after disconnected: must never happen */
  gboolean    ack_lines;       /* queue ack_reply (n) for the n-th line */
  gint64      disconnected_at;
} Watch;

#define ACK_SIZE (4 * 1024 * 1024)

/* The reply to the n-th line (from 1): "ack N" CR LF and 4 MiB of
 * pattern N, more than the kernel takes at once, so that some of it is
 * still queued in the client when the peer's FIN arrives. */
static GBytes *
ack_reply (guint n)
{
  g_autofree char *head = g_strdup_printf ("ack %u\r\n", n);
  gsize head_len = strlen (head);
  guint8 *data = g_malloc (head_len + ACK_SIZE);

  memcpy (data, head, head_len);
  web_test_pattern_fill (data + head_len, 0, ACK_SIZE, n);
  return g_bytes_new_take (data, head_len + ACK_SIZE);
}

static void
on_received (EapTcpClient *client,
             GBytes       *bytes,
             gpointer      data)
{
  Watch *w = data;
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);

  if (w->n_disconnected > 0)
    w->after_disconnect = TRUE;
  g_byte_array_append (w->received, p, size);
}

static void
on_line (EapTcpClient *client,
         const char   *line,
         gpointer      data)
{
  Watch *w = data;

  if (w->n_disconnected > 0)
    w->after_disconnect = TRUE;
  g_ptr_array_add (w->lines, g_strdup (line));
  if (w->ack_lines)
    {
      g_autoptr(GBytes) ack = ack_reply (w->lines->len);

      CU_ASSERT_TRUE (eap_tcp_client_queue_send (client, ack, NULL));
    }
}

static void
on_disconnected (EapTcpClient *client,
                 const GError *error,
                 gpointer      data)
{
  Watch *w = data;

  w->n_disconnected++;
  w->disconnected_at = g_get_monotonic_time ();
  g_clear_error (&w->error);
  if (error != NULL)
    w->error = g_error_copy (error);
}

static Watch *
watch_new (EapTcpClient *client)
{
  Watch *w = g_new0 (Watch, 1);

  w->received = g_byte_array_new ();
  w->lines = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "received", G_CALLBACK (on_received), w);
  g_signal_connect (client, "line-received", G_CALLBACK (on_line), w);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), w);
  return w;
}

static void
watch_free (Watch        *w,
            EapTcpClient *client)
{
  g_signal_handlers_disconnect_by_data (client, w);
  g_byte_array_unref (w->received);
  g_ptr_array_unref (w->lines);
  g_clear_error (&w->error);
  g_free (w);
}

static gboolean
cond_disconnected (gpointer data)
{
  return ((Watch *) data)->n_disconnected > 0;
}

static gboolean
cond_n_lines (gpointer data)
{
  return ((Watch *) data)->lines->len >= 4;
}

/* Connects to the proxy and waits for completed::connect (success). */
static void
tcp_connect (EapTcpClient    *client,
             EapTestRecorder *rec,
             guint16          port)
{
  g_autoptr(GError) error = NULL;
  const GError *e;

  CU_ASSERT_TRUE_FATAL (eap_tcp_client_connect_async (client, "127.0.0.1", port,
                                                      GINT_TO_POINTER (1), &error));
  CU_ASSERT_TRUE_FATAL (eap_test_recorder_wait_completed (rec, 1, WAIT_MS));
  e = eap_completed_args_get_error (eap_test_recorder_get_completed (rec, 0));
  if (e != NULL)
    fprintf (stderr, "\n  connect: %s\n", e->message);
  CU_ASSERT_PTR_NULL_FATAL (e);
}

/* After the outcome: no second disconnected, nothing after it, and an
 * error (if any) whose message is a readable sentence. docs/tcp.md only
 * promises host:port in the messages of a failed connect; those of
 * disconnected ("Cannot receive: Connection reset by peer") do not name
 * the peer. */
static void
assert_one_disconnect (Watch *w)
{
  eap_test_drain ();
  CU_ASSERT_EQUAL (w->n_disconnected, 1);
  CU_ASSERT_FALSE (w->after_disconnect);
  if (w->error != NULL)
    {
      CU_ASSERT_TRUE (w->error->message != NULL && strlen (w->error->message) > 8);
      CU_ASSERT_TRUE (g_utf8_validate (w->error->message, -1, NULL));
    }
}

static GBytes *
pattern_bytes (gsize size,
               guint seed)
{
  return g_bytes_new_take (web_test_pattern_new (size, seed), size);
}

/* @got is exactly the first @got->len bytes of @sent. */
static gboolean
is_prefix (GByteArray *got,
           GBytes     *sent)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (sent, &size);

  return got->len <= size && (got->len == 0 || memcmp (got->data, data, got->len) == 0);
}

/* ------------------------------------------------------------------ */
/* TcpClient                                                            */
/* ------------------------------------------------------------------ */

/* A cut is a FIN from the client's point of view: docs/tcp.md says the
 * peer closing its side is a clean end, so disconnected has NULL. */
static void
test_tcp_cut_down (void)
{
  const gsize size = 100000, k = 40000;
  g_autoptr(GBytes) data = pattern_bytes (size, 1);
  g_autoptr(Peer) peer = peer_new (PEER_SEND, data);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_CUT, FAULT_DOWN, k, 0 };
  FaultReport r;

  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_PTR_NULL (w->error);
  CU_ASSERT_EQUAL (w->received->len, k);          /* all up to the cut, nothing after */
  CU_ASSERT_TRUE (is_prefix (w->received, data));
  CU_ASSERT_TRUE (eap_test_wait_until (peer_finished, peer, WAIT_MS));
  CU_ASSERT_TRUE (peer->saw_eof);                  /* the server got a FIN too */

  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.fired);
  CU_ASSERT_EQUAL (r.fired_at, k);
  CU_ASSERT_EQUAL (r.forwarded[FAULT_DOWN], k);
  CU_ASSERT_EQUAL (fault_proxy_get_n_accepted (proxy), 1);
  print_proxy (proxy);
  watch_free (w, client);
}

/* Cut in the client's direction: the server has exactly K bytes, the client
 * a clean end and its echo so far (a prefix), its send completed once. */
static void
test_tcp_cut_up (void)
{
  const gsize size = 100000, k = 30000;
  g_autoptr(GBytes) data = pattern_bytes (size, 2);
  g_autoptr(Peer) peer = peer_new (PEER_ECHO, NULL);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_CUT, FAULT_UP, k, 0 };
  g_autoptr(GError) error = NULL;

  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GINT_TO_POINTER (2), &error));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  CU_ASSERT_TRUE (eap_test_recorder_wait_completed (rec, 2, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_PTR_NULL (w->error);
  CU_ASSERT_EQUAL (eap_test_recorder_count (rec, EAP_TEST_EVENT_COMPLETED, GINT_TO_POINTER (2)), 1);
  CU_ASSERT_TRUE (eap_test_wait_until (peer_finished, peer, WAIT_MS));
  CU_ASSERT_EQUAL (peer->received->len, k);
  CU_ASSERT_TRUE (is_prefix (peer->received, data));
  CU_ASSERT_TRUE (w->received->len <= k);
  CU_ASSERT_TRUE (is_prefix (w->received, data));
  print_proxy (proxy);
  watch_free (w, client);
}

/* A reset is an error: G_IO_ERROR_CONNECTION_CLOSED or BROKEN_PIPE
 * (docs/tcp.md, Disconnected), naming the peer. What arrived before the
 * reset is a prefix of what was sent, never more than K bytes. */
static void
test_tcp_reset (void)
{
  const gsize size = 100000, k = 50000;
  g_autoptr(GBytes) data = pattern_bytes (size, 3);
  g_autoptr(Peer) peer = peer_new (PEER_SEND, data);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_RESET, FAULT_DOWN, k, 0 };
  FaultWait finished = { proxy, 0, 0, 0 };
  FaultReport r;

  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_PTR_NOT_NULL (w->error);
  if (w->error != NULL)
    {
      if (g_getenv ("FAULT_VERBOSE"))
        fprintf (stderr, "\n  reset: %s %d: %s\n", g_quark_to_string (w->error->domain),
                 w->error->code, w->error->message);
      CU_ASSERT_TRUE (g_error_matches (w->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                      g_error_matches (w->error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
      CU_ASSERT_PTR_NOT_NULL (strstr (w->error->message, "reset"));
    }
  CU_ASSERT_TRUE (w->received->len <= k);
  CU_ASSERT_TRUE (is_prefix (w->received, data));
  /* (the proxy notes it after the close the client may have seen first) */
  CU_ASSERT_TRUE (eap_test_wait_until (fault_wait_finished, &finished, WAIT_MS));
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.fired);
  CU_ASSERT_TRUE (eap_test_wait_until (peer_finished, peer, WAIT_MS));  /* reset too */
  print_proxy (proxy);
  watch_free (w, client);
}

/* R19: a stalled connection is ended by the idle timeout, with
 * G_IO_ERROR_TIMED_OUT, after all that arrived before the stall. */
static void
test_tcp_stall_idle_timeout (void)
{
  const gsize size = 100000, k = 1000;
  g_autoptr(GBytes) data = pattern_bytes (size, 4);
  g_autoptr(Peer) peer = peer_new (PEER_SEND, data);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_STALL, FAULT_DOWN, k, 0 };
  FaultWait fired = { proxy, 0, 0, 0 };
  gint64 stalled_at;

  eap_tcp_client_set_timeout (client, 1);
  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  CU_ASSERT_TRUE (eap_test_wait_until (fault_wait_fired, &fired, WAIT_MS));
  stalled_at = g_get_monotonic_time ();
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_TRUE (g_error_matches (w->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  /* generous bounds: not before half the timeout, well within the wait */
  CU_ASSERT_TRUE (w->disconnected_at - stalled_at >= G_USEC_PER_SEC / 2);
  CU_ASSERT_TRUE (w->disconnected_at - stalled_at < fault_bound_us (10 * G_USEC_PER_SEC));
  CU_ASSERT_EQUAL (w->received->len, k);
  CU_ASSERT_TRUE (is_prefix (w->received, data));
  print_proxy (proxy);
  watch_free (w, client);
}

/* One byte per write: a long line is still framed exactly, and so are the
 * short ones around it. */
static void
test_tcp_trickle_long_line (void)
{
  g_autoptr(GString) text = g_string_new ("first\r\n");
  g_autofree char *long_line = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(Peer) peer = NULL;
  g_autoptr(FaultProxy) proxy = NULL;
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_TRICKLE, FAULT_DOWN, 0, 0 };
  FaultWait all = { NULL, 0, 0, FAULT_DOWN };
  FaultReport r;

  long_line = g_malloc (6001);
  for (guint i = 0; i < 6000; i++)
    long_line[i] = 'a' + i % 26;
  long_line[6000] = '\0';
  g_string_append_printf (text, "%s\r\nbare LF\nlast\r\n", long_line);
  data = g_bytes_new (text->str, text->len);
  peer = peer_new (PEER_SEND, data);
  proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  all.proxy = proxy;
  all.n = text->len;

  eap_tcp_client_set_framing (client, EAP_TCP_FRAMING_LINES);
  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  /* The peer sent it all and waits: the client is still connected. */
  CU_ASSERT_TRUE (eap_test_wait_until (cond_n_lines, w, WAIT_MS));
  CU_ASSERT_FALSE (cond_disconnected (w));
  eap_tcp_client_close_async (client, GINT_TO_POINTER (9), NULL);
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_PTR_NULL (w->error);
  CU_ASSERT_EQUAL_FATAL (w->lines->len, 4);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (w->lines, 0), "first");
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (w->lines, 1), long_line);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (w->lines, 2), "bare LF");
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (w->lines, 3), "last");
  CU_ASSERT_TRUE (eap_test_wait_until (fault_wait_forwarded, &all, WAIT_MS));
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_EQUAL (r.forwarded[FAULT_DOWN], text->len);
  CU_ASSERT_EQUAL (r.n_writes[FAULT_DOWN], text->len);   /* one byte per write */
  print_proxy (proxy);
  watch_free (w, client);
}

/* Half-close toward the client after 3 of 5 lines: the client gets those
 * three, and (docs/tcp.md, Half-close) still delivers all the replies it
 * queued for them (12 MiB: more than the sockets hold, so some is still
 * queued at the FIN) before it closes with a clean disconnected. (Checked
 * to fail when the client drops its queue at the FIN.) */
static void
test_tcp_half_close (void)
{
  static const char text[] = "l1\r\nl2\r\nl3\r\nl4\r\nl5\r\n";
  g_autoptr(GBytes) data = g_bytes_new_static (text, strlen (text));
  g_autoptr(Peer) peer = peer_new (PEER_SEND, data);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_HALF_CLOSE, FAULT_DOWN, 12, 0 };
  FaultReport r;

  w->ack_lines = TRUE;
  eap_tcp_client_set_framing (client, EAP_TCP_FRAMING_LINES);
  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_PTR_NULL (w->error);
  CU_ASSERT_EQUAL_FATAL (w->lines->len, 3);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (w->lines, 2), "l3");
  CU_ASSERT_TRUE (eap_test_wait_until (peer_finished, peer, WAIT_MS));
  CU_ASSERT_TRUE (peer->saw_eof);
  CU_ASSERT_EQUAL (peer->received->len, 3 * (strlen ("ack 1\r\n") + ACK_SIZE));
  for (guint n = 1, off = 0; n <= 3 && off < peer->received->len; n++)
    {
      g_autoptr(GBytes) ack = ack_reply (n);
      gsize size;
      const guint8 *want = g_bytes_get_data (ack, &size);

      CU_ASSERT_TRUE (off + size <= peer->received->len &&
                      memcmp (peer->received->data + off, want, size) == 0);
      off += size;
    }
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_EQUAL (r.forwarded[FAULT_DOWN], 12);
  CU_ASSERT_EQUAL (r.dropped[FAULT_DOWN], strlen (text) - 12);
  CU_ASSERT_TRUE (r.eof[FAULT_UP]);                /* the client closed after its replies */
  print_proxy (proxy);
  watch_free (w, client);
}

/* The server dies in the middle of what it meant to send (1 of 2 MiB).
 * A process that dies closes its sockets: a FIN when it had read all it
 * was sent, and then every byte it wrote arrives and disconnected has
 * NULL; a reset when it left bytes unread, and then disconnected has
 * CONNECTION_CLOSED or BROKEN_PIPE after a prefix of what it wrote. */
static void
server_killed (gboolean unread)
{
  const gsize size = 1024 * 1024;
  g_autoptr(GBytes) data = pattern_bytes (size, 6);
  g_autoptr(GBytes) request = g_bytes_new_static ("GET all 2 MiB\r\n", 15);
  g_autoptr(Peer) peer = peer_new (unread ? PEER_KILL_UNREAD : PEER_KILL, data);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultReport r;

  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  if (unread)
    CU_ASSERT_TRUE (eap_tcp_client_queue_send (client, request, NULL));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (is_prefix (w->received, data));
  if (unread)
    {
      CU_ASSERT_TRUE (r.error[FAULT_DOWN]);          /* the server's reset */
      CU_ASSERT_TRUE (g_error_matches (w->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                      g_error_matches (w->error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
    }
  else
    {
      CU_ASSERT_TRUE (r.eof[FAULT_DOWN]);            /* the server's FIN */
      CU_ASSERT_PTR_NULL (w->error);
      CU_ASSERT_EQUAL (w->received->len, size);
    }
  print_proxy (proxy);
  watch_free (w, client);
}

static void
test_tcp_server_killed (void)
{
  server_killed (FALSE);
}

static void
test_tcp_server_killed_unread (void)
{
  server_killed (TRUE);
}

/* Every chunk held 100 ms: slower, but every byte, in order, and the
 * close_async after the send still flushes it all. */
static void
test_tcp_delay (void)
{
  const gsize size = 200000;
  g_autoptr(GBytes) data = pattern_bytes (size, 5);
  g_autoptr(Peer) peer = peer_new (PEER_SEND, NULL);
  g_autoptr(FaultProxy) proxy = fault_proxy_new (peer->port, eap_test_fixture ()->context);
  g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
  g_autoptr(EapTestRecorder) rec = eap_test_recorder_new (EAP_COMPONENT (client), NULL);
  Watch *w = watch_new (client);
  FaultPlan plan = { FAULT_DELAY, FAULT_BOTH, 0, 100 };
  g_autoptr(GError) error = NULL;
  gint64 start;

  fault_proxy_push_plan (proxy, &plan);
  tcp_connect (client, rec, fault_proxy_get_port (proxy));
  start = g_get_monotonic_time ();
  CU_ASSERT_TRUE (eap_tcp_client_send_async (client, data, GINT_TO_POINTER (2), &error));
  CU_ASSERT_TRUE (eap_tcp_client_close_async (client, GINT_TO_POINTER (3), &error));
  CU_ASSERT_TRUE (eap_test_wait_until (cond_disconnected, w, WAIT_MS));
  assert_one_disconnect (w);
  CU_ASSERT_PTR_NULL (w->error);
  CU_ASSERT_TRUE (eap_test_wait_until (peer_finished, peer, WAIT_MS));
  CU_ASSERT_EQUAL (peer->received->len, size);
  CU_ASSERT_TRUE (is_prefix (peer->received, data));
  /* the proxy holds each chunk: at least one delay passed */
  CU_ASSERT_TRUE (g_get_monotonic_time () - start >= 100 * 1000);
  print_proxy (proxy);
  watch_free (w, client);
}

/* ------------------------------------------------------------------ */
/* WebClient against a SoupServer                                       */
/* ------------------------------------------------------------------ */

typedef struct
{
  GThread      *thread;
  GMainContext *context;        /* (owned) */
  GMainLoop    *loop;           /* (owned) */
  SoupServer   *server;         /* (owned): touched only in the server thread */
  guint16       port;
  EapTestLatch  ready;
  EapTestLatch  killed;         /* /kill: the server shut its socket mid-body */
} WebServer;

/* /gen/SIZE/SEED: the pattern, with Content-Length. /kill/SIZE/SEED: the
 * headers and half the body, then the server shuts its socket down. */
static void
web_server_cb (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           data)
{
  WebServer *ws = data;
  gsize size;
  guint seed;

  if (sscanf (path, "/gen/%" G_GSIZE_FORMAT "/%u", &size, &seed) == 2)
    {
      guint8 *body = web_test_pattern_new (size, seed);

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                        (char *) body, size);
    }
  else if (sscanf (path, "/kill/%" G_GSIZE_FORMAT "/%u", &size, &seed) == 2)
    {
      SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
      SoupMessageBody *body = soup_server_message_get_response_body (msg);
      guint8 *half = web_test_pattern_new (size / 2, seed);

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_length (resp, size);
      soup_message_headers_set_content_type (resp, "application/octet-stream", NULL);
      soup_message_body_append (body, SOUP_MEMORY_TAKE, half, size / 2);
      /* The rest never comes: the body is not completed, and
       * on_wrote_body_data kills the connection once half is out. */
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  (void) ws;
}

static void
on_wrote_body_data (SoupServerMessage *msg,
                    guint              chunk_size,
                    gpointer           data)
{
  WebServer *ws = data;
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  goffset total = soup_message_headers_get_content_length (resp);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  /* Once half the body is on the wire, the server dies: its end of the
   * socket is shut down, as a killed process's would be closed. */
  if (!eap_test_latch_is_set (&ws->killed) && body->length == total / 2 && total > 0)
    {
      GSocket *socket = soup_server_message_get_socket (msg);

      g_socket_shutdown (socket, TRUE, TRUE, NULL);
      eap_test_latch_set (&ws->killed);
    }
}

static void
web_request_started (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           data)
{
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), data);
}

static gpointer
web_server_thread (gpointer data)
{
  WebServer *ws = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (ws->context);
  ws->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (ws->server, NULL, web_server_cb, ws, NULL);
  g_signal_connect (ws->server, "request-started", G_CALLBACK (web_request_started), ws);
  soup_server_listen_local (ws->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (ws->server);
  ws->port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  eap_test_latch_set (&ws->ready);

  g_main_loop_run (ws->loop);

  soup_server_disconnect (ws->server);
  g_clear_object (&ws->server);
  while (g_main_context_iteration (ws->context, FALSE))
    ;
  g_main_context_pop_thread_default (ws->context);
  return NULL;
}

static WebServer *
web_server_new (void)
{
  WebServer *ws = g_new0 (WebServer, 1);

  eap_test_latch_init (&ws->ready);
  eap_test_latch_init (&ws->killed);
  ws->context = g_main_context_new ();
  ws->loop = g_main_loop_new (ws->context, FALSE);
  ws->thread = g_thread_new ("fault-web-server", web_server_thread, ws);
  g_assert (eap_test_latch_wait (&ws->ready, EAP_TEST_TIMEOUT_MS));
  return ws;
}

static void
web_server_free (WebServer *ws)
{
  if (ws == NULL)
    return;
  g_main_loop_quit (ws->loop);
  g_main_context_wakeup (ws->context);
  g_thread_join (ws->thread);
  g_main_loop_unref (ws->loop);
  g_main_context_unref (ws->context);
  eap_test_latch_clear (&ws->ready);
  eap_test_latch_clear (&ws->killed);
  g_free (ws);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WebServer, web_server_free)

typedef struct
{
  EapWebClient    *client;      /* (owned) */
  EapTestRecorder *rec;         /* (owned) */
  char            *dir;         /* (owned) */
  char            *path;        /* (owned): dir/dest.bin */
  char            *listing_at_completed;   /* (owned) (nullable) */
} Web;

static void
note_listing (EapComponent     *component,
              EapCompletedArgs *args,
              gpointer          data)
{
  Web *web = data;

  g_free (web->listing_at_completed);
  web->listing_at_completed = web_test_list_dir (web->dir);
}

static Web *
web_new (void)
{
  Web *web = g_new0 (Web, 1);

  web->client = eap_web_client_new ();
  eap_component_set_progress_interval (EAP_COMPONENT (web->client), 0);
  web->rec = eap_test_recorder_new (EAP_COMPONENT (web->client), NULL);
  web->dir = web_test_make_tmp_dir ();
  web->path = g_build_filename (web->dir, "dest.bin", NULL);
  g_signal_connect (web->client, "completed", G_CALLBACK (note_listing), web);
  return web;
}

static void
web_free (Web *web)
{
  if (web == NULL)
    return;
  eap_test_recorder_free (web->rec);
  g_signal_handlers_disconnect_by_data (web->client, web);
  g_object_unref (web->client);
  eap_test_drain ();
  web_test_remove_dir (web->dir);
  g_free (web->dir);
  g_free (web->path);
  g_free (web->listing_at_completed);
  g_free (web);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Web, web_free)

static void
web_start (Web        *web,
           guint16     port,
           const char *path)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE (eap_web_client_download_file_async (web->client, uri, web->path,
                                                      GINT_TO_POINTER (1), &error));
  CU_ASSERT_PTR_NULL (error);
}

/* The one completed of the download, after a drain (a second one would
 * show up in the count). */
static EapCompletedArgs *
web_wait (Web *web)
{
  EapCompletedArgs *args = web_test_wait_completed (web->rec, GINT_TO_POINTER (1), WAIT_MS);

  eap_test_drain ();
  CU_ASSERT_EQUAL (eap_test_recorder_count (web->rec, EAP_TEST_EVENT_COMPLETED,
                                           GINT_TO_POINTER (1)), 1);
  return args;
}

/* R57: a failed download leaves the destination as it was ("old") and no
 * temporary file, already when completed is emitted. */
static void
assert_no_truncated_file (Web *web)
{
  g_autofree char *listing = web_test_list_dir (web->dir);

  CU_ASSERT_TRUE (web_test_file_equals (web->path, "old", 3));
  CU_ASSERT_STRING_EQUAL (listing, "dest.bin");
  CU_ASSERT_STRING_EQUAL (web->listing_at_completed != NULL ? web->listing_at_completed : "-",
                          "dest.bin");
}

static void
assert_transport_error (EapCompletedArgs *args,
                        guint16           port)
{
  const GError *e = eap_completed_args_get_error (args);
  g_autofree char *where = g_strdup_printf ("127.0.0.1:%u", port);

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  CU_ASSERT_FALSE (eap_completed_args_get_cancelled (args));
  if (g_getenv ("FAULT_VERBOSE"))
    fprintf (stderr, "\n  web: %s %d: %s\n", g_quark_to_string (e->domain), e->code, e->message);
  /* a transport failure stays what GIO says (G_IO_ERROR), with the URI */
  CU_ASSERT_EQUAL (e->domain, G_IO_ERROR);
  CU_ASSERT_NOT_EQUAL (e->code, G_IO_ERROR_CANCELLED);
  CU_ASSERT_PTR_NOT_NULL (strstr (e->message, where));
}

/* Downloads @path over "old" through a proxy that applies @action toward
 * the client at byte @at_byte: the download fails with a transport error
 * (@code of G_IO_ERROR, unless -1), leaves no truncated file and reports
 * its progress in order. */
static void
web_fault_fails (FaultAction  action,
                 guint64      at_byte,
                 const char  *path,
                 int          code)
{
  g_autoptr(WebServer) ws = web_server_new ();
  g_autoptr(FaultProxy) proxy = fault_proxy_new (ws->port, eap_test_fixture ()->context);
  g_autoptr(Web) web = web_new ();
  FaultPlan plan = { action, FAULT_DOWN, at_byte, 0 };
  EapCompletedArgs *args;

  web_test_write_file (web->path, "old", 3);
  fault_proxy_push_plan (proxy, &plan);
  web_start (web, fault_proxy_get_port (proxy), path);
  args = web_wait (web);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  assert_transport_error (args, fault_proxy_get_port (proxy));
  if (code >= 0)
    CU_ASSERT_TRUE (g_error_matches (eap_completed_args_get_error (args), G_IO_ERROR, code));
  assert_no_truncated_file (web);
  web_test_check_progress (web->rec, GINT_TO_POINTER (1), FALSE, NULL);
  print_proxy (proxy);
}

/* Cut (FIN) in the middle of the body: the download fails, no truncated
 * file. A FIN before Content-Length is not a clean end for HTTP. */
static void
test_web_cut_mid_body (void)
{
  web_fault_fails (FAULT_CUT, 300000, "/gen/1048576/7", G_IO_ERROR_PARTIAL_INPUT);
}

static void
test_web_reset_mid_body (void)
{
  web_fault_fails (FAULT_RESET, 300000, "/gen/1048576/8", -1);
}

/* R28: a stalled transfer is cancelled at once (bound: 1 s, generous). */
static void
test_web_stall_cancel (void)
{
  g_autoptr(WebServer) ws = web_server_new ();
  g_autoptr(FaultProxy) proxy = fault_proxy_new (ws->port, eap_test_fixture ()->context);
  g_autoptr(Web) web = web_new ();
  FaultPlan plan = { FAULT_STALL, FAULT_DOWN, 200000, 0 };
  FaultWait fired = { proxy, 0, 0, 0 };
  EapCompletedArgs *args;
  gint64 start;

  web_test_write_file (web->path, "old", 3);
  fault_proxy_push_plan (proxy, &plan);
  web_start (web, fault_proxy_get_port (proxy), "/gen/4194304/9");
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (fault_wait_fired, &fired, WAIT_MS));
  CU_ASSERT_PTR_NULL (web_test_find_completed (web->rec, GINT_TO_POINTER (1)));
  start = g_get_monotonic_time ();
  eap_component_cancel_async (EAP_COMPONENT (web->client), GINT_TO_POINTER (1));
  args = web_wait (web);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (g_get_monotonic_time () - start < fault_bound_us (G_USEC_PER_SEC));
  CU_ASSERT_TRUE (eap_completed_args_get_cancelled (args));
  CU_ASSERT_PTR_NULL (eap_completed_args_get_error (args));
  assert_no_truncated_file (web);
  print_proxy (proxy);
}

static void
assert_download_ok (Web   *web,
                    gsize  size,
                    guint  seed)
{
  EapCompletedArgs *args = web_wait (web);
  g_autofree char *want = web_test_pattern_sha256 (size, seed);
  g_autofree char *got = web_test_file_sha256 (web->path);

  WEB_TEST_ASSERT_SUCCESS (args);
  CU_ASSERT_EQUAL (web_test_file_size (web->path), (gint64) size);
  CU_ASSERT_STRING_EQUAL (got != NULL ? got : "-", want);
  web_test_check_progress (web->rec, GINT_TO_POINTER (1), TRUE, NULL);
}

/* One byte per write, headers included: the right file. */
static void
test_web_trickle (void)
{
  const gsize size = 16384;
  g_autoptr(WebServer) ws = web_server_new ();
  g_autoptr(FaultProxy) proxy = fault_proxy_new (ws->port, eap_test_fixture ()->context);
  g_autoptr(Web) web = web_new ();
  FaultPlan plan = { FAULT_TRICKLE, FAULT_BOTH, 0, 0 };
  FaultReport r;

  fault_proxy_push_plan (proxy, &plan);
  web_start (web, fault_proxy_get_port (proxy), "/gen/16384/10");
  assert_download_ok (web, size, 10);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.forwarded[FAULT_DOWN] > size);
  CU_ASSERT_EQUAL (r.n_writes[FAULT_DOWN], r.forwarded[FAULT_DOWN]);
  CU_ASSERT_EQUAL (r.n_writes[FAULT_UP], r.forwarded[FAULT_UP]);
  print_proxy (proxy);
}

static void
test_web_delay (void)
{
  const gsize size = 2 * 1024 * 1024;
  g_autoptr(WebServer) ws = web_server_new ();
  g_autoptr(FaultProxy) proxy = fault_proxy_new (ws->port, eap_test_fixture ()->context);
  g_autoptr(Web) web = web_new ();
  FaultPlan plan = { FAULT_DELAY, FAULT_BOTH, 0, 20 };

  fault_proxy_push_plan (proxy, &plan);
  web_start (web, fault_proxy_get_port (proxy), "/gen/2097152/11");
  assert_download_ok (web, size, 11);
  print_proxy (proxy);
}

/* The server dies mid-body: its end of the socket is shut down after half
 * the body (the proxy passes everything through and sees its FIN). */
static void
test_web_server_killed (void)
{
  g_autoptr(WebServer) ws = web_server_new ();
  g_autoptr(FaultProxy) proxy = fault_proxy_new (ws->port, eap_test_fixture ()->context);
  g_autoptr(Web) web = web_new ();
  EapCompletedArgs *args;
  FaultReport r;

  web_test_write_file (web->path, "old", 3);
  web_start (web, fault_proxy_get_port (proxy), "/kill/1048576/12");
  args = web_wait (web);
  CU_ASSERT_PTR_NOT_NULL_FATAL (args);
  CU_ASSERT_TRUE (eap_test_latch_is_set (&ws->killed));
  assert_transport_error (args, fault_proxy_get_port (proxy));
  assert_no_truncated_file (web);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.eof[FAULT_DOWN]);            /* the server's FIN */
  CU_ASSERT_TRUE (r.forwarded[FAULT_DOWN] > 1048576 / 2);
  CU_ASSERT_TRUE (r.forwarded[FAULT_DOWN] < 1048576);
  print_proxy (proxy);
}

/* A peer that half-closes toward the client mid-body: as a cut. */
static void
test_web_half_close (void)
{
  web_fault_fails (FAULT_HALF_CLOSE, 100000, "/gen/1048576/13", -1);
}

/* ------------------------------------------------------------------ */
/* The proxy itself                                                     */
/* ------------------------------------------------------------------ */

/* Pass-through is transparent, and connections get the plans pushed for
 * them in order, then the default. */
static void
test_proxy_plans_in_order (void)
{
  g_autoptr(WebServer) ws = web_server_new ();
  g_autoptr(FaultProxy) proxy = fault_proxy_new (ws->port, eap_test_fixture ()->context);
  FaultPlan cut = { FAULT_CUT, FAULT_DOWN, 10, 0 };
  FaultReport r;

  fault_proxy_push_plan (proxy, &cut);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(Web) web = web_new ();

      web_start (web, fault_proxy_get_port (proxy), "/gen/100000/14");
      if (i == 0)
        {
          CU_ASSERT_PTR_NOT_NULL (eap_completed_args_get_error (web_wait (web)));
        }
      else
        assert_download_ok (web, 100000, 14);
    }
  CU_ASSERT_EQUAL (fault_proxy_get_n_accepted (proxy), 2);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 0, &r));
  CU_ASSERT_TRUE (r.fired && r.forwarded[FAULT_DOWN] == 10);
  CU_ASSERT_TRUE (fault_proxy_get_report (proxy, 1, &r));
  CU_ASSERT_FALSE (r.fired);
  CU_ASSERT_FALSE (fault_proxy_get_report (proxy, 2, &r));
  print_proxy (proxy);
}

static CU_TestInfo fault_tests[] = {
  { "TcpClient: cut (FIN) at byte K from the server: exactly K bytes, disconnected NULL", test_tcp_cut_down },
  { "TcpClient: cut at byte K toward the server: server has K bytes, one send completed, NULL", test_tcp_cut_up },
  { "TcpClient: reset at byte K: at most K bytes, disconnected CONNECTION_CLOSED/BROKEN_PIPE", test_tcp_reset },
  { "R19 TcpClient: stall + idle timeout: K bytes, then G_IO_ERROR_TIMED_OUT", test_tcp_stall_idle_timeout },
  { "TcpClient: trickle, one byte per write: a 6000-byte line framed exactly", test_tcp_trickle_long_line },
  { "TcpClient: half-close toward the client: 3 lines, its 3 replies delivered, NULL", test_tcp_half_close },
  { "TcpClient: server killed mid-stream (FIN): every byte it wrote, disconnected NULL", test_tcp_server_killed },
  { "TcpClient: server killed with bytes unread (RST): a prefix, CONNECTION_CLOSED", test_tcp_server_killed_unread },
  { "TcpClient: 100 ms per chunk each way: every byte, in order", test_tcp_delay },
  { "R57 WebClient: cut mid-body: G_IO_ERROR_PARTIAL_INPUT, no truncated file", test_web_cut_mid_body },
  { "R57 WebClient: reset mid-body: G_IO_ERROR naming the URI, no truncated file", test_web_reset_mid_body },
  { "R28 R57 WebClient: stall + cancel: cancelled within 1 s, no truncated file", test_web_stall_cancel },
  { "WebClient: trickle, one byte per write both ways: the right file", test_web_trickle },
  { "WebClient: 20 ms per chunk each way: the right 2 MiB file", test_web_delay },
  { "R57 WebClient: server killed mid-body: error, no truncated file", test_web_server_killed },
  { "R57 WebClient: half-close toward the client mid-body: error, no truncated file", test_web_half_close },
  { "proxy: pushed plans apply in order, then pass-through", test_proxy_plans_in_order },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GArray) tests = g_array_new (TRUE, TRUE, sizeof (CU_TestInfo));
  CU_SuiteInfo suites[] = {
    {
      .pName = "Fault",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
    },
    CU_SUITE_INFO_NULL,
  };

  for (guint i = 0; fault_tests[i].pName != NULL; i++)
    g_array_append_val (tests, fault_tests[i]);
#ifdef FAULT_HAVE_CHAT
  for (guint i = 0; fault_chat_tests[i].pName != NULL; i++)
    g_array_append_val (tests, fault_chat_tests[i]);
#endif
  suites[0].pTests = (CU_TestInfo *) tests->data;

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
