/* eap-completed-args-private.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef EAP_CORE_COMPILATION
# error "private to eap/; components use <eap.h>"
#endif

#include "eap-completed-args.h"

G_BEGIN_DECLS

/* The one writer of the error: refuses once sealed (R24). */
void _eap_completed_args_set_error (EapCompletedArgs *self,
                                    const GError     *error);

/* Called once by the operation that completes with @self, before anybody
 * else can see it: fills in the identity and normalises the outcome so that
 * it is exactly one of success, error, cancelled (R23). */
void _eap_completed_args_seal (EapCompletedArgs *self,
                               const char       *operation_name,
                               gpointer          user_state,
                               gboolean          timed_out,
                               guint             timeout_ms);

G_END_DECLS
