/* eap-progress-args.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include "eap-types.h"
#include "eap-version-macros.h"

G_BEGIN_DECLS

#define EAP_TYPE_PROGRESS_ARGS (eap_progress_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EapProgressArgs, eap_progress_args, EAP, PROGRESS_ARGS, GObject)

/**
 * EapProgressArgsClass:
 * @parent_class: the parent class
 *
 * The class of [class@Eap.ProgressArgs]. Subclass it to add fields to an
 * operation's progress reports.
 */
struct _EapProgressArgsClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer _reserved[8];
};

EAP_AVAILABLE_IN_ALL
EapProgressArgs *eap_progress_args_new                (gint64           done,
                                                       gint64           total) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
int              eap_progress_args_get_percentage     (EapProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gint64           eap_progress_args_get_done           (EapProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gint64           eap_progress_args_get_total          (EapProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gboolean         eap_progress_args_get_indeterminate  (EapProgressArgs *self);
EAP_AVAILABLE_IN_ALL
gpointer         eap_progress_args_get_user_state     (EapProgressArgs *self);
EAP_AVAILABLE_IN_ALL
const char      *eap_progress_args_get_operation_name (EapProgressArgs *self);

G_END_DECLS
