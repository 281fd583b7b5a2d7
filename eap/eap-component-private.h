/* eap-component-private.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef EAP_CORE_COMPILATION
# error "private to eap/; components use <eap.h>"
#endif

#include "eap-component.h"

G_BEGIN_DECLS

/* Removes @op from the table of @self. Returns TRUE when that made the
 * component idle, so the caller must notify is-busy (R45). */
gboolean _eap_component_remove_operation     (EapComponent     *self,
                                              EapOperation     *op);
void     _eap_component_notify_busy          (EapComponent     *self);
void     _eap_component_notify_busy_in       (EapComponent     *self,
                                              GMainContext     *context);
gboolean _eap_component_has_completed_handler (EapComponent    *self,
                                               GQuark           detail);
gboolean _eap_component_has_progress_handler (EapComponent     *self,
                                              GQuark            detail);
void     _eap_component_emit_completed       (EapComponent     *self,
                                              GQuark            detail,
                                              EapCompletedArgs *args);
void     _eap_component_emit_progress        (EapComponent     *self,
                                              GQuark            detail,
                                              EapProgressArgs  *args);

G_END_DECLS
