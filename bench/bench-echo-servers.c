/* bench-echo-servers.c: the yardstick echo servers of bench-tcp
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two echo servers, each run as a process of its own by bench-tcp so that
 * its RSS and CPU can be read from /proc (PERF-ANCHORS.md, "How the
 * yardsticks were run"):
 *
 *   bench-echo-server gio     a raw GIO server: GSocketService, each
 *                             connection g_input_stream_read_async into a
 *                             64 KiB buffer of its own, then
 *                             g_output_stream_write_all_async of what it
 *                             read, then the next read; one GSource per
 *                             pending read on the default GMainContext
 *   bench-echo-server epoll   a plain single-threaded epoll loop: accept4
 *                             until EAGAIN, read into one shared 64 KiB
 *                             buffer until EAGAIN, write back; what cannot
 *                             be written at once is kept (allocated on
 *                             demand) and the connection stops reading
 *                             until it is written (EPOLLOUT)
 *
 * Both listen on 127.0.0.1, on a free port, with a backlog of 1024 (the
 * eap listener's), raise RLIMIT_NOFILE to 25,000 when they can, and print
 * one line on stdout once they listen:
 *
 *   port=PORT nofile=LIMIT
 *
 * then serve until killed.
 */

#define _GNU_SOURCE   /* accept4 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "bench-util.h"

#define BUFFER_SIZE (64 * 1024)
#define BACKLOG     1024
#define WANT_NOFILE 25000

/* ------------------------------------------------------------------ */
/* raw GIO                                                              */
/* ------------------------------------------------------------------ */

typedef struct
{
  GSocketConnection *connection;  /* (owned) */
  GInputStream      *in;          /* (unowned) */
  GOutputStream     *out;         /* (unowned) */
  guint8             buffer[BUFFER_SIZE];
} GioConn;

static void gio_read_next (GioConn *c);

static void
gio_conn_free (GioConn *c)
{
  g_io_stream_close (G_IO_STREAM (c->connection), NULL, NULL);
  g_object_unref (c->connection);
  g_free (c);
}

static void
on_gio_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GioConn *c = user_data;

  if (!g_output_stream_write_all_finish (c->out, result, NULL, NULL))
    {
      gio_conn_free (c);
      return;
    }
  gio_read_next (c);
}

static void
on_gio_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GioConn *c = user_data;
  gssize n = g_input_stream_read_finish (c->in, result, NULL);

  if (n <= 0)
    {
      gio_conn_free (c);
      return;
    }
  g_output_stream_write_all_async (c->out, c->buffer, (gsize) n, G_PRIORITY_DEFAULT, NULL,
                                   on_gio_written, c);
}

static void
gio_read_next (GioConn *c)
{
  g_input_stream_read_async (c->in, c->buffer, sizeof c->buffer, G_PRIORITY_DEFAULT, NULL,
                             on_gio_read, c);
}

static gboolean
on_gio_incoming (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source_object,
                 gpointer           user_data)
{
  GioConn *c = g_new (GioConn, 1);

  c->connection = g_object_ref (connection);
  c->in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  c->out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  gio_read_next (c);
  return TRUE;
}

static int
run_gio (rlim_t nofile)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  g_socket_listener_set_backlog (G_SOCKET_LISTENER (service), BACKLOG);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &error))
    {
      fprintf (stderr, "bench-echo-server gio: %s\n", error->message);
      return 1;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_gio_incoming), NULL);
  g_socket_service_start (service);
  printf ("port=%u nofile=%lu\n",
          (guint) g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)),
          (unsigned long) nofile);
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}

/* ------------------------------------------------------------------ */
/* plain epoll                                                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  int     fd;
  guint8 *pending;      /* (owned) (nullable): bytes read, not yet written back */
  gsize   pending_off;
  gsize   pending_len;
} EpollConn;

static void
epoll_conn_close (int        ep,
                  EpollConn *c)
{
  epoll_ctl (ep, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  g_free (c->pending);
  g_free (c);
}

/* Writes what is pending; TRUE when nothing is left. -1 on error. */
static int
epoll_flush (EpollConn *c)
{
  while (c->pending_off < c->pending_len)
    {
      ssize_t n = write (c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno == EAGAIN ? 0 : -1;
        }
      c->pending_off += (gsize) n;
    }
  g_clear_pointer (&c->pending, g_free);
  c->pending_off = c->pending_len = 0;
  return 1;
}

/* Reads until EAGAIN, echoing each chunk; stops (and watches EPOLLOUT)
 * when a write is short. FALSE when the connection ended. */
static gboolean
epoll_serve (int        ep,
             EpollConn *c,
             guint8    *buffer)
{
  for (;;)
    {
      ssize_t n = read (c->fd, buffer, BUFFER_SIZE);
      ssize_t w = 0;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return TRUE;
      if (n <= 0)
        return FALSE;
      while (w < n)
        {
          ssize_t k = write (c->fd, buffer + w, (size_t) (n - w));

          if (k < 0 && errno == EINTR)
            continue;
          if (k < 0 && errno == EAGAIN)
            {
              struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

              c->pending = g_memdup2 (buffer + w, (gsize) (n - w));
              c->pending_off = 0;
              c->pending_len = (gsize) (n - w);
              epoll_ctl (ep, EPOLL_CTL_MOD, c->fd, &ev);
              return TRUE;
            }
          if (k < 0)
            return FALSE;
          w += k;
        }
    }
}

static int
run_epoll (rlim_t nofile)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  struct epoll_event events[256];
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  guint8 *buffer = g_malloc (BUFFER_SIZE);
  int one = 1;
  int lfd, ep;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  lfd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (lfd, BACKLOG) != 0 || getsockname (lfd, (struct sockaddr *) &addr, &len) != 0)
    {
      fprintf (stderr, "bench-echo-server epoll: cannot listen: %s\n", g_strerror (errno));
      return 1;
    }
  ep = epoll_create1 (EPOLL_CLOEXEC);
  epoll_ctl (ep, EPOLL_CTL_ADD, lfd, &ev);
  printf ("port=%u nofile=%lu\n", (guint) ntohs (addr.sin_port), (unsigned long) nofile);
  fflush (stdout);

  for (;;)
    {
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), -1);

      for (int i = 0; i < n; i++)
        {
          EpollConn *c = events[i].data.ptr;

          if (c == NULL)
            {
              int fd;

              while ((fd = accept4 (lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
                {
                  struct epoll_event cev = { .events = EPOLLIN };

                  c = g_new0 (EpollConn, 1);
                  c->fd = fd;
                  cev.data.ptr = c;
                  epoll_ctl (ep, EPOLL_CTL_ADD, fd, &cev);
                }
              continue;
            }
          if (c->pending != NULL)
            {
              int r = epoll_flush (c);

              if (r < 0)
                {
                  epoll_conn_close (ep, c);
                  continue;
                }
              if (r == 0)
                continue;
              ev.events = EPOLLIN;
              ev.data.ptr = c;
              epoll_ctl (ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
          if (!epoll_serve (ep, c, buffer))
            epoll_conn_close (ep, c);
        }
      if (n < 0 && errno != EINTR)
        return 1;
    }
}

int
main (int   argc,
      char *argv[])
{
  rlim_t nofile;

  if (argc != 2 || (strcmp (argv[1], "gio") != 0 && strcmp (argv[1], "epoll") != 0))
    {
      fprintf (stderr, "usage: bench-echo-server gio|epoll\n");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  nofile = bench_raise_nofile (WANT_NOFILE, 0);
  return strcmp (argv[1], "gio") == 0 ? run_gio (nofile) : run_epoll (nofile);
}
