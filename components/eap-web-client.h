/* eap-web-client.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include <gio/gio.h>

#include "eap-component.h"
#include "eap-web-completed-args.h"
#include "eap-web-progress-args.h"

G_BEGIN_DECLS

/**
 * EAP_HTTP_ERROR:
 *
 * The error domain of HTTP status failures: the error code is the HTTP
 * status code itself (404, 500…). See [error@Eap.HttpError].
 */
#define EAP_HTTP_ERROR (eap_http_error_quark ())

/**
 * EapHttpError:
 * @EAP_HTTP_ERROR_TOO_MANY_REDIRECTS: the server redirected more often
 *   than [property@Eap.WebClient:max-redirects] allows, or in a loop
 * @EAP_HTTP_ERROR_REDIRECT_REFUSED: a redirect from https to http was
 *   refused (see [property@Eap.WebClient:allow-insecure-redirects])
 * @EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE: the server answered 416 to a
 *   resumed download (the value is the status code)
 *
 * Error codes in the %EAP_HTTP_ERROR domain. Any HTTP status code of 400 or
 * more is a code of this domain with the same number (404 is "Not Found");
 * the named values are the ones that are not plain status codes or that
 * deserve a name.
 *
 * Since: 0.1
 */
typedef enum
{
  EAP_HTTP_ERROR_TOO_MANY_REDIRECTS = 1,
  EAP_HTTP_ERROR_REDIRECT_REFUSED = 2,
  EAP_HTTP_ERROR_RANGE_NOT_SATISFIABLE = 416,
} EapHttpError;

EAP_AVAILABLE_IN_ALL
GQuark eap_http_error_quark (void);

#define EAP_TYPE_WEB_CLIENT (eap_web_client_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapWebClient, eap_web_client, EAP, WEB_CLIENT, EapComponent)

EAP_AVAILABLE_IN_ALL
EapWebClient *eap_web_client_new                        (void) G_GNUC_WARN_UNUSED_RESULT;

/* Properties */
EAP_AVAILABLE_IN_ALL
const char   *eap_web_client_get_user_agent             (EapWebClient  *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_user_agent             (EapWebClient  *self,
                                                         const char    *user_agent);
EAP_AVAILABLE_IN_ALL
guint         eap_web_client_get_timeout                (EapWebClient  *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_timeout                (EapWebClient  *self,
                                                         guint          timeout_s);
EAP_AVAILABLE_IN_ALL
guint         eap_web_client_get_max_connections_per_host (EapWebClient *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_max_connections_per_host (EapWebClient *self,
                                                           guint         max);
EAP_AVAILABLE_IN_ALL
guint         eap_web_client_get_max_redirects          (EapWebClient  *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_max_redirects          (EapWebClient  *self,
                                                         guint          max);
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_get_allow_insecure_redirects (EapWebClient *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_allow_insecure_redirects (EapWebClient *self,
                                                           gboolean      allow);
EAP_AVAILABLE_IN_ALL
GTlsDatabase *eap_web_client_get_tls_database           (EapWebClient  *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_tls_database           (EapWebClient  *self,
                                                         GTlsDatabase  *database);
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_get_resume                 (EapWebClient  *self);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_resume                 (EapWebClient  *self,
                                                         gboolean       resume);
EAP_AVAILABLE_IN_ALL
void          eap_web_client_set_request_header         (EapWebClient  *self,
                                                         const char    *name,
                                                         const char    *value);
EAP_AVAILABLE_IN_ALL
const char   *eap_web_client_get_request_header         (EapWebClient  *self,
                                                         const char    *name);

/* Event-based operations: completed::<name>, progress-changed::<name> */
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_download_file_async        (EapWebClient  *self,
                                                         const char    *uri,
                                                         const char    *path,
                                                         gpointer       user_state,
                                                         GError       **error);
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_download_bytes_async       (EapWebClient  *self,
                                                         const char    *uri,
                                                         gpointer       user_state,
                                                         GError       **error);
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_download_string_async      (EapWebClient  *self,
                                                         const char    *uri,
                                                         gpointer       user_state,
                                                         GError       **error);
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_upload_bytes_async         (EapWebClient  *self,
                                                         const char    *uri,
                                                         const char    *method,
                                                         const char    *content_type,
                                                         GBytes        *data,
                                                         gpointer       user_state,
                                                         GError       **error);
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_upload_file_async          (EapWebClient  *self,
                                                         const char    *uri,
                                                         const char    *method,
                                                         const char    *path,
                                                         gpointer       user_state,
                                                         GError       **error);

/* Blocking twins */
EAP_AVAILABLE_IN_ALL
gboolean      eap_web_client_download_file              (EapWebClient  *self,
                                                         const char    *uri,
                                                         const char    *path,
                                                         GCancellable  *cancellable,
                                                         GError       **error);
EAP_AVAILABLE_IN_ALL
GBytes       *eap_web_client_download_bytes             (EapWebClient  *self,
                                                         const char    *uri,
                                                         GCancellable  *cancellable,
                                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
char         *eap_web_client_download_string            (EapWebClient  *self,
                                                         const char    *uri,
                                                         GCancellable  *cancellable,
                                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
GBytes       *eap_web_client_upload_bytes               (EapWebClient  *self,
                                                         const char    *uri,
                                                         const char    *method,
                                                         const char    *content_type,
                                                         GBytes        *data,
                                                         GCancellable  *cancellable,
                                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
EAP_AVAILABLE_IN_ALL
GBytes       *eap_web_client_upload_file                (EapWebClient  *self,
                                                         const char    *uri,
                                                         const char    *method,
                                                         const char    *path,
                                                         GCancellable  *cancellable,
                                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
