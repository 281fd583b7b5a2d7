/* eap-web-client-private.h: glue between EapWebClient and its args types.
 * Not installed. It lives in components/ and uses only the public API of
 * eap/, like the component itself.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <eap.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Sizes done/total as EapWebProgressArgs documents. */
EapWebProgressArgs  *_eap_web_progress_args_new              (gint64               bytes_received,
                                                              gint64               total_bytes,
                                                              gint64               bytes_sent,
                                                              gint64               total_bytes_to_send) G_GNUC_WARN_UNUSED_RESULT;

/* @args_type: EapWebCompletedArgs or a subclass. @error: (transfer full)
 * (nullable). @headers: (nullable): copied. */
EapWebCompletedArgs *_eap_web_completed_args_new             (GType                args_type,
                                                              GError              *error,
                                                              const char          *uri,
                                                              guint                status,
                                                              const char          *reason_phrase,
                                                              SoupMessageHeaders  *headers) G_GNUC_WARN_UNUSED_RESULT;

/* Results, set once before the args are handed to the operation. */
void                 _eap_download_file_completed_args_set   (EapDownloadFileCompletedArgs   *self,
                                                              const char                     *path,
                                                              gint64                          size);
void                 _eap_download_bytes_completed_args_set  (EapDownloadBytesCompletedArgs  *self,
                                                              GBytes                         *bytes);
/* @text: (transfer full) */
void                 _eap_download_string_completed_args_set (EapDownloadStringCompletedArgs *self,
                                                              char                           *text);
void                 _eap_upload_completed_args_set          (EapUploadCompletedArgs         *self,
                                                              GBytes                         *response);

G_END_DECLS
