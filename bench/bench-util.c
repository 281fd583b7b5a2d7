/* bench-util.c: what the benchmarks share: timing, statistics, processes
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bench-util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

static const char *program_name = "bench";
static void (*die_hook) (void);
static void (*clean_up_hook) (void);
static volatile sig_atomic_t interrupted;

gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_median (const double *values,
              guint         n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof (double));

  qsort (sorted, n, sizeof (double), compare_doubles);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

void
bench_min_max (const double *values,
               guint         n,
               double       *lo,
               double       *hi)
{
  *lo = *hi = values[0];
  for (guint i = 1; i < n; i++)
    {
      *lo = MIN (*lo, values[i]);
      *hi = MAX (*hi, values[i]);
    }
}

gboolean
bench_summarize (const double *v,
                 guint         n,
                 double       *median,
                 double       *lo,
                 double       *hi)
{
  g_autofree double *kept = g_new (double, MAX (n, 1));
  guint k = 0;

  for (guint i = 0; i < n; i++)
    if (!isnan (v[i]))
      kept[k++] = v[i];
  if (k == 0)
    return FALSE;
  *median = bench_median (kept, k);
  bench_min_max (kept, k, lo, hi);
  return TRUE;
}

gboolean
bench_ratio_of (const double *a,
                const double *b,
                guint         n,
                double       *median,
                double       *lo,
                double       *hi)
{
  g_autofree double *r = g_new (double, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    r[i] = isnan (a[i]) || isnan (b[i]) || b[i] == 0 ? NAN : a[i] / b[i];
  return bench_summarize (r, n, median, lo, hi);
}

rlim_t
bench_raise_nofile (rlim_t want,
                    rlim_t otherwise)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return otherwise;
  if (rl.rlim_cur >= want)
    return rl.rlim_cur;
  {
    struct rlimit r = { want, MAX (rl.rlim_max, want) };

    if (setrlimit (RLIMIT_NOFILE, &r) == 0)
      return want;
  }
  rl.rlim_cur = rl.rlim_max;
  setrlimit (RLIMIT_NOFILE, &rl);
  getrlimit (RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

gint64
bench_proc_cpu_ns (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  unsigned long long utime = 0, stime = 0;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return -1;
  /* After "pid (comm)": state is field 3; utime and stime are 14 and 15. */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return -1;
  return (gint64) ((utime + stime) * (1000000000ull / (unsigned long long) sysconf (_SC_CLK_TCK)));
}

gint64
bench_proc_status_kib (pid_t       pid,
                       const char *key)
{
  g_autofree char *path = pid > 0 ? g_strdup_printf ("/proc/%d/status", (int) pid)
                                  : g_strdup ("/proc/self/status");
  g_autofree char *needle = g_strdup_printf ("\n%s:", key);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) ||
      (line = strstr (status, needle)) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (needle), NULL, 10);
}

void
bench_init (const char  *name,
            void       (*on_die) (void),
            void       (*clean_up) (void))
{
  program_name = name;
  die_hook = on_die;
  clean_up_hook = clean_up;
}

static void
on_signal (int signum)
{
  interrupted = signum;
}

void
bench_catch_signals (void)
{
  struct sigaction sa = { .sa_handler = on_signal };

  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
}

void
bench_die (const char *format,
           ...)
{
  va_list args;

  fprintf (stderr, "%s: ", program_name);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  if (die_hook != NULL)
    die_hook ();
  if (clean_up_hook != NULL)
    clean_up_hook ();
  exit (1);
}

void
bench_exit_if_interrupted (const char *format,
                           ...)
{
  int signum = interrupted;
  va_list args;

  if (!signum)
    return;
  fprintf (stderr, "%s: interrupted (signal %d); ", program_name, signum);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  if (clean_up_hook != NULL)
    clean_up_hook ();
  exit (128 + signum);
}

void
bench_stop_child (pid_t *pid,
                  int    signum)
{
  if (*pid <= 0)
    return;
  kill (*pid, signum);
  while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
    ;
  *pid = 0;
}
