/* bench-tcp.c: EapTcpListener/EapTcpClient echo against raw GIO and epoll
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Three echo servers, each a process of its own started for every
 * measurement (so RSS and CPU are the server's alone, read from /proc):
 *
 *   raw GIO   bench-echo-server gio: GSocketService, read_async then
 *             write_all_async, a 64 KiB buffer per connection (the
 *             yardstick of the goals)
 *   epoll     bench-echo-server epoll: a plain single-threaded epoll loop
 *             (the ceiling)
 *   eap       bench-echo-eap: EapTcpListener, RAW framing, each `received`
 *             chunk echoed with eap_tcp_client_queue_send
 *
 * all driven by the same plain epoll load client, bench-tcp-load, on
 * 127.0.0.1 (PERF-ANCHORS.md, "How the yardsticks were run"). The servers
 * alternate, A B C A B C, within each round; figures are medians over the
 * rounds, ratios the medians of the per-round ratios.
 *
 *   1. round trips per second: CONNS (100) connections, each 64-byte
 *      ping-pong, for SECONDS (5) after a 0.5 s warm-up; also the server's
 *      CPU time per round trip
 *   2. streaming: one connection, MIB (1024) MiB written and read back
 *      concurrently; GB/s = bytes / time each way
 *   3. IDLE (10,000) idle connections, in their own --idle-rounds: the time
 *      to have them all accepted (non-blocking connects, at most --window
 *      in flight, each counted when its 1-byte echo is back), the server's
 *      VmRSS growth per connection, and the median round trip of one active
 *      connection (2,000 ping-pongs, or as many as fit in --ping-cap
 *      seconds) while they are held, against the same connection's round
 *      trip before. The raw GIO server takes 20-50 s to accept 10,000 (one
 *      GSource per connection) and its round trip is then ~20 ms: it runs
 *      in --gio-idle-rounds (1) only, gets --gio-idle-cap seconds and is
 *      reported as "not done" beyond; --skip-gio-idle leaves it out. (The
 *      idle goals are against epoll.)
 *
 * RLIMIT_NOFILE is raised to 25,000 in the load client and the servers
 * (root may raise the hard limit); where that is not possible they say so
 * and the idle figure is scaled down to what fits, and printed as such.
 *
 * Goals (issue 3): round trips per second >= 1.0x raw GIO; streaming >=
 * 0.9x raw GIO; the 10,000 accepts and the active round trip while they are
 * held within 2x of epoll; at most 8 KiB RSS per idle connection.
 *
 * Usage: bench-tcp [--rounds=N] [--seconds=S] [--conns=N] [--stream-mib=N]
 *                  [--idle=N] [--idle-rounds=N] [--pings=N] [--window=N]
 *                  [--idle-cap=S] [--gio-idle-cap=S] [--gio-idle-rounds=N]
 *                  [--ping-cap=S] [--skip-gio-idle]
 *                  [--only=rtt,stream,idle]
 *
 * Servers and the load client get SIGTERM if this process dies
 * (PR_SET_PDEATHSIG) and are stopped by pid on failure or SIGINT/SIGTERM.
 */

#define _GNU_SOURCE   /* pipe2 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib.h>

#include "bench-util.h"

#define SERVER_START_TIMEOUT_MS 10000

typedef enum
{
  SRV_GIO,
  SRV_EPOLL,
  SRV_EAP,
  N_SERVERS
} ServerId;

static const char *server_labels[N_SERVERS] = { "raw GIO", "epoll", "eap" };

static struct
{
  pid_t server_pid;
  pid_t load_pid;
} state;

static void
clean_up (void)
{
  bench_stop_child (&state.load_pid, SIGKILL);
  bench_stop_child (&state.server_pid, SIGKILL);
}

static void
check_interrupted (void)
{
  bench_exit_if_interrupted ("stopping the servers");
}

/* The value after "KEY=" in @line, or @otherwise. */
static double
field (const char *line,
       const char *key,
       double      otherwise)
{
  g_autofree char *needle = g_strconcat (" ", key, "=", NULL);
  g_autofree char *padded = g_strconcat (" ", line, NULL);
  const char *found = strstr (padded, needle);

  return found != NULL ? g_ascii_strtod (found + strlen (needle), NULL) : otherwise;
}

/* Forks and execs @argv with stdout on a pipe; returns the pid and the
 * pipe's read end. */
static pid_t
spawn (char **argv,
       int   *out_fd)
{
  pid_t parent = getpid ();
  int pipe_fds[2];
  pid_t pid;

  if (pipe2 (pipe_fds, O_CLOEXEC) != 0)
    bench_die ("pipe: %s", g_strerror (errno));
  pid = fork ();
  if (pid < 0)
    bench_die ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      int null_fd = open ("/dev/null", O_RDONLY);

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (1);
      dup2 (null_fd, STDIN_FILENO);
      dup2 (pipe_fds[1], STDOUT_FILENO);
      execv (argv[0], argv);
      fprintf (stderr, "bench-tcp: cannot run %s: %s\n", argv[0], g_strerror (errno));
      _exit (127);
    }
  close (pipe_fds[1]);
  *out_fd = pipe_fds[0];
  return pid;
}

/* Reads from @fd until a newline (@line_only) or EOF, within @timeout_ms;
 * FALSE on timeout. */
static gboolean
read_output (int      fd,
             GString *out,
             gboolean line_only,
             gint64   timeout_ms)
{
  gint64 deadline = bench_now_ns () + timeout_ms * 1000000;
  char buffer[512];

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = (deadline - bench_now_ns ()) / 1000000;
      gssize n;

      check_interrupted ();
      if (line_only && strchr (out->str, '\n') != NULL)
        return TRUE;
      if (left <= 0)
        return FALSE;
      if (poll (&pfd, 1, (int) MIN (left, 1000)) <= 0)
        continue;
      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return TRUE;
      g_string_append_len (out, buffer, n);
    }
}

typedef struct
{
  const char *server_exe;   /* bench-echo-server */
  const char *eap_exe;      /* bench-echo-eap */
  const char *load_exe;     /* bench-tcp-load */
} Programs;

/* Starts server @id; returns its port and fills @nofile. */
static guint16
start_server (const Programs *programs,
              ServerId        id,
              double         *nofile)
{
  g_autoptr(GString) out = g_string_new (NULL);
  char *gio_argv[] = { (char *) programs->server_exe, "gio", NULL };
  char *epoll_argv[] = { (char *) programs->server_exe, "epoll", NULL };
  char *eap_argv[] = { (char *) programs->eap_exe, NULL };
  char **argv = id == SRV_GIO ? gio_argv : id == SRV_EPOLL ? epoll_argv : eap_argv;
  int fd;
  double port;

  state.server_pid = spawn (argv, &fd);
  if (!read_output (fd, out, TRUE, SERVER_START_TIMEOUT_MS))
    bench_die ("the %s server did not say its port within 10 s", server_labels[id]);
  close (fd);
  port = field (out->str, "port", -1);
  *nofile = field (out->str, "nofile", 0);
  if (port <= 0)
    bench_die ("the %s server did not start (it printed: \"%s\")", server_labels[id], out->str);
  return (guint16) port;
}

/* Runs the load client with @args (after PORT and SERVER_PID); returns its
 * output line. Kills it after @timeout_s. */
static char *
run_load (const Programs *programs,
          const char     *mode,
          guint16         port,
          const char     *args,
          double          timeout_s)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *command = g_strdup_printf ("%s %u %d %s", mode, (guint) port,
                                              (int) state.server_pid, args);
  g_auto(GStrv) words = g_strsplit (command, " ", -1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int fd, status = 0;

  g_ptr_array_add (argv, (char *) programs->load_exe);
  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (argv, words[i]);
  g_ptr_array_add (argv, NULL);
  state.load_pid = spawn ((char **) argv->pdata, &fd);
  if (!read_output (fd, out, FALSE, (gint64) (timeout_s * 1000)))
    bench_die ("the load client (%s) did not finish within %.0f s", command, timeout_s);
  close (fd);
  while (waitpid (state.load_pid, &status, 0) < 0)
    {
      if (errno != EINTR)
        bench_die ("waitpid: %s", g_strerror (errno));
      check_interrupted ();
    }
  state.load_pid = 0;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    bench_die ("the load client failed (%s; status %d); it printed: %s", command, status, out->str);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------------ */
/* Measurements                                                         */
/* ------------------------------------------------------------------ */

typedef struct
{
  gboolean enabled;
  double  *rtt_per_s;       /* per round */
  double  *rtt_cpu_us;      /* server CPU per round trip */
  double  *stream_gbps;
  double  *stream_cpu_s;
  /* idle, per idle round; NAN where not measured */
  double  *accept_s;
  double  *rss_per_conn_kib;
  double  *active_rtt_us;
  double  *base_rtt_us;
  guint    idle_done;         /* idle rounds run */
  gboolean idle_unfinished;   /* a round hit the cap */
  int      idle_accepted;     /* in that round */
  double   idle_cap_s;
  int      idle_n;            /* connections actually opened */
  double   nofile;            /* the server's RLIMIT_NOFILE */
  double   load_nofile;       /* the load client's, in the idle figure */
} Server;

typedef struct
{
  int    rounds;
  double seconds;
  int    conns;
  int    stream_mib;
  int    idle;
  int    idle_rounds;
  int    pings;
  int    window;
  double idle_cap;
  double gio_idle_cap;
  int    gio_idle_rounds;
  double ping_cap;
} Config;

static void
measure_rtt (const Programs *programs,
             const Config   *config,
             Server         *servers,
             ServerId        id,
             guint           round)
{
  g_autofree char *args = g_strdup_printf ("%d %g", config->conns, config->seconds);
  g_autofree char *line = NULL;
  double nofile, rtts;
  guint16 port = start_server (programs, id, &nofile);

  line = run_load (programs, "rtt", port, args, config->seconds + 60);
  bench_stop_child (&state.server_pid, SIGKILL);
  rtts = field (line, "rtts", 0);
  if (rtts <= 0)
    bench_die ("%s: no round trips (%s)", server_labels[id], line);
  servers[id].rtt_per_s[round] = rtts / (field (line, "ns", 1) / 1e9);
  servers[id].rtt_cpu_us[round] = field (line, "server_cpu_ns", 0) / rtts / 1e3;
}

static void
measure_stream (const Programs *programs,
                const Config   *config,
                Server         *servers,
                ServerId        id,
                guint           round)
{
  g_autofree char *args = g_strdup_printf ("%d", config->stream_mib);
  g_autofree char *line = NULL;
  double nofile;
  guint16 port = start_server (programs, id, &nofile);

  line = run_load (programs, "stream", port, args, 600);
  bench_stop_child (&state.server_pid, SIGKILL);
  servers[id].stream_gbps[round] = field (line, "bytes", 0) / field (line, "ns", 1);
  servers[id].stream_cpu_s[round] = field (line, "server_cpu_ns", 0) / 1e9;
}

static void
measure_idle (const Programs *programs,
              const Config   *config,
              Server         *servers,
              ServerId        id,
              guint           round)
{
  Server *s = &servers[id];
  double cap = id == SRV_GIO ? config->gio_idle_cap : config->idle_cap;
  double nofile;
  guint16 port = start_server (programs, id, &nofile);
  int n = config->idle;
  g_autofree char *args = NULL;
  g_autofree char *line = NULL;
  int accepted;

  if (nofile < n + 64)
    {
      fprintf (stderr, "bench-tcp: the %s server's RLIMIT_NOFILE is %.0f: it cannot hold %d "
               "connections; scaled down to %.0f\n", server_labels[id], nofile, n, nofile - 64);
      n = (int) nofile - 64;
    }
  args = g_strdup_printf ("%d %d %g %d %g", n, config->pings, cap, config->window, config->ping_cap);
  line = run_load (programs, "idle", port, args, cap + 2 * config->ping_cap + 60);
  bench_stop_child (&state.server_pid, SIGKILL);

  s->idle_n = (int) field (line, "n", n);
  s->nofile = nofile;
  s->load_nofile = field (line, "nofile", 0);
  s->idle_cap_s = cap;
  s->idle_done++;
  s->base_rtt_us[round] = field (line, "base_rtt_ns", -1) / 1e3;
  accepted = (int) field (line, "accepted", 0);
  if (field (line, "finished", 0) != 1)
    {
      s->idle_unfinished = TRUE;
      s->idle_accepted = accepted;
      return;
    }
  s->accept_s[round] = field (line, "accept_ns", 0) / 1e9;
  s->rss_per_conn_kib[round] = (field (line, "rss_after_kib", 0) - field (line, "rss_before_kib", 0))
                               / accepted;
  s->active_rtt_us[round] = field (line, "active_rtt_ns", -1) / 1e3;
}

/* ------------------------------------------------------------------ */
/* Report                                                               */
/* ------------------------------------------------------------------ */

typedef enum
{
  GOAL_NONE,
  GOAL_AT_LEAST,     /* ratio against the goal's yardstick >= bound */
  GOAL_AT_MOST,      /* ratio against the goal's yardstick <= bound */
  GOAL_ABS_AT_MOST,  /* eap's median value <= bound */
} GoalKind;

typedef struct
{
  const char *figure;
  const char *unit;
  int         decimals;    /* digits after the point */
  GoalKind    goal;
  ServerId    goal_yard;   /* GIO or epoll */
  double      bound;
  const char *goal_text;
} Row;

static char *
value_text (const Row    *row,
            const Server *s,
            const double *v,
            guint         n,
            gboolean      with_range)
{
  double m, lo, hi;
  int d = row->decimals;

  if (!s->enabled)
    return g_strdup ("(not run)");
  if (!bench_summarize (v, n, &m, &lo, &hi))
    {
      if (s->idle_unfinished)
        return g_strdup_printf ("not done in %.0f s (%d/%d)", s->idle_cap_s,
                                s->idle_accepted, s->idle_n);
      return g_strdup ("-");
    }
  if (!with_range)
    return g_strdup_printf ("%.*f %s", d, m, row->unit);
  return g_strdup_printf ("%.*f %s (%.*f-%.*f)", d, m, row->unit, d, lo, d, hi);
}

static void
print_row (const Row *row,
           Server    *servers,
           double   **values,   /* per server */
           guint      n)
{
  g_autofree char *eap_text = value_text (row, &servers[SRV_EAP], values[SRV_EAP], n, TRUE);
  g_autofree char *gio_text = value_text (row, &servers[SRV_GIO], values[SRV_GIO], n, FALSE);
  g_autofree char *epoll_text = value_text (row, &servers[SRV_EPOLL], values[SRV_EPOLL], n, FALSE);
  g_autofree char *r_gio = NULL, *r_epoll = NULL;
  const char *verdict = "-";
  double m, lo, hi, em, elo, ehi;
  gboolean have_eap = servers[SRV_EAP].enabled &&
                      bench_summarize (values[SRV_EAP], n, &em, &elo, &ehi);

  if (have_eap && servers[SRV_GIO].enabled &&
      bench_ratio_of (values[SRV_EAP], values[SRV_GIO], n, &m, &lo, &hi))
    r_gio = g_strdup_printf ("%.2fx (%.2f-%.2f)", m, lo, hi);
  if (have_eap && servers[SRV_EPOLL].enabled &&
      bench_ratio_of (values[SRV_EAP], values[SRV_EPOLL], n, &m, &lo, &hi))
    r_epoll = g_strdup_printf ("%.2fx (%.2f-%.2f)", m, lo, hi);

  switch (row->goal)
    {
    case GOAL_AT_LEAST:
    case GOAL_AT_MOST:
      if (have_eap && servers[row->goal_yard].enabled &&
          bench_ratio_of (values[SRV_EAP], values[row->goal_yard], n, &m, &lo, &hi))
        verdict = (row->goal == GOAL_AT_LEAST ? m >= row->bound : m <= row->bound) ? "met" : "MISSED";
      else if (have_eap && row->goal_yard == SRV_GIO && servers[SRV_GIO].idle_unfinished)
        verdict = "met (GIO did not finish)";
      else
        verdict = "n/a";
      break;
    case GOAL_ABS_AT_MOST:
      /* Judged on the worst round. */
      verdict = have_eap ? (ehi <= row->bound ? "met" : "MISSED") : "n/a";
      break;
    case GOAL_NONE:
    default:
      break;
    }

  printf ("%-30s %-30s %-28s %-22s %-20s %-20s %-14s %s\n", row->figure, eap_text, gio_text,
          epoll_text, r_gio ? r_gio : "-", r_epoll ? r_epoll : "-",
          row->goal == GOAL_NONE ? "context" : row->goal_text, verdict);
}

static gboolean
parse_only (const char *only,
            gboolean   *rtt,
            gboolean   *stream,
            gboolean   *idle)
{
  g_auto(GStrv) parts = NULL;

  if (only == NULL)
    {
      *rtt = *stream = *idle = TRUE;
      return TRUE;
    }
  *rtt = *stream = *idle = FALSE;
  parts = g_strsplit (only, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (strcmp (parts[i], "rtt") == 0)
        *rtt = TRUE;
      else if (strcmp (parts[i], "stream") == 0)
        *stream = TRUE;
      else if (strcmp (parts[i], "idle") == 0)
        *idle = TRUE;
      else
        return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  Config config = {
    .rounds = 7, .seconds = 5, .conns = 100, .stream_mib = 1024, .idle = 10000,
    .idle_rounds = 3, .pings = 2000, .window = 256, .idle_cap = 60, .gio_idle_cap = 90,
    .gio_idle_rounds = 1, .ping_cap = 10,
  };
  gboolean skip_gio_idle = FALSE;
  g_autofree char *only = NULL;
  GOptionEntry entries[] = {
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &config.rounds, "Rounds of the round-trip and streaming figures (default 7)", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &config.seconds, "Seconds of ping-pong per round-trip run (default 5)", "S" },
    { "conns", 'c', 0, G_OPTION_ARG_INT, &config.conns, "Connections of the round-trip figure (default 100)", "N" },
    { "stream-mib", 'm', 0, G_OPTION_ARG_INT, &config.stream_mib, "MiB streamed each way (default 1024)", "N" },
    { "idle", 'i', 0, G_OPTION_ARG_INT, &config.idle, "Idle connections (default 10000)", "N" },
    { "idle-rounds", 0, 0, G_OPTION_ARG_INT, &config.idle_rounds, "Rounds of the idle figure (default 3)", "N" },
    { "pings", 'p', 0, G_OPTION_ARG_INT, &config.pings, "Ping-pongs of the active connection (default 2000)", "N" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &config.window, "Connects in flight at once in the idle figure (default 256)", "N" },
    { "idle-cap", 0, 0, G_OPTION_ARG_DOUBLE, &config.idle_cap, "Seconds allowed for the idle accepts, eap and epoll (default 60)", "S" },
    { "gio-idle-cap", 0, 0, G_OPTION_ARG_DOUBLE, &config.gio_idle_cap, "Seconds allowed for the raw GIO server's idle accepts (default 90)", "S" },
    { "gio-idle-rounds", 0, 0, G_OPTION_ARG_INT, &config.gio_idle_rounds, "Idle rounds with the raw GIO server, the first ones (default 1)", "N" },
    { "ping-cap", 0, 0, G_OPTION_ARG_DOUBLE, &config.ping_cap, "Seconds allowed for each set of active ping-pongs (default 10)", "S" },
    { "skip-gio-idle", 0, 0, G_OPTION_ARG_NONE, &skip_gio_idle, "Leave the raw GIO server out of the idle figure", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Figures to run, of rtt,stream,idle (default all)", "LIST" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *exe = NULL, *self_dir = NULL;
  g_autofree char *server_exe = NULL, *eap_exe = NULL, *load_exe = NULL;
  Server servers[N_SERVERS] = { 0 };
  gboolean do_rtt, do_stream, do_idle;
  Programs programs;
  gint64 t0;

  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_summary (options,
    "Echo servers (raw GIO, plain epoll, eap) driven by one epoll load client on 127.0.0.1.");
  if (!g_option_context_parse (options, &argc, &argv, &error) ||
      !parse_only (only, &do_rtt, &do_stream, &do_idle) || config.rounds < 1 ||
      config.seconds <= 0 || config.conns < 1 || config.stream_mib < 1 || config.idle < 1 ||
      config.idle_rounds < 1 || config.pings < 1 || config.window < 1 || config.ping_cap <= 0 ||
      config.gio_idle_rounds < 0)
    {
      fprintf (stderr, "bench-tcp: %s\n", error ? error->message : "bad option values (see --help)");
      return 2;
    }

  if (config.gio_idle_rounds == 0)
    skip_gio_idle = TRUE;

  bench_init ("bench-tcp", NULL, clean_up);
  bench_catch_signals ();
  signal (SIGPIPE, SIG_IGN);

  exe = g_file_read_link ("/proc/self/exe", NULL);
  self_dir = g_path_get_dirname (exe != NULL ? exe : argv[0]);
  server_exe = g_build_filename (self_dir, "bench-echo-server", NULL);
  eap_exe = g_build_filename (self_dir, "bench-echo-eap", NULL);
  load_exe = g_build_filename (self_dir, "bench-tcp-load", NULL);
  programs = (Programs) { server_exe, eap_exe, load_exe };
  if (!g_file_test (server_exe, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (load_exe, G_FILE_TEST_IS_EXECUTABLE))
    bench_die ("no %s or %s: build the benchmarks (meson -Dbenchmarks=true)", server_exe, load_exe);

  for (int i = 0; i < N_SERVERS; i++)
    {
      Server *s = &servers[i];

      s->enabled = TRUE;
      s->rtt_per_s = g_new (double, config.rounds);
      s->rtt_cpu_us = g_new (double, config.rounds);
      s->stream_gbps = g_new (double, config.rounds);
      s->stream_cpu_s = g_new (double, config.rounds);
      s->accept_s = g_new (double, config.idle_rounds);
      s->rss_per_conn_kib = g_new (double, config.idle_rounds);
      s->active_rtt_us = g_new (double, config.idle_rounds);
      s->base_rtt_us = g_new (double, config.idle_rounds);
      for (int r = 0; r < config.rounds; r++)
        s->rtt_per_s[r] = s->rtt_cpu_us[r] = s->stream_gbps[r] = s->stream_cpu_s[r] = NAN;
      for (int r = 0; r < config.idle_rounds; r++)
        s->accept_s[r] = s->rss_per_conn_kib[r] = s->active_rtt_us[r] = s->base_rtt_us[r] = NAN;
    }
  if (!g_file_test (eap_exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench-tcp: no %s (the eap library did not build?): yardsticks only\n", eap_exe);
      servers[SRV_EAP].enabled = FALSE;
    }

  printf ("bench-tcp: echo servers raw GIO, epoll%s on 127.0.0.1, each a process of its own per run,\n"
          "  one epoll load client; %d rounds (A B C each round) of: %d connections x 64-byte\n"
          "  ping-pong for %g s; one connection streaming %d MiB each way; then %d rounds of %d idle\n"
          "  connections (at most %d connects in flight; caps: %g s, raw GIO %g s in %d round%s%s),\n"
          "  %d pings (at most %g s)\n",
          servers[SRV_EAP].enabled ? ", eap" : " (eap not built)", config.rounds, config.conns,
          config.seconds, config.stream_mib, config.idle_rounds, config.idle, config.window,
          config.idle_cap, config.gio_idle_cap, config.gio_idle_rounds,
          config.gio_idle_rounds == 1 ? "" : "s", skip_gio_idle ? ", skipped" : "", config.pings,
          config.ping_cap);
  fflush (stdout);

  t0 = bench_now_ns ();
  for (int r = 0; r < config.rounds && (do_rtt || do_stream); r++)
    {
      for (int k = 0; k < N_SERVERS; k++)
        if (servers[k].enabled && do_rtt)
          measure_rtt (&programs, &config, servers, (ServerId) k, (guint) r);
      for (int k = 0; k < N_SERVERS; k++)
        if (servers[k].enabled && do_stream)
          measure_stream (&programs, &config, servers, (ServerId) k, (guint) r);
      fprintf (stderr, "  round %d/%d done (%.0f s)\n", r + 1, config.rounds,
               (double) (bench_now_ns () - t0) / 1e9);
    }
  for (int r = 0; r < config.idle_rounds && do_idle; r++)
    {
      for (int k = 0; k < N_SERVERS; k++)
        {
          /* A server that hit the cap once is not tried again. */
          if (!servers[k].enabled || servers[k].idle_unfinished ||
              (k == SRV_GIO && (skip_gio_idle || r >= config.gio_idle_rounds)))
            continue;
          measure_idle (&programs, &config, servers, (ServerId) k, (guint) r);
        }
      fprintf (stderr, "  idle round %d/%d done (%.0f s)\n", r + 1, config.idle_rounds,
               (double) (bench_now_ns () - t0) / 1e9);
    }
  clean_up ();

  {
    Row rows[] = {
      { "round trips/s, 100 conns", "k/s", 1, GOAL_AT_LEAST, SRV_GIO, 1.0, ">= 1.0x GIO" },
      { "server CPU per round trip", "us", 2, GOAL_NONE },
      { "streaming, 1 conn", "GB/s", 2, GOAL_AT_LEAST, SRV_GIO, 0.9, ">= 0.9x GIO" },
      { "server CPU, streaming", "s", 2, GOAL_NONE },
      { "idle: time to accept all", "s", 3, GOAL_AT_MOST, SRV_EPOLL, 2.0, "<= 2x epoll" },
      { "idle: RSS per connection", "KiB", 2, GOAL_ABS_AT_MOST, SRV_EPOLL, 8.0, "<= 8 KiB" },
      { "idle: active RTT while held", "us", 1, GOAL_AT_MOST, SRV_EPOLL, 2.0, "<= 2x epoll" },
      { "idle: active RTT before", "us", 1, GOAL_NONE },
    };
    double *rtt_k[N_SERVERS];
    double *v[N_SERVERS];
    guint nr = (guint) config.rounds, ni = (guint) config.idle_rounds;

    for (int k = 0; k < N_SERVERS; k++)
      {
        rtt_k[k] = g_new (double, nr);
        for (guint r = 0; r < nr; r++)
          rtt_k[k][r] = servers[k].rtt_per_s[r] / 1e3;
      }
    printf ("\n%-30s %-30s %-28s %-22s %-20s %-20s %-14s %s\n", "figure", "eap median (min-max)",
            "raw GIO median", "epoll median", "eap/GIO (min-max)", "eap/epoll (min-max)", "goal", "");
    if (do_rtt)
      {
        print_row (&rows[0], servers, rtt_k, nr);
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].rtt_cpu_us;
        print_row (&rows[1], servers, v, nr);
      }
    if (do_stream)
      {
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].stream_gbps;
        print_row (&rows[2], servers, v, nr);
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].stream_cpu_s;
        print_row (&rows[3], servers, v, nr);
      }
    if (do_idle)
      {
        gboolean gio_enabled = servers[SRV_GIO].enabled;

        if (skip_gio_idle)
          servers[SRV_GIO].enabled = FALSE;
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].accept_s;
        rows[4].figure = g_strdup_printf ("idle: accept %d conns", servers[SRV_EPOLL].idle_n);
        print_row (&rows[4], servers, v, ni);
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].rss_per_conn_kib;
        print_row (&rows[5], servers, v, ni);
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].active_rtt_us;
        print_row (&rows[6], servers, v, ni);
        for (int k = 0; k < N_SERVERS; k++)
          v[k] = servers[k].base_rtt_us;
        print_row (&rows[7], servers, v, ni);
        g_free ((char *) rows[4].figure);
        printf ("%-30s", "RLIMIT_NOFILE (wanted 25000)");
        for (int k = 0; k < N_SERVERS; k++)
          if (servers[k].idle_done > 0)
            printf (" %s server %.0f, its load client %.0f;", server_labels[k], servers[k].nofile,
                    servers[k].load_nofile);
        printf ("\n");
        servers[SRV_GIO].enabled = gio_enabled;
      }
    for (int k = 0; k < N_SERVERS; k++)
      g_free (rtt_k[k]);
  }

  printf ("\nratios = median of the per-round ratios (eap / yardstick, same round); a time or\n"
          "RTT ratio under 1 is faster, a rate ratio over 1 is faster. RSS per connection =\n"
          "(server VmRSS with all idle connections held - VmRSS before) / connections, judged\n"
          "on the worst round. Server CPU = utime + stime from /proc during the measured window\n"
          "(10 ms ticks). Active RTT = median of the active connection's 64-byte ping-pongs.\n"
          "\"not done in N s (K/N)\": the server had accepted (and echoed) only K connections\n"
          "when its time ran out; it is not tried again in later rounds.\n"
          "Context (PERF-ANCHORS.md, same kind of machine): raw GIO 107k round trips/s, epoll\n"
          "1.56x; streaming raw GIO 1.42 GB/s, epoll 1.10x; 10,000 idle: epoll 0.24-0.34 s and\n"
          "4.2 KB each, raw GIO 21-36 s, its active RTT ~65 us -> 18.6 ms.\n");
  if (servers[SRV_EAP].enabled == FALSE)
    printf ("\neap was not measured: %s is missing (the library did not build).\n", eap_exe);

  for (int i = 0; i < N_SERVERS; i++)
    {
      Server *s = &servers[i];

      g_free (s->rtt_per_s);
      g_free (s->rtt_cpu_us);
      g_free (s->stream_gbps);
      g_free (s->stream_cpu_s);
      g_free (s->accept_s);
      g_free (s->rss_per_conn_kib);
      g_free (s->active_rtt_us);
      g_free (s->base_rtt_us);
    }
  return 0;
}
