/* eap-web-client.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-web-client.h"

#include "eap-web-client-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/**
 * EapWebClient:
 *
 * Downloads and uploads over HTTP and HTTPS with libsoup 3, reporting
 * progress and outcome as signals in the main context of the thread that
 * started each transfer: .NET's `WebClient`, without its flaws. One client
 * runs any number of transfers at once, told apart by their user state.
 *
 * Each `…_async` method starts an operation named after it:
 * `download-file`, `download-bytes`, `download-string`, `upload-bytes` and
 * `upload-file`. Progress arrives as
 * [signal@Eap.Component::progress-changed]`::<name>` with an
 * [class@Eap.WebProgressArgs], and the outcome as exactly one
 * [signal@Eap.Component::completed]`::<name>` whose args are always the
 * operation's own subclass of [class@Eap.WebCompletedArgs] (an
 * [class@Eap.DownloadFileCompletedArgs] for `download-file`, and so on),
 * even when it failed or was cancelled. A successful transfer whose size is
 * known reports a last progress at 100% before it completes.
 *
 * Errors a program can branch on:
 *
 * - an HTTP status of 400 or more: %EAP_HTTP_ERROR with the status as
 *   the code (`HTTP 404 Not Found: http://…`);
 * - more redirects than [property@Eap.WebClient:max-redirects], or a
 *   loop: %EAP_HTTP_ERROR_TOO_MANY_REDIRECTS; a redirect from https to
 *   http: %EAP_HTTP_ERROR_REDIRECT_REFUSED, unless
 *   [property@Eap.WebClient:allow-insecure-redirects] is set;
 * - transport errors stay what GIO says, with the URI in the message: a
 *   refused connection %G_IO_ERROR_CONNECTION_REFUSED, an unknown host
 *   %G_RESOLVER_ERROR_NOT_FOUND, a bad certificate a %G_TLS_ERROR, the
 *   [property@Eap.WebClient:timeout] %G_IO_ERROR_TIMED_OUT;
 * - a URI that is not an absolute http or https one:
 *   %G_IO_ERROR_INVALID_ARGUMENT, delivered by `completed` like any other
 *   failure of an accepted operation;
 * - text that does not decode for `download-string`:
 *   %G_IO_ERROR_INVALID_DATA.
 *
 * Files are never damaged: [method@Eap.WebClient.download_file_async]
 * writes to a hidden temporary file beside the destination, fsyncs it and
 * renames it over the destination only when the whole body arrived. On
 * failure or cancellation the temporary file is removed before `completed`
 * is emitted, and an existing destination is left as it was. With
 * [property@Eap.WebClient:resume] the partial file is kept instead, as
 * `<destination>.part`, and the next download of the same destination
 * continues it with a `Range` request.
 *
 * Cancelling ([method@Eap.Component.cancel_async], closing the client)
 * stops the I/O at once: every libsoup and GIO call gets the operation's
 * cancellable, so even a server that stalls mid-body completes the
 * operation as cancelled at the next iteration of its context.
 *
 * Redirects are followed by the client itself, not by libsoup
 * (`SOUP_MESSAGE_NO_REDIRECT`), so that it can count them, refuse https to
 * http (see [property@Eap.WebClient:allow-insecure-redirects]) and report
 * the final URI: 301, 302 and 303 turn a `POST` into a
 * `GET` without a body (303 turns every method but `HEAD` into `GET`), 307
 * and 308 repeat the request as it was, body included.
 *
 * The settings that belong to libsoup's session
 * ([property@Eap.WebClient:timeout],
 * [property@Eap.WebClient:max-connections-per-host],
 * [property@Eap.WebClient:tls-database]) apply to transfers started after
 * they change: the client then makes a new session for those, while the
 * transfers in flight finish on the old one. A client also makes a new
 * session when it is used from another main context than the one its
 * session was made in, as libsoup binds a session's asynchronous I/O to
 * one context. The other settings (user agent, request headers,
 * redirects, resume) are read when each transfer starts.
 *
 * The blocking twins ([method@Eap.WebClient.download_file] and the rest)
 * do the same work with blocking I/O in the calling thread, which may be
 * any thread: they start no operation and emit nothing.
 *
 * ```c
 * static void
 * on_done (EapComponent *client, EapCompletedArgs *args, gpointer data)
 * {
 *   g_autoptr(GError) error = NULL;
 *   const char *path;
 *
 *   path = eap_download_file_completed_args_get_path (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args),
 *                                                     &error);
 *   if (path != NULL)
 *     g_print ("saved %s\n", path);
 *   else
 *     g_printerr ("failed: %s\n", error->message);   // failed or cancelled
 * }
 *
 * …
 *   g_autoptr(EapWebClient) client = eap_web_client_new ();
 *   g_autoptr(GError) error = NULL;
 *
 *   g_signal_connect (client, "completed::download-file", G_CALLBACK (on_done), NULL);
 *   if (!eap_web_client_download_file_async (client, "http://127.0.0.1:8080/big.iso",
 *                                            "big.iso", NULL, &error))
 *     g_printerr ("not started: %s\n", error->message);
 * ```
 *
 * Since: 0.1
 */

#define BUFFER_SIZE                 (64 * 1024)
#define WRITEBACK_WINDOW            (8 * 1024 * 1024)
/* How many chunks one wake-up of the context takes at most when more are
 * already there: fewer trips through the main loop, and still a yield to
 * the context's other sources every 1 MiB. */
#define MAX_CHUNKS_PER_WAKEUP       16
#define DEFAULT_TIMEOUT_S           60
#define DEFAULT_MAX_CONNS_PER_HOST  6
#define DEFAULT_MAX_REDIRECTS       20
/* Content-Length is the server's word: never reserve more than this on
 * it, read-ahead included. A server that claims 1 GiB and sends 10 bytes
 * must not cost 1 GiB: GArray rounds a reservation up to a power of two
 * (1 GiB + 64 KiB became 2 GiB of address space), and with
 * G_DEBUG=gc-friendly it zeroes it, so it was RSS too. A larger body grows
 * the array as its bytes arrive, doubling, which is amortised O(1). */
#define MAX_PREALLOCATION           ((gint64) 16 * 1024 * 1024)

struct _EapWebClient
{
  EapComponent        parent_instance;

  GMutex              lock;               /* guards every field below: twins run in any thread */
  SoupSession        *session;            /* (owned) (nullable): made on demand */
  GMainContext       *session_context;    /* (owned) (nullable): where @session was made */
  char               *user_agent;         /* (owned) */
  guint               timeout_s;
  guint               max_conns_per_host;
  guint               max_redirects;
  gboolean            allow_insecure_redirects;
  GTlsDatabase       *tls_database;       /* (owned) (nullable) */
  gboolean            resume;
  SoupMessageHeaders *request_headers;    /* (owned) */
};

enum {
  PROP_0,
  PROP_USER_AGENT,
  PROP_TIMEOUT,
  PROP_MAX_CONNECTIONS_PER_HOST,
  PROP_MAX_REDIRECTS,
  PROP_ALLOW_INSECURE_REDIRECTS,
  PROP_TLS_DATABASE,
  PROP_RESUME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EapWebClient, eap_web_client, EAP_TYPE_COMPONENT)

/**
 * eap_http_error_quark:
 *
 * Gets the quark of the %EAP_HTTP_ERROR domain.
 *
 * Returns: the error domain of HTTP failures
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (eap-http-error-quark, eap_http_error)

typedef enum
{
  KIND_FILE,
  KIND_BYTES,
  KIND_STRING,
  KIND_UPLOAD,
} Kind;

/* One transfer, from its start to its completion: the async operations
 * and the blocking twins share it, and every step below but the I/O
 * calls themselves. */
typedef struct
{
  EapWebClient       *self;             /* (owned) */
  EapOperation       *operation;        /* (owned) (nullable): NULL for the twins */
  GCancellable       *cancellable;      /* (owned) (nullable) */
  SoupSession        *session;          /* (owned) */
  Kind                kind;

  /* The request, snapshot at the start. */
  char               *uri;              /* (owned): the current one, after redirects */
  GUri               *guri;             /* (owned) (nullable): @uri parsed */
  char               *method;           /* (owned) */
  SoupMessageHeaders *request_headers;  /* (owned): User-Agent included */
  guint               max_redirects;
  guint               n_redirects;
  gboolean            allow_insecure_redirects;
  gboolean            resume;
  GBytes             *upload_bytes;     /* (owned) (nullable) */
  char               *upload_path;      /* (owned) (nullable) */
  char               *content_type;     /* (owned) (nullable) */
  gint64              total_to_send;    /* 0 for downloads */
  gint64              bytes_sent;

  /* The response. */
  SoupMessage        *message;          /* (owned) (nullable): the last one sent */
  GInputStream       *body;             /* (owned) (nullable) */
  guint8             *buffer;           /* (owned) */
  gint64              bytes_received;
  gint64              total_bytes;      /* -1 unknown */
  gboolean            redirecting;      /* the body is discarded, then @uri is requested */
  gboolean            partial_complete; /* a 416 for a .part that already has it all */
  GError             *pending_error;    /* (owned) (nullable): reported once the body is discarded */

  /* Where the body goes. */
  GByteArray         *data;             /* (owned) (nullable): bytes, string, upload; its
                                         * length runs BUFFER_SIZE ahead of @data_size */
  gsize               data_size;        /* the bytes of @data received */
  char               *dest_path;        /* (owned) (nullable): download-file */
  char               *tmp_path;         /* (owned) (nullable): the temporary or .part file */
  int                 fd;               /* on @tmp_path, or -1 */
  gint64              written;          /* bytes written to @fd by this transfer */
  gint64              flushed;          /* of @written, handed to writeback already */
  gint64              resume_offset;

  /* The result, once finished. */
  GBytes             *result_bytes;     /* (owned) (nullable) */
  char               *result_text;      /* (owned) (nullable) */
} Transfer;

static void
eap_web_client_dispose (GObject *object)
{
  EapWebClient *self = (EapWebClient *) object;

  /* Cancels every operation (EapComponent's dispose closes). Transfers in
   * flight hold their own reference to their session and finish on it:
   * the last one to go drops it. */
  G_OBJECT_CLASS (eap_web_client_parent_class)->dispose (object);

  g_mutex_lock (&self->lock);
  g_clear_object (&self->session);
  g_clear_pointer (&self->session_context, g_main_context_unref);
  g_clear_object (&self->tls_database);
  g_mutex_unlock (&self->lock);
}

static void
eap_web_client_finalize (GObject *object)
{
  EapWebClient *self = (EapWebClient *) object;

  g_clear_pointer (&self->user_agent, g_free);
  g_clear_pointer (&self->request_headers, soup_message_headers_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (eap_web_client_parent_class)->finalize (object);
}

static void
eap_web_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EapWebClient *self = EAP_WEB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_USER_AGENT:
      g_mutex_lock (&self->lock);
      g_value_set_string (value, self->user_agent);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, eap_web_client_get_timeout (self));
      break;
    case PROP_MAX_CONNECTIONS_PER_HOST:
      g_value_set_uint (value, eap_web_client_get_max_connections_per_host (self));
      break;
    case PROP_MAX_REDIRECTS:
      g_value_set_uint (value, eap_web_client_get_max_redirects (self));
      break;
    case PROP_ALLOW_INSECURE_REDIRECTS:
      g_value_set_boolean (value, eap_web_client_get_allow_insecure_redirects (self));
      break;
    case PROP_TLS_DATABASE:
      g_mutex_lock (&self->lock);
      g_value_set_object (value, self->tls_database);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_RESUME:
      g_value_set_boolean (value, eap_web_client_get_resume (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_web_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EapWebClient *self = EAP_WEB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_USER_AGENT:
      eap_web_client_set_user_agent (self, g_value_get_string (value));
      break;
    case PROP_TIMEOUT:
      eap_web_client_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONNECTIONS_PER_HOST:
      eap_web_client_set_max_connections_per_host (self, g_value_get_uint (value));
      break;
    case PROP_MAX_REDIRECTS:
      eap_web_client_set_max_redirects (self, g_value_get_uint (value));
      break;
    case PROP_ALLOW_INSECURE_REDIRECTS:
      eap_web_client_set_allow_insecure_redirects (self, g_value_get_boolean (value));
      break;
    case PROP_TLS_DATABASE:
      eap_web_client_set_tls_database (self, g_value_get_object (value));
      break;
    case PROP_RESUME:
      eap_web_client_set_resume (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eap_web_client_class_init (EapWebClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eap_web_client_dispose;
  object_class->finalize = eap_web_client_finalize;
  object_class->get_property = eap_web_client_get_property;
  object_class->set_property = eap_web_client_set_property;

  /**
   * EapWebClient:user-agent:
   *
   * The `User-Agent` header of every request, `eap/<version>` by default.
   * A `User-Agent` set with [method@Eap.WebClient.set_request_header]
   * wins over it. `NULL` or an empty string sends none.
   *
   * Since: 0.1
   */
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL,
                         "eap/" PACKAGE_VERSION,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapWebClient:timeout:
   *
   * How long, in seconds, a transfer may wait for the network (to connect,
   * or for the next bytes) before it fails with %G_IO_ERROR_TIMED_OUT; 0
   * waits for ever. It is libsoup's `SoupSession:timeout`, so it bounds each
   * wait, not the whole transfer. Default: 60.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_TIMEOUT_S,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapWebClient:max-connections-per-host:
   *
   * How many connections the client opens to one host at the most;
   * further transfers to it wait for a free connection. Default: 6.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_CONNECTIONS_PER_HOST] =
    g_param_spec_uint ("max-connections-per-host", NULL, NULL,
                       1, G_MAXUINT16, DEFAULT_MAX_CONNS_PER_HOST,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapWebClient:max-redirects:
   *
   * How many redirects one transfer follows; one more fails it with
   * %EAP_HTTP_ERROR_TOO_MANY_REDIRECTS. 0 follows none. Default: 20.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_REDIRECTS] =
    g_param_spec_uint ("max-redirects", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_REDIRECTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * EapWebClient:allow-insecure-redirects:
   *
   * Whether a transfer follows a redirect from https to http. By default
   * it does not: such a redirect fails the transfer with
   * %EAP_HTTP_ERROR_REDIRECT_REFUSED before anything is sent to the http
   * URI, as the request (its headers, cookies, an upload's body) would
   * otherwise leave in clear text, and the answer could be forged on the
   * way. Set it only for servers known to do this on purpose, on networks
   * you trust. Redirects from http to https, and between two http or two
   * https URIs, are always followed. Default: `FALSE`.
   *
   * Since: 0.1
   */
  properties[PROP_ALLOW_INSECURE_REDIRECTS] =
    g_param_spec_boolean ("allow-insecure-redirects", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * EapWebClient:tls-database:
   *
   * The certificate authorities that https servers are checked against,
   * such as a private CA; `NULL` uses the system's. Certificates are always
   * checked: a server whose certificate does not verify fails the
   * transfer with a %G_TLS_ERROR.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL,
                         G_TYPE_TLS_DATABASE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * EapWebClient:resume:
   *
   * Whether [method@Eap.WebClient.download_file_async] keeps what it got of
   * a failed or cancelled download, as `<destination>.part`, and continues
   * it next time with a `Range` request.
   *
   * When it continues: a 206 answer is appended; a 200 (the server ignored
   * the range) starts over; a 416 completes the download when the partial
   * file already holds the whole resource (the `Content-Range` of the answer
   * gives its size), and otherwise fails with
   * %EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE and removes the partial file, so
   * the next try starts from scratch. Default: `FALSE`.
   *
   * Since: 0.1
   */
  properties[PROP_RESUME] =
    g_param_spec_boolean ("resume", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
eap_web_client_init (EapWebClient *self)
{
  g_mutex_init (&self->lock);
  self->user_agent = g_strdup ("eap/" PACKAGE_VERSION);
  self->timeout_s = DEFAULT_TIMEOUT_S;
  self->max_conns_per_host = DEFAULT_MAX_CONNS_PER_HOST;
  self->max_redirects = DEFAULT_MAX_REDIRECTS;
  self->request_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
}

/**
 * eap_web_client_new:
 *
 * Creates a web client with the default settings.
 *
 * Returns: (transfer full): a new [class@Eap.WebClient]
 *
 * Since: 0.1
 */
EapWebClient *
eap_web_client_new (void)
{
  return g_object_new (EAP_TYPE_WEB_CLIENT, NULL);
}

/* Settings */

/* Drops the session after a change of one of its settings; the next
 * transfer makes a new one. Called with the lock held. */
static void
forget_session_locked (EapWebClient *self)
{
  g_clear_object (&self->session);
  g_clear_pointer (&self->session_context, g_main_context_unref);
}

/* Sets *@field to @value and forgets the session if it changed; notifies
 * @pspec then, outside the lock. */
static void
set_session_uint (EapWebClient *self,
                  guint        *field,
                  guint         value,
                  GParamSpec   *pspec)
{
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = *field != value;
  if (changed)
    {
      *field = value;
      forget_session_locked (self);
    }
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static guint
get_uint (EapWebClient *self,
          const guint  *field)
{
  guint value;

  g_mutex_lock (&self->lock);
  value = *field;
  g_mutex_unlock (&self->lock);

  return value;
}

/**
 * eap_web_client_get_user_agent:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:user-agent].
 *
 * Returns: (nullable): the user agent, valid until it is changed
 *
 * Since: 0.1
 */
const char *
eap_web_client_get_user_agent (EapWebClient *self)
{
  const char *user_agent;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);

  g_mutex_lock (&self->lock);
  user_agent = self->user_agent;
  g_mutex_unlock (&self->lock);

  return user_agent;
}

/**
 * eap_web_client_set_user_agent:
 * @self: an [class@Eap.WebClient]
 * @user_agent: (nullable): the `User-Agent` header, or `NULL` for none
 *
 * Sets the [property@Eap.WebClient:user-agent] of the transfers started
 * after this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_user_agent (EapWebClient *self,
                               const char   *user_agent)
{
  gboolean changed;

  g_return_if_fail (EAP_IS_WEB_CLIENT (self));

  g_mutex_lock (&self->lock);
  changed = g_strcmp0 (self->user_agent, user_agent) != 0;
  if (changed)
    {
      g_free (self->user_agent);
      self->user_agent = g_strdup (user_agent);
    }
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_AGENT]);
}

/**
 * eap_web_client_get_timeout:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:timeout].
 *
 * Returns: the timeout in seconds, 0 for none
 *
 * Since: 0.1
 */
guint
eap_web_client_get_timeout (EapWebClient *self)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), 0);

  return get_uint (self, &self->timeout_s);
}

/**
 * eap_web_client_set_timeout:
 * @self: an [class@Eap.WebClient]
 * @timeout_s: the timeout in seconds, 0 for none
 *
 * Sets the [property@Eap.WebClient:timeout] of the transfers started after
 * this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_timeout (EapWebClient *self,
                            guint         timeout_s)
{
  g_return_if_fail (EAP_IS_WEB_CLIENT (self));

  set_session_uint (self, &self->timeout_s, timeout_s, properties[PROP_TIMEOUT]);
}

/**
 * eap_web_client_get_max_connections_per_host:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:max-connections-per-host].
 *
 * Returns: the most connections to one host
 *
 * Since: 0.1
 */
guint
eap_web_client_get_max_connections_per_host (EapWebClient *self)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), 0);

  return get_uint (self, &self->max_conns_per_host);
}

/**
 * eap_web_client_set_max_connections_per_host:
 * @self: an [class@Eap.WebClient]
 * @max: the most connections to one host, at least 1
 *
 * Sets the [property@Eap.WebClient:max-connections-per-host] of the
 * transfers started after this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_max_connections_per_host (EapWebClient *self,
                                             guint         max)
{
  g_return_if_fail (EAP_IS_WEB_CLIENT (self));
  g_return_if_fail (max >= 1 && max <= G_MAXUINT16);

  set_session_uint (self, &self->max_conns_per_host, max,
                    properties[PROP_MAX_CONNECTIONS_PER_HOST]);
}

/**
 * eap_web_client_get_max_redirects:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:max-redirects].
 *
 * Returns: the most redirects one transfer follows
 *
 * Since: 0.1
 */
guint
eap_web_client_get_max_redirects (EapWebClient *self)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), 0);

  return get_uint (self, &self->max_redirects);
}

/**
 * eap_web_client_set_max_redirects:
 * @self: an [class@Eap.WebClient]
 * @max: the most redirects one transfer follows
 *
 * Sets the [property@Eap.WebClient:max-redirects] of the transfers started
 * after this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_max_redirects (EapWebClient *self,
                                  guint         max)
{
  gboolean changed;

  g_return_if_fail (EAP_IS_WEB_CLIENT (self));

  g_mutex_lock (&self->lock);
  changed = self->max_redirects != max;
  self->max_redirects = max;
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_REDIRECTS]);
}

/**
 * eap_web_client_get_allow_insecure_redirects:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:allow-insecure-redirects].
 *
 * Returns: whether redirects from https to http are followed
 *
 * Since: 0.1
 */
gboolean
eap_web_client_get_allow_insecure_redirects (EapWebClient *self)
{
  gboolean allow;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);

  g_mutex_lock (&self->lock);
  allow = self->allow_insecure_redirects;
  g_mutex_unlock (&self->lock);

  return allow;
}

/**
 * eap_web_client_set_allow_insecure_redirects:
 * @self: an [class@Eap.WebClient]
 * @allow: whether to follow redirects from https to http
 *
 * Sets the [property@Eap.WebClient:allow-insecure-redirects] of the
 * transfers started after this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_allow_insecure_redirects (EapWebClient *self,
                                             gboolean      allow)
{
  gboolean changed;

  g_return_if_fail (EAP_IS_WEB_CLIENT (self));

  allow = !!allow;
  g_mutex_lock (&self->lock);
  changed = self->allow_insecure_redirects != allow;
  self->allow_insecure_redirects = allow;
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOW_INSECURE_REDIRECTS]);
}

/**
 * eap_web_client_get_tls_database:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:tls-database].
 *
 * Returns: (transfer none) (nullable): the database, or `NULL` for the
 *   system's
 *
 * Since: 0.1
 */
GTlsDatabase *
eap_web_client_get_tls_database (EapWebClient *self)
{
  GTlsDatabase *database;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);

  g_mutex_lock (&self->lock);
  database = self->tls_database;
  g_mutex_unlock (&self->lock);

  return database;
}

/**
 * eap_web_client_set_tls_database:
 * @self: an [class@Eap.WebClient]
 * @database: (nullable): the certificate authorities to trust, or `NULL`
 *   for the system's
 *
 * Sets the [property@Eap.WebClient:tls-database] of the transfers started
 * after this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_tls_database (EapWebClient *self,
                                 GTlsDatabase *database)
{
  gboolean changed;

  g_return_if_fail (EAP_IS_WEB_CLIENT (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  g_mutex_lock (&self->lock);
  changed = g_set_object (&self->tls_database, database);
  if (changed)
    forget_session_locked (self);
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}

/**
 * eap_web_client_get_resume:
 * @self: an [class@Eap.WebClient]
 *
 * Gets the [property@Eap.WebClient:resume].
 *
 * Returns: whether failed downloads are kept to be continued
 *
 * Since: 0.1
 */
gboolean
eap_web_client_get_resume (EapWebClient *self)
{
  gboolean resume;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);

  g_mutex_lock (&self->lock);
  resume = self->resume;
  g_mutex_unlock (&self->lock);

  return resume;
}

/**
 * eap_web_client_set_resume:
 * @self: an [class@Eap.WebClient]
 * @resume: whether to keep failed downloads and continue them
 *
 * Sets the [property@Eap.WebClient:resume] of the downloads started after
 * this call.
 *
 * Since: 0.1
 */
void
eap_web_client_set_resume (EapWebClient *self,
                           gboolean      resume)
{
  gboolean changed;

  g_return_if_fail (EAP_IS_WEB_CLIENT (self));

  resume = !!resume;
  g_mutex_lock (&self->lock);
  changed = self->resume != resume;
  self->resume = resume;
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESUME]);
}

/**
 * eap_web_client_set_request_header:
 * @self: an [class@Eap.WebClient]
 * @name: a header name
 * @value: (nullable): its value, or `NULL` to stop sending it
 *
 * Sets a header that every request started after this call sends,
 * replacing any earlier value of it (`Accept`, `Authorization`,
 * `User-Agent`…). It is sent again after redirects, to whatever host.
 *
 * Since: 0.1
 */
void
eap_web_client_set_request_header (EapWebClient *self,
                                   const char   *name,
                                   const char   *value)
{
  g_return_if_fail (EAP_IS_WEB_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');

  g_mutex_lock (&self->lock);
  if (value != NULL)
    soup_message_headers_replace (self->request_headers, name, value);
  else
    soup_message_headers_remove (self->request_headers, name);
  g_mutex_unlock (&self->lock);
}

/**
 * eap_web_client_get_request_header:
 * @self: an [class@Eap.WebClient]
 * @name: a header name, in any case
 *
 * Gets a header set with [method@Eap.WebClient.set_request_header].
 *
 * Returns: (nullable): its value, valid until it is changed, or `NULL`
 *   when it is not set
 *
 * Since: 0.1
 */
const char *
eap_web_client_get_request_header (EapWebClient *self,
                                   const char   *name)
{
  const char *value;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  g_mutex_lock (&self->lock);
  value = soup_message_headers_get_one (self->request_headers, name);
  g_mutex_unlock (&self->lock);

  return value;
}

/* Sessions */

static SoupSession *
new_session_locked (EapWebClient *self)
{
  SoupSession *session;

  session = g_object_new (SOUP_TYPE_SESSION,
                          "max-conns-per-host", (int) self->max_conns_per_host,
                          "max-conns", (int) MAX (self->max_conns_per_host * 4, 24),
                          "timeout", self->timeout_s,
                          NULL);
  /* NULL keeps libsoup's default, the system database. */
  if (self->tls_database != NULL)
    soup_session_set_tls_database (session, self->tls_database);

  return session;
}

static gboolean
is_thread_default (GMainContext *context)
{
  GMainContext *current = g_main_context_get_thread_default ();

  return context == (current != NULL ? current : g_main_context_default ());
}

/* The session for a transfer. @context: (nullable): the context an async
 * transfer runs in, which must be the calling thread's thread-default: a
 * session made in another context is replaced. A blocking twin (NULL)
 * takes the session as it is, as libsoup 3.2 lets any thread send
 * synchronously. */
static SoupSession *
dup_session (EapWebClient *self,
             GMainContext *context)
{
  SoupSession *session;

  g_assert (context == NULL || is_thread_default (context));

  g_mutex_lock (&self->lock);
  if (self->session == NULL ||
      (context != NULL && self->session_context != context))
    {
      forget_session_locked (self);
      self->session = new_session_locked (self);
      self->session_context = context != NULL ?
        g_main_context_ref (context) : g_main_context_ref_thread_default ();
    }
  session = g_object_ref (self->session);
  g_mutex_unlock (&self->lock);

  return session;
}

/* Transfers */

static Transfer *
transfer_new (EapWebClient *self,
              Kind          kind,
              EapOperation *operation,
              GCancellable *cancellable,
              const char   *uri)
{
  Transfer *t = g_new0 (Transfer, 1);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  t->self = g_object_ref (self);
  t->kind = kind;
  t->operation = operation != NULL ? g_object_ref (operation) : NULL;
  if (operation != NULL)
    cancellable = eap_operation_get_cancellable (operation);
  t->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  t->session = dup_session (self, operation != NULL ? eap_operation_get_context (operation) : NULL);
  t->uri = g_strdup (uri);
  t->method = g_strdup (SOUP_METHOD_GET);
  t->total_bytes = -1;
  t->fd = -1;

  t->request_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_mutex_lock (&self->lock);
  if (self->user_agent != NULL && *self->user_agent != '\0')
    soup_message_headers_replace (t->request_headers, "User-Agent", self->user_agent);
  soup_message_headers_iter_init (&iter, self->request_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    soup_message_headers_replace (t->request_headers, name, value);
  t->max_redirects = self->max_redirects;
  t->allow_insecure_redirects = self->allow_insecure_redirects;
  t->resume = self->resume;
  g_mutex_unlock (&self->lock);

  return t;
}

/* Closes and, unless it is a partial download worth continuing, removes
 * the temporary file. Idempotent; runs before completed is emitted. */
static void
transfer_cleanup (Transfer *t)
{
  if (t->fd >= 0)
    {
      close (t->fd);
      t->fd = -1;
    }

  if (t->tmp_path != NULL)
    {
      if (!t->resume || t->bytes_received == 0)
        g_unlink (t->tmp_path);
      g_clear_pointer (&t->tmp_path, g_free);
    }
}

static void
transfer_free (Transfer *t)
{
  transfer_cleanup (t);

  g_clear_object (&t->body);
  g_clear_object (&t->message);
  g_clear_object (&t->session);
  g_clear_object (&t->cancellable);
  g_clear_object (&t->operation);
  g_clear_object (&t->self);
  g_clear_pointer (&t->uri, g_free);
  g_clear_pointer (&t->guri, g_uri_unref);
  g_clear_pointer (&t->method, g_free);
  g_clear_pointer (&t->request_headers, soup_message_headers_unref);
  g_clear_pointer (&t->upload_bytes, g_bytes_unref);
  g_clear_pointer (&t->upload_path, g_free);
  g_clear_pointer (&t->content_type, g_free);
  g_clear_pointer (&t->buffer, g_free);
  g_clear_error (&t->pending_error);
  g_clear_pointer (&t->data, g_byte_array_unref);
  g_clear_pointer (&t->dest_path, g_free);
  g_clear_pointer (&t->result_bytes, g_bytes_unref);
  g_clear_pointer (&t->result_text, g_free);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Transfer, transfer_free)

/* Reports the counters after every chunk: the core coalesces reports to
 * one emission per progress-interval and always shows the newest, even
 * when the transfer then stalls, which a throttle here would miss. */
static void
transfer_report_progress (Transfer *t)
{
  if (t->operation == NULL)
    return;   /* a blocking twin: nobody to tell */

  eap_operation_report_progress_args (t->operation,
                                      EAP_PROGRESS_ARGS (_eap_web_progress_args_new (t->bytes_received,
                                                                                     t->total_bytes,
                                                                                     t->bytes_sent,
                                                                                     t->total_to_send)));
}

static GUri *
parse_http_uri (const char  *uri,
                GUri        *base,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUri) guri = NULL;
  const char *scheme;

  guri = base != NULL ? g_uri_parse_relative (base, uri, SOUP_HTTP_URI_FLAGS, &local_error)
                      : g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, &local_error);
  if (guri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid URI “%s”: %s", uri, local_error->message);
      return NULL;
    }

  scheme = g_uri_get_scheme (guri);
  if ((g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0) ||
      g_uri_get_host (guri) == NULL || *g_uri_get_host (guri) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Invalid URI “%s”: not an http or https URI with a host", uri);
      return NULL;
    }

  return g_steal_pointer (&guri);
}

/* Checks what can be checked before any network traffic: the URI and the
 * destination's folder. */
static gboolean
transfer_check (Transfer  *t,
                GError   **error)
{
  g_autofree char *folder = NULL;
  GStatBuf st;

  t->guri = parse_http_uri (t->uri, NULL, error);
  if (t->guri == NULL)
    return FALSE;

  if (t->kind != KIND_FILE)
    return TRUE;

  if (g_stat (t->dest_path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   "Cannot save %s to %s: it is a folder", t->uri, t->dest_path);
      return FALSE;
    }

  folder = g_path_get_dirname (t->dest_path);
  if (g_stat (folder, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot save %s to %s: the folder %s %s", t->uri, t->dest_path, folder,
                   saved_errno == ENOENT ? "does not exist" : g_strerror (saved_errno));
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                   "Cannot save %s to %s: %s is not a folder", t->uri, t->dest_path, folder);
      return FALSE;
    }

  if (t->resume)
    {
      g_autofree char *part = g_strconcat (t->dest_path, ".part", NULL);

      if (g_stat (part, &st) == 0 && S_ISREG (st.st_mode))
        t->resume_offset = st.st_size;
    }

  return TRUE;
}

static void
on_wrote_body_data (SoupMessage *message,
                    guint        chunk_size,
                    gpointer     user_data)
{
  Transfer *t = user_data;

  t->bytes_sent += chunk_size;
  transfer_report_progress (t);
}

/* Makes the message for the current URI and method, body included. */
static gboolean
transfer_build_message (Transfer  *t,
                        GError   **error)
{
  SoupMessageHeaders *headers;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_clear_object (&t->message);
  t->message = soup_message_new_from_uri (t->method, t->guri);
  soup_message_add_flags (t->message, SOUP_MESSAGE_NO_REDIRECT);

  headers = soup_message_get_request_headers (t->message);
  soup_message_headers_iter_init (&iter, t->request_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    soup_message_headers_replace (headers, name, value);

  if (t->resume_offset > 0)
    soup_message_headers_set_range (headers, t->resume_offset, -1);

  t->bytes_sent = 0;
  if (t->upload_bytes != NULL)
    {
      soup_message_set_request_body_from_bytes (t->message, t->content_type, t->upload_bytes);
      t->total_to_send = g_bytes_get_size (t->upload_bytes);
    }
  else if (t->upload_path != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (t->upload_path);
      g_autoptr(GFileInputStream) stream = NULL;
      g_autoptr(GFileInfo) info = NULL;

      stream = g_file_read (file, t->cancellable, error);
      if (stream != NULL)
        info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                               t->cancellable, error);
      if (info == NULL)
        {
          g_prefix_error (error, "Cannot upload %s to %s: ", t->upload_path, t->uri);
          return FALSE;
        }
      t->total_to_send = g_file_info_get_size (info);
      soup_message_set_request_body (t->message, t->content_type, G_INPUT_STREAM (stream),
                                     t->total_to_send);
    }

  if (t->total_to_send > 0)
    g_signal_connect (t->message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), t);

  return TRUE;
}

static gboolean
is_redirect (guint status)
{
  return status == SOUP_STATUS_MOVED_PERMANENTLY || status == SOUP_STATUS_FOUND ||
         status == SOUP_STATUS_SEE_OTHER || status == SOUP_STATUS_TEMPORARY_REDIRECT ||
         status == SOUP_STATUS_PERMANENT_REDIRECT;
}

/* Points the transfer at the Location of a redirect, or fails it. */
static gboolean
transfer_redirect (Transfer  *t,
                   GError   **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (t->message);
  const char *location = soup_message_headers_get_one (headers, "Location");
  guint status = soup_message_get_status (t->message);
  g_autoptr(GUri) target = NULL;

  if (t->n_redirects >= t->max_redirects)
    {
      g_set_error (error, EAP_HTTP_ERROR, EAP_HTTP_ERROR_TOO_MANY_REDIRECTS,
                   "Too many redirects (more than %u) from %s", t->max_redirects, t->uri);
      return FALSE;
    }

  target = parse_http_uri (location, t->guri, error);
  if (target == NULL)
    {
      g_prefix_error (error, "Bad redirect from %s: ", t->uri);
      return FALSE;
    }

  if (!t->allow_insecure_redirects &&
      g_ascii_strcasecmp (g_uri_get_scheme (t->guri), "https") == 0 &&
      g_ascii_strcasecmp (g_uri_get_scheme (target), "http") == 0)
    {
      g_autofree char *target_string = g_uri_to_string (target);

      g_set_error (error, EAP_HTTP_ERROR, EAP_HTTP_ERROR_REDIRECT_REFUSED,
                   "Refused the redirect from %s to %s: it leaves https for http",
                   t->uri, target_string);
      return FALSE;
    }

  /* What browsers and libsoup do: 303 always, and 301/302 for a POST,
   * repeat the request as a GET without a body. */
  if ((status == SOUP_STATUS_SEE_OTHER && g_strcmp0 (t->method, SOUP_METHOD_HEAD) != 0) ||
      ((status == SOUP_STATUS_MOVED_PERMANENTLY || status == SOUP_STATUS_FOUND) &&
       g_strcmp0 (t->method, SOUP_METHOD_POST) == 0))
    {
      g_free (t->method);
      t->method = g_strdup (SOUP_METHOD_GET);
      g_clear_pointer (&t->upload_bytes, g_bytes_unref);
      g_clear_pointer (&t->upload_path, g_free);
      t->total_to_send = 0;
    }

  t->n_redirects++;
  g_uri_unref (t->guri);
  t->guri = g_steal_pointer (&target);
  g_free (t->uri);
  t->uri = g_uri_to_string (t->guri);

  return TRUE;
}

static GError *
http_error_new (SoupMessage *message,
                const char  *uri)
{
  guint status = soup_message_get_status (message);
  const char *reason = soup_message_get_reason_phrase (message);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);

  return g_error_new (EAP_HTTP_ERROR, (int) status, "HTTP %u %s: %s",
                      status, reason != NULL ? reason : "", uri);
}

/* The size that a Content-Range ("bytes A-B/N", or "bytes *\/N" in a 416) gives,
 * or -1. */
static gint64
content_range_size (SoupMessageHeaders *headers)
{
  const char *range = soup_message_headers_get_one (headers, "Content-Range");
  const char *slash;
  gint64 size;
  char *end;

  if (range == NULL || (slash = strchr (range, '/')) == NULL)
    return -1;

  size = g_ascii_strtoll (slash + 1, &end, 10);
  return end != slash + 1 && *end == '\0' && size >= 0 ? size : -1;
}

static gboolean
open_sink_file (Transfer  *t,
                gboolean   append,
                GError   **error)
{
  int saved_errno;

  if (t->resume)
    {
      t->tmp_path = g_strconcat (t->dest_path, ".part", NULL);
      t->fd = g_open (t->tmp_path,
                      O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
    }
  else
    {
      g_autofree char *folder = g_path_get_dirname (t->dest_path);
      g_autofree char *base = g_path_get_basename (t->dest_path);
      g_autofree char *template = g_strdup_printf (".%s.XXXXXX.part", base);

      /* Hidden, beside the destination (so the rename stays on one file
       * system), and never a name another download would pick. */
      t->tmp_path = g_build_filename (folder, template, NULL);
      t->fd = g_mkstemp_full (t->tmp_path, O_WRONLY | O_CLOEXEC, 0666);
    }

  if (t->fd >= 0)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Cannot save %s to %s: %s", t->uri, t->dest_path, g_strerror (saved_errno));
  g_clear_pointer (&t->tmp_path, g_free);
  return FALSE;
}

/* Decides what to do with a response: TRUE to read its body, FALSE to
 * discard it and then follow a redirect, fail with @error, or finish a
 * download that a 416 found complete. */
static gboolean
transfer_on_response (Transfer  *t,
                      GError   **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (t->message);
  guint status = soup_message_get_status (t->message);
  const char *encoding;
  gboolean append = FALSE;
  gint64 length = -1;

  if (is_redirect (status) && soup_message_headers_get_one (headers, "Location") != NULL)
    {
      t->redirecting = transfer_redirect (t, error);
      return FALSE;
    }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && t->resume_offset > 0)
    {
      g_autofree char *part = g_strconcat (t->dest_path, ".part", NULL);

      if (content_range_size (headers) == t->resume_offset)
        {
          t->tmp_path = g_steal_pointer (&part);
          t->bytes_received = t->total_bytes = t->resume_offset;
          t->partial_complete = TRUE;
          return FALSE;
        }
      g_unlink (part);
      g_set_error (error, EAP_HTTP_ERROR, EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE,
                   "HTTP 416 Range Not Satisfiable: %s (could not resume %s; "
                   "the partial download was removed)", t->uri, t->dest_path);
      return FALSE;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_propagate_error (error, http_error_new (t->message, t->uri));
      return FALSE;
    }

  /* A compressed body is counted decoded, so its Content-Length (the
   * compressed size) is no total. */
  encoding = soup_message_headers_get_one (headers, "Content-Encoding");
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (encoding == NULL || g_ascii_strcasecmp (encoding, "identity") == 0))
    length = soup_message_headers_get_content_length (headers);

  if (t->resume_offset > 0 && status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start, end, size;

      if (!soup_message_headers_get_content_range (headers, &start, &end, &size) ||
          start != t->resume_offset)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Could not resume %s: the server sent another range than asked",
                       t->uri);
          return FALSE;
        }
      append = TRUE;
      t->bytes_received = t->resume_offset;
      t->total_bytes = size >= 0 ? size : (length >= 0 ? t->resume_offset + length : -1);
    }
  else
    {
      t->resume_offset = 0;   /* a 200 to a Range request: start over */
      t->total_bytes = length;
    }

  if (t->kind == KIND_FILE)
    {
      t->buffer = g_malloc (BUFFER_SIZE);
      if (!open_sink_file (t, append, error))
        return FALSE;
    }
  else     /* read in place: no copy, and no regrowth when the length is known */
    t->data = g_byte_array_sized_new (CLAMP (length, 0, MAX_PREALLOCATION - BUFFER_SIZE) +
                                      BUFFER_SIZE);

  return TRUE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      gssize n = write (fd, data, size);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      size -= n;
    }

  return TRUE;
}

/* Where the next read goes: the file buffer, or the tail of the body in
 * memory. */
static guint8 *
transfer_read_target (Transfer *t)
{
  if (t->data == NULL)
    return t->buffer;

  g_byte_array_set_size (t->data, t->data_size + BUFFER_SIZE);
  return t->data->data + t->data_size;
}

/* The fsync before the rename is what makes a finished download safe,
 * but on a large file it used to be half the download's time: the page
 * cache held a gigabyte nobody had asked the disk to write yet. Starting
 * writeback every WRITEBACK_WINDOW bytes overlaps it with the download, so
 * the final fsync finds almost nothing to do (bench/bench-download). */
static void
start_writeback (Transfer *t)
{
#ifdef HAVE_SYNC_FILE_RANGE
  if (t->written - t->flushed >= WRITEBACK_WINDOW)
    {
      /* Only starts the writes; a failure here just leaves it to fsync. */
      (void) sync_file_range (t->fd, t->resume_offset + t->flushed,
                              t->written - t->flushed, SYNC_FILE_RANGE_WRITE);
      t->flushed = t->written;
    }
#endif
}

/* Takes the @n bytes just read into transfer_read_target(). */
static gboolean
transfer_consume (Transfer  *t,
                  gsize      n,
                  GError   **error)
{
  if (t->kind == KIND_FILE)
    {
      /* A plain write(2) in the context's thread: 64 KiB to a local
       * disk's page cache is microseconds; fsync comes once, at the end. */
      if (!write_all (t->fd, t->buffer, n))
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot write %s: %s", t->dest_path, g_strerror (saved_errno));
          return FALSE;
        }
      t->written += n;
      start_writeback (t);
    }
  else
    t->data_size += n;

  t->bytes_received += n;
  return TRUE;
}

static char *
decode_text (GBytes              *bytes,
             SoupMessageHeaders  *headers,
             const char          *uri,
             GError             **error)
{
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *charset = NULL;
  const char *data;
  gsize size, out_size;
  char *text;

  data = g_bytes_get_data (bytes, &size);
  if (soup_message_headers_get_content_type (headers, &params) != NULL && params != NULL)
    charset = g_hash_table_lookup (params, "charset");

  if (charset == NULL || g_ascii_strcasecmp (charset, "utf-8") == 0 ||
      g_ascii_strcasecmp (charset, "utf8") == 0)
    {
      if (size >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
        {
          data += 3;   /* a byte order mark is no text */
          size -= 3;
        }
      if (!g_utf8_validate_len (data, size, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The text of %s is not valid UTF-8", uri);
          return NULL;
        }
      return g_strndup (data, size);
    }

  text = g_convert (data, size, "UTF-8", charset, NULL, &out_size, &local_error);
  if (text == NULL || memchr (text, '\0', out_size) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The text of %s is not valid %s%s%s", uri, charset,
                   local_error != NULL ? ": " : "",
                   local_error != NULL ? local_error->message : "");
      g_free (text);
      return NULL;
    }

  return text;
}

/* The whole body is in: make the result. */
static gboolean
transfer_finish (Transfer  *t,
                 GError   **error)
{
  if (t->kind == KIND_FILE)
    {
      int fd = t->fd;
      gboolean ok = TRUE;

      /* The data reaches the disk before the name does: a crash never
       * leaves a destination with a hole in it. */
      t->fd = -1;
      if (fd >= 0)
        {
          ok = fsync (fd) == 0;
          ok = close (fd) == 0 && ok;
        }
      if (!ok || g_rename (t->tmp_path, t->dest_path) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot save %s to %s: %s", t->uri, t->dest_path,
                       g_strerror (saved_errno));
          return FALSE;
        }
      g_clear_pointer (&t->tmp_path, g_free);   /* renamed: nothing to remove */
    }
  else
    {
      gsize size = t->data_size;
      guint8 *data = g_byte_array_steal (t->data, NULL);

      /* Gives back what was reserved and not used (mremap for large
       * blocks: no copy). */
      t->result_bytes = g_bytes_new_take (g_realloc (data, size), size);
      if (t->kind == KIND_STRING)
        {
          t->result_text = decode_text (t->result_bytes,
                                        soup_message_get_response_headers (t->message),
                                        t->uri, error);
          if (t->result_text == NULL)
            return FALSE;
        }
    }

  /* The last report: done == total when the total is known (R35). */
  transfer_report_progress (t);
  return TRUE;
}

/* Async steps: each runs in the operation's context, where libsoup and
 * GIO complete the calls made from it. */

static GType
args_type_of (Kind kind)
{
  switch (kind)
    {
    case KIND_FILE:
      return EAP_TYPE_DOWNLOAD_FILE_COMPLETED_ARGS;
    case KIND_BYTES:
      return EAP_TYPE_DOWNLOAD_BYTES_COMPLETED_ARGS;
    case KIND_STRING:
      return EAP_TYPE_DOWNLOAD_STRING_COMPLETED_ARGS;
    case KIND_UPLOAD:
      return EAP_TYPE_UPLOAD_COMPLETED_ARGS;
    default:
      g_assert_not_reached ();
    }
}

/* Completes the operation with @error (transfer full), or with the result
 * when it is NULL, and frees the transfer. Temporary files are gone
 * before completed can be emitted. */
static void
transfer_complete (Transfer *t,
                   GError   *error)
{
  EapWebCompletedArgs *args;
  guint status = t->message != NULL ? soup_message_get_status (t->message) : 0;

  transfer_cleanup (t);

  args = _eap_web_completed_args_new (args_type_of (t->kind), error, t->uri, status,
                                      status != 0 ? soup_message_get_reason_phrase (t->message) : NULL,
                                      status != 0 ? soup_message_get_response_headers (t->message) : NULL);
  if (error == NULL)
    {
      switch (t->kind)
        {
        case KIND_FILE:
          _eap_download_file_completed_args_set (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args),
                                                 t->dest_path, t->bytes_received);
          break;
        case KIND_BYTES:
          _eap_download_bytes_completed_args_set (EAP_DOWNLOAD_BYTES_COMPLETED_ARGS (args),
                                                  t->result_bytes);
          break;
        case KIND_STRING:
          _eap_download_string_completed_args_set (EAP_DOWNLOAD_STRING_COMPLETED_ARGS (args),
                                                   g_steal_pointer (&t->result_text));
          break;
        case KIND_UPLOAD:
          _eap_upload_completed_args_set (EAP_UPLOAD_COMPLETED_ARGS (args), t->result_bytes);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  eap_operation_complete (t->operation, EAP_COMPLETED_ARGS (args));
  transfer_free (t);
}

/* Names the URI in a transport error, keeping its domain and code. */
static GError *
transport_error (Transfer *t,
                 GError   *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, "Could not %s %s: ",
                    t->kind == KIND_UPLOAD ? "upload to" : "download", t->uri);
  return error;
}

static void transfer_send_async (Transfer *t);

static void
transfer_finish_async (Transfer *t)
{
  GError *error = NULL;

  transfer_finish (t, &error);
  transfer_complete (t, error);
}

static void read_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data);

/* Consumes @n bytes just read, then what else is already there without
 * waiting, reports progress once, and waits for more; or completes the
 * operation at the end of the body or on an error. */
static void
transfer_continue_reading (Transfer *t,
                           gssize    n)
{
  GPollableInputStream *pollable = NULL;
  GError *error = NULL;

  if (G_IS_POLLABLE_INPUT_STREAM (t->body) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (t->body)))
    pollable = G_POLLABLE_INPUT_STREAM (t->body);

  for (guint i = 0; ; i++)
    {
      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              transfer_complete (t, transport_error (t, error));
              return;
            }
          g_clear_error (&error);
          break;
        }
      if (n == 0)
        {
          transfer_finish_async (t);
          return;
        }
      if (!transfer_consume (t, n, &error))
        {
          transfer_complete (t, error);
          return;
        }
      if (pollable == NULL || i + 1 >= MAX_CHUNKS_PER_WAKEUP)
        break;
      n = g_pollable_input_stream_read_nonblocking (pollable, transfer_read_target (t), BUFFER_SIZE,
                                                    t->cancellable, &error);
    }

  transfer_report_progress (t);
  g_input_stream_read_async (t->body, transfer_read_target (t), BUFFER_SIZE, G_PRIORITY_DEFAULT,
                             t->cancellable, read_cb, t);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Transfer *t = user_data;
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    transfer_complete (t, transport_error (t, error));
  else
    transfer_continue_reading (t, n);
}

/* The body of a response we do not keep is discarded: then the pending
 * error, the redirect, or the 416 that found the partial file complete. */
static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Transfer *t = user_data;

  /* An error here (a cancel included) shows again in the next step. */
  g_input_stream_close_finish (G_INPUT_STREAM (source), result, NULL);
  g_clear_object (&t->body);

  if (t->pending_error != NULL)
    transfer_complete (t, g_steal_pointer (&t->pending_error));
  else if (t->redirecting)
    {
      t->redirecting = FALSE;
      transfer_send_async (t);
    }
  else
    transfer_finish_async (t);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Transfer *t = user_data;
  GError *error = NULL;

  t->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (t->body == NULL)
    transfer_complete (t, transport_error (t, error));
  else if (transfer_on_response (t, &t->pending_error))
    g_input_stream_read_async (t->body, transfer_read_target (t), BUFFER_SIZE, G_PRIORITY_DEFAULT,
                               t->cancellable, read_cb, t);
  else
    g_input_stream_close_async (t->body, G_PRIORITY_DEFAULT, t->cancellable, close_cb, t);
}

static void
transfer_send_async (Transfer *t)
{
  GError *error = NULL;

  if (!transfer_build_message (t, &error))
    {
      transfer_complete (t, error);
      return;
    }

  /* libsoup completes in the thread-default context of this call, which
   * is the operation's (asserted in dup_session). */
  soup_session_send_async (t->session, t->message, G_PRIORITY_DEFAULT, t->cancellable,
                           send_cb, t);
}

/* Starts an operation's transfer; every failure from here on goes
 * through completed. */
static void
transfer_start_async (Transfer *t)
{
  GError *error = NULL;

  if (!transfer_check (t, &error))
    transfer_complete (t, error);
  else
    transfer_send_async (t);
}

/* The blocking twins' whole transfer, with the same steps. */
static gboolean
transfer_run (Transfer  *t,
              GError   **error)
{
  gssize n;

  if (!transfer_check (t, error))
    return FALSE;

  for (;;)
    {
      if (!transfer_build_message (t, error))
        return FALSE;

      t->body = soup_session_send (t->session, t->message, t->cancellable, error);
      if (t->body == NULL)
        {
          g_propagate_error (error, transport_error (t, g_steal_pointer (error)));
          return FALSE;
        }

      if (transfer_on_response (t, &t->pending_error))
        break;

      g_input_stream_close (t->body, t->cancellable, NULL);
      g_clear_object (&t->body);
      if (t->pending_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&t->pending_error));
          return FALSE;
        }
      if (!t->redirecting)
        return transfer_finish (t, error);
      t->redirecting = FALSE;
    }

  while ((n = g_input_stream_read (t->body, transfer_read_target (t), BUFFER_SIZE,
                                   t->cancellable, error)) > 0)
    {
      if (!transfer_consume (t, n, error))
        return FALSE;
    }
  if (n < 0)
    {
      g_propagate_error (error, transport_error (t, g_steal_pointer (error)));
      return FALSE;
    }

  return transfer_finish (t, error);
}

/* Public entry points */

/* What an upload sends; NULL for downloads. */
typedef struct
{
  const char *method;        /* (nullable): POST */
  const char *content_type;  /* (nullable): guessed from @path, else application/octet-stream */
  GBytes     *data;          /* (nullable) */
  const char *path;          /* (nullable) */
} Upload;

static Transfer *
transfer_new_for (EapWebClient *self,
                  Kind          kind,
                  EapOperation *operation,
                  GCancellable *cancellable,
                  const char   *uri,
                  const char   *dest_path,
                  const Upload *upload)
{
  Transfer *t = transfer_new (self, kind, operation, cancellable, uri);

  t->dest_path = g_strdup (dest_path);
  if (upload == NULL)
    return t;

  g_free (t->method);
  t->method = g_strdup (upload->method != NULL ? upload->method : SOUP_METHOD_POST);
  t->upload_bytes = upload->data != NULL ? g_bytes_ref (upload->data) : NULL;
  t->upload_path = g_strdup (upload->path);

  if (upload->content_type != NULL)
    t->content_type = g_strdup (upload->content_type);
  else if (upload->path != NULL)
    {
      g_autofree char *guess = g_content_type_guess (upload->path, NULL, 0, NULL);

      t->content_type = g_content_type_get_mime_type (guess);
    }
  if (t->content_type == NULL)
    t->content_type = g_strdup ("application/octet-stream");

  return t;
}

/* The start shared by every async operation: begins it, or refuses. */
static gboolean
start_async (EapWebClient  *self,
             Kind           kind,
             const char    *name,
             const char    *uri,
             const char    *dest_path,
             const Upload  *upload,
             gpointer       user_state,
             GError       **error)
{
  g_autoptr(EapOperation) operation = NULL;

  operation = eap_component_begin_operation (EAP_COMPONENT (self), name, user_state, error);
  if (operation == NULL)
    return FALSE;
  eap_operation_set_completed_args_type (operation, args_type_of (kind));

  transfer_start_async (transfer_new_for (self, kind, operation, NULL, uri, dest_path, upload));
  return TRUE;
}

/* The blocking twins' whole run: refused once the client is closed.
 * Returns the finished transfer, whose result the caller takes. */
static Transfer *
run_blocking (EapWebClient  *self,
              Kind           kind,
              const char    *uri,
              const char    *dest_path,
              const Upload  *upload,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(Transfer) t = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Cannot transfer %s: the EapWebClient is closed", uri);
      return NULL;
    }

  t = transfer_new_for (self, kind, NULL, cancellable, uri, dest_path, upload);
  if (!transfer_run (t, error))
    return NULL;

  return g_steal_pointer (&t);
}

/**
 * eap_web_client_download_file_async:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @path: (type filename): where to save the body; an existing file there is
 *   replaced only when the download succeeds
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the operation was refused
 *
 * Starts downloading @uri into the file @path: the operation
 * `download-file`, which completes with an
 * [class@Eap.DownloadFileCompletedArgs] in the thread-default main context
 * of the calling thread. See [class@Eap.WebClient] for how the file is
 * written and for the errors.
 *
 * A missing folder fails it with %G_IO_ERROR_NOT_FOUND, a @path that is a
 * folder with %G_IO_ERROR_IS_DIRECTORY, a full disk with
 * %G_IO_ERROR_NO_SPACE: through `completed`, like every failure once the
 * operation is accepted.
 *
 * The operation is refused, and nothing is emitted for it, when
 * @user_state is not `NULL` and already in flight on @self
 * (%G_IO_ERROR_INVALID_ARGUMENT), or when @self is closed
 * (%G_IO_ERROR_CLOSED).
 *
 * Returns: %TRUE if the operation was accepted, %FALSE with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_web_client_download_file_async (EapWebClient  *self,
                                    const char    *uri,
                                    const char    *path,
                                    gpointer       user_state,
                                    GError       **error)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return start_async (self, KIND_FILE, "download-file", uri, path, NULL, user_state, error);
}

/**
 * eap_web_client_download_bytes_async:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the operation was refused
 *
 * Starts downloading @uri into memory: the operation `download-bytes`,
 * which completes with an [class@Eap.DownloadBytesCompletedArgs] in the
 * thread-default main context of the calling thread. It is refused as
 * [method@Eap.WebClient.download_file_async] is.
 *
 * Returns: %TRUE if the operation was accepted, %FALSE with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_web_client_download_bytes_async (EapWebClient  *self,
                                     const char    *uri,
                                     gpointer       user_state,
                                     GError       **error)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return start_async (self, KIND_BYTES, "download-bytes", uri, NULL, NULL, user_state, error);
}

/**
 * eap_web_client_download_string_async:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the operation was refused
 *
 * Starts downloading @uri as text: the operation `download-string`, which
 * completes with an [class@Eap.DownloadStringCompletedArgs] in the
 * thread-default main context of the calling thread. The text is decoded
 * from the charset of the response's `Content-Type`, UTF-8 when it names
 * none; a body that does not decode fails it with
 * %G_IO_ERROR_INVALID_DATA. It is refused as
 * [method@Eap.WebClient.download_file_async] is.
 *
 * Returns: %TRUE if the operation was accepted, %FALSE with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_web_client_download_string_async (EapWebClient  *self,
                                      const char    *uri,
                                      gpointer       user_state,
                                      GError       **error)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return start_async (self, KIND_STRING, "download-string", uri, NULL, NULL, user_state, error);
}

/**
 * eap_web_client_upload_bytes_async:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @method: (nullable): the HTTP method, `POST` when `NULL`
 * @content_type: (nullable): the `Content-Type` of @data,
 *   `application/octet-stream` when `NULL`
 * @data: the request body
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the operation was refused
 *
 * Starts sending @data to @uri: the operation `upload-bytes`, which
 * completes with an [class@Eap.UploadCompletedArgs] carrying the response
 * body, in the thread-default main context of the calling thread. Progress
 * counts the bytes sent, then the bytes received (see
 * [class@Eap.WebProgressArgs]). It is refused as
 * [method@Eap.WebClient.download_file_async] is.
 *
 * Returns: %TRUE if the operation was accepted, %FALSE with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_web_client_upload_bytes_async (EapWebClient  *self,
                                   const char    *uri,
                                   const char    *method,
                                   const char    *content_type,
                                   GBytes        *data,
                                   gpointer       user_state,
                                   GError       **error)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return start_async (self, KIND_UPLOAD, "upload-bytes", uri, NULL,
                      &(Upload) { method, content_type, data, NULL }, user_state, error);
}

/**
 * eap_web_client_upload_file_async:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @method: (nullable): the HTTP method, `POST` when `NULL`
 * @path: (type filename): the file to send; its `Content-Type` is guessed
 *   from its name
 * @user_state: (type gsize): identifies the operation in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the operation was refused
 *
 * Starts sending the file @path to @uri, streamed from the disk: the
 * operation `upload-file`, which completes with an
 * [class@Eap.UploadCompletedArgs] carrying the response body, in the
 * thread-default main context of the calling thread. A file that cannot
 * be read fails it with the GIO error. It is refused as
 * [method@Eap.WebClient.download_file_async] is.
 *
 * Returns: %TRUE if the operation was accepted, %FALSE with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_web_client_upload_file_async (EapWebClient  *self,
                                  const char    *uri,
                                  const char    *method,
                                  const char    *path,
                                  gpointer       user_state,
                                  GError       **error)
{
  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return start_async (self, KIND_UPLOAD, "upload-file", uri, NULL,
                      &(Upload) { method, NULL, NULL, path }, user_state, error);
}

/**
 * eap_web_client_download_file:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @path: (type filename): where to save the body
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the error
 *
 * Downloads @uri into the file @path, blocking the calling thread: the
 * twin of [method@Eap.WebClient.download_file_async], with the same file
 * handling and errors. It starts no operation and emits nothing. It fails
 * with %G_IO_ERROR_CLOSED once @self is closed.
 *
 * Returns: %TRUE on success, %FALSE with @error set on failure or
 *   cancellation
 *
 * Since: 0.1
 */
gboolean
eap_web_client_download_file (EapWebClient  *self,
                              const char    *uri,
                              const char    *path,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(Transfer) t = NULL;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  t = run_blocking (self, KIND_FILE, uri, path, NULL, cancellable, error);
  return t != NULL;
}

/**
 * eap_web_client_download_bytes:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the error
 *
 * Downloads @uri into memory, blocking the calling thread: the twin of
 * [method@Eap.WebClient.download_bytes_async]. It starts no operation and
 * emits nothing. It fails with %G_IO_ERROR_CLOSED once @self is closed.
 *
 * Returns: (transfer full): the body, or `NULL` with @error set
 *
 * Since: 0.1
 */
GBytes *
eap_web_client_download_bytes (EapWebClient  *self,
                               const char    *uri,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(Transfer) t = NULL;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = run_blocking (self, KIND_BYTES, uri, NULL, NULL, cancellable, error);
  return t != NULL ? g_steal_pointer (&t->result_bytes) : NULL;
}

/**
 * eap_web_client_download_string:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the error
 *
 * Downloads @uri as text, blocking the calling thread: the twin of
 * [method@Eap.WebClient.download_string_async], decoding the same way. It
 * starts no operation and emits nothing. It fails with %G_IO_ERROR_CLOSED
 * once @self is closed.
 *
 * Returns: (transfer full): the text in UTF-8, or `NULL` with @error set
 *
 * Since: 0.1
 */
char *
eap_web_client_download_string (EapWebClient  *self,
                                const char    *uri,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr(Transfer) t = NULL;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = run_blocking (self, KIND_STRING, uri, NULL, NULL, cancellable, error);
  return t != NULL ? g_steal_pointer (&t->result_text) : NULL;
}

/**
 * eap_web_client_upload_bytes:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @method: (nullable): the HTTP method, `POST` when `NULL`
 * @content_type: (nullable): the `Content-Type` of @data,
 *   `application/octet-stream` when `NULL`
 * @data: the request body
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the error
 *
 * Sends @data to @uri, blocking the calling thread: the twin of
 * [method@Eap.WebClient.upload_bytes_async]. It starts no operation and
 * emits nothing. It fails with %G_IO_ERROR_CLOSED once @self is closed.
 *
 * Returns: (transfer full): the response body, or `NULL` with @error set
 *
 * Since: 0.1
 */
GBytes *
eap_web_client_upload_bytes (EapWebClient  *self,
                             const char    *uri,
                             const char    *method,
                             const char    *content_type,
                             GBytes        *data,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(Transfer) t = NULL;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = run_blocking (self, KIND_UPLOAD, uri, NULL, &(Upload) { method, content_type, data, NULL },
                    cancellable, error);
  return t != NULL ? g_steal_pointer (&t->result_bytes) : NULL;
}

/**
 * eap_web_client_upload_file:
 * @self: an [class@Eap.WebClient]
 * @uri: an http or https URI
 * @method: (nullable): the HTTP method, `POST` when `NULL`
 * @path: (type filename): the file to send
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for the error
 *
 * Sends the file @path to @uri, blocking the calling thread: the twin of
 * [method@Eap.WebClient.upload_file_async]. It starts no operation and
 * emits nothing. It fails with %G_IO_ERROR_CLOSED once @self is closed.
 *
 * Returns: (transfer full): the response body, or `NULL` with @error set
 *
 * Since: 0.1
 */
GBytes *
eap_web_client_upload_file (EapWebClient  *self,
                            const char    *uri,
                            const char    *method,
                            const char    *path,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(Transfer) t = NULL;

  g_return_val_if_fail (EAP_IS_WEB_CLIENT (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  t = run_blocking (self, KIND_UPLOAD, uri, NULL, &(Upload) { method, NULL, NULL, path },
                    cancellable, error);
  return t != NULL ? g_steal_pointer (&t->result_bytes) : NULL;
}
