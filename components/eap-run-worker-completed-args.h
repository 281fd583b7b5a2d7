/* eap-run-worker-completed-args.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include "eap-completed-args.h"

G_BEGIN_DECLS

#define EAP_TYPE_RUN_WORKER_COMPLETED_ARGS (eap_run_worker_completed_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapRunWorkerCompletedArgs, eap_run_worker_completed_args,
                      EAP, RUN_WORKER_COMPLETED_ARGS, EapCompletedArgs)

EAP_AVAILABLE_IN_ALL
const GValue *eap_run_worker_completed_args_get_result (EapRunWorkerCompletedArgs  *self,
                                                        GError                    **error);

G_END_DECLS
