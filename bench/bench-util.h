/* bench-util.h: what the benchmarks share: timing, statistics, processes
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include <sys/resource.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* CLOCK_MONOTONIC in nanoseconds. */
gint64 bench_now_ns  (void);

/* The median of @n values (@n > 0); @values is left as it is. */
double bench_median  (const double *values,
                      guint         n);

/* The smallest and largest of @n values (@n > 0). */
void   bench_min_max (const double *values,
                      guint         n,
                      double       *lo,
                      double       *hi);

/* The median and range of the measured (non-NAN) values of @v; FALSE if
 * there are none. */
gboolean bench_summarize (const double *v,
                          guint         n,
                          double       *median,
                          double       *lo,
                          double       *hi);

/* The per-round ratios @a[i] / @b[i] (NAN where either is NAN or @b[i] is
 * 0), summarized as bench_summarize() does. */
gboolean bench_ratio_of  (const double *a,
                          const double *b,
                          guint         n,
                          double       *median,
                          double       *lo,
                          double       *hi);

/* Raises RLIMIT_NOFILE to @want (the hard limit too, which root may do);
 * failing that, the soft limit to the hard one. Returns the soft limit, or
 * @otherwise if it cannot be read. */
rlim_t bench_raise_nofile   (rlim_t      want,
                             rlim_t      otherwise);

/* utime + stime of process @pid in ns, from /proc; -1 if unknown. */
gint64 bench_proc_cpu_ns    (pid_t       pid);

/* The value in KiB of @key ("VmRSS", "VmHWM") of /proc/@pid/status, @pid 0
 * for this process; -1 if unknown. */
gint64 bench_proc_status_kib (pid_t       pid,
                              const char *key);

/* The program's name for messages, and what runs before bench_die() and
 * bench_exit_if_interrupted() exit: @on_die (nullable) only on a failure,
 * then @clean_up (nullable), which stops the children and removes
 * temporary files. */
void   bench_init           (const char  *name,
                             void       (*on_die) (void),
                             void       (*clean_up) (void));

/* SIGINT, SIGTERM and SIGHUP only set a flag, without SA_RESTART, so that a
 * blocking call returns EINTR and the loop around it checks the flag with
 * bench_exit_if_interrupted(). */
void   bench_catch_signals  (void);

/* Prints "NAME: " and the message, cleans up and exits with status 1. */
void   bench_die            (const char  *format,
                             ...) G_GNUC_NORETURN G_GNUC_PRINTF (1, 2);

/* After a caught signal: prints "NAME: interrupted (signal N); " and the
 * message, cleans up and exits with status 128 + N. Otherwise nothing. */
void   bench_exit_if_interrupted (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);

/* Sends @signum to *@pid (if > 0), reaps it and sets *@pid to 0. */
void   bench_stop_child     (pid_t       *pid,
                             int          signum);

G_END_DECLS
