/* progress-line.c: one download as one line of text
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pure formatting, no terminal I/O: eap-download decides when and where
 * lines are drawn. Bars are ASCII so that a column is a byte; only the
 * file name may be wider, and it is cut by characters.
 */

#include "progress-line.h"

#include <string.h>

#define NAME_COLUMNS 20
#define BAR_MIN      10
#define BAR_MAX      30
#define BOUNCER      "<=>"

char *
progress_format_size (gint64 bytes)
{
  if (bytes < 0)
    return g_strdup ("?");
  return g_format_size_full ((guint64) bytes, G_FORMAT_SIZE_IEC_UNITS);
}

char *
progress_format_speed (double bytes_per_second)
{
  g_autofree char *size = NULL;

  if (bytes_per_second <= 0)
    return g_strdup ("-");
  size = g_format_size_full ((guint64) bytes_per_second, G_FORMAT_SIZE_IEC_UNITS);
  return g_strdup_printf ("%s/s", size);
}

char *
progress_format_duration (double seconds)
{
  guint64 s = seconds > 0 ? (guint64) (seconds + 0.5) : 0;

  if (s >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u",
                            s / 3600, (guint) (s / 60 % 60), (guint) (s % 60));
  return g_strdup_printf ("%u:%02u", (guint) (s / 60), (guint) (s % 60));
}

/* @name cut or padded to exactly @columns characters. */
static void
append_name (GString    *out,
             const char *name,
             guint       columns)
{
  glong len = g_utf8_strlen (name, -1);

  if ((guint) len <= columns)
    {
      g_string_append (out, name);
      for (guint i = (guint) len; i < columns; i++)
        g_string_append_c (out, ' ');
    }
  else
    {
      const char *end = g_utf8_offset_to_pointer (name, columns - 1);

      g_string_append_len (out, name, end - name);
      g_string_append (out, "…");
    }
}

static void
append_bar (GString            *out,
            const ProgressLine *line,
            guint               width)
{
  g_string_append_c (out, '[');

  if (line->state == PROGRESS_LINE_RUNNING && line->total < 0)
    {
      /* Unknown size: a "<=>" bouncing from wall to wall. */
      guint span = width - strlen (BOUNCER);
      guint step = line->frame % (2 * span);
      guint pos = step <= span ? step : 2 * span - step;

      for (guint i = 0; i < pos; i++)
        g_string_append_c (out, ' ');
      g_string_append (out, BOUNCER);
      for (guint i = pos + strlen (BOUNCER); i < width; i++)
        g_string_append_c (out, ' ');
    }
  else
    {
      guint filled;

      if (line->state == PROGRESS_LINE_DONE)
        filled = width;
      else if (line->total > 0)
        filled = (guint) (width * MIN (line->received, line->total) / line->total);
      else
        filled = 0;

      for (guint i = 0; i < width; i++)
        {
          if (i + 1 < filled || (i + 1 == filled && filled == width))
            g_string_append_c (out, '=');
          else if (i + 1 == filled)
            g_string_append_c (out, '>');
          else
            g_string_append_c (out, ' ');
        }
    }

  g_string_append_c (out, ']');
}

char *
progress_line_render (const ProgressLine *line,
                      guint               width)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *received = progress_format_size (line->received);
  guint bar_width = CLAMP ((int) width - NAME_COLUMNS - 52, BAR_MIN, BAR_MAX);
  glong len;

  append_name (out, line->name, NAME_COLUMNS);
  g_string_append (out, "  ");

  switch (line->state)
    {
    case PROGRESS_LINE_QUEUED:
      g_string_append (out, "queued");
      break;

    case PROGRESS_LINE_RUNNING:
      if (line->connecting)
        {
          g_string_append (out, "connecting…");
          break;
        }
      {
        g_autofree char *speed = progress_format_speed (line->speed);

        append_bar (out, line, bar_width);
        if (line->total >= 0)
          {
            g_autofree char *total = progress_format_size (line->total);
            int percent = line->total > 0 ? (int) (100 * line->received / line->total) : 0;

            g_string_append_printf (out, " %3d%%  %s / %s  %s", percent, received, total, speed);
            if (line->speed > 0 && line->total > line->received)
              {
                g_autofree char *eta =
                  progress_format_duration ((line->total - line->received) / line->speed);

                g_string_append_printf (out, "  ETA %s", eta);
              }
          }
        else
          g_string_append_printf (out, "  ?   %s  %s", received, speed);
      }
      break;

    case PROGRESS_LINE_DONE:
      {
        g_autofree char *elapsed = progress_format_duration (line->elapsed_s);
        g_autofree char *speed =
          progress_format_speed (line->elapsed_s > 0 ? line->received / line->elapsed_s : 0);

        append_bar (out, line, bar_width);
        g_string_append_printf (out, " 100%%  %s  %s  in %s  done", received, speed, elapsed);
      }
      break;

    case PROGRESS_LINE_FAILED:
      g_string_append_printf (out, "failed: %s", line->message ? line->message : "unknown error");
      break;

    case PROGRESS_LINE_CANCELLED:
      if (line->received > 0)
        g_string_append_printf (out, "cancelled after %s", received);
      else
        g_string_append (out, "cancelled before any data came");
      break;

    default:
      g_assert_not_reached ();
    }

  /* Never wrap: a wrapped line would throw off the cursor movements. */
  len = g_utf8_strlen (out->str, -1);
  if (width > 1 && (guint) len > width)
    {
      const char *end = g_utf8_offset_to_pointer (out->str, width - 1);

      g_string_truncate (out, end - out->str);
      g_string_append (out, "…");
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}
