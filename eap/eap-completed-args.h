/* eap-completed-args.h
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

#define EAP_TYPE_COMPLETED_ARGS (eap_completed_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EapCompletedArgs, eap_completed_args, EAP, COMPLETED_ARGS, GObject)

/**
 * EapCompletedArgsClass:
 * @parent_class: the parent class
 *
 * The class of [class@Eap.CompletedArgs]. Subclass it to carry an
 * operation's typed result.
 */
struct _EapCompletedArgsClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer _reserved[8];
};

EAP_AVAILABLE_IN_ALL
EapCompletedArgs *eap_completed_args_new                (const GError      *error) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
const GError     *eap_completed_args_get_error          (EapCompletedArgs  *self);
EAP_AVAILABLE_IN_ALL
gboolean          eap_completed_args_get_cancelled      (EapCompletedArgs  *self);
EAP_AVAILABLE_IN_ALL
gpointer          eap_completed_args_get_user_state     (EapCompletedArgs  *self);
EAP_AVAILABLE_IN_ALL
const char       *eap_completed_args_get_operation_name (EapCompletedArgs  *self);
EAP_AVAILABLE_IN_ALL
gboolean          eap_completed_args_propagate_error    (EapCompletedArgs  *self,
                                                         GError           **error);

G_END_DECLS
