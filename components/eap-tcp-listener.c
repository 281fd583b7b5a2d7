/* eap-tcp-listener.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-tcp-listener.h"

#include <eap.h>

#include "eap-component-enums.h"
#include "eap-poller-private.h"
#include "eap-tcp-client-private.h"

#include <netinet/in.h>
#include <sys/socket.h>

/**
 * EapTcpListener:
 *
 * Accepts TCP connections and hands each one over as a connected
 * [class@Eap.TcpClient]: the server side of eap's sockets.
 *
 * [method@Eap.TcpListener.listen] binds and listens; from then on the
 * listener accepts peers in the thread-default main context of the thread
 * that called it (the listener's context). Each peer becomes an
 * [class@Eap.TcpClient] with the listener's
 * [property@Eap.TcpListener:framing], whose events are emitted in that same
 * context. It goes to the oldest pending `accept` operation
 * ([method@Eap.TcpListener.accept_async]) if there is one, otherwise to
 * [signal@Eap.TcpListener::client-accepted]. The client starts reading
 * only after that handoff, so no event is lost before a handler could be
 * connected.
 *
 * An accepted client lives as long as its connection: a server may drop
 * its reference and still get every event of the client, up to its
 * [signal@Eap.TcpClient::disconnected]. The listener counts the clients it
 * accepted that have not disconnected yet
 * ([property@Eap.TcpListener:n-clients]); beyond
 * [property@Eap.TcpListener:max-clients] a new peer is closed at once
 * (it sees end of file) and counted in
 * [property@Eap.TcpListener:n-rejected].
 *
 * Accepting scales: the listening socket is one more descriptor in the
 * one epoll set of its context, peers are accepted in batches until the
 * socket would block, and no per-connection main-context source exists,
 * so accepting costs O(ready peers), not O(connections). When the process
 * runs out of file descriptors the listener pauses for 100 ms instead of
 * spinning, and logs it once.
 *
 * [method@Eap.TcpListener.stop] closes the listening socket; accepted
 * clients stay connected. [method@Eap.Component.close] (or disposing the
 * listener) stops it too and completes every pending `accept` as
 * cancelled. Closing may happen in any thread: the socket is then closed
 * on the next dispatch of the listener's context.
 *
 * Threads: [method@Eap.TcpListener.listen] and
 * [method@Eap.TcpListener.stop] belong to the thread that owns the
 * listener's context. [method@Eap.TcpListener.accept_async],
 * [method@Eap.TcpListener.accept], the property getters and the setters may
 * be called from any thread.
 *
 * Since: 0.1
 */

#define ACCEPT_BATCH      256   /* peers accepted per dispatch at most */
#define EMFILE_PAUSE_MS   100
#define LISTEN_BACKLOG    MAX (SOMAXCONN, 1024)

typedef enum
{
  PENDING_OPERATION,
  PENDING_BLOCKING,
} PendingKind;

/* A pending accept: an `accept` operation or a blocking accept, queued in
 * arrival order. Refcounted: the queue, the operation's cancelled handler
 * and a blocking caller each hold one. */
typedef struct
{
  gatomicrefcount  ref_count;
  PendingKind      kind;
  GWeakRef         listener;    /* EapTcpListener */
  /* Guarded by the listener's lock; stolen by whoever takes the pending
   * accept out of the queue (which also breaks the cycle op -> cancellable
   * -> handler -> pending -> op): */
  EapOperation    *operation;   /* (owned) (nullable): PENDING_OPERATION */
  /* PENDING_BLOCKING, guarded by the listener's lock: */
  GCancellable    *wake;        /* (owned) (nullable): cancelled when filled */
  GSocket         *peer;        /* (owned) (nullable): the accepted socket */
  GError          *error;       /* (owned) (nullable): why it ended */
  gboolean         done;
} Pending;

/* The listening socket's watch data, owned by the poller watch (freed by
 * its destroy notify, which closes the socket). Only the listener's
 * context touches it. */
typedef struct
{
  GWeakRef   listener;       /* EapTcpListener */
  GSocket   *socket;         /* (owned) */
  GSource   *resume_source;  /* (owned) (nullable): the EMFILE pause */
} Endpoint;

/* Counts one accepted client until its `disconnected`, without keeping the
 * client or the listener alive. */
typedef struct
{
  gatomicrefcount  ref_count;
  GWeakRef         listener;   /* EapTcpListener */
} Tracker;

struct _EapTcpListener
{
  EapComponent    parent_instance;

  /* Touched in the listener's context only: */
  EapPoller      *poller;       /* (owned) (nullable): while listening */
  guint           watch_id;
  Endpoint       *endpoint;     /* (unowned) (nullable): owned by the watch */
  gboolean        emfile_logged;

  GMutex          lock;
  /* Guarded by @lock: */
  GMainContext   *context;      /* (owned) (nullable): the listener's context, from the first listen */
  GSocket        *socket;       /* (owned) (nullable): the listening socket while listening */
  GQueue          pending;      /* (element-type Pending) (owned) */
  guint64         n_rejected;
  Tracker        *tracker;      /* (owned) */

  /* Atomic: */
  int             max_clients;
  int             n_clients;
  int             framing;
};

enum {
  PROP_0,
  PROP_LISTENING,
  PROP_PORT,
  PROP_LOCAL_ADDRESS,
  PROP_MAX_CLIENTS,
  PROP_N_CLIENTS,
  PROP_N_REJECTED,
  PROP_FRAMING,
  N_PROPS
};

enum {
  CLIENT_ACCEPTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EapTcpListener, eap_tcp_listener, EAP_TYPE_COMPONENT)

/* ------------------------------------------------------------------ */
/* EapTcpAcceptCompletedArgs                                          */

/**
 * EapTcpAcceptCompletedArgs:
 *
 * The completed args of the `accept` operation of an
 * [class@Eap.TcpListener]: the outcome and, on success, the accepted
 * client.
 *
 * Since: 0.1
 */
struct _EapTcpAcceptCompletedArgs
{
  EapCompletedArgs  parent_instance;
  EapTcpClient     *client;   /* (owned) (nullable): set on success only; never changes */
};

G_DEFINE_FINAL_TYPE (EapTcpAcceptCompletedArgs, eap_tcp_accept_completed_args,
                     EAP_TYPE_COMPLETED_ARGS)

enum {
  ARGS_PROP_0,
  ARGS_PROP_CLIENT,
  ARGS_N_PROPS
};

static GParamSpec *args_properties[ARGS_N_PROPS];

static void
eap_tcp_accept_completed_args_finalize (GObject *object)
{
  EapTcpAcceptCompletedArgs *self = (EapTcpAcceptCompletedArgs *) object;

  g_clear_object (&self->client);

  G_OBJECT_CLASS (eap_tcp_accept_completed_args_parent_class)->finalize (object);
}

static void
eap_tcp_accept_completed_args_get_property (GObject    *object,
                                            guint       prop_id,
                                            GValue     *value,
                                            GParamSpec *pspec)
{
  EapTcpAcceptCompletedArgs *self = EAP_TCP_ACCEPT_COMPLETED_ARGS (object);

  switch (prop_id)
    {
    case ARGS_PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_tcp_accept_completed_args_class_init (EapTcpAcceptCompletedArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eap_tcp_accept_completed_args_finalize;
  object_class->get_property = eap_tcp_accept_completed_args_get_property;

  /**
   * EapTcpAcceptCompletedArgs:client:
   *
   * The accepted client, or `NULL` when the operation failed or was
   * cancelled. [method@Eap.TcpAcceptCompletedArgs.get_client] also tells
   * why.
   *
   * Since: 0.1
   */
  args_properties[ARGS_PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         EAP_TYPE_TCP_CLIENT,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, ARGS_N_PROPS, args_properties);
}

static void
eap_tcp_accept_completed_args_init (EapTcpAcceptCompletedArgs *self)
{
}

static EapTcpAcceptCompletedArgs *
accept_completed_args_new (EapTcpClient *client)
{
  EapTcpAcceptCompletedArgs *self;

  self = g_object_new (EAP_TYPE_TCP_ACCEPT_COMPLETED_ARGS, NULL);
  self->client = g_object_ref (client);
  return self;
}

/**
 * eap_tcp_accept_completed_args_get_client:
 * @self: an [class@Eap.TcpAcceptCompletedArgs]
 * @error: return location for the operation's error
 *
 * Gets the accepted client, raising the operation's outcome first: when
 * the operation failed (the listener was stopped: %G_IO_ERROR_CLOSED) it
 * returns `NULL` with a copy of the error, when it was cancelled `NULL`
 * with %G_IO_ERROR_CANCELLED.
 *
 * The client is connected and already reading: connect to its signals in
 * the `completed::accept` handler, which runs before any of them can be
 * emitted. The args hold a reference only as long as they live; the
 * connection itself keeps the client alive until
 * [signal@Eap.TcpClient::disconnected]. Take a reference to use it after
 * that.
 *
 * Returns: (transfer none) (nullable): the client, owned by @self, or
 *   `NULL` with @error set
 *
 * Since: 0.1
 */
EapTcpClient *
eap_tcp_accept_completed_args_get_client (EapTcpAcceptCompletedArgs  *self,
                                          GError                    **error)
{
  g_return_val_if_fail (EAP_IS_TCP_ACCEPT_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;
  return self->client;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static Pending *
pending_ref (Pending *pending)
{
  g_atomic_ref_count_inc (&pending->ref_count);
  return pending;
}

static void
pending_unref (gpointer data)
{
  Pending *pending = data;

  if (!g_atomic_ref_count_dec (&pending->ref_count))
    return;
  g_weak_ref_clear (&pending->listener);
  g_clear_object (&pending->operation);
  g_clear_object (&pending->wake);
  g_clear_object (&pending->peer);
  g_clear_error (&pending->error);
  g_free (pending);
}

static Tracker *
tracker_ref (Tracker *tracker)
{
  g_atomic_ref_count_inc (&tracker->ref_count);
  return tracker;
}

static void
tracker_unref (gpointer data,
               GClosure *closure)
{
  Tracker *tracker = data;

  if (!g_atomic_ref_count_dec (&tracker->ref_count))
    return;
  g_weak_ref_clear (&tracker->listener);
  g_free (tracker);
}

static void
endpoint_free (gpointer data)
{
  Endpoint *ep = data;

  if (ep->resume_source != NULL)
    {
      g_source_destroy (ep->resume_source);
      g_clear_pointer (&ep->resume_source, g_source_unref);
    }
  g_socket_close (ep->socket, NULL);
  g_clear_object (&ep->socket);
  g_weak_ref_clear (&ep->listener);
  g_free (ep);
}

/* Notifies @pspec in the listener's context: at once when the calling
 * thread owns it (or nothing listened yet), otherwise from an idle source
 * there, so that handlers always run where the listener's events do. */
static gboolean
notify_idle_cb (gpointer data)
{
  gpointer *pair = data;
  g_autoptr(GObject) object = g_weak_ref_get (pair[0]);

  if (object != NULL)
    g_object_notify_by_pspec (object, pair[1]);
  return G_SOURCE_REMOVE;
}

static void
notify_idle_free (gpointer data)
{
  gpointer *pair = data;

  g_weak_ref_clear (pair[0]);
  g_free (pair[0]);
  g_free (pair);
}

static void
notify_in_context (EapTcpListener *self,
                   GParamSpec     *pspec)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSource) source = NULL;
  gpointer *pair;

  g_mutex_lock (&self->lock);
  if (self->context != NULL)
    context = g_main_context_ref (self->context);
  g_mutex_unlock (&self->lock);

  if (context == NULL || g_main_context_is_owner (context))
    {
      g_object_notify_by_pspec (G_OBJECT (self), pspec);
      return;
    }

  pair = g_new0 (gpointer, 2);
  pair[0] = g_new0 (GWeakRef, 1);
  g_weak_ref_init (pair[0], self);
  pair[1] = pspec;
  source = g_idle_source_new ();
  g_source_set_static_name (source, "[eap] EapTcpListener notify");
  g_source_set_callback (source, notify_idle_cb, pair, notify_idle_free);
  g_source_attach (source, context);
}

/* ------------------------------------------------------------------ */
/* Counting clients                                                    */

static void
tracked_client_disconnected_cb (EapTcpClient *client,
                                const GError *error,
                                gpointer      data)
{
  Tracker *tracker = data;
  g_autoptr(EapTcpListener) self = g_weak_ref_get (&tracker->listener);

  /* Once only: a client may be connected again later, and that
   * connection is not the listener's. */
  g_signal_handlers_disconnect_by_func (client, tracked_client_disconnected_cb, data);

  if (self == NULL)
    return;
  g_atomic_int_add (&self->n_clients, -1);
  notify_in_context (self, properties[PROP_N_CLIENTS]);
}

/* Starts counting @client (already included in n-clients). */
static void
track_client (EapTcpListener *self,
              EapTcpClient   *client)
{
  Tracker *tracker;

  g_mutex_lock (&self->lock);
  tracker = tracker_ref (self->tracker);
  g_mutex_unlock (&self->lock);

  g_signal_connect_data (client, "disconnected",
                         G_CALLBACK (tracked_client_disconnected_cb),
                         tracker, tracker_unref, 0);
}

/* Reserves a place for a new client: FALSE when max-clients is reached. */
static gboolean
reserve_client (EapTcpListener *self)
{
  int max = g_atomic_int_get (&self->max_clients);
  int n;

  do
    {
      n = g_atomic_int_get (&self->n_clients);
      if (max > 0 && n >= max)
        return FALSE;
    }
  while (!g_atomic_int_compare_and_exchange (&self->n_clients, n, n + 1));

  return TRUE;
}

static void
release_client (EapTcpListener *self)
{
  g_atomic_int_add (&self->n_clients, -1);
}

static void
count_rejected (EapTcpListener *self)
{
  g_mutex_lock (&self->lock);
  self->n_rejected++;
  g_mutex_unlock (&self->lock);
  notify_in_context (self, properties[PROP_N_REJECTED]);
}

/* ------------------------------------------------------------------ */
/* Stopping                                                            */

/* Ends a blocking accept with @error (transfer full); lock held. */
static void
pending_fail_locked (Pending *pending,
                     GError  *error)
{
  if (pending->done)
    {
      g_error_free (error);
      return;
    }
  pending->done = TRUE;
  pending->error = error;
  g_cancellable_cancel (pending->wake);
}

/* Closes the listening socket and fails every pending accept with
 * G_IO_ERROR_CLOSED (an operation already cancelled completes as such).
 * In the listener's context. */
static void
stop_listening (EapTcpListener *self)
{
  g_autoptr(EapPoller) poller = NULL;
  g_autoptr(GSocket) socket = NULL;
  GQueue pending = G_QUEUE_INIT;
  Pending *p;

  /* Blocking accepts first: once failed (under the lock, which they take
   * to accept), they never touch the socket again, so closing it below
   * cannot race with their accept(). */
  g_mutex_lock (&self->lock);
  socket = g_steal_pointer (&self->socket);
  pending = self->pending;
  g_queue_init (&self->pending);
  for (GList *l = pending.head; l != NULL; l = l->next)
    {
      p = l->data;
      if (p->kind == PENDING_BLOCKING)
        pending_fail_locked (p, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                             "The listener was stopped"));
    }
  g_mutex_unlock (&self->lock);

  poller = g_steal_pointer (&self->poller);
  if (poller != NULL)
    {
      eap_poller_remove (poller, self->watch_id);
      self->watch_id = 0;
      self->endpoint = NULL;
    }

  /* Operations complete outside the lock: their cancelled handlers take
   * it. Out of the queue, they are ours to complete. */
  while ((p = g_queue_pop_head (&pending)) != NULL)
    {
      g_autoptr(EapOperation) op = NULL;

      g_mutex_lock (&self->lock);
      op = g_steal_pointer (&p->operation);
      g_mutex_unlock (&self->lock);
      if (op != NULL && !eap_operation_return_error_if_cancelled (op))
        eap_operation_complete_error (op, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                       "The listener was stopped"));
      pending_unref (p);
    }

  /* Out of the epoll set now: close at once, so that the port is free
   * even when stopped from inside a callback of the watch (whose endpoint
   * goes after the callback). After a handoff from another thread, the
   * watch goes in its own context first and the endpoint closes it. */
  if (socket != NULL && poller != NULL)
    g_socket_close (socket, NULL);
  if (socket != NULL)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_ADDRESS]);
    }
}

static gboolean
stop_idle_cb (gpointer data)
{
  g_autoptr(EapTcpListener) self = g_weak_ref_get (data);

  if (self != NULL)
    stop_listening (self);
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* From any thread: stops the listener in its context later. Used when the
 * component is closed, which may happen in any thread. */
static void
schedule_stop (EapTcpListener *self)
{
  g_autoptr(GSource) source = NULL;
  GWeakRef *weak;

  g_mutex_lock (&self->lock);
  if (self->context != NULL && self->socket != NULL)
    {
      weak = g_new0 (GWeakRef, 1);
      g_weak_ref_init (weak, self);
      source = g_idle_source_new ();
      g_source_set_static_name (source, "[eap] EapTcpListener stop");
      g_source_set_callback (source, stop_idle_cb, weak, weak_ref_free);
      g_source_attach (source, self->context);
    }
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ */
/* Accepting                                                           */

static void
start_after_completed_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      data)
{
  g_autoptr(EapTcpClient) client = data;
  g_autoptr(EapCompletedArgs) args = NULL;

  /* completed::accept has been emitted: its handlers had their chance to
   * connect to the client's signals. */
  args = eap_operation_wait_finish (EAP_OPERATION (source), result, NULL);
  _eap_tcp_client_start (client);
}

/* Gives @client to @op: TRUE if the operation took it. */
static gboolean
give_to_operation (EapTcpListener *self,
                   EapOperation   *op,
                   EapTcpClient   *client)
{
  EapTcpAcceptCompletedArgs *args = accept_completed_args_new (client);

  if (!eap_operation_try_complete (op, EAP_COMPLETED_ARGS (args)))
    return FALSE;

  /* Reading starts once completed::accept has been emitted; the wait
   * callback runs in the thread-default context of this call: make that
   * the listener's. */
  g_main_context_push_thread_default (self->context);
  eap_operation_wait_async (op, NULL, start_after_completed_cb, g_object_ref (client));
  g_main_context_pop_thread_default (self->context);
  return TRUE;
}

/* Gives @peer (transfer none) to the oldest blocking accept at the head of
 * the queue, if any: TRUE if one took it. */
static gboolean
give_to_blocking_locked (EapTcpListener *self,
                         GSocket        *peer)
{
  Pending *p;

  while ((p = g_queue_peek_head (&self->pending)) != NULL &&
         p->kind == PENDING_BLOCKING)
    {
      g_queue_pop_head (&self->pending);
      if (!p->done)
        {
          p->done = TRUE;
          p->peer = g_object_ref (peer);
          g_cancellable_cancel (p->wake);
          pending_unref (p);
          return TRUE;
        }
      pending_unref (p);
    }
  return FALSE;
}

/* Takes the oldest pending operation out of the queue, if it is at the
 * head (transfer full). */
static EapOperation *
pop_operation_locked (EapTcpListener *self)
{
  Pending *p;
  EapOperation *op = NULL;

  while (op == NULL && (p = g_queue_peek_head (&self->pending)) != NULL &&
         p->kind == PENDING_OPERATION)
    {
      g_queue_pop_head (&self->pending);
      op = g_steal_pointer (&p->operation);
      pending_unref (p);
    }
  return op;
}

/* One accepted @peer (transfer none), in the listener's context: to the
 * oldest blocking accept or `accept` operation, else to client-accepted. */
static void
hand_over (EapTcpListener *self,
           GSocket        *peer)
{
  g_autoptr(EapTcpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean given;

  if (!reserve_client (self))
    {
      g_socket_close (peer, NULL);   /* the peer sees EOF at once */
      count_rejected (self);
      return;
    }

  g_mutex_lock (&self->lock);
  given = give_to_blocking_locked (self, peer);
  g_mutex_unlock (&self->lock);
  if (given)
    {
      /* The blocking caller makes, tracks and starts the client in its
       * own thread and context. */
      notify_in_context (self, properties[PROP_N_CLIENTS]);
      return;
    }

  client = _eap_tcp_client_new_accepted (peer, self->context,
                                         (EapTcpFraming) g_atomic_int_get (&self->framing),
                                         &error);
  if (client == NULL)
    {
      g_debug ("EapTcpListener: dropping a peer: %s", error->message);
      g_socket_close (peer, NULL);
      release_client (self);
      count_rejected (self);
      return;
    }
  track_client (self, client);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);

  for (;;)
    {
      g_autoptr(EapOperation) op = NULL;

      g_mutex_lock (&self->lock);
      op = pop_operation_locked (self);
      g_mutex_unlock (&self->lock);
      if (op == NULL)
        break;
      if (give_to_operation (self, op, client))
        return;
    }

  g_signal_emit (self, signals[CLIENT_ACCEPTED], 0, client);
  _eap_tcp_client_start (client);
}

static gboolean
resume_cb (gpointer data)
{
  Endpoint *ep = data;
  g_autoptr(EapTcpListener) self = g_weak_ref_get (&ep->listener);

  g_clear_pointer (&ep->resume_source, g_source_unref);
  if (self != NULL && self->endpoint == ep)
    eap_poller_modify (self->poller, self->watch_id, G_IO_IN);
  return G_SOURCE_REMOVE;
}

/* Out of descriptors: accepting again at once would spin (the peer stays
 * in the backlog, the socket stays readable). Pause the watch a while. */
static void
pause_accepting (EapTcpListener *self,
                 Endpoint       *ep,
                 const GError   *error)
{
  if (!self->emfile_logged)
    {
      self->emfile_logged = TRUE;
      g_warning ("EapTcpListener on port %u: cannot accept: %s; pausing "
                 "%d ms each time it happens (logged once)",
                 eap_tcp_listener_get_port (self), error->message, EMFILE_PAUSE_MS);
    }
  if (ep->resume_source != NULL)
    return;
  eap_poller_modify (self->poller, self->watch_id, 0);
  ep->resume_source = g_timeout_source_new (EMFILE_PAUSE_MS);
  g_source_set_static_name (ep->resume_source, "[eap] EapTcpListener resume");
  g_source_set_callback (ep->resume_source, resume_cb, ep, NULL);
  g_source_attach (ep->resume_source, self->context);
}

static void
listen_ready_cb (int          fd,
                 GIOCondition revents,
                 gpointer     user_data)
{
  Endpoint *ep = user_data;
  g_autoptr(EapTcpListener) self = g_weak_ref_get (&ep->listener);

  if (self == NULL || self->endpoint != ep)
    return;   /* the listener is going: its dispose removes the watch */

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      stop_listening (self);
      return;
    }

  for (guint i = 0; i < ACCEPT_BATCH && self->endpoint == ep; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) peer = NULL;

      peer = g_socket_accept (ep->socket, NULL, &error);
      if (peer == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
            {
              /* A peer that went away before it was accepted
               * (ECONNABORTED): try the next one. */
              continue;
            }
          /* Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS), or
           * anything unexpected: pause rather than spin. */
          pause_accepting (self, ep, error);
          break;
        }
      g_socket_set_blocking (peer, FALSE);
      hand_over (self, peer);
    }
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

typedef struct
{
  EapPoller *poller;   /* (owned) */
  guint      watch_id;
} Handoff;

static gboolean
handoff_remove_cb (gpointer data)
{
  Handoff *h = data;

  eap_poller_remove (h->poller, h->watch_id);
  eap_poller_unref (h->poller);
  g_free (h);
  return G_SOURCE_REMOVE;
}

static void
eap_tcp_listener_dispose (GObject *object)
{
  EapTcpListener *self = (EapTcpListener *) object;

  /* Closes the component: cancels the pending operations (each still
   * completes). */
  G_OBJECT_CLASS (eap_tcp_listener_parent_class)->dispose (object);

  if (self->poller == NULL)
    return;

  if (g_main_context_acquire (self->context))
    {
      stop_listening (self);
      g_main_context_release (self->context);
    }
  else
    {
      /* Last reference dropped in another thread: the watch is removed in
       * its own context; its endpoint only holds a weak reference. */
      Handoff *h = g_new0 (Handoff, 1);
      g_autoptr(GSource) source = g_idle_source_new ();

      h->poller = g_steal_pointer (&self->poller);
      h->watch_id = self->watch_id;
      self->watch_id = 0;
      self->endpoint = NULL;
      g_source_set_static_name (source, "[eap] EapTcpListener dispose");
      g_source_set_callback (source, handoff_remove_cb, h, NULL);
      g_source_attach (source, self->context);
      stop_listening (self);   /* fails what is still pending */
    }
}

static void
eap_tcp_listener_finalize (GObject *object)
{
  EapTcpListener *self = (EapTcpListener *) object;

  g_assert (self->poller == NULL);
  g_queue_clear_full (&self->pending, pending_unref);
  g_clear_object (&self->socket);
  g_clear_pointer (&self->context, g_main_context_unref);
  tracker_unref (self->tracker, NULL);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (eap_tcp_listener_parent_class)->finalize (object);
}

static void
eap_tcp_listener_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EapTcpListener *self = EAP_TCP_LISTENER (object);

  switch (prop_id)
    {
    case PROP_LISTENING:
      g_value_set_boolean (value, eap_tcp_listener_is_listening (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, eap_tcp_listener_get_port (self));
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_take_object (value, eap_tcp_listener_dup_local_address (self));
      break;
    case PROP_MAX_CLIENTS:
      g_value_set_uint (value, eap_tcp_listener_get_max_clients (self));
      break;
    case PROP_N_CLIENTS:
      g_value_set_uint (value, eap_tcp_listener_get_n_clients (self));
      break;
    case PROP_N_REJECTED:
      g_value_set_uint64 (value, eap_tcp_listener_get_n_rejected (self));
      break;
    case PROP_FRAMING:
      g_value_set_enum (value, eap_tcp_listener_get_framing (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_tcp_listener_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EapTcpListener *self = EAP_TCP_LISTENER (object);

  switch (prop_id)
    {
    case PROP_MAX_CLIENTS:
      eap_tcp_listener_set_max_clients (self, g_value_get_uint (value));
      break;
    case PROP_FRAMING:
      eap_tcp_listener_set_framing (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* eap_component_close(), from any thread: stop in the listener's context. */
static void
eap_tcp_listener_close_component (EapComponent *component)
{
  schedule_stop (EAP_TCP_LISTENER (component));
}

static void
eap_tcp_listener_class_init (EapTcpListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  EapComponentClass *component_class = EAP_COMPONENT_CLASS (klass);

  object_class->dispose = eap_tcp_listener_dispose;
  object_class->finalize = eap_tcp_listener_finalize;
  object_class->get_property = eap_tcp_listener_get_property;
  object_class->set_property = eap_tcp_listener_set_property;
  component_class->close = eap_tcp_listener_close_component;

  /**
   * EapTcpListener:listening:
   *
   * Whether the listener has a listening socket: `TRUE` from a successful
   * [method@Eap.TcpListener.listen] until [method@Eap.TcpListener.stop],
   * [method@Eap.Component.close] or disposal.
   *
   * Since: 0.1
   */
  properties[PROP_LISTENING] =
    g_param_spec_boolean ("listening", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpListener:port:
   *
   * The port the listener listens on, the one the system picked when 0
   * was asked; 0 when not listening.
   *
   * Since: 0.1
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL,
                       0, G_MAXUINT16, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpListener:local-address:
   *
   * The address the listening socket is bound to, or `NULL` when not
   * listening.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_ADDRESS] =
    g_param_spec_object ("local-address", NULL, NULL,
                         G_TYPE_SOCKET_ADDRESS,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpListener:max-clients:
   *
   * How many accepted clients may be connected at once; 0 means no limit.
   * A peer beyond it is closed as soon as it is accepted (it sees end of
   * file) and counted in [property@Eap.TcpListener:n-rejected]. Lowering
   * it never closes clients already accepted.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_CLIENTS] =
    g_param_spec_uint ("max-clients", NULL, NULL,
                       0, G_MAXINT, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpListener:n-clients:
   *
   * How many clients the listener accepted that have not emitted
   * [signal@Eap.TcpClient::disconnected] yet. Notified in the listener's
   * context.
   *
   * Since: 0.1
   */
  properties[PROP_N_CLIENTS] =
    g_param_spec_uint ("n-clients", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpListener:n-rejected:
   *
   * How many peers were closed at once because
   * [property@Eap.TcpListener:max-clients] was reached (or because no
   * client could be made for them: out of memory or descriptors).
   * Notified in the listener's context.
   *
   * Since: 0.1
   */
  properties[PROP_N_REJECTED] =
    g_param_spec_uint64 ("n-rejected", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapTcpListener:framing:
   *
   * The [property@Eap.TcpClient:framing] of the clients accepted from now
   * on.
   *
   * Since: 0.1
   */
  properties[PROP_FRAMING] =
    g_param_spec_enum ("framing", NULL, NULL,
                       EAP_TYPE_TCP_FRAMING, EAP_TCP_FRAMING_RAW,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EapTcpListener::client-accepted:
   * @self: the listener
   * @client: the accepted [class@Eap.TcpClient], connected
   *
   * Emitted in the listener's context for each accepted peer that no
   * pending `accept` operation took. The client starts reading when the
   * emission returns, so handlers connect to its signals here. The
   * connection keeps the client alive until its
   * [signal@Eap.TcpClient::disconnected]: a handler need not keep a
   * reference.
   *
   * Since: 0.1
   */
  signals[CLIENT_ACCEPTED] =
    g_signal_new ("client-accepted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, EAP_TYPE_TCP_CLIENT);
}

static void
eap_tcp_listener_init (EapTcpListener *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending);
  self->tracker = g_new0 (Tracker, 1);
  g_atomic_ref_count_init (&self->tracker->ref_count);
  g_weak_ref_init (&self->tracker->listener, self);
  self->framing = EAP_TCP_FRAMING_RAW;
}

/**
 * eap_tcp_listener_new:
 *
 * Creates a listener that does not listen yet: set its properties, connect
 * to [signal@Eap.TcpListener::client-accepted], then call
 * [method@Eap.TcpListener.listen].
 *
 * Returns: (transfer full): a new [class@Eap.TcpListener]
 *
 * Since: 0.1
 */
EapTcpListener *
eap_tcp_listener_new (void)
{
  return g_object_new (EAP_TYPE_TCP_LISTENER, NULL);
}

/* ------------------------------------------------------------------ */
/* Listening                                                           */

/* The address to bind for @address (NULL or "::": every interface, both
 * IPv4 and IPv6). A name is resolved, blocking. */
static GInetAddress *
resolve_bind_address (const char  *address,
                      guint16      port,
                      GError     **error)
{
  g_autoptr(GResolver) resolver = NULL;
  GList *addresses;
  GInetAddress *inet;

  if (address == NULL)
    return g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);

  inet = g_inet_address_new_from_string (address);
  if (inet != NULL)
    return inet;

  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, address, NULL, error);
  if (addresses == NULL)
    {
      g_prefix_error (error, "Cannot listen on %s:%u: ", address, port);
      return NULL;
    }
  inet = g_object_ref (addresses->data);
  g_resolver_free_addresses (addresses);
  return inet;
}

static GSocket *
open_listening_socket (GInetAddress  *inet,
                       gboolean       dual_stack,
                       guint16        port,
                       GError       **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bind_address = NULL;

  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  if (dual_stack && !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 0, error))
    return NULL;

  bind_address = g_inet_socket_address_new (inet, port);
  if (!g_socket_bind (socket, bind_address, TRUE, error))
    return NULL;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_listen (socket, error))
    return NULL;

  return g_steal_pointer (&socket);
}

/* Registers @socket in the poller of @context. */
static gboolean
watch_socket (EapTcpListener  *self,
              GMainContext    *context,
              GSocket         *socket,
              GError         **error)
{
  g_autoptr(EapPoller) poller = NULL;
  Endpoint *ep;
  guint watch_id;

  poller = eap_poller_ref_for_context (context, error);
  if (poller == NULL)
    return FALSE;

  ep = g_new0 (Endpoint, 1);
  g_weak_ref_init (&ep->listener, self);
  ep->socket = g_object_ref (socket);
  watch_id = eap_poller_add (poller, g_socket_get_fd (socket), G_IO_IN,
                             listen_ready_cb, ep, endpoint_free, error);
  if (watch_id == 0)
    {
      endpoint_free (ep);
      return FALSE;
    }

  self->poller = g_steal_pointer (&poller);
  self->watch_id = watch_id;
  self->endpoint = ep;
  return TRUE;
}

/**
 * eap_tcp_listener_listen:
 * @self: an [class@Eap.TcpListener]
 * @address: (nullable): the local address to listen on, such as
 *   `127.0.0.1` or `::1` (a name is resolved, blocking); `NULL` or `::`
 *   listens on every interface, IPv6 and IPv4 alike
 * @port: the port, or 0 to let the system pick a free one (read it with
 *   [method@Eap.TcpListener.get_port])
 * @error: return location for an error
 *
 * Binds a socket to @address and @port (with `SO_REUSEADDR`) and starts
 * accepting peers in the thread-default main context of the calling
 * thread, which becomes the listener's context: see
 * [class@Eap.TcpListener].
 *
 * Errors are GIO's, with a message naming the address and port: a port
 * in use is %G_IO_ERROR_ADDRESS_IN_USE; other failures are what GIO
 * makes of the system's error, a name that does not resolve a
 * [error@Gio.ResolverError]. A listener that listens already refuses with
 * %G_IO_ERROR_PENDING, a closed one with %G_IO_ERROR_CLOSED. A stopped
 * listener may listen again.
 *
 * Returns: `TRUE` if listening, `FALSE` with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_tcp_listener_listen (EapTcpListener  *self,
                         const char      *address,
                         guint16          port,
                         GError         **error)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocket) socket = NULL;
  gboolean any;
  guint16 listening_port;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Cannot listen: the EapTcpListener is closed");
      return FALSE;
    }
  listening_port = eap_tcp_listener_get_port (self);
  if (eap_tcp_listener_is_listening (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                   "Cannot listen on %s:%u: the EapTcpListener listens on port %u already",
                   address ? address : "::", port, listening_port);
      return FALSE;
    }

  any = address == NULL || g_str_equal (address, "::");
  inet = resolve_bind_address (address, port, error);
  if (inet == NULL)
    return FALSE;
  socket = open_listening_socket (inet, any, port, error);
  if (socket == NULL && address == NULL)
    {
      /* No IPv6 on this system: every IPv4 interface then. */
      g_clear_error (error);
      g_clear_object (&inet);
      inet = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
      socket = open_listening_socket (inet, FALSE, port, error);
    }
  if (socket == NULL)
    {
      g_autofree char *where = g_inet_address_to_string (inet);

      g_prefix_error (error, "Cannot listen on %s%s%s:%u: ",
                      g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ? "[" : "",
                      where,
                      g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ? "]" : "",
                      port);
      return FALSE;
    }

  context = g_main_context_ref_thread_default ();
  if (!watch_socket (self, context, socket, error))
    {
      g_socket_close (socket, NULL);
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref (context);
  self->socket = g_object_ref (socket);
  g_mutex_unlock (&self->lock);
  self->emfile_logged = FALSE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_ADDRESS]);
  return TRUE;
}

/**
 * eap_tcp_listener_stop:
 * @self: an [class@Eap.TcpListener]
 *
 * Stops listening: closes the listening socket, so new peers are refused
 * by the system. Clients accepted already stay connected. Every pending
 * `accept` operation completes with %G_IO_ERROR_CLOSED, and every blocking
 * [method@Eap.TcpListener.accept] returns that error. Does nothing when
 * not listening. Call it in the thread that owns the listener's context.
 *
 * Since: 0.1
 */
void
eap_tcp_listener_stop (EapTcpListener *self)
{
  g_return_if_fail (EAP_IS_TCP_LISTENER (self));

  stop_listening (self);
}

/**
 * eap_tcp_listener_is_listening:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets whether the listener listens: [property@Eap.TcpListener:listening].
 *
 * Returns: `TRUE` while listening
 *
 * Since: 0.1
 */
gboolean
eap_tcp_listener_is_listening (EapTcpListener *self)
{
  gboolean listening;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), FALSE);

  g_mutex_lock (&self->lock);
  listening = self->socket != NULL;
  g_mutex_unlock (&self->lock);
  return listening;
}

/**
 * eap_tcp_listener_dup_local_address:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets the address the listening socket is bound to:
 * [property@Eap.TcpListener:local-address].
 *
 * Returns: (transfer full) (nullable): the address, or `NULL` when not
 *   listening
 *
 * Since: 0.1
 */
GSocketAddress *
eap_tcp_listener_dup_local_address (EapTcpListener *self)
{
  g_autoptr(GSocket) socket = NULL;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->socket != NULL)
    socket = g_object_ref (self->socket);
  g_mutex_unlock (&self->lock);

  return socket != NULL ? g_socket_get_local_address (socket, NULL) : NULL;
}

/**
 * eap_tcp_listener_get_port:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets the port the listener listens on: [property@Eap.TcpListener:port].
 *
 * Returns: the port, the real one when 0 was asked; 0 when not listening
 *
 * Since: 0.1
 */
guint16
eap_tcp_listener_get_port (EapTcpListener *self)
{
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), 0);

  address = eap_tcp_listener_dup_local_address (self);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/**
 * eap_tcp_listener_get_max_clients:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets [property@Eap.TcpListener:max-clients].
 *
 * Returns: the limit, 0 for none
 *
 * Since: 0.1
 */
guint
eap_tcp_listener_get_max_clients (EapTcpListener *self)
{
  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), 0);

  return (guint) g_atomic_int_get (&self->max_clients);
}

/**
 * eap_tcp_listener_set_max_clients:
 * @self: an [class@Eap.TcpListener]
 * @max_clients: how many accepted clients may be connected at once, 0 for
 *   no limit
 *
 * Sets [property@Eap.TcpListener:max-clients].
 *
 * Since: 0.1
 */
void
eap_tcp_listener_set_max_clients (EapTcpListener *self,
                                  guint           max_clients)
{
  g_return_if_fail (EAP_IS_TCP_LISTENER (self));
  g_return_if_fail (max_clients <= G_MAXINT);

  if ((guint) g_atomic_int_get (&self->max_clients) == max_clients)
    return;
  g_atomic_int_set (&self->max_clients, (int) max_clients);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CLIENTS]);
}

/**
 * eap_tcp_listener_get_n_clients:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets [property@Eap.TcpListener:n-clients].
 *
 * Returns: how many accepted clients have not disconnected yet
 *
 * Since: 0.1
 */
guint
eap_tcp_listener_get_n_clients (EapTcpListener *self)
{
  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), 0);

  return (guint) g_atomic_int_get (&self->n_clients);
}

/**
 * eap_tcp_listener_get_n_rejected:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets [property@Eap.TcpListener:n-rejected].
 *
 * Returns: how many peers were closed at once
 *
 * Since: 0.1
 */
guint64
eap_tcp_listener_get_n_rejected (EapTcpListener *self)
{
  guint64 n;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_rejected;
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * eap_tcp_listener_get_framing:
 * @self: an [class@Eap.TcpListener]
 *
 * Gets [property@Eap.TcpListener:framing].
 *
 * Returns: the framing of the clients accepted from now on
 *
 * Since: 0.1
 */
EapTcpFraming
eap_tcp_listener_get_framing (EapTcpListener *self)
{
  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), EAP_TCP_FRAMING_RAW);

  return (EapTcpFraming) g_atomic_int_get (&self->framing);
}

/**
 * eap_tcp_listener_set_framing:
 * @self: an [class@Eap.TcpListener]
 * @framing: an [enum@Eap.TcpFraming]
 *
 * Sets [property@Eap.TcpListener:framing]; clients accepted already keep
 * theirs.
 *
 * Since: 0.1
 */
void
eap_tcp_listener_set_framing (EapTcpListener *self,
                              EapTcpFraming   framing)
{
  g_return_if_fail (EAP_IS_TCP_LISTENER (self));
  g_return_if_fail (framing == EAP_TCP_FRAMING_RAW || framing == EAP_TCP_FRAMING_LINES);

  if ((EapTcpFraming) g_atomic_int_get (&self->framing) == framing)
    return;
  g_atomic_int_set (&self->framing, (int) framing);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRAMING]);
}

/* ------------------------------------------------------------------ */
/* accept                                                              */

static Pending *
pending_new (EapTcpListener *self,
             PendingKind     kind)
{
  Pending *p = g_new0 (Pending, 1);

  g_atomic_ref_count_init (&p->ref_count);
  p->kind = kind;
  g_weak_ref_init (&p->listener, self);
  return p;
}

/* The operation's cancellable fired, in any thread: if the operation still
 * waits in the queue, it completes as cancelled. A close (which is not
 * notified) also stops the listener, in its context. */
static void
operation_cancelled_cb (GCancellable *cancellable,
                        gpointer      data)
{
  Pending *p = data;
  g_autoptr(EapTcpListener) self = g_weak_ref_get (&p->listener);
  g_autoptr(EapOperation) op = NULL;

  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  if (g_queue_remove (&self->pending, p))
    {
      op = g_steal_pointer (&p->operation);
      pending_unref (p);   /* the queue's */
    }
  g_mutex_unlock (&self->lock);

  if (op != NULL)
    eap_operation_return_error_if_cancelled (op);
  if (eap_component_is_closed (EAP_COMPONENT (self)))
    schedule_stop (self);
}

/**
 * eap_tcp_listener_accept_async:
 * @self: an [class@Eap.TcpListener]
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the operation was refused
 *
 * Starts the operation `accept`: the next peer goes to it instead of
 * [signal@Eap.TcpListener::client-accepted]. It completes with an
 * [class@Eap.TcpAcceptCompletedArgs] in the thread-default main context of
 * the calling thread; get the client with
 * [method@Eap.TcpAcceptCompletedArgs.get_client]. Several may be pending:
 * peers go to them oldest first. The client's own events are emitted in
 * the listener's context, and it starts reading once `completed::accept`
 * has been emitted.
 *
 * When the listener is not listening, or stops before a peer came, the
 * operation completes with %G_IO_ERROR_CLOSED; cancelling it (or closing
 * the listener) completes it as cancelled.
 *
 * The operation is refused, and nothing is emitted for it, when
 * @user_state is not `NULL` and already in flight on @self
 * (%G_IO_ERROR_INVALID_ARGUMENT), or when @self is closed
 * (%G_IO_ERROR_CLOSED).
 *
 * Returns: `TRUE` if the operation was accepted, `FALSE` with @error set if
 *   not
 *
 * Since: 0.1
 */
gboolean
eap_tcp_listener_accept_async (EapTcpListener  *self,
                               gpointer         user_state,
                               GError         **error)
{
  g_autoptr(EapOperation) op = NULL;
  Pending *p;
  gboolean listening;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  op = eap_component_begin_operation (EAP_COMPONENT (self), "accept", user_state, error);
  if (op == NULL)
    return FALSE;
  eap_operation_set_completed_args_type (op, EAP_TYPE_TCP_ACCEPT_COMPLETED_ARGS);

  p = pending_new (self, PENDING_OPERATION);
  p->operation = g_object_ref (op);

  g_mutex_lock (&self->lock);
  listening = self->socket != NULL;
  if (listening)
    g_queue_push_tail (&self->pending, pending_ref (p));
  g_mutex_unlock (&self->lock);

  if (!listening)
    {
      g_clear_object (&p->operation);
      pending_unref (p);
      eap_operation_complete_error (op, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                     "Cannot accept: the EapTcpListener "
                                                     "is not listening"));
      return TRUE;
    }

  /* Runs at once if already cancelled. The handler keeps @p. */
  g_cancellable_connect (eap_operation_get_cancellable (op),
                         G_CALLBACK (operation_cancelled_cb), p, pending_unref);
  return TRUE;
}

static void
wake_cb (GCancellable *cancellable,
         gpointer      data)
{
  g_cancellable_cancel (data);
}

/* Waits for a peer for a blocking accept: accepted by this thread, or
 * handed over by the listener's context. Returns the peer (transfer full)
 * and whether it is counted in n-clients already. */
static GSocket *
wait_for_peer (EapTcpListener  *self,
               GSocket         *socket,
               Pending         *p,
               GCancellable    *cancellable,
               GError         **error)
{
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      GSocket *peer = NULL;

      g_mutex_lock (&self->lock);
      if (!p->done && g_cancellable_is_cancelled (cancellable))
        pending_fail_locked (p, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             "Operation was cancelled"));
      if (!p->done)
        {
          /* Under the lock, so that the listener's context and this thread
           * never both take a peer for this caller. */
          peer = g_socket_accept (socket, NULL, &local_error);
          if (peer != NULL)
            {
              p->done = TRUE;
              if (g_queue_remove (&self->pending, p))
                pending_unref (p);
            }
        }
      if (p->done && peer == NULL)
        {
          peer = g_steal_pointer (&p->peer);
          if (peer == NULL)
            g_propagate_error (error, g_steal_pointer (&p->error));
          if (g_queue_remove (&self->pending, p))
            pending_unref (p);
          g_mutex_unlock (&self->lock);
          return peer;   /* counted by the listener already */
        }
      g_mutex_unlock (&self->lock);

      if (peer != NULL)
        {
          g_socket_set_blocking (peer, FALSE);
          if (reserve_client (self))
            return peer;
          g_socket_close (peer, NULL);
          g_object_unref (peer);
          count_rejected (self);
          g_mutex_lock (&self->lock);
          p->done = FALSE;   /* keep waiting: back in the queue */
          g_queue_push_tail (&self->pending, pending_ref (p));
          g_mutex_unlock (&self->lock);
          continue;
        }

      if (local_error != NULL &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        {
          g_mutex_lock (&self->lock);
          pending_fail_locked (p, g_steal_pointer (&local_error));
          g_mutex_unlock (&self->lock);
          continue;
        }

      /* Wakes when a peer waits, when the listener handed one over or
       * stopped (p->wake), or when @cancellable fires. */
      g_clear_error (&local_error);
      g_socket_condition_timed_wait (socket, G_IO_IN, -1, p->wake, NULL);
    }
}

/* For tests only (no header: tests declare it): how many blocking
 * accepts wait in the queue. Lets a test know a thread really waits. */
guint _eap_tcp_listener_get_n_blocking (EapTcpListener *self);

guint
_eap_tcp_listener_get_n_blocking (EapTcpListener *self)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    n += ((Pending *) l->data)->kind == PENDING_BLOCKING;
  g_mutex_unlock (&self->lock);
  return n;
}

/**
 * eap_tcp_listener_accept:
 * @self: an [class@Eap.TcpListener]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for an error
 *
 * Waits for the next peer, blocking the calling thread, and returns it as
 * a connected [class@Eap.TcpClient]: the blocking twin of
 * [method@Eap.TcpListener.accept_async]. It takes its turn with the
 * pending `accept` operations, before
 * [signal@Eap.TcpListener::client-accepted], and works whether or not the
 * listener's context is running, from any thread (including the one
 * that listens, for a plain blocking server). The client's events are
 * emitted in the thread-default main context of the calling thread.
 *
 * Fails with %G_IO_ERROR_CANCELLED when @cancellable is cancelled, with
 * %G_IO_ERROR_CLOSED when the listener is not listening, is stopped while
 * waiting or is closed.
 *
 * Returns: (transfer full): the client, or `NULL` with @error set
 *
 * Since: 0.1
 */
EapTcpClient *
eap_tcp_listener_accept (EapTcpListener  *self,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(EapTcpClient) client = NULL;
  Pending *p;
  gulong cancel_id = 0;

  g_return_val_if_fail (EAP_IS_TCP_LISTENER (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Cannot accept: the EapTcpListener is closed");
      return NULL;
    }

  p = pending_new (self, PENDING_BLOCKING);
  p->wake = g_cancellable_new ();

  g_mutex_lock (&self->lock);
  if (self->socket != NULL)
    {
      socket = g_object_ref (self->socket);
      g_queue_push_tail (&self->pending, pending_ref (p));
    }
  g_mutex_unlock (&self->lock);

  if (socket == NULL)
    {
      pending_unref (p);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Cannot accept: the EapTcpListener is not listening");
      return NULL;
    }

  if (cancellable != NULL)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (wake_cb),
                                       g_object_ref (p->wake), g_object_unref);
  peer = wait_for_peer (self, socket, p, cancellable, error);
  if (cancel_id != 0)
    g_cancellable_disconnect (cancellable, cancel_id);
  pending_unref (p);
  if (peer == NULL)
    return NULL;

  context = g_main_context_ref_thread_default ();
  client = _eap_tcp_client_new_accepted (peer, context, eap_tcp_listener_get_framing (self),
                                         error);
  if (client == NULL)
    {
      g_socket_close (peer, NULL);
      release_client (self);
      count_rejected (self);
      return NULL;
    }
  track_client (self, client);
  notify_in_context (self, properties[PROP_N_CLIENTS]);
  _eap_tcp_client_start (client);
  return g_steal_pointer (&client);
}
