/* progress-line.h: one download as one line of text
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PROGRESS_LINE_QUEUED,
  PROGRESS_LINE_RUNNING,
  PROGRESS_LINE_DONE,
  PROGRESS_LINE_FAILED,
  PROGRESS_LINE_CANCELLED,
} ProgressLineState;

/* What a line shows; the caller fills it from its own bookkeeping. */
typedef struct
{
  const char        *name;         /* the file name */
  ProgressLineState  state;
  gint64             received;     /* bytes so far */
  gint64             total;        /* -1: unknown, then the bar bounces */
  double             speed;        /* bytes per second; <= 0: not known yet */
  double             elapsed_s;    /* since the download started */
  const char        *message;      /* (nullable): why it failed */
  guint              frame;        /* animation step of the bouncing bar */
  gboolean           connecting;   /* running, but no progress reported yet */
} ProgressLine;

/* Renders @line in at most @width columns (no newline, no escapes):
 *   name  [=======>       ]  47%  12.0 MiB / 25.6 MiB  8.1 MiB/s  ETA 0:02 */
char *progress_line_render    (const ProgressLine *line,
                               guint               width) G_GNUC_WARN_UNUSED_RESULT;

/* "1.2 MiB" (IEC units); "512 bytes". */
char *progress_format_size    (gint64              bytes) G_GNUC_WARN_UNUSED_RESULT;
/* "8.1 MiB/s"; "-" when unknown. */
char *progress_format_speed   (double              bytes_per_second) G_GNUC_WARN_UNUSED_RESULT;
/* "0:07", "12:34", "1:02:03". */
char *progress_format_duration (double             seconds) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
