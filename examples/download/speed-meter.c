/* speed-meter.c: download speed, smoothed, for the progress displays
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "speed-meter.h"

void
speed_meter_start (SpeedMeter *meter)
{
  meter->speed = 0;
  meter->started_us = g_get_monotonic_time ();
  meter->window_us = meter->started_us;
  meter->window_bytes = 0;
}

void
speed_meter_update (SpeedMeter *meter,
                    gint64      received)
{
  gint64 now = g_get_monotonic_time ();
  gint64 span = now - meter->window_us;

  if (span >= SPEED_METER_WINDOW_US)
    {
      double current = (received - meter->window_bytes) / (span / 1e6);

      meter->speed = meter->speed > 0 ? 0.5 * meter->speed + 0.5 * current : current;
      meter->window_us = now;
      meter->window_bytes = received;
    }
  else if (meter->speed <= 0 && now - meter->started_us >= SPEED_METER_WINDOW_US / 2)
    {
      /* A first guess, before the first window closes. */
      meter->speed = received / ((now - meter->started_us) / 1e6);
    }
}
