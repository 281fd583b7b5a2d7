/* eap-operation.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "eap-completed-args-private.h"
#include "eap-component-private.h"
#include "eap-operation-private.h"
#include "eap-progress-args-private.h"

/**
 * EapOperation:
 *
 * One operation in flight: the `AsyncOperation` of .NET.
 *
 * A component creates one with [method@Eap.Component.begin_operation] for
 * every operation it accepts. The operation remembers the main context
 * that was thread-default in the thread that started it, and delivers
 * every `progress-changed` and the one `completed` signal there, however
 * many threads report to it.
 *
 * Component code reports from any thread:
 *
 * - [method@Eap.Operation.report_progress] as often as it likes: reports
 *   are coalesced, the newest wins, and at most one `progress-changed` is
 *   emitted per [property@Eap.Component:progress-interval];
 * - [method@Eap.Operation.complete] exactly once. Completion is claimed by
 *   one atomic transition, so a race between success, failure and
 *   cancellation has one winner; [method@Eap.Operation.try_complete] is
 *   the form for code that races on purpose.
 *
 * Users get the same object from [method@Eap.Component.dup_operation] to
 * use the operation in the other asynchronous styles: poll it with
 * [method@Eap.Operation.is_completed], block another thread on it with
 * [method@Eap.Operation.wait], or turn it into a GIO-style call with
 * [method@Eap.Operation.wait_async].
 *
 * Since: 0.1
 */

enum {
  STATE_PENDING,
  STATE_CLAIMED,
};

typedef struct
{
  GTask        *task;          /* (owned) */
  GCancellable *cancellable;   /* (owned) (nullable) */
  gulong        cancelled_id;
} Waiter;

G_DEFINE_FINAL_TYPE (EapOperation, eap_operation, G_TYPE_OBJECT)

static gboolean
op_source_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  return callback (user_data);
}

/* A source that only fires at its ready time: no prepare, no check, and no
 * poll fd, so an operation costs its context nothing while it waits. */
static GSourceFuncs op_source_funcs = {
  NULL, NULL, op_source_dispatch, NULL, NULL, NULL,
};

static gboolean op_dispatch_cb (gpointer data);

/* Makes sure the dispatch source fires at @ready_time at the latest. Only
 * one source is armed at a time: reports between two dispatches cost a
 * lock and two stores. */
static void
arm_locked (EapOperation *self,
            gint64        ready_time)
{
  if (self->source == NULL)
    {
      self->source = g_source_new (&op_source_funcs, sizeof (GSource));
      g_source_set_static_name (self->source, "[eap] operation");
      g_source_set_callback (self->source, op_dispatch_cb,
                             g_object_ref (self), g_object_unref);
      g_source_set_ready_time (self->source, ready_time);
      g_source_attach (self->source, self->context);
    }
  else if (ready_time < g_source_get_ready_time (self->source))
    {
      g_source_set_ready_time (self->source, ready_time);
    }
}

static void
waiter_free (Waiter *waiter)
{
  if (waiter->cancellable != NULL)
    g_cancellable_disconnect (waiter->cancellable, waiter->cancelled_id);
  g_clear_object (&waiter->cancellable);
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
release_waiters (GSList           *waiters,
                 EapCompletedArgs *args)
{
  for (GSList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;

      /* Disconnect first, so a late cancel cannot return the task twice. */
      if (waiter->cancellable != NULL)
        g_cancellable_disconnect (waiter->cancellable, waiter->cancelled_id);
      g_clear_object (&waiter->cancellable);
      g_task_return_pointer (waiter->task, g_object_ref (args), g_object_unref);
      waiter_free (waiter);
    }
  g_slist_free (waiters);
}

static void
emit_progress (EapOperation    *self,
               EapComponent    *component,
               EapProgressArgs *args,
               gint64           done,
               gint64           total)
{
  g_autoptr(EapProgressArgs) owned = args;

  if (!_eap_component_has_progress_handler (component, self->detail))
    return;

  if (owned == NULL)
    owned = eap_progress_args_new (done, total);

  _eap_progress_args_seal (owned, self->name, self->user_state, self->last_percentage);
  if (eap_progress_args_get_total (owned) >= 0)
    self->last_percentage = eap_progress_args_get_percentage (owned);

  _eap_component_emit_progress (component, self->detail, owned);
}

static void
emit_completed (EapOperation     *self,
                EapComponent     *component,
                EapCompletedArgs *args)
{
  const GError *error = eap_completed_args_get_error (args);
  gboolean observed;
  GSList *waiters;

  /* Bookkeeping first, so a handler sees is-busy already FALSE and may
   * start the same user_state again (R45, R52). */
  if (_eap_component_remove_operation (component, self))
    _eap_component_notify_busy (component);

  g_mutex_lock (&self->mutex);
  observed = self->observed || self->waiters != NULL;
  g_mutex_unlock (&self->mutex);

  /* Node's rule: an error nobody listens to must not vanish (R56). */
  if (error != NULL && !observed &&
      !_eap_component_has_completed_handler (component, self->detail))
    g_warning ("Operation “%s” of %s failed and nobody handles completed::%s: %s",
               self->name, G_OBJECT_TYPE_NAME (component), self->name, error->message);

  _eap_component_emit_completed (component, self->detail, args);

  g_mutex_lock (&self->mutex);
  self->emitted = TRUE;
  waiters = g_steal_pointer (&self->waiters);
  g_mutex_unlock (&self->mutex);

  release_waiters (waiters, args);
}

/* Runs in the operation's context, at most once per armed source. It
 * takes everything pending under the lock, then emits without it, in the
 * order the contract wants: is-busy, progress, completed (R17). */
static gboolean
op_dispatch_cb (gpointer data)
{
  EapOperation *self = data;
  g_autoptr(EapComponent) component = NULL;
  g_autoptr(EapCompletedArgs) completed = NULL;
  EapProgressArgs *progress_args = NULL;
  gboolean notify_busy;
  gboolean progress = FALSE;
  gint64 done = 0, total = -1;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&self->mutex);

  g_clear_pointer (&self->source, g_source_unref);
  notify_busy = self->notify_busy_pending;
  self->notify_busy_pending = FALSE;

  if (self->completed_args != NULL && !self->emitted)
    completed = g_object_ref (self->completed_args);

  if (self->progress_pending)
    {
      gint64 next = self->last_progress_time + self->progress_interval_us;

      /* The last report is flushed before completed, whatever the
       * interval (R35); otherwise wait for the interval (R34). */
      if (completed == NULL && self->progress_interval_us > 0 && now < next)
        {
          arm_locked (self, next);
        }
      else
        {
          progress = TRUE;
          progress_args = g_steal_pointer (&self->progress_args);
          done = self->progress_done;
          total = self->progress_total;
          self->progress_pending = FALSE;
          self->last_progress_time = now;
        }
    }

  if (self->component != NULL)
    component = g_object_ref (self->component);

  g_mutex_unlock (&self->mutex);

  if (component == NULL)
    {
      g_clear_object (&progress_args);
      return G_SOURCE_REMOVE;
    }

  if (notify_busy)
    _eap_component_notify_busy (component);

  if (progress)
    emit_progress (self, component, progress_args, done, total);

  if (completed != NULL)
    {
      emit_completed (self, component, completed);

      /* The operation's hold on its component ends here, in the
       * component's context (R48, R53). */
      g_mutex_lock (&self->mutex);
      g_clear_object (&self->component);
      g_mutex_unlock (&self->mutex);
    }

  return G_SOURCE_REMOVE;
}

static void
eap_operation_dispose (GObject *object)
{
  EapOperation *self = EAP_OPERATION (object);
  EapComponent *component;
  gboolean claimed;

  g_mutex_lock (&self->mutex);
  component = g_steal_pointer (&self->component);
  claimed = self->completed_args != NULL;
  g_mutex_unlock (&self->mutex);

  if (component != NULL)
    {
      /* AsyncOperation's finalizer check (R20): the implementation let
       * go of an operation it never completed. Free its slot anyway, so
       * the component does not stay busy for ever. */
      if (!claimed)
        g_critical ("Operation “%s” of %s was dropped without being completed; "
                    "this is a bug in the component",
                    self->name, G_OBJECT_TYPE_NAME (component));

      if (_eap_component_remove_operation (component, self))
        _eap_component_notify_busy_in (component, self->context);
      g_object_unref (component);
    }

  G_OBJECT_CLASS (eap_operation_parent_class)->dispose (object);
}

static void
eap_operation_finalize (GObject *object)
{
  EapOperation *self = EAP_OPERATION (object);

  /* A source destroyed with its context, never dispatched. */
  g_clear_pointer (&self->source, g_source_unref);
  g_assert (self->waiters == NULL);

  if (self->timeout_source != NULL)
    {
      g_source_destroy (self->timeout_source);
      g_source_unref (self->timeout_source);
    }
  g_clear_object (&self->completed_args);
  g_clear_object (&self->progress_args);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (eap_operation_parent_class)->finalize (object);
}

static void
eap_operation_class_init (EapOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eap_operation_dispose;
  object_class->finalize = eap_operation_finalize;
}

static void
eap_operation_init (EapOperation *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->link.data = self;
  self->progress_total = -1;
}

EapOperation *
_eap_operation_new (EapComponent *component,
                    GMainContext *context,
                    const char   *name,
                    gpointer      user_state,
                    guint         progress_interval_ms)
{
  EapOperation *self = g_object_new (EAP_TYPE_OPERATION, NULL);

  self->component = g_object_ref (component);
  self->context = g_main_context_ref (context);
  self->detail = g_quark_from_string (name);
  self->name = g_quark_to_string (self->detail);
  self->args_type = EAP_TYPE_COMPLETED_ARGS;
  self->user_state = user_state;
  self->progress_interval_us = progress_interval_ms * G_TIME_SPAN_MILLISECOND;
  self->last_progress_time = G_MININT64 / 2;

  return self;
}

void
_eap_operation_notify_busy_soon (EapOperation *self)
{
  g_mutex_lock (&self->mutex);
  self->notify_busy_pending = TRUE;
  arm_locked (self, 0);
  g_mutex_unlock (&self->mutex);
}

/**
 * eap_operation_get_name:
 * @self: an [class@Eap.Operation]
 *
 * Gets the operation's name, the detail of its signals.
 *
 * Returns: (transfer none): the name, such as `run-worker`
 *
 * Since: 0.1
 */
const char *
eap_operation_get_name (EapOperation *self)
{
  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);

  return self->name;
}

/**
 * eap_operation_get_user_state:
 * @self: an [class@Eap.Operation]
 *
 * Gets the `user_state` the operation was started with.
 *
 * Returns: (type gsize): the user state pointer (for bindings, an integer)
 *
 * Since: 0.1
 */
gpointer
eap_operation_get_user_state (EapOperation *self)
{
  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);

  return self->user_state;
}

/**
 * eap_operation_get_cancellable:
 * @self: an [class@Eap.Operation]
 *
 * Gets the operation's own cancellable. Component code passes it to every
 * blocking or asynchronous call it makes for the operation, so that
 * cancelling stops the I/O (R28).
 *
 * Returns: (transfer none): the [class@Gio.Cancellable]
 *
 * Since: 0.1
 */
GCancellable *
eap_operation_get_cancellable (EapOperation *self)
{
  GCancellable *cancellable;

  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);

  /* Made on first use: an operation that finishes without I/O never pays
   * for one. Nobody can be connected to a new one yet, so cancelling it
   * under the lock runs no foreign code. */
  g_mutex_lock (&self->mutex);
  if (self->cancellable == NULL)
    {
      self->cancellable = g_cancellable_new ();
      if (g_atomic_int_get (&self->cancelled))
        g_cancellable_cancel (self->cancellable);
    }
  cancellable = self->cancellable;
  g_mutex_unlock (&self->mutex);

  return cancellable;
}

/**
 * eap_operation_get_context:
 * @self: an [class@Eap.Operation]
 *
 * Gets the main context the operation delivers its signals in: the one
 * that was thread-default when it started.
 *
 * Returns: (transfer none): the [struct@GLib.MainContext]
 *
 * Since: 0.1
 */
GMainContext *
eap_operation_get_context (EapOperation *self)
{
  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);

  return self->context;
}

/**
 * eap_operation_dup_component:
 * @self: an [class@Eap.Operation]
 *
 * Gets the component that runs the operation. The operation lets go of
 * its component once `completed` has been emitted.
 *
 * Returns: (transfer full) (nullable): the component, or `NULL` after
 *   completion
 *
 * Since: 0.1
 */
EapComponent *
eap_operation_dup_component (EapOperation *self)
{
  EapComponent *component = NULL;

  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);

  g_mutex_lock (&self->mutex);
  if (self->component != NULL)
    component = g_object_ref (self->component);
  g_mutex_unlock (&self->mutex);

  return component;
}

/**
 * eap_operation_cancel:
 * @self: an [class@Eap.Operation]
 *
 * Cancels the operation, as [method@Eap.Component.cancel_async] does with
 * its user state. Never blocks and never emits anything before it
 * returns; cancelling a finished operation does nothing.
 *
 * Since: 0.1
 */
void
eap_operation_cancel (EapOperation *self)
{
  g_autoptr(GCancellable) cancellable = NULL;

  g_return_if_fail (EAP_IS_OPERATION (self));

  g_mutex_lock (&self->mutex);
  g_atomic_int_set (&self->cancelled, TRUE);
  if (self->cancellable != NULL)
    cancellable = g_object_ref (self->cancellable);
  g_mutex_unlock (&self->mutex);

  /* Outside the lock: the cancellable's handlers are the component's. */
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
}

/**
 * eap_operation_is_completed:
 * @self: an [class@Eap.Operation]
 *
 * Polls the operation, as `IAsyncResult.IsCompleted` does. It becomes
 * `TRUE` as soon as the outcome is known, which may be before `completed`
 * has been emitted in the operation's context.
 *
 * Returns: `TRUE` once the operation has finished
 *
 * Since: 0.1
 */
gboolean
eap_operation_is_completed (EapOperation *self)
{
  gboolean completed;

  g_return_val_if_fail (EAP_IS_OPERATION (self), FALSE);

  g_mutex_lock (&self->mutex);
  completed = self->completed_args != NULL;
  g_mutex_unlock (&self->mutex);

  return completed;
}

/**
 * eap_operation_dup_completed_args:
 * @self: an [class@Eap.Operation]
 *
 * Gets the outcome, once the operation has finished: the same object the
 * `completed` signal carries.
 *
 * Returns: (transfer full) (nullable): the completed args, or `NULL`
 *   while the operation is still running
 *
 * Since: 0.1
 */
EapCompletedArgs *
eap_operation_dup_completed_args (EapOperation *self)
{
  EapCompletedArgs *args = NULL;

  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);

  g_mutex_lock (&self->mutex);
  self->observed = TRUE;
  if (self->completed_args != NULL)
    args = g_object_ref (self->completed_args);
  g_mutex_unlock (&self->mutex);

  return args;
}

static void
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  EapOperation *self = data;

  g_mutex_lock (&self->mutex);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/**
 * eap_operation_wait:
 * @self: an [class@Eap.Operation]
 * @cancellable: (nullable): a [class@Gio.Cancellable] that stops the wait
 *   (not the operation)
 * @error: return location for a [struct@GLib.Error]
 *
 * Blocks the calling thread until the operation has finished, as
 * `AsyncWaitHandle.WaitOne` and APM's `EndX` do, and reports its outcome
 * like [method@Eap.CompletedArgs.propagate_error].
 *
 * Call it from another thread than the one that runs the operation's main
 * context: there it could wait for ever for an operation that needs the
 * context to make progress, so it fails at once with
 * %G_IO_ERROR_WOULD_BLOCK instead, and never iterates the context (R60).
 *
 * Returns: `TRUE` if the operation succeeded; `FALSE` with @error set if
 *   it failed, was cancelled, or the wait could not happen
 *
 * Since: 0.1
 */
gboolean
eap_operation_wait (EapOperation  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(EapCompletedArgs) args = NULL;
  gulong cancelled_id = 0;

  g_return_val_if_fail (EAP_IS_OPERATION (self), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_main_context_is_owner (self->context) && !eap_operation_is_completed (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                   _("Waiting for operation “%s” in the thread that runs its main "
                     "context would never end"),
                   self->name);
      return FALSE;
    }

  if (cancellable != NULL)
    cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled_cb),
                                          self, NULL);

  g_mutex_lock (&self->mutex);
  self->observed = TRUE;
  self->n_blocked++;
  while (self->completed_args == NULL &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->mutex);
  self->n_blocked--;
  if (self->completed_args != NULL)
    args = g_object_ref (self->completed_args);
  g_mutex_unlock (&self->mutex);

  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, cancelled_id);

  if (args == NULL)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);

  return eap_completed_args_propagate_error (args, error);
}

static void
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  GTask *task = data;
  EapOperation *self = g_task_get_source_object (task);
  Waiter *found = NULL;

  g_mutex_lock (&self->mutex);
  for (GSList *l = self->waiters; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;

      if (waiter->task == task)
        {
          found = waiter;
          self->waiters = g_slist_delete_link (self->waiters, l);
          break;
        }
    }
  g_mutex_unlock (&self->mutex);

  /* Not found: the operation completed first and returns the task. */
  if (found != NULL)
    {
      GTask *owned = g_steal_pointer (&found->task);

      /* g_cancellable_disconnect() would deadlock inside its own handler;
       * a plain signal disconnect is what it does, minus the wait. */
      g_signal_handler_disconnect (found->cancellable, found->cancelled_id);
      g_clear_object (&found->cancellable);
      waiter_free (found);
      g_task_return_error_if_cancelled (owned);
      g_object_unref (owned);
    }
}

/**
 * eap_operation_wait_async:
 * @self: an [class@Eap.Operation]
 * @cancellable: (nullable): a [class@Gio.Cancellable] that stops the wait
 *   (not the operation)
 * @callback: (scope async): called once, after `completed` has been
 *   emitted, in the thread-default main context of the caller
 * @user_data: data passed to @callback
 *
 * Waits for the operation in GIO's style, the bridge from the event-based
 * pattern to `_async`/`_finish` code (R8). Finish it with
 * [method@Eap.Operation.wait_finish].
 *
 * Since: 0.1
 */
void
eap_operation_wait_async (EapOperation        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(EapCompletedArgs) args = NULL;
  Waiter *waiter;

  g_return_if_fail (EAP_IS_OPERATION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, eap_operation_wait_async);
  g_task_set_name (task, "[eap] EapOperation.wait");

  waiter = g_new0 (Waiter, 1);
  waiter->task = g_object_ref (task);

  /* Connected before the waiter is listed: a cancellable that is already
   * cancelled runs the handler now, finds nothing, and is caught below. */
  if (cancellable != NULL)
    {
      waiter->cancellable = g_object_ref (cancellable);
      waiter->cancelled_id = g_cancellable_connect (cancellable,
                                                    G_CALLBACK (waiter_cancelled_cb),
                                                    task, NULL);
    }

  g_mutex_lock (&self->mutex);
  self->observed = TRUE;
  if (self->emitted)
    args = g_object_ref (self->completed_args);
  else if (!g_cancellable_is_cancelled (cancellable))
    self->waiters = g_slist_prepend (self->waiters, g_steal_pointer (&waiter));
  g_mutex_unlock (&self->mutex);

  if (waiter == NULL)
    return;

  waiter_free (waiter);

  /* GTask delivers on a later dispatch even now (R13). */
  if (args != NULL)
    g_task_return_pointer (task, g_steal_pointer (&args), g_object_unref);
  else
    g_task_return_error_if_cancelled (task);
}

/**
 * eap_operation_wait_finish:
 * @self: an [class@Eap.Operation]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Eap.Operation.wait_async].
 *
 * Returns: (transfer full) (nullable): the completed args of a successful
 *   operation, or `NULL` with @error set if it failed, was cancelled, or
 *   the wait was cancelled
 *
 * Since: 0.1
 */
EapCompletedArgs *
eap_operation_wait_finish (EapOperation  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_autoptr(EapCompletedArgs) args = NULL;

  g_return_val_if_fail (EAP_IS_OPERATION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  args = g_task_propagate_pointer (G_TASK (result), error);
  if (args == NULL || !eap_completed_args_propagate_error (args, error))
    return NULL;

  return g_steal_pointer (&args);
}

static gboolean
timeout_cb (gpointer data)
{
  EapOperation *self = data;

  g_atomic_int_set (&self->timed_out, TRUE);
  eap_operation_cancel (self);

  return G_SOURCE_REMOVE;
}

/**
 * eap_operation_set_timeout:
 * @self: an [class@Eap.Operation]
 * @timeout_ms: the time limit in milliseconds, counted from now; 0 removes
 *   the limit
 *
 * Gives the operation a time limit. When it passes, the operation's
 * cancellable is cancelled, and the cancellation its code then reports is
 * turned into %G_IO_ERROR_TIMED_OUT with `cancelled` `FALSE` (R19).
 *
 * Since: 0.1
 */
void
eap_operation_set_timeout (EapOperation *self,
                           guint         timeout_ms)
{
  GSource *old;
  GSource *source = NULL;

  g_return_if_fail (EAP_IS_OPERATION (self));

  if (timeout_ms > 0)
    {
      source = g_timeout_source_new (timeout_ms);
      g_source_set_static_name (source, "[eap] operation timeout");
      g_source_set_callback (source, timeout_cb, g_object_ref (self), g_object_unref);
    }

  g_mutex_lock (&self->mutex);
  old = g_steal_pointer (&self->timeout_source);
  if (self->completed_args == NULL && source != NULL)
    {
      self->timeout_source = g_source_ref (source);
      self->timeout_ms = timeout_ms;
      g_source_attach (source, self->context);
    }
  g_mutex_unlock (&self->mutex);

  if (old != NULL)
    {
      g_source_destroy (old);
      g_source_unref (old);
    }
  /* Unattached when the operation had completed: unref drops it. */
  g_clear_pointer (&source, g_source_unref);
}

static void
store_progress (EapOperation    *self,
                EapProgressArgs *args,
                gint64           done,
                gint64           total)
{
  g_mutex_lock (&self->mutex);

  if G_UNLIKELY (self->completed_args != NULL)
    {
      g_mutex_unlock (&self->mutex);
      g_clear_object (&args);
      /* AsyncOperation's rule (R18): nothing after completion. */
      g_critical ("Progress reported for operation “%s” after it completed; ignored",
                  self->name);
      return;
    }

  g_clear_object (&self->progress_args);
  self->progress_args = args;
  self->progress_done = done;
  self->progress_total = total;
  self->progress_pending = TRUE;

  if (self->source == NULL)
    arm_locked (self, MAX (g_get_monotonic_time (),
                           self->last_progress_time + self->progress_interval_us));

  g_mutex_unlock (&self->mutex);
}

/**
 * eap_operation_report_progress:
 * @self: an [class@Eap.Operation]
 * @done: units of work done so far
 * @total: units of work in all, or -1 when unknown
 *
 * Reports progress, from any thread, at any rate. Reports are coalesced:
 * the newest values win, and `progress-changed` is emitted at most once
 * per [property@Eap.Component:progress-interval], in the operation's
 * context. The last report before completion is always emitted, just
 * before `completed`.
 *
 * A report that finds one already waiting costs a lock and two stores.
 * Reporting after [method@Eap.Operation.complete] is a programming error.
 *
 * Since: 0.1
 */
void
eap_operation_report_progress (EapOperation *self,
                               gint64        done,
                               gint64        total)
{
  g_return_if_fail (EAP_IS_OPERATION (self));

  store_progress (self, NULL, MAX (done, 0), MAX (total, -1));
}

/**
 * eap_operation_report_progress_args:
 * @self: an [class@Eap.Operation]
 * @args: (transfer full): a progress report, usually of a subclass of
 *   [class@Eap.ProgressArgs] with fields of the component's own
 *
 * Like [method@Eap.Operation.report_progress], with a report the component
 * made itself. The operation fills in its name and user state.
 *
 * Since: 0.1
 */
void
eap_operation_report_progress_args (EapOperation    *self,
                                    EapProgressArgs *args)
{
  g_return_if_fail (EAP_IS_OPERATION (self));
  g_return_if_fail (EAP_IS_PROGRESS_ARGS (args));

  store_progress (self, args,
                  eap_progress_args_get_done (args),
                  eap_progress_args_get_total (args));
}

static EapCompletedArgs *
new_args (EapOperation *self,
          const GError *error)
{
  EapCompletedArgs *args = g_object_new (self->args_type, NULL);

  if (error != NULL)
    _eap_completed_args_set_error (args, error);

  return args;
}

/**
 * eap_operation_set_completed_args_type:
 * @self: an [class@Eap.Operation]
 * @args_type: a subclass of [class@Eap.CompletedArgs]
 *
 * Sets the type of the completed args that
 * [method@Eap.Operation.complete_error],
 * [method@Eap.Operation.return_error_if_cancelled] and a `NULL` @args
 * make, for operations whose handlers expect a subclass: they then get
 * that type on every path, with its result fields left at their defaults.
 * Call it right after [method@Eap.Component.begin_operation].
 *
 * Since: 0.1
 */
void
eap_operation_set_completed_args_type (EapOperation *self,
                                       GType         args_type)
{
  g_return_if_fail (EAP_IS_OPERATION (self));
  g_return_if_fail (g_type_is_a (args_type, EAP_TYPE_COMPLETED_ARGS));
  g_return_if_fail (!G_TYPE_IS_ABSTRACT (args_type));

  self->args_type = args_type;
}

/**
 * eap_operation_try_complete:
 * @self: an [class@Eap.Operation]
 * @args: (transfer full) (nullable): how the operation ended, usually of a
 *   subclass of [class@Eap.CompletedArgs] carrying the result; `NULL` for
 *   a plain success
 *
 * Claims the operation's one completion, from any thread. Exactly one
 * claim wins (R16); the winner's outcome is delivered by `completed` on a
 * later dispatch of the operation's context, never inside this call.
 *
 * An error of %G_IO_ERROR_CANCELLED in @args makes the outcome
 * "cancelled" (`cancelled` `TRUE`, `error` `NULL`), or "timed out" if the
 * operation's timeout caused it. A result or another error stands even if
 * a cancel came in meanwhile (R27).
 *
 * Returns: `TRUE` if this call completed the operation, `FALSE` (and @args
 *   is dropped) if it had completed already
 *
 * Since: 0.1
 */
gboolean
eap_operation_try_complete (EapOperation     *self,
                            EapCompletedArgs *args)
{
  GSource *timeout_source;

  g_return_val_if_fail (EAP_IS_OPERATION (self), FALSE);
  g_return_val_if_fail (args == NULL || EAP_IS_COMPLETED_ARGS (args), FALSE);

  if (!g_atomic_int_compare_and_exchange (&self->state, STATE_PENDING, STATE_CLAIMED))
    {
      g_clear_object (&args);
      return FALSE;
    }

  if (args == NULL)
    args = new_args (self, NULL);

  /* Nobody else can see @args yet, so sealing it needs no lock. */
  _eap_completed_args_seal (args, self->name, self->user_state,
                            g_atomic_int_get (&self->timed_out), self->timeout_ms);

  g_mutex_lock (&self->mutex);
  self->completed_args = args;
  timeout_source = g_steal_pointer (&self->timeout_source);
  arm_locked (self, 0);
  /* GLib's futex GCond makes a system call on every broadcast. */
  if (self->n_blocked > 0)
    g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (timeout_source != NULL)
    {
      g_source_destroy (timeout_source);
      g_source_unref (timeout_source);
    }

  return TRUE;
}

/**
 * eap_operation_complete:
 * @self: an [class@Eap.Operation]
 * @args: (transfer full) (nullable): how the operation ended; `NULL` for a
 *   plain success
 *
 * Completes the operation, from any thread, like
 * [method@Eap.Operation.try_complete]. Completing an operation twice is a
 * programming error: the second call logs a critical and is ignored (R18).
 *
 * Since: 0.1
 */
void
eap_operation_complete (EapOperation     *self,
                        EapCompletedArgs *args)
{
  g_return_if_fail (EAP_IS_OPERATION (self));
  g_return_if_fail (args == NULL || EAP_IS_COMPLETED_ARGS (args));

  if (!eap_operation_try_complete (self, args))
    g_critical ("Operation “%s” completed twice; the second completion is ignored",
                self->name);
}

/**
 * eap_operation_complete_error:
 * @self: an [class@Eap.Operation]
 * @error: (transfer full): why the operation failed
 *
 * Completes the operation with @error, in completed args of the type set
 * by [method@Eap.Operation.set_completed_args_type] (by default
 * [class@Eap.CompletedArgs] itself).
 *
 * Since: 0.1
 */
void
eap_operation_complete_error (EapOperation *self,
                              GError       *error)
{
  g_autoptr(GError) owned = error;

  g_return_if_fail (EAP_IS_OPERATION (self));
  g_return_if_fail (error != NULL);

  eap_operation_complete (self, new_args (self, owned));
}

/**
 * eap_operation_return_error_if_cancelled:
 * @self: an [class@Eap.Operation]
 *
 * Completes the operation as cancelled if it has been cancelled, as
 * `g_task_return_error_if_cancelled()` does. Checking costs an atomic
 * read, cheap enough for every turn of a work loop.
 *
 * Returns: `TRUE` if the operation was cancelled and is now completed
 *
 * Since: 0.1
 */
gboolean
eap_operation_return_error_if_cancelled (EapOperation *self)
{
  g_return_val_if_fail (EAP_IS_OPERATION (self), FALSE);

  if (!g_atomic_int_get (&self->cancelled))
    return FALSE;

  eap_operation_complete_error (self,
                                g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             _("The operation “%s” was cancelled"),
                                             self->name));
  return TRUE;
}
