/* eap-types.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/* Forward declarations: EapOperation and EapComponent refer to each other. */
typedef struct _EapCompletedArgs EapCompletedArgs;
typedef struct _EapProgressArgs  EapProgressArgs;
typedef struct _EapOperation     EapOperation;
typedef struct _EapComponent     EapComponent;

G_END_DECLS
