/* patterns-common.h: what the five pattern programs share
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The job is the same in every program: connect to an echo server, send
 * N lines one at a time, read each one back, check it, print progress
 * every 10 % and the elapsed time. This module holds everything that is
 * not the pattern itself (arguments, the lines, the check, the printing),
 * so that each program shows only how it waits.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PATTERNS_DEFAULT_N_LINES 1000

typedef struct
{
  char       *program;      /* (owned): the program's name, for messages */
  char       *host;         /* (owned) */
  guint16     port;
  guint       n_lines;
  gint64      start_us;     /* monotonic, set by patterns_job_start () */
  int         next_report;  /* the next percentage to print */
} PatternsJob;

/* Parses `PROGRAM HOST:PORT [N]`. On a usage error it prints the usage
 * and returns FALSE: exit with status 2. */
gboolean  patterns_job_init     (PatternsJob  *job,
                                 int           argc,
                                 char         *argv[]);
void      patterns_job_clear    (PatternsJob  *job);

/* Starts the clock and says what is about to happen. */
void      patterns_job_start    (PatternsJob  *job);

/* Line @i (0-based) as sent on the wire, CR LF included. */
GBytes   *patterns_job_line     (PatternsJob  *job,
                                 guint         i);

/* Checks that @line (without its terminator; NULL = the server closed the
 * connection) is the echo of line @i. Thread-safe. */
gboolean  patterns_job_check    (PatternsJob  *job,
                                 guint         i,
                                 const char   *line,
                                 GError      **error);

/* Prints the progress each time @done crosses another 10 % of the lines. */
void      patterns_job_progress (PatternsJob  *job,
                                 guint         done);

/* Prints the summary (success) or the error, and returns the exit status:
 * 0 when all lines came back intact, 1 otherwise. */
int       patterns_job_finish   (PatternsJob  *job,
                                 const GError *error);

G_END_DECLS
