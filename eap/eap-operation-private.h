/* eap-operation-private.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef EAP_CORE_COMPILATION
# error "private to eap/; components use <eap.h>"
#endif

#include "eap-operation.h"

G_BEGIN_DECLS

struct _EapOperation
{
  GObject           parent_instance;

  /* Set at creation, then read-only. */
  GMainContext     *context;        /* (owned): where every signal of this op is emitted */
  const char       *name;           /* (unowned): interned */
  GQuark            detail;         /* the signal detail, from @name */
  gpointer          user_state;     /* (unowned): opaque to eap */
  guint             progress_interval_us;

  /* Guarded by the component's mutex: its place in the component's table. */
  GList             link;           /* data = self */
  guint             registered : 1;

  /* Claimed once, atomically: PENDING -> CLAIMED (R16). */
  int               state;
  int               timed_out;      /* atomic */
  int               cancelled;      /* atomic: set before the cancellable is */

  /* Everything below is guarded by @mutex. */
  GMutex            mutex;
  GCond             cond;           /* broadcast when completed_args is set */
  guint             n_blocked;      /* threads in eap_operation_wait() */
  EapComponent     *component;      /* (owned) (nullable): dropped once completed is emitted */
  GCancellable     *cancellable;    /* (owned) (nullable): made on first use */
  GType             args_type;      /* of the args made by complete_error and friends */
  GSource          *source;         /* (owned) (nullable): armed dispatch source */
  GSource          *timeout_source; /* (owned) (nullable) */
  guint             timeout_ms;
  EapCompletedArgs *completed_args; /* (owned) (nullable): set when claimed */
  EapProgressArgs  *progress_args;  /* (owned) (nullable): newest reported subclass args */
  gint64            progress_done;
  gint64            progress_total;
  gint64            last_progress_time;
  int               last_percentage;
  GSList           *waiters;        /* (owned) (element-type Waiter) */
  guint             progress_pending : 1;
  guint             notify_busy_pending : 1;
  guint             emitted : 1;
  guint             observed : 1;
};

EapOperation *_eap_operation_new              (EapComponent *component,
                                               GMainContext *context,
                                               const char   *name,
                                               gpointer      user_state,
                                               guint         progress_interval_ms);
void          _eap_operation_notify_busy_soon (EapOperation *self);

G_END_DECLS
