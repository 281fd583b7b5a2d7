/* eap-web-completed-args.h
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(EAP_INSIDE) && !defined(EAP_COMPILATION)
# error "Only <eap.h> can be included directly."
#endif

#include "eap-completed-args.h"

G_BEGIN_DECLS

#define EAP_TYPE_WEB_COMPLETED_ARGS (eap_web_completed_args_get_type ())

EAP_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EapWebCompletedArgs, eap_web_completed_args,
                          EAP, WEB_COMPLETED_ARGS, EapCompletedArgs)

/**
 * EapWebCompletedArgsClass:
 * @parent_class: the parent class
 *
 * The class of [class@Eap.WebCompletedArgs], the base of every
 * [class@Eap.WebClient] operation's completed args.
 */
struct _EapWebCompletedArgsClass
{
  EapCompletedArgsClass parent_class;

  /*< private >*/
  gpointer _reserved[8];
};

EAP_AVAILABLE_IN_ALL
const char  *eap_web_completed_args_get_uri                (EapWebCompletedArgs *self);
EAP_AVAILABLE_IN_ALL
guint        eap_web_completed_args_get_status             (EapWebCompletedArgs *self);
EAP_AVAILABLE_IN_ALL
const char  *eap_web_completed_args_get_reason_phrase      (EapWebCompletedArgs *self);
EAP_AVAILABLE_IN_ALL
const char  *eap_web_completed_args_get_response_header    (EapWebCompletedArgs *self,
                                                            const char          *name);
EAP_AVAILABLE_IN_ALL
char       **eap_web_completed_args_dup_response_header_names (EapWebCompletedArgs *self) G_GNUC_WARN_UNUSED_RESULT;

#define EAP_TYPE_DOWNLOAD_FILE_COMPLETED_ARGS (eap_download_file_completed_args_get_type ())
EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapDownloadFileCompletedArgs, eap_download_file_completed_args,
                      EAP, DOWNLOAD_FILE_COMPLETED_ARGS, EapWebCompletedArgs)

EAP_AVAILABLE_IN_ALL
const char *eap_download_file_completed_args_get_path (EapDownloadFileCompletedArgs  *self,
                                                       GError                       **error);
EAP_AVAILABLE_IN_ALL
gint64      eap_download_file_completed_args_get_size (EapDownloadFileCompletedArgs  *self,
                                                       GError                       **error);

#define EAP_TYPE_DOWNLOAD_BYTES_COMPLETED_ARGS (eap_download_bytes_completed_args_get_type ())
EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapDownloadBytesCompletedArgs, eap_download_bytes_completed_args,
                      EAP, DOWNLOAD_BYTES_COMPLETED_ARGS, EapWebCompletedArgs)

EAP_AVAILABLE_IN_ALL
GBytes *eap_download_bytes_completed_args_get_bytes (EapDownloadBytesCompletedArgs  *self,
                                                     GError                        **error);

#define EAP_TYPE_DOWNLOAD_STRING_COMPLETED_ARGS (eap_download_string_completed_args_get_type ())
EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapDownloadStringCompletedArgs, eap_download_string_completed_args,
                      EAP, DOWNLOAD_STRING_COMPLETED_ARGS, EapWebCompletedArgs)

EAP_AVAILABLE_IN_ALL
const char *eap_download_string_completed_args_get_text (EapDownloadStringCompletedArgs  *self,
                                                         GError                         **error);

#define EAP_TYPE_UPLOAD_COMPLETED_ARGS (eap_upload_completed_args_get_type ())
EAP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EapUploadCompletedArgs, eap_upload_completed_args,
                      EAP, UPLOAD_COMPLETED_ARGS, EapWebCompletedArgs)

EAP_AVAILABLE_IN_ALL
GBytes *eap_upload_completed_args_get_response (EapUploadCompletedArgs  *self,
                                                GError                 **error);

G_END_DECLS
