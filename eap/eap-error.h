/* eap-error.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include "eap-version-macros.h"

G_BEGIN_DECLS

/**
 * EAP_ERROR:
 *
 * The error domain of eap, for the few failures GIO's own error codes do
 * not describe. See [error@Eap.Error].
 */
#define EAP_ERROR (eap_error_quark ())

/**
 * EapError:
 * @EAP_ERROR_FAILED: generic failure; read the message
 * @EAP_ERROR_ABANDONED: the operation's implementation dropped it without
 *   completing it (a bug in the component)
 * @EAP_ERROR_PROTOCOL: the peer broke the protocol
 * @EAP_ERROR_LIMIT_EXCEEDED: a configured limit (a queue, a line length)
 *   was exceeded
 *
 * Error codes in the %EAP_ERROR domain. Cancellation, timeouts, a closed
 * component and the like use [error@Gio.IOErrorEnum] codes instead. New
 * codes may be added; always handle a default.
 *
 * Since: 0.1
 */
typedef enum
{
  EAP_ERROR_FAILED,
  EAP_ERROR_ABANDONED,
  EAP_ERROR_PROTOCOL,
  EAP_ERROR_LIMIT_EXCEEDED,
} EapError;

EAP_AVAILABLE_IN_ALL
GQuark eap_error_quark (void);

G_END_DECLS
