/* eap-tcp-listener.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <gio/gio.h>

#include "eap-completed-args.h"
#include "eap-component.h"
#include "eap-tcp-client.h"

G_BEGIN_DECLS

#define EAP_TYPE_TCP_ACCEPT_COMPLETED_ARGS (eap_tcp_accept_completed_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapTcpAcceptCompletedArgs, eap_tcp_accept_completed_args,
                      EAP, TCP_ACCEPT_COMPLETED_ARGS, EapCompletedArgs)

EAP_AVAILABLE_IN_ALL
EapTcpClient    *eap_tcp_accept_completed_args_get_client (EapTcpAcceptCompletedArgs  *self,
                                                           GError                    **error);

#define EAP_TYPE_TCP_LISTENER (eap_tcp_listener_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapTcpListener, eap_tcp_listener, EAP, TCP_LISTENER, EapComponent)

EAP_AVAILABLE_IN_ALL
EapTcpListener  *eap_tcp_listener_new              (void) G_GNUC_WARN_UNUSED_RESULT;

EAP_AVAILABLE_IN_ALL
gboolean         eap_tcp_listener_listen           (EapTcpListener  *self,
                                                    const char      *address,
                                                    guint16          port,
                                                    GError         **error);
EAP_AVAILABLE_IN_ALL
void             eap_tcp_listener_stop             (EapTcpListener  *self);

/* Properties */
EAP_AVAILABLE_IN_ALL
gboolean         eap_tcp_listener_is_listening     (EapTcpListener  *self);
EAP_AVAILABLE_IN_ALL
guint16          eap_tcp_listener_get_port         (EapTcpListener  *self);
EAP_AVAILABLE_IN_ALL
GSocketAddress  *eap_tcp_listener_dup_local_address (EapTcpListener *self);
EAP_AVAILABLE_IN_ALL
guint            eap_tcp_listener_get_max_clients  (EapTcpListener  *self);
EAP_AVAILABLE_IN_ALL
void             eap_tcp_listener_set_max_clients  (EapTcpListener  *self,
                                                    guint            max_clients);
EAP_AVAILABLE_IN_ALL
guint            eap_tcp_listener_get_n_clients    (EapTcpListener  *self);
EAP_AVAILABLE_IN_ALL
guint64          eap_tcp_listener_get_n_rejected   (EapTcpListener  *self);
EAP_AVAILABLE_IN_ALL
EapTcpFraming    eap_tcp_listener_get_framing      (EapTcpListener  *self);
EAP_AVAILABLE_IN_ALL
void             eap_tcp_listener_set_framing      (EapTcpListener  *self,
                                                    EapTcpFraming    framing);

/* Operation: completed::accept with an EapTcpAcceptCompletedArgs */
EAP_AVAILABLE_IN_ALL
gboolean         eap_tcp_listener_accept_async     (EapTcpListener  *self,
                                                    gpointer         user_state,
                                                    GError         **error);
/* Blocking twin */
EAP_AVAILABLE_IN_ALL
EapTcpClient    *eap_tcp_listener_accept           (EapTcpListener  *self,
                                                    GCancellable    *cancellable,
                                                    GError         **error);

G_END_DECLS
