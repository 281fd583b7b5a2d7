/* eap-tcp-client.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-tcp-client.h"

#include <eap.h>

#include "eap-tcp-client-private.h"
#include "eap-line-framer-private.h"
#include "eap-poller-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/**
 * EapTcpClient:
 *
 * One TCP connection, plain or TLS, with its events as signals in a main
 * context: the `TcpClient` of the event-based asynchronous pattern.
 *
 * [method@Eap.TcpClient.connect_async] resolves the host and connects to
 * it (IPv4 or IPv6, whichever answers first), then completes the
 * `connect` operation. While the client is connected it reads whatever
 * arrives, in the main context that was thread-default when it connected,
 * and emits it: as [signal@Eap.TcpClient::received] chunks with
 * %EAP_TCP_FRAMING_RAW, as [signal@Eap.TcpClient::line-received] lines
 * with %EAP_TCP_FRAMING_LINES. The end of the connection, whatever ended
 * it, is one [signal@Eap.TcpClient::disconnected], emitted after the last
 * data: its error is `NULL` for a clean end (the peer closed, or the
 * client was closed) and says what happened otherwise (a reset, the idle
 * [property@Eap.TcpClient:timeout], an over-long line, a TLS failure).
 *
 * Sending never blocks: [method@Eap.TcpClient.send_async] queues the
 * bytes, writes them as the socket takes them and completes the `send`
 * operation when the kernel has them all, reporting progress on the way.
 * [method@Eap.TcpClient.queue_send] and [method@Eap.TcpClient.queue_line]
 * queue without an operation, for servers that fan one message out to
 * many clients. The queue is bounded by
 * [property@Eap.TcpClient:max-send-queue]: a send that would pass it
 * fails with %EAP_ERROR_LIMIT_EXCEEDED and the connection stays up.
 *
 * [method@Eap.TcpClient.close_async] flushes the queue, closes the
 * connection (sending the TLS `close_notify` first), emits
 * `disconnected` and completes the `close` operation. When the peer
 * closes its side, the client stops reading, still writes what is queued,
 * and then closes: an echo server that queued its replies in a handler
 * still delivers them.
 *
 * A connected client is kept alive by its connection until `disconnected`
 * has been emitted, so a server may drop its reference to a client it
 * accepted and still get its events. Handlers may close or unref the
 * client from inside any signal. A client can connect again once it is
 * disconnected.
 *
 * Everything is read and written without blocking and without a
 * [struct@GLib.Source] per connection: the sockets of a main context share
 * one readiness source, and the bytes read go through one scratch buffer
 * per thread. An idle connection holds no buffer at all.
 *
 * Call a client's methods from the thread of its main context. The
 * blocking twins ([method@Eap.TcpClient.connect_sync],
 * [method@Eap.TcpClient.send_sync], [method@Eap.TcpClient.close_sync]) block the
 * calling thread instead of starting an operation; a client connected by
 * the blocking [method@Eap.TcpClient.connect_sync] emits its events in the
 * calling thread's thread-default main context.
 *
 * ```c
 * static void
 * on_line (EapTcpClient *client, const char *line, gpointer data)
 * {
 *   g_print ("server said %s\n", line);
 * }
 *
 * …
 *   g_autoptr(EapTcpClient) client = eap_tcp_client_new ();
 *
 *   eap_tcp_client_set_framing (client, EAP_TCP_FRAMING_LINES);
 *   g_signal_connect (client, "line-received", G_CALLBACK (on_line), NULL);
 *   eap_tcp_client_connect_async (client, "127.0.0.1", 7000, NULL, NULL);
 * ```
 *
 * Since: 0.1
 */

#define SCRATCH_SIZE    (64 * 1024)
#define MAX_IOV         64

typedef enum
{
  STATE_IDLE,
  STATE_CONNECTING,
  STATE_CONNECTED,
} State;

/* One queued send. */
typedef struct
{
  GBytes       *bytes;          /* (owned) */
  gsize         offset;         /* bytes of it written */
  EapOperation *op;             /* (owned) (nullable): NULL for queue_send */
  GCancellable *cancellable;    /* (owned) (nullable): @op's, watched */
  gulong        cancel_id;
  int          *blocking_result; /* (nullable): a blocking send waits on it: 1 done, -1 failed */
  GError      **blocking_error;
} Send;

struct _EapTcpClient
{
  EapComponent     parent_instance;

  /* Settings. */
  EapTcpFraming    framing;
  gsize            max_line_length;
  guint            timeout_s;
  gsize            max_send_queue;
  gsize            send_high_water;  /* 0: reading never waits for the queue */
  gboolean         tls;
  GTlsDatabase    *tls_database;     /* (owned) (nullable) */

  State            state;
  guint            generation;       /* bumped when a connection ends */
  GMainContext    *context;          /* (owned) (nullable): of the connection */
  EapOperation    *connect_op;       /* (owned) (nullable) */

  /* The connection, while connected. */
  EapPoller       *poller;           /* (owned) (nullable) */
  guint            watch_id;
  GIOCondition     watch_events;
  GSocket         *socket;           /* (owned) (nullable) */
  char            *peer_name;        /* (owned) (nullable): "host:port", for messages */
  GIOStream       *connection;       /* (owned) (nullable): what GSocketClient gave */
  GIOStream       *tls_stream;       /* (owned) (nullable): the GTlsConnection */
  EapLineFramer    framer;
  GQueue           sends;            /* (element-type Send) */
  gsize            queue_size;       /* bytes queued and not yet written */
  GSList          *close_ops;        /* (element-type EapOperation) (owned) */
  GError          *pending_error;    /* (owned) (nullable): reported by the next dispatch */
  GSource         *idle_source;      /* (owned) (nullable): the idle timeout, when > 0 */
  gint64           last_receive;     /* monotonic, for the idle timeout */
  guint            started : 1;      /* events are delivered */
  guint            reading : 1;
  guint            closing : 1;      /* close_async: flush, then end */
  guint            eof : 1;          /* the peer closed its side */
  guint            throttled : 1;    /* above send-high-water: not reading */
  int              check_pending;    /* atomic: a check_cb is scheduled */
};

enum {
  PROP_0,
  PROP_FRAMING,
  PROP_MAX_LINE_LENGTH,
  PROP_TIMEOUT,
  PROP_MAX_SEND_QUEUE,
  PROP_SEND_HIGH_WATER,
  PROP_SEND_QUEUE_SIZE,
  PROP_TLS,
  PROP_TLS_DATABASE,
  PROP_CONNECTED,
  PROP_REMOTE_ADDRESS,
  PROP_LOCAL_ADDRESS,
  N_PROPS
};

enum {
  RECEIVED,
  LINE_RECEIVED,
  DISCONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EapTcpClient, eap_tcp_client, EAP_TYPE_COMPONENT)

static void socket_cb (int fd, GIOCondition revents, gpointer user_data);
static void disconnect (EapTcpClient *self, GError *error, gboolean emit_now);
static void update_watch (EapTcpClient *self);

/* The scratch buffer of the thread: the bytes read are copied out of it
 * before anything is emitted, except by the line framer, which works in
 * it while handlers run; a handler that iterates the context (a nested
 * loop) then gets a buffer of its own. */
typedef struct
{
  guint8   data[SCRATCH_SIZE];
  gboolean busy;
} Scratch;

static GPrivate scratch_key = G_PRIVATE_INIT (g_free);

static guint8 *
scratch_acquire (void)
{
  Scratch *s = g_private_get (&scratch_key);

  if (s == NULL)
    {
      s = g_new (Scratch, 1);
      s->busy = FALSE;
      g_private_set (&scratch_key, s);
    }
  if (s->busy)
    return g_malloc (SCRATCH_SIZE);
  s->busy = TRUE;
  return s->data;
}

static void
scratch_release (guint8 *buffer)
{
  Scratch *s = g_private_get (&scratch_key);

  if (s != NULL && buffer == s->data)
    s->busy = FALSE;
  else
    g_free (buffer);
}

/* Sends */

static void send_cancelled_cb (GCancellable *cancellable, gpointer user_data);

static Send *
send_new (EapTcpClient *self,
          GBytes       *bytes,
          EapOperation *op)
{
  Send *s = g_new0 (Send, 1);

  s->bytes = g_bytes_ref (bytes);
  if (op != NULL)
    {
      s->op = g_object_ref (op);
      s->cancellable = g_object_ref (eap_operation_get_cancellable (op));
      s->cancel_id = g_cancellable_connect (s->cancellable, G_CALLBACK (send_cancelled_cb),
                                            self, NULL);
    }
  return s;
}

/* Completes @s (with @error, transfer full, or success) and frees it. */
static void
send_finish (Send   *s,
             GError *error)
{
  if (s->cancellable != NULL)
    {
      g_cancellable_disconnect (s->cancellable, s->cancel_id);
      g_clear_object (&s->cancellable);
    }
  if (s->blocking_result != NULL)
    {
      *s->blocking_result = error == NULL ? 1 : -1;
      if (error != NULL && s->blocking_error != NULL)
        g_propagate_error (s->blocking_error, g_error_copy (error));
    }
  if (s->op != NULL)
    {
      if (error != NULL)
        eap_operation_complete_error (s->op, g_steal_pointer (&error));
      else
        eap_operation_complete (s->op, NULL);
      g_clear_object (&s->op);
    }
  g_clear_error (&error);
  g_bytes_unref (s->bytes);
  g_free (s);
}

/* Deferred work: runs @self's check in its context, once per burst. */

static gboolean check_cb (gpointer data);

static void
schedule_check (EapTcpClient *self)
{
  GSource *source;

  if (!g_atomic_int_compare_and_exchange (&self->check_pending, FALSE, TRUE))
    return;

  source = g_idle_source_new ();
  g_source_set_static_name (source, "[eap] EapTcpClient check");
  g_source_set_callback (source, check_cb, g_object_ref (self), g_object_unref);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
send_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  schedule_check (EAP_TCP_CLIENT (user_data));
}

static void
close_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  schedule_check (EAP_TCP_CLIENT (user_data));
}

static gboolean
op_is_cancelled (EapOperation *op)
{
  return g_cancellable_is_cancelled (eap_operation_get_cancellable (op));
}

static void
complete_close_ops (GSList *ops,
                    GError *error)
{
  for (GSList *l = ops; l != NULL; l = l->next)
    {
      EapOperation *op = l->data;

      if (error != NULL)
        eap_operation_try_complete (op, g_object_new (EAP_TYPE_COMPLETED_ARGS,
                                                      "error", error, NULL));
      else if (op_is_cancelled (op))
        eap_operation_return_error_if_cancelled (op);
      else
        eap_operation_try_complete (op, NULL);
    }
  g_slist_free_full (ops, g_object_unref);
}

/* The connection */

static GError *
error_from_errno (int         errsv,
                  const char *what)
{
  return g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                      "%s: %s", what, g_strerror (errsv));
}

/* Moves the first @n queued bytes out of the queue. */
static void
advance (EapTcpClient *self,
         gsize         n)
{
  while (n > 0)
    {
      Send *s = g_queue_peek_head (&self->sends);
      gsize size = g_bytes_get_size (s->bytes);
      gsize take = MIN (n, size - s->offset);

      s->offset += take;
      n -= take;
      self->queue_size -= take;
      if (s->op != NULL)
        eap_operation_report_progress (s->op, s->offset, size);
      if (s->offset == size)
        send_finish (g_queue_pop_head (&self->sends), NULL);
    }
}

/* Writes what the socket takes now. Returns FALSE with @error on a socket
 * error; TRUE otherwise, whether or not everything was written. */
static gboolean
flush_queue (EapTcpClient  *self,
             GError       **error)
{
  while (!g_queue_is_empty (&self->sends))
    {
      if (self->tls_stream != NULL)
        {
          GOutputStream *out = g_io_stream_get_output_stream (self->tls_stream);
          Send *s = g_queue_peek_head (&self->sends);
          gsize size;
          const guint8 *data = g_bytes_get_data (s->bytes, &size);
          GError *local = NULL;
          gssize n;

          if (size == 0)
            {
              send_finish (g_queue_pop_head (&self->sends), NULL);
              continue;
            }
          n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out),
                                                          data + s->offset,
                                                          size - s->offset,
                                                          NULL, &local);
          if (n < 0)
            {
              if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                {
                  g_error_free (local);
                  return TRUE;
                }
              g_propagate_error (error, local);
              return FALSE;
            }
          advance (self, n);
        }
      else
        {
          struct iovec iov[MAX_IOV];
          struct msghdr msg = { 0 };
          gsize total = 0;
          guint n_iov = 0;
          gssize n;

          for (GList *l = self->sends.head; l != NULL && n_iov < MAX_IOV; l = l->next)
            {
              Send *s = l->data;
              gsize size;
              const guint8 *data = g_bytes_get_data (s->bytes, &size);

              if (size == s->offset)
                continue;
              iov[n_iov].iov_base = (void *) (data + s->offset);
              iov[n_iov].iov_len = size - s->offset;
              total += iov[n_iov].iov_len;
              n_iov++;
            }
          if (total == 0)
            {
              advance (self, 0);
              /* Only empty sends are left. */
              while (!g_queue_is_empty (&self->sends))
                send_finish (g_queue_pop_head (&self->sends), NULL);
              return TRUE;
            }
          msg.msg_iov = iov;
          msg.msg_iovlen = n_iov;
          n = sendmsg (g_socket_get_fd (self->socket), &msg, MSG_NOSIGNAL);
          if (n < 0)
            {
              int errsv = errno;

              if (errsv == EINTR)
                continue;
              if (errsv == EAGAIN || errsv == EWOULDBLOCK)
                return TRUE;
              g_propagate_error (error, error_from_errno (errsv, "Cannot send"));
              return FALSE;
            }
          /* Empty sends at the head complete as they are passed. */
          while (!g_queue_is_empty (&self->sends))
            {
              Send *s = g_queue_peek_head (&self->sends);
              if (g_bytes_get_size (s->bytes) != 0)
                break;
              send_finish (g_queue_pop_head (&self->sends), NULL);
            }
          advance (self, n);
          if ((gsize) n < total)
            return TRUE;
        }
    }

  return TRUE;
}

/* Backpressure: above send-high-water the client stops reading, until the
 * queue has drained to half of it (hysteresis, so that reading does not
 * flap on every write). Returns TRUE while reading must wait. */
static gboolean
update_throttle (EapTcpClient *self)
{
  if (self->send_high_water == 0)
    self->throttled = FALSE;
  else if (self->queue_size > self->send_high_water)
    self->throttled = TRUE;
  else if (self->queue_size <= self->send_high_water / 2)
    self->throttled = FALSE;

  return self->throttled;
}

static void
update_watch (EapTcpClient *self)
{
  GIOCondition events = 0;

  if (self->watch_id == 0)
    return;

  if (self->started)
    {
      if (self->reading && !update_throttle (self))
        events |= G_IO_IN;
      if (!g_queue_is_empty (&self->sends) || self->pending_error != NULL ||
          self->closing || self->eof)
        events |= G_IO_OUT;
    }

  if (events != self->watch_events)
    {
      self->watch_events = events;
      eap_poller_modify (self->poller, self->watch_id, events);
    }
}

static gboolean
idle_timeout_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs idle_timeout_funcs = {
  NULL, NULL, idle_timeout_dispatch, NULL, NULL, NULL,
};

static gboolean
idle_timeout_cb (gpointer data)
{
  EapTcpClient *self = data;
  gint64 deadline = self->last_receive + (gint64) self->timeout_s * G_USEC_PER_SEC;

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      disconnect (self, NULL, TRUE);
      return G_SOURCE_CONTINUE;
    }

  if (g_get_monotonic_time () < deadline)
    {
      g_source_set_ready_time (self->idle_source, deadline);
      return G_SOURCE_CONTINUE;
    }

  g_source_set_ready_time (self->idle_source, -1);
  disconnect (self,
              g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "Nothing received for %u s", self->timeout_s),
              TRUE);
  return G_SOURCE_CONTINUE;
}

/* One GSource per client, only while connected with a timeout. Reads just
 * record their time: the source re-arms itself lazily. */
static void
update_idle_timeout (EapTcpClient *self)
{
  gboolean want = self->state == STATE_CONNECTED && self->started && self->timeout_s > 0;

  if (!want)
    {
      if (self->idle_source != NULL)
        {
          g_source_destroy (self->idle_source);
          g_clear_pointer (&self->idle_source, g_source_unref);
        }
      return;
    }

  if (self->idle_source == NULL)
    {
      self->idle_source = g_source_new (&idle_timeout_funcs, sizeof (GSource));
      g_source_set_static_name (self->idle_source, "[eap] EapTcpClient idle timeout");
      g_source_set_callback (self->idle_source, idle_timeout_cb, self, NULL);
      g_source_attach (self->idle_source, self->context);
    }
  g_source_set_ready_time (self->idle_source,
                           self->last_receive + (gint64) self->timeout_s * G_USEC_PER_SEC);
}

static char *
format_peer_name (GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_remote_address (socket, NULL);
  g_autofree char *ip = NULL;
  GInetAddress *inet;
  guint16 port;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, port);
  return g_strdup_printf ("%s:%u", ip, port);
}

/* Sets up the connection on @socket (and @connection, @tls_stream). The
 * watch starts paused unless @start. */
static gboolean
setup_connection (EapTcpClient  *self,
                  GSocket       *socket,
                  GIOStream     *connection,
                  GIOStream     *tls_stream,
                  GMainContext  *context,
                  gboolean       start,
                  GError       **error)
{
  EapPoller *poller;
  guint id;

  poller = eap_poller_ref_for_context (context, error);
  if (poller == NULL)
    return FALSE;

  /* The client coalesces its own writes (one sendmsg of everything
   * queued), so Nagle's algorithm only adds delay: with the peer's delayed
   * ACK, up to 40 ms on request/response traffic. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  id = eap_poller_add (poller, g_socket_get_fd (socket), 0, socket_cb,
                       g_object_ref (self), g_object_unref, error);
  if (id == 0)
    {
      g_object_unref (self);
      eap_poller_unref (poller);
      return FALSE;
    }

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref (context);
  self->poller = poller;
  self->watch_id = id;
  self->watch_events = 0;
  self->socket = g_object_ref (socket);
  g_free (self->peer_name);
  self->peer_name = format_peer_name (socket);
  self->connection = connection != NULL ? g_object_ref (connection) : NULL;
  self->tls_stream = tls_stream != NULL ? g_object_ref (tls_stream) : NULL;
  eap_line_framer_init (&self->framer, self->max_line_length);
  self->state = STATE_CONNECTED;
  self->reading = TRUE;
  self->closing = FALSE;
  self->eof = FALSE;
  self->started = FALSE;
  self->last_receive = g_get_monotonic_time ();

  if (start)
    _eap_tcp_client_start (self);

  return TRUE;
}

typedef struct
{
  EapTcpClient *self;     /* (owned) */
  GError       *error;    /* (owned) (nullable) */
  GSList       *close_ops; /* (owned) */
} Disconnected;

static void
emit_disconnected (EapTcpClient *self,
                   GError       *error,
                   GSList       *close_ops)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  g_signal_emit (self, signals[DISCONNECTED], 0, error);
  complete_close_ops (close_ops, NULL);
}

static gboolean
emit_disconnected_cb (gpointer data)
{
  Disconnected *d = data;

  emit_disconnected (d->self, d->error, g_steal_pointer (&d->close_ops));
  g_clear_error (&d->error);
  g_object_unref (d->self);
  g_free (d);

  return G_SOURCE_REMOVE;
}

/* Ends the connection: closes the socket, fails the sends still queued
 * with @error (transfer full; NULL: a clean end) or CONNECTION_CLOSED,
 * then emits disconnected now (from a dispatch) or from an idle (from an
 * API call), and completes the close operations after it. */
static void
disconnect (EapTcpClient *self,
            GError       *error,
            gboolean      emit_now)
{
  g_autoptr(EapTcpClient) ref = NULL;
  GQueue sends = G_QUEUE_INIT;
  GSList *close_ops;
  gboolean clean;

  if (self->state != STATE_CONNECTED)
    {
      g_clear_error (&error);
      return;
    }

  ref = g_object_ref (self);
  clean = error == NULL;

  /* Name the peer: "Connection with 127.0.0.1:6667: Cannot receive:
   * Connection reset by peer". After a reset the socket no longer knows
   * it, hence the copy taken when the connection was set up. */
  if (error != NULL && self->peer_name != NULL)
    g_prefix_error (&error, "Connection with %s: ", self->peer_name);
  g_clear_pointer (&self->peer_name, g_free);

  self->generation++;
  self->state = STATE_IDLE;
  self->started = FALSE;
  self->reading = FALSE;
  self->closing = FALSE;
  self->eof = FALSE;

  if (self->watch_id != 0)
    {
      eap_poller_remove (self->poller, self->watch_id);
      self->watch_id = 0;
    }
  g_clear_pointer (&self->poller, eap_poller_unref);
  if (self->idle_source != NULL)
    {
      g_source_destroy (self->idle_source);
      g_clear_pointer (&self->idle_source, g_source_unref);
    }
  eap_line_framer_clear (&self->framer);
  g_clear_error (&self->pending_error);

  if (self->tls_stream != NULL && clean)
    {
      /* close_notify, best effort: the socket does not block. */
      g_io_stream_close (self->tls_stream, NULL, NULL);
    }
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->tls_stream);
  g_clear_object (&self->connection);
  g_clear_object (&self->socket);

  sends = self->sends;
  g_queue_init (&self->sends);
  self->queue_size = 0;
  close_ops = g_steal_pointer (&self->close_ops);

  while (!g_queue_is_empty (&sends))
    {
      Send *s = g_queue_pop_head (&sends);
      GError *send_error;

      if (s->cancellable != NULL && g_cancellable_is_cancelled (s->cancellable))
        send_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          "The send was cancelled");
      else if (error != NULL)
        send_error = g_error_copy (error);
      else
        send_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                          "The connection was closed before the data was sent");
      send_finish (s, send_error);
    }

  if (emit_now)
    {
      emit_disconnected (self, error, close_ops);
      g_clear_error (&error);
    }
  else
    {
      Disconnected *d = g_new0 (Disconnected, 1);
      GSource *source = g_idle_source_new ();

      d->self = g_object_ref (self);
      d->error = error;
      d->close_ops = close_ops;
      g_source_set_static_name (source, "[eap] EapTcpClient disconnected");
      g_source_set_callback (source, emit_disconnected_cb, d, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

/* Receiving */

typedef struct
{
  EapTcpClient *self;
  guint         generation;
} LineData;

static gboolean
line_cb (const char *line,
         gsize       length,
         gpointer    user_data)
{
  LineData *ld = user_data;

  g_signal_emit (ld->self, signals[LINE_RECEIVED], 0, line);
  return ld->self->generation == ld->generation && ld->self->reading;
}

/* Returns FALSE when the connection ended or reading stopped. */
static gboolean
deliver (EapTcpClient *self,
         const guint8 *data,
         gsize         n)
{
  guint generation = self->generation;

  if (self->framing == EAP_TCP_FRAMING_LINES)
    {
      LineData ld = { self, generation };
      GError *error = NULL;

      self->framer.max_line_length = self->max_line_length;
      if (!eap_line_framer_feed (&self->framer, data, n, line_cb, &ld, &error))
        {
          if (self->generation == generation)
            disconnect (self, error, TRUE);
          else
            g_clear_error (&error);
          return FALSE;
        }
      if (self->framer.spent && self->generation == generation)
        {
          /* A handler stopped reading (close_async): start afresh if it
           * ever reads again. */
          eap_line_framer_clear (&self->framer);
          eap_line_framer_init (&self->framer, self->max_line_length);
        }
    }
  else
    {
      GBytes *bytes = g_bytes_new (data, n);

      g_signal_emit (self, signals[RECEIVED], 0, bytes);
      g_bytes_unref (bytes);
    }

  return self->generation == generation && self->reading;
}

static void
do_read (EapTcpClient *self)
{
  guint8 *buffer = scratch_acquire ();
  int fd = g_socket_get_fd (self->socket);

  for (;;)
    {
      gssize n;

      if (self->tls_stream != NULL)
        {
          GInputStream *in = g_io_stream_get_input_stream (self->tls_stream);
          GError *error = NULL;

          n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in),
                                                        buffer, SCRATCH_SIZE, NULL, &error);
          if (n < 0)
            {
              if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                g_error_free (error);
              else
                disconnect (self, error, TRUE);
              break;
            }
        }
      else
        {
          n = recv (fd, buffer, SCRATCH_SIZE, 0);
          if (n < 0)
            {
              int errsv = errno;

              if (errsv == EINTR)
                continue;
              if (errsv != EAGAIN && errsv != EWOULDBLOCK)
                disconnect (self, error_from_errno (errsv, "Cannot receive"), TRUE);
              break;
            }
        }

      if (n == 0)
        {
          /* The peer closed its side: write what is queued, then end. */
          self->reading = FALSE;
          self->eof = TRUE;
          break;
        }

      if (self->idle_source != NULL)
        self->last_receive = g_get_monotonic_time ();

      if (!deliver (self, buffer, n))
        break;

      /* The replies to what was read piled up: let TCP slow the peer. */
      if (update_throttle (self))
        break;

      /* A short plain read drained the socket: level-triggered readiness
       * calls again if more came meanwhile, so skip the EAGAIN read. */
      if (self->tls_stream == NULL && n < SCRATCH_SIZE)
        break;
    }

  scratch_release (buffer);
}

static void
socket_cb (int          fd,
           GIOCondition revents,
           gpointer     user_data)
{
  g_autoptr(EapTcpClient) self = g_object_ref (EAP_TCP_CLIENT (user_data));
  guint generation = self->generation;
  GError *error = NULL;

  /* eap_component_close() cancels operations only: with none in flight,
   * the connection notices it here, at its next event. */
  if (G_UNLIKELY (eap_component_is_closed (EAP_COMPONENT (self))))
    {
      disconnect (self, NULL, TRUE);
      return;
    }

  if (self->pending_error != NULL)
    {
      disconnect (self, g_steal_pointer (&self->pending_error), TRUE);
      return;
    }

  if (self->reading && !update_throttle (self) &&
      (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0)
    {
      do_read (self);
      if (self->generation != generation)
        return;
    }

  if (!g_queue_is_empty (&self->sends) &&
      (revents & (G_IO_OUT | G_IO_HUP | G_IO_ERR)) != 0)
    {
      if (!flush_queue (self, &error))
        {
          disconnect (self, error, TRUE);
          return;
        }
      if (self->generation != generation)
        return;
    }

  if (g_queue_is_empty (&self->sends) && (self->eof || self->closing))
    {
      disconnect (self, NULL, TRUE);
      return;
    }

  update_watch (self);
}

/* Cancellations, and eap_component_close() noticed through them. */
static gboolean
check_cb (gpointer data)
{
  EapTcpClient *self = data;
  GList *l, *next;

  g_atomic_int_set (&self->check_pending, FALSE);

  if (self->state != STATE_CONNECTED)
    return G_SOURCE_REMOVE;

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      disconnect (self, NULL, TRUE);
      return G_SOURCE_REMOVE;
    }

  for (GSList *c = self->close_ops; c != NULL; c = c->next)
    if (op_is_cancelled (c->data))
      {
        /* A cancelled close closes at once. */
        disconnect (self, NULL, TRUE);
        return G_SOURCE_REMOVE;
      }

  /* A cancelled send leaves the queue if none of it was written. */
  for (l = self->sends.head; l != NULL; l = next)
    {
      Send *s = l->data;

      next = l->next;
      if (s->op != NULL && s->offset == 0 && g_cancellable_is_cancelled (s->cancellable))
        {
          self->queue_size -= g_bytes_get_size (s->bytes);
          g_queue_delete_link (&self->sends, l);
          g_cancellable_disconnect (s->cancellable, s->cancel_id);
          g_clear_object (&s->cancellable);
          eap_operation_return_error_if_cancelled (s->op);
          g_clear_object (&s->op);
          send_finish (s, NULL);
        }
    }
  update_watch (self);

  return G_SOURCE_REMOVE;
}

/* GObject */

static void
eap_tcp_client_dispose (GObject *object)
{
  EapTcpClient *self = EAP_TCP_CLIENT (object);

  /* Cancels every operation first, so that the sends dropped below
   * complete as cancelled (R49). */
  eap_component_close (EAP_COMPONENT (self));
  if (self->state == STATE_CONNECTED)
    disconnect (self, NULL, FALSE);

  G_OBJECT_CLASS (eap_tcp_client_parent_class)->dispose (object);
}

static void
eap_tcp_client_finalize (GObject *object)
{
  EapTcpClient *self = EAP_TCP_CLIENT (object);

  g_assert (g_queue_is_empty (&self->sends));
  g_clear_object (&self->tls_database);
  g_clear_object (&self->connect_op);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_error (&self->pending_error);
  g_clear_pointer (&self->peer_name, g_free);
  eap_line_framer_clear (&self->framer);

  G_OBJECT_CLASS (eap_tcp_client_parent_class)->finalize (object);
}

static void
eap_tcp_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EapTcpClient *self = EAP_TCP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_FRAMING:
      g_value_set_enum (value, self->framing);
      break;
    case PROP_MAX_LINE_LENGTH:
      g_value_set_uint64 (value, self->max_line_length);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_s);
      break;
    case PROP_MAX_SEND_QUEUE:
      g_value_set_uint64 (value, self->max_send_queue);
      break;
    case PROP_SEND_HIGH_WATER:
      g_value_set_uint64 (value, self->send_high_water);
      break;
    case PROP_SEND_QUEUE_SIZE:
      g_value_set_uint64 (value, self->queue_size);
      break;
    case PROP_TLS:
      g_value_set_boolean (value, self->tls);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, eap_tcp_client_is_connected (self));
      break;
    case PROP_REMOTE_ADDRESS:
      g_value_take_object (value, eap_tcp_client_dup_remote_address (self));
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_take_object (value, eap_tcp_client_dup_local_address (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_tcp_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EapTcpClient *self = EAP_TCP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_FRAMING:
      eap_tcp_client_set_framing (self, g_value_get_enum (value));
      break;
    case PROP_MAX_LINE_LENGTH:
      eap_tcp_client_set_max_line_length (self, g_value_get_uint64 (value));
      break;
    case PROP_TIMEOUT:
      eap_tcp_client_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_SEND_QUEUE:
      eap_tcp_client_set_max_send_queue (self, g_value_get_uint64 (value));
      break;
    case PROP_SEND_HIGH_WATER:
      eap_tcp_client_set_send_high_water (self, g_value_get_uint64 (value));
      break;
    case PROP_TLS:
      eap_tcp_client_set_tls (self, g_value_get_boolean (value));
      break;
    case PROP_TLS_DATABASE:
      eap_tcp_client_set_tls_database (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* eap_component_close(), from any thread: the operations in flight are
 * cancelled already; the connection itself ends in the client's context,
 * where the check sees the component closed. */
static void
eap_tcp_client_close_component (EapComponent *component)
{
  EapTcpClient *self = EAP_TCP_CLIENT (component);

  if (self->context != NULL)          /* never connected: nothing to end */
    schedule_check (self);
}

static void
eap_tcp_client_class_init (EapTcpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EapComponentClass *component_class = EAP_COMPONENT_CLASS (klass);

  object_class->dispose = eap_tcp_client_dispose;
  object_class->finalize = eap_tcp_client_finalize;
  object_class->get_property = eap_tcp_client_get_property;
  object_class->set_property = eap_tcp_client_set_property;
  component_class->close = eap_tcp_client_close_component;

  /**
   * EapTcpClient:framing:
   *
   * How received bytes become events: %EAP_TCP_FRAMING_RAW chunks
   * ([signal@Eap.TcpClient::received]) or %EAP_TCP_FRAMING_LINES lines
   * ([signal@Eap.TcpClient::line-received]). Read at every chunk, so it
   * may change while connected. Default: %EAP_TCP_FRAMING_RAW.
   *
   * Since: 0.1
   */
  properties[PROP_FRAMING] =
    g_param_spec_enum ("framing", NULL, NULL,
                       EAP_TYPE_TCP_FRAMING, EAP_TCP_FRAMING_RAW,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:max-line-length:
   *
   * The longest line accepted with %EAP_TCP_FRAMING_LINES, in bytes,
   * without its terminator. A longer line ends the connection with
   * %EAP_ERROR_LIMIT_EXCEEDED as soon as it is known to be longer, so an
   * endless line never costs more memory than this. Default: 8 KiB.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_LINE_LENGTH] =
    g_param_spec_uint64 ("max-line-length", NULL, NULL,
                         1, G_MAXSIZE / 2, EAP_TCP_CLIENT_DEFAULT_MAX_LINE_LENGTH,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:timeout:
   *
   * In seconds, 0 for none: bounds the connect (which then fails with
   * %G_IO_ERROR_TIMED_OUT), and while connected is the idle timeout:
   * when nothing is received for that long the connection ends with
   * %G_IO_ERROR_TIMED_OUT. Default: 0.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, G_MAXUINT / 1000, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:max-send-queue:
   *
   * How many bytes may wait to be written, in bytes. A send that would
   * pass it fails with %EAP_ERROR_LIMIT_EXCEEDED, without queueing any of
   * its bytes; the connection stays up. Default: 16 MiB.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_SEND_QUEUE] =
    g_param_spec_uint64 ("max-send-queue", NULL, NULL,
                         0, G_MAXSIZE, EAP_TCP_CLIENT_DEFAULT_MAX_SEND_QUEUE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:send-high-water:
   *
   * Backpressure for echo servers, proxies and anything that answers what
   * it reads: while more than this many bytes are queued to send, the
   * client reads nothing more, so the kernel's buffers fill and TCP's flow
   * control slows the peer down instead of the queue growing until
   * [property@Eap.TcpClient:max-send-queue] refuses a send. Reading
   * resumes once the queue has drained to half of it. The chunk being
   * delivered when the mark is passed is still delivered whole. While
   * reading waits, a peer's close or reset is noticed by the next write.
   * 0 (the default) never waits.
   *
   * Since: 0.1
   */
  properties[PROP_SEND_HIGH_WATER] =
    g_param_spec_uint64 ("send-high-water", NULL, NULL,
                         0, G_MAXSIZE, 0,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:send-queue-size:
   *
   * The bytes queued and not yet handed to the kernel. It changes with
   * every write, so it is not notified: read it when needed.
   *
   * Since: 0.1
   */
  properties[PROP_SEND_QUEUE_SIZE] =
    g_param_spec_uint64 ("send-queue-size", NULL, NULL,
                         0, G_MAXSIZE, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:tls:
   *
   * Whether the next connect speaks TLS. The server's certificate is
   * always checked, against [property@Eap.TcpClient:tls-database], and
   * its identity must be the host connected to. Default: `FALSE`.
   *
   * Since: 0.1
   */
  properties[PROP_TLS] =
    g_param_spec_boolean ("tls", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:tls-database:
   *
   * The certificate authorities TLS connections trust, or `NULL` for the
   * system's. Set it to trust a private CA.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL,
                         G_TYPE_TLS_DATABASE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:connected:
   *
   * Whether the client has a connection: `TRUE` from the moment a connect
   * succeeds until just before [signal@Eap.TcpClient::disconnected].
   * Notified in the client's context.
   *
   * Since: 0.1
   */
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:remote-address:
   *
   * The address of the peer while connected, else `NULL`.
   *
   * Since: 0.1
   */
  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_object ("remote-address", NULL, NULL,
                         G_TYPE_SOCKET_ADDRESS,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpClient:local-address:
   *
   * The local address of the connection while connected, else `NULL`.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_ADDRESS] =
    g_param_spec_object ("local-address", NULL, NULL,
                         G_TYPE_SOCKET_ADDRESS,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EapTcpClient::received:
   * @self: the [class@Eap.TcpClient]
   * @bytes: the bytes read, as they came (chunks are not messages)
   *
   * Emitted with %EAP_TCP_FRAMING_RAW for each chunk read, in the
   * client's context.
   *
   * Since: 0.1
   */
  signals[RECEIVED] =
    g_signal_new ("received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1, G_TYPE_BYTES);
  g_signal_set_va_marshaller (signals[RECEIVED], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__BOXEDv);

  /**
   * EapTcpClient::line-received:
   * @self: the [class@Eap.TcpClient]
   * @line: the line, without its LF or CR LF terminator
   *
   * Emitted with %EAP_TCP_FRAMING_LINES for each complete line, in the
   * client's context.
   *
   * Since: 0.1
   */
  signals[LINE_RECEIVED] =
    g_signal_new ("line-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL,
                  g_cclosure_marshal_VOID__STRING,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[LINE_RECEIVED], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__STRINGv);

  /**
   * EapTcpClient::disconnected:
   * @self: the [class@Eap.TcpClient]
   * @error: (nullable): why the connection ended, or `NULL` for a clean
   *   end (the peer closed, or the client was closed)
   *
   * Emitted exactly once per connection, after its last data, in the
   * client's context. The queued sends that were not written have
   * completed with @error (or %G_IO_ERROR_CONNECTION_CLOSED).
   *
   * Since: 0.1
   */
  signals[DISCONNECTED] =
    g_signal_new ("disconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  g_signal_set_va_marshaller (signals[DISCONNECTED], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__BOXEDv);
}

static void
eap_tcp_client_init (EapTcpClient *self)
{
  self->max_line_length = EAP_TCP_CLIENT_DEFAULT_MAX_LINE_LENGTH;
  self->max_send_queue = EAP_TCP_CLIENT_DEFAULT_MAX_SEND_QUEUE;
  g_queue_init (&self->sends);
}

/**
 * eap_tcp_client_new:
 *
 * Makes a client, not connected.
 *
 * Returns: (transfer full): a new [class@Eap.TcpClient]
 *
 * Since: 0.1
 */
EapTcpClient *
eap_tcp_client_new (void)
{
  return g_object_new (EAP_TYPE_TCP_CLIENT, NULL);
}

/* Private: for EapTcpListener */

EapTcpClient *
_eap_tcp_client_new_accepted (GSocket        *socket,
                              GMainContext   *context,
                              EapTcpFraming   framing,
                              GError        **error)
{
  g_autoptr(EapTcpClient) self = NULL;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  self = eap_tcp_client_new ();
  self->framing = framing;
  g_socket_set_blocking (socket, FALSE);
  if (!setup_connection (self, socket, NULL, NULL,
                         context != NULL ? context : g_main_context_default (),
                         FALSE, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
_eap_tcp_client_start (EapTcpClient *self)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));

  if (self->state != STATE_CONNECTED || self->started)
    return;

  self->started = TRUE;
  self->last_receive = g_get_monotonic_time ();
  update_idle_timeout (self);
  update_watch (self);
}

/* Properties */

/**
 * eap_tcp_client_get_framing:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:framing].
 *
 * Returns: how received bytes become events
 *
 * Since: 0.1
 */
EapTcpFraming
eap_tcp_client_get_framing (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), EAP_TCP_FRAMING_RAW);

  return self->framing;
}

/**
 * eap_tcp_client_set_framing:
 * @self: an [class@Eap.TcpClient]
 * @framing: how received bytes become events
 *
 * Sets [property@Eap.TcpClient:framing].
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_framing (EapTcpClient  *self,
                            EapTcpFraming  framing)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));
  g_return_if_fail (framing == EAP_TCP_FRAMING_RAW || framing == EAP_TCP_FRAMING_LINES);

  if (self->framing == framing)
    return;
  self->framing = framing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRAMING]);
}

/**
 * eap_tcp_client_get_max_line_length:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:max-line-length].
 *
 * Returns: the longest line accepted, in bytes
 *
 * Since: 0.1
 */
gsize
eap_tcp_client_get_max_line_length (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), 0);

  return self->max_line_length;
}

/**
 * eap_tcp_client_set_max_line_length:
 * @self: an [class@Eap.TcpClient]
 * @max_line_length: the longest line accepted, in bytes, at least 1
 *
 * Sets [property@Eap.TcpClient:max-line-length].
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_max_line_length (EapTcpClient *self,
                                    gsize         max_line_length)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));
  g_return_if_fail (max_line_length > 0 && max_line_length <= G_MAXSIZE / 2);

  if (self->max_line_length == max_line_length)
    return;
  self->max_line_length = max_line_length;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LINE_LENGTH]);
}

/**
 * eap_tcp_client_get_timeout:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:timeout].
 *
 * Returns: the connect and idle timeout in seconds, 0 for none
 *
 * Since: 0.1
 */
guint
eap_tcp_client_get_timeout (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), 0);

  return self->timeout_s;
}

/**
 * eap_tcp_client_set_timeout:
 * @self: an [class@Eap.TcpClient]
 * @timeout_s: the connect and idle timeout in seconds, 0 for none
 *
 * Sets [property@Eap.TcpClient:timeout]. On a connected client the idle
 * timeout counts from the last data received.
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_timeout (EapTcpClient *self,
                            guint         timeout_s)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));
  g_return_if_fail (timeout_s <= G_MAXUINT / 1000);

  if (self->timeout_s == timeout_s)
    return;
  self->timeout_s = timeout_s;
  if (self->state == STATE_CONNECTED)
    update_idle_timeout (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/**
 * eap_tcp_client_get_max_send_queue:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:max-send-queue].
 *
 * Returns: how many bytes may wait to be written
 *
 * Since: 0.1
 */
gsize
eap_tcp_client_get_max_send_queue (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), 0);

  return self->max_send_queue;
}

/**
 * eap_tcp_client_set_max_send_queue:
 * @self: an [class@Eap.TcpClient]
 * @max_send_queue: how many bytes may wait to be written
 *
 * Sets [property@Eap.TcpClient:max-send-queue]. Bytes queued already stay
 * queued.
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_max_send_queue (EapTcpClient *self,
                                   gsize         max_send_queue)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));

  if (self->max_send_queue == max_send_queue)
    return;
  self->max_send_queue = max_send_queue;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SEND_QUEUE]);
}

/**
 * eap_tcp_client_get_send_high_water:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:send-high-water].
 *
 * Returns: the queued bytes above which reading waits, or 0
 *
 * Since: 0.1
 */
gsize
eap_tcp_client_get_send_high_water (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), 0);

  return self->send_high_water;
}

/**
 * eap_tcp_client_set_send_high_water:
 * @self: an [class@Eap.TcpClient]
 * @send_high_water: the queued bytes above which reading waits; 0: never
 *
 * Sets [property@Eap.TcpClient:send-high-water]. Takes effect at once on a
 * connected client.
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_send_high_water (EapTcpClient *self,
                                    gsize         send_high_water)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));

  if (self->send_high_water == send_high_water)
    return;
  self->send_high_water = send_high_water;
  update_watch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEND_HIGH_WATER]);
}

/**
 * eap_tcp_client_get_send_queue_size:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:send-queue-size].
 *
 * Returns: the bytes queued and not yet written
 *
 * Since: 0.1
 */
gsize
eap_tcp_client_get_send_queue_size (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), 0);

  return self->queue_size;
}

/**
 * eap_tcp_client_get_tls:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:tls].
 *
 * Returns: whether connects speak TLS
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_get_tls (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);

  return self->tls;
}

/**
 * eap_tcp_client_set_tls:
 * @self: an [class@Eap.TcpClient]
 * @tls: whether connects speak TLS
 *
 * Sets [property@Eap.TcpClient:tls], for the next connect.
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_tls (EapTcpClient *self,
                        gboolean      tls)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));

  tls = !!tls;
  if (self->tls == tls)
    return;
  self->tls = tls;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS]);
}

/**
 * eap_tcp_client_get_tls_database:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:tls-database].
 *
 * Returns: (transfer none) (nullable): the trusted certificate
 *   authorities, or `NULL` for the system's
 *
 * Since: 0.1
 */
GTlsDatabase *
eap_tcp_client_get_tls_database (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), NULL);

  return self->tls_database;
}

/**
 * eap_tcp_client_set_tls_database:
 * @self: an [class@Eap.TcpClient]
 * @database: (nullable): the trusted certificate authorities, or `NULL`
 *   for the system's
 *
 * Sets [property@Eap.TcpClient:tls-database], for the next connect.
 *
 * Since: 0.1
 */
void
eap_tcp_client_set_tls_database (EapTcpClient *self,
                                 GTlsDatabase *database)
{
  g_return_if_fail (EAP_IS_TCP_CLIENT (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  if (g_set_object (&self->tls_database, database))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}

/**
 * eap_tcp_client_is_connected:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:connected].
 *
 * Returns: whether the client has a connection
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_is_connected (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);

  return self->state == STATE_CONNECTED;
}

/**
 * eap_tcp_client_dup_remote_address:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:remote-address].
 *
 * Returns: (transfer full) (nullable): the peer's address, or `NULL`
 *   when not connected
 *
 * Since: 0.1
 */
GSocketAddress *
eap_tcp_client_dup_remote_address (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), NULL);

  if (self->socket == NULL)
    return NULL;
  return g_socket_get_remote_address (self->socket, NULL);
}

/**
 * eap_tcp_client_dup_local_address:
 * @self: an [class@Eap.TcpClient]
 *
 * Gets [property@Eap.TcpClient:local-address].
 *
 * Returns: (transfer full) (nullable): the local address of the
 *   connection, or `NULL` when not connected
 *
 * Since: 0.1
 */
GSocketAddress *
eap_tcp_client_dup_local_address (EapTcpClient *self)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), NULL);

  if (self->socket == NULL)
    return NULL;
  return g_socket_get_local_address (self->socket, NULL);
}

/* Connecting */

static void
socket_client_event_cb (GSocketClient      *client,
                        GSocketClientEvent  event,
                        GSocketConnectable *connectable,
                        GIOStream          *connection,
                        gpointer            user_data)
{
  GTlsDatabase *database = user_data;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && database != NULL &&
      G_IS_TLS_CONNECTION (connection))
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), database);
}

static GSocketClient *
make_socket_client (EapTcpClient *self,
                    gboolean      blocking)
{
  GSocketClient *client = g_socket_client_new ();

  /* A TCP client connects where it is told, like a BSD socket: no proxy
   * lookup (which would also cost a resolver round per connect). */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_tls (client, self->tls);
  if (self->tls && self->tls_database != NULL)
    g_signal_connect_data (client, "event", G_CALLBACK (socket_client_event_cb),
                           g_object_ref (self->tls_database),
                           (GClosureNotify) (void (*) (void)) g_object_unref, 0);
  if (blocking && self->timeout_s > 0)
    g_socket_client_set_timeout (client, self->timeout_s);

  return client;
}

/* Takes over what GSocketClient connected. */
static gboolean
adopt_connection (EapTcpClient       *self,
                  GSocketConnection  *connection,
                  GMainContext       *context,
                  gboolean            start,
                  GError            **error)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  GIOStream *tls_stream = NULL;

  if (G_IS_TCP_WRAPPER_CONNECTION (connection))
    tls_stream = g_tcp_wrapper_connection_get_base_io_stream (G_TCP_WRAPPER_CONNECTION (connection));
  else if (G_IS_TLS_CONNECTION (connection))
    tls_stream = G_IO_STREAM (connection);

  g_socket_set_timeout (socket, 0);
  g_socket_set_blocking (socket, FALSE);

  return setup_connection (self, socket, G_IO_STREAM (connection), tls_stream,
                           context, start, error);
}

static GError *
prefix_error (GError     *error,
              const char *host,
              guint16     port)
{
  g_prefix_error (&error, "Cannot connect to %s:%u: ", host, port);
  return error;
}

typedef struct
{
  EapTcpClient *self;   /* (owned) */
  EapOperation *op;     /* (owned) */
  char         *host;
  guint16       port;
} Connect;

static void
connect_free (Connect *c)
{
  g_object_unref (c->self);
  g_object_unref (c->op);
  g_free (c->host);
  g_free (c);
}

static void
connect_started_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  /* completed::connect has been emitted: reading may start. */
  EapTcpClient *self = user_data;
  g_autoptr(EapCompletedArgs) args = NULL;

  args = eap_operation_wait_finish (EAP_OPERATION (source), result, NULL);
  _eap_tcp_client_start (self);
  g_object_unref (self);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Connect *c = user_data;
  EapTcpClient *self = c->self;
  g_autoptr(GSocketConnection) connection = NULL;
  GError *error = NULL;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->connect_op == c->op)
    g_clear_object (&self->connect_op);
  if (self->state == STATE_CONNECTING)
    self->state = STATE_IDLE;

  if (connection != NULL && eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      g_clear_object (&connection);
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Closed");
    }

  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        eap_operation_complete_error (c->op, error);
      else
        eap_operation_complete_error (c->op, prefix_error (error, c->host, c->port));
      connect_free (c);
      return;
    }

  if (!adopt_connection (self, connection, eap_operation_get_context (c->op), FALSE, &error))
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      eap_operation_complete_error (c->op, prefix_error (error, c->host, c->port));
      connect_free (c);
      return;
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  eap_operation_complete (c->op, NULL);
  eap_operation_wait_async (c->op, NULL, connect_started_cb, g_object_ref (self));
  connect_free (c);
}

static gboolean
refuse_connect (EapTcpClient  *self,
                GError       **error)
{
  if (self->state != STATE_IDLE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                           self->state == STATE_CONNECTING
                           ? "The EapTcpClient is connecting already"
                           : "The EapTcpClient is connected already");
      return TRUE;
    }
  return FALSE;
}

/**
 * eap_tcp_client_connect_async:
 * @self: an [class@Eap.TcpClient]
 * @host: a host name or an IPv4 or IPv6 address
 * @port: the port
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]; `NULL` never collides
 * @error: return location for the reason it did not start
 *
 * Starts the `connect` operation: resolves @host, connects to @port (and
 * with [property@Eap.TcpClient:tls] makes the TLS handshake, checking the
 * certificate), then emits [signal@Eap.Component::completed]`::connect`.
 * A refused port completes with %G_IO_ERROR_CONNECTION_REFUSED, an
 * unknown host with a %G_RESOLVER_ERROR, a bad certificate with a
 * %G_TLS_ERROR, and [property@Eap.TcpClient:timeout] with
 * %G_IO_ERROR_TIMED_OUT. Once it has completed, the client reads in the
 * main context that is thread-default now.
 *
 * Returns: `TRUE` if the operation started; `FALSE` with @error set when
 *   the client is connecting or connected already (%G_IO_ERROR_PENDING),
 *   when @user_state is in flight (%G_IO_ERROR_INVALID_ARGUMENT) or once
 *   @self is closed (%G_IO_ERROR_CLOSED). Nothing is emitted then.
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_connect_async (EapTcpClient  *self,
                              const char    *host,
                              guint16        port,
                              gpointer       user_state,
                              GError       **error)
{
  g_autoptr(EapOperation) op = NULL;
  g_autoptr(GSocketClient) client = NULL;
  Connect *c;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (refuse_connect (self, error))
    return FALSE;

  op = eap_component_begin_operation (EAP_COMPONENT (self), "connect", user_state, error);
  if (op == NULL)
    return FALSE;

  if (self->timeout_s > 0)
    eap_operation_set_timeout (op, self->timeout_s * 1000);

  self->state = STATE_CONNECTING;
  g_set_object (&self->connect_op, op);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref (eap_operation_get_context (op));

  c = g_new0 (Connect, 1);
  c->self = g_object_ref (self);
  c->op = g_object_ref (op);
  c->host = g_strdup (host);
  c->port = port;

  client = make_socket_client (self, FALSE);
  g_socket_client_connect_to_host_async (client, host, port,
                                         eap_operation_get_cancellable (op),
                                         connect_cb, c);
  return TRUE;
}

/**
 * eap_tcp_client_connect_sync:
 * @self: an [class@Eap.TcpClient]
 * @host: a host name or an IPv4 or IPv6 address
 * @port: the port
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the failure
 *
 * The blocking twin of [method@Eap.TcpClient.connect_async]: connects in
 * the calling thread and returns when connected or failed. It starts no
 * operation and emits nothing but the events of the connection, which
 * arrive in the calling thread's thread-default main context.
 *
 * Returns: `TRUE` once connected; `FALSE` with @error set otherwise
 *   (%G_IO_ERROR_PENDING when connecting or connected already,
 *   %G_IO_ERROR_CLOSED once @self is closed)
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_connect_sync (EapTcpClient  *self,
                             const char    *host,
                             guint16        port,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GMainContext) context = NULL;
  GError *local = NULL;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Cannot connect to %s:%u: the EapTcpClient is closed", host, port);
      return FALSE;
    }
  if (refuse_connect (self, error))
    return FALSE;

  self->state = STATE_CONNECTING;
  client = make_socket_client (self, TRUE);
  connection = g_socket_client_connect_to_host (client, host, port, cancellable, &local);
  self->state = STATE_IDLE;
  if (connection == NULL)
    {
      g_propagate_error (error, prefix_error (local, host, port));
      return FALSE;
    }

  context = g_main_context_ref_thread_default ();
  if (!adopt_connection (self, connection, context, TRUE, &local))
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      g_propagate_error (error, prefix_error (local, host, port));
      return FALSE;
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  return TRUE;
}

/* Sending */

static gboolean
check_can_queue (EapTcpClient  *self,
                 gsize          size,
                 GError       **error)
{
  if (self->state != STATE_CONNECTED || self->closing || self->eof ||
      self->pending_error != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "Cannot send: the EapTcpClient is not connected");
      return FALSE;
    }
  if (size > self->max_send_queue || self->queue_size > self->max_send_queue - size)
    {
      g_set_error (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED,
                   "Cannot send %" G_GSIZE_FORMAT " bytes: %" G_GSIZE_FORMAT
                   " are queued already and the limit is %" G_GSIZE_FORMAT,
                   size, self->queue_size, self->max_send_queue);
      return FALSE;
    }
  return TRUE;
}

/* Queues @s and writes at once when it is alone. */
static void
enqueue (EapTcpClient *self,
         Send         *s)
{
  gboolean was_empty = g_queue_is_empty (&self->sends);

  g_queue_push_tail (&self->sends, s);
  self->queue_size += g_bytes_get_size (s->bytes);

  if (was_empty)
    {
      GError *error = NULL;

      if (!flush_queue (self, &error))
        {
          /* Reported by the next dispatch: never from inside the call. */
          if (self->pending_error == NULL)
            self->pending_error = error;
          else
            g_error_free (error);
        }
    }
  update_watch (self);
}

/**
 * eap_tcp_client_send_async:
 * @self: an [class@Eap.TcpClient]
 * @bytes: what to send
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]; `NULL` never collides
 * @error: return location for the reason it did not start
 *
 * Starts the `send` operation: queues @bytes, which are written in order
 * after what is queued already, as fast as the peer reads. Progress is the
 * bytes of @bytes written; [signal@Eap.Component::completed]`::send` is
 * emitted once the kernel has them all. Failures complete the operation:
 * %G_IO_ERROR_NOT_CONNECTED when not connected, %EAP_ERROR_LIMIT_EXCEEDED
 * when the queue would pass [property@Eap.TcpClient:max-send-queue]
 * (nothing of @bytes is queued then), and the disconnect's error (or
 * %G_IO_ERROR_CONNECTION_CLOSED) when the connection ends first.
 * Cancelling a send that has not started to be written takes it out of
 * the queue.
 *
 * Returns: `TRUE` if the operation started; `FALSE` with @error set when
 *   @user_state is in flight (%G_IO_ERROR_INVALID_ARGUMENT) or once @self
 *   is closed (%G_IO_ERROR_CLOSED). Nothing is emitted then.
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_send_async (EapTcpClient  *self,
                           GBytes        *bytes,
                           gpointer       user_state,
                           GError       **error)
{
  g_autoptr(EapOperation) op = NULL;
  GError *local = NULL;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op = eap_component_begin_operation (EAP_COMPONENT (self), "send", user_state, error);
  if (op == NULL)
    return FALSE;

  if (!check_can_queue (self, g_bytes_get_size (bytes), &local))
    {
      eap_operation_complete_error (op, local);
      return TRUE;
    }

  enqueue (self, send_new (self, bytes, op));
  return TRUE;
}

/**
 * eap_tcp_client_queue_send:
 * @self: an [class@Eap.TcpClient]
 * @bytes: what to send
 * @error: return location for the reason it was not queued
 *
 * Queues @bytes like [method@Eap.TcpClient.send_async], without an
 * operation: nothing tells when they are written, and if the connection
 * ends first they are dropped. For servers that send one message to many
 * clients.
 *
 * Returns: `TRUE` if queued; `FALSE` with @error set when not connected
 *   (%G_IO_ERROR_NOT_CONNECTED), when the queue would pass
 *   [property@Eap.TcpClient:max-send-queue] (%EAP_ERROR_LIMIT_EXCEEDED)
 *   or once @self is closed (%G_IO_ERROR_CLOSED)
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_queue_send (EapTcpClient  *self,
                           GBytes        *bytes,
                           GError       **error)
{
  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "Cannot send: the EapTcpClient is closed");
      if (self->state == STATE_CONNECTED)
        schedule_check (self);
      return FALSE;
    }
  if (!check_can_queue (self, g_bytes_get_size (bytes), error))
    return FALSE;

  enqueue (self, send_new (self, bytes, NULL));
  return TRUE;
}

/**
 * eap_tcp_client_queue_line:
 * @self: an [class@Eap.TcpClient]
 * @line: a line, without terminator
 * @error: return location for the reason it was not queued
 *
 * Queues @line followed by CR LF, as [method@Eap.TcpClient.queue_send]
 * does.
 *
 * Returns: `TRUE` if queued; `FALSE` with @error set when @line contains a
 *   CR, an LF (%G_IO_ERROR_INVALID_ARGUMENT), or as
 *   [method@Eap.TcpClient.queue_send] fails
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_queue_line (EapTcpClient  *self,
                           const char    *line,
                           GError       **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  char *data;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strcspn (line, "\r\n");
  if (line[len] != '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "Cannot send a line containing a CR or an LF");
      return FALSE;
    }

  data = g_malloc (len + 2);
  memcpy (data, line, len);
  data[len] = '\r';
  data[len + 1] = '\n';
  bytes = g_bytes_new_take (data, len + 2);

  return eap_tcp_client_queue_send (self, bytes, error);
}

/**
 * eap_tcp_client_send_sync:
 * @self: an [class@Eap.TcpClient]
 * @bytes: what to send
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the failure
 *
 * The blocking twin of [method@Eap.TcpClient.send_async]: queues @bytes
 * and writes, blocking the calling thread (the thread of the client's
 * context), until the kernel has them all. It starts no operation. The
 * client does not read while it blocks: a peer that only reads once it
 * could write its replies may stall it.
 *
 * Returns: `TRUE` once written; `FALSE` with @error set otherwise
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_send_sync (EapTcpClient  *self,
                          GBytes        *bytes,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(EapTcpClient) ref = NULL;
  int result = 0;
  GError *local = NULL;
  Send *s;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "Cannot send: the EapTcpClient is closed");
      return FALSE;
    }
  if (!check_can_queue (self, g_bytes_get_size (bytes), error))
    return FALSE;

  ref = g_object_ref (self);
  s = send_new (self, bytes, NULL);
  s->blocking_result = &result;
  s->blocking_error = &local;
  g_queue_push_tail (&self->sends, s);
  self->queue_size += g_bytes_get_size (bytes);

  while (result == 0)
    {
      GError *werror = NULL;

      if (!flush_queue (self, &werror))
        {
          /* The connection is broken: the next dispatch ends it, and fails
           * this send too. */
          if (self->pending_error == NULL)
            self->pending_error = g_error_copy (werror);
          g_propagate_error (error, werror);
          break;
        }
      if (result != 0)
        break;
      if (!g_socket_condition_timed_wait (self->socket, G_IO_OUT, -1, cancellable, &werror))
        {
          g_propagate_error (error, werror);
          break;
        }
    }

  if (result == 0)
    {
      /* Failed or cancelled before it was written: leave it to the queue
       * (part of it may be written already), but nobody waits for it. */
      s->blocking_result = NULL;
      s->blocking_error = NULL;
      if (s->offset == 0 && g_queue_find (&self->sends, s) != NULL)
        {
          g_queue_remove (&self->sends, s);
          self->queue_size -= g_bytes_get_size (s->bytes);
          send_finish (s, NULL);
        }
      update_watch (self);
      return FALSE;
    }

  update_watch (self);
  if (result < 0)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

/* Closing */

/**
 * eap_tcp_client_close_async:
 * @self: an [class@Eap.TcpClient]
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]; `NULL` never collides
 * @error: return location for the reason it did not start
 *
 * Starts the `close` operation: stops reading, writes what is queued (the
 * pending sends complete normally), sends the TLS `close_notify`, closes
 * the socket, emits [signal@Eap.TcpClient::disconnected] with `NULL` and
 * then [signal@Eap.Component::completed]`::close`. Cancelling it closes
 * at once, without writing the rest (the pending sends complete with
 * %G_IO_ERROR_CONNECTION_CLOSED). A client that is not connected
 * completes at once; one that is connecting cancels the connect.
 *
 * Returns: `TRUE` if the operation started; `FALSE` with @error set when
 *   @user_state is in flight (%G_IO_ERROR_INVALID_ARGUMENT) or once @self
 *   is closed (%G_IO_ERROR_CLOSED). Nothing is emitted then.
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_close_async (EapTcpClient  *self,
                            gpointer       user_state,
                            GError       **error)
{
  g_autoptr(EapOperation) op = NULL;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op = eap_component_begin_operation (EAP_COMPONENT (self), "close", user_state, error);
  if (op == NULL)
    return FALSE;

  if (self->state == STATE_CONNECTING && self->connect_op != NULL)
    eap_operation_cancel (self->connect_op);

  if (self->state != STATE_CONNECTED)
    {
      eap_operation_complete (op, NULL);
      return TRUE;
    }

  g_cancellable_connect (eap_operation_get_cancellable (op), G_CALLBACK (close_cancelled_cb),
                         g_object_ref (self), g_object_unref);
  self->close_ops = g_slist_append (self->close_ops, g_steal_pointer (&op));
  self->closing = TRUE;
  self->reading = FALSE;
  if (!self->started)
    _eap_tcp_client_start (self);
  update_watch (self);

  return TRUE;
}

/**
 * eap_tcp_client_close_sync:
 * @self: an [class@Eap.TcpClient]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the failure
 *
 * The blocking twin of [method@Eap.TcpClient.close_async]: writes what is
 * queued, blocking the calling thread, then closes. It starts no
 * operation; [signal@Eap.TcpClient::disconnected] is still emitted, from
 * the client's context soon after. Cancelling it closes at once.
 *
 * Returns: `TRUE` once closed cleanly; `FALSE` with @error set when the
 *   queue could not be written (the connection is closed all the same) or
 *   once @self is closed (%G_IO_ERROR_CLOSED)
 *
 * Since: 0.1
 */
gboolean
eap_tcp_client_close_sync (EapTcpClient  *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(EapTcpClient) ref = NULL;
  GError *local = NULL;

  g_return_val_if_fail (EAP_IS_TCP_CLIENT (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "Cannot close: the EapTcpClient is closed");
      return FALSE;
    }
  if (self->state == STATE_CONNECTING && self->connect_op != NULL)
    eap_operation_cancel (self->connect_op);
  if (self->state != STATE_CONNECTED)
    return TRUE;

  ref = g_object_ref (self);
  self->reading = FALSE;
  while (self->pending_error == NULL && !g_queue_is_empty (&self->sends))
    {
      if (!flush_queue (self, &local))
        break;
      if (g_queue_is_empty (&self->sends))
        break;
      if (!g_socket_condition_timed_wait (self->socket, G_IO_OUT, -1, cancellable, &local))
        break;
    }
  if (local == NULL && self->pending_error != NULL)
    local = g_error_copy (self->pending_error);

  /* A cancelled close is still a local close: disconnected (NULL). */
  disconnect (self,
              local != NULL && !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED)
              ? g_error_copy (local) : NULL,
              FALSE);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}
