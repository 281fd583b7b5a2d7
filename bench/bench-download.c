/* bench-download.c: EapWebClient downloads against curl and libsoup
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Starts its own nginx on a free 127.0.0.1 port (sendfile on, single
 * process, everything in a temporary folder), serves a file of SIZE MiB
 * of pseudo-random data from the page cache, and downloads it with each
 * client in a process of its own, so that wall time and peak RSS are the
 * client's whole run (PERF-ANCHORS.md: "each client run whole"):
 *
 *   curl -o /dev/null      the yardstick for the in-memory figures
 *   soup                   bench-download-client soup-null: a plain
 *                          libsoup 3 read loop, 64 KiB buffer (context)
 *   eap bytes              EapWebClient download-bytes (holds the body)
 *   curl -o tmpfs          curl -o /dev/shm/…
 *   soup tmpfs             bench-download-client soup-file: the libsoup
 *                          loop writing to /dev/shm/… (what eap's file
 *                          download costs without eap; context)
 *   eap tmpfs              EapWebClient download-file to /dev/shm/…, the
 *                          "/dev/null equivalent" (download-file always
 *                          writes a temporary sibling, fsyncs, renames)
 *   curl -o FILE           curl -o FILE in a folder on disk; the driver
 *                          then times an fsync of FILE too, to show the
 *                          yardstick with eap's durability
 *   eap FILE               EapWebClient download-file to that folder
 *
 * The clients alternate within each round, in order on even rounds and in
 * reverse on odd ones, so a drift of the noisy shared machine hits both
 * sides of every pair alike. Ratios are medians of the per-round ratios
 * eap / yardstick. Every output file is checked for its size, then
 * deleted before the next client runs (so no writeback is left over).
 *
 * Goals (issue 4): at most 1.1x curl's time to the /dev/null equivalent
 * and to a file (against curl -o FILE); peak RSS under 16 MiB; at most 25
 * progress emissions per second.
 *
 * Usage: bench-download [--rounds=N] [--size-mib=N] [--dir=PATH]
 *
 * Stops nginx by pid and deletes its folders at the end, on failure and on
 * SIGINT/SIGTERM/SIGHUP; nginx and the running client also get SIGTERM
 * if this process is killed (PR_SET_PDEATHSIG; only the folders are left
 * then, named eap-bench-download-*).
 */

#define _GNU_SOURCE   /* pipe2, nftw */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench-util.h"

#define NGINX_START_TIMEOUT_NS (G_GINT64_CONSTANT (10) * 1000000000)

/* ------------------------------------------------------------------ */
/* Clean-up state: everything a failure or a signal must undo           */
/* ------------------------------------------------------------------ */

static struct
{
  char  *dir;          /* (owned) (nullable): the work folder on disk */
  char  *shm_dir;      /* (owned) (nullable): a folder in /dev/shm */
  pid_t  nginx_pid;    /* 0 if not running */
  pid_t  client_pid;   /* 0 if no client is running */
} state;

static int
remove_entry (const char        *path,
              const struct stat *sb,
              int                type,
              struct FTW        *ftw)
{
  remove (path);
  return 0;
}

static void
remove_tree (char **dir)
{
  if (*dir == NULL)
    return;
  nftw (*dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  g_clear_pointer (dir, g_free);
}

static void
clean_up (void)
{
  bench_stop_child (&state.client_pid, SIGTERM);
  bench_stop_child (&state.nginx_pid, SIGTERM);
  remove_tree (&state.dir);
  remove_tree (&state.shm_dir);
}

static void
check_interrupted (void)
{
  bench_exit_if_interrupted ("stopping nginx, removing %s", state.dir ? state.dir : "nothing");
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */


/* The value after "KEY=" in @line, or -1. */
static gint64
field (const char *line,
       const char *key)
{
  g_autofree char *needle = g_strconcat (key, "=", NULL);
  const char *found = strstr (line, needle);

  return found != NULL ? g_ascii_strtoll (found + strlen (needle), NULL, 10) : -1;
}

static const char *
fs_type (const char *path)
{
  struct statfs sfs;

  if (statfs (path, &sfs) != 0)
    return "?";
  switch (sfs.f_type)
    {
    case TMPFS_MAGIC: return "tmpfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlay";
    default: return "other";
    }
}

static gboolean
is_tmpfs (const char *path)
{
  struct statfs sfs;

  return statfs (path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

/* Writes @size bytes of xorshift64* output to @path, fsyncs it so that no
 * writeback is left to disturb the rounds, then reads it back once so it
 * is in the page cache. */
static void
make_data_file (const char *path,
                gint64      size)
{
  const gsize chunk = 1024 * 1024;
  g_autofree guint64 *buffer = g_malloc (chunk);
  guint64 x = 0x9e3779b97f4a7c15u;
  gint64 written = 0;
  int fd;

  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    bench_die ("cannot create %s: %s", path, g_strerror (errno));
  while (written < size)
    {
      gsize n = (gsize) MIN ((gint64) chunk, size - written);

      for (gsize i = 0; i < chunk / sizeof (guint64); i++)
        {
          x ^= x >> 12;
          x ^= x << 25;
          x ^= x >> 27;
          buffer[i] = x * 0x2545f4914f6cdd1du;
        }
      if (write (fd, buffer, n) != (gssize) n)
        bench_die ("cannot write %s: %s", path, g_strerror (errno));
      written += (gint64) n;
      check_interrupted ();
    }
  if (fsync (fd) != 0 || close (fd) != 0)
    bench_die ("cannot write %s: %s", path, g_strerror (errno));

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    bench_die ("cannot open %s: %s", path, g_strerror (errno));
  while (read (fd, buffer, chunk) > 0)
    ;
  close (fd);
}

/* ------------------------------------------------------------------ */
/* nginx                                                                */
/* ------------------------------------------------------------------ */

static guint16
free_loopback_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
    bench_die ("cannot find a free port on 127.0.0.1: %s", g_strerror (errno));
  close (fd);
  return ntohs (addr.sin_port);
}

static gboolean
port_answers (guint16 port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
  if (fd >= 0)
    close (fd);
  return ok;
}

static void
start_nginx (const char *nginx,
             guint16     port)
{
  g_autofree char *conf_path = g_build_filename (state.dir, "nginx.conf", NULL);
  g_autofree char *log_path = g_build_filename (state.dir, "error.log", NULL);
  g_autofree char *prefix = g_strconcat (state.dir, "/", NULL);
  g_autofree char *conf = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;
  pid_t parent = getpid ();
  pid_t pid;

  /* Single process (no user switch, so a private 0700 folder works as
   * root too), every path inside the folder. */
  conf = g_strdup_printf (
    "daemon off;\n"
    "master_process off;\n"
    "worker_processes 1;\n"
    "pid %1$s/nginx.pid;\n"
    "error_log %1$s/error.log warn;\n"
    "events { worker_connections 64; }\n"
    "http {\n"
    "  access_log off;\n"
    "  sendfile on;\n"
    "  tcp_nopush on;\n"
    "  default_type application/octet-stream;\n"
    "  client_body_temp_path %1$s/client_body;\n"
    "  proxy_temp_path %1$s/proxy;\n"
    "  fastcgi_temp_path %1$s/fastcgi;\n"
    "  uwsgi_temp_path %1$s/uwsgi;\n"
    "  scgi_temp_path %1$s/scgi;\n"
    "  server {\n"
    "    listen 127.0.0.1:%2$u;\n"
    "    root %1$s/www;\n"
    "  }\n"
    "}\n", state.dir, (guint) port);
  if (!g_file_set_contents (conf_path, conf, -1, &error))
    bench_die ("%s", error->message);

  pid = fork ();
  if (pid < 0)
    bench_die ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      int log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

      prctl (PR_SET_PDEATHSIG, SIGTERM);
      if (getppid () != parent)
        _exit (1);
      if (log_fd >= 0)
        {
          dup2 (log_fd, STDOUT_FILENO);
          dup2 (log_fd, STDERR_FILENO);
        }
      execl (nginx, nginx, "-p", prefix, "-c", conf_path, "-e", log_path, (char *) NULL);
      _exit (127);
    }
  state.nginx_pid = pid;

  /* Poll connect until nginx listens, with a deadline; fail at once if it
   * exits (a taken port, a bad configuration). */
  deadline = bench_now_ns () + NGINX_START_TIMEOUT_NS;
  while (!port_answers (port))
    {
      int status;

      check_interrupted ();
      if (waitpid (pid, &status, WNOHANG) == pid)
        {
          g_autofree char *log = NULL;

          state.nginx_pid = 0;
          g_file_get_contents (log_path, &log, NULL, NULL);
          bench_die ("nginx exited at start (status %d):\n%s", status, log ? log : "(no log)");
        }
      if (bench_now_ns () > deadline)
        bench_die ("nginx did not listen on 127.0.0.1:%u within 10 s", (guint) port);
      sched_yield ();
    }
}

/* ------------------------------------------------------------------ */
/* Clients                                                              */
/* ------------------------------------------------------------------ */

typedef enum
{
  CURL_NULL,
  SOUP_NULL,
  EAP_BYTES,
  CURL_SHM,
  SOUP_SHM,
  EAP_SHM,
  CURL_FILE,
  EAP_FILE,
  N_CLIENTS
} ClientId;

typedef struct
{
  const char *label;
  gboolean    enabled;
  gboolean    is_eap;
  char       *out_path;    /* (owned) (nullable): the file it writes */
  double     *wall_s;      /* per round: the process's whole run */
  double     *rss_mib;     /* per round: peak RSS (wait4 ru_maxrss) */
  double     *op_s;        /* per round: in-process time (eap, soup) */
  double     *progress;    /* per round: progress emissions (eap) */
  double     *fsync_s;     /* per round: fsync of the output (curl -o FILE) */
} Client;

typedef struct
{
  const char *curl;
  const char *helper;
  const char *uri;
  gint64      size;
} Setup;

/* Runs @argv with stdout captured; fills @c's slot @round. */
static void
run_client (const Setup *setup,
            Client      *c,
            char       **argv,
            guint        round)
{
  g_autoptr(GString) out = g_string_new (NULL);
  struct rusage usage;
  int pipe_fds[2];
  int status = 0;
  gint64 start, end;
  char buffer[512];
  gssize n;
  pid_t pid;

  if (c->out_path != NULL)
    g_unlink (c->out_path);
  if (pipe2 (pipe_fds, O_CLOEXEC) != 0)
    bench_die ("pipe: %s", g_strerror (errno));

  start = bench_now_ns ();
  pid = fork ();
  if (pid < 0)
    bench_die ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      int null_fd = open ("/dev/null", O_RDONLY);

      prctl (PR_SET_PDEATHSIG, SIGTERM);
      dup2 (null_fd, STDIN_FILENO);
      dup2 (pipe_fds[1], STDOUT_FILENO);
      execv (argv[0], argv);
      fprintf (stderr, "bench-download: cannot run %s: %s\n", argv[0], g_strerror (errno));
      _exit (127);
    }
  state.client_pid = pid;
  close (pipe_fds[1]);
  while ((n = read (pipe_fds[0], buffer, sizeof buffer)) != 0)
    {
      if (n > 0)
        g_string_append_len (out, buffer, n);
      else if (errno != EINTR)
        break;
      check_interrupted ();
    }
  close (pipe_fds[0]);
  while (wait4 (pid, &status, 0, &usage) < 0)
    {
      if (errno != EINTR)
        bench_die ("wait4: %s", g_strerror (errno));
      check_interrupted ();
    }
  end = bench_now_ns ();
  state.client_pid = 0;
  check_interrupted ();

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    bench_die ("%s failed (status %d); its output: %s", c->label, status, out->str);
  if (field (out->str, "bytes") != setup->size)
    bench_die ("%s got %" G_GINT64_FORMAT " bytes, expected %" G_GINT64_FORMAT " (output: %s)",
               c->label, field (out->str, "bytes"), setup->size, out->str);

  c->wall_s[round] = (double) (end - start) / 1e9;
  c->rss_mib[round] = (double) usage.ru_maxrss / 1024.0;
  c->op_s[round] = (double) field (out->str, "ns") / 1e9;
  c->progress[round] = (double) field (out->str, "progress");

  if (c->out_path != NULL)
    {
      struct stat st;
      g_autofree char *folder = g_path_get_dirname (c->out_path);
      g_autoptr(GDir) d = g_dir_open (folder, 0, NULL);
      guint n_entries = 0;

      if (stat (c->out_path, &st) != 0 || st.st_size != setup->size)
        bench_die ("%s: %s is missing or of the wrong size", c->label, c->out_path);
      while (d != NULL && g_dir_read_name (d) != NULL)
        n_entries++;
      if (n_entries != 1)
        bench_die ("%s: %s holds %u entries after the download; expected only the output",
                   c->label, folder, n_entries);

      if (c->fsync_s != NULL)
        {
          gint64 t0 = bench_now_ns ();
          int fd = open (c->out_path, O_RDONLY | O_CLOEXEC);

          if (fd < 0 || fsync (fd) != 0)
            bench_die ("fsync %s: %s", c->out_path, g_strerror (errno));
          close (fd);
          c->fsync_s[round] = (double) (bench_now_ns () - t0) / 1e9;
        }
      g_unlink (c->out_path);
    }
}

static void
run_one (const Setup *setup,
         Client      *clients,
         ClientId     id,
         guint        round)
{
  Client *c = &clients[id];
  const char *out = c->out_path != NULL ? c->out_path : "/dev/null";
  char *curl_argv[] = { (char *) setup->curl, "-q", "-sS", "-o", (char *) out,
                        "-w", "bytes=%{size_download}\n", (char *) setup->uri, NULL };
  char *soup_argv[] = { (char *) setup->helper, "soup-null", (char *) setup->uri, NULL };
  char *soup_file_argv[] = { (char *) setup->helper, "soup-file", (char *) setup->uri, (char *) out, NULL };
  char *bytes_argv[] = { (char *) setup->helper, "eap-bytes", (char *) setup->uri, NULL };
  char *file_argv[] = { (char *) setup->helper, "eap-file", (char *) setup->uri, (char *) out, NULL };

  switch (id)
    {
    case CURL_NULL:
    case CURL_SHM:
    case CURL_FILE:
      run_client (setup, c, curl_argv, round);
      break;
    case SOUP_NULL:
      run_client (setup, c, soup_argv, round);
      break;
    case SOUP_SHM:
      run_client (setup, c, soup_file_argv, round);
      break;
    case EAP_BYTES:
      run_client (setup, c, bytes_argv, round);
      break;
    case EAP_SHM:
    case EAP_FILE:
      run_client (setup, c, file_argv, round);
      break;
    case N_CLIENTS:
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ */
/* Report                                                               */
/* ------------------------------------------------------------------ */

typedef enum
{
  GOAL_NONE,        /* context only */
  GOAL_RATIO_1_1,   /* eap time <= 1.1x the yardstick's */
  GOAL_RSS_16,      /* peak RSS < 16 MiB */
  GOAL_RATE_25,     /* <= 25 progress emissions per second */
} Goal;

static const char *
goal_text (Goal goal)
{
  switch (goal)
    {
    case GOAL_RATIO_1_1: return "<= 1.1x";
    case GOAL_RSS_16: return "< 16 MiB";
    case GOAL_RATE_25: return "<= 25 /s";
    case GOAL_NONE:
    default: return "context";
    }
}

static void
print_row (const char *figure,
           const char *eap_text,
           const char *yard_text,
           const char *ratio_text,
           Goal        goal,
           gboolean    met)
{
  printf ("%-34s %-24s %-26s %-20s %-9s %s\n", figure, eap_text, yard_text, ratio_text,
          goal_text (goal), goal == GOAL_NONE ? "-" : met ? "met" : "MISSED");
}

/* A time figure: eap's median and spread, the yardstick's median, and the
 * bench_median (min-max) of the per-round ratios. @yard_extra, if not NULL, is
 * added to the yardstick's time round by round (the fsync). */
static void
time_row (const char   *figure,
          const Client *eap,
          const Client *yard,
          const double *yard_extra,
          const char   *yard_name,
          Goal          goal,
          guint         rounds)
{
  g_autofree double *yard_s = g_new (double, rounds);
  g_autofree char *eap_text = NULL, *yard_text = NULL, *ratio_text = NULL;
  double lo, hi, rlo = NAN, rhi = NAN, ratio = NAN;

  if (!eap->enabled || !yard->enabled)
    return;
  for (guint r = 0; r < rounds; r++)
    yard_s[r] = yard->wall_s[r] + (yard_extra != NULL ? yard_extra[r] : 0);
  bench_min_max (eap->wall_s, rounds, &lo, &hi);
  bench_ratio_of (eap->wall_s, yard_s, rounds, &ratio, &rlo, &rhi);
  eap_text = g_strdup_printf ("%.3f s (%.3f-%.3f)", bench_median (eap->wall_s, rounds), lo, hi);
  yard_text = g_strdup_printf ("%.3f s %s", bench_median (yard_s, rounds), yard_name);
  ratio_text = g_strdup_printf ("%.2fx (%.2f-%.2f)", ratio, rlo, rhi);
  print_row (figure, eap_text, yard_text, ratio_text, goal, ratio <= 1.1);
}

static void
rss_row (const char   *figure,
         const Client *c,
         const Client *yard,
         Goal          goal,
         guint         rounds)
{
  g_autofree char *eap_text = NULL, *yard_text = NULL;
  double lo, hi, m;

  if (!c->enabled)
    return;
  bench_min_max (c->rss_mib, rounds, &lo, &hi);
  m = bench_median (c->rss_mib, rounds);
  eap_text = g_strdup_printf ("%.1f MiB (%.1f-%.1f)", m, lo, hi);
  if (yard != NULL && yard->enabled)
    yard_text = g_strdup_printf ("%.1f MiB %s", bench_median (yard->rss_mib, rounds), yard->label);
  else
    yard_text = g_strdup ("-");
  /* RSS is judged on the worst round. */
  print_row (figure, eap_text, yard_text, "", goal, hi < 16.0);
}

static void
rate_row (const char   *figure,
          const Client *c,
          guint         rounds)
{
  g_autofree double *rates = g_new (double, rounds);
  g_autofree char *eap_text = NULL, *count_text = NULL;
  double lo, hi;

  if (!c->enabled)
    return;
  for (guint r = 0; r < rounds; r++)
    rates[r] = c->op_s[r] > 0 ? c->progress[r] / c->op_s[r] : 0;
  bench_min_max (rates, rounds, &lo, &hi);
  eap_text = g_strdup_printf ("%.1f /s (%.1f-%.1f)", bench_median (rates, rounds), lo, hi);
  count_text = g_strdup_printf ("%.0f emissions in %.2f s", bench_median (c->progress, rounds),
                                bench_median (c->op_s, rounds));
  /* Judged on the worst round. */
  print_row (figure, eap_text, count_text, "", GOAL_RATE_25, hi <= 25.0);
}

int
main (int   argc,
      char *argv[])
{
  int rounds = 7;
  int size_mib = 1024;
  g_autofree char *base_dir = NULL;
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Timed rounds, every client once per round (default 7)", "N" },
    { "size-mib", 's', 0, G_OPTION_ARG_INT, &size_mib, "Size of the file served, in MiB (default 1024)", "N" },
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &base_dir,
      "Folder on disk for the work folder (default: the temporary folder)", "PATH" },
    G_OPTION_ENTRY_NULL
  };
  Client clients[N_CLIENTS] = {
    [CURL_NULL] = { "curl -o /dev/null" },
    [SOUP_NULL] = { "soup read loop" },
    [EAP_BYTES] = { "eap download-bytes", .is_eap = TRUE },
    [CURL_SHM]  = { "curl -o tmpfs" },
    [SOUP_SHM]  = { "soup read loop to tmpfs" },
    [EAP_SHM]   = { "eap download-file tmpfs", .is_eap = TRUE },
    [CURL_FILE] = { "curl -o FILE" },
    [EAP_FILE]  = { "eap download-file FILE", .is_eap = TRUE },
  };
  g_autofree char *self_dir = NULL;
  g_autofree char *helper = NULL;
  g_autofree char *curl = NULL;
  g_autofree char *nginx = NULL;
  g_autofree char *www = NULL;
  g_autofree char *data_path = NULL;
  g_autofree char *out_dir = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *exe = NULL;
  Setup setup;
  guint16 port;
  gint64 t0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || rounds < 1 || size_mib < 1)
    {
      fprintf (stderr, "bench-download: %s\n", error ? error->message : "counts must be positive");
      return 2;
    }

  /* No SA_RESTART: a blocking read or wait4 returns EINTR and the loop
   * around it cleans up. */
  bench_init ("bench-download", NULL, clean_up);
  bench_catch_signals ();

  exe = g_file_read_link ("/proc/self/exe", NULL);
  self_dir = g_path_get_dirname (exe != NULL ? exe : argv[0]);
  helper = g_build_filename (self_dir, "bench-download-client", NULL);
  curl = g_find_program_in_path ("curl");
  nginx = g_find_program_in_path ("nginx");
  if (nginx == NULL && g_file_test ("/usr/sbin/nginx", G_FILE_TEST_IS_EXECUTABLE))
    nginx = g_strdup ("/usr/sbin/nginx");
  if (!g_file_test (helper, G_FILE_TEST_IS_EXECUTABLE))
    bench_die ("no %s: build the benchmarks (meson -Dbenchmarks=true)", helper);
  if (curl == NULL || nginx == NULL)
    bench_die ("needs curl and nginx (scripts/setup-deps installs them)");

  /* The work folder: nginx's configuration, logs and document root, and
   * the disk outputs. */
  {
    g_autofree char *template = g_build_filename (base_dir ? base_dir : g_get_tmp_dir (),
                                                  "eap-bench-download-XXXXXX", NULL);

    state.dir = g_mkdtemp (g_steal_pointer (&template));
    if (state.dir == NULL)
      bench_die ("cannot create a work folder: %s", g_strerror (errno));
  }
  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && is_tmpfs ("/dev/shm"))
    {
      char *shm_template = g_strdup ("/dev/shm/eap-bench-download-XXXXXX");

      state.shm_dir = g_mkdtemp (shm_template);
      if (state.shm_dir == NULL)
        g_free (shm_template);
    }

  www = g_build_filename (state.dir, "www", NULL);
  out_dir = g_build_filename (state.dir, "out", NULL);
  if (g_mkdir (www, 0755) != 0 || g_mkdir (out_dir, 0755) != 0)
    bench_die ("cannot create folders in %s: %s", state.dir, g_strerror (errno));

  for (int i = 0; i < N_CLIENTS; i++)
    {
      Client *c = &clients[i];

      c->enabled = TRUE;
      c->wall_s = g_new0 (double, rounds);
      c->rss_mib = g_new0 (double, rounds);
      c->op_s = g_new0 (double, rounds);
      c->progress = g_new0 (double, rounds);
    }
  clients[CURL_FILE].fsync_s = g_new0 (double, rounds);
  clients[CURL_FILE].out_path = g_build_filename (out_dir, "curl.out", NULL);
  clients[EAP_FILE].out_path = g_build_filename (out_dir, "eap.out", NULL);
  if (state.shm_dir != NULL)
    {
      g_autofree char *curl_dir = g_build_filename (state.shm_dir, "curl", NULL);
      g_autofree char *eap_dir = g_build_filename (state.shm_dir, "eap", NULL);
      g_autofree char *soup_dir = g_build_filename (state.shm_dir, "soup", NULL);

      g_mkdir (curl_dir, 0755);
      g_mkdir (eap_dir, 0755);
      g_mkdir (soup_dir, 0755);
      clients[CURL_SHM].out_path = g_build_filename (curl_dir, "curl.out", NULL);
      clients[SOUP_SHM].out_path = g_build_filename (soup_dir, "soup.out", NULL);
      clients[EAP_SHM].out_path = g_build_filename (eap_dir, "eap.out", NULL);
    }
  else
    clients[CURL_SHM].enabled = clients[SOUP_SHM].enabled = clients[EAP_SHM].enabled = FALSE;
  /* The other disk output shares out/: check "only the output" per
   * client by giving each its own folder. */
  {
    g_autofree char *curl_dir = g_build_filename (out_dir, "curl", NULL);
    g_autofree char *eap_dir = g_build_filename (out_dir, "eap", NULL);

    g_mkdir (curl_dir, 0755);
    g_mkdir (eap_dir, 0755);
    g_free (clients[CURL_FILE].out_path);
    g_free (clients[EAP_FILE].out_path);
    clients[CURL_FILE].out_path = g_build_filename (curl_dir, "curl.out", NULL);
    clients[EAP_FILE].out_path = g_build_filename (eap_dir, "eap.out", NULL);
  }

  t0 = bench_now_ns ();
  data_path = g_build_filename (www, "data.bin", NULL);
  make_data_file (data_path, (gint64) size_mib * 1024 * 1024);

  port = free_loopback_port ();
  start_nginx (nginx, port);
  uri = g_strdup_printf ("http://127.0.0.1:%u/data.bin", (guint) port);
  setup = (Setup) { curl, helper, uri, (gint64) size_mib * 1024 * 1024 };

  printf ("bench-download: %d MiB from nginx (sendfile, one process) at %s\n"
          "  %d rounds of %d clients, each a process of its own, order reversed on odd rounds;\n"
          "  disk folder %s (%s)%s%s; setup took %.1f s; this driver's RSS %" G_GINT64_FORMAT " KiB\n",
          size_mib, uri, rounds, N_CLIENTS - (state.shm_dir ? 0 : 3), state.dir,
          fs_type (state.dir), state.shm_dir ? ", tmpfs folder " : ", no tmpfs /dev/shm",
          state.shm_dir ? state.shm_dir : "", (double) (bench_now_ns () - t0) / 1e9,
          bench_proc_status_kib (0, "VmRSS"));
  fflush (stdout);

  /* One untimed download warms nginx, curl and the loopback path. */
  run_one (&setup, clients, CURL_NULL, 0);

  t0 = bench_now_ns ();
  for (int r = 0; r < rounds; r++)
    {
      for (int k = 0; k < N_CLIENTS; k++)
        {
          ClientId id = r % 2 == 0 ? (ClientId) k : (ClientId) (N_CLIENTS - 1 - k);

          if (clients[id].enabled)
            run_one (&setup, clients, id, (guint) r);
        }
      fprintf (stderr, "  round %d/%d done (%.0f s)\n", r + 1, rounds,
               (double) (bench_now_ns () - t0) / 1e9);
      fflush (stderr);
    }

  clean_up ();

  printf ("\nper client (median over %d rounds): time of the whole process, throughput, peak RSS\n",
          rounds);
  for (int i = 0; i < N_CLIENTS; i++)
    {
      const Client *c = &clients[i];
      double lo, hi, m;

      if (!c->enabled)
        continue;
      bench_min_max (c->wall_s, (guint) rounds, &lo, &hi);
      m = bench_median (c->wall_s, (guint) rounds);
      printf ("  %-26s %.3f s (%.3f-%.3f)  %5.2f GB/s  %5.1f MiB", c->label, m, lo, hi,
              (double) setup.size / m / 1e9, bench_median (c->rss_mib, (guint) rounds));
      if (c->fsync_s != NULL)
        printf ("  + fsync %.3f s", bench_median (c->fsync_s, (guint) rounds));
      if (c->is_eap || i == SOUP_NULL || i == SOUP_SHM)
        printf ("  in-process %.3f s", bench_median (c->op_s, (guint) rounds));
      printf ("\n");
    }

  printf ("\n%-34s %-24s %-26s %-20s %-9s %s\n", "figure", "eap bench_median (min-max)",
          "yardstick median", "ratio (min-max)", "goal", "");
  time_row ("libsoup read loop, to nowhere", &clients[SOUP_NULL], &clients[CURL_NULL], NULL,
            "curl -o /dev/null", GOAL_NONE, (guint) rounds);
  time_row ("eap file to tmpfs (/dev/null eq.)", &clients[EAP_SHM], &clients[CURL_NULL], NULL,
            "curl -o /dev/null", GOAL_RATIO_1_1, (guint) rounds);
  time_row ("eap file to tmpfs", &clients[EAP_SHM], &clients[CURL_SHM], NULL,
            "curl -o tmpfs", GOAL_RATIO_1_1, (guint) rounds);
  time_row ("eap file to tmpfs, against libsoup", &clients[EAP_SHM], &clients[SOUP_SHM], NULL,
            "soup loop to tmpfs", GOAL_NONE, (guint) rounds);
  time_row ("eap bytes (in memory)", &clients[EAP_BYTES], &clients[CURL_NULL], NULL,
            "curl -o /dev/null", GOAL_RATIO_1_1, (guint) rounds);
  time_row ("eap file to disk", &clients[EAP_FILE], &clients[CURL_FILE], NULL,
            "curl -o FILE", GOAL_RATIO_1_1, (guint) rounds);
  time_row ("eap file to disk (both fsynced)", &clients[EAP_FILE], &clients[CURL_FILE],
            clients[CURL_FILE].fsync_s, "curl -o FILE +fsync", GOAL_RATIO_1_1, (guint) rounds);
  rss_row ("peak RSS, eap file to disk", &clients[EAP_FILE], &clients[CURL_FILE], GOAL_RSS_16,
           (guint) rounds);
  rss_row ("peak RSS, eap file to tmpfs", &clients[EAP_SHM], &clients[CURL_SHM], GOAL_RSS_16,
           (guint) rounds);
  rss_row ("peak RSS, soup read loop", &clients[SOUP_NULL], &clients[CURL_NULL], GOAL_NONE,
           (guint) rounds);
  rss_row ("peak RSS, eap bytes (holds body)", &clients[EAP_BYTES], &clients[CURL_NULL],
           GOAL_NONE, (guint) rounds);
  rate_row ("progress, eap file to disk", &clients[EAP_FILE], (guint) rounds);
  rate_row ("progress, eap file to tmpfs", &clients[EAP_SHM], (guint) rounds);
  rate_row ("progress, eap bytes", &clients[EAP_BYTES], (guint) rounds);

  printf ("\ntime = the client's whole process (start-up included), from fork to wait4;\n"
          "ratio = median of the per-round ratios eap / yardstick; RSS = wait4 ru_maxrss,\n"
          "judged on the worst round; progress rate = emissions / in-process time, worst round\n"
          "(it counts the first and the final 100 %% emission, which dominate small --size-mib).\n"
          "eap download-file writes a temporary sibling and fsyncs it before the rename;\n"
          "curl -o FILE does not, hence the \"both fsynced\" row. download-bytes holds the\n"
          "whole body in fresh memory, so it pays a page fault per 4 KiB that curl -o /dev/null\n"
          "never does. Context (PERF-ANCHORS.md): curl to /dev/null ~1.85 GB/s; a libsoup\n"
          "read loop 0.96-1.14x curl's time.\n");

  for (int i = 0; i < N_CLIENTS; i++)
    {
      g_free (clients[i].out_path);
      g_free (clients[i].wall_s);
      g_free (clients[i].rss_mib);
      g_free (clients[i].op_s);
      g_free (clients[i].progress);
      g_free (clients[i].fsync_s);
    }
  return 0;
}
