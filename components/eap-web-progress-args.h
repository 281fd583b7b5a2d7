/* eap-web-progress-args.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include "eap-progress-args.h"

G_BEGIN_DECLS

#define EAP_TYPE_WEB_PROGRESS_ARGS (eap_web_progress_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapWebProgressArgs, eap_web_progress_args,
                      EAP, WEB_PROGRESS_ARGS, EapProgressArgs)

EAP_AVAILABLE_IN_ALL
gint64 eap_web_progress_args_get_bytes_received      (EapWebProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gint64 eap_web_progress_args_get_total_bytes         (EapWebProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gint64 eap_web_progress_args_get_bytes_sent          (EapWebProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gint64 eap_web_progress_args_get_total_bytes_to_send (EapWebProgressArgs *self);

G_END_DECLS
