/* eap-background-worker.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include "eap-component.h"
#include "eap-do-work-args.h"
#include "eap-run-worker-completed-args.h"

G_BEGIN_DECLS

#define EAP_TYPE_BACKGROUND_WORKER (eap_background_worker_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapBackgroundWorker, eap_background_worker, EAP, BACKGROUND_WORKER, EapComponent)

/**
 * EapWorkFunc:
 * @args: the [class@Eap.DoWorkArgs] of this run: argument, cancellation,
 *   progress and result
 * @user_data: the data given to [method@Eap.BackgroundWorker.set_work_func]
 * @error: return location for the run's error
 *
 * The work of a [class@Eap.BackgroundWorker] as a plain C function. It runs
 * in a worker thread; it must not touch objects that belong to the main
 * thread.
 *
 * Returns: %TRUE on success (a result may have been set on @args), %FALSE
 *   with @error set on failure
 */
typedef gboolean (*EapWorkFunc) (EapDoWorkArgs  *args,
                                 gpointer        user_data,
                                 GError        **error);

EAP_AVAILABLE_IN_ALL
EapBackgroundWorker *eap_background_worker_new              (void) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
void                 eap_background_worker_set_work_func    (EapBackgroundWorker  *self,
                                                             EapWorkFunc           func,
                                                             gpointer              user_data,
                                                             GDestroyNotify        destroy);
EAP_AVAILABLE_IN_ALL
gboolean             eap_background_worker_run_worker_async (EapBackgroundWorker  *self,
                                                             const GValue         *argument,
                                                             gpointer              user_state,
                                                             GError              **error);
EAP_AVAILABLE_IN_ALL
gboolean             eap_background_worker_run_worker       (EapBackgroundWorker  *self,
                                                             const GValue         *argument,
                                                             GValue               *result,
                                                             GCancellable         *cancellable,
                                                             GError              **error);

G_END_DECLS
