/* eap-gtk-download.c: a GTK 4 downloader on one EapWebClient
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: eap-gtk-download [--output DIR]
 *        eap-gtk-download --self-test [--screenshot FILE.png] [--output DIR]
 *
 * Type a URL, press Add (or Enter): a row appears with the file's name, a
 * progress bar, the speed and a Cancel button, and ends as done, failed
 * (with the reason) or cancelled. "Cancel all" (the header bar button,
 * the app.cancel-all action, Ctrl+Esc) cancels every download in flight.
 *
 * This is the point of the pattern: the application never blocks and
 * never touches a thread. Every row is one download-file operation of ONE
 * EapWebClient, its user_state the row itself; the client emits
 * progress-changed::download-file and completed::download-file in the main
 * context, where GTK runs, at most one progress event per row per
 * PROGRESS_INTERVAL_MS, so twenty downloads at once leave the window free.
 *
 * --self-test starts the embedded SoupServer of eap-download's demo
 * (../download/demo-server.c) on 127.0.0.1, a free port, in this same main
 * loop, and adds twenty downloads by typing into the entry and pressing
 * Add: one of unknown size, one it cancels half-way by clicking the row's
 * Cancel button, a 404. When every row has reached its final state it
 * checks the states and the files' sizes, prints a summary and ends with
 * "1 passed, 0 failed" (exit 0) or "0 passed, 1 failed" (exit 1), also
 * after SELF_TEST_DEADLINE_S without an end. --screenshot saves a PNG of
 * the window once ten rows are between 30 and 80 %.
 */

#include <eap.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <string.h>

#include "demo-server.h"
#include "download-row.h"

#define APPLICATION_ID        "org.eap.GtkDownload"
#define PROGRESS_INTERVAL_MS  100     /* at most ten progress events per row a second */
#define MAX_PARALLEL          32      /* connections per host; beyond, libsoup queues */
#define SELF_TEST_DEADLINE_S  60
#define STALL_TICK_MS         20      /* the self-test's main-loop latency probe */
#define MAX_STALL_MS          1000    /* longest main-loop stall the self-test accepts */
#define MiB                   (G_GINT64_CONSTANT (1024) * 1024)

typedef struct _SelfTest SelfTest;

typedef struct
{
  GtkApplication *gtk_app;        /* (owned) */
  EapWebClient   *client;         /* (owned): one for every row */
  char           *dir;            /* (owned): the output folder */
  GHashTable     *taken;          /* (owned) (element-type utf8): names given this session */
  guint           n_running;
  gboolean        closing;        /* the window waits for cancellations to close */
  int             exit_status;

  GtkWindow      *window;         /* (unowned) (nullable): owned by gtk_app */
  GtkWidget      *entry;          /* (unowned) */
  GtkWidget      *add_button;     /* (unowned) */
  GtkWidget      *error_label;    /* (unowned) */
  GtkWidget      *list;           /* (unowned) */

  /* Options */
  char           *output;         /* (owned) (nullable) */
  char           *screenshot;     /* (owned) (nullable) */
  gboolean        self_test_opt;

  SelfTest       *test;           /* (owned) (nullable): --self-test */
} App;

static void self_test_on_progress  (App *app, DownloadRow *row);
static void self_test_on_completed (App *app, DownloadRow *row, const GError *error);

/* ------------------------------------------------------------------ */
/* File names                                                           */
/* ------------------------------------------------------------------ */

/* The last segment of the URL's path, percent-decoded and made safe: no
 * '/' or control characters, no leading '.', "index.html" when empty. */
static char *
file_name_from_uri (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_PATH, NULL);
  g_autofree char *decoded = NULL;
  g_autoptr(GString) name = g_string_new (NULL);
  const char *segment;
  const char *p;

  if (parsed == NULL)
    return g_strdup ("index.html");
  segment = strrchr (g_uri_get_path (parsed), '/');
  segment = segment != NULL ? segment + 1 : g_uri_get_path (parsed);
  decoded = g_uri_unescape_string (segment, NULL);
  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    {
      g_free (decoded);
      decoded = g_utf8_make_valid (segment, -1);      /* a bad escape: as written */
    }

  for (p = decoded; *p == '.'; p++)
    ;
  for (; *p != '\0' && name->len < 200; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || g_unichar_iscntrl (c))
        g_string_append_c (name, '_');
      else
        g_string_append_unichar (name, c);
    }
  if (name->len == 0)
    return g_strdup ("index.html");
  return g_string_free (g_steal_pointer (&name), FALSE);
}

/* "name", else "name.1", "name.2"…: neither a row of this session nor a
 * file already in the folder. One stat per candidate in a local folder,
 * when the user presses Add: cheap enough for the main thread. */
static char *
unique_path (App        *app,
             const char *name,
             char      **out_name)
{
  g_autofree char *candidate = g_strdup (name);
  char *path = g_build_filename (app->dir, candidate, NULL);

  for (guint n = 1;
       g_hash_table_contains (app->taken, candidate) ||
       g_file_test (path, G_FILE_TEST_EXISTS);
       n++)
    {
      g_free (candidate);
      g_free (path);
      candidate = g_strdup_printf ("%s.%u", name, n);
      path = g_build_filename (app->dir, candidate, NULL);
    }
  g_hash_table_add (app->taken, g_strdup (candidate));
  *out_name = g_steal_pointer (&candidate);
  return path;
}

/* ------------------------------------------------------------------ */
/* The client's signals, in the main context                            */
/* ------------------------------------------------------------------ */

/* progress-changed::download-file */
static void
on_progress (EapComponent    *component,
             EapProgressArgs *args,
             gpointer         user_data)
{
  App *app = user_data;
  DownloadRow *row = eap_progress_args_get_user_state (args);
  EapWebProgressArgs *web_args = EAP_WEB_PROGRESS_ARGS (args);
  gint64 total = eap_web_progress_args_get_total_bytes (web_args);

  /* -1 when unknown; the bar pulses on each report (R5: never a made-up
   * percentage). */
  if (eap_progress_args_get_indeterminate (args))
    total = -1;
  download_row_update (row, eap_web_progress_args_get_bytes_received (web_args), total);

  if (app->test != NULL)
    self_test_on_progress (app, row);
}

static void
update_cancel_all (App *app)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (app->gtk_app), "cancel-all");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), app->n_running > 0);
}

/* completed::download-file: exactly once per accepted download. */
static void
on_completed (EapComponent     *component,
              EapCompletedArgs *args,
              gpointer          user_data)
{
  App *app = user_data;
  DownloadRow *row = eap_completed_args_get_user_state (args);  /* our ref, from add_download */
  EapDownloadFileCompletedArgs *file_args = EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args);
  g_autoptr(GError) error = NULL;
  gint64 size;

  app->n_running--;
  update_cancel_all (app);

  if (eap_completed_args_get_cancelled (args))
    download_row_set_cancelled (row);
  else if ((size = eap_download_file_completed_args_get_size (file_args, &error)) >= 0)
    download_row_set_done (row, size);
  else
    download_row_set_failed (row, error->message);

  if (app->test != NULL)
    self_test_on_completed (app, row, eap_completed_args_get_error (args));
  g_object_unref (row);

  /* Closing waited for the last cancellation: the files are gone now. */
  if (app->closing && app->n_running == 0 && app->window != NULL)
    gtk_window_destroy (app->window);
}

/* ------------------------------------------------------------------ */
/* Rows                                                                 */
/* ------------------------------------------------------------------ */

/* DownloadRow::cancel, from the row's Cancel button. */
static void
on_row_cancel (DownloadRow *row,
               gpointer     user_data)
{
  App *app = user_data;

  /* Nothing is emitted before this returns; completed comes later with
   * cancelled set, unless the download had just finished (R4). */
  download_row_set_status (row, "Cancelling…");
  eap_component_cancel_async (EAP_COMPONENT (app->client), row);
}

/* "example.org/x.iso" means https; anything but http(s) is refused. */
static char *
normalize_uri (const char  *text,
               GError     **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *uri = NULL;
  const char *scheme;

  if (g_uri_peek_scheme (stripped) == NULL)
    uri = g_strconcat ("https://", stripped, NULL);
  else
    uri = g_steal_pointer (&stripped);

  if (!g_uri_is_valid (uri, G_URI_FLAGS_PARSE_RELAXED, error))
    return NULL;
  scheme = g_uri_peek_scheme (uri);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Only http and https URLs can be downloaded, not %s", scheme);
      return NULL;
    }
  return g_steal_pointer (&uri);
}

/* Adds a row for @uri and starts its download; the row is the
 * operation's user_state and holds a reference until completed. */
static DownloadRow *
add_download (App        *app,
              const char *uri)
{
  g_autofree char *base = file_name_from_uri (uri);
  g_autofree char *name = NULL;
  g_autofree char *path = unique_path (app, base, &name);
  DownloadRow *row = download_row_new (name, uri, path);
  g_autoptr(GError) error = NULL;

  g_signal_connect (row, "cancel", G_CALLBACK (on_row_cancel), app);
  gtk_list_box_append (GTK_LIST_BOX (app->list), GTK_WIDGET (row));

  if (!eap_web_client_download_file_async (app->client, uri, path, g_object_ref (row), &error))
    {
      /* Refused at call time: no signal will come for it. */
      g_object_unref (row);
      download_row_set_failed (row, error->message);
      return row;
    }

  app->n_running++;
  update_cancel_all (app);
  return row;
}

/* The Add button and Enter in the entry. */
static void
on_add (GtkWidget *widget,
        gpointer   user_data)
{
  App *app = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (app->entry));
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  if (*text == '\0' || app->closing)
    return;

  uri = normalize_uri (text, &error);
  gtk_widget_set_visible (app->error_label, uri == NULL);
  if (uri == NULL)
    {
      gtk_label_set_text (GTK_LABEL (app->error_label), error->message);
      return;
    }

  add_download (app, uri);
  gtk_editable_set_text (GTK_EDITABLE (app->entry), "");
}

static void
on_entry_changed (GtkEditable *editable,
                  gpointer     user_data)
{
  App *app = user_data;

  gtk_widget_set_sensitive (app->add_button, *gtk_editable_get_text (editable) != '\0');
}

/* ------------------------------------------------------------------ */
/* Actions and the window                                               */
/* ------------------------------------------------------------------ */

static void
cancel_all_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  App *app = user_data;

  eap_component_cancel_all (EAP_COMPONENT (app->client));
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  App *app = user_data;

  if (app->window != NULL)
    gtk_window_close (app->window);
}

/* Closing with downloads in flight cancels them and closes once the last
 * one has completed, so the client has removed every partial file. */
static gboolean
on_close_request (GtkWindow *window,
                  gpointer   user_data)
{
  App *app = user_data;

  if (app->n_running == 0)
    return FALSE;

  app->closing = TRUE;
  gtk_widget_set_sensitive (gtk_window_get_child (window), FALSE);
  eap_component_cancel_all (EAP_COMPONENT (app->client));
  return TRUE;
}

static void
on_window_destroy (GtkWidget *widget,
                   gpointer   user_data)
{
  App *app = user_data;

  app->window = NULL;
}

static GtkWidget *
build_header_bar (App *app)
{
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *titles = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *title = gtk_label_new ("Downloads");
  g_autofree char *folder = g_filename_display_name (app->dir);
  g_autofree char *subtitle_text = g_strdup_printf ("into %s", folder);
  GtkWidget *subtitle = gtk_label_new (subtitle_text);
  GtkWidget *cancel_all = gtk_button_new_with_mnemonic ("Cancel _all");

  gtk_widget_add_css_class (title, "title");
  gtk_widget_add_css_class (subtitle, "subtitle");
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_START);
  gtk_widget_set_valign (titles, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (titles), title);
  gtk_box_append (GTK_BOX (titles), subtitle);
  gtk_header_bar_set_title_widget (GTK_HEADER_BAR (header), titles);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel_all), "app.cancel-all");
  gtk_widget_set_tooltip_text (cancel_all, "Cancel every download in progress (Ctrl+Esc)");
  gtk_widget_add_css_class (cancel_all, "destructive-action");
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), cancel_all);
  return header;
}

static GtkWidget *
build_url_bar (App *app)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  app->entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (app->entry), "https://example.org/file.iso");
  gtk_entry_set_input_purpose (GTK_ENTRY (app->entry), GTK_INPUT_PURPOSE_URL);
  gtk_widget_set_hexpand (app->entry, TRUE);
  g_signal_connect (app->entry, "activate", G_CALLBACK (on_add), app);
  g_signal_connect (app->entry, "changed", G_CALLBACK (on_entry_changed), app);

  app->add_button = gtk_button_new_with_mnemonic ("A_dd");
  gtk_widget_add_css_class (app->add_button, "suggested-action");
  gtk_widget_set_sensitive (app->add_button, FALSE);
  g_signal_connect (app->add_button, "clicked", G_CALLBACK (on_add), app);

  gtk_box_append (GTK_BOX (box), app->entry);
  gtk_box_append (GTK_BOX (box), app->add_button);
  return box;
}

static void
build_window (App *app)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *placeholder = gtk_label_new ("No downloads yet: type a URL above and press Add.");
  GtkWidget *url_bar = build_url_bar (app);

  app->window = GTK_WINDOW (gtk_application_window_new (app->gtk_app));
  gtk_window_set_title (app->window, "Downloads");
  gtk_window_set_default_size (app->window, 780, 600);
  gtk_window_set_titlebar (app->window, build_header_bar (app));
  g_signal_connect (app->window, "close-request", G_CALLBACK (on_close_request), app);
  g_signal_connect (app->window, "destroy", G_CALLBACK (on_window_destroy), app);

  gtk_widget_set_margin_start (url_bar, 12);
  gtk_widget_set_margin_end (url_bar, 12);
  gtk_widget_set_margin_top (url_bar, 12);
  gtk_box_append (GTK_BOX (content), url_bar);

  app->error_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (app->error_label, "error");
  gtk_label_set_xalign (GTK_LABEL (app->error_label), 0);
  gtk_widget_set_margin_start (app->error_label, 12);
  gtk_widget_set_visible (app->error_label, FALSE);
  gtk_box_append (GTK_BOX (content), app->error_label);

  app->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (app->list), GTK_SELECTION_NONE);
  gtk_list_box_set_show_separators (GTK_LIST_BOX (app->list), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_list_box_set_placeholder (GTK_LIST_BOX (app->list), placeholder);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), app->list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (content), scrolled);

  gtk_window_set_child (app->window, content);
}

/* ------------------------------------------------------------------ */
/* --self-test                                                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char       *path;
  goffset           length;
  gboolean          chunked;          /* no Content-Length: the bar pulses */
  guint64           bytes_per_second; /* 0: as fast as it goes */
  DownloadRowState  expected;
} SelfTestEntry;

/* Paced so that they overlap for a few seconds: the screenshot needs rows
 * mid-way, and cancel-me.zip must still be running at half-way. */
static const SelfTestEntry self_test_entries[] = {
  { "/small.txt",     64 * 1024, FALSE, 0,          DOWNLOAD_ROW_DONE },
  { "/large.iso",     48 * MiB,  FALSE, 12 * MiB,   DOWNLOAD_ROW_DONE },
  { "/stream.log",    6 * MiB,   TRUE,  2 * MiB,    DOWNLOAD_ROW_DONE },
  { "/missing.txt",   0,         FALSE, 0,          DOWNLOAD_ROW_FAILED },
  { "/cancel-me.zip", 16 * MiB,  FALSE, 4 * MiB,    DOWNLOAD_ROW_CANCELLED },
  { "/slow.bin",      1 * MiB,   FALSE, 256 * 1024, DOWNLOAD_ROW_DONE },
};
#define N_SELF_TEST_PHOTOS 14         /* 6 + 14: twenty downloads at once */

typedef struct
{
  SelfTestEntry  entry;
  char          *path;              /* (owned): the server's path */
  DownloadRow   *row;               /* (unowned): in the list */
  GError        *error;             /* (owned) (nullable): as completed reported it */
} SelfTestItem;

struct _SelfTest
{
  DemoServer    *server;            /* (owned) */
  gboolean       dir_is_temp;       /* made by the self-test: removed at the end */
  GArray        *items;             /* (owned) (element-type SelfTestItem) */
  DownloadRow   *cancel_row;        /* (unowned) */
  gboolean       cancel_clicked;
  guint          n_final;
  guint          deadline_id;
  guint          stall_id;
  gint64         last_tick_us;
  gint64         max_stall_us;
  gint64         start_us;
  GdkFrameClock *frame_clock;       /* (owned) (nullable): while a screenshot is pending */
  gulong         after_paint_id;
  gboolean       screenshot_saved;
  gboolean       screenshot_failed;
};

static void
self_test_item_clear (gpointer data)
{
  SelfTestItem *item = data;

  g_free (item->path);
  g_clear_error (&item->error);
}

static void
self_test_free (SelfTest *test)
{
  g_clear_handle_id (&test->deadline_id, g_source_remove);
  g_clear_handle_id (&test->stall_id, g_source_remove);
  g_clear_signal_handler (&test->after_paint_id, test->frame_clock);
  g_clear_object (&test->frame_clock);
  g_clear_pointer (&test->items, g_array_unref);
  g_clear_pointer (&test->server, demo_server_free);
  g_free (test);
}

static const char *
state_text (DownloadRowState state)
{
  switch (state)
    {
    case DOWNLOAD_ROW_RUNNING:   return "running";
    case DOWNLOAD_ROW_DONE:      return "done";
    case DOWNLOAD_ROW_FAILED:    return "failed";
    case DOWNLOAD_ROW_CANCELLED: return "cancelled";
    default:                     return "?";
    }
}

/* Measures how late a STALL_TICK_MS timeout fires: what a user would feel
 * as a frozen window. */
static gboolean
on_stall_tick (gpointer user_data)
{
  SelfTest *test = user_data;
  gint64 now = g_get_monotonic_time ();

  test->max_stall_us = MAX (test->max_stall_us,
                            now - test->last_tick_us - STALL_TICK_MS * G_TIME_SPAN_MILLISECOND);
  test->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

static void
self_test_end (App      *app,
               gboolean  passed)
{
  printf ("%s\n", passed ? "1 passed, 0 failed" : "0 passed, 1 failed");
  fflush (stdout);
  app->exit_status = passed ? 0 : 1;
  g_application_quit (G_APPLICATION (app->gtk_app));
}

static gboolean
on_self_test_deadline (gpointer user_data)
{
  App *app = user_data;

  app->test->deadline_id = 0;
  printf ("self-test: no end after %d s: %u of %u rows final\n", SELF_TEST_DEADLINE_S,
          app->test->n_final, app->test->items->len);
  eap_component_cancel_all (EAP_COMPONENT (app->client));
  self_test_end (app, FALSE);
  return G_SOURCE_REMOVE;
}

/* Renders the window as it is on screen into a PNG: the window's
 * paintable into a render node, the node into a texture by the window's
 * own renderer (cairo under Xvfb). */
static gboolean
save_screenshot (GtkWidget   *widget,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL || renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window drew nothing");
      return FALSE;
    }

  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}

/* After the frame that shows the rows mid-way has been painted. */
static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  App *app = user_data;
  SelfTest *test = app->test;
  g_autoptr(GError) error = NULL;
  guint n_running = 0;

  g_clear_signal_handler (&test->after_paint_id, test->frame_clock);
  g_clear_object (&test->frame_clock);

  for (guint i = 0; i < test->items->len; i++)
    n_running += !download_row_is_final (g_array_index (test->items, SelfTestItem, i).row);

  if (save_screenshot (GTK_WIDGET (app->window), app->screenshot, &error))
    {
      test->screenshot_saved = TRUE;
      printf ("self-test: screenshot of %u downloads in progress saved to %s\n", n_running,
              app->screenshot);
    }
  else
    {
      test->screenshot_failed = TRUE;
      printf ("self-test: screenshot failed: %s\n", error->message);
    }
  fflush (stdout);
}

/* Once ten rows are between 30 and 80 %, asks for a screenshot after
 * the next frame, when the layout shows the newest values. */
static void
self_test_maybe_screenshot (App *app)
{
  SelfTest *test = app->test;
  guint n_midway = 0;

  if (app->screenshot == NULL || test->screenshot_saved || test->screenshot_failed ||
      test->frame_clock != NULL)
    return;

  for (guint i = 0; i < test->items->len; i++)
    {
      double fraction = download_row_get_fraction (g_array_index (test->items,
                                                                  SelfTestItem, i).row);

      n_midway += fraction >= 0.3 && fraction <= 0.8;
    }
  if (n_midway < 10)
    return;

  test->frame_clock = g_object_ref (gtk_widget_get_frame_clock (GTK_WIDGET (app->window)));
  test->after_paint_id = g_signal_connect (test->frame_clock, "after-paint",
                                           G_CALLBACK (on_after_paint), app);
  gtk_widget_queue_draw (GTK_WIDGET (app->window));
}

static void
self_test_on_progress (App         *app,
                       DownloadRow *row)
{
  SelfTest *test = app->test;

  /* Half-way, click the row's Cancel button, as a user would. */
  if (row == test->cancel_row && !test->cancel_clicked && download_row_get_fraction (row) >= 0.5)
    {
      test->cancel_clicked = TRUE;
      printf ("self-test: %s passed 50 %%: clicking its Cancel button\n",
              download_row_get_name (row));
      fflush (stdout);
      g_signal_emit_by_name (download_row_get_cancel_button (row), "clicked");
    }

  self_test_maybe_screenshot (app);
}

/* Whether @item ended as planned, and the file on disk agrees; says why
 * not in @why. */
static gboolean
self_test_check_item (SelfTestItem *item,
                      GString      *why)
{
  DownloadRowState state = download_row_get_state (item->row);
  GStatBuf st;
  gboolean exists = g_stat (download_row_get_path (item->row), &st) == 0;

  if (state != item->entry.expected)
    g_string_printf (why, "%s, expected %s", state_text (state), state_text (item->entry.expected));
  else if (state == DOWNLOAD_ROW_DONE && (!exists || st.st_size != item->entry.length))
    g_string_printf (why, "%" G_GINT64_FORMAT " bytes on disk, expected %" G_GINT64_FORMAT,
                     exists ? (gint64) st.st_size : -1, (gint64) item->entry.length);
  else if (state != DOWNLOAD_ROW_DONE && exists)
    g_string_printf (why, "a file was left on disk");
  else if (state == DOWNLOAD_ROW_FAILED &&
           !g_error_matches (item->error, EAP_HTTP_ERROR, 404))
    g_string_printf (why, "expected HTTP 404, got %s",
                     item->error != NULL ? item->error->message : "no error");
  else
    return TRUE;
  return FALSE;
}

/* Every row is final: check them all, print the summary, quit. */
static void
self_test_finish (App *app)
{
  SelfTest *test = app->test;
  g_autoptr(GString) why = g_string_new (NULL);
  gboolean ok = TRUE;

  printf ("\nself-test: all %u rows final after %.2f s (window responsive: longest "
          "main-loop stall %" G_GINT64_FORMAT " ms, limit %d ms)\n",
          test->items->len, (g_get_monotonic_time () - test->start_us) / 1e6,
          test->max_stall_us / 1000, MAX_STALL_MS);
  for (guint i = 0; i < test->items->len; i++)
    {
      SelfTestItem *item = &g_array_index (test->items, SelfTestItem, i);
      gboolean item_ok = self_test_check_item (item, why);
      g_autofree char *size = g_format_size ((guint64) download_row_get_received (item->row));

      printf ("  %-4s %-9s  %-14s %10s  %s\n", item_ok ? "ok" : "FAIL",
              state_text (download_row_get_state (item->row)), download_row_get_name (item->row),
              size, item_ok ? (item->error != NULL ? item->error->message : "") : why->str);
      ok = ok && item_ok;
    }

  if (test->max_stall_us > MAX_STALL_MS * G_TIME_SPAN_MILLISECOND)
    {
      printf ("  FAIL the main loop stalled for more than %d ms\n", MAX_STALL_MS);
      ok = FALSE;
    }
  if (app->screenshot != NULL && !test->screenshot_saved)
    {
      printf ("  FAIL no screenshot was saved\n");
      ok = FALSE;
    }
  printf ("self-test %s: %u done with the right sizes, the 404 failed, %s cancelled "
          "half-way by its Cancel button\n", ok ? "as expected" : "NOT as expected",
          test->items->len - 2, download_row_get_name (test->cancel_row));
  self_test_end (app, ok);
}

static void
self_test_on_completed (App          *app,
                        DownloadRow  *row,
                        const GError *error)
{
  SelfTest *test = app->test;

  for (guint i = 0; i < test->items->len; i++)
    {
      SelfTestItem *item = &g_array_index (test->items, SelfTestItem, i);

      if (item->row == row && error != NULL)
        item->error = g_error_copy (error);
    }

  if (++test->n_final == test->items->len)
    self_test_finish (app);
}

/* Serves @entry and adds it the way a user does: type, press Add. */
static void
self_test_add (App                 *app,
               const SelfTestEntry *entry,
               const char          *path)
{
  SelfTest *test = app->test;
  SelfTestItem item = { *entry, g_strdup (path), NULL, NULL };
  g_autofree char *uri = demo_server_dup_uri (test->server, path);
  GtkListBoxRow *last;

  if (entry->expected != DOWNLOAD_ROW_FAILED)
    demo_server_add_file (test->server, path, entry->length, entry->chunked,
                          entry->bytes_per_second, -1);

  /* "clicked", what a pointer click emits: gtk_widget_activate() would
   * emit it only after a 250 ms press animation. */
  gtk_editable_set_text (GTK_EDITABLE (app->entry), uri);
  g_signal_emit_by_name (app->add_button, "clicked");
  last = gtk_list_box_get_row_at_index (GTK_LIST_BOX (app->list), (int) test->items->len);
  g_assert (DOWNLOAD_IS_ROW (last));
  item.row = DOWNLOAD_ROW (last);
  if (entry->expected == DOWNLOAD_ROW_CANCELLED)
    test->cancel_row = item.row;
  g_array_append_val (test->items, item);
}

static void
self_test_start (App *app)
{
  SelfTest *test = app->test;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;

  test->server = demo_server_new (&error);
  if (test->server == NULL)
    {
      printf ("self-test: cannot start the demo server: %s\n", error->message);
      self_test_end (app, FALSE);
      return;
    }

  test->start_us = test->last_tick_us = g_get_monotonic_time ();
  test->deadline_id = g_timeout_add_seconds (SELF_TEST_DEADLINE_S, on_self_test_deadline, app);
  test->stall_id = g_timeout_add (STALL_TICK_MS, on_stall_tick, test);

  for (gsize i = 0; i < G_N_ELEMENTS (self_test_entries); i++)
    self_test_add (app, &self_test_entries[i], self_test_entries[i].path);
  for (guint i = 0; i < N_SELF_TEST_PHOTOS; i++)
    {
      /* 2 to 5 MiB, each taking 2.5 to 4.5 s. */
      g_autofree char *path = g_strdup_printf ("/photo-%02u.jpg", i + 1);
      goffset length = (2 + i % 4) * MiB;
      SelfTestEntry photo = { path, length, FALSE,
                              (guint64) (length * 1000 / (2500 + 150 * i)), DOWNLOAD_ROW_DONE };

      self_test_add (app, &photo, path);
    }

  root = demo_server_dup_uri (test->server, "/");
  printf ("self-test: %u downloads from the embedded server on %s into %s, all at once\n",
          test->items->len, root, app->dir);
  fflush (stdout);
}

/* ------------------------------------------------------------------ */
/* The application                                                      */
/* ------------------------------------------------------------------ */

static void
on_startup (GApplication *application,
            gpointer      user_data)
{
  App *app = user_data;
  const char *cancel_all_accels[] = { "<Primary>Escape", NULL };
  const char *quit_accels[] = { "<Primary>q", NULL };
  const GActionEntry actions[] = {
    { .name = "cancel-all", .activate = cancel_all_activated },
    { .name = "quit", .activate = quit_activated },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions,
                                   G_N_ELEMENTS (actions), app);
  gtk_application_set_accels_for_action (app->gtk_app, "app.cancel-all", cancel_all_accels);
  gtk_application_set_accels_for_action (app->gtk_app, "app.quit", quit_accels);
  update_cancel_all (app);

  /* One client for every row; all its signals come to this main context. */
  app->client = eap_web_client_new ();
  eap_web_client_set_max_connections_per_host (app->client, MAX_PARALLEL);
  eap_component_set_progress_interval (EAP_COMPONENT (app->client), PROGRESS_INTERVAL_MS);
  g_signal_connect (app->client, "progress-changed::download-file",
                    G_CALLBACK (on_progress), app);
  g_signal_connect (app->client, "completed::download-file",
                    G_CALLBACK (on_completed), app);
}

static void
on_activate (GApplication *application,
             gpointer      user_data)
{
  App *app = user_data;

  if (app->window != NULL)
    {
      gtk_window_present (app->window);
      return;
    }

  build_window (app);
  gtk_window_present (app->window);
  if (app->self_test_opt)
    {
      app->test = g_new0 (SelfTest, 1);
      app->test->items = g_array_new (FALSE, TRUE, sizeof (SelfTestItem));
      g_array_set_clear_func (app->test->items, self_test_item_clear);
      app->test->dir_is_temp = app->output == NULL;
      self_test_start (app);
    }
}

/* The output folder: --output (created if missing), a temporary one for
 * the self-test, else the user's Downloads folder, else home. */
static gboolean
choose_dir (App     *app,
            GError **error)
{
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  if (app->output != NULL)
    {
      if (g_mkdir_with_parents (app->output, 0777) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "cannot create folder %s: %s", app->output, g_strerror (saved_errno));
          return FALSE;
        }
      app->dir = g_strdup (app->output);
    }
  else if (app->self_test_opt)
    app->dir = g_dir_make_tmp ("eap-gtk-download-XXXXXX", error);
  else
    app->dir = g_strdup (downloads != NULL ? downloads : g_get_home_dir ());
  return app->dir != NULL;
}

static int
on_handle_local_options (GApplication *application,
                         GVariantDict *options,
                         gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;

  if (app->screenshot != NULL && !app->self_test_opt)
    {
      g_printerr ("eap-gtk-download: --screenshot needs --self-test\n");
      return 2;
    }
  if (!choose_dir (app, &error))
    {
      g_printerr ("eap-gtk-download: %s\n", error->message);
      if (app->self_test_opt)
        printf ("0 passed, 1 failed\n");        /* the self-test's last line, always */
      return 1;
    }
  return -1;                              /* go on: startup, activate */
}

/* Removes the files the self-test wrote into its temporary folder. */
static void
remove_temp_dir (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
app_clear (App *app)
{
  gboolean remove_dir = app->test != NULL && app->test->dir_is_temp;

  /* The client goes before the server, whose connections it holds. */
  g_clear_object (&app->client);
  g_clear_pointer (&app->test, self_test_free);
  if (remove_dir)
    remove_temp_dir (app->dir);
  g_clear_object (&app->gtk_app);
  g_clear_pointer (&app->taken, g_hash_table_unref);
  g_clear_pointer (&app->dir, g_free);
  g_clear_pointer (&app->output, g_free);
  g_clear_pointer (&app->screenshot, g_free);
}

int
main (int   argc,
      char *argv[])
{
  App app = { 0 };
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &app.output,
      "Save the files in DIR (default: your Downloads folder)", "DIR" },
    { "self-test", 0, 0, G_OPTION_ARG_NONE, &app.self_test_opt,
      "Download from an embedded server, check every outcome, exit 0 if all are right", NULL },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &app.screenshot,
      "With --self-test: save a PNG of the window mid-download", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  int status;

  setlocale (LC_ALL, "");
  app.taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Every run is an instance of its own: two self-tests at once must not
   * find each other over D-Bus and hand their options over. */
  app.gtk_app = gtk_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_application_add_main_option_entries (G_APPLICATION (app.gtk_app), entries);
  g_application_set_option_context_summary (G_APPLICATION (app.gtk_app),
    "Downloads files with one EapWebClient, a row per file, many at once.");
  g_signal_connect (app.gtk_app, "handle-local-options",
                    G_CALLBACK (on_handle_local_options), &app);
  g_signal_connect (app.gtk_app, "startup", G_CALLBACK (on_startup), &app);
  g_signal_connect (app.gtk_app, "activate", G_CALLBACK (on_activate), &app);

  status = g_application_run (G_APPLICATION (app.gtk_app), argc, argv);
  if (status == 0)
    status = app.exit_status;

  app_clear (&app);
  return status;
}
