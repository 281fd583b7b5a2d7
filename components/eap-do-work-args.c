/* eap-do-work-args.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-do-work-args.h"

#include "eap-background-worker-private.h"

#include <string.h>

/**
 * EapDoWorkArgs:
 *
 * What the work of one run of an [class@Eap.BackgroundWorker] gets: the
 * argument, the user state, cancellation, progress reporting, and the place
 * to put the result or the error.
 *
 * It is handed to the [callback@Eap.WorkFunc] and to the
 * [signal@Eap.BackgroundWorker::do-work] handlers, in the thread that runs
 * the work. Its methods are safe to call from any thread while the work
 * runs. Once the work has returned, the args are sealed: setting a result
 * or an error or reporting progress then is a programming error
 * (`g_critical()`), as posting to a finished .NET `AsyncOperation` is.
 *
 * Since: 0.1
 */
struct _EapDoWorkArgs
{
  GObject       parent_instance;

  GMutex        lock;          /* guards the fields below it */
  EapOperation *operation;     /* (owned) (nullable): NULL for the blocking twin and once sealed */
  GCancellable *cancellable;   /* (owned) */
  gpointer      user_state;    /* (unowned) */
  GValue        argument;      /* (owned): unset when the run has none */
  GValue        result;        /* (owned): unset until set_result() */
  GError       *error;         /* (owned) (nullable) */
  gboolean      sealed;
};

G_DEFINE_FINAL_TYPE (EapDoWorkArgs, eap_do_work_args, G_TYPE_OBJECT)

static void
eap_do_work_args_finalize (GObject *object)
{
  EapDoWorkArgs *self = (EapDoWorkArgs *) object;

  g_clear_object (&self->operation);
  g_clear_object (&self->cancellable);
  if (G_IS_VALUE (&self->argument))
    g_value_unset (&self->argument);
  if (G_IS_VALUE (&self->result))
    g_value_unset (&self->result);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (eap_do_work_args_parent_class)->finalize (object);
}

static void
eap_do_work_args_class_init (EapDoWorkArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eap_do_work_args_finalize;
}

static void
eap_do_work_args_init (EapDoWorkArgs *self)
{
  g_mutex_init (&self->lock);
}

EapDoWorkArgs *
_eap_do_work_args_new (EapOperation *operation,
                       GCancellable *cancellable,
                       gpointer      user_state,
                       const GValue *argument)
{
  EapDoWorkArgs *self;

  g_assert (operation == NULL || EAP_IS_OPERATION (operation));
  g_assert (G_IS_CANCELLABLE (cancellable));
  g_assert (argument == NULL || G_IS_VALUE (argument));

  self = g_object_new (EAP_TYPE_DO_WORK_ARGS, NULL);
  self->operation = operation != NULL ? g_object_ref (operation) : NULL;
  self->cancellable = g_object_ref (cancellable);
  self->user_state = user_state;
  if (argument != NULL)
    {
      g_value_init (&self->argument, G_VALUE_TYPE (argument));
      g_value_copy (argument, &self->argument);
    }

  return self;
}

GError *
_eap_do_work_args_finish (EapDoWorkArgs *self,
                          GValue        *result)
{
  g_autoptr(EapOperation) operation = NULL;
  GError *error;

  g_assert (EAP_IS_DO_WORK_ARGS (self));
  g_assert (result != NULL && !G_IS_VALUE (result));

  g_mutex_lock (&self->lock);
  g_assert (!self->sealed);
  self->sealed = TRUE;
  /* Dropped here so that args a handler keeps (a Python object, say) do
   * not keep the operation and its component alive. */
  operation = g_steal_pointer (&self->operation);
  error = g_steal_pointer (&self->error);
  if (G_IS_VALUE (&self->result))
    {
      *result = self->result;          /* a move: GValues are plain structs */
      memset (&self->result, 0, sizeof self->result);
    }
  g_mutex_unlock (&self->lock);

  return error;
}

/* Returns with the lock held, or FALSE (lock released, critical logged)
 * when the work has already returned. */
static gboolean
lock_unsealed (EapDoWorkArgs *self,
               const char    *what)
{
  g_mutex_lock (&self->lock);
  if (self->sealed)
    {
      g_mutex_unlock (&self->lock);
      g_critical ("EapDoWorkArgs: %s called after the work returned", what);
      return FALSE;
    }
  return TRUE;
}

/**
 * eap_do_work_args_get_argument:
 * @self: an [class@Eap.DoWorkArgs]
 *
 * Gets the argument given to [method@Eap.BackgroundWorker.run_worker_async]
 * (a copy made when the run started).
 *
 * Returns: (nullable) (transfer none): the argument, or `NULL` when the run
 *   was started without one
 *
 * Since: 0.1
 */
const GValue *
eap_do_work_args_get_argument (EapDoWorkArgs *self)
{
  g_return_val_if_fail (EAP_IS_DO_WORK_ARGS (self), NULL);

  /* Never written after construction: no lock needed. */
  return G_IS_VALUE (&self->argument) ? &self->argument : NULL;
}

/**
 * eap_do_work_args_get_user_state:
 * @self: an [class@Eap.DoWorkArgs]
 *
 * Gets the user state the run was started with. It is `NULL` for the
 * blocking [method@Eap.BackgroundWorker.run_worker].
 *
 * Returns: (type gsize): the user state (for bindings, an integer)
 *
 * Since: 0.1
 */
gpointer
eap_do_work_args_get_user_state (EapDoWorkArgs *self)
{
  g_return_val_if_fail (EAP_IS_DO_WORK_ARGS (self), NULL);

  return self->user_state;
}

/**
 * eap_do_work_args_get_cancellable:
 * @self: an [class@Eap.DoWorkArgs]
 *
 * Gets the cancellable of the run: the operation's own one for
 * [method@Eap.BackgroundWorker.run_worker_async], the caller's (or a private
 * one) for [method@Eap.BackgroundWorker.run_worker]. Pass it to the blocking
 * GIO calls the work makes, so that a cancel stops them.
 *
 * Returns: (transfer none): the cancellable; never `NULL`
 *
 * Since: 0.1
 */
GCancellable *
eap_do_work_args_get_cancellable (EapDoWorkArgs *self)
{
  g_return_val_if_fail (EAP_IS_DO_WORK_ARGS (self), NULL);

  return self->cancellable;
}

/**
 * eap_do_work_args_is_cancellation_pending:
 * @self: an [class@Eap.DoWorkArgs]
 *
 * Checks whether the run has been cancelled, as .NET's
 * `CancellationPending`. Work that loops should check it and return
 * without setting a result when it is %TRUE: the run then completes as
 * cancelled.
 *
 * Returns: %TRUE if a cancel was requested
 *
 * Since: 0.1
 */
gboolean
eap_do_work_args_is_cancellation_pending (EapDoWorkArgs *self)
{
  g_return_val_if_fail (EAP_IS_DO_WORK_ARGS (self), FALSE);

  return g_cancellable_is_cancelled (self->cancellable);
}

/**
 * eap_do_work_args_report_progress:
 * @self: an [class@Eap.DoWorkArgs]
 * @percentage: how far the work is, from 0 to 100; clamped to that range
 *
 * Reports progress as a percentage, as .NET's `ReportProgress`. It is the
 * same as [method@Eap.DoWorkArgs.report_progress_full] with @percentage out
 * of 100.
 *
 * Since: 0.1
 */
void
eap_do_work_args_report_progress (EapDoWorkArgs *self,
                                  int            percentage)
{
  g_return_if_fail (EAP_IS_DO_WORK_ARGS (self));

  eap_do_work_args_report_progress_full (self, CLAMP (percentage, 0, 100), 100);
}

/**
 * eap_do_work_args_report_progress_full:
 * @self: an [class@Eap.DoWorkArgs]
 * @done: units of work done
 * @total: units of work in all, or -1 when unknown
 *
 * Reports progress. It is cheap and may be called at any rate from any
 * thread: the worker emits
 * [signal@Eap.Component::progress-changed]`::run-worker` in the main
 * context of the thread that started the run, coalesced to at most one
 * emission per [property@Eap.Component:progress-interval].
 *
 * The blocking [method@Eap.BackgroundWorker.run_worker] has no operation
 * and emits nothing, so there the report is dropped.
 *
 * Since: 0.1
 */
void
eap_do_work_args_report_progress_full (EapDoWorkArgs *self,
                                       gint64         done,
                                       gint64         total)
{
  g_autoptr(EapOperation) operation = NULL;

  g_return_if_fail (EAP_IS_DO_WORK_ARGS (self));

  if (!lock_unsealed (self, "report_progress"))
    return;
  operation = self->operation != NULL ? g_object_ref (self->operation) : NULL;
  g_mutex_unlock (&self->lock);

  /* Outside the lock: the operation takes its own. */
  if (operation != NULL)
    eap_operation_report_progress (operation, done, total);
}

/**
 * eap_do_work_args_set_result:
 * @self: an [class@Eap.DoWorkArgs]
 * @result: (nullable): the result of the work, copied; `NULL` clears it
 *
 * Sets the result of the run, as .NET's `DoWorkEventArgs.Result`. A later
 * call replaces it. A run with a result completes successfully even if a
 * cancel arrived after the result was set.
 *
 * Since: 0.1
 */
void
eap_do_work_args_set_result (EapDoWorkArgs *self,
                             const GValue  *result)
{
  GValue old = G_VALUE_INIT;

  g_return_if_fail (EAP_IS_DO_WORK_ARGS (self));
  g_return_if_fail (result == NULL || G_IS_VALUE (result));

  if (!lock_unsealed (self, "set_result"))
    return;
  old = self->result;
  memset (&self->result, 0, sizeof self->result);
  if (result != NULL)
    {
      g_value_init (&self->result, G_VALUE_TYPE (result));
      g_value_copy (result, &self->result);
    }
  g_mutex_unlock (&self->lock);

  /* Outside the lock: unsetting may run a finalizer. */
  if (G_IS_VALUE (&old))
    g_value_unset (&old);
}

/**
 * eap_do_work_args_take_error:
 * @self: an [class@Eap.DoWorkArgs]
 * @error: (transfer full): the error the work failed with
 *
 * Fails the run with @error. A later call replaces it. An error outweighs a
 * result: the run completes with the error. A %G_IO_ERROR_CANCELLED error
 * makes the run complete as cancelled.
 *
 * Since: 0.1
 */
void
eap_do_work_args_take_error (EapDoWorkArgs *self,
                             GError        *error)
{
  GError *old;

  g_return_if_fail (EAP_IS_DO_WORK_ARGS (self));
  g_return_if_fail (error != NULL);

  if (!lock_unsealed (self, "take_error"))
    {
      g_error_free (error);
      return;
    }
  old = self->error;
  self->error = error;
  g_mutex_unlock (&self->lock);

  g_clear_error (&old);
}

/**
 * eap_do_work_args_set_error:
 * @self: an [class@Eap.DoWorkArgs]
 * @error: the error the work failed with, copied
 *
 * Fails the run with a copy of @error. See
 * [method@Eap.DoWorkArgs.take_error].
 *
 * Since: 0.1
 */
void
eap_do_work_args_set_error (EapDoWorkArgs *self,
                            const GError  *error)
{
  g_return_if_fail (EAP_IS_DO_WORK_ARGS (self));
  g_return_if_fail (error != NULL);

  eap_do_work_args_take_error (self, g_error_copy (error));
}
