/* eap-component.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <gio/gio.h>

#include "eap-types.h"
#include "eap-version-macros.h"

G_BEGIN_DECLS

#define EAP_TYPE_COMPONENT (eap_component_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EapComponent, eap_component, EAP, COMPONENT, GObject)

/**
 * EapComponentClass:
 * @parent_class: the parent class
 * @completed: class closure of [signal@Eap.Component::completed]
 * @progress_changed: class closure of [signal@Eap.Component::progress-changed]
 * @close: called once, when [method@Eap.Component.close] first closes the
 *   component, after the operations in flight were cancelled: the place to
 *   end what is not an operation (a connection, a listening socket). It runs
 *   in the thread that called close, which may be any thread. Not called by
 *   dispose: a subclass tears down in its own dispose. Since: 0.1
 *
 * The class of [class@Eap.Component]. Components subclass it and start
 * their operations with [method@Eap.Component.begin_operation].
 */
struct _EapComponentClass
{
  GObjectClass parent_class;

  void (*completed)        (EapComponent     *self,
                            EapCompletedArgs *args);
  void (*progress_changed) (EapComponent     *self,
                            EapProgressArgs  *args);
  void (*close)            (EapComponent     *self);

  /*< private >*/
  gpointer _reserved[7];
};

/* For users of a component. */
EAP_AVAILABLE_IN_ALL
gboolean      eap_component_get_is_busy           (EapComponent  *self);
EAP_AVAILABLE_IN_ALL
guint         eap_component_get_progress_interval (EapComponent  *self);
EAP_AVAILABLE_IN_ALL
void          eap_component_set_progress_interval (EapComponent  *self,
                                                   guint          interval_ms);
EAP_AVAILABLE_IN_ALL
guint         eap_component_get_n_operations      (EapComponent  *self);
EAP_AVAILABLE_IN_ALL
void          eap_component_cancel_async          (EapComponent  *self,
                                                   gpointer       user_state);
EAP_AVAILABLE_IN_ALL
void          eap_component_cancel_all            (EapComponent  *self);
EAP_AVAILABLE_IN_ALL
void          eap_component_close                 (EapComponent  *self);
EAP_AVAILABLE_IN_ALL
gboolean      eap_component_is_closed             (EapComponent  *self);
EAP_AVAILABLE_IN_ALL
EapOperation *eap_component_dup_operation         (EapComponent  *self,
                                                   gpointer       user_state) G_GNUC_WARN_UNUSED_RESULT;

/* For component implementations. */
EAP_AVAILABLE_IN_ALL
EapOperation *eap_component_begin_operation       (EapComponent  *self,
                                                   const char    *name,
                                                   gpointer       user_state,
                                                   GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
