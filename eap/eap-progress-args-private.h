/* eap-progress-args-private.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef EAP_CORE_COMPILATION
# error "private to eap/; components use <eap.h>"
#endif

#include "eap-progress-args.h"

G_BEGIN_DECLS

/* Called by the operation just before emission: fills in the identity and
 * keeps the percentage from going backwards within one operation (R32). */
void _eap_progress_args_seal (EapProgressArgs *self,
                              const char      *operation_name,
                              gpointer         user_state,
                              int              min_percentage);

G_END_DECLS
