/* eap-progress-args.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-progress-args-private.h"

/**
 * EapProgressArgs:
 *
 * What a `progress-changed` signal carries: how far one operation has got.
 *
 * `done` counts units of work (bytes, items), `total` is how many there
 * are, or -1 when nobody knows. With an unknown total the report is
 * [property@Eap.ProgressArgs:indeterminate] and its percentage is 0: eap
 * never makes a percentage up. Within one operation the percentage never
 * goes down.
 *
 * Components with more to say (the latest item found, bytes sent and
 * received) subclass it; the subclass sets `done` and `total` at
 * construction:
 *
 * ```c
 * args = g_object_new (MY_TYPE_PROGRESS_ARGS,
 *                      "done", done, "total", total,
 *                      "latest-prime", prime,
 *                      NULL);
 * eap_operation_report_progress_args (op, args);
 * ```
 *
 * Since: 0.1
 */

typedef struct
{
  gint64      done;
  gint64      total;
  const char *operation_name; /* (unowned): interned */
  gpointer    user_state;     /* (unowned) */
  int         min_percentage; /* the operation's last one: never go back (R32) */
  gboolean    sealed;
} EapProgressArgsPrivate;

enum {
  PROP_0,
  PROP_DONE,
  PROP_TOTAL,
  PROP_PERCENTAGE,
  PROP_INDETERMINATE,
  PROP_USER_STATE,
  PROP_OPERATION_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (EapProgressArgs, eap_progress_args, G_TYPE_OBJECT)

static int
compute_percentage (gint64 done,
                    gint64 total)
{
  if (total < 0)
    return 0;
  if (total == 0 || done >= total)
    return 100;
  if (done <= 0)
    return 0;

  /* done < total here, so this never reaches 100 before the end. */
  return (int) (((double) done * 100.0) / (double) total);
}

static void
eap_progress_args_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EapProgressArgs *self = EAP_PROGRESS_ARGS (object);
  EapProgressArgsPrivate *priv = eap_progress_args_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_DONE:
      g_value_set_int64 (value, priv->done);
      break;

    case PROP_TOTAL:
      g_value_set_int64 (value, priv->total);
      break;

    case PROP_PERCENTAGE:
      g_value_set_int (value, eap_progress_args_get_percentage (self));
      break;

    case PROP_INDETERMINATE:
      g_value_set_boolean (value, priv->total < 0);
      break;

    case PROP_USER_STATE:
      g_value_set_pointer (value, priv->user_state);
      break;

    case PROP_OPERATION_NAME:
      g_value_set_static_string (value, priv->operation_name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_progress_args_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EapProgressArgs *self = EAP_PROGRESS_ARGS (object);
  EapProgressArgsPrivate *priv = eap_progress_args_get_instance_private (self);

  if (priv->sealed)
    {
      g_critical ("Progress args cannot change once reported");
      return;
    }

  switch (prop_id)
    {
    case PROP_DONE:
      priv->done = g_value_get_int64 (value);
      break;

    case PROP_TOTAL:
      priv->total = g_value_get_int64 (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_progress_args_class_init (EapProgressArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = eap_progress_args_get_property;
  object_class->set_property = eap_progress_args_set_property;

  /**
   * EapProgressArgs:done:
   *
   * Units of work done so far: bytes transferred, items processed.
   *
   * Set it when making the args; it cannot change once they are
   * reported. In `g_object_new()`'s variable arguments pass a `gint64`:
   * `(gint64) done`.
   *
   * Since: 0.1
   */
  /* Not construct-only: construct properties cost every report a
   * default-value pass through set_property. */
  properties[PROP_DONE] =
    g_param_spec_int64 ("done", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READWRITE |
                         G_PARAM_STATIC_STRINGS));

  /**
   * EapProgressArgs:total:
   *
   * Units of work in all, or -1 when the total is unknown. Like
   * [property@Eap.ProgressArgs:done], a `gint64` set when making the
   * args.
   *
   * Since: 0.1
   */
  properties[PROP_TOTAL] =
    g_param_spec_int64 ("total", NULL, NULL,
                        -1, G_MAXINT64, -1,
                        (G_PARAM_READWRITE |
                         G_PARAM_STATIC_STRINGS));

  /**
   * EapProgressArgs:percentage:
   *
   * `done` as a percentage of `total`, from 0 to 100; 0 when the total is
   * unknown. It never decreases within one operation.
   *
   * Since: 0.1
   */
  properties[PROP_PERCENTAGE] =
    g_param_spec_int ("percentage", NULL, NULL,
                      0, 100, 0,
                      (G_PARAM_READABLE |
                       G_PARAM_STATIC_STRINGS));

  /**
   * EapProgressArgs:indeterminate:
   *
   * `TRUE` when the total is unknown: show a pulsing bar, not a made-up
   * percentage.
   *
   * Since: 0.1
   */
  properties[PROP_INDETERMINATE] =
    g_param_spec_boolean ("indeterminate", NULL, NULL,
                          TRUE,
                          (G_PARAM_READABLE |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapProgressArgs:user-state:
   *
   * The `user_state` the operation was started with.
   *
   * Since: 0.1
   */
  properties[PROP_USER_STATE] =
    g_param_spec_pointer ("user-state", NULL, NULL,
                          (G_PARAM_READABLE |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapProgressArgs:operation-name:
   *
   * The name of the operation, the detail of its `progress-changed`
   * signal.
   *
   * Since: 0.1
   */
  properties[PROP_OPERATION_NAME] =
    g_param_spec_string ("operation-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
eap_progress_args_init (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv = eap_progress_args_get_instance_private (self);

  priv->total = -1;
}

/**
 * eap_progress_args_new:
 * @done: units of work done so far
 * @total: units of work in all, or -1 when unknown
 *
 * Creates a progress report. Components usually call
 * [method@Eap.Operation.report_progress], which creates these for them.
 *
 * Returns: (transfer full): a new [class@Eap.ProgressArgs]
 *
 * Since: 0.1
 */
EapProgressArgs *
eap_progress_args_new (gint64 done,
                       gint64 total)
{
  EapProgressArgs *self = g_object_new (EAP_TYPE_PROGRESS_ARGS, NULL);
  EapProgressArgsPrivate *priv = eap_progress_args_get_instance_private (self);

  priv->done = MAX (done, 0);
  priv->total = MAX (total, -1);

  return self;
}

/**
 * eap_progress_args_get_percentage:
 * @self: an [class@Eap.ProgressArgs]
 *
 * Gets the progress as a percentage.
 *
 * Returns: 0 to 100; 0 when the total is unknown
 *
 * Since: 0.1
 */
int
eap_progress_args_get_percentage (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_PROGRESS_ARGS (self), 0);

  priv = eap_progress_args_get_instance_private (self);

  /* An indeterminate report says 0 (R33); known totals never go back. */
  if (priv->total < 0)
    return 0;

  return MAX (compute_percentage (priv->done, priv->total), priv->min_percentage);
}

/**
 * eap_progress_args_get_done:
 * @self: an [class@Eap.ProgressArgs]
 *
 * Gets the units of work done so far: the exact count, even when the
 * total is unknown.
 *
 * Returns: the units done
 *
 * Since: 0.1
 */
gint64
eap_progress_args_get_done (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_PROGRESS_ARGS (self), 0);

  priv = eap_progress_args_get_instance_private (self);

  return priv->done;
}

/**
 * eap_progress_args_get_total:
 * @self: an [class@Eap.ProgressArgs]
 *
 * Gets the units of work in all.
 *
 * Returns: the total, or -1 when it is unknown
 *
 * Since: 0.1
 */
gint64
eap_progress_args_get_total (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_PROGRESS_ARGS (self), -1);

  priv = eap_progress_args_get_instance_private (self);

  return priv->total;
}

/**
 * eap_progress_args_get_indeterminate:
 * @self: an [class@Eap.ProgressArgs]
 *
 * Gets whether the total is unknown.
 *
 * Returns: `TRUE` when the total is unknown
 *
 * Since: 0.1
 */
gboolean
eap_progress_args_get_indeterminate (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_PROGRESS_ARGS (self), TRUE);

  priv = eap_progress_args_get_instance_private (self);

  return priv->total < 0;
}

/**
 * eap_progress_args_get_user_state:
 * @self: an [class@Eap.ProgressArgs]
 *
 * Gets the `user_state` the operation was started with.
 *
 * Returns: (type gsize): the user state pointer (for bindings, an integer)
 *
 * Since: 0.1
 */
gpointer
eap_progress_args_get_user_state (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_PROGRESS_ARGS (self), NULL);

  priv = eap_progress_args_get_instance_private (self);

  return priv->user_state;
}

/**
 * eap_progress_args_get_operation_name:
 * @self: an [class@Eap.ProgressArgs]
 *
 * Gets the name of the operation reporting progress.
 *
 * Returns: (transfer none) (nullable): the operation name
 *
 * Since: 0.1
 */
const char *
eap_progress_args_get_operation_name (EapProgressArgs *self)
{
  EapProgressArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_PROGRESS_ARGS (self), NULL);

  priv = eap_progress_args_get_instance_private (self);

  return priv->operation_name;
}

void
_eap_progress_args_seal (EapProgressArgs *self,
                         const char      *operation_name,
                         gpointer         user_state,
                         int              min_percentage)
{
  EapProgressArgsPrivate *priv = eap_progress_args_get_instance_private (self);

  priv->operation_name = operation_name;
  priv->user_state = user_state;
  priv->min_percentage = min_percentage;
  priv->sealed = TRUE;
}
