/* eap.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#define EAP_INSIDE
# include "eap-version.h"
# include "eap-version-macros.h"
# include "eap-types.h"
# include "eap-enums.h"
# include "eap-error.h"
# include "eap-completed-args.h"
# include "eap-progress-args.h"
# include "eap-operation.h"
# include "eap-component.h"
# include "eap-component-enums.h"
# include "eap-background-worker.h"
# include "eap-tcp-client.h"
# include "eap-tcp-listener.h"
# include "eap-web-client.h"
#undef EAP_INSIDE
