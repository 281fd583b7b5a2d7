/* eap-completed-args.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "eap-completed-args-private.h"

/**
 * EapCompletedArgs:
 *
 * What a `completed` signal carries: how one operation ended.
 *
 * The outcome is exactly one of three: success (`error` is `NULL` and
 * `cancelled` is `FALSE`), failure (`error` is set) or cancellation
 * (`cancelled` is `TRUE` and `error` is `NULL`). It is the
 * `AsyncCompletedEventArgs` of .NET.
 *
 * Operations with a result use a subclass with typed getters; each getter
 * takes a `GError **` and fails the way
 * [method@Eap.CompletedArgs.propagate_error] does, so a caller cannot read
 * a result that does not exist:
 *
 * ```c
 * static void
 * on_completed (EapComponent *component, EapCompletedArgs *args, gpointer data)
 * {
 *   g_autoptr(GError) error = NULL;
 *
 *   if (!eap_completed_args_propagate_error (args, &error))
 *     g_printerr ("%s failed: %s\n",
 *                 eap_completed_args_get_operation_name (args), error->message);
 * }
 * ```
 *
 * The object never changes once it has been emitted, and stays valid for as
 * long as somebody holds a reference to it.
 *
 * Since: 0.1
 */

typedef struct
{
  GError     *error;          /* (owned) (nullable) */
  const char *operation_name; /* (unowned): interned */
  gpointer    user_state;     /* (unowned): opaque to eap */
  gboolean    cancelled;
  gboolean    sealed;
} EapCompletedArgsPrivate;

enum {
  PROP_0,
  PROP_ERROR,
  PROP_CANCELLED,
  PROP_USER_STATE,
  PROP_OPERATION_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (EapCompletedArgs, eap_completed_args, G_TYPE_OBJECT)

static gboolean check_not_sealed (EapCompletedArgs *self);

static void
eap_completed_args_finalize (GObject *object)
{
  EapCompletedArgs *self = EAP_COMPLETED_ARGS (object);
  EapCompletedArgsPrivate *priv = eap_completed_args_get_instance_private (self);

  g_clear_error (&priv->error);

  G_OBJECT_CLASS (eap_completed_args_parent_class)->finalize (object);
}

static void
eap_completed_args_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EapCompletedArgs *self = EAP_COMPLETED_ARGS (object);
  EapCompletedArgsPrivate *priv = eap_completed_args_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ERROR:
      g_value_set_boxed (value, priv->error);
      break;

    case PROP_CANCELLED:
      g_value_set_boolean (value, priv->cancelled);
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
eap_completed_args_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EapCompletedArgs *self = EAP_COMPLETED_ARGS (object);
  EapCompletedArgsPrivate *priv = eap_completed_args_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ERROR:
      _eap_completed_args_set_error (self, g_value_get_boxed (value));
      break;

    case PROP_CANCELLED:
      if (check_not_sealed (self))
        priv->cancelled = g_value_get_boolean (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_completed_args_class_init (EapCompletedArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eap_completed_args_finalize;
  object_class->get_property = eap_completed_args_get_property;
  object_class->set_property = eap_completed_args_set_property;

  /**
   * EapCompletedArgs:error:
   *
   * Why the operation failed, or `NULL` when it succeeded or was cancelled.
   *
   * Components set it when they make the args (`g_object_new (MY_TYPE,
   * "error", error, NULL)`); once the operation has completed with them it
   * never changes again. A %G_IO_ERROR_CANCELLED error is turned into
   * [property@Eap.CompletedArgs:cancelled] at completion.
   *
   * Since: 0.1
   */
  /* Not construct-only: construct properties cost every operation a
   * default-value pass through set_property (see bench/). */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        (G_PARAM_READWRITE |
                         G_PARAM_STATIC_STRINGS));

  /**
   * EapCompletedArgs:cancelled:
   *
   * Whether the operation was cancelled before it could finish. When it is
   * `TRUE`, [property@Eap.CompletedArgs:error] is `NULL`: a real error
   * given with it wins, and `cancelled` turns `FALSE` at completion (R23).
   * Like `error`, it is set when the args are made and never changes once
   * the operation has completed with them.
   *
   * Since: 0.1
   */
  properties[PROP_CANCELLED] =
    g_param_spec_boolean ("cancelled", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapCompletedArgs:user-state:
   *
   * Exactly the `user_state` pointer the operation was started with.
   *
   * Since: 0.1
   */
  properties[PROP_USER_STATE] =
    g_param_spec_pointer ("user-state", NULL, NULL,
                          (G_PARAM_READABLE |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapCompletedArgs:operation-name:
   *
   * The name of the operation, which is also the detail of the
   * `completed` signal, such as `run-worker`.
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
eap_completed_args_init (EapCompletedArgs *self)
{
}

/**
 * eap_completed_args_new:
 * @error: (nullable): why the operation failed, or `NULL` for success
 *
 * Creates completed args without a result, for operations that have none.
 * Components pass them to [method@Eap.Operation.complete], which fills in
 * the operation's name and user state.
 *
 * Returns: (transfer full): a new [class@Eap.CompletedArgs]
 *
 * Since: 0.1
 */
EapCompletedArgs *
eap_completed_args_new (const GError *error)
{
  EapCompletedArgs *self = g_object_new (EAP_TYPE_COMPLETED_ARGS, NULL);

  if (error != NULL)
    _eap_completed_args_set_error (self, error);

  return self;
}

/**
 * eap_completed_args_get_error:
 * @self: an [class@Eap.CompletedArgs]
 *
 * Gets why the operation failed.
 *
 * Returns: (transfer none) (nullable): the error, or `NULL` when the
 *   operation succeeded or was cancelled
 *
 * Since: 0.1
 */
const GError *
eap_completed_args_get_error (EapCompletedArgs *self)
{
  EapCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPLETED_ARGS (self), NULL);

  priv = eap_completed_args_get_instance_private (self);

  return priv->error;
}

/**
 * eap_completed_args_get_cancelled:
 * @self: an [class@Eap.CompletedArgs]
 *
 * Gets whether the operation was cancelled.
 *
 * Returns: `TRUE` if the operation was cancelled
 *
 * Since: 0.1
 */
gboolean
eap_completed_args_get_cancelled (EapCompletedArgs *self)
{
  EapCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPLETED_ARGS (self), FALSE);

  priv = eap_completed_args_get_instance_private (self);

  return priv->cancelled;
}

/**
 * eap_completed_args_get_user_state:
 * @self: an [class@Eap.CompletedArgs]
 *
 * Gets the `user_state` the operation was started with.
 *
 * Returns: (type gsize): the user state pointer (for bindings, an integer)
 *
 * Since: 0.1
 */
gpointer
eap_completed_args_get_user_state (EapCompletedArgs *self)
{
  EapCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPLETED_ARGS (self), NULL);

  priv = eap_completed_args_get_instance_private (self);

  return priv->user_state;
}

/**
 * eap_completed_args_get_operation_name:
 * @self: an [class@Eap.CompletedArgs]
 *
 * Gets the name of the operation, the detail of its `completed` signal.
 *
 * Returns: (transfer none) (nullable): the operation name
 *
 * Since: 0.1
 */
const char *
eap_completed_args_get_operation_name (EapCompletedArgs *self)
{
  EapCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPLETED_ARGS (self), NULL);

  priv = eap_completed_args_get_instance_private (self);

  return priv->operation_name;
}

/**
 * eap_completed_args_propagate_error:
 * @self: an [class@Eap.CompletedArgs]
 * @error: return location for a [struct@GLib.Error]
 *
 * Turns the outcome into a `GError`, as .NET's
 * `RaiseExceptionIfNecessary` turns it into an exception: a failed
 * operation gives a copy of its error, a cancelled one
 * %G_IO_ERROR_CANCELLED.
 *
 * Returns: `TRUE` if the operation succeeded, `FALSE` with @error set
 *   otherwise
 *
 * Since: 0.1
 */
gboolean
eap_completed_args_propagate_error (EapCompletedArgs  *self,
                                    GError           **error)
{
  EapCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_COMPLETED_ARGS (self), FALSE);

  priv = eap_completed_args_get_instance_private (self);

  if (priv->error != NULL)
    {
      g_propagate_error (error, g_error_copy (priv->error));
      return FALSE;
    }

  if (priv->cancelled)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   _("The operation “%s” was cancelled"),
                   priv->operation_name ? priv->operation_name : "");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_not_sealed (EapCompletedArgs *self)
{
  EapCompletedArgsPrivate *priv = eap_completed_args_get_instance_private (self);

  if (priv->sealed)
    {
      g_critical ("The completed args of “%s” cannot change after completion",
                  priv->operation_name);
      return FALSE;
    }

  return TRUE;
}

void
_eap_completed_args_set_error (EapCompletedArgs *self,
                               const GError     *error)
{
  EapCompletedArgsPrivate *priv = eap_completed_args_get_instance_private (self);

  if (!check_not_sealed (self))
    return;

  g_clear_error (&priv->error);
  if (error != NULL)
    priv->error = g_error_copy (error);
}

void
_eap_completed_args_seal (EapCompletedArgs *self,
                          const char       *operation_name,
                          gpointer          user_state,
                          gboolean          timed_out,
                          guint             timeout_ms)
{
  EapCompletedArgsPrivate *priv = eap_completed_args_get_instance_private (self);

  priv->operation_name = operation_name;
  priv->user_state = user_state;
  priv->sealed = TRUE;

  if (priv->error != NULL &&
      !g_error_matches (priv->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* A real failure is never also a cancellation (R23). */
      priv->cancelled = FALSE;
    }
  else if (priv->cancelled || priv->error != NULL)
    {
      g_clear_error (&priv->error);
      priv->cancelled = TRUE;

      /* A timeout cancels the work the same way a user does; only the
       * report differs: an error, not a cancellation (R19). */
      if (timed_out)
        {
          g_set_error (&priv->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       _("The operation “%s” timed out after %u ms"),
                       operation_name, timeout_ms);
          priv->cancelled = FALSE;
        }
    }
}
