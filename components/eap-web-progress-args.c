/* eap-web-progress-args.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-web-progress-args.h"

#include "eap-web-client-private.h"

/**
 * EapWebProgressArgs:
 *
 * The progress of one [class@Eap.WebClient] operation, as .NET's
 * `DownloadProgressChangedEventArgs` and `UploadProgressChangedEventArgs`
 * together: bytes received and sent, and how many there are in all.
 *
 * A total is -1 when it is unknown: a response without `Content-Length`
 * (chunked), or a compressed one (`Content-Encoding: gzip`), whose
 * `Content-Length` counts the compressed bytes while
 * [property@Eap.WebProgressArgs:bytes-received] counts the decoded ones.
 * The report is then [property@Eap.ProgressArgs:indeterminate], with a
 * percentage of 0.
 *
 * The [property@Eap.ProgressArgs:done] and [property@Eap.ProgressArgs:total]
 * of the base class are, for downloads, the bytes received and the total
 * bytes. For uploads they are the bytes sent plus the bytes received, out
 * of the bytes to send plus the total bytes of the response, when both of
 * those are known, and -1 otherwise.
 *
 * Since: 0.1
 */
struct _EapWebProgressArgs
{
  EapProgressArgs parent_instance;

  gint64          bytes_received;
  gint64          total_bytes;
  gint64          bytes_sent;
  gint64          total_bytes_to_send;
};

enum {
  PROP_0,
  PROP_BYTES_RECEIVED,
  PROP_TOTAL_BYTES,
  PROP_BYTES_SENT,
  PROP_TOTAL_BYTES_TO_SEND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EapWebProgressArgs, eap_web_progress_args, EAP_TYPE_PROGRESS_ARGS)

static void
eap_web_progress_args_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  EapWebProgressArgs *self = EAP_WEB_PROGRESS_ARGS (object);

  switch (prop_id)
    {
    case PROP_BYTES_RECEIVED:
      g_value_set_int64 (value, self->bytes_received);
      break;
    case PROP_TOTAL_BYTES:
      g_value_set_int64 (value, self->total_bytes);
      break;
    case PROP_BYTES_SENT:
      g_value_set_int64 (value, self->bytes_sent);
      break;
    case PROP_TOTAL_BYTES_TO_SEND:
      g_value_set_int64 (value, self->total_bytes_to_send);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_web_progress_args_class_init (EapWebProgressArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = eap_web_progress_args_get_property;

  /**
   * EapWebProgressArgs:bytes-received:
   *
   * The bytes of the response body received so far, after decoding. A
   * resumed download counts the bytes it already had on disk.
   *
   * Since: 0.1
   */
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_int64 ("bytes-received", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * EapWebProgressArgs:total-bytes:
   *
   * The size of the response body, or -1 when it is unknown (no
   * `Content-Length`, or a compressed body).
   *
   * Since: 0.1
   */
  properties[PROP_TOTAL_BYTES] =
    g_param_spec_int64 ("total-bytes", NULL, NULL,
                        -1, G_MAXINT64, -1,
                        (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * EapWebProgressArgs:bytes-sent:
   *
   * The bytes of the request body sent so far (0 for downloads).
   *
   * Since: 0.1
   */
  properties[PROP_BYTES_SENT] =
    g_param_spec_int64 ("bytes-sent", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * EapWebProgressArgs:total-bytes-to-send:
   *
   * The size of the request body (0 for downloads).
   *
   * Since: 0.1
   */
  properties[PROP_TOTAL_BYTES_TO_SEND] =
    g_param_spec_int64 ("total-bytes-to-send", NULL, NULL,
                        -1, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
eap_web_progress_args_init (EapWebProgressArgs *self)
{
  self->total_bytes = -1;
}

EapWebProgressArgs *
_eap_web_progress_args_new (gint64 bytes_received,
                            gint64 total_bytes,
                            gint64 bytes_sent,
                            gint64 total_bytes_to_send)
{
  EapWebProgressArgs *self;
  gint64 done = bytes_received;
  gint64 total = total_bytes;

  if (total_bytes_to_send > 0)
    {
      done = bytes_sent + bytes_received;
      total = total_bytes >= 0 ? total_bytes_to_send + total_bytes : -1;
    }

  self = g_object_new (EAP_TYPE_WEB_PROGRESS_ARGS, "done", done, "total", total, NULL);
  self->bytes_received = bytes_received;
  self->total_bytes = total_bytes;
  self->bytes_sent = bytes_sent;
  self->total_bytes_to_send = total_bytes_to_send;

  return self;
}

/**
 * eap_web_progress_args_get_bytes_received:
 * @self: an [class@Eap.WebProgressArgs]
 *
 * Gets the bytes of the response body received so far.
 *
 * Returns: the bytes received
 *
 * Since: 0.1
 */
gint64
eap_web_progress_args_get_bytes_received (EapWebProgressArgs *self)
{
  g_return_val_if_fail (EAP_IS_WEB_PROGRESS_ARGS (self), 0);

  return self->bytes_received;
}

/**
 * eap_web_progress_args_get_total_bytes:
 * @self: an [class@Eap.WebProgressArgs]
 *
 * Gets the size of the response body.
 *
 * Returns: the size, or -1 when it is unknown
 *
 * Since: 0.1
 */
gint64
eap_web_progress_args_get_total_bytes (EapWebProgressArgs *self)
{
  g_return_val_if_fail (EAP_IS_WEB_PROGRESS_ARGS (self), -1);

  return self->total_bytes;
}

/**
 * eap_web_progress_args_get_bytes_sent:
 * @self: an [class@Eap.WebProgressArgs]
 *
 * Gets the bytes of the request body sent so far.
 *
 * Returns: the bytes sent
 *
 * Since: 0.1
 */
gint64
eap_web_progress_args_get_bytes_sent (EapWebProgressArgs *self)
{
  g_return_val_if_fail (EAP_IS_WEB_PROGRESS_ARGS (self), 0);

  return self->bytes_sent;
}

/**
 * eap_web_progress_args_get_total_bytes_to_send:
 * @self: an [class@Eap.WebProgressArgs]
 *
 * Gets the size of the request body.
 *
 * Returns: the size of the request body, 0 for downloads
 *
 * Since: 0.1
 */
gint64
eap_web_progress_args_get_total_bytes_to_send (EapWebProgressArgs *self)
{
  g_return_val_if_fail (EAP_IS_WEB_PROGRESS_ARGS (self), 0);

  return self->total_bytes_to_send;
}
