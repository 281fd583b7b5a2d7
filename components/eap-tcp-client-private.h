/* eap-tcp-client-private.h: what EapTcpListener needs of EapTcpClient.
 * Not installed, symbols hidden.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "eap-tcp-client.h"

G_BEGIN_DECLS

/* Wraps an accepted, connected, non-blocking @socket (the client takes its
 * own reference). The client's events will be emitted in @context (the
 * listener's). Reading does not start until _eap_tcp_client_start(): the
 * listener first hands the client to the user (client-accepted, or
 * completed::accept) so that no event is emitted before the user could
 * connect a handler. Returns NULL with @error set when the socket cannot
 * be watched (EMFILE, epoll limits). */
EapTcpClient *_eap_tcp_client_new_accepted (GSocket        *socket,
                                            GMainContext   *context,
                                            EapTcpFraming   framing,
                                            GError        **error);
void          _eap_tcp_client_start        (EapTcpClient   *self);

G_END_DECLS
