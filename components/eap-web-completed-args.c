/* eap-web-completed-args.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-web-completed-args.h"

#include "eap-web-client-private.h"

/**
 * EapWebCompletedArgs:
 *
 * The base of the completed args of every [class@Eap.WebClient]
 * operation: where the request ended up and what the server answered.
 *
 * These fields are set on failure too: an HTTP error (status 400 or more)
 * carries the status, the reason phrase and the response headers; a
 * transport error (refused connection, unknown host, TLS) has status 0 and
 * no headers. The URI is the last one requested, after redirects.
 *
 * Since: 0.1
 */
typedef struct
{
  char               *uri;            /* (owned) (nullable) */
  char               *reason_phrase;  /* (owned) (nullable) */
  SoupMessageHeaders *headers;        /* (owned) (nullable): a private copy, never changed */
  guint               status;
} EapWebCompletedArgsPrivate;

enum {
  PROP_0,
  PROP_URI,
  PROP_STATUS,
  PROP_REASON_PHRASE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (EapWebCompletedArgs, eap_web_completed_args, EAP_TYPE_COMPLETED_ARGS)

static void
eap_web_completed_args_finalize (GObject *object)
{
  EapWebCompletedArgs *self = (EapWebCompletedArgs *) object;
  EapWebCompletedArgsPrivate *priv = eap_web_completed_args_get_instance_private (self);

  g_clear_pointer (&priv->uri, g_free);
  g_clear_pointer (&priv->reason_phrase, g_free);
  g_clear_pointer (&priv->headers, soup_message_headers_unref);

  G_OBJECT_CLASS (eap_web_completed_args_parent_class)->finalize (object);
}

static void
eap_web_completed_args_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  EapWebCompletedArgs *self = EAP_WEB_COMPLETED_ARGS (object);
  EapWebCompletedArgsPrivate *priv = eap_web_completed_args_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_URI:
      g_value_set_string (value, priv->uri);
      break;
    case PROP_STATUS:
      g_value_set_uint (value, priv->status);
      break;
    case PROP_REASON_PHRASE:
      g_value_set_string (value, priv->reason_phrase);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_web_completed_args_class_init (EapWebCompletedArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eap_web_completed_args_finalize;
  object_class->get_property = eap_web_completed_args_get_property;

  /**
   * EapWebCompletedArgs:uri:
   *
   * The URI of the last request, after redirects; a URI that was not
   * valid is given as it was passed.
   *
   * Since: 0.1
   */
  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * EapWebCompletedArgs:status:
   *
   * The HTTP status code of the last response, or 0 when there was none.
   *
   * Since: 0.1
   */
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * EapWebCompletedArgs:reason-phrase:
   *
   * The reason phrase of the last response ("OK", "Not Found"), or `NULL`
   * when there was none.
   *
   * Since: 0.1
   */
  properties[PROP_REASON_PHRASE] =
    g_param_spec_string ("reason-phrase", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
eap_web_completed_args_init (EapWebCompletedArgs *self)
{
}

EapWebCompletedArgs *
_eap_web_completed_args_new (GType               args_type,
                             GError             *error,
                             const char         *uri,
                             guint               status,
                             const char         *reason_phrase,
                             SoupMessageHeaders *headers)
{
  EapWebCompletedArgs *self;
  EapWebCompletedArgsPrivate *priv;

  g_assert (g_type_is_a (args_type, EAP_TYPE_WEB_COMPLETED_ARGS));

  self = g_object_new (args_type, "error", error, NULL);
  g_clear_error (&error);

  priv = eap_web_completed_args_get_instance_private (self);
  priv->uri = g_strdup (uri);
  priv->status = status;
  priv->reason_phrase = g_strdup (reason_phrase);
  if (headers != NULL)
    {
      SoupMessageHeadersIter iter;
      const char *name, *value;

      priv->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      soup_message_headers_iter_init (&iter, headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        soup_message_headers_append (priv->headers, name, value);
    }

  return self;
}

/**
 * eap_web_completed_args_get_uri:
 * @self: an [class@Eap.WebCompletedArgs]
 *
 * Gets the URI of the last request, after redirects.
 *
 * Returns: (nullable): the URI; a URI that was not valid is given as it
 *   was passed
 *
 * Since: 0.1
 */
const char *
eap_web_completed_args_get_uri (EapWebCompletedArgs *self)
{
  EapWebCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_WEB_COMPLETED_ARGS (self), NULL);

  priv = eap_web_completed_args_get_instance_private (self);
  return priv->uri;
}

/**
 * eap_web_completed_args_get_status:
 * @self: an [class@Eap.WebCompletedArgs]
 *
 * Gets the HTTP status code of the last response.
 *
 * Returns: the status code, or 0 when no response arrived
 *
 * Since: 0.1
 */
guint
eap_web_completed_args_get_status (EapWebCompletedArgs *self)
{
  EapWebCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_WEB_COMPLETED_ARGS (self), 0);

  priv = eap_web_completed_args_get_instance_private (self);
  return priv->status;
}

/**
 * eap_web_completed_args_get_reason_phrase:
 * @self: an [class@Eap.WebCompletedArgs]
 *
 * Gets the reason phrase of the last response.
 *
 * Returns: (nullable): the reason phrase, or `NULL` when no response arrived
 *
 * Since: 0.1
 */
const char *
eap_web_completed_args_get_reason_phrase (EapWebCompletedArgs *self)
{
  EapWebCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_WEB_COMPLETED_ARGS (self), NULL);

  priv = eap_web_completed_args_get_instance_private (self);
  return priv->reason_phrase;
}

/**
 * eap_web_completed_args_get_response_header:
 * @self: an [class@Eap.WebCompletedArgs]
 * @name: a header name, in any case
 *
 * Gets a header of the last response. A header that came several times
 * is given as its values joined by ", ".
 *
 * Returns: (nullable): the value, or `NULL` when the response had no such
 *   header or there was no response
 *
 * Since: 0.1
 */
const char *
eap_web_completed_args_get_response_header (EapWebCompletedArgs *self,
                                            const char          *name)
{
  EapWebCompletedArgsPrivate *priv;

  g_return_val_if_fail (EAP_IS_WEB_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  priv = eap_web_completed_args_get_instance_private (self);
  if (priv->headers == NULL)
    return NULL;

  /* get_list caches the joined value in the headers, which nobody else
   * can change: the copy is ours. */
  return soup_message_headers_get_list (priv->headers, name);
}

/**
 * eap_web_completed_args_dup_response_header_names:
 * @self: an [class@Eap.WebCompletedArgs]
 *
 * Lists the names of the headers of the last response, each once, in the
 * order they first came.
 *
 * Returns: (transfer full) (array zero-terminated=1): the names, an empty
 *   array when there was no response
 *
 * Since: 0.1
 */
char **
eap_web_completed_args_dup_response_header_names (EapWebCompletedArgs *self)
{
  EapWebCompletedArgsPrivate *priv;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autoptr(GHashTable) seen = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_return_val_if_fail (EAP_IS_WEB_COMPLETED_ARGS (self), NULL);

  priv = eap_web_completed_args_get_instance_private (self);
  builder = g_strv_builder_new ();
  if (priv->headers == NULL)
    return g_strv_builder_end (builder);

  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  soup_message_headers_iter_init (&iter, priv->headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      char *key = g_ascii_strdown (name, -1);

      if (g_hash_table_add (seen, key))
        g_strv_builder_add (builder, name);
    }

  return g_strv_builder_end (builder);
}

/* The subclasses: one per operation, each with its result. */

/**
 * EapDownloadFileCompletedArgs:
 *
 * The completed args of [method@Eap.WebClient.download_file_async]
 * (operation `download-file`).
 *
 * Since: 0.1
 */
struct _EapDownloadFileCompletedArgs
{
  EapWebCompletedArgs parent_instance;

  char               *path;   /* (owned) (nullable) */
  gint64              size;
};

G_DEFINE_FINAL_TYPE (EapDownloadFileCompletedArgs, eap_download_file_completed_args,
                     EAP_TYPE_WEB_COMPLETED_ARGS)

static void
eap_download_file_completed_args_finalize (GObject *object)
{
  EapDownloadFileCompletedArgs *self = (EapDownloadFileCompletedArgs *) object;

  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (eap_download_file_completed_args_parent_class)->finalize (object);
}

static void
eap_download_file_completed_args_class_init (EapDownloadFileCompletedArgsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eap_download_file_completed_args_finalize;
}

static void
eap_download_file_completed_args_init (EapDownloadFileCompletedArgs *self)
{
  self->size = -1;
}

void
_eap_download_file_completed_args_set (EapDownloadFileCompletedArgs *self,
                                       const char                   *path,
                                       gint64                        size)
{
  g_assert (self->path == NULL);

  self->path = g_strdup (path);
  self->size = size;
}

/**
 * eap_download_file_completed_args_get_path:
 * @self: an [class@Eap.DownloadFileCompletedArgs]
 * @error: return location for the operation's error
 *
 * Gets the path of the file the download was saved to. It raises the
 * operation's outcome first: `NULL` with a copy of the error when it
 * failed, with %G_IO_ERROR_CANCELLED when it was cancelled.
 *
 * Returns: (nullable) (type filename): the path, owned by @self
 *
 * Since: 0.1
 */
const char *
eap_download_file_completed_args_get_path (EapDownloadFileCompletedArgs  *self,
                                           GError                       **error)
{
  g_return_val_if_fail (EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;

  return self->path;
}

/**
 * eap_download_file_completed_args_get_size:
 * @self: an [class@Eap.DownloadFileCompletedArgs]
 * @error: return location for the operation's error
 *
 * Gets the size of the saved file, in bytes. It raises the operation's
 * outcome first, as [method@Eap.DownloadFileCompletedArgs.get_path] does.
 *
 * Returns: the size, or -1 with @error set
 *
 * Since: 0.1
 */
gint64
eap_download_file_completed_args_get_size (EapDownloadFileCompletedArgs  *self,
                                           GError                       **error)
{
  g_return_val_if_fail (EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return -1;

  return self->size;
}

/**
 * EapDownloadBytesCompletedArgs:
 *
 * The completed args of [method@Eap.WebClient.download_bytes_async]
 * (operation `download-bytes`).
 *
 * Since: 0.1
 */
struct _EapDownloadBytesCompletedArgs
{
  EapWebCompletedArgs parent_instance;

  GBytes             *bytes;  /* (owned) (nullable) */
};

G_DEFINE_FINAL_TYPE (EapDownloadBytesCompletedArgs, eap_download_bytes_completed_args,
                     EAP_TYPE_WEB_COMPLETED_ARGS)

static void
eap_download_bytes_completed_args_finalize (GObject *object)
{
  EapDownloadBytesCompletedArgs *self = (EapDownloadBytesCompletedArgs *) object;

  g_clear_pointer (&self->bytes, g_bytes_unref);

  G_OBJECT_CLASS (eap_download_bytes_completed_args_parent_class)->finalize (object);
}

static void
eap_download_bytes_completed_args_class_init (EapDownloadBytesCompletedArgsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eap_download_bytes_completed_args_finalize;
}

static void
eap_download_bytes_completed_args_init (EapDownloadBytesCompletedArgs *self)
{
}

void
_eap_download_bytes_completed_args_set (EapDownloadBytesCompletedArgs *self,
                                        GBytes                        *bytes)
{
  g_assert (self->bytes == NULL);

  self->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
}

/**
 * eap_download_bytes_completed_args_get_bytes:
 * @self: an [class@Eap.DownloadBytesCompletedArgs]
 * @error: return location for the operation's error
 *
 * Gets the response body. It raises the operation's outcome first: `NULL`
 * with a copy of the error when it failed, with %G_IO_ERROR_CANCELLED
 * when it was cancelled.
 *
 * Returns: (nullable) (transfer none): the body, owned by @self
 *
 * Since: 0.1
 */
GBytes *
eap_download_bytes_completed_args_get_bytes (EapDownloadBytesCompletedArgs  *self,
                                             GError                        **error)
{
  g_return_val_if_fail (EAP_IS_DOWNLOAD_BYTES_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;

  return self->bytes;
}

/**
 * EapDownloadStringCompletedArgs:
 *
 * The completed args of [method@Eap.WebClient.download_string_async]
 * (operation `download-string`).
 *
 * Since: 0.1
 */
struct _EapDownloadStringCompletedArgs
{
  EapWebCompletedArgs parent_instance;

  char               *text;   /* (owned) (nullable): UTF-8 */
};

G_DEFINE_FINAL_TYPE (EapDownloadStringCompletedArgs, eap_download_string_completed_args,
                     EAP_TYPE_WEB_COMPLETED_ARGS)

static void
eap_download_string_completed_args_finalize (GObject *object)
{
  EapDownloadStringCompletedArgs *self = (EapDownloadStringCompletedArgs *) object;

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (eap_download_string_completed_args_parent_class)->finalize (object);
}

static void
eap_download_string_completed_args_class_init (EapDownloadStringCompletedArgsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eap_download_string_completed_args_finalize;
}

static void
eap_download_string_completed_args_init (EapDownloadStringCompletedArgs *self)
{
}

void
_eap_download_string_completed_args_set (EapDownloadStringCompletedArgs *self,
                                         char                           *text)
{
  g_assert (self->text == NULL);

  self->text = text;
}

/**
 * eap_download_string_completed_args_get_text:
 * @self: an [class@Eap.DownloadStringCompletedArgs]
 * @error: return location for the operation's error
 *
 * Gets the response body as text, decoded to UTF-8 from the charset of
 * its `Content-Type` (UTF-8 when it names none). It raises the operation's
 * outcome first: `NULL` with a copy of the error when it failed, with
 * %G_IO_ERROR_CANCELLED when it was cancelled.
 *
 * Returns: (nullable): the text, owned by @self
 *
 * Since: 0.1
 */
const char *
eap_download_string_completed_args_get_text (EapDownloadStringCompletedArgs  *self,
                                             GError                         **error)
{
  g_return_val_if_fail (EAP_IS_DOWNLOAD_STRING_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;

  return self->text;
}

/**
 * EapUploadCompletedArgs:
 *
 * The completed args of [method@Eap.WebClient.upload_bytes_async]
 * (operation `upload-bytes`) and [method@Eap.WebClient.upload_file_async]
 * (operation `upload-file`).
 *
 * Since: 0.1
 */
struct _EapUploadCompletedArgs
{
  EapWebCompletedArgs parent_instance;

  GBytes             *response;  /* (owned) (nullable) */
};

G_DEFINE_FINAL_TYPE (EapUploadCompletedArgs, eap_upload_completed_args,
                     EAP_TYPE_WEB_COMPLETED_ARGS)

static void
eap_upload_completed_args_finalize (GObject *object)
{
  EapUploadCompletedArgs *self = (EapUploadCompletedArgs *) object;

  g_clear_pointer (&self->response, g_bytes_unref);

  G_OBJECT_CLASS (eap_upload_completed_args_parent_class)->finalize (object);
}

static void
eap_upload_completed_args_class_init (EapUploadCompletedArgsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eap_upload_completed_args_finalize;
}

static void
eap_upload_completed_args_init (EapUploadCompletedArgs *self)
{
}

void
_eap_upload_completed_args_set (EapUploadCompletedArgs *self,
                                GBytes                 *response)
{
  g_assert (self->response == NULL);

  self->response = response != NULL ? g_bytes_ref (response) : NULL;
}

/**
 * eap_upload_completed_args_get_response:
 * @self: an [class@Eap.UploadCompletedArgs]
 * @error: return location for the operation's error
 *
 * Gets the body of the server's response to the upload. It raises the
 * operation's outcome first: `NULL` with a copy of the error when it
 * failed, with %G_IO_ERROR_CANCELLED when it was cancelled.
 *
 * Returns: (nullable) (transfer none): the response body, owned by @self
 *
 * Since: 0.1
 */
GBytes *
eap_upload_completed_args_get_response (EapUploadCompletedArgs  *self,
                                        GError                 **error)
{
  g_return_val_if_fail (EAP_IS_UPLOAD_COMPLETED_ARGS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return NULL;

  return self->response;
}
