/* eap-background-worker-private.h: glue between EapBackgroundWorker and its
 * argument types. Not installed. It lives in components/ and uses only the
 * public API of eap/, like the component itself.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <eap.h>

G_BEGIN_DECLS

/* The size of the process-wide pool that runs every EapBackgroundWorker's
 * work. Further runs queue until a thread is free. Tests use it to fill the
 * pool on purpose. */
#define EAP_BACKGROUND_WORKER_MAX_THREADS 64

/* @operation: (nullable): NULL for the blocking twin, whose progress reports
 * are dropped. @argument is copied. */
EapDoWorkArgs             *_eap_do_work_args_new                 (EapOperation   *operation,
                                                                  GCancellable   *cancellable,
                                                                  gpointer        user_state,
                                                                  const GValue   *argument) G_GNUC_WARN_UNUSED_RESULT;

/* Seals @self once the work has returned: later setters and progress reports
 * are g_critical()s. Moves the result into @result (left unset when none was
 * set) and returns the error set on @self (transfer full), or NULL. */
GError                    *_eap_do_work_args_finish              (EapDoWorkArgs  *self,
                                                                  GValue         *result);

/* @error: (nullable) (transfer full). @result: (nullable): moved from, so it
 * is left unset. */
EapRunWorkerCompletedArgs *_eap_run_worker_completed_args_new    (GError         *error,
                                                                  GValue         *result) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
