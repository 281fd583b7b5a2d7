/* eap-version-macros.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <glib.h>

#include "eap-version.h"

#if defined(EAP_COMPILATION) && defined(__GNUC__)
# define _EAP_EXTERN __attribute__((visibility ("default"))) extern
#else
# define _EAP_EXTERN extern
#endif

#define EAP_VERSION_1_0              (G_ENCODE_VERSION (1, 0))
#define EAP_AVAILABLE_IN_ALL         _EAP_EXTERN
#define EAP_AVAILABLE_IN_1_0         _EAP_EXTERN
#define EAP_DEPRECATED_IN_1_0_FOR(f) G_DEPRECATED_FOR (f) _EAP_EXTERN
