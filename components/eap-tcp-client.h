/* eap-tcp-client.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <gio/gio.h>

#include "eap-component.h"

G_BEGIN_DECLS

/**
 * EapTcpFraming:
 * @EAP_TCP_FRAMING_RAW: every chunk read is emitted as it arrives, with
 *   [signal@Eap.TcpClient::received]; message boundaries are the
 *   application's business
 * @EAP_TCP_FRAMING_LINES: the stream is split into lines ended by LF or
 *   CR LF, each emitted without its terminator by
 *   [signal@Eap.TcpClient::line-received]; a line longer than
 *   [property@Eap.TcpClient:max-line-length] is an error that closes the
 *   connection
 *
 * How an [class@Eap.TcpClient] turns the bytes it receives into events.
 *
 * Since: 0.1
 */
typedef enum
{
  EAP_TCP_FRAMING_RAW,
  EAP_TCP_FRAMING_LINES,
} EapTcpFraming;

/**
 * EAP_TCP_CLIENT_DEFAULT_MAX_LINE_LENGTH:
 *
 * The default of [property@Eap.TcpClient:max-line-length]: 8 KiB, the
 * longest line a client accepts before it closes the connection.
 *
 * Since: 0.1
 */
#define EAP_TCP_CLIENT_DEFAULT_MAX_LINE_LENGTH (8 * 1024)

/**
 * EAP_TCP_CLIENT_DEFAULT_MAX_SEND_QUEUE:
 *
 * The default of [property@Eap.TcpClient:max-send-queue]: 16 MiB queued
 * and not yet written, beyond which sends are refused.
 *
 * Since: 0.1
 */
#define EAP_TCP_CLIENT_DEFAULT_MAX_SEND_QUEUE  (16 * 1024 * 1024)

#define EAP_TYPE_TCP_CLIENT (eap_tcp_client_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapTcpClient, eap_tcp_client, EAP, TCP_CLIENT, EapComponent)

EAP_AVAILABLE_IN_ALL
EapTcpClient   *eap_tcp_client_new                  (void) G_GNUC_WARN_UNUSED_RESULT;

/* Properties */
EAP_AVAILABLE_IN_ALL
EapTcpFraming   eap_tcp_client_get_framing          (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_framing          (EapTcpClient   *self,
                                                     EapTcpFraming   framing);
EAP_AVAILABLE_IN_ALL
gsize           eap_tcp_client_get_max_line_length  (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_max_line_length  (EapTcpClient   *self,
                                                     gsize           max_line_length);
EAP_AVAILABLE_IN_ALL
guint           eap_tcp_client_get_timeout          (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_timeout          (EapTcpClient   *self,
                                                     guint           timeout_s);
EAP_AVAILABLE_IN_ALL
gsize           eap_tcp_client_get_max_send_queue   (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_max_send_queue   (EapTcpClient   *self,
                                                     gsize           max_send_queue);
EAP_AVAILABLE_IN_ALL
gsize           eap_tcp_client_get_send_high_water  (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_send_high_water  (EapTcpClient   *self,
                                                     gsize           send_high_water);
EAP_AVAILABLE_IN_ALL
gsize           eap_tcp_client_get_send_queue_size  (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_get_tls              (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_tls              (EapTcpClient   *self,
                                                     gboolean        tls);
EAP_AVAILABLE_IN_ALL
GTlsDatabase   *eap_tcp_client_get_tls_database     (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
void            eap_tcp_client_set_tls_database     (EapTcpClient   *self,
                                                     GTlsDatabase   *database);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_is_connected         (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
GSocketAddress *eap_tcp_client_dup_remote_address   (EapTcpClient   *self);
EAP_AVAILABLE_IN_ALL
GSocketAddress *eap_tcp_client_dup_local_address    (EapTcpClient   *self);

/* Operations: completed::connect, completed::send, completed::close */
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_connect_async        (EapTcpClient   *self,
                                                     const char     *host,
                                                     guint16         port,
                                                     gpointer        user_state,
                                                     GError        **error);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_send_async           (EapTcpClient   *self,
                                                     GBytes         *bytes,
                                                     gpointer        user_state,
                                                     GError        **error);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_close_async          (EapTcpClient   *self,
                                                     gpointer        user_state,
                                                     GError        **error);

/* Without an operation: queue and forget (servers fanning out). */
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_queue_send           (EapTcpClient   *self,
                                                     GBytes         *bytes,
                                                     GError        **error);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_queue_line           (EapTcpClient   *self,
                                                     const char     *line,
                                                     GError        **error);

/* Blocking twins. Named _sync, unlike other components' twins: a method
 * `connect` or `close` would hide GObject's connect() and EapComponent's
 * close() in Python and JavaScript. */
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_connect_sync          (EapTcpClient   *self,
                                                     const char     *host,
                                                     guint16         port,
                                                     GCancellable   *cancellable,
                                                     GError        **error);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_send_sync             (EapTcpClient   *self,
                                                     GBytes         *bytes,
                                                     GCancellable   *cancellable,
                                                     GError        **error);
EAP_AVAILABLE_IN_ALL
gboolean        eap_tcp_client_close_sync            (EapTcpClient   *self,
                                                     GCancellable   *cancellable,
                                                     GError        **error);

G_END_DECLS
