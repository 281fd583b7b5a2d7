/* eap-component.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eap-completed-args.h"
#include "eap-component-private.h"
#include "eap-operation-private.h"
#include "eap-progress-args.h"

/**
 * EapComponent:
 *
 * The base class of every eap component: a GObject whose long operations
 * follow the event-based asynchronous pattern.
 *
 * A component offers operations named `…_async (self, …, user_state,
 * error)`. Each accepted operation later emits exactly one
 * [signal@Eap.Component::completed], with the operation's name as detail
 * (`completed::run-worker`), in the main context that was thread-default
 * in the thread that started it; before that it may emit
 * [signal@Eap.Component::progress-changed]. Any operation can be
 * cancelled by its user state with [method@Eap.Component.cancel_async].
 *
 * One component runs many operations at once. A non-`NULL` user state
 * names one of them: starting a second operation with a user state that
 * is in flight fails with %G_IO_ERROR_INVALID_ARGUMENT. `NULL` never
 * collides.
 *
 * [method@Eap.Component.close] cancels everything in flight; each
 * operation still emits its one `completed`, and new ones are refused with
 * %G_IO_ERROR_CLOSED. `g_object_run_dispose()` closes too, and each
 * operation still completes (its [method@Eap.Operation.wait_async],
 * [method@Eap.Operation.wait] and [method@Eap.Operation.is_completed] see
 * it), but GObject's dispose disconnects every signal handler, so those
 * `completed` signals reach nobody: close first to hear them.
 *
 * Writing a component: subclass it, and in each `…_async` call
 * [method@Eap.Component.begin_operation], start the work, and complete the
 * returned [class@Eap.Operation] from whatever thread the work ends in:
 *
 * ```c
 * gboolean
 * my_thing_frob_async (MyThing *self, gpointer user_state, GError **error)
 * {
 *   g_autoptr(EapOperation) op = NULL;
 *
 *   op = eap_component_begin_operation (EAP_COMPONENT (self), "frob",
 *                                       user_state, error);
 *   if (op == NULL)
 *     return FALSE;
 *
 *   start_frobbing (self, g_steal_pointer (&op));   // completes it later
 *   return TRUE;
 * }
 * ```
 *
 * Since: 0.1
 */

typedef struct
{
  GMutex      mutex;
  GHashTable *by_user_state;  /* (owned): user_state -> EapOperation (unowned) */
  GQueue      operations;     /* EapOperation (unowned), linked through op->link */
  int         n_operations;   /* atomic copy of operations.length, for is-busy */
  guint       progress_interval;
  gboolean    closed;
} EapComponentPrivate;

enum {
  PROP_0,
  PROP_IS_BUSY,
  PROP_PROGRESS_INTERVAL,
  PROP_CLOSED,
  N_PROPS
};

enum {
  COMPLETED,
  PROGRESS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static guint notify_signal_id;
static GQuark is_busy_quark;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (EapComponent, eap_component, G_TYPE_OBJECT)

static gboolean cancel_all (EapComponent *self,
                            gboolean      close);

static void
eap_component_dispose (GObject *object)
{
  EapComponent *self = EAP_COMPONENT (object);

  /* Not eap_component_close(): the subclass's close vfunc would run on an
   * object whose own dispose has already torn it down. */
  cancel_all (self, TRUE);

  G_OBJECT_CLASS (eap_component_parent_class)->dispose (object);
}

static void
eap_component_finalize (GObject *object)
{
  EapComponent *self = EAP_COMPONENT (object);
  EapComponentPrivate *priv = eap_component_get_instance_private (self);

  /* Every operation holds a reference until it is out of the table. */
  g_assert (priv->operations.length == 0);

  g_clear_pointer (&priv->by_user_state, g_hash_table_unref);
  g_mutex_clear (&priv->mutex);

  G_OBJECT_CLASS (eap_component_parent_class)->finalize (object);
}

static void
eap_component_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EapComponent *self = EAP_COMPONENT (object);

  switch (prop_id)
    {
    case PROP_IS_BUSY:
      g_value_set_boolean (value, eap_component_get_is_busy (self));
      break;

    case PROP_PROGRESS_INTERVAL:
      g_value_set_uint (value, eap_component_get_progress_interval (self));
      break;

    case PROP_CLOSED:
      g_value_set_boolean (value, eap_component_is_closed (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_component_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EapComponent *self = EAP_COMPONENT (object);

  switch (prop_id)
    {
    case PROP_PROGRESS_INTERVAL:
      eap_component_set_progress_interval (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_component_class_init (EapComponentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eap_component_dispose;
  object_class->finalize = eap_component_finalize;
  object_class->get_property = eap_component_get_property;
  object_class->set_property = eap_component_set_property;

  /**
   * EapComponent:is-busy:
   *
   * Whether any operation is in flight. It turns `TRUE` before the
   * operation's `…_async` returns, and `FALSE` just before the `completed`
   * of the last one, so it is already `FALSE` inside that handler, where a
   * new operation may start at once. Changes are notified in the context
   * of the operation that caused them.
   *
   * Since: 0.1
   */
  properties[PROP_IS_BUSY] =
    g_param_spec_boolean ("is-busy", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapComponent:progress-interval:
   *
   * The shortest time between two `progress-changed` emissions of one
   * operation, in milliseconds; 0 emits every report. However fast the
   * work reports, the main context sees at most one emission per interval,
   * with the newest values. A change applies to operations started after
   * it.
   *
   * Since: 0.1
   */
  properties[PROP_PROGRESS_INTERVAL] =
    g_param_spec_uint ("progress-interval", NULL, NULL,
                       0, G_MAXUINT / 1000, 50,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapComponent:closed:
   *
   * Whether [method@Eap.Component.close] has been called; from then on new
   * operations are refused with %G_IO_ERROR_CLOSED. Closing may happen in
   * any thread, so this property is not notified: the `completed` of each
   * operation it cancelled tells the story in the right context.
   *
   * Since: 0.1
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
  is_busy_quark = g_quark_from_static_string ("is-busy");

  /**
   * EapComponent::completed:
   * @self: the component
   * @args: how the operation ended: an [class@Eap.CompletedArgs], or the
   *   operation's subclass of it
   *
   * Emitted exactly once for every accepted operation: on success, on
   * error, on cancellation, and when the component is closed while the
   * operation runs. It is emitted in the main context that was
   * thread-default in the thread that started the operation, never inside
   * the `…_async` call, and after every `progress-changed` of that
   * operation. The detail is the operation's name: connect to
   * `completed::run-worker` for one operation, or to `completed` for all.
   *
   * Since: 0.1
   */
  signals[COMPLETED] =
    g_signal_new ("completed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  G_STRUCT_OFFSET (EapComponentClass, completed),
                  NULL, NULL,
                  g_cclosure_marshal_VOID__OBJECT,
                  G_TYPE_NONE, 1, EAP_TYPE_COMPLETED_ARGS);
  g_signal_set_va_marshaller (signals[COMPLETED],
                              G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__OBJECTv);

  /**
   * EapComponent::progress-changed:
   * @self: the component
   * @args: an [class@Eap.ProgressArgs], or the operation's subclass of it
   *
   * Emitted while an operation runs, in the same context as its
   * `completed`, at most once per [property@Eap.Component:progress-interval]
   * with the newest values. The detail is the operation's name.
   *
   * Since: 0.1
   */
  signals[PROGRESS_CHANGED] =
    g_signal_new ("progress-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  G_STRUCT_OFFSET (EapComponentClass, progress_changed),
                  NULL, NULL,
                  g_cclosure_marshal_VOID__OBJECT,
                  G_TYPE_NONE, 1, EAP_TYPE_PROGRESS_ARGS);
  g_signal_set_va_marshaller (signals[PROGRESS_CHANGED],
                              G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__OBJECTv);
}

static void
eap_component_init (EapComponent *self)
{
  EapComponentPrivate *priv = eap_component_get_instance_private (self);

  g_mutex_init (&priv->mutex);
  priv->by_user_state = g_hash_table_new (NULL, NULL);
  g_queue_init (&priv->operations);
  priv->progress_interval = 50;
}

/**
 * eap_component_get_is_busy:
 * @self: an [class@Eap.Component]
 *
 * Gets whether any operation is in flight.
 *
 * Returns: `TRUE` while an operation runs
 *
 * Since: 0.1
 */
gboolean
eap_component_get_is_busy (EapComponent *self)
{
  EapComponentPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPONENT (self), FALSE);

  priv = eap_component_get_instance_private (self);

  return g_atomic_int_get (&priv->n_operations) > 0;
}

/**
 * eap_component_get_n_operations:
 * @self: an [class@Eap.Component]
 *
 * Gets the number of operations in flight.
 *
 * Returns: the number of operations whose `completed` has not been emitted
 *
 * Since: 0.1
 */
guint
eap_component_get_n_operations (EapComponent *self)
{
  EapComponentPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPONENT (self), 0);

  priv = eap_component_get_instance_private (self);

  return (guint) g_atomic_int_get (&priv->n_operations);
}

/**
 * eap_component_get_progress_interval:
 * @self: an [class@Eap.Component]
 *
 * Gets [property@Eap.Component:progress-interval].
 *
 * Returns: the interval in milliseconds
 *
 * Since: 0.1
 */
guint
eap_component_get_progress_interval (EapComponent *self)
{
  EapComponentPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPONENT (self), 0);

  priv = eap_component_get_instance_private (self);

  return g_atomic_int_get (&priv->progress_interval);
}

/**
 * eap_component_set_progress_interval:
 * @self: an [class@Eap.Component]
 * @interval_ms: the interval in milliseconds; 0 emits every report
 *
 * Sets [property@Eap.Component:progress-interval].
 *
 * Since: 0.1
 */
void
eap_component_set_progress_interval (EapComponent *self,
                                     guint         interval_ms)
{
  EapComponentPrivate *priv;

  g_return_if_fail (EAP_IS_COMPONENT (self));
  g_return_if_fail (interval_ms <= G_MAXUINT / 1000);

  priv = eap_component_get_instance_private (self);

  if ((guint) g_atomic_int_get (&priv->progress_interval) == interval_ms)
    return;

  g_atomic_int_set (&priv->progress_interval, interval_ms);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS_INTERVAL]);
}

/**
 * eap_component_begin_operation:
 * @self: an [class@Eap.Component]
 * @name: the operation's name, the detail of its signals, such as
 *   `download-file`
 * @user_state: (type gsize): the caller's token for the operation; a
 *   non-`NULL` one must not be in flight already
 * @error: return location for a [struct@GLib.Error]
 *
 * Starts tracking an operation, for component implementations: called at
 * the top of every `…_async`. It captures the calling thread's
 * thread-default main context, where every signal of the operation will
 * be emitted, and makes the component busy.
 *
 * The refusals it reports are the synchronous ones of the pattern (R9):
 * %G_IO_ERROR_INVALID_ARGUMENT for a user state already in flight (R11),
 * %G_IO_ERROR_CLOSED once the component is closed (R50). Nothing is
 * emitted for a refused operation.
 *
 * The caller owns the returned operation and must complete it exactly
 * once, from any thread, with [method@Eap.Operation.complete]; until then
 * the operation keeps the component alive.
 *
 * Returns: (transfer full) (nullable): the new operation, or `NULL` with
 *   @error set
 *
 * Since: 0.1
 */
EapOperation *
eap_component_begin_operation (EapComponent  *self,
                               const char    *name,
                               gpointer       user_state,
                               GError       **error)
{
  EapComponentPrivate *priv;
  g_autoptr(GMainContext) context = NULL;
  EapOperation *op;
  gboolean was_idle;

  g_return_val_if_fail (EAP_IS_COMPONENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  priv = eap_component_get_instance_private (self);

  context = g_main_context_ref_thread_default ();

  g_mutex_lock (&priv->mutex);

  if (priv->closed)
    {
      g_mutex_unlock (&priv->mutex);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   _("Cannot start “%s”: the %s is closed"),
                   name, G_OBJECT_TYPE_NAME (self));
      return NULL;
    }

  if (user_state != NULL && g_hash_table_contains (priv->by_user_state, user_state))
    {
      g_mutex_unlock (&priv->mutex);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Cannot start “%s”: an operation with the same user state "
                     "is already running on this %s"),
                   name, G_OBJECT_TYPE_NAME (self));
      return NULL;
    }

  op = _eap_operation_new (self, context, name, user_state,
                           g_atomic_int_get (&priv->progress_interval));
  if (user_state != NULL)
    g_hash_table_insert (priv->by_user_state, user_state, op);
  g_queue_push_tail_link (&priv->operations, &op->link);
  op->registered = TRUE;
  g_atomic_int_set (&priv->n_operations, priv->operations.length);
  was_idle = priv->operations.length == 1;

  g_mutex_unlock (&priv->mutex);

  /* notify::is-busy belongs to the operation's context (R46): now if this
   * thread runs it, else on its next dispatch. */
  if (was_idle)
    {
      if (g_main_context_is_owner (context))
        _eap_component_notify_busy (self);
      else
        _eap_operation_notify_busy_soon (op);
    }

  return op;
}

/* Looks @user_state up and returns a new reference. The table holds no
 * reference of its own; an operation leaves it in dispose at the latest,
 * under the same mutex, so what is found here is still alive (a reference
 * taken during dispose revives it). */
static EapOperation *
lookup_operation (EapComponent *self,
                  gpointer      user_state)
{
  EapComponentPrivate *priv = eap_component_get_instance_private (self);
  EapOperation *op;

  g_mutex_lock (&priv->mutex);
  op = g_hash_table_lookup (priv->by_user_state, user_state);
  if (op != NULL)
    g_object_ref (op);
  g_mutex_unlock (&priv->mutex);

  return op;
}

/**
 * eap_component_dup_operation:
 * @self: an [class@Eap.Component]
 * @user_state: (type gsize): the user state an operation was started with
 *
 * Finds an operation in flight by its user state, to poll it, wait for it
 * or await it GIO-style (see [class@Eap.Operation]).
 *
 * Returns: (transfer full) (nullable): the operation, or `NULL` if none
 *   with @user_state is in flight
 *
 * Since: 0.1
 */
EapOperation *
eap_component_dup_operation (EapComponent *self,
                             gpointer      user_state)
{
  g_return_val_if_fail (EAP_IS_COMPONENT (self), NULL);

  if (user_state == NULL)
    return NULL;

  return lookup_operation (self, user_state);
}

/**
 * eap_component_cancel_async:
 * @self: an [class@Eap.Component]
 * @user_state: (type gsize): the user state of the operation to cancel
 *
 * Cancels the operation started with @user_state, as .NET's
 * `CancelAsync(userState)` does. Safe from any thread and from inside any
 * handler; it never blocks and never emits anything before it returns.
 * The operation then completes, on a later dispatch of its context, with
 * `cancelled` set, unless it had finished already. An unknown user state
 * is ignored.
 *
 * Since: 0.1
 */
void
eap_component_cancel_async (EapComponent *self,
                            gpointer      user_state)
{
  g_autoptr(EapOperation) op = NULL;

  g_return_if_fail (EAP_IS_COMPONENT (self));

  if (user_state == NULL)
    return;

  op = lookup_operation (self, user_state);
  if (op != NULL)
    eap_operation_cancel (op);
}

/* Cancels every operation in flight; the mutex is not held while the
 * cancellables run their handlers, which may start operations. */
/* Returns TRUE if this call closed the component (it was open). */
static gboolean
cancel_all (EapComponent *self,
            gboolean      close)
{
  EapComponentPrivate *priv = eap_component_get_instance_private (self);
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean closed_now = FALSE;

  g_mutex_lock (&priv->mutex);
  if (close && !priv->closed)
    {
      priv->closed = TRUE;
      closed_now = TRUE;
    }
  for (GList *l = priv->operations.head; l != NULL; l = l->next)
    g_ptr_array_add (ops, g_object_ref (l->data));
  g_mutex_unlock (&priv->mutex);

  for (guint i = 0; i < ops->len; i++)
    eap_operation_cancel (g_ptr_array_index (ops, i));

  return closed_now;
}

/**
 * eap_component_cancel_all:
 * @self: an [class@Eap.Component]
 *
 * Cancels every operation in flight. Each still completes, on a later
 * dispatch of its own context.
 *
 * Since: 0.1
 */
void
eap_component_cancel_all (EapComponent *self)
{
  g_return_if_fail (EAP_IS_COMPONENT (self));

  cancel_all (self, FALSE);
}

/**
 * eap_component_close:
 * @self: an [class@Eap.Component]
 *
 * Closes the component: cancels every operation in flight and refuses new
 * ones with %G_IO_ERROR_CLOSED. Each operation in flight still emits its
 * one `completed`, with `cancelled` set unless it had finished already.
 * Then the component ends what is not an operation (a connection, a
 * listening socket: see [vfunc@Eap.Component.close]). Disposing the
 * component closes it. Closing twice does nothing more.
 *
 * Since: 0.1
 */
void
eap_component_close (EapComponent *self)
{
  g_return_if_fail (EAP_IS_COMPONENT (self));

  if (cancel_all (self, TRUE) && EAP_COMPONENT_GET_CLASS (self)->close != NULL)
    EAP_COMPONENT_GET_CLASS (self)->close (self);
}

/**
 * eap_component_is_closed:
 * @self: an [class@Eap.Component]
 *
 * Gets whether [method@Eap.Component.close] has been called.
 *
 * Returns: `TRUE` once the component is closed
 *
 * Since: 0.1
 */
gboolean
eap_component_is_closed (EapComponent *self)
{
  EapComponentPrivate *priv;
  gboolean closed;

  g_return_val_if_fail (EAP_IS_COMPONENT (self), TRUE);

  priv = eap_component_get_instance_private (self);

  g_mutex_lock (&priv->mutex);
  closed = priv->closed;
  g_mutex_unlock (&priv->mutex);

  return closed;
}

/* g_signal_has_handler_pending() matches the detail exactly: a handler
 * connected to plain "completed" is not found by a query for
 * "completed::frob", though emission would run it. Ask for both. */
static gboolean
has_handler (EapComponent *self,
             guint         signal_id,
             GQuark        detail)
{
  return g_signal_has_handler_pending (self, signal_id, detail, FALSE) ||
         g_signal_has_handler_pending (self, signal_id, 0, FALSE);
}

gboolean
_eap_component_remove_operation (EapComponent *self,
                                 EapOperation *op)
{
  EapComponentPrivate *priv = eap_component_get_instance_private (self);
  gboolean now_idle = FALSE;

  g_mutex_lock (&priv->mutex);
  if (op->registered)
    {
      if (op->user_state != NULL &&
          g_hash_table_lookup (priv->by_user_state, op->user_state) == op)
        g_hash_table_remove (priv->by_user_state, op->user_state);
      g_queue_unlink (&priv->operations, &op->link);
      op->registered = FALSE;
      g_atomic_int_set (&priv->n_operations, priv->operations.length);
      now_idle = priv->operations.length == 0;
    }
  g_mutex_unlock (&priv->mutex);

  return now_idle;
}

void
_eap_component_notify_busy (EapComponent *self)
{
  /* Two notifications per operation cost more than the rest of a trivial
   * operation's round trip together; skip them when nobody listens. */
  if (has_handler (self, notify_signal_id, is_busy_quark))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_BUSY]);
}

static gboolean
notify_busy_cb (gpointer data)
{
  _eap_component_notify_busy (data);
  return G_SOURCE_REMOVE;
}

void
_eap_component_notify_busy_in (EapComponent *self,
                               GMainContext *context)
{
  GSource *source;

  if (g_main_context_is_owner (context))
    {
      _eap_component_notify_busy (self);
      return;
    }

  /* Not g_main_context_invoke(): it may run the function right here, in a
   * thread that merely could acquire the context (R41). */
  source = g_idle_source_new ();
  g_source_set_static_name (source, "[eap] notify is-busy");
  g_source_set_callback (source, notify_busy_cb, g_object_ref (self), g_object_unref);
  g_source_attach (source, context);
  g_source_unref (source);
}

gboolean
_eap_component_has_completed_handler (EapComponent *self,
                                      GQuark        detail)
{
  return EAP_COMPONENT_GET_CLASS (self)->completed != NULL ||
         has_handler (self, signals[COMPLETED], detail);
}

gboolean
_eap_component_has_progress_handler (EapComponent *self,
                                     GQuark        detail)
{
  return EAP_COMPONENT_GET_CLASS (self)->progress_changed != NULL ||
         has_handler (self, signals[PROGRESS_CHANGED], detail);
}

void
_eap_component_emit_completed (EapComponent     *self,
                               GQuark            detail,
                               EapCompletedArgs *args)
{
  g_signal_emit (self, signals[COMPLETED], detail, args);
}

void
_eap_component_emit_progress (EapComponent    *self,
                              GQuark           detail,
                              EapProgressArgs *args)
{
  g_signal_emit (self, signals[PROGRESS_CHANGED], detail, args);
}
