/* bench-tcp-load.c: the plain epoll load client of bench-tcp
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One single-threaded epoll process that drives an echo server on
 * 127.0.0.1 and prints one line of key=value figures on stdout, read by
 * bench-tcp. Every server (raw GIO, plain epoll, eap) is driven by this same
 * client. SERVER_PID is the server's process, whose CPU time and VmRSS are
 * read from /proc around the measured window.
 *
 *   bench-tcp-load rtt PORT SERVER_PID CONNS SECONDS
 *       CONNS connections each doing 64-byte ping-pong (send 64 bytes, wait
 *       for the 64 back, again) for SECONDS after a warm-up of 0.5 s.
 *       Prints: rtts=N ns=N server_cpu_ns=N
 *   bench-tcp-load stream PORT SERVER_PID MIB
 *       One connection; writes MIB MiB and reads the echo concurrently
 *       (non-blocking, both directions in one loop), with at most 4 MiB
 *       written and not yet echoed (a server that reads everything at once
 *       and queues the echo, as eap's must, then needs at most that much
 *       memory); the start of every chunk read is checked against the
 *       pattern sent.
 *       Prints: bytes=N ns=N server_cpu_ns=N
 *   bench-tcp-load idle PORT SERVER_PID N PINGS CAP_S WINDOW PING_CAP_S
 *       First one active connection does PINGS 64-byte ping-pongs (the
 *       round trip with nothing else held). Then N connections are opened
 *       with non-blocking connects, at most WINDOW of them in flight; each
 *       sends 1 byte when connected and is counted as accepted when the
 *       1-byte echo is back, then stays open and idle. accept_ns runs from
 *       the first connect to the last echo. The server's VmRSS is read
 *       before and after. Then the active connection does PINGS more
 *       ping-pongs (or as many as fit in PING_CAP_S) while the N are held.
 *       Gives up on the accepts after CAP_S seconds (finished=0).
 *       Prints: nofile=N base_rtt_ns=N finished=0|1 accepted=N accept_ns=N
 *               rss_before_kib=N rss_after_kib=N active_rtt_ns=N pings=N
 *
 * It raises RLIMIT_NOFILE to 25,000 when it can (root: the hard limit
 * too); with a lower limit it says so on stderr and opens what fits.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <glib.h>

#include "bench-util.h"

#define MSG_SIZE     64
#define WANT_NOFILE  25000
#define PATTERN_SIZE 1048573   /* prime, so a misplaced chunk does not match */
#define CHUNK        (256 * 1024)
#define IN_FLIGHT    (4 * 1024 * 1024)

static guint16 port;
static pid_t   server_pid;

static int
open_socket (gboolean nonblocking)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  int one = 1;

  if (fd < 0)
    bench_die ("socket: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* A connect to the server; 0 or an errno (EINPROGRESS when non-blocking). */
static int
start_connect (int fd)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  return connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0 ? 0 : errno;
}

static int
connect_blocking (void)
{
  int fd = open_socket (FALSE);
  int err = start_connect (fd);

  if (err != 0)
    bench_die ("connect to 127.0.0.1:%u: %s", (guint) port, g_strerror (err));
  return fd;
}

static void
set_nonblocking (int fd)
{
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
}

/* ------------------------------------------------------------------ */
/* rtt                                                                  */
/* ------------------------------------------------------------------ */

typedef struct
{
  int   fd;
  guint got;     /* bytes of the current echo received */
} PingConn;

static void
ping_send (PingConn *c)
{
  static const guint8 msg[MSG_SIZE] = { 'p' };

  if (write (c->fd, msg, sizeof msg) != sizeof msg)
    bench_die ("write: %s", g_strerror (errno));
  c->got = 0;
}

static int
run_rtt (int    argc,
         char **argv)
{
  int conns = atoi (argv[0]);
  double seconds = g_ascii_strtod (argv[1], NULL);
  g_autofree PingConn *c = NULL;
  struct epoll_event events[256];
  guint8 buffer[4096];
  gint64 start = 0, end, deadline, warm_end, cpu0 = 0, cpu1;
  guint64 rtts = 0;
  gboolean measuring = FALSE;
  int ep = epoll_create1 (EPOLL_CLOEXEC);

  if (conns < 1 || seconds <= 0)
    bench_die ("rtt: bad CONNS or SECONDS");
  c = g_new0 (PingConn, conns);
  for (int i = 0; i < conns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c[i] };

      c[i].fd = connect_blocking ();
      set_nonblocking (c[i].fd);
      epoll_ctl (ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
  for (int i = 0; i < conns; i++)
    ping_send (&c[i]);

  warm_end = bench_now_ns () + 500 * G_GINT64_CONSTANT (1000000);
  deadline = warm_end + (gint64) (seconds * 1e9);
  for (;;)
    {
      gint64 now = bench_now_ns ();
      int n;

      if (!measuring && now >= warm_end)
        {
          measuring = TRUE;
          rtts = 0;
          start = now;
          cpu0 = bench_proc_cpu_ns (server_pid);
        }
      if (now >= deadline)
        break;
      n = epoll_wait (ep, events, G_N_ELEMENTS (events), 100);
      for (int i = 0; i < n; i++)
        {
          PingConn *p = events[i].data.ptr;

          for (;;)
            {
              ssize_t k = read (p->fd, buffer, MIN (sizeof buffer, MSG_SIZE - p->got));

              if (k < 0 && errno == EINTR)
                continue;
              if (k < 0 && errno == EAGAIN)
                break;
              if (k <= 0)
                bench_die ("rtt: the server closed a connection (%s)",
                           k < 0 ? g_strerror (errno) : "EOF");
              p->got += (guint) k;
              if (p->got == MSG_SIZE)
                {
                  rtts++;
                  ping_send (p);
                }
            }
        }
    }
  end = bench_now_ns ();
  cpu1 = bench_proc_cpu_ns (server_pid);
  printf ("rtts=%" G_GUINT64_FORMAT " ns=%" G_GINT64_FORMAT " server_cpu_ns=%" G_GINT64_FORMAT "\n",
          rtts, end - start, cpu1 - cpu0);
  return 0;
}

/* ------------------------------------------------------------------ */
/* stream                                                               */
/* ------------------------------------------------------------------ */

static int
run_stream (int    argc,
            char **argv)
{
  gint64 total = g_ascii_strtoll (argv[0], NULL, 10) * 1024 * 1024;
  g_autofree guint8 *pattern = g_malloc (2 * PATTERN_SIZE);
  g_autofree guint8 *buffer = g_malloc (CHUNK);
  gint64 sent = 0, received = 0, start, end, cpu0, cpu1;
  gboolean watching_out = TRUE;
  guint64 x = 0x9e3779b97f4a7c15u;
  int fd, ep = epoll_create1 (EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };

  if (total <= 0)
    bench_die ("stream: bad MIB");
  for (gsize i = 0; i < PATTERN_SIZE; i++)
    {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      pattern[i] = pattern[i + PATTERN_SIZE] = (guint8) ((x * 0x2545f4914f6cdd1du) >> 56);
    }
  fd = connect_blocking ();
  set_nonblocking (fd);
  epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev);

  cpu0 = bench_proc_cpu_ns (server_pid);
  start = bench_now_ns ();
  while (received < total)
    {
      struct epoll_event events[1];

      if (epoll_wait (ep, events, 1, 10000) == 0)
        bench_die ("stream: nothing moved for 10 s (sent %" G_GINT64_FORMAT
                   ", received %" G_GINT64_FORMAT ")",
                   sent, received);
      while (sent < total && sent - received < IN_FLIGHT)
        {
          gsize off = (gsize) (sent % PATTERN_SIZE);
          gint64 want = MIN (MIN ((gint64) CHUNK, total - sent), IN_FLIGHT - (sent - received));
          ssize_t k = write (fd, pattern + off, (size_t) want);

          if (k < 0 && errno == EINTR)
            continue;
          if (k < 0 && errno == EAGAIN)
            break;
          if (k < 0)
            bench_die ("stream: write: %s", g_strerror (errno));
          sent += k;
        }
      /* Watch for writability only while there is room to write. */
      if (watching_out != (sent < total && sent - received < IN_FLIGHT))
        {
          watching_out = !watching_out;
          ev.events = EPOLLIN | (watching_out ? EPOLLOUT : 0);
          epoll_ctl (ep, EPOLL_CTL_MOD, fd, &ev);
        }
      for (;;)
        {
          ssize_t k = read (fd, buffer, CHUNK);

          if (k < 0 && errno == EINTR)
            continue;
          if (k < 0 && errno == EAGAIN)
            break;
          if (k <= 0)
            bench_die ("stream: the server closed the connection after %" G_GINT64_FORMAT
                       " bytes (%s)",
                       received, k < 0 ? g_strerror (errno) : "EOF");
          if (memcmp (buffer, pattern + received % PATTERN_SIZE, MIN (k, 32)) != 0)
            bench_die ("stream: wrong bytes at offset %" G_GINT64_FORMAT, received);
          received += k;
          /* Keep the two directions going: write again before reading on. */
          if (sent < total)
            break;
        }
      if (watching_out != (sent < total && sent - received < IN_FLIGHT))
        {
          watching_out = !watching_out;
          ev.events = EPOLLIN | (watching_out ? EPOLLOUT : 0);
          epoll_ctl (ep, EPOLL_CTL_MOD, fd, &ev);
        }
    }
  end = bench_now_ns ();
  cpu1 = bench_proc_cpu_ns (server_pid);
  printf ("bytes=%" G_GINT64_FORMAT " ns=%" G_GINT64_FORMAT " server_cpu_ns=%" G_GINT64_FORMAT "\n",
          received, end - start, cpu1 - cpu0);
  return 0;
}

/* ------------------------------------------------------------------ */
/* idle                                                                 */
/* ------------------------------------------------------------------ */

/* @n ping-pongs on the blocking @fd, within @deadline; fills @samples
 * (round trips in ns) and returns how many were done. */
static guint
ping_pong (int     fd,
           guint   n,
           gint64  deadline,
           double *samples)
{
  guint8 msg[MSG_SIZE] = { 'a' };
  guint done = 0;

  while (done < n && bench_now_ns () < deadline)
    {
      gint64 t0 = bench_now_ns ();
      gsize got = 0;

      if (write (fd, msg, sizeof msg) != sizeof msg)
        bench_die ("active connection: write: %s", g_strerror (errno));
      while (got < sizeof msg)
        {
          struct pollfd pfd = { fd, POLLIN, 0 };
          gint64 left_ms = (deadline - bench_now_ns ()) / 1000000 + 1;
          ssize_t k;

          if (poll (&pfd, 1, (int) MAX (left_ms, 1)) == 0)
            return done;
          k = read (fd, msg + got, sizeof msg - got);
          if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (k <= 0)
            bench_die ("active connection: %s",
                       k < 0 ? g_strerror (errno) : "closed by the server");
          got += (gsize) k;
        }
      samples[done++] = (double) (bench_now_ns () - t0);
    }
  return done;
}

typedef enum { IDLE_CONNECTING, IDLE_WAITING, IDLE_DONE } IdleState;

static int
run_idle (int    argc,
          char **argv)
{
  int n = atoi (argv[0]);
  int pings = atoi (argv[1]);
  double cap_s = g_ascii_strtod (argv[2], NULL);
  int window = atoi (argv[3]);
  double ping_cap_s = g_ascii_strtod (argv[4], NULL);
  rlim_t nofile = bench_raise_nofile (WANT_NOFILE, 1024);
  g_autofree int *fds = NULL;
  g_autofree guint8 *state = NULL;
  g_autofree double *samples = NULL;
  struct epoll_event events[256];
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  int active, next = 0, in_flight = 0, accepted = 0;
  gint64 start, end = 0, deadline, rss_before, rss_after;
  guint base_done, done = 0;
  double base_rtt, active_rtt = -1;
  gboolean finished;

  if (n < 1 || pings < 1 || cap_s <= 0 || window < 1 || ping_cap_s <= 0)
    bench_die ("idle: bad arguments");
  if ((rlim_t) n + 64 > nofile)
    {
      fprintf (stderr, "bench-tcp-load: RLIMIT_NOFILE is %lu, cannot hold %d connections: "
               "scaled down to %lu\n", (unsigned long) nofile, n, (unsigned long) nofile - 64);
      n = (int) nofile - 64;
    }
  fds = g_new (int, n);
  state = g_new0 (guint8, n);
  samples = g_new (double, pings);

  active = connect_blocking ();
  base_done = ping_pong (active, (guint) pings, bench_now_ns () + (gint64) (ping_cap_s * 1e9), samples);
  base_rtt = base_done > 0 ? bench_median (samples, base_done) : -1;

  rss_before = bench_proc_status_kib (server_pid, "VmRSS");
  start = bench_now_ns ();
  deadline = start + (gint64) (cap_s * 1e9);
  while (accepted < n)
    {
      int k;

      while (next < n && in_flight < window)
        {
          struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (guint32) next };
          int err;

          fds[next] = open_socket (TRUE);
          err = start_connect (fds[next]);
          if (err != 0 && err != EINPROGRESS)
            bench_die ("connect %d: %s", next, g_strerror (err));
          state[next] = IDLE_CONNECTING;
          epoll_ctl (ep, EPOLL_CTL_ADD, fds[next], &ev);
          next++;
          in_flight++;
        }
      if (bench_now_ns () >= deadline)
        break;
      k = epoll_wait (ep, events, G_N_ELEMENTS (events), 100);
      for (int i = 0; i < k; i++)
        {
          guint32 j = events[i].data.u32;
          int fd = fds[j];

          if (state[j] == IDLE_CONNECTING)
            {
              int err = 0;
              socklen_t len = sizeof err;
              struct epoll_event ev = { .events = EPOLLIN, .data.u32 = j };

              getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len);
              if (err != 0)
                bench_die ("connect %u: %s (after %d accepted)", j, g_strerror (err), accepted);
              if (write (fd, "x", 1) != 1)
                bench_die ("connection %u: write: %s", j, g_strerror (errno));
              state[j] = IDLE_WAITING;
              epoll_ctl (ep, EPOLL_CTL_MOD, fd, &ev);
            }
          else if (state[j] == IDLE_WAITING)
            {
              char c;
              ssize_t r = read (fd, &c, 1);

              if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
              if (r != 1)
                bench_die ("connection %u: %s (after %d accepted)", j,
                           r < 0 ? g_strerror (errno) : "closed by the server", accepted);
              state[j] = IDLE_DONE;
              epoll_ctl (ep, EPOLL_CTL_DEL, fd, NULL);
              accepted++;
              in_flight--;
              end = bench_now_ns ();
            }
        }
    }
  finished = accepted == n;
  if (!finished)
    end = bench_now_ns ();
  rss_after = bench_proc_status_kib (server_pid, "VmRSS");

  if (finished)
    {
      done = ping_pong (active, (guint) pings, bench_now_ns () + (gint64) (ping_cap_s * 1e9), samples);
      active_rtt = done > 0 ? bench_median (samples, done) : -1;
    }

  printf ("nofile=%lu n=%d base_rtt_ns=%.0f finished=%d accepted=%d accept_ns=%" G_GINT64_FORMAT
          " rss_before_kib=%" G_GINT64_FORMAT " rss_after_kib=%" G_GINT64_FORMAT
          " active_rtt_ns=%.0f pings=%u\n",
          (unsigned long) nofile, n, base_rtt, finished, accepted, end - start, rss_before,
          rss_after, active_rtt, done);
  fflush (stdout);
  /* The connections close when the process exits. */
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  bench_init ("bench-tcp-load", NULL, NULL);
  if (argc < 4)
    bench_die ("usage: bench-tcp-load rtt|stream|idle PORT SERVER_PID ARGS... (see the source)");
  signal (SIGPIPE, SIG_IGN);
  port = (guint16) atoi (argv[2]);
  server_pid = (pid_t) atoi (argv[3]);
  if (strcmp (argv[1], "rtt") == 0 && argc == 6)
    return run_rtt (argc - 4, argv + 4);
  if (strcmp (argv[1], "stream") == 0 && argc == 5)
    return run_stream (argc - 4, argv + 4);
  if (strcmp (argv[1], "idle") == 0 && argc == 9)
    return run_idle (argc - 4, argv + 4);
  bench_die ("usage: bench-tcp-load rtt PORT PID CONNS SECONDS | stream PORT PID MIB | "
             "idle PORT PID N PINGS CAP_S WINDOW PING_CAP_S");
}
