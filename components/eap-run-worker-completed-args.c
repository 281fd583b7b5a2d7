/* eap-run-worker-completed-args.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-run-worker-completed-args.h"

#include "eap-background-worker-private.h"

#include <string.h>

/**
 * EapRunWorkerCompletedArgs:
 *
 * The completed args of every `run-worker` operation of an
 * [class@Eap.BackgroundWorker], as .NET's `RunWorkerCompletedEventArgs`:
 * the outcome (error, cancelled) and the result the work set.
 *
 * Since: 0.1
 */
struct _EapRunWorkerCompletedArgs
{
  EapCompletedArgs parent_instance;

  GValue           result;   /* (owned): unset when the work set none; never changes */
};

G_DEFINE_FINAL_TYPE (EapRunWorkerCompletedArgs, eap_run_worker_completed_args,
                     EAP_TYPE_COMPLETED_ARGS)

static void
eap_run_worker_completed_args_finalize (GObject *object)
{
  EapRunWorkerCompletedArgs *self = (EapRunWorkerCompletedArgs *) object;

  if (G_IS_VALUE (&self->result))
    g_value_unset (&self->result);

  G_OBJECT_CLASS (eap_run_worker_completed_args_parent_class)->finalize (object);
}

static void
eap_run_worker_completed_args_class_init (EapRunWorkerCompletedArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eap_run_worker_completed_args_finalize;
}

static void
eap_run_worker_completed_args_init (EapRunWorkerCompletedArgs *self)
{
}

EapRunWorkerCompletedArgs *
_eap_run_worker_completed_args_new (GError *error,
                                    GValue *result)
{
  EapRunWorkerCompletedArgs *self;

  g_assert (result == NULL || result->g_type == 0 || G_IS_VALUE (result));

  self = g_object_new (EAP_TYPE_RUN_WORKER_COMPLETED_ARGS,
                       "error", error,
                       NULL);
  g_clear_error (&error);

  if (result != NULL && G_IS_VALUE (result))
    {
      self->result = *result;               /* a move */
      memset (result, 0, sizeof *result);
    }

  return self;
}

/**
 * eap_run_worker_completed_args_get_result:
 * @self: an [class@Eap.RunWorkerCompletedArgs]
 * @error: return location for the run's error
 *
 * Gets the result the work set with [method@Eap.DoWorkArgs.set_result].
 *
 * As .NET's `RunWorkerCompletedEventArgs.Result`, it raises the run's
 * outcome first: when the run failed it returns `NULL` with a copy of the
 * error, when it was cancelled `NULL` with %G_IO_ERROR_CANCELLED. A
 * successful run whose work set no result returns `NULL` and leaves @error
 * unset.
 *
 * Returns: (nullable) (transfer none): the result, owned by @self
 *
 * Since: 0.1
 */
const GValue *
eap_run_worker_completed_args_get_result (EapRunWorkerCompletedArgs  *self,
                                          GError                    **error)
{
  g_return_val_if_fail (EAP_IS_RUN_WORKER_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;

  return G_IS_VALUE (&self->result) ? &self->result : NULL;
}
