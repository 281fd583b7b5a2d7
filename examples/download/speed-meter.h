/* speed-meter.h: download speed, smoothed, for the progress displays
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bytes per second over the last window of SPEED_METER_WINDOW_US,
 * averaged with the previous value so the figure does not jitter. Shared
 * by eap-download and eap-gtk-download. */
typedef struct
{
  double speed;          /* bytes per second; <= 0 while unknown */
  gint64 started_us;     /* g_get_monotonic_time() at the start */
  gint64 window_us;      /* where the current window began */
  gint64 window_bytes;   /* bytes received when it began */
} SpeedMeter;

#define SPEED_METER_WINDOW_US (500 * G_TIME_SPAN_MILLISECOND)

void speed_meter_start  (SpeedMeter *meter);
void speed_meter_update (SpeedMeter *meter,
                         gint64      received);

G_END_DECLS
