/* patterns-common.c: what the five pattern programs share
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patterns-common.h"

gboolean
patterns_job_init (PatternsJob *job,
                   int          argc,
                   char        *argv[])
{
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GError) error = NULL;
  guint64 n = PATTERNS_DEFAULT_N_LINES;

  memset (job, 0, sizeof *job);
  job->program = g_path_get_basename (argv[0]);

  if (argc < 2 || argc > 3)
    goto usage;

  /* "127.0.0.1:7000", "localhost:7000", "[::1]:7000" */
  address = g_network_address_parse (argv[1], 0, &error);
  if (address == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (address)) == 0)
    goto usage;

  if (argc == 3 && (!g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT, &n, NULL)))
    goto usage;

  job->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
  job->port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  job->n_lines = (guint) n;
  return TRUE;

usage:
  fprintf (stderr, "usage: %s HOST:PORT [N]\n"
           "Sends N lines (default %u) to the echo server at HOST:PORT, one at a time,\n"
           "and checks that each comes back intact.\n",
           job->program, PATTERNS_DEFAULT_N_LINES);
  patterns_job_clear (job);
  return FALSE;
}

void
patterns_job_clear (PatternsJob *job)
{
  g_clear_pointer (&job->program, g_free);
  g_clear_pointer (&job->host, g_free);
}

void
patterns_job_start (PatternsJob *job)
{
  printf ("%s: sending %u lines to %s:%u\n", job->program, job->n_lines, job->host, job->port);
  fflush (stdout);
  job->start_us = g_get_monotonic_time ();
  job->next_report = 10;
}

/* "line 41 of 1000: " and 0 to 96 letters: varied lengths, easy to read. */
static char *
make_text (PatternsJob *job,
           guint        i)
{
  GString *text = g_string_new (NULL);
  guint length = (i * 37) % 97;

  g_string_printf (text, "line %u of %u: ", i + 1, job->n_lines);
  for (guint k = 0; k < length; k++)
    g_string_append_c (text, 'a' + (i + k) % 26);
  return g_string_free (text, FALSE);
}

GBytes *
patterns_job_line (PatternsJob *job,
                   guint        i)
{
  char *text = make_text (job, i);
  char *line = g_strconcat (text, "\r\n", NULL);

  g_free (text);
  return g_bytes_new_take (line, strlen (line));
}

gboolean
patterns_job_check (PatternsJob  *job,
                    guint         i,
                    const char   *line,
                    GError      **error)
{
  g_autofree char *expected = NULL;

  if (line == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                   "The server closed the connection after %u of %u lines", i, job->n_lines);
      return FALSE;
    }

  expected = make_text (job, i);
  if (strcmp (line, expected) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Line %u came back wrong: sent “%s”, got “%s”", i + 1, expected, line);
      return FALSE;
    }
  return TRUE;
}

void
patterns_job_progress (PatternsJob *job,
                       guint        done)
{
  gboolean printed = FALSE;

  /* Progress may arrive coalesced (BackgroundWorker): print the newest
   * figure once for every 10 % mark it passed. */
  while (job->next_report <= 100 && (guint64) done * 100 >= (guint64) job->next_report * job->n_lines)
    {
      job->next_report += 10;
      printed = TRUE;
    }
  if (printed)
    {
      printf ("%s: %3u%%  %u/%u lines  %.3f s\n", job->program,
              (guint) ((guint64) done * 100 / job->n_lines), done, job->n_lines,
              (g_get_monotonic_time () - job->start_us) / 1e6);
      fflush (stdout);
    }
}

int
patterns_job_finish (PatternsJob  *job,
                     const GError *error)
{
  double seconds = (g_get_monotonic_time () - job->start_us) / 1e6;

  if (error != NULL)
    {
      fprintf (stderr, "%s: error: %s\n", job->program, error->message);
      return EXIT_FAILURE;
    }

  printf ("%s: %u lines echoed intact in %.3f s (%.0f lines/s)\n", job->program,
          job->n_lines, seconds, seconds > 0 ? job->n_lines / seconds : 0.0);
  fflush (stdout);
  return EXIT_SUCCESS;
}
