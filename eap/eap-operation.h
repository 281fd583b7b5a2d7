/* eap-operation.h
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

#define EAP_TYPE_OPERATION (eap_operation_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapOperation, eap_operation, EAP, OPERATION, GObject)

/* For everybody: identity, cancel, poll, wait. */
EAP_AVAILABLE_IN_ALL
const char       *eap_operation_get_name                    (EapOperation         *self);
EAP_AVAILABLE_IN_ALL
gpointer          eap_operation_get_user_state              (EapOperation         *self);
EAP_AVAILABLE_IN_ALL
GCancellable     *eap_operation_get_cancellable             (EapOperation         *self);
EAP_AVAILABLE_IN_ALL
GMainContext     *eap_operation_get_context                 (EapOperation         *self);
EAP_AVAILABLE_IN_ALL
EapComponent     *eap_operation_dup_component               (EapOperation         *self) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
void              eap_operation_cancel                      (EapOperation         *self);
EAP_AVAILABLE_IN_ALL
gboolean          eap_operation_is_completed                (EapOperation         *self);
EAP_AVAILABLE_IN_ALL
EapCompletedArgs *eap_operation_dup_completed_args          (EapOperation         *self) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
gboolean          eap_operation_wait                        (EapOperation         *self,
                                                             GCancellable         *cancellable,
                                                             GError              **error);
EAP_AVAILABLE_IN_ALL
void              eap_operation_wait_async                  (EapOperation         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
EAP_AVAILABLE_IN_ALL
EapCompletedArgs *eap_operation_wait_finish                 (EapOperation         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* For component implementations: report and complete, from any thread. */
EAP_AVAILABLE_IN_ALL
void              eap_operation_set_completed_args_type     (EapOperation         *self,
                                                             GType                 args_type);
EAP_AVAILABLE_IN_ALL
void              eap_operation_set_timeout                 (EapOperation         *self,
                                                             guint                 timeout_ms);
EAP_AVAILABLE_IN_ALL
void              eap_operation_report_progress             (EapOperation         *self,
                                                             gint64                done,
                                                             gint64                total);
EAP_AVAILABLE_IN_ALL
void              eap_operation_report_progress_args        (EapOperation         *self,
                                                             EapProgressArgs      *args);
EAP_AVAILABLE_IN_ALL
void              eap_operation_complete                    (EapOperation         *self,
                                                             EapCompletedArgs     *args);
EAP_AVAILABLE_IN_ALL
gboolean          eap_operation_try_complete                (EapOperation         *self,
                                                             EapCompletedArgs     *args);
EAP_AVAILABLE_IN_ALL
void              eap_operation_complete_error              (EapOperation         *self,
                                                             GError               *error);
EAP_AVAILABLE_IN_ALL
gboolean          eap_operation_return_error_if_cancelled   (EapOperation         *self);

G_END_DECLS
