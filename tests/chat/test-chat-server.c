/* test-chat-server.c: the chat server against raw IRC sessions and eap clients
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The server runs in-process (chat-server.c) in a thread of its own, with
 * its own GMainContext, on 127.0.0.1 and a port the kernel picks. The
 * peers are what a user would point at it:
 *
 * - Raw: a plain blocking BSD socket in the test's thread, speaking IRC
 *   line by line, reads bounded by poll() with a deadline (never a sleep).
 *   Scripted sessions, errors, abuse (oversized lines, CR injection,
 *   floods, a peer that never reads) and the 500-client fan-out.
 * - Two EapTcpClients in line framing on the test's context.
 * - The eap-chat-server program itself, started and stopped by SIGTERM.
 */

#include <CUnit/CUnit.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "eap-test.h"
#include "chat-test-server.h"

/* ------------------------------------------------------------------ */
/* Raw peers: blocking sockets, reads bounded by poll()                 */
/* ------------------------------------------------------------------ */

typedef struct
{
  int      fd;
  GString *buf;        /* received, not yet returned as lines */
  gboolean eof;        /* the server closed (or reset) the connection */
} Raw;

static Raw *
raw_connect_with (guint16 port,
                  int     rcvbuf)
{
  Raw *raw = g_new0 (Raw, 1);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port) };
  int one = 1;

  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  raw->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CU_ASSERT_TRUE_FATAL (raw->fd >= 0);
  if (rcvbuf > 0)
    setsockopt (raw->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt (raw->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  CU_ASSERT_EQUAL_FATAL (connect (raw->fd, (struct sockaddr *) &sin, sizeof sin), 0);
  raw->buf = g_string_new (NULL);
  return raw;
}

static Raw *
raw_connect (guint16 port)
{
  return raw_connect_with (port, 0);
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
           const char *data,
           gsize       length)
{
  return eap_test_write_all (raw->fd, data, length);
}

static gboolean
raw_write_str (Raw        *raw,
               const char *data)
{
  return raw_write (raw, data, strlen (data));
}

/* Sends one line with CR LF appended. */
static gboolean
raw_send (Raw        *raw,
          const char *format,
          ...) G_GNUC_PRINTF (2, 3);

static gboolean
raw_send (Raw        *raw,
          const char *format,
          ...)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strconcat (text, "\r\n", NULL);
  return raw_write (raw, line, strlen (line));
}

/* Reads whatever arrives within @timeout_ms (or until one read). FALSE on
 * timeout or EOF. */
static gboolean
raw_fill (Raw   *raw,
          gint64 deadline)
{
  char chunk[16384];

  for (;;)
    {
      struct pollfd pfd = { .fd = raw->fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      ssize_t n;
      int r;

      if (raw->eof)
        return FALSE;
      if (left_ms < 0)
        return FALSE;
      r = poll (&pfd, 1, (int) MIN (left_ms, G_MAXINT));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      n = recv (raw->fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          raw->eof = TRUE;
          return FALSE;
        }
      g_string_append_len (raw->buf, chunk, n);
      return TRUE;
    }
}

/* The next line without its CR LF, or NULL after @timeout_ms or at EOF. */
static char *
raw_read_line_until (Raw   *raw,
                     gint64 deadline)
{
  for (;;)
    {
      const char *nl = memchr (raw->buf->str, '\n', raw->buf->len);

      if (nl != NULL)
        {
          gsize length = nl - raw->buf->str;
          char *line = g_strndup (raw->buf->str, length > 0 && nl[-1] == '\r' ? length - 1 : length);

          g_string_erase (raw->buf, 0, length + 1);
          return line;
        }
      if (!raw_fill (raw, deadline))
        return NULL;
    }
}

static char *
raw_read_line (Raw *raw)
{
  return raw_read_line_until (raw, eap_test_deadline (EAP_TEST_TIMEOUT_MS));
}

/* Reads lines until one contains @needle; returns it (NULL on timeout or
 * EOF). The lines skipped are dropped. */
static char *
raw_expect (Raw        *raw,
            const char *needle)
{
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
  char *line;

  while ((line = raw_read_line_until (raw, deadline)) != NULL)
    {
      if (strstr (line, needle) != NULL)
        return line;
      g_free (line);
    }
  return NULL;
}

#define RAW_EXPECT(raw, needle)                                          \
  G_STMT_START {                                                         \
    g_autofree char *_line = raw_expect ((raw), (needle));               \
    CU_ASSERT_PTR_NOT_NULL (_line);                                      \
    if (_line == NULL)                                                   \
      g_printerr ("  expected a line with \"%s\"\n", (needle));          \
  } G_STMT_END

/* The next line must contain @needle. */
/* A round trip (raw_sync) that must bring back nothing else: the server
 * sent @raw no line it should not have. */
#define RAW_NOTHING_MORE(raw)                                            \
  G_STMT_START {                                                         \
    g_auto(GStrv) _extra = raw_sync (raw);                               \
    CU_ASSERT_EQUAL (g_strv_length (_extra), 0);                         \
    for (guint _i = 0; _extra[_i] != NULL; _i++)                         \
      g_printerr ("  unexpected line: %s\n", _extra[_i]);               \
  } G_STMT_END

#define RAW_NEXT(raw, needle)                                            \
  G_STMT_START {                                                         \
    g_autofree char *_line = raw_read_line (raw);                        \
    CU_ASSERT_PTR_NOT_NULL (_line);                                      \
    if (_line == NULL || strstr (_line, (needle)) == NULL)               \
      {                                                                  \
        CU_FAIL ("unexpected line");                                     \
        g_printerr ("  expected \"%s\", got \"%s\"\n", (needle),         \
                    _line != NULL ? _line : "(nothing)");                \
      }                                                                  \
  } G_STMT_END

/* Waits until the server closed the connection (any lines before are
 * skipped). */
static gboolean
raw_wait_closed (Raw *raw)
{
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);

  g_string_truncate (raw->buf, 0);
  while (!raw->eof && !eap_test_deadline_passed (deadline))
    {
      raw_fill (raw, deadline);
      g_string_truncate (raw->buf, 0);
    }
  return raw->eof;
}

/* A round trip: every line the server sent before its PONG is returned
 * (NULL-terminated), so a test can assert that nothing else came. */
static GStrv
raw_sync (Raw *raw)
{
  g_autoptr(GStrvBuilder) before = g_strv_builder_new ();
  gint64 deadline = eap_test_deadline (EAP_TEST_TIMEOUT_MS);
  static guint counter;
  g_autofree char *token = g_strdup_printf ("sync-%u", ++counter);
  char *line;

  raw_send (raw, "PING :%s", token);
  while ((line = raw_read_line_until (raw, deadline)) != NULL)
    {
      if (strstr (line, " PONG ") != NULL && g_str_has_suffix (line, token))
        {
          g_free (line);
          return g_strv_builder_end (before);
        }
      g_strv_builder_add (before, line);
      g_free (line);
    }
  CU_FAIL ("no PONG for the sync PING");
  return g_strv_builder_end (before);
}

/* Registers as @nick and reads the welcome burst up to 422. */
static Raw *
raw_register (guint16     port,
              const char *nick)
{
  Raw *raw = raw_connect (port);

  raw_send (raw, "NICK %s", nick);
  raw_send (raw, "USER %s 0 * :Test %s", nick, nick);
  RAW_EXPECT (raw, " 422 ");
  return raw;
}

/* ------------------------------------------------------------------ */
/* Scripted sessions                                                    */
/* ------------------------------------------------------------------ */

static void
test_registration_numerics (void)
{
  ChatTestServer *st = chat_test_server_start (NULL);
  g_autoptr(Raw) raw = raw_connect (st->port);
  g_autoptr(Raw) plain = NULL;
  g_autofree char *welcome = NULL;

  /* As irssi and weechat begin: CAP LS holds registration until CAP END. */
  raw_send (raw, "CAP LS 302");
  raw_send (raw, "NICK alice");
  raw_send (raw, "USER alice 0 * :Alice Liddell");
  RAW_NEXT (raw, ":eap.local CAP * LS :");
  RAW_NOTHING_MORE (raw);   /* no 001 before CAP END */
  raw_send (raw, "CAP END");
  welcome = raw_read_line (raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
  CU_ASSERT_TRUE (g_str_has_prefix (welcome, ":eap.local 001 alice :Welcome"));
  CU_ASSERT_PTR_NOT_NULL (strstr (welcome, "alice!alice@127.0.0.1"));
  RAW_NEXT (raw, ":eap.local 002 alice :Your host is eap.local");
  RAW_NEXT (raw, ":eap.local 003 alice ");
  RAW_NEXT (raw, ":eap.local 004 alice eap.local ");
  RAW_NEXT (raw, "CASEMAPPING=rfc1459 CHANTYPES=#& NICKLEN=30");
  RAW_NEXT (raw, ":eap.local 422 alice :");

  /* Without CAP, NICK + USER register at once; USER again is refused. */
  plain = raw_register (st->port, "bob");
  raw_send (plain, "USER x 0 * :x");
  RAW_NEXT (plain, " 462 bob ");
  CU_ASSERT_EQUAL (chat_test_server_stats (st).n_registered, 2);

  chat_test_server_stop (st);
}

static void
test_scripted_session (void)
{
  ChatTestServer *st = chat_test_server_start (NULL);
  g_autoptr(Raw) alice = raw_register (st->port, "alice");
  g_autoptr(Raw) bob = raw_register (st->port, "bob");
  g_autoptr(Raw) carol = NULL;
  g_autofree char *names = NULL;

  /* JOIN: the echo, no topic yet, NAMES. */
  raw_send (alice, "JOIN #Test");
  RAW_NEXT (alice, ":alice!alice@127.0.0.1 JOIN #Test");
  RAW_NEXT (alice, " 353 alice = #Test alice");
  RAW_NEXT (alice, " 366 alice #Test :");

  /* Channel names fold by RFC 1459: #test is #Test. */
  raw_send (bob, "JOIN #test");
  RAW_NEXT (bob, ":bob!bob@127.0.0.1 JOIN #Test");
  names = raw_read_line (bob);
  CU_ASSERT_PTR_NOT_NULL_FATAL (names);
  CU_ASSERT_PTR_NOT_NULL (strstr (names, " 353 bob = #Test :"));
  CU_ASSERT_PTR_NOT_NULL (strstr (names, "alice"));
  CU_ASSERT_PTR_NOT_NULL (strstr (names, "bob"));
  RAW_NEXT (bob, " 366 bob #Test :");
  RAW_NEXT (alice, ":bob!bob@127.0.0.1 JOIN #Test");

  /* PRIVMSG to the channel: the other member gets it, the sender not. */
  raw_send (alice, "PRIVMSG #test :hello, bob");
  RAW_NEXT (bob, ":alice!alice@127.0.0.1 PRIVMSG #Test :hello, bob");
  RAW_NOTHING_MORE (alice);

  /* To a nick, any case; NOTICE too. */
  raw_send (bob, "PRIVMSG ALICE :psst");
  RAW_NEXT (alice, ":bob!bob@127.0.0.1 PRIVMSG alice psst");
  raw_send (bob, "NOTICE #Test :a notice");
  RAW_NEXT (alice, ":bob!bob@127.0.0.1 NOTICE #Test :a notice");

  /* TOPIC: set by anyone on the channel, seen by all, read back. */
  raw_send (bob, "TOPIC #Test");
  RAW_NEXT (bob, " 331 bob #Test :");
  raw_send (bob, "TOPIC #Test :Tea party");
  RAW_NEXT (bob, ":bob!bob@127.0.0.1 TOPIC #Test :Tea party");
  RAW_NEXT (alice, ":bob!bob@127.0.0.1 TOPIC #Test :Tea party");
  raw_send (alice, "TOPIC #Test");
  RAW_NEXT (alice, " 332 alice #Test :Tea party");
  RAW_NEXT (alice, " 333 alice #Test bob ");

  /* A later joiner gets the topic on JOIN. */
  carol = raw_register (st->port, "carol");
  raw_send (carol, "JOIN #Test");
  RAW_NEXT (carol, "JOIN #Test");
  RAW_NEXT (carol, " 332 carol #Test :Tea party");
  RAW_EXPECT (carol, " 366 carol #Test ");
  RAW_NEXT (alice, ":carol!carol@127.0.0.1 JOIN #Test");
  RAW_NEXT (bob, ":carol!carol@127.0.0.1 JOIN #Test");

  /* PING -> PONG. */
  raw_send (alice, "PING :12345");
  RAW_NEXT (alice, ":eap.local PONG eap.local 12345");

  /* NAMES, MODE and WHO as clients send them after a JOIN. */
  raw_send (carol, "MODE #Test");
  RAW_NEXT (carol, " 324 carol #Test +n");
  RAW_NEXT (carol, " 329 carol #Test ");
  raw_send (carol, "MODE #Test b");
  RAW_NEXT (carol, " 368 carol #Test :");
  raw_send (carol, "WHO #Test");
  RAW_EXPECT (carol, " 315 carol #Test :");
  raw_send (carol, "NAMES #Test");
  RAW_EXPECT (carol, " 366 carol #Test :");

  /* What clients send around registration and for notify lists. */
  raw_send (carol, "MODE carol +i");
  RAW_NEXT (carol, " 221 carol +");
  raw_send (carol, "ISON nobody bob ALICE");
  RAW_NEXT (carol, " 303 carol :bob alice");
  raw_send (carol, "USERHOST bob");
  RAW_NEXT (carol, " 302 carol bob=+bob@127.0.0.1");
  raw_send (carol, "AWAY :lunch");
  RAW_NEXT (carol, " 306 carol :");
  raw_send (carol, "WHOIS bob");
  RAW_NEXT (carol, " 311 carol bob bob 127.0.0.1 * :Test bob");
  RAW_EXPECT (carol, " 318 carol bob :");

  /* NICK change: the peers see it, once each. */
  raw_send (carol, "NICK Caroline");
  RAW_NEXT (carol, ":carol!carol@127.0.0.1 NICK Caroline");
  RAW_NEXT (alice, ":carol!carol@127.0.0.1 NICK Caroline");
  RAW_NEXT (bob, ":carol!carol@127.0.0.1 NICK Caroline");

  /* PART: seen by the channel, then carol is no longer there. */
  raw_send (carol, "PART #Test :bye");
  RAW_NEXT (carol, ":Caroline!carol@127.0.0.1 PART #Test bye");
  RAW_NEXT (alice, ":Caroline!carol@127.0.0.1 PART #Test bye");
  RAW_NEXT (bob, ":Caroline!carol@127.0.0.1 PART #Test bye");
  raw_send (carol, "PRIVMSG #Test :still here?");
  RAW_NEXT (carol, " 404 Caroline #Test :");

  /* QUIT: the peer sees it; the quitter gets ERROR and the end. */
  raw_send (alice, "QUIT :off to tea");
  RAW_NEXT (alice, "ERROR :Closing link");
  CU_ASSERT_TRUE (raw_wait_closed (alice));
  RAW_NEXT (bob, ":alice!alice@127.0.0.1 QUIT :Quit: off to tea");
  RAW_NOTHING_MORE (carol);   /* carol left #Test: not told */
  raw_send (bob, "PRIVMSG alice :gone?");
  RAW_NEXT (bob, " 401 bob alice :");

  chat_test_server_stop (st);
}

static void
test_errors (void)
{
  ChatTestServer *st = chat_test_server_start (NULL);
  g_autoptr(Raw) early = raw_connect (st->port);
  g_autoptr(Raw) alice = NULL;
  g_autoptr(Raw) bob = NULL;

  /* 451 before registration; NICK errors apply already. */
  raw_send (early, "JOIN #x");
  RAW_NEXT (early, ":eap.local 451 * :");
  raw_send (early, "PRIVMSG bob :hi");
  RAW_NEXT (early, ":eap.local 451 * :");
  raw_send (early, "NICK");
  RAW_NEXT (early, ":eap.local 431 * :");
  raw_send (early, "NICK 9lives");
  RAW_NEXT (early, ":eap.local 432 * 9lives :");
  raw_send (early, "NICK a!b");
  RAW_NEXT (early, " 432 * a!b :");
  raw_send (early, "NICK waytoolongnicknamewaytoolongnickname");
  RAW_NEXT (early, " 432 ");
  raw_send (early, "USER only");
  RAW_NEXT (early, ":eap.local 461 * USER :");

  alice = raw_register (st->port, "alice");
  bob = raw_register (st->port, "bob");

  /* 433, in any case. */
  raw_send (early, "NICK ALICE");
  RAW_NEXT (early, ":eap.local 433 * ALICE :");
  raw_send (bob, "NICK Alice");
  RAW_NEXT (bob, ":eap.local 433 bob Alice :");

  raw_send (alice, "JOIN");
  RAW_NEXT (alice, ":eap.local 461 alice JOIN :");
  raw_send (alice, "TOPIC");
  RAW_NEXT (alice, ":eap.local 461 alice TOPIC :");
  raw_send (alice, "PRIVMSG nobody :hi");
  RAW_NEXT (alice, ":eap.local 401 alice nobody :");
  raw_send (alice, "PRIVMSG #nowhere :hi");
  RAW_NEXT (alice, ":eap.local 403 alice #nowhere :");
  raw_send (alice, "JOIN nohash");
  RAW_NEXT (alice, ":eap.local 403 alice nohash :");
  raw_send (alice, "PART #nowhere");
  RAW_NEXT (alice, ":eap.local 403 alice #nowhere :");
  raw_send (alice, "FROBNICATE now");
  RAW_NEXT (alice, ":eap.local 421 alice FROBNICATE :");
  raw_send (alice, "PRIVMSG bob");
  RAW_NEXT (alice, ":eap.local 412 alice :");

  raw_send (bob, "JOIN #b");
  RAW_EXPECT (bob, " 366 bob #b ");
  raw_send (alice, "PART #b");
  RAW_NEXT (alice, ":eap.local 442 alice #b :");
  raw_send (alice, "TOPIC #b :mine");
  RAW_NEXT (alice, ":eap.local 442 alice #b :");

  /* NOTICE never answers with an error. */
  raw_send (alice, "NOTICE nobody :hi");
  RAW_NOTHING_MORE (alice);

  /* The early one still registers once it gets it right. */
  raw_send (early, "NICK early");
  raw_send (early, "USER early 0 * :Early");
  RAW_EXPECT (early, " 001 early ");

  chat_test_server_stop (st);
}

static void
test_malformed_and_oversized (void)
{
  ChatTestServer *st = chat_test_server_start (NULL);
  g_autoptr(Raw) alice = raw_register (st->port, "alice");
  g_autoptr(Raw) big = raw_register (st->port, "big");
  g_autoptr(Raw) nul = raw_register (st->port, "nul");
  g_autoptr(Raw) later = NULL;
  g_autofree char *l511 = NULL;
  g_autofree char *l600 = NULL;
  ChatServerStats stats;

  /* Empty lines, a bare prefix, junk commands: ignored. */
  CU_ASSERT_TRUE (raw_write_str (alice, "\r\n\n   \r\n:only.prefix\r\n12 x\r\n"));
  RAW_NOTHING_MORE (alice);

  /* 511 bytes: within the framer's tolerance, answered with 417. */
  l511 = g_strdup_printf ("PRIVMSG alice :%s", "");
  {
    g_autofree char *pad = g_strnfill (511 - strlen (l511), 'x');
    g_autofree char *line = g_strconcat (l511, pad, NULL);

    CU_ASSERT_EQUAL (strlen (line), 511);
    raw_send (alice, "%s", line);
    RAW_NEXT (alice, ":eap.local 417 alice :");
  }

  /* 600 bytes: the framer drops the client; the others stay. */
  l600 = g_strnfill (600, 'y');
  raw_send (big, "PRIVMSG alice :%s", l600);
  CU_ASSERT_TRUE (raw_wait_closed (big));

  /* A NUL byte: dropped. */
  CU_ASSERT_TRUE (raw_write (nul, "PRIVMSG alice :a\0b\r\n", 20));
  CU_ASSERT_TRUE (raw_wait_closed (nul));

  RAW_NOTHING_MORE (alice);   /* none of that reached alice */
  later = raw_register (st->port, "later");
  raw_send (later, "PRIVMSG alice :fine");
  RAW_NEXT (alice, ":later!later@127.0.0.1 PRIVMSG alice fine");

  stats = chat_test_server_stats (st);
  CU_ASSERT_EQUAL (stats.n_dropped, 2);
  CU_ASSERT_EQUAL (stats.n_clients, 2);

  chat_test_server_stop (st);
}

static void
test_crlf_injection (void)
{
  ChatTestServer *st = chat_test_server_start (NULL);
  g_autoptr(Raw) mallory = raw_register (st->port, "mallory");
  g_autoptr(Raw) bob = raw_register (st->port, "bob");

  raw_send (bob, "JOIN #c");
  RAW_EXPECT (bob, " 366 bob #c ");
  raw_send (mallory, "JOIN #c");
  RAW_EXPECT (mallory, " 366 mallory #c ");
  RAW_EXPECT (bob, "mallory!mallory@127.0.0.1 JOIN #c");

  /* A lone CR stays inside the framed line: the parser refuses it, so the
   * line is dropped whole and no "QUIT" or "KILL" reaches bob. */
  CU_ASSERT_TRUE (raw_write_str (mallory, "PRIVMSG #c :hi\rKILL bob\r\n"));
  CU_ASSERT_TRUE (raw_write_str (mallory, "PRIVMSG bob :x\r:evil!e@h QUIT :fake\r\n"));
  CU_ASSERT_TRUE (raw_write_str (mallory, "TOPIC #c :t\r\rinjected\r\n"));
  CU_ASSERT_TRUE (raw_write_str (mallory, "NICK ev\ril\r\n"));
  raw_send (mallory, "PRIVMSG #c :marker");
  RAW_NEXT (bob, ":mallory!mallory@127.0.0.1 PRIVMSG #c marker");
  RAW_NOTHING_MORE (bob);
  CU_ASSERT_EQUAL (bob->buf->len, 0);

  /* LF ends a line: two messages from mallory, each framed as its own. */
  CU_ASSERT_TRUE (raw_write_str (mallory, "PRIVMSG #c :one\nPRIVMSG #c :two\r\n"));
  RAW_NEXT (bob, ":mallory!mallory@127.0.0.1 PRIVMSG #c one");
  RAW_NEXT (bob, ":mallory!mallory@127.0.0.1 PRIVMSG #c two");

  chat_test_server_stop (st);
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */
/* ------------------------------------------------------------------ */

static void
test_non_reader_dropped (void)
{
  ChatServerOptions options;
  ChatTestServer *st;
  g_autoptr(Raw) talker = NULL;
  g_autoptr(Raw) reader = NULL;
  g_autoptr(Raw) slow = NULL;
  g_autofree char *pad = g_strnfill (400, 'p');
  gint64 deadline;
  guint sent = 0, next = 0;
  gboolean slow_quit_seen = FALSE;

  chat_test_server_options (&options);
  options.max_send_queue = 64 * 1024;
  options.flood_limit = FALSE;
  st = chat_test_server_start (&options);

  talker = raw_register (st->port, "talker");
  reader = raw_register (st->port, "reader");
  slow = raw_connect_with (st->port, 4096);
  raw_send (slow, "NICK slow");
  raw_send (slow, "USER slow 0 * :Slow");
  RAW_EXPECT (slow, " 422 ");
  raw_send (talker, "JOIN #c");
  RAW_EXPECT (talker, " 366 talker #c ");
  raw_send (reader, "JOIN #c");
  RAW_EXPECT (reader, " 366 reader #c ");
  raw_send (slow, "JOIN #c");
  RAW_EXPECT (slow, " 366 slow #c ");
  RAW_EXPECT (reader, "slow!slow@127.0.0.1 JOIN #c");

  /* The talker writes; slow never reads again; the reader reads all,
   * until the reader sees slow dropped. */
  deadline = eap_test_deadline (30000);
  while (!slow_quit_seen && !eap_test_deadline_passed (deadline) && sent < 200000)
    {
      g_autoptr(GString) batch = g_string_new (NULL);

      for (guint i = 0; i < 50; i++)
        g_string_append_printf (batch, "PRIVMSG #c :%u %s\r\n", sent++, pad);
      CU_ASSERT_TRUE_FATAL (raw_write (talker, batch->str, batch->len));

      /* Read what the reader has now. */
      for (;;)
        {
          g_autofree char *line = raw_read_line_until (reader, g_get_monotonic_time () + 2000);
          char *text;

          if (line == NULL)
            break;
          if (strstr (line, "slow!slow@127.0.0.1 QUIT :SendQ exceeded") != NULL)
            {
              slow_quit_seen = TRUE;
              continue;
            }
          text = strstr (line, " PRIVMSG #c :");
          CU_ASSERT_PTR_NOT_NULL_FATAL (text);
          CU_ASSERT_EQUAL_FATAL (strtoul (text + 13, NULL, 10), next);
          next++;
        }
    }
  CU_ASSERT_TRUE (slow_quit_seen);
  g_printerr (" [dropped after %u lines] ", sent);

  /* More after the drop; the reader gets every message, once, in order. */
  {
    g_autoptr(GString) batch = g_string_new (NULL);

    for (guint i = 0; i < 200; i++)
      g_string_append_printf (batch, "PRIVMSG #c :%u %s\r\n", sent++, pad);
    CU_ASSERT_TRUE (raw_write (talker, batch->str, batch->len));
  }
  while (next < sent)
    {
      g_autofree char *line = raw_read_line (reader);
      char *text;

      CU_ASSERT_PTR_NOT_NULL_FATAL (line);
      text = strstr (line, " PRIVMSG #c :");
      CU_ASSERT_PTR_NOT_NULL_FATAL (text);
      CU_ASSERT_EQUAL_FATAL (strtoul (text + 13, NULL, 10), next);
      next++;
    }
  CU_ASSERT_EQUAL (chat_test_server_stats (st).n_dropped, 1);
  CU_ASSERT_EQUAL (chat_test_server_stats (st).n_clients, 2);
  CU_ASSERT_TRUE (raw_wait_closed (slow));

  chat_test_server_stop (st);
}

static void
test_registration_deadline (void)
{
  ChatServerOptions options;
  ChatTestServer *st;
  g_autoptr(Raw) idle = NULL;
  g_autoptr(Raw) half = NULL;
  g_autoptr(Raw) ok = NULL;

  chat_test_server_options (&options);
  options.registration_timeout_ms = 500;
  st = chat_test_server_start (&options);

  idle = raw_connect (st->port);
  half = raw_connect (st->port);
  ok = raw_register (st->port, "ok");
  raw_send (half, "NICK half");

  RAW_EXPECT (idle, "ERROR :Closing link: (unknown@127.0.0.1) [Registration timed out]");
  CU_ASSERT_TRUE (raw_wait_closed (idle));
  RAW_EXPECT (half, "Registration timed out");
  CU_ASSERT_TRUE (raw_wait_closed (half));

  /* The registered one stays; the nick "half" is free again. */
  raw_send (ok, "NICK half");
  RAW_NEXT (ok, ":ok!ok@127.0.0.1 NICK half");
  CU_ASSERT_EQUAL (chat_test_server_stats (st).n_dropped, 2);

  chat_test_server_stop (st);
}

static void
test_ping_timeout (void)
{
  ChatServerOptions options;
  ChatTestServer *st;
  g_autoptr(Raw) mute = NULL;
  g_autoptr(Raw) alive = NULL;

  chat_test_server_options (&options);
  options.ping_interval_ms = 150;
  options.ping_timeout_ms = 300;
  st = chat_test_server_start (&options);

  mute = raw_register (st->port, "mute");
  alive = raw_register (st->port, "alive");
  raw_send (alive, "JOIN #c");
  RAW_EXPECT (alive, " 366 alive #c ");
  raw_send (mute, "JOIN #c");
  RAW_EXPECT (alive, "mute!mute@127.0.0.1 JOIN #c");

  /* The server pings both; alive answers twice, mute never does. */
  RAW_EXPECT (alive, "PING :eap.local");
  raw_send (alive, "PONG :eap.local");
  RAW_EXPECT (mute, "PING :eap.local");
  RAW_EXPECT (alive, "PING :eap.local");
  raw_send (alive, "PONG :eap.local");
  RAW_EXPECT (alive, ":mute!mute@127.0.0.1 QUIT :Ping timeout");
  CU_ASSERT_TRUE (raw_wait_closed (mute));
  CU_ASSERT_FALSE (alive->eof);

  chat_test_server_stop (st);
}

static void
test_flood (void)
{
  ChatServerOptions options;
  ChatTestServer *st;
  g_autoptr(Raw) flooder = NULL;
  g_autoptr(Raw) polite = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);

  chat_test_server_options (&options);
  options.flood_burst = 5;
  options.flood_excess = 5;
  options.flood_rate = 1;
  st = chat_test_server_start (&options);

  /* Registration takes 2 lines; 6 more (and the sync below) are within
   * 5 + 5. */
  polite = raw_register (st->port, "polite");
  for (guint i = 0; i < 6; i++)
    g_string_append_printf (burst, "PING :p%u\r\n", i);
  CU_ASSERT_TRUE (raw_write (polite, burst->str, burst->len));
  RAW_EXPECT (polite, "PONG eap.local p5");

  flooder = raw_register (st->port, "flooder");
  g_string_truncate (burst, 0);
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (burst, "PRIVMSG polite :flood %u\r\n", i);
  raw_write (flooder, burst->str, burst->len);
  RAW_EXPECT (flooder, "ERROR :Closing link: (flooder@127.0.0.1) [Excess Flood]");
  CU_ASSERT_TRUE (raw_wait_closed (flooder));

  /* At most burst + excess lines (minus registration) got through. */
  {
    g_auto(GStrv) got = raw_sync (polite);

    CU_ASSERT_TRUE (g_strv_length (got) <= 10);
    CU_ASSERT_TRUE (g_strv_length (got) >= 5);
  }
  CU_ASSERT_EQUAL (chat_test_server_stats (st).n_dropped, 1);

  chat_test_server_stop (st);
}

static void
test_max_clients (void)
{
  ChatServerOptions options;
  ChatTestServer *st;
  g_autoptr(Raw) a = NULL;
  g_autoptr(Raw) b = NULL;
  g_autoptr(Raw) c = NULL;

  chat_test_server_options (&options);
  options.max_clients = 2;
  st = chat_test_server_start (&options);

  a = raw_register (st->port, "a");
  b = raw_register (st->port, "b");
  c = raw_connect (st->port);
  CU_ASSERT_TRUE (raw_wait_closed (c));
  CU_ASSERT_EQUAL (chat_test_server_stats (st).n_rejected, 1);
  raw_send (a, "PRIVMSG b :still fine");
  RAW_NEXT (b, ":a!a@127.0.0.1 PRIVMSG b :still fine");

  chat_test_server_stop (st);
}

/* ------------------------------------------------------------------ */
/* EapTcpClients as IRC clients                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  EapTcpClient *tcp;
  GPtrArray    *lines;
  gboolean      disconnected;
} EapPeer;

static void
eap_peer_line (EapTcpClient *tcp,
               const char   *line,
               gpointer      data)
{
  EapPeer *peer = data;

  g_ptr_array_add (peer->lines, g_strdup (line));
}

static void
eap_peer_disconnected (EapTcpClient *tcp,
                       GError       *error,
                       gpointer      data)
{
  EapPeer *peer = data;

  peer->disconnected = TRUE;
}

typedef struct
{
  EapPeer    *peer;
  const char *needle;
  guint       from;
} LineWait;

static gboolean
peer_has_line (gpointer data)
{
  LineWait *w = data;

  for (guint i = w->from; i < w->peer->lines->len; i++)
    if (strstr (g_ptr_array_index (w->peer->lines, i), w->needle) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
peer_wait_line (EapPeer    *peer,
                const char *needle)
{
  LineWait w = { peer, needle, 0 };

  return eap_test_wait_until (peer_has_line, &w, EAP_TEST_TIMEOUT_MS);
}

static gboolean
is_connected (gpointer data)
{
  return eap_tcp_client_is_connected (data);
}

static void
eap_peer_init (EapPeer *peer,
               guint16  port,
               const char *nick)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nick_line = g_strdup_printf ("NICK %s", nick);
  g_autofree char *user_line = g_strdup_printf ("USER %s 0 * :EAP %s", nick, nick);
  g_autofree char *welcome = g_strdup_printf (" 001 %s ", nick);

  peer->tcp = eap_tcp_client_new ();
  peer->lines = g_ptr_array_new_with_free_func (g_free);
  eap_tcp_client_set_framing (peer->tcp, EAP_TCP_FRAMING_LINES);
  g_signal_connect (peer->tcp, "line-received", G_CALLBACK (eap_peer_line), peer);
  g_signal_connect (peer->tcp, "disconnected", G_CALLBACK (eap_peer_disconnected), peer);
  CU_ASSERT_TRUE_FATAL (eap_tcp_client_connect_async (peer->tcp, "127.0.0.1", port, NULL, &error));
  CU_ASSERT_TRUE_FATAL (eap_test_wait_until (is_connected, peer->tcp, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_TRUE (eap_tcp_client_queue_line (peer->tcp, nick_line, NULL));
  CU_ASSERT_TRUE (eap_tcp_client_queue_line (peer->tcp, user_line, NULL));
  CU_ASSERT_TRUE (peer_wait_line (peer, welcome));
}

static void
eap_peer_clear (EapPeer *peer)
{
  g_signal_handlers_disconnect_by_data (peer->tcp, peer);
  /* A close started and cancelled closes at once (eap_component_close
   * alone does not end an idle connection: see the report). */
  eap_tcp_client_close_async (peer->tcp, NULL, NULL);
  eap_component_close (EAP_COMPONENT (peer->tcp));
  g_clear_object (&peer->tcp);
  g_clear_pointer (&peer->lines, g_ptr_array_unref);
}

static void
test_eap_clients (void)
{
  ChatTestServer *st = chat_test_server_start (NULL);
  EapPeer alice = { 0 }, bob = { 0 };

  eap_peer_init (&alice, st->port, "alice");
  eap_peer_init (&bob, st->port, "bob");

  CU_ASSERT_TRUE (eap_tcp_client_queue_line (alice.tcp, "JOIN #eap", NULL));
  CU_ASSERT_TRUE (peer_wait_line (&alice, " 366 alice #eap "));
  CU_ASSERT_TRUE (eap_tcp_client_queue_line (bob.tcp, "JOIN #eap", NULL));
  CU_ASSERT_TRUE (peer_wait_line (&alice, ":bob!bob@127.0.0.1 JOIN #eap"));

  CU_ASSERT_TRUE (eap_tcp_client_queue_line (alice.tcp, "PRIVMSG #eap :hello from eap", NULL));
  CU_ASSERT_TRUE (peer_wait_line (&bob, ":alice!alice@127.0.0.1 PRIVMSG #eap :hello from eap"));
  CU_ASSERT_TRUE (eap_tcp_client_queue_line (bob.tcp, "PRIVMSG alice :and back", NULL));
  CU_ASSERT_TRUE (peer_wait_line (&alice, ":bob!bob@127.0.0.1 PRIVMSG alice :and back"));

  CU_ASSERT_TRUE (eap_tcp_client_queue_line (bob.tcp, "QUIT :done", NULL));
  CU_ASSERT_TRUE (peer_wait_line (&alice, ":bob!bob@127.0.0.1 QUIT :Quit: done"));
  CU_ASSERT_TRUE (eap_test_wait_until (eap_test_cond_flag, &bob.disconnected, EAP_TEST_TIMEOUT_MS));

  eap_peer_clear (&alice);
  eap_peer_clear (&bob);
  eap_test_drain ();
  chat_test_server_stop (st);
}

/* ------------------------------------------------------------------ */
/* Fan-out                                                              */
/* ------------------------------------------------------------------ */

#define FANOUT_CLIENTS  500
#define FANOUT_MESSAGES 40

static void
raise_nofile (guint needed)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < needed)
    {
      rl.rlim_cur = MIN (rl.rlim_max, (rlim_t) needed);
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

static void
test_fanout_500 (void)
{
  ChatServerOptions options;
  ChatTestServer *st;
  Raw *clients[FANOUT_CLIENTS];
  gint64 start = g_get_monotonic_time ();
  ChatServerStats stats;

  raise_nofile (2 * FANOUT_CLIENTS + 200);
  chat_test_server_options (&options);
  options.flood_limit = FALSE;
  st = chat_test_server_start (&options);

  /* Connect and register all, pipelined; then join one by one, so that
   * the last JOIN is the last thing everyone sees before the messages. */
  for (guint i = 0; i < FANOUT_CLIENTS; i++)
    {
      clients[i] = raw_connect (st->port);
      raw_send (clients[i], "NICK n%u", i);
      raw_send (clients[i], "USER u 0 * :fan %u", i);
    }
  for (guint i = 0; i < FANOUT_CLIENTS; i++)
    RAW_EXPECT (clients[i], " 422 ");
  for (guint i = 0; i < FANOUT_CLIENTS; i++)
    {
      g_autofree char *needle = g_strdup_printf (" 366 n%u #big ", i);

      raw_send (clients[i], "JOIN #big");
      RAW_EXPECT (clients[i], needle);
    }
  for (guint i = 0; i < FANOUT_CLIENTS - 1; i++)
    {
      g_autofree char *needle = g_strdup_printf (":n%u!u@127.0.0.1 JOIN #big", FANOUT_CLIENTS - 1);

      RAW_EXPECT (clients[i], needle);
    }

  /* Two senders, interleaved. */
  for (guint m = 0; m < FANOUT_MESSAGES; m++)
    raw_send (clients[m % 2], "PRIVMSG #big :message %u", m);

  for (guint i = 0; i < FANOUT_CLIENTS; i++)
    {
      g_auto(GStrv) rest = NULL;

      /* Each sender's messages arrive in its order; the two senders'
       * interleave as the server read them. */
      guint expected[2] = { 0, 1 };
      guint n_expected = i < 2 ? FANOUT_MESSAGES / 2 : FANOUT_MESSAGES;

      if (i < 2)
        expected[i] = FANOUT_MESSAGES;     /* a sender does not get its own */
      for (guint n = 0; n < n_expected; n++)
        {
          g_autofree char *line = raw_read_line (clients[i]);
          char *text;
          guint m;

          CU_ASSERT_PTR_NOT_NULL_FATAL (line);
          text = strstr (line, " PRIVMSG #big :message ");
          CU_ASSERT_PTR_NOT_NULL_FATAL (text);
          m = strtoul (text + 23, NULL, 10);
          CU_ASSERT_EQUAL_FATAL (m, expected[m % 2]);
          CU_ASSERT_PTR_NOT_NULL (strstr (line, m % 2 == 0 ? ":n0!" : ":n1!"));
          expected[m % 2] += 2;
        }
      rest = raw_sync (clients[i]);
      CU_ASSERT_EQUAL (g_strv_length (rest), 0);   /* nothing twice */
    }

  stats = chat_test_server_stats (st);
  CU_ASSERT_EQUAL (stats.n_clients, FANOUT_CLIENTS);
  CU_ASSERT_EQUAL (stats.n_deliveries, (guint64) FANOUT_MESSAGES * (FANOUT_CLIENTS - 1));
  CU_ASSERT_EQUAL (stats.n_dropped, 0);
  g_printerr (" [%d clients, %d messages: %.2f s] ", FANOUT_CLIENTS, FANOUT_MESSAGES,
              (g_get_monotonic_time () - start) / 1e6);

  for (guint i = 0; i < FANOUT_CLIENTS; i++)
    raw_free (clients[i]);
  chat_test_server_stop (st);
}

/* ------------------------------------------------------------------ */
/* The program                                                          */
/* ------------------------------------------------------------------ */

static void
test_program (void)
{
  const char *argv[] = { EAP_CHAT_SERVER_PATH, "--port", "0", "--quiet", "--name", "irc.test", NULL };
  const char *listening = "eap-chat-server: listening on 127.0.0.1:";
  g_autoptr(EapTestChild) child = eap_test_child_spawn (NULL, argv, EAP_TEST_CHILD_DEFAULT);
  g_autoptr(Raw) raw = NULL;
  guint port = 0;

  /* The first line on stdout says the port. */
  CU_ASSERT_TRUE (eap_test_child_wait_line (child, listening, TRUE, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (child->cursor, 1);
  if (child->cursor == 1)
    port = atoi ((char *) g_ptr_array_index (child->lines, 0) + strlen (listening));
  CU_ASSERT_TRUE (port > 0);

  if (port > 0)
    {
      raw = raw_connect (port);
      raw_send (raw, "NICK prog");
      raw_send (raw, "USER prog 0 * :Program");
      RAW_NEXT (raw, ":irc.test 001 prog ");
    }

  CU_ASSERT_EQUAL (eap_test_child_stop (child, 0, EAP_TEST_TIMEOUT_MS), 0);
  if (raw != NULL)
    CU_ASSERT_TRUE (raw_wait_closed (raw));
}

static CU_TestInfo chat_server_tests[] = {
  { "registration: CAP LS holds it, then 001-005 and 422", test_registration_numerics },
  { "scripted session: JOIN, NAMES, PRIVMSG, NOTICE, TOPIC, PING, NICK, PART, QUIT", test_scripted_session },
  { "errors 401 403 404 412 421 431 432 433 442 451 461 462", test_errors },
  { "malformed and oversized lines: ignored, 417, or dropped; the server goes on", test_malformed_and_oversized },
  { "CR injection never reaches another client", test_crlf_injection },
  { "a client that never reads is dropped, the others get everything", test_non_reader_dropped },
  { "the registration deadline drops silent connections", test_registration_deadline },
  { "idle clients are pinged, the mute ones dropped", test_ping_timeout },
  { "flood control: a burst passes, a flood is dropped", test_flood },
  { "max-clients refuses beyond the limit", test_max_clients },
  { "two EapTcpClients exchange messages through the server", test_eap_clients },
  { "500 clients in one channel get every message once, in order", test_fanout_500 },
  { "eap-chat-server prints its port and exits on SIGTERM", test_program },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "ChatServer",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = chat_server_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
