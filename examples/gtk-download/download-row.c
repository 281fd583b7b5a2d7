/* download-row.c: one download in eap-gtk-download's list
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built in code, not from a .ui file, so the whole example reads top to
 * bottom in two C files:
 *
 *   name                                   3.2 MB/s · 0:04 left  [Cancel]
 *   [=========== 12.0 MB of 48.0 MB (25 %) ...........]
 */

#include "download-row.h"
#include "speed-meter.h"


struct _DownloadRow
{
  GtkListBoxRow     parent_instance;

  char             *name;           /* (owned) */
  char             *uri;            /* (owned) */
  char             *path;           /* (owned) */
  char             *reason;         /* (owned) (nullable): why it failed */
  DownloadRowState  state;
  gint64            received;
  gint64            total;          /* -1: unknown */
  gint64            started_us;
  gint64            finished_us;

  SpeedMeter        meter;

  GtkWidget        *name_label;     /* (unowned): children of the row */
  GtkWidget        *status_label;   /* (unowned) */
  GtkWidget        *progress_bar;   /* (unowned) */
  GtkWidget        *cancel_button;  /* (unowned) */
};

enum { CANCEL, N_SIGNALS };

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DownloadRow, download_row, GTK_TYPE_LIST_BOX_ROW)

static void
download_row_finalize (GObject *object)
{
  DownloadRow *self = DOWNLOAD_ROW (object);

  g_free (self->name);
  g_free (self->uri);
  g_free (self->path);
  g_free (self->reason);

  G_OBJECT_CLASS (download_row_parent_class)->finalize (object);
}

/* "row.cancel", the Cancel button's action: the row only asks; whoever
 * runs the download cancels it and later calls set_cancelled(). */
static void
cancel_action_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DownloadRow *self = DOWNLOAD_ROW (widget);

  if (download_row_is_final (self))
    return;
  g_signal_emit (self, signals[CANCEL], 0);
}

static void
download_row_class_init (DownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = download_row_finalize;

  /* DownloadRow::cancel: the user asked to cancel this download. */
  signals[CANCEL] =
    g_signal_new ("cancel",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "row.cancel", NULL, cancel_action_cb);
}

static GtkWidget *
new_label (const char *css_class,
           float       xalign)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
download_row_init (DownloadRow *self)
{
  GtkWidget *grid = gtk_grid_new ();

  self->total = -1;
  self->started_us = g_get_monotonic_time ();
  speed_meter_start (&self->meter);

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_widget_set_margin_start (grid, 12);
  gtk_widget_set_margin_end (grid, 12);
  gtk_widget_set_margin_top (grid, 8);
  gtk_widget_set_margin_bottom (grid, 8);

  self->name_label = new_label ("heading", 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->name_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (self->name_label, TRUE);
  gtk_grid_attach (GTK_GRID (grid), self->name_label, 0, 0, 1, 1);

  self->status_label = new_label ("dim-label", 1);
  gtk_label_set_ellipsize (GTK_LABEL (self->status_label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (self->status_label), 44);
  gtk_label_set_text (GTK_LABEL (self->status_label), "Connecting…");
  gtk_grid_attach (GTK_GRID (grid), self->status_label, 1, 0, 1, 1);

  self->progress_bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (self->progress_bar), TRUE);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress_bar), "");
  gtk_widget_set_hexpand (self->progress_bar, TRUE);
  gtk_grid_attach (GTK_GRID (grid), self->progress_bar, 0, 1, 2, 1);

  self->cancel_button = gtk_button_new_with_mnemonic ("_Cancel");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_button), "row.cancel");
  gtk_widget_set_valign (self->cancel_button, GTK_ALIGN_CENTER);
  gtk_grid_attach (GTK_GRID (grid), self->cancel_button, 2, 0, 1, 2);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self), grid);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), FALSE);
}

DownloadRow *
download_row_new (const char *name,
                  const char *uri,
                  const char *path)
{
  DownloadRow *self = g_object_new (DOWNLOAD_TYPE_ROW, NULL);

  self->name = g_strdup (name);
  self->uri = g_strdup (uri);
  self->path = g_strdup (path);
  gtk_label_set_text (GTK_LABEL (self->name_label), name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), uri);
  return self;
}

const char *
download_row_get_name (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), NULL);
  return self->name;
}

const char *
download_row_get_uri (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), NULL);
  return self->uri;
}

const char *
download_row_get_path (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), NULL);
  return self->path;
}

DownloadRowState
download_row_get_state (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), DOWNLOAD_ROW_FAILED);
  return self->state;
}

gboolean
download_row_is_final (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), TRUE);
  return self->state != DOWNLOAD_ROW_RUNNING;
}

double
download_row_get_fraction (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), -1);
  if (self->total <= 0)
    return self->total == 0 ? 1 : -1;
  return (double) MIN (self->received, self->total) / self->total;
}

gint64
download_row_get_received (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), 0);
  return self->received;
}

const char *
download_row_get_reason (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), NULL);
  return self->reason;
}

GtkWidget *
download_row_get_cancel_button (DownloadRow *self)
{
  g_return_val_if_fail (DOWNLOAD_IS_ROW (self), NULL);
  return self->cancel_button;
}

/* "3.2 MB/s · 0:04 left", or just the speed while the size is unknown. */
static char *
format_speed (DownloadRow *self)
{
  g_autofree char *speed = g_format_size ((guint64) self->meter.speed);
  gint64 left_s;

  if (self->meter.speed < 1)
    return g_strdup ("");                       /* not measured yet */
  if (self->total <= 0)
    return g_strdup_printf ("%s/s", speed);
  left_s = (gint64) ((self->total - self->received) / self->meter.speed + 0.999);  /* rounded up */
  return g_strdup_printf ("%s/s · %" G_GINT64_FORMAT ":%02d left", speed, left_s / 60,
                          (int) (left_s % 60));
}

void
download_row_update (DownloadRow *self,
                     gint64       received,
                     gint64       total)
{
  GtkProgressBar *bar;
  g_autofree char *done = NULL;
  g_autofree char *text = NULL;
  g_autofree char *speed = NULL;

  g_return_if_fail (DOWNLOAD_IS_ROW (self));
  if (download_row_is_final (self))
    return;

  bar = GTK_PROGRESS_BAR (self->progress_bar);
  speed_meter_update (&self->meter, received);
  self->received = received;
  self->total = total;

  done = g_format_size ((guint64) received);
  if (total > 0)
    {
      g_autofree char *all = g_format_size ((guint64) total);
      double fraction = download_row_get_fraction (self);

      gtk_progress_bar_set_fraction (bar, fraction);
      text = g_strdup_printf ("%s of %s (%d %%)", done, all, (int) (100 * fraction));
    }
  else
    {
      /* Unknown size: no made-up percentage, a pulse per report instead. */
      gtk_progress_bar_pulse (bar);
      text = g_strdup_printf ("%s of unknown size", done);
    }
  gtk_progress_bar_set_text (bar, text);

  speed = format_speed (self);
  gtk_label_set_text (GTK_LABEL (self->status_label), speed);
}

/* Leaves the running state for @state: no more Cancel, the outcome in the
 * status label with @css_class. */
static void
finish (DownloadRow      *self,
        DownloadRowState  state,
        const char       *status,
        const char       *css_class)
{
  self->state = state;
  self->finished_us = g_get_monotonic_time ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.cancel", FALSE);
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_label_set_text (GTK_LABEL (self->status_label), status);
  gtk_widget_set_tooltip_text (self->status_label, status);
  gtk_widget_remove_css_class (self->status_label, "dim-label");
  gtk_widget_add_css_class (self->status_label, css_class);
}

void
download_row_set_done (DownloadRow *self,
                       gint64       size)
{
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;
  double elapsed_s;

  g_return_if_fail (DOWNLOAD_IS_ROW (self));
  g_return_if_fail (!download_row_is_final (self));

  self->received = self->total = size;
  text = g_format_size ((guint64) size);
  elapsed_s = (g_get_monotonic_time () - self->started_us) / 1e6;
  status = g_strdup_printf ("Done in %.1f s", elapsed_s);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), 1);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress_bar), text);
  finish (self, DOWNLOAD_ROW_DONE, status, "success");
}

void
download_row_set_failed (DownloadRow *self,
                         const char  *reason)
{
  g_autofree char *status = NULL;

  g_return_if_fail (DOWNLOAD_IS_ROW (self));
  g_return_if_fail (reason != NULL);
  g_return_if_fail (!download_row_is_final (self));

  self->reason = g_strdup (reason);
  status = g_strdup_printf ("Failed: %s", reason);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress_bar), "Failed");
  finish (self, DOWNLOAD_ROW_FAILED, status, "error");
}

void
download_row_set_cancelled (DownloadRow *self)
{
  g_autofree char *done = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (DOWNLOAD_IS_ROW (self));
  g_return_if_fail (!download_row_is_final (self));

  done = g_format_size ((guint64) self->received);
  text = g_strdup_printf ("Cancelled after %s", done);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress_bar), text);
  finish (self, DOWNLOAD_ROW_CANCELLED, "Cancelled", "warning");
}

void
download_row_set_status (DownloadRow *self,
                         const char  *status)
{
  g_return_if_fail (DOWNLOAD_IS_ROW (self));
  if (!download_row_is_final (self))
    gtk_label_set_text (GTK_LABEL (self->status_label), status);
}
