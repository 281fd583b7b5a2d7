/* bench-download-client.c: one download, measured, for bench-download
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench-download runs every client in a process of its own so that peak
 * RSS is per client. This is the client for the modes that are not curl:
 *
 *   soup-null URL        a plain libsoup 3 read loop (soup_session_send,
 *                        then g_input_stream_read into a 64 KiB buffer,
 *                        discarded): the yardstick PERF-ANCHORS.md quotes
 *   soup-file URL PATH   the same loop, each buffer written to PATH with
 *                        write(2), no fsync: what eap-file costs without
 *                        eap (no main loop, no temporary file, no fsync)
 *   eap-file URL PATH    EapWebClient download_file_async to PATH
 *   eap-bytes URL        EapWebClient download_bytes_async (the body is
 *                        held in memory, so peak RSS is at least its size)
 *
 * On success it prints one line on stdout, read by bench-download:
 *
 *   bytes=N ns=N hwm_kib=N progress=N
 *
 * ns is the in-process time from the request to the end (for eap, from
 * the `…_async` call to the `completed` handler), hwm_kib the process's
 * VmHWM at the end, progress the number of progress-changed emissions
 * (0 for soup-null). On failure it prints the reason on stderr and exits
 * with 1.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include <eap.h>

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* VmHWM of this process, in KiB, or -1. */
static gint64
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmHWM:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("\nVmHWM:"), NULL, 10);
}

static int
fail (const char   *mode,
      const GError *error)
{
  fprintf (stderr, "bench-download-client %s: %s\n", mode, error->message);
  return 1;
}

/* ------------------------------------------------------------------ */
/* soup-null, soup-file                                                 */
/* ------------------------------------------------------------------ */

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      gssize n = write (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

/* @path NULL: discard the body. */
static int
run_soup (const char *uri,
          const char *path)
{
  const char *mode = path != NULL ? "soup-file" : "soup-null";
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buffer = g_malloc (64 * 1024);
  gint64 start, received = 0;
  gssize n;
  int fd = -1;

  start = now_ns ();
  msg = soup_message_new (SOUP_METHOD_GET, uri);
  if (msg == NULL)
    {
      fprintf (stderr, "bench-download-client %s: bad URI %s\n", mode, uri);
      return 1;
    }
  body = soup_session_send (session, msg, NULL, &error);
  if (body == NULL)
    return fail (mode, error);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      fprintf (stderr, "bench-download-client %s: HTTP %u\n", mode,
               soup_message_get_status (msg));
      return 1;
    }
  if (path != NULL)
    {
      fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0)
        {
          fprintf (stderr, "bench-download-client %s: %s: %s\n", mode, path, g_strerror (errno));
          return 1;
        }
    }
  while ((n = g_input_stream_read (body, buffer, 64 * 1024, NULL, &error)) > 0)
    {
      if (fd >= 0 && !write_all (fd, buffer, (gsize) n))
        {
          fprintf (stderr, "bench-download-client %s: %s: %s\n", mode, path, g_strerror (errno));
          return 1;
        }
      received += n;
    }
  if (n < 0)
    return fail (mode, error);
  if (!g_input_stream_close (body, NULL, &error))
    return fail (mode, error);
  if (fd >= 0 && close (fd) != 0)
    {
      fprintf (stderr, "bench-download-client %s: %s: %s\n", mode, path, g_strerror (errno));
      return 1;
    }

  printf ("bytes=%" G_GINT64_FORMAT " ns=%" G_GINT64_FORMAT " hwm_kib=%" G_GINT64_FORMAT
          " progress=0\n", received, now_ns () - start, peak_rss_kib ());
  return 0;
}

/* ------------------------------------------------------------------ */
/* eap-file, eap-bytes                                                  */
/* ------------------------------------------------------------------ */

typedef struct
{
  gboolean  done;
  GError   *error;
  gint64    size;
  gint64    end_ns;
  guint     n_progress;
} EapRun;

static void
progress_cb (EapComponent    *component,
             EapProgressArgs *args,
             gpointer         user_data)
{
  EapRun *run = user_data;

  run->n_progress++;
}

static void
completed_cb (EapComponent     *component,
              EapCompletedArgs *args,
              gpointer          user_data)
{
  EapRun *run = user_data;

  run->end_ns = now_ns ();
  run->done = TRUE;

  if (EAP_IS_DOWNLOAD_FILE_COMPLETED_ARGS (args))
    {
      run->size = eap_download_file_completed_args_get_size (EAP_DOWNLOAD_FILE_COMPLETED_ARGS (args),
                                                             &run->error);
    }
  else
    {
      GBytes *bytes;

      bytes = eap_download_bytes_completed_args_get_bytes (EAP_DOWNLOAD_BYTES_COMPLETED_ARGS (args),
                                                           &run->error);
      run->size = bytes != NULL ? (gint64) g_bytes_get_size (bytes) : -1;
    }
}

static int
run_eap (const char *mode,
         const char *uri,
         const char *path)
{
  g_autoptr(EapWebClient) client = eap_web_client_new ();
  g_autoptr(GError) error = NULL;
  const char *name = path != NULL ? "download-file" : "download-bytes";
  g_autofree char *completed_signal = g_strconcat ("completed::", name, NULL);
  g_autofree char *progress_signal = g_strconcat ("progress-changed::", name, NULL);
  EapRun run = { 0 };
  gint64 start;
  gboolean started;

  g_signal_connect (client, completed_signal, G_CALLBACK (completed_cb), &run);
  g_signal_connect (client, progress_signal, G_CALLBACK (progress_cb), &run);

  start = now_ns ();
  if (path != NULL)
    started = eap_web_client_download_file_async (client, uri, path, NULL, &error);
  else
    started = eap_web_client_download_bytes_async (client, uri, NULL, &error);
  if (!started)
    return fail (mode, error);

  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  if (run.error != NULL)
    {
      g_propagate_error (&error, run.error);
      return fail (mode, error);
    }

  printf ("bytes=%" G_GINT64_FORMAT " ns=%" G_GINT64_FORMAT " hwm_kib=%" G_GINT64_FORMAT
          " progress=%u\n", run.size, run.end_ns - start, peak_rss_kib (), run.n_progress);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  const char *mode = argc > 1 ? argv[1] : "";

  if (g_str_equal (mode, "soup-null") && argc == 3)
    return run_soup (argv[2], NULL);
  if (g_str_equal (mode, "soup-file") && argc == 4)
    return run_soup (argv[2], argv[3]);
  if (g_str_equal (mode, "eap-file") && argc == 4)
    return run_eap (mode, argv[2], argv[3]);
  if (g_str_equal (mode, "eap-bytes") && argc == 3)
    return run_eap (mode, argv[2], NULL);

  fprintf (stderr, "usage: bench-download-client soup-null URL\n"
                   "       bench-download-client soup-file URL PATH\n"
                   "       bench-download-client eap-file URL PATH\n"
                   "       bench-download-client eap-bytes URL\n");
  return 2;
}
