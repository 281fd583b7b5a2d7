/* eap-download.c: download several URLs at once with EapWebClient
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: eap-download URL… [-o DIR] [-j N] [--resume] [--quiet]
 *        eap-download --demo [-o DIR] [-j N]
 *
 * Every URL is one download-file operation on ONE EapWebClient, its
 * user_state the Job that describes it; at most N run at once, the rest
 * wait in a queue and start from the completed handler of the one before.
 * Everything happens in the main thread: the client reports progress and
 * completion as signals in the main context, where this program draws
 * them. On a terminal each download gets a live line (bar, bytes, speed,
 * ETA), redrawn at most ten times a second; otherwise plain log lines.
 *
 * Ctrl-C cancels everything (eap_component_cancel_all) and waits for every
 * completed signal: the client removes partial files before it reports a
 * cancellation, so none remain (with --resume it keeps them as .part, to
 * continue next time).
 *
 * Exit status: 0 when every URL was downloaded, 1 when any failed or was
 * cancelled, 2 for a usage error.
 *
 * --demo starts an embedded SoupServer on 127.0.0.1 (a free port), in this
 * same process and main loop, serving generated files, and downloads them
 * all, cancelling one half-way. It exits 0 when every outcome is the
 * expected one.
 */

#include <eap.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "demo-server.h"
#include "progress-line.h"
#include "speed-meter.h"

#define DEFAULT_JOBS        4
#define REDRAW_INTERVAL_MS  100     /* at most ten redraws a second */
#define PROGRESS_INTERVAL   100     /* ms between progress events per download */

/* One URL. Its address is the operation's user_state. */
typedef struct
{
  guint              index;          /* 1-based */
  char              *uri;            /* (owned) */
  char              *name;           /* (owned): the file name in the output folder */
  char              *path;           /* (owned) */
  ProgressLineState  state;
  gboolean           started;
  gboolean           printed;        /* terminal: its final line is out */
  gboolean           got_progress;
  gint64             received;
  gint64             total;          /* -1: unknown */
  gint64             started_us;
  gint64             finished_us;
  int                logged_quarter; /* log mode: the last 25 % step printed */
  char              *message;        /* (owned) (nullable): why it failed */

  SpeedMeter         meter;

  /* --demo */
  gboolean           cancel_at_half;
  gboolean           cancel_requested;
  ProgressLineState  expected_state;
  gint64             expected_size;
} Job;

typedef struct
{
  EapWebClient *client;         /* (owned) */
  GMainLoop    *loop;           /* (owned) */
  GPtrArray    *jobs;           /* (owned) (element-type Job) */
  char         *dir;            /* (owned) */
  guint         max_jobs;
  guint         next_job;       /* index of the next queued job */
  guint         n_running;
  gboolean      quiet;
  gboolean      tty;
  gboolean      interrupted;
  gint64        start_us;

  /* Terminal drawing */
  guint         redraw_id;
  guint         n_live_lines;   /* lines drawn below the cursor's home */
  guint         frame;
  GPtrArray    *notices;        /* (owned) (element-type utf8): to print above it */
} App;

/* ------------------------------------------------------------------ */
/* Jobs                                                                 */
/* ------------------------------------------------------------------ */

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->uri);
  g_free (job->name);
  g_free (job->path);
  g_free (job->message);
  g_free (job);
}

static double
job_elapsed_s (Job *job)
{
  gint64 end = job->finished_us ? job->finished_us : g_get_monotonic_time ();

  return job->started_us ? (end - job->started_us) / 1e6 : 0;
}

/* The file name a URL is saved under: the last segment of its path,
 * percent-decoded, made safe: no '/' (from "%2F"), no control characters,
 * no leading '.' (no hidden files, no "..") and "index.html" when nothing
 * is left. */
static char *
file_name_from_uri (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_PATH, NULL);
  g_autofree char *decoded = NULL;
  g_autoptr(GString) name = NULL;
  const char *path;
  const char *segment;
  const char *p;

  if (parsed == NULL)
    return g_strdup ("index.html");

  path = g_uri_get_path (parsed);
  segment = strrchr (path, '/');
  segment = segment != NULL ? segment + 1 : path;
  decoded = g_uri_unescape_string (segment, NULL);
  if (decoded == NULL)                  /* a bad escape: keep it as written */
    decoded = g_strdup (segment);
  if (!g_utf8_validate (decoded, -1, NULL))
    {
      char *valid = g_utf8_make_valid (decoded, -1);

      g_free (decoded);
      decoded = valid;
    }

  for (p = decoded; *p == '.'; p++)
    ;
  name = g_string_new (NULL);
  for (; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || g_unichar_iscntrl (c))
        g_string_append_c (name, '_');
      else
        g_string_append_unichar (name, c);
    }

  /* Stay well inside NAME_MAX (255 bytes) with room for ".N" and the
   * client's temporary suffix. */
  if (name->len > 200)
    {
      const char *cut = g_utf8_find_prev_char (name->str, name->str + 200);

      g_string_truncate (name, cut - name->str);
    }

  if (name->len == 0)
    return g_strdup ("index.html");
  return g_string_free (g_steal_pointer (&name), FALSE);
}

/* Two URLs with the same file name get "name", "name.1", "name.2"… */
static char *
unique_name (GHashTable *taken,
             const char *name)
{
  char *candidate = g_strdup (name);

  for (guint n = 1; g_hash_table_contains (taken, candidate); n++)
    {
      g_free (candidate);
      candidate = g_strdup_printf ("%s.%u", name, n);
    }
  g_hash_table_add (taken, g_strdup (candidate));
  return candidate;
}

static Job *
add_job (App        *app,
         GHashTable *taken,
         const char *uri)
{
  Job *job = g_new0 (Job, 1);
  g_autofree char *name = file_name_from_uri (uri);

  job->index = app->jobs->len + 1;
  job->uri = g_strdup (uri);
  job->name = unique_name (taken, name);
  job->path = g_build_filename (app->dir, job->name, NULL);
  job->state = PROGRESS_LINE_QUEUED;
  job->total = -1;
  job->expected_state = PROGRESS_LINE_DONE;
  job->expected_size = -1;
  g_ptr_array_add (app->jobs, job);
  return job;
}

/* ------------------------------------------------------------------ */
/* Output                                                               */
/* ------------------------------------------------------------------ */

static guint
terminal_width (void)
{
  struct winsize ws;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

static void
fill_line (App          *app,
           Job          *job,
           ProgressLine *line)
{
  line->name = job->name;
  line->state = job->state;
  line->received = job->received;
  line->total = job->total;
  line->speed = job->meter.speed;
  line->elapsed_s = job_elapsed_s (job);
  line->message = job->message;
  line->frame = app->frame;
  line->connecting = !job->got_progress;
}

/* Redraws the live block: notices and finished downloads are printed
 * once, for good, above it; the block itself is the running downloads and
 * a queue count. Lines are cut to the terminal width, so each is one row and
 * moving the cursor up n_live_lines rows finds the block again. */
static void
redraw (App *app)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint width = terminal_width ();
  guint n_lines = 0;
  guint n_queued = 0;

  if (app->n_live_lines > 0)
    g_string_append_printf (out, "\033[%uA", app->n_live_lines);

  /* Notices and finished downloads scroll up and stay. */
  for (guint i = 0; i < app->notices->len; i++)
    g_string_append_printf (out, "\r%s\033[K\n", (char *) g_ptr_array_index (app->notices, i));
  g_ptr_array_set_size (app->notices, 0);

  for (guint i = 0; i < app->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (app->jobs, i);
      ProgressLine line = { 0 };
      g_autofree char *text = NULL;

      if (job->printed || job->state == PROGRESS_LINE_RUNNING ||
          job->state == PROGRESS_LINE_QUEUED)
        continue;
      fill_line (app, job, &line);
      text = progress_line_render (&line, width);
      g_string_append_printf (out, "\r%s\033[K\n", text);
      job->printed = TRUE;
    }

  for (guint i = 0; i < app->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (app->jobs, i);
      ProgressLine line = { 0 };
      g_autofree char *text = NULL;

      if (job->state == PROGRESS_LINE_QUEUED)
        n_queued++;
      if (job->state != PROGRESS_LINE_RUNNING)
        continue;
      fill_line (app, job, &line);
      text = progress_line_render (&line, width);
      g_string_append_printf (out, "\r%s\033[K\n", text);
      n_lines++;
    }

  if (n_queued > 0)
    {
      g_string_append_printf (out, "\r  … %u more queued (-j %u)\033[K\n", n_queued, app->max_jobs);
      n_lines++;
    }

  g_string_append (out, "\033[J");       /* rows the block no longer needs */
  app->n_live_lines = n_lines;
  app->frame++;

  fputs (out->str, stdout);
  fflush (stdout);
}

static gboolean
on_redraw_tick (gpointer user_data)
{
  redraw (user_data);
  return G_SOURCE_CONTINUE;
}

static void G_GNUC_PRINTF (2, 3)
log_line (App        *app,
          const char *format,
          ...)
{
  va_list ap;

  if (app->quiet || app->tty)
    return;

  va_start (ap, format);
  vprintf (format, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

/* A line for the user: logged at once, or drawn above the live block at
 * the next redraw on a terminal. */
static void
add_notice (App        *app,
            const char *text)
{
  if (app->tty)
    g_ptr_array_add (app->notices, g_strdup (text));
  log_line (app, "%s", text);
}

/* ------------------------------------------------------------------ */
/* The queue                                                            */
/* ------------------------------------------------------------------ */

static void
maybe_quit (App *app)
{
  if (app->n_running == 0 && app->next_job >= app->jobs->len)
    g_main_loop_quit (app->loop);
}

static void
start_next (App *app)
{
  while (!app->interrupted && app->n_running < app->max_jobs &&
         app->next_job < app->jobs->len)
    {
      Job *job = g_ptr_array_index (app->jobs, app->next_job++);
      g_autoptr(GError) error = NULL;

      job->started_us = g_get_monotonic_time ();
      speed_meter_start (&job->meter);
      if (!eap_web_client_download_file_async (app->client, job->uri, job->path, job, &error))
        {
          /* Refused at call time: no signal will come for it. */
          job->state = PROGRESS_LINE_FAILED;
          job->finished_us = job->started_us;
          job->message = g_strdup (error->message);
          log_line (app, "[%u] failed: %s: %s", job->index, job->name, job->message);
          continue;
        }

      job->started = TRUE;
      job->state = PROGRESS_LINE_RUNNING;
      app->n_running++;
      log_line (app, "[%u] started: %s -> %s", job->index, job->uri, job->path);
    }
}

/* ------------------------------------------------------------------ */
/* The client's signals, all in the main thread                         */
/* ------------------------------------------------------------------ */

/* progress-changed::download-file */
static void
on_progress (EapComponent    *component,
             EapProgressArgs *args,
             gpointer         user_data)
{
  App *app = user_data;
  Job *job = eap_progress_args_get_user_state (args);
  EapWebProgressArgs *web_args = EAP_WEB_PROGRESS_ARGS (args);
  gint64 received = eap_web_progress_args_get_bytes_received (web_args);

  job->got_progress = TRUE;
  job->total = eap_web_progress_args_get_total_bytes (web_args);
  speed_meter_update (&job->meter, received);
  job->received = received;

  if (job->total > 0)
    {
      int quarter = (int) (4 * MIN (received, job->total) / job->total);

      /* A line when it passes 25, 50 or 75 %; 100 % is the "done" line. */
      if (quarter > job->logged_quarter && quarter < 4)
        {
          g_autofree char *done = progress_format_size (received);
          g_autofree char *total = progress_format_size (job->total);

          job->logged_quarter = quarter;
          log_line (app, "[%u] %s: %d%% (%s of %s)", job->index, job->name,
                    25 * quarter, done, total);
        }

      /* --demo: cancelling from a progress handler is allowed (R51); the
       * completed signal, with cancelled set, comes later. */
      if (job->cancel_at_half && !job->cancel_requested && 2 * received >= job->total)
        {
          g_autofree char *notice =
            g_strdup_printf ("[%u] %s passed 50%%: cancelling it (eap_component_cancel_async)",
                             job->index, job->name);

          job->cancel_requested = TRUE;
          add_notice (app, notice);
          eap_component_cancel_async (component, job);
        }
    }
}

/* completed::download-file: exactly once per accepted download. */
static void
on_completed (EapComponent     *component,
              EapCompletedArgs *args,
              gpointer          user_data)
{
  App *app = user_data;
  Job *job = eap_completed_args_get_user_state (args);
  EapDownloadFileCompletedArgs *file_args = EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args);
  g_autoptr(GError) error = NULL;
  gint64 size;

  job->finished_us = g_get_monotonic_time ();
  app->n_running--;

  if (eap_completed_args_get_cancelled (args))
    {
      g_autofree char *received = progress_format_size (job->received);

      job->state = PROGRESS_LINE_CANCELLED;
      log_line (app, "[%u] cancelled: %s after %s", job->index, job->name, received);
    }
  else if ((size = eap_download_file_completed_args_get_size (file_args, &error)) < 0)
    {
      job->state = PROGRESS_LINE_FAILED;
      job->message = g_strdup (error->message);
      log_line (app, "[%u] failed: %s: %s", job->index, job->name, job->message);
    }
  else
    {
      g_autofree char *text = progress_format_size (size);
      g_autofree char *speed = NULL;
      double elapsed = job_elapsed_s (job);

      job->state = PROGRESS_LINE_DONE;
      job->received = size;
      job->total = size;
      speed = progress_format_speed (elapsed > 0 ? size / elapsed : 0);
      log_line (app, "[%u] done: %s, %s in %.2f s (%s)", job->index, job->path, text,
                elapsed, speed);
    }

  start_next (app);
  maybe_quit (app);
}

/* SIGINT, dispatched in the main context like everything else. */
static gboolean
on_sigint (gpointer user_data)
{
  App *app = user_data;

  if (!app->interrupted)
    {
      app->interrupted = TRUE;

      /* What never started is cancelled without a word to the client. */
      for (guint i = app->next_job; i < app->jobs->len; i++)
        {
          Job *job = g_ptr_array_index (app->jobs, i);

          job->state = PROGRESS_LINE_CANCELLED;
        }
      app->next_job = app->jobs->len;

      add_notice (app, "Interrupted: cancelling every download (eap_component_cancel_all)…");
      eap_component_cancel_all (EAP_COMPONENT (app->client));
      maybe_quit (app);
    }
  else
    add_notice (app, "Interrupted again: still waiting for the downloads to stop…");

  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Summary                                                              */
/* ------------------------------------------------------------------ */

static const char *
state_text (ProgressLineState state)
{
  switch (state)
    {
    case PROGRESS_LINE_QUEUED:    return "queued";
    case PROGRESS_LINE_RUNNING:   return "running";
    case PROGRESS_LINE_DONE:      return "done";
    case PROGRESS_LINE_FAILED:    return "failed";
    case PROGRESS_LINE_CANCELLED: return "cancelled";
    default:                      return "?";
    }
}

/* Prints the summary (unless quiet) and one reason per failed URL on
 * stderr. Returns the number of URLs not downloaded. */
static guint
print_summary (App *app)
{
  guint n_done = 0, n_failed = 0, n_cancelled = 0;
  gint64 bytes = 0;
  g_autofree char *total = NULL;

  for (guint i = 0; i < app->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (app->jobs, i);

      if (job->state == PROGRESS_LINE_DONE)
        n_done++;
      else if (job->state == PROGRESS_LINE_FAILED)
        n_failed++;
      else
        n_cancelled++;
      bytes += job->received;
    }

  total = progress_format_size (bytes);
  if (!app->quiet)
    {
      printf ("\n%u of %u downloaded into %s: %u done, %u failed, %u cancelled "
              "(%s in %.2f s)\n",
              n_done, app->jobs->len, app->dir, n_done, n_failed, n_cancelled, total,
              (g_get_monotonic_time () - app->start_us) / 1e6);
      for (guint i = 0; i < app->jobs->len; i++)
        {
          Job *job = g_ptr_array_index (app->jobs, i);
          g_autofree char *size = progress_format_size (job->received);

          printf ("  %-9s  %-20s  %10s  %s\n", state_text (job->state), job->name, size,
                  job->state == PROGRESS_LINE_FAILED ? job->message : job->uri);
        }
      fflush (stdout);
    }

  /* One line per URL that failed, whatever the mode. */
  for (guint i = 0; i < app->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (app->jobs, i);

      if (job->state != PROGRESS_LINE_FAILED)
        continue;
      /* The client's messages name the URI already; say it once. */
      if (strstr (job->message, job->uri) != NULL)
        fprintf (stderr, "eap-download: %s\n", job->message);
      else
        fprintf (stderr, "eap-download: %s: %s\n", job->uri, job->message);
    }

  return n_failed + n_cancelled;
}

/* ------------------------------------------------------------------ */
/* --demo                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  const char        *path;
  goffset            length;
  gboolean           chunked;
  guint64            bytes_per_second;
  ProgressLineState  expected;
} DemoEntry;

#define MiB (G_GINT64_CONSTANT (1024) * 1024)

/* About four seconds in all with -j 4: large, stream and slow run side by
 * side; cancel-me and missing start when small and cancel-me finish. */
static const DemoEntry demo_entries[] = {
  { "/small.txt",      64 * 1024, FALSE, 0,             PROGRESS_LINE_DONE },
  { "/large.iso",      256 * MiB, FALSE, 72 * MiB,      PROGRESS_LINE_DONE },
  { "/stream.log",     12 * MiB,  TRUE,  4 * MiB,       PROGRESS_LINE_DONE },
  { "/slow.bin",       1 * MiB,   FALSE, 300 * 1024,    PROGRESS_LINE_DONE },
  { "/cancel-me.zip",  32 * MiB,  FALSE, 16 * MiB,      PROGRESS_LINE_CANCELLED },
  { "/missing.txt",    0,         FALSE, 0,             PROGRESS_LINE_FAILED },
};

static DemoServer *
demo_setup (App        *app,
            GHashTable *taken,
            GError    **error)
{
  g_autoptr(DemoServer) server = demo_server_new (error);
  g_autofree char *root = NULL;

  if (server == NULL)
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (demo_entries); i++)
    {
      const DemoEntry *entry = &demo_entries[i];
      g_autofree char *uri = demo_server_dup_uri (server, entry->path);
      Job *job;

      if (entry->expected != PROGRESS_LINE_FAILED)
        demo_server_add_file (server, entry->path, entry->length, entry->chunked,
                              entry->bytes_per_second, -1);
      job = add_job (app, taken, uri);
      job->expected_state = entry->expected;
      job->expected_size = entry->expected == PROGRESS_LINE_DONE ? entry->length : -1;
      job->cancel_at_half = entry->expected == PROGRESS_LINE_CANCELLED;
    }

  root = demo_server_dup_uri (server, "/");
  if (!app->quiet)
    {
      printf ("Demo: an embedded SoupServer serves %u generated files on %s\n"
              "(127.0.0.1, a free port; same process, same main loop as the client).\n"
              "One EapWebClient downloads them into %s, at most %u at once;\n"
              "cancel-me.zip is cancelled once it passes 50 %%, missing.txt is a 404.\n\n",
              (guint) G_N_ELEMENTS (demo_entries) - 1, root, app->dir, app->max_jobs);
      fflush (stdout);
    }

  return g_steal_pointer (&server);
}

/* Checks each outcome, and the files on disk, against the plan. */
static gboolean
demo_check (App *app)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < app->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (app->jobs, i);
      GStatBuf st;
      gboolean exists = g_stat (job->path, &st) == 0;

      if (job->state != job->expected_state)
        {
          if (!app->quiet)
            printf ("  unexpected: %s %s, expected %s\n", job->name, state_text (job->state),
                    state_text (job->expected_state));
          ok = FALSE;
        }
      else if (job->expected_state == PROGRESS_LINE_DONE &&
               (!exists || st.st_size != job->expected_size))
        {
          if (!app->quiet)
            printf ("  unexpected: %s is %" G_GINT64_FORMAT " bytes on disk, expected %"
                    G_GINT64_FORMAT "\n", job->name, exists ? (gint64) st.st_size : -1,
                    job->expected_size);
          ok = FALSE;
        }
      else if (job->expected_state != PROGRESS_LINE_DONE && exists)
        {
          if (!app->quiet)
            printf ("  unexpected: %s exists on disk\n", job->name);
          ok = FALSE;
        }
    }

  if (!app->quiet && ok)
    printf ("\nDemo as expected: the 404 failed, cancel-me.zip was cancelled, the other %u "
            "are complete with the right sizes.\n", app->jobs->len - 2);
  else if (!app->quiet)
    printf ("\nDemo NOT as expected%s (the plan: the 404 fails, cancel-me.zip is cancelled, "
            "the other %u complete with the right sizes).\n",
            app->interrupted ? ": interrupted" : "", app->jobs->len - 2);
  return ok;
}

/* Removes the files the demo wrote into its own temporary folder. */
static void
demo_remove_dir (App *app)
{
  g_autoptr(GDir) dir = g_dir_open (app->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (app->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (app->dir);
}

/* ------------------------------------------------------------------ */
/* main                                                                 */
/* ------------------------------------------------------------------ */

static void
app_clear (App *app)
{
  g_clear_handle_id (&app->redraw_id, g_source_remove);
  g_clear_object (&app->client);
  g_clear_pointer (&app->jobs, g_ptr_array_unref);
  g_clear_pointer (&app->loop, g_main_loop_unref);
  g_clear_pointer (&app->dir, g_free);
  g_clear_pointer (&app->notices, g_ptr_array_unref);
}

static int
usage_error (const char *message)
{
  fprintf (stderr, "eap-download: %s\nTry “eap-download --help”.\n", message);
  return 2;
}

/* The command line, parsed. */
typedef struct
{
  char     *dir;        /* (owned) (nullable): -o DIR */
  GStrv     uris;       /* (owned) (nullable) */
  int       max_jobs;
  gboolean  resume;
  gboolean  quiet;
  gboolean  demo;
} Arguments;

static void
arguments_clear (Arguments *args)
{
  g_clear_pointer (&args->dir, g_free);
  g_clear_pointer (&args->uris, g_strfreev);
}

/* Parses the command line (GOption takes what it parsed out of @argv);
 * FALSE with @error for a usage error. As GOption does, --help prints the
 * help and exits. Pure otherwise: tests/fuzz/fuzz-download-args.c fuzzes
 * it. */
static gboolean
parse_arguments (int        *argc,
                 char     ***argv,
                 Arguments  *args,
                 GError    **error)
{
  g_autoptr(GOptionContext) options = NULL;
  GOptionEntry entries[] = {
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &args->dir,
      "Save the files in DIR (created if missing; default: the current folder)", "DIR" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &args->max_jobs,
      "Download at most N files at once; the others wait (default 4)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &args->resume,
      "Keep partial downloads as FILE.part and continue them next time", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &args->quiet,
      "Print nothing but the reasons of failures", NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &args->demo,
      "Serve generated files from an embedded server on 127.0.0.1 and download them", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args->uris, NULL, "URL…" },
    G_OPTION_ENTRY_NULL
  };

  memset (args, 0, sizeof *args);
  args->max_jobs = DEFAULT_JOBS;

  options = g_option_context_new (NULL);
  g_option_context_set_summary (options,
    "Downloads every URL at once (at most N at a time) with one EapWebClient,\n"
    "showing a live line per file on a terminal and log lines otherwise.\n"
    "Ctrl-C cancels everything and leaves no partial files behind.\n"
    "Exit status: 0 all downloaded, 1 some failed or cancelled, 2 usage error.");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, argc, argv, error))
    return FALSE;
  if (args->max_jobs < 1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "-j needs a number of at least 1");
      return FALSE;
    }
  if (args->demo && args->uris != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "--demo downloads its own files: give it no URL");
      return FALSE;
    }
  if (!args->demo && args->uris == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "no URL given");
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  App app = { 0 };
  Arguments args;
  g_autofree char *dir = NULL;
  g_auto(GStrv) uris = NULL;
  int max_jobs;
  gboolean resume;
  gboolean demo;
  gboolean demo_dir_is_temp = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) taken = NULL;
  g_autoptr(DemoServer) server = NULL;
  guint sigint_id;
  guint n_bad;
  gboolean demo_ok = TRUE;

  setlocale (LC_ALL, "");
  if (!parse_arguments (&argc, &argv, &args, &error))
    {
      arguments_clear (&args);
      return usage_error (error->message);
    }
  dir = g_steal_pointer (&args.dir);
  uris = g_steal_pointer (&args.uris);
  max_jobs = args.max_jobs;
  resume = args.resume;
  demo = args.demo;
  app.quiet = args.quiet;

  if (dir == NULL && demo)
    {
      dir = g_dir_make_tmp ("eap-download-demo-XXXXXX", &error);
      if (dir == NULL)
        {
          fprintf (stderr, "eap-download: %s\n", error->message);
          return 1;
        }
      demo_dir_is_temp = TRUE;
    }
  else if (dir == NULL)
    dir = g_get_current_dir ();
  else if (g_mkdir_with_parents (dir, 0777) != 0)
    {
      int saved_errno = errno;

      fprintf (stderr, "eap-download: cannot create folder %s: %s\n", dir,
               g_strerror (saved_errno));
      return 1;
    }

  app.dir = g_steal_pointer (&dir);
  app.max_jobs = (guint) max_jobs;
  app.tty = !app.quiet && isatty (STDOUT_FILENO);
  app.loop = g_main_loop_new (NULL, FALSE);
  app.jobs = g_ptr_array_new_with_free_func (job_free);
  app.notices = g_ptr_array_new_with_free_func (g_free);
  taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (demo)
    {
      server = demo_setup (&app, taken, &error);
      if (server == NULL)
        {
          fprintf (stderr, "eap-download: cannot start the demo server: %s\n", error->message);
          app_clear (&app);
          return 1;
        }
    }
  else
    {
      for (guint i = 0; uris[i] != NULL; i++)
        add_job (&app, taken, uris[i]);
    }

  /* One client for every download. */
  app.client = eap_web_client_new ();
  eap_web_client_set_resume (app.client, resume);
  /* -j is not bounded; a client opens at most G_MAXUINT16 per host. */
  eap_web_client_set_max_connections_per_host (app.client, MIN (app.max_jobs, G_MAXUINT16));
  eap_component_set_progress_interval (EAP_COMPONENT (app.client), PROGRESS_INTERVAL);
  g_signal_connect (app.client, "progress-changed::download-file",
                    G_CALLBACK (on_progress), &app);
  g_signal_connect (app.client, "completed::download-file",
                    G_CALLBACK (on_completed), &app);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &app);

  app.start_us = g_get_monotonic_time ();
  start_next (&app);

  if (app.tty)
    {
      fputs ("\033[?25l", stdout);                   /* hide the cursor while drawing */
      redraw (&app);
      app.redraw_id = g_timeout_add (REDRAW_INTERVAL_MS, on_redraw_tick, &app);
    }

  if (app.n_running > 0 || app.next_job < app.jobs->len)
    g_main_loop_run (app.loop);

  g_source_remove (sigint_id);
  if (app.tty)
    {
      g_clear_handle_id (&app.redraw_id, g_source_remove);
      redraw (&app);
      fputs ("\033[?25h", stdout);
      fflush (stdout);
    }

  n_bad = print_summary (&app);
  if (demo)
    {
      demo_ok = demo_check (&app);
      if (demo_dir_is_temp)
        {
          demo_remove_dir (&app);
          if (!app.quiet)
            printf ("Removed the demo folder %s.\n", app.dir);
        }
    }

  /* The client goes before the server, whose connections it holds. */
  g_clear_object (&app.client);
  g_clear_pointer (&server, demo_server_free);
  app_clear (&app);

  if (demo)
    return demo_ok ? 0 : 1;
  return n_bad == 0 ? 0 : 1;
}
