/* eap-error.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-error.h"

G_DEFINE_QUARK (eap-error-quark, eap_error)
