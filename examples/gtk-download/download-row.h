/* download-row.h: one download in eap-gtk-download's list
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  DOWNLOAD_ROW_RUNNING,
  DOWNLOAD_ROW_DONE,
  DOWNLOAD_ROW_FAILED,
  DOWNLOAD_ROW_CANCELLED,
} DownloadRowState;

/* A list row that shows one download: its name, a progress bar (pulsing
 * while the size is unknown), the speed, a Cancel button and, at the end,
 * the outcome. It knows nothing of eap: the application feeds it numbers
 * from the client's signals, and listens to ::cancel, which the Cancel
 * button emits through the row's "row.cancel" action. */
#define DOWNLOAD_TYPE_ROW (download_row_get_type ())
G_DECLARE_FINAL_TYPE (DownloadRow, download_row, DOWNLOAD, ROW, GtkListBoxRow)

DownloadRow      *download_row_new                (const char   *name,
                                                   const char   *uri,
                                                   const char   *path) G_GNUC_WARN_UNUSED_RESULT;
const char       *download_row_get_name           (DownloadRow  *self);
const char       *download_row_get_uri            (DownloadRow  *self);
const char       *download_row_get_path           (DownloadRow  *self);
DownloadRowState  download_row_get_state          (DownloadRow  *self);
gboolean          download_row_is_final           (DownloadRow  *self);
/* Received / total, or -1 while the total is unknown. */
double            download_row_get_fraction       (DownloadRow  *self);
gint64            download_row_get_received       (DownloadRow  *self);
const char       *download_row_get_reason         (DownloadRow  *self);
GtkWidget        *download_row_get_cancel_button  (DownloadRow  *self);

/* @total: -1 when unknown: the bar then pulses once per call. */
void              download_row_update             (DownloadRow  *self,
                                                   gint64        received,
                                                   gint64        total);
void              download_row_set_done           (DownloadRow  *self,
                                                   gint64        size);
void              download_row_set_failed         (DownloadRow  *self,
                                                   const char   *reason);
void              download_row_set_cancelled      (DownloadRow  *self);
/* Shown under the name until the first progress, e.g. "Cancelling…". */
void              download_row_set_status         (DownloadRow  *self,
                                                   const char   *status);

G_END_DECLS
