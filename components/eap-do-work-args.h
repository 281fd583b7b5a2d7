/* eap-do-work-args.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <gio/gio.h>

#include "eap-types.h"
#include "eap-version-macros.h"

G_BEGIN_DECLS

#define EAP_TYPE_DO_WORK_ARGS (eap_do_work_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapDoWorkArgs, eap_do_work_args, EAP, DO_WORK_ARGS, GObject)

EAP_AVAILABLE_IN_ALL
const GValue *eap_do_work_args_get_argument              (EapDoWorkArgs *self);
EAP_AVAILABLE_IN_ALL
gpointer      eap_do_work_args_get_user_state            (EapDoWorkArgs *self);
EAP_AVAILABLE_IN_ALL
GCancellable *eap_do_work_args_get_cancellable           (EapDoWorkArgs *self);
EAP_AVAILABLE_IN_ALL
gboolean      eap_do_work_args_is_cancellation_pending   (EapDoWorkArgs *self);
EAP_AVAILABLE_IN_ALL
void          eap_do_work_args_report_progress           (EapDoWorkArgs *self,
                                                          int            percentage);
EAP_AVAILABLE_IN_ALL
void          eap_do_work_args_report_progress_full      (EapDoWorkArgs *self,
                                                          gint64         done,
                                                          gint64         total);
EAP_AVAILABLE_IN_ALL
void          eap_do_work_args_set_result                (EapDoWorkArgs *self,
                                                          const GValue  *result);
EAP_AVAILABLE_IN_ALL
void          eap_do_work_args_take_error                (EapDoWorkArgs *self,
                                                          GError        *error);
EAP_AVAILABLE_IN_ALL
void          eap_do_work_args_set_error                 (EapDoWorkArgs *self,
                                                          const GError  *error);

G_END_DECLS
