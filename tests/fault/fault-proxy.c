/* fault-proxy.c: a TCP proxy for tests that breaks connections on purpose
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One thread, plain non-blocking sockets, one poll() over a wake-up pipe,
 * the listening socket and both sockets of every live connection. Each
 * direction of a connection is a queue of chunks read from its source and
 * not yet written to its destination; a write never passes the byte at
 * which the plan's fault fires, so the fault lands on that exact byte
 * whatever the kernel's chunking. A source is read only while its queue is
 * short, so a stalled or slow destination pushes back on the sender as a
 * real network would.
 */

#define _GNU_SOURCE   /* accept4, pipe2 */

#include "fault-proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK_SIZE   (64 * 1024)
#define QUEUE_LIMIT  (256 * 1024)    /* per direction: read no more until written */

typedef struct
{
  guint8 *data;                      /* (owned) */
  gsize   len;
  gsize   off;                       /* written so far */
  gint64  due;                       /* monotonic µs: not written before */
} Chunk;

typedef struct
{
  GQueue   chunks;                   /* (element-type Chunk) (owned) */
  gsize    queued;
  gboolean read_eof;                 /* the source ended (or failed once discarding) */
  gboolean shut;                     /* nothing more goes to the destination */
  gboolean discard;                  /* what the source sends is dropped */
  gint64   next_write;               /* trickle: not before */
} Direction;

typedef struct
{
  guint       index;
  int         fd[2];                 /* [0] client, [1] server; -1 once closed */
  FaultPlan   plan;
  gboolean    has_armed;             /* armed_plan waits to replace plan (under mutex) */
  FaultPlan   armed_plan;
  Direction   dir[2];                /* [FAULT_UP] reads fd[0], [FAULT_DOWN] reads fd[1] */
  gboolean    stalled;
  gboolean    live;
  FaultReport report;                /* guarded by the proxy's mutex */
} Conn;

struct _FaultProxy
{
  GThread      *thread;
  GMainContext *wake_context;        /* (owned) (nullable) */
  int           listen_fd;
  int           wake_pipe[2];
  guint16       port;

  GMutex        mutex;               /* guards what follows, and each Conn's report */
  guint16       upstream_port;
  FaultPlan     default_plan;
  GQueue        plans;               /* (element-type FaultPlan) (owned) */
  GPtrArray    *conns;               /* (element-type Conn) (owned): every one accepted */
  gboolean      stopping;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static void
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

static void
wake_thread (FaultProxy *proxy)
{
  char c = 'w';

  while (write (proxy->wake_pipe[1], &c, 1) < 0 && errno == EINTR)
    ;
}

static void
notify (FaultProxy *proxy)
{
  if (proxy->wake_context != NULL)
    g_main_context_wakeup (proxy->wake_context);
}

static int
src_fd (Conn *c,
        int   d)
{
  return c->fd[d == FAULT_UP ? 0 : 1];
}

static int
dst_fd (Conn *c,
        int   d)
{
  return c->fd[d == FAULT_UP ? 1 : 0];
}

static gboolean
plan_applies (const FaultPlan *plan,
              int              d)
{
  return plan->direction == (FaultDirection) d || plan->direction == FAULT_BOTH;
}

/* A fault that fires at one byte (not DELAY, not TRICKLE). */
static gboolean
plan_is_point (const FaultPlan *plan)
{
  return plan->action == FAULT_CUT || plan->action == FAULT_RESET ||
         plan->action == FAULT_STALL || plan->action == FAULT_HALF_CLOSE;
}

static void
direction_drop_queue (FaultProxy *proxy,
                      Conn       *c,
                      int         d)
{
  Chunk *chunk;

  while ((chunk = g_queue_pop_head (&c->dir[d].chunks)) != NULL)
    {
      g_mutex_lock (&proxy->mutex);
      c->report.dropped[d] += chunk->len - chunk->off;
      g_mutex_unlock (&proxy->mutex);
      g_free (chunk->data);
      g_free (chunk);
    }
  c->dir[d].queued = 0;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    {
      close (*fd);
      *fd = -1;
    }
}

static void
reset_fd (int *fd)
{
  if (*fd >= 0)
    {
      struct linger lg = { 1, 0 };

      setsockopt (*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close_fd (fd);
    }
}

static void
conn_finish (FaultProxy *proxy,
             Conn       *c,
             gboolean    reset)
{
  for (int d = 0; d < 2; d++)
    direction_drop_queue (proxy, c, d);
  for (int i = 0; i < 2; i++)
    {
      if (reset)
        reset_fd (&c->fd[i]);
      else
        close_fd (&c->fd[i]);
    }
  c->live = FALSE;
  g_mutex_lock (&proxy->mutex);
  c->report.finished = TRUE;
  g_mutex_unlock (&proxy->mutex);
}

/* ------------------------------------------------------------------ */
/* Faults                                                               */
/* ------------------------------------------------------------------ */

static void
fire (FaultProxy *proxy,
      Conn       *c)
{
  int d = c->plan.direction == FAULT_BOTH ? FAULT_UP : (int) c->plan.direction;

  g_mutex_lock (&proxy->mutex);
  c->report.fired = TRUE;
  c->report.fired_at = c->report.forwarded[d];
  g_mutex_unlock (&proxy->mutex);

  switch (c->plan.action)
    {
    case FAULT_CUT:
      /* FIN both ways, then read and drop until each peer closes: a close
       * with unread bytes would be a reset, and a cut is a clean end. */
      for (int i = 0; i < 2; i++)
        {
          if (c->fd[i] >= 0)
            shutdown (c->fd[i], SHUT_WR);
          direction_drop_queue (proxy, c, i);
          c->dir[i].shut = TRUE;
          c->dir[i].discard = TRUE;
        }
      break;

    case FAULT_RESET:
      conn_finish (proxy, c, TRUE);
      break;

    case FAULT_STALL:
      c->stalled = TRUE;
      break;

    case FAULT_HALF_CLOSE:
      if (c->fd[0] >= 0)
        shutdown (c->fd[0], SHUT_WR);
      direction_drop_queue (proxy, c, FAULT_DOWN);
      c->dir[FAULT_DOWN].shut = TRUE;
      c->dir[FAULT_DOWN].discard = TRUE;
      break;

    case FAULT_PASS:
    case FAULT_DELAY:
    case FAULT_TRICKLE:
    default:
      break;
    }
}

static void
check_fire (FaultProxy *proxy,
            Conn       *c)
{
  int d;
  guint64 forwarded;

  if (!c->live || !plan_is_point (&c->plan) || c->report.fired)
    return;
  d = c->plan.direction == FAULT_BOTH ? FAULT_UP : (int) c->plan.direction;
  g_mutex_lock (&proxy->mutex);
  forwarded = c->report.forwarded[d];
  g_mutex_unlock (&proxy->mutex);
  if (forwarded >= c->plan.at_byte)
    fire (proxy, c);
}

/* How many bytes direction @d may write now (G_MAXSIZE: no limit). */
static gsize
write_budget (Conn   *c,
              int     d,
              gint64  now)
{
  guint64 forwarded = c->report.forwarded[d];   /* written only by this thread */

  if (plan_is_point (&c->plan) && !c->report.fired && plan_applies (&c->plan, d))
    return c->plan.at_byte > forwarded ? (gsize) (c->plan.at_byte - forwarded) : 0;
  if (c->plan.action == FAULT_TRICKLE && plan_applies (&c->plan, d))
    {
      if (forwarded >= c->plan.at_byte)
        return now >= c->dir[d].next_write ? 1 : 0;
      return (gsize) (c->plan.at_byte - forwarded);
    }
  return G_MAXSIZE;
}

/* ------------------------------------------------------------------ */
/* Moving bytes                                                         */
/* ------------------------------------------------------------------ */

static void
do_read (FaultProxy *proxy,
         Conn       *c,
         int         d,
         gint64      now)
{
  Direction *dir = &c->dir[d];
  guint8 *buf = g_malloc (CHUNK_SIZE);
  ssize_t n;

  n = recv (src_fd (c, d), buf, CHUNK_SIZE, MSG_DONTWAIT);
  if (n > 0 && dir->discard)
    {
      g_mutex_lock (&proxy->mutex);
      c->report.dropped[d] += n;
      g_mutex_unlock (&proxy->mutex);
      g_free (buf);
    }
  else if (n > 0)
    {
      Chunk *chunk = g_new0 (Chunk, 1);

      chunk->data = g_realloc (buf, n);
      chunk->len = n;
      chunk->due = now;
      if (c->plan.action == FAULT_DELAY && plan_applies (&c->plan, d))
        chunk->due += (gint64) c->plan.delay_ms * 1000;
      g_queue_push_tail (&dir->chunks, chunk);
      dir->queued += n;
    }
  else if (n == 0)
    {
      g_free (buf);
      dir->read_eof = TRUE;
      g_mutex_lock (&proxy->mutex);
      c->report.eof[d] = TRUE;
      g_mutex_unlock (&proxy->mutex);
    }
  else
    {
      g_free (buf);
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return;
      g_mutex_lock (&proxy->mutex);
      c->report.error[d] = TRUE;
      g_mutex_unlock (&proxy->mutex);
      if (dir->discard)
        dir->read_eof = TRUE;
      else
        conn_finish (proxy, c, TRUE);   /* a reset passes through as a reset */
    }
}

static void
do_write (FaultProxy *proxy,
          Conn       *c,
          int         d,
          gint64      now)
{
  Direction *dir = &c->dir[d];

  while (c->live && !c->stalled && !dir->shut)
    {
      Chunk *chunk = g_queue_peek_head (&dir->chunks);
      gsize budget = write_budget (c, d, now);
      gsize len;
      ssize_t n;

      if (chunk == NULL || chunk->due > now || budget == 0)
        break;
      len = MIN (chunk->len - chunk->off, budget);
      n = send (dst_fd (c, d), chunk->data + chunk->off, len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            break;
          /* The destination is gone: drop this direction, let the other
           * one finish (what the far peer still says gets through). */
          g_mutex_lock (&proxy->mutex);
          c->report.error[d] = TRUE;
          g_mutex_unlock (&proxy->mutex);
          direction_drop_queue (proxy, c, d);
          dir->shut = TRUE;
          dir->discard = TRUE;
          break;
        }
      chunk->off += n;
      dir->queued -= n;
      g_mutex_lock (&proxy->mutex);
      c->report.forwarded[d] += n;
      c->report.n_writes[d]++;
      g_mutex_unlock (&proxy->mutex);
      if (c->plan.action == FAULT_TRICKLE && plan_applies (&c->plan, d) &&
          c->report.forwarded[d] > c->plan.at_byte)
        {
          dir->next_write = now + (gint64) c->plan.delay_ms * 1000;
          if (!c->report.fired)
            {
              g_mutex_lock (&proxy->mutex);
              c->report.fired = TRUE;
              c->report.fired_at = c->plan.at_byte;
              g_mutex_unlock (&proxy->mutex);
            }
        }
      if (chunk->off == chunk->len)
        {
          g_queue_pop_head (&dir->chunks);
          g_free (chunk->data);
          g_free (chunk);
        }
      check_fire (proxy, c);
      if (c->plan.action == FAULT_TRICKLE)
        break;                          /* one write per poll round */
    }
}

/* Ends each direction whose source ended and whose queue is written, and
 * the connection once both are. */
static void
conn_settle (FaultProxy *proxy,
             Conn       *c)
{
  if (!c->live || c->stalled)
    return;
  for (int d = 0; d < 2; d++)
    {
      Direction *dir = &c->dir[d];

      if (!dir->shut && dir->read_eof && dir->queued == 0)
        {
          shutdown (dst_fd (c, d), SHUT_WR);
          dir->shut = TRUE;
        }
    }
  if (c->dir[0].shut && c->dir[1].shut && c->dir[0].read_eof && c->dir[1].read_eof)
    conn_finish (proxy, c, FALSE);
}

/* ------------------------------------------------------------------ */
/* Accepting                                                            */
/* ------------------------------------------------------------------ */

static int
connect_upstream (guint16 port)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd, one = 1;

  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  /* Loopback: the kernel completes the handshake at once (or refuses). */
  if (connect (fd, (struct sockaddr *) &sin, sizeof sin) != 0)
    {
      close (fd);
      return -1;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_nonblocking (fd);
  return fd;
}

static void
accept_one (FaultProxy *proxy,
            GPtrArray  *live)
{
  int fd = accept4 (proxy->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  int one = 1;
  guint16 upstream;
  FaultPlan *pushed;
  Conn *c;

  if (fd < 0)
    return;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  c = g_new0 (Conn, 1);
  c->fd[0] = fd;
  c->fd[1] = -1;
  c->live = TRUE;
  g_mutex_lock (&proxy->mutex);
  upstream = proxy->upstream_port;
  pushed = g_queue_pop_head (&proxy->plans);
  c->plan = pushed != NULL ? *pushed : proxy->default_plan;
  g_free (pushed);
  c->index = proxy->conns->len;
  g_ptr_array_add (proxy->conns, c);
  g_mutex_unlock (&proxy->mutex);

  c->fd[1] = connect_upstream (upstream);
  if (c->fd[1] < 0)
    {
      g_mutex_lock (&proxy->mutex);
      c->report.upstream_failed = TRUE;
      g_mutex_unlock (&proxy->mutex);
      conn_finish (proxy, c, TRUE);
      return;
    }
  g_mutex_lock (&proxy->mutex);
  c->report.fired = c->plan.action == FAULT_DELAY;
  g_mutex_unlock (&proxy->mutex);
  check_fire (proxy, c);          /* at_byte 0 */
  g_ptr_array_add (live, c);
}

/* ------------------------------------------------------------------ */
/* The thread                                                           */
/* ------------------------------------------------------------------ */

static gpointer
proxy_thread (gpointer data)
{
  FaultProxy *proxy = data;
  g_autoptr(GPtrArray) live = g_ptr_array_new ();          /* (element-type Conn) (unowned) */
  g_autoptr(GArray) pfds = g_array_new (FALSE, FALSE, sizeof (struct pollfd));

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 next_due = G_MAXINT64;
      int timeout_ms;
      struct pollfd *p;

      g_mutex_lock (&proxy->mutex);
      if (proxy->stopping)
        {
          g_mutex_unlock (&proxy->mutex);
          break;
        }
      for (guint i = 0; i < live->len; i++)
        {
          Conn *c = g_ptr_array_index (live, i);

          if (c->has_armed)
            {
              FaultDirection armed = c->armed_plan.direction;
              int d = armed == FAULT_BOTH ? FAULT_UP : (int) armed;

              c->plan = c->armed_plan;
              c->plan.at_byte += c->report.forwarded[d];
              c->has_armed = FALSE;
              c->report.fired = FALSE;
            }
        }
      g_mutex_unlock (&proxy->mutex);

      /* Faults armed at the current byte, writes now due, ends. */
      for (guint i = 0; i < live->len; i++)
        {
          Conn *c = g_ptr_array_index (live, i);

          check_fire (proxy, c);
          for (int d = 0; d < 2; d++)
            do_write (proxy, c, d, now);
          conn_settle (proxy, c);
        }
      for (guint i = live->len; i > 0; i--)
        if (!((Conn *) g_ptr_array_index (live, i - 1))->live)
          g_ptr_array_remove_index (live, i - 1);
      notify (proxy);

      g_array_set_size (pfds, 0);
      g_array_append_val (pfds, ((struct pollfd) { .fd = proxy->wake_pipe[0], .events = POLLIN }));
      g_array_append_val (pfds, ((struct pollfd) { .fd = proxy->listen_fd, .events = POLLIN }));
      for (guint i = 0; i < live->len; i++)
        {
          Conn *c = g_ptr_array_index (live, i);
          short events[2] = { 0, 0 };

          for (int d = 0; d < 2 && !c->stalled; d++)
            {
              Direction *dir = &c->dir[d];
              Chunk *head = g_queue_peek_head (&dir->chunks);
              int s = d == FAULT_UP ? 0 : 1;

              if (!dir->read_eof && dir->queued < QUEUE_LIMIT)
                events[s] |= POLLIN;
              if (head != NULL && !dir->shut)
                {
                  gint64 due = MAX (head->due, dir->next_write);

                  if (due <= now && write_budget (c, d, now) > 0)
                    events[1 - s] |= POLLOUT;
                  else if (due > now)
                    next_due = MIN (next_due, due);
                }
            }
          /* A socket nothing is wanted from is left out: a peer that
           * reset or hung up would otherwise wake poll() forever. */
          for (int s = 0; s < 2; s++)
            {
              struct pollfd pfd = { .fd = events[s] ? c->fd[s] : -1, .events = events[s] };

              g_array_append_val (pfds, pfd);
            }
        }

      if (next_due == G_MAXINT64)
        timeout_ms = -1;
      else
        timeout_ms = (int) MIN ((next_due - now + 999) / 1000, 60000);
      if (poll ((struct pollfd *) pfds->data, pfds->len, timeout_ms) < 0 && errno != EINTR)
        break;

      p = (struct pollfd *) pfds->data;
      if (p[0].revents & POLLIN)
        {
          char buf[64];

          while (read (proxy->wake_pipe[0], buf, sizeof buf) > 0)
            ;
        }
      now = g_get_monotonic_time ();
      /* live is not touched before this loop ends: the pollfds follow it. */
      for (guint i = 0; i < live->len; i++)
        {
          Conn *c = g_ptr_array_index (live, i);

          for (int d = 0; d < 2; d++)
            {
              int s = d == FAULT_UP ? 0 : 1;
              short revents = p[2 + 2 * i + s].revents;

              if (c->live && !c->stalled && (revents & (POLLIN | POLLHUP | POLLERR)) &&
                  (p[2 + 2 * i + s].events & POLLIN))
                do_read (proxy, c, d, now);
            }
        }
      if (p[1].revents & POLLIN)
        for (guint i = 0; i < 64; i++)
          accept_one (proxy, live);
    }

  /* Stopped: close what is left. */
  for (guint i = 0; i < live->len; i++)
    conn_finish (proxy, g_ptr_array_index (live, i), FALSE);
  notify (proxy);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* API                                                                  */
/* ------------------------------------------------------------------ */

FaultProxy *
fault_proxy_new (guint16       upstream_port,
                 GMainContext *wake_context)
{
  FaultProxy *proxy = g_new0 (FaultProxy, 1);
  struct sockaddr_in sin = { .sin_family = AF_INET };
  socklen_t len = sizeof sin;

  g_mutex_init (&proxy->mutex);
  g_queue_init (&proxy->plans);
  proxy->conns = g_ptr_array_new ();
  proxy->upstream_port = upstream_port;
  proxy->default_plan.action = FAULT_PASS;
  proxy->wake_context = wake_context != NULL ? g_main_context_ref (wake_context) : NULL;

  g_assert (pipe2 (proxy->wake_pipe, O_CLOEXEC | O_NONBLOCK) == 0);
  proxy->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  g_assert (proxy->listen_fd >= 0);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert (bind (proxy->listen_fd, (struct sockaddr *) &sin, sizeof sin) == 0);
  g_assert (listen (proxy->listen_fd, 128) == 0);
  g_assert (getsockname (proxy->listen_fd, (struct sockaddr *) &sin, &len) == 0);
  proxy->port = ntohs (sin.sin_port);

  proxy->thread = g_thread_new ("fault-proxy", proxy_thread, proxy);
  return proxy;
}

guint16
fault_proxy_get_port (FaultProxy *proxy)
{
  return proxy->port;
}

void
fault_proxy_set_upstream (FaultProxy *proxy,
                          guint16     upstream_port)
{
  g_mutex_lock (&proxy->mutex);
  proxy->upstream_port = upstream_port;
  g_mutex_unlock (&proxy->mutex);
}

void
fault_proxy_set_default (FaultProxy      *proxy,
                         const FaultPlan *plan)
{
  g_mutex_lock (&proxy->mutex);
  proxy->default_plan = *plan;
  g_mutex_unlock (&proxy->mutex);
}

void
fault_proxy_push_plan (FaultProxy      *proxy,
                       const FaultPlan *plan)
{
  g_mutex_lock (&proxy->mutex);
  g_queue_push_tail (&proxy->plans, g_memdup2 (plan, sizeof *plan));
  g_mutex_unlock (&proxy->mutex);
}

void
fault_proxy_arm (FaultProxy      *proxy,
                 guint            index,
                 const FaultPlan *plan)
{
  g_mutex_lock (&proxy->mutex);
  g_assert (index < proxy->conns->len);
  {
    Conn *c = g_ptr_array_index (proxy->conns, index);

    c->armed_plan = *plan;
    c->has_armed = TRUE;
  }
  g_mutex_unlock (&proxy->mutex);
  wake_thread (proxy);
}

guint
fault_proxy_get_n_accepted (FaultProxy *proxy)
{
  guint n;

  g_mutex_lock (&proxy->mutex);
  n = proxy->conns->len;
  g_mutex_unlock (&proxy->mutex);
  return n;
}

gboolean
fault_proxy_get_report (FaultProxy  *proxy,
                        guint        index,
                        FaultReport *report)
{
  gboolean found;

  g_mutex_lock (&proxy->mutex);
  found = index < proxy->conns->len;
  if (found)
    *report = ((Conn *) g_ptr_array_index (proxy->conns, index))->report;
  else
    memset (report, 0, sizeof *report);
  g_mutex_unlock (&proxy->mutex);
  return found;
}

static const char *
action_name (FaultAction action)
{
  static const char *names[] = {
    "pass", "delay", "cut", "reset", "stall", "trickle", "half-close",
  };

  return action < G_N_ELEMENTS (names) ? names[action] : "?";
}

char *
fault_proxy_describe (FaultProxy *proxy)
{
  GString *s = g_string_new (NULL);

  g_mutex_lock (&proxy->mutex);
  for (guint i = 0; i < proxy->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (proxy->conns, i);
      FaultReport *r = &c->report;

      g_string_append_printf (s, "conn %u: %s %s at %" G_GUINT64_FORMAT ": "
                              "up %" G_GUINT64_FORMAT " B in %" G_GUINT64_FORMAT " writes, "
                              "down %" G_GUINT64_FORMAT " B in %" G_GUINT64_FORMAT " writes, "
                              "dropped %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "%s%s%s%s%s%s%s\n",
                              i, action_name (c->plan.action),
                              c->plan.direction == FAULT_UP ? "up" :
                              c->plan.direction == FAULT_DOWN ? "down" : "both",
                              c->plan.at_byte,
                              r->forwarded[0], r->n_writes[0], r->forwarded[1], r->n_writes[1],
                              r->dropped[0], r->dropped[1],
                              r->upstream_failed ? ", upstream refused" : "",
                              r->fired ? ", fired" : "",
                              r->eof[0] ? ", client FIN" : "",
                              r->eof[1] ? ", server FIN" : "",
                              r->error[0] ? ", up error" : "",
                              r->error[1] ? ", down error" : "",
                              r->finished ? ", closed" : "");
    }
  g_mutex_unlock (&proxy->mutex);
  return g_string_free (s, FALSE);
}

void
fault_proxy_free (FaultProxy *proxy)
{
  if (proxy == NULL)
    return;

  g_mutex_lock (&proxy->mutex);
  proxy->stopping = TRUE;
  g_mutex_unlock (&proxy->mutex);
  wake_thread (proxy);
  g_thread_join (proxy->thread);

  close (proxy->listen_fd);
  close (proxy->wake_pipe[0]);
  close (proxy->wake_pipe[1]);
  for (guint i = 0; i < proxy->conns->len; i++)
    g_free (g_ptr_array_index (proxy->conns, i));
  g_ptr_array_unref (proxy->conns);
  g_queue_clear_full (&proxy->plans, g_free);
  g_clear_pointer (&proxy->wake_context, g_main_context_unref);
  g_mutex_clear (&proxy->mutex);
  g_free (proxy);
}

/* ------------------------------------------------------------------ */
/* Conditions                                                           */
/* ------------------------------------------------------------------ */

gboolean
fault_wait_fired (gpointer data)
{
  FaultWait *w = data;
  FaultReport r;

  return fault_proxy_get_report (w->proxy, w->index, &r) && r.fired;
}

gboolean
fault_wait_finished (gpointer data)
{
  FaultWait *w = data;
  FaultReport r;

  return fault_proxy_get_report (w->proxy, w->index, &r) && r.finished;
}

gboolean
fault_wait_forwarded (gpointer data)
{
  FaultWait *w = data;
  FaultReport r;

  return fault_proxy_get_report (w->proxy, w->index, &r) && r.forwarded[w->direction] >= w->n;
}

gboolean
fault_wait_accepted (gpointer data)
{
  FaultWait *w = data;

  return fault_proxy_get_n_accepted (w->proxy) > w->index;
}

gint64
fault_bound_us (gint64 us)
{
  const char *env = g_getenv ("EAP_TEST_TIMEOUT_SCALE");
  guint64 scale = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 1;

  return us * (gint64) CLAMP (scale, 1, 1000);
}

gboolean
fault_under_valgrind (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL;
}
