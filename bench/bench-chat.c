/* bench-chat.c: fan-out of eap-chat-server to 1,000 IRC clients
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Starts examples/chat/eap-chat-server on a free 127.0.0.1 port (a process
 * of its own, its flood limit switched off when it has a switch for it, see
 * --help), and connects CLIENTS (1,000) raw non-blocking IRC clients from
 * this process, all in one epoll loop. Each registers (NICK, USER), joins
 * one channel and answers PING. When every client has joined and every
 * JOIN has been delivered, senders (--senders, default 1; message k is sent
 * by client k % SENDERS) send PRIVMSG #bench :SEQ T where T is the send
 * time (CLOCK_MONOTONIC, ns); every other client records now - T on
 * receipt. Two phases per round:
 *
 *   paced  --messages (200) messages at --rate (20) per second, about
 *          20,000 deliveries per second, well under what the server and
 *          this client manage together on a shared 2-core machine (see the
 *          burst): the latency of one fan-out under a steady load; p50 and
 *          p99 over all deliveries (the goal: p99 under 50 ms). Near
 *          saturation the figure measures the queue instead (try --rate)
 *   burst  --burst (250) messages written at once: deliveries per second
 *          = deliveries / (last receipt - first send); its latencies are
 *          mostly queueing (context)
 *
 * Every delivery is counted; with one sender each client's messages must
 * arrive in order and exactly once (checked; missing ones are counted and
 * the figures say so). The latency includes this load process's own time
 * to read 1,000 sockets on the same 2 cores, as any real set of clients on
 * one machine would.
 *
 * A fresh server per round (--rounds, default 3); medians over the rounds.
 *
 * Usage: bench-chat [--rounds=N] [--clients=N] [--messages=N] [--rate=N]
 *                   [--burst=N] [--senders=N] [--server=PATH]
 *                   [--server-arg=ARG...]
 */

#define _GNU_SOURCE   /* accept4, pipe2 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench-util.h"

#define CHANNEL          "#bench"
#define IN_BUFFER        4096
#define CONNECT_WINDOW   256
#define SETUP_TIMEOUT_S  60
#define DRAIN_TIMEOUT_S  30

static struct
{
  pid_t  server_pid;
  char  *log_path;   /* (owned) (nullable) */
} state;

static guint16 bench_chat_port;

static void
clean_up (void)
{
  bench_stop_child (&state.server_pid, SIGKILL);
  if (state.log_path != NULL)
    {
      g_unlink (state.log_path);
      g_clear_pointer (&state.log_path, g_free);
    }
}

/* On a failure: the end of the server's output, which says why. */
static void
print_server_log (void)
{
  g_autofree char *log = NULL;
  gsize len;

  if (state.log_path == NULL || !g_file_get_contents (state.log_path, &log, NULL, NULL) ||
      log[0] == '\0')
    return;
  len = strlen (log);
  fprintf (stderr, "bench-chat: the end of the server's output:\n%s\n",
           len > 2000 ? log + len - 2000 : log);
}

static void
check_interrupted (void)
{
  bench_exit_if_interrupted ("stopping the server");
}

/* ------------------------------------------------------------------ */
/* The server                                                           */
/* ------------------------------------------------------------------ */

/* The switches of the server's --help that contain @word, e.g. "flood". */
static char *
find_switch (const char *help,
             const char *word)
{
  const char *p = help;

  while ((p = strstr (p, "--")) != NULL)
    {
      gsize len = strspn (p + 2, "abcdefghijklmnopqrstuvwxyz-");
      g_autofree char *name = g_strndup (p, len + 2);

      if (strstr (name, word) != NULL && g_str_has_prefix (name, "--no-"))
        return g_steal_pointer (&name);
      p += 2 + len;
    }
  return NULL;
}

static char *
server_help (const char *server)
{
  char *argv[] = { (char *) server, "--help", NULL };
  char *out = NULL, *err = NULL;

  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, NULL, NULL))
    return g_strdup ("");
  {
    char *both = g_strconcat (out ? out : "", err ? err : "", NULL);

    g_free (out);
    g_free (err);
    return both;
  }
}

/* Starts the server with its output in a log file; returns its port. */
static guint16
start_server (const char  *server,
              char       **extra_args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  pid_t parent = getpid ();
  gint64 deadline;
  int log_fd;

  if (state.log_path == NULL)
    {
      state.log_path = g_build_filename (g_get_tmp_dir (), "eap-bench-chat-XXXXXX", NULL);
      log_fd = g_mkstemp (state.log_path);
    }
  else
    log_fd = open (state.log_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (log_fd < 0)
    bench_die ("cannot create a log file: %s", g_strerror (errno));

  g_ptr_array_add (argv, (char *) server);
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, "0");
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, extra_args[i]);
  g_ptr_array_add (argv, NULL);

  state.server_pid = fork ();
  if (state.server_pid < 0)
    bench_die ("fork: %s", g_strerror (errno));
  if (state.server_pid == 0)
    {
      int null_fd = open ("/dev/null", O_RDONLY);

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (1);
      dup2 (null_fd, STDIN_FILENO);
      dup2 (log_fd, STDOUT_FILENO);
      dup2 (log_fd, STDERR_FILENO);
      execv (server, (char **) argv->pdata);
      fprintf (stderr, "bench-chat: cannot run %s: %s\n", server, g_strerror (errno));
      _exit (127);
    }
  close (log_fd);

  deadline = bench_now_ns () + G_GINT64_CONSTANT (10000000000);
  for (;;)
    {
      g_autofree char *log = NULL;
      const char *found;
      int status;

      check_interrupted ();
      if (g_file_get_contents (state.log_path, &log, NULL, NULL) &&
          (found = strstr (log, "listening on ")) != NULL)
        {
          const char *colon = strchr (found + strlen ("listening on "), '\n');
          const char *p = found + strlen ("listening on ");
          const char *last_colon = NULL;

          for (; *p != '\0' && p != colon; p++)
            if (*p == ':')
              last_colon = p;
          if (last_colon != NULL && g_ascii_isdigit (last_colon[1]) && colon != NULL)
            return (guint16) atoi (last_colon + 1);
        }
      if (waitpid (state.server_pid, &status, WNOHANG) == state.server_pid)
        {
          state.server_pid = 0;
          bench_die ("%s exited at start (status %d)", server, status);
        }
      if (bench_now_ns () > deadline)
        bench_die ("%s did not say \"listening on ...:PORT\" within 10 s", server);
      g_usleep (10000);
    }
}

/* ------------------------------------------------------------------ */
/* The clients                                                          */
/* ------------------------------------------------------------------ */

typedef enum { C_CONNECTING, C_REGISTERING, C_JOINING, C_JOINED } ClientState;

typedef struct
{
  int         fd;
  guint       index;
  ClientState state;
  gboolean    watching_out;
  GString    *out;           /* (owned): bytes not yet written */
  char        in[IN_BUFFER];
  gsize       in_len;
  gint64      next_seq;      /* expected with one sender */
} Client;

typedef struct
{
  int       ep;
  Client   *clients;
  guint     n;
  guint     senders;
  guint     n_joined;
  guint64   join_lines;
  guint     opened;
  guint     in_flight;
  /* deliveries */
  double   *latency_ms;      /* (owned): per delivery of the current phase */
  guint64   latency_capacity;
  guint64   n_latency;
  guint64   deliveries;      /* of the current phase */
  guint64   out_of_order;
  gint64    last_receipt_ns;
  guint64   phase_first_seq;
  guint64   errors;
  char     *first_error;     /* (owned) (nullable) */
} Load;

static void
watch (Load   *load,
       Client *c,
       gboolean out)
{
  struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };

  if (c->watching_out == out)
    return;
  c->watching_out = out;
  epoll_ctl (load->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
flush_out (Load   *load,
           Client *c)
{
  gsize done = 0;

  while (done < c->out->len)
    {
      ssize_t k = write (c->fd, c->out->str + done, c->out->len - done);

      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0 && errno == EAGAIN)
        break;
      if (k < 0)
        bench_die ("client %u: write: %s", c->index, g_strerror (errno));
      done += (gsize) k;
    }
  g_string_erase (c->out, 0, (gssize) done);
  watch (load, c, c->out->len > 0);
}

static void G_GNUC_PRINTF (3, 4)
client_send (Load       *load,
             Client     *c,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_string_append_vprintf (c->out, format, args);
  va_end (args);
  flush_out (load, c);
}

static void
open_more (Load *load)
{
  while (load->opened < load->n && load->in_flight < CONNECT_WINDOW)
    {
      Client *c = &load->clients[load->opened];
      struct sockaddr_in addr = { .sin_family = AF_INET };
      struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
      int one = 1;

      addr.sin_port = htons (bench_chat_port);
      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c->fd < 0)
        bench_die ("socket: %s", g_strerror (errno));
      setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect (c->fd, (struct sockaddr *) &addr, sizeof addr) != 0 && errno != EINPROGRESS)
        bench_die ("connect: %s", g_strerror (errno));
      c->state = C_CONNECTING;
      c->watching_out = TRUE;
      epoll_ctl (load->ep, EPOLL_CTL_ADD, c->fd, &ev);
      load->opened++;
      load->in_flight++;
    }
}

static void
note_error (Load       *load,
            Client     *c,
            const char *line)
{
  load->errors++;
  if (load->first_error == NULL)
    load->first_error = g_strdup_printf ("client %u got \"%s\"", c->index, line);
}

static void
handle_line (Load   *load,
             Client *c,
             char   *line,
             gint64  now)
{
  char *prefix = NULL, *command, *rest;

  if (line[0] == ':')
    {
      prefix = line + 1;
      line = strchr (line, ' ');
      if (line == NULL)
        return;
      *line++ = '\0';
    }
  command = line;
  rest = strchr (line, ' ');
  if (rest != NULL)
    *rest++ = '\0';
  else
    rest = "";

  if (strcmp (command, "PRIVMSG") == 0)
    {
      char *text = strstr (rest, " :");
      gint64 seq, sent;

      if (text == NULL || sscanf (text + 2, "%" G_GINT64_MODIFIER "d %" G_GINT64_MODIFIER "d", &seq, &sent) != 2)
        return;
      /* A server that echoes a message to its sender: not a delivery. */
      if (seq >= 0 && (gint64) c->index == seq % (gint64) load->senders)
        return;
      load->deliveries++;
      if (load->n_latency < load->latency_capacity)   /* more only if duplicated */
        load->latency_ms[load->n_latency++] = (double) (now - sent) / 1e6;
      load->last_receipt_ns = now;
      if (load->senders == 1)
        {
          if (seq != c->next_seq)
            load->out_of_order++;
          c->next_seq = seq + 1;
        }
      return;
    }
  if (strcmp (command, "PING") == 0)
    {
      client_send (load, c, "PONG %s\r\n", rest);
      return;
    }
  if (strcmp (command, "JOIN") == 0)
    {
      g_autofree char *own = g_strdup_printf ("b%u!", c->index);

      load->join_lines++;
      if (c->state == C_JOINING && prefix != NULL && g_str_has_prefix (prefix, own))
        {
          c->state = C_JOINED;
          load->n_joined++;
        }
      return;
    }
  if (strcmp (command, "001") == 0 && c->state == C_REGISTERING)
    {
      c->state = C_JOINING;
      client_send (load, c, "JOIN " CHANNEL "\r\n");
      return;
    }
  /* Error replies (422, no MOTD, is not an error). */
  if (strcmp (command, "ERROR") == 0 ||
      ((command[0] == '4' || command[0] == '5') && strcmp (command, "422") != 0))
    note_error (load, c, command);
}

static void
handle_readable (Load   *load,
                 Client *c)
{
  for (;;)
    {
      ssize_t k = read (c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
      gint64 now;
      char *start, *nl;

      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0 && errno == EAGAIN)
        return;
      if (k <= 0)
        bench_die ("client %u: the server closed the connection (%s)%s%s", c->index,
                   k < 0 ? g_strerror (errno) : "EOF", load->first_error ? "; first error: " : "",
                   load->first_error ? load->first_error : "");
      now = bench_now_ns ();
      c->in_len += (gsize) k;
      start = c->in;
      while ((nl = memchr (start, '\n', c->in_len - (gsize) (start - c->in))) != NULL)
        {
          *nl = '\0';
          if (nl > start && nl[-1] == '\r')
            nl[-1] = '\0';
          handle_line (load, c, start, now);
          start = nl + 1;
        }
      c->in_len -= (gsize) (start - c->in);
      memmove (c->in, start, c->in_len);
      if (c->in_len == sizeof c->in)
        bench_die ("client %u: a line longer than %d bytes", c->index, IN_BUFFER);
    }
}

static void
handle_event (Load     *load,
              Client   *c,
              guint32   events)
{
  if (c->state == C_CONNECTING)
    {
      int err = 0;
      socklen_t len = sizeof err;

      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        bench_die ("client %u: connect: %s", c->index, g_strerror (err));
      c->state = C_REGISTERING;
      load->in_flight--;
      c->watching_out = TRUE;   /* so that watch() below switches to EPOLLIN */
      client_send (load, c, "NICK b%u\r\nUSER b%u 0 * :bench client %u\r\n",
                   c->index, c->index, c->index);
      return;
    }
  if (events & EPOLLOUT)
    flush_out (load, c);
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    handle_readable (load, c);
}

/* Runs the loop for at most @timeout_ms (0: once, without waiting). */
static void
iterate (Load *load,
         int   timeout_ms)
{
  struct epoll_event events[256];
  int k;

  check_interrupted ();
  k = epoll_wait (load->ep, events, G_N_ELEMENTS (events), timeout_ms);
  for (int i = 0; i < k; i++)
    handle_event (load, events[i].data.ptr, events[i].events);
  if (k < 0 && errno != EINTR)
    bench_die ("epoll_wait: %s", g_strerror (errno));
}

static void
send_message (Load   *load,
              guint64 seq)
{
  Client *sender = &load->clients[seq % load->senders];

  client_send (load, sender, "PRIVMSG " CHANNEL " :%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\r\n",
               seq, bench_now_ns ());
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The nearest-rank @percent percentile of @n sorted values. */
static double
percentile (const double *sorted,
            guint64       n,
            guint         percent)
{
  guint64 rank;

  if (n == 0)
    return NAN;
  rank = (percent * n + 99) / 100;
  return sorted[MIN (MAX (rank, 1), n) - 1];
}

typedef struct
{
  double paced_p50_ms, paced_p99_ms, paced_max_ms;
  double burst_per_s, burst_p50_ms, burst_p99_ms;
  double setup_s;
  double rss_mib;
  double cpu_us_per_delivery;
  guint64 missing;
  guint64 out_of_order;
  guint64 errors;
} RoundResult;

/* One phase: @count messages from seq @first, paced at @rate (0: at once);
 * waits until all are delivered or DRAIN_TIMEOUT_S after the last send. */
static void
run_phase (Load    *load,
           guint64  first,
           guint    count,
           double   rate,
           double  *per_s,
           double  *p50,
           double  *p99,
           double  *max,
           guint64 *missing)
{
  guint64 expected = (guint64) count * (load->n - 1);
  gint64 start = bench_now_ns (), deadline;
  guint sent = 0;

  load->deliveries = 0;
  load->n_latency = 0;
  while (sent < count)
    {
      gint64 due = rate > 0 ? start + (gint64) ((double) sent * 1e9 / rate) : start;
      gint64 now = bench_now_ns ();

      if (now >= due)
        {
          send_message (load, first + sent);
          sent++;
          if (rate > 0)
            iterate (load, 0);
          continue;
        }
      iterate (load, (int) MAX ((due - now) / 1000000, 0));
    }
  deadline = bench_now_ns () + (gint64) DRAIN_TIMEOUT_S * 1000000000;
  while (load->deliveries < expected && bench_now_ns () < deadline)
    iterate (load, 100);

  qsort (load->latency_ms, load->n_latency, sizeof (double), compare_doubles);
  *per_s = (double) load->deliveries / ((double) (load->last_receipt_ns - start) / 1e9);
  *p50 = percentile (load->latency_ms, load->n_latency, 50);
  *p99 = percentile (load->latency_ms, load->n_latency, 99);
  *max = load->n_latency > 0 ? load->latency_ms[load->n_latency - 1] : NAN;
  *missing += expected - MIN (load->deliveries, expected);
}

static void
run_round (const char  *server,
           char       **server_args,
           guint        n_clients,
           guint        senders,
           guint        messages,
           double       rate,
           guint        burst,
           RoundResult *result)
{
  Load load = { 0 };
  guint64 expected_joins = (guint64) n_clients * (n_clients + 1) / 2;
  gint64 t0, deadline, cpu0;
  double paced_per_s, burst_max_ms;
  guint64 paced_deliveries;

  bench_chat_port = start_server (server, server_args);
  load.ep = epoll_create1 (EPOLL_CLOEXEC);
  load.n = n_clients;
  load.senders = senders;
  load.clients = g_new0 (Client, n_clients);
  load.latency_capacity = (guint64) MAX (messages, burst) * n_clients;
  load.latency_ms = g_new (double, load.latency_capacity);
  for (guint i = 0; i < n_clients; i++)
    {
      load.clients[i].index = i;
      load.clients[i].out = g_string_new (NULL);
    }

  /* Connect, register, join; then let every JOIN be delivered (each client
   * sees its own and every later one: n (n + 1) / 2 lines in all). */
  t0 = bench_now_ns ();
  deadline = t0 + (gint64) SETUP_TIMEOUT_S * 1000000000;
  while (load.n_joined < n_clients || load.join_lines < expected_joins)
    {
      open_more (&load);
      iterate (&load, 100);
      if (bench_now_ns () > deadline)
        bench_die ("setup did not finish within %d s: %u connected, %u joined, %" G_GUINT64_FORMAT
                   " of %" G_GUINT64_FORMAT " JOIN lines%s%s", SETUP_TIMEOUT_S, load.opened - load.in_flight,
                   load.n_joined, load.join_lines, expected_joins,
                   load.first_error ? "; first error: " : "", load.first_error ? load.first_error : "");
    }
  /* Drain the rest (NAMES replies) for a moment. */
  {
    gint64 quiet_until = bench_now_ns () + 200000000;

    while (bench_now_ns () < quiet_until)
      iterate (&load, 50);
  }
  result->setup_s = (double) (bench_now_ns () - t0) / 1e9;
  result->rss_mib = (double) bench_proc_status_kib (state.server_pid, "VmRSS") / 1024.0;

  cpu0 = bench_proc_cpu_ns (state.server_pid);
  run_phase (&load, 0, messages, rate, &paced_per_s, &result->paced_p50_ms, &result->paced_p99_ms,
             &result->paced_max_ms, &result->missing);
  paced_deliveries = load.deliveries;
  run_phase (&load, messages, burst, 0, &result->burst_per_s, &result->burst_p50_ms,
             &result->burst_p99_ms, &burst_max_ms, &result->missing);
  result->cpu_us_per_delivery = (double) (bench_proc_cpu_ns (state.server_pid) - cpu0) / 1e3 /
                                (double) MAX (paced_deliveries + load.deliveries, 1);
  result->out_of_order = load.out_of_order;
  result->errors = load.errors;
  if (load.first_error != NULL)
    fprintf (stderr, "bench-chat: %" G_GUINT64_FORMAT " error replies; the first: %s\n",
             load.errors, load.first_error);

  for (guint i = 0; i < n_clients; i++)
    {
      if (load.clients[i].fd > 0)
        close (load.clients[i].fd);
      g_string_free (load.clients[i].out, TRUE);
    }
  close (load.ep);
  g_free (load.clients);
  g_free (load.latency_ms);
  g_free (load.first_error);
  bench_stop_child (&state.server_pid, SIGKILL);
}

static double
median_of (const RoundResult *results,
           guint              n,
           gsize              offset,
           double            *lo,
           double            *hi)
{
  g_autofree double *v = g_new (double, n);

  for (guint i = 0; i < n; i++)
    v[i] = *(const double *) ((const char *) &results[i] + offset);
  bench_min_max (v, n, lo, hi);
  return bench_median (v, n);
}

int
main (int   argc,
      char *argv[])
{
  int rounds = 3, n_clients = 1000, messages = 200, burst = 250, senders = 1;
  double rate = 20;
  g_autofree char *server = NULL;
  g_auto(GStrv) server_args = NULL;
  GOptionEntry entries[] = {
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Rounds, a fresh server each (default 3)", "N" },
    { "clients", 'c', 0, G_OPTION_ARG_INT, &n_clients, "Clients in the channel (default 1000)", "N" },
    { "messages", 'm', 0, G_OPTION_ARG_INT, &messages, "Messages of the paced phase (default 200)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Messages per second of the paced phase (default 20)", "N" },
    { "burst", 'b', 0, G_OPTION_ARG_INT, &burst, "Messages of the burst phase (default 250)", "N" },
    { "senders", 0, 0, G_OPTION_ARG_INT, &senders, "Clients that send, in turn (default 1)", "N" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &server, "The chat server (default: the build's examples/chat/eap-chat-server)", "PATH" },
    { "server-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &server_args,
      "An extra argument for the server (repeatable; replaces the automatic flood switch)", "ARG" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree RoundResult *results = NULL;
  g_autofree char *help = NULL, *flood_switch = NULL;
  g_autofree char *args_text = NULL;
  rlim_t nofile;
  guint64 missing = 0, out_of_order = 0, errors = 0;
  double lo, hi, p99;
  gint64 t0;

  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_summary (options, "Fan-out of eap-chat-server to many raw IRC clients in one channel.");
  if (!g_option_context_parse (options, &argc, &argv, &error) || rounds < 1 || n_clients < 2 ||
      messages < 1 || burst < 1 || rate <= 0 || senders < 1 || senders >= n_clients)
    {
      fprintf (stderr, "bench-chat: %s\n", error ? error->message : "bad option values (see --help)");
      return 2;
    }
  bench_init ("bench-chat", print_server_log, clean_up);
  bench_catch_signals ();
  signal (SIGPIPE, SIG_IGN);

  if (server == NULL)
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *self_dir = g_path_get_dirname (exe != NULL ? exe : argv[0]);

      server = g_build_filename (self_dir, "..", "examples", "chat", "eap-chat-server", NULL);
    }
  if (!g_file_test (server, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench-chat: no %s: build the examples (meson -Dexamples=true); skipped\n", server);
      return 77;
    }

  nofile = bench_raise_nofile ((rlim_t) n_clients + 256, 1024);
  if (nofile < (rlim_t) n_clients + 64)
    {
      fprintf (stderr, "bench-chat: RLIMIT_NOFILE is %lu: scaled down to %lu clients\n",
               (unsigned long) nofile, (unsigned long) nofile - 64);
      n_clients = (int) nofile - 64;
    }

  if (server_args == NULL)
    {
      GPtrArray *a = g_ptr_array_new ();

      help = server_help (server);
      flood_switch = find_switch (help, "flood");
      if (flood_switch != NULL)
        g_ptr_array_add (a, g_strdup (flood_switch));
      if (strstr (help, "--quiet") != NULL)
        g_ptr_array_add (a, g_strdup ("--quiet"));
      g_ptr_array_add (a, NULL);
      server_args = (char **) g_ptr_array_free (a, FALSE);
      if (flood_switch == NULL)
        fprintf (stderr, "bench-chat: %s --help names no switch to turn its flood limit off: "
                 "the senders may be throttled (use --senders or --server-arg)\n", server);
    }
  args_text = g_strjoinv (" ", server_args);

  printf ("bench-chat: %s --port 0 %s on 127.0.0.1 (a fresh process per round),\n"
          "  %d raw IRC clients in one channel from one epoll process, %d sender%s; per round\n"
          "  %d messages paced at %g/s, then a burst of %d; %d rounds\n",
          server, args_text, n_clients, senders, senders == 1 ? "" : "s", messages, rate, burst, rounds);
  fflush (stdout);

  results = g_new0 (RoundResult, rounds);
  t0 = bench_now_ns ();
  for (int r = 0; r < rounds; r++)
    {
      run_round (server, server_args, (guint) n_clients, (guint) senders, (guint) messages, rate,
                 (guint) burst, &results[r]);
      missing += results[r].missing;
      out_of_order += results[r].out_of_order;
      errors += results[r].errors;
      fprintf (stderr, "  round %d/%d done (%.0f s): paced p50 %.2f ms p99 %.2f ms; burst %.0f deliveries/s\n",
               r + 1, rounds, (double) (bench_now_ns () - t0) / 1e9, results[r].paced_p50_ms,
               results[r].paced_p99_ms, results[r].burst_per_s);
    }
  clean_up ();

  {
    g_autofree char *base = g_path_get_basename (server);
    g_autofree char *head = g_strdup_printf ("figure (%s)", base);

    printf ("\n%-36s %-32s %-10s %s\n", head, "median (min-max)", "goal", "");
  }
#define ROW(label, field_, fmt, goal, verdict)                                                   \
  {                                                                                              \
    double m_ = median_of (results, (guint) rounds, G_STRUCT_OFFSET (RoundResult, field_), &lo, &hi); \
    g_autofree char *t_ = g_strdup_printf (fmt " (" fmt "-" fmt ")", m_, lo, hi);               \
    printf ("%-36s %-32s %-10s %s\n", label, t_, goal, verdict);                                \
  }
  ROW ("burst: deliveries per second", burst_per_s, "%.0f", "context", "-");
  ROW ("burst: latency p50, ms", burst_p50_ms, "%.2f", "context", "-");
  ROW ("burst: latency p99, ms", burst_p99_ms, "%.2f", "context", "-");
  p99 = median_of (results, (guint) rounds, G_STRUCT_OFFSET (RoundResult, paced_p99_ms), &lo, &hi);
  ROW ("paced: latency p50, ms", paced_p50_ms, "%.2f", "context", "-");
  ROW ("paced: latency p99, ms", paced_p99_ms, "%.2f", "< 50 ms",
       missing > 0 ? "MISSED (deliveries missing)" : p99 < 50.0 ? "met" : "MISSED");
  ROW ("paced: latency max, ms", paced_max_ms, "%.2f", "context", "-");
  ROW ("server CPU per delivery (both), us", cpu_us_per_delivery, "%.2f", "context", "-");
  ROW ("server RSS with all joined, MiB", rss_mib, "%.1f", "context", "-");
  ROW ("setup (connect, register, join), s", setup_s, "%.2f", "context", "-");
#undef ROW
  printf ("\ndeliveries: %" G_GUINT64_FORMAT " missing, %" G_GUINT64_FORMAT " out of order%s, "
          "%" G_GUINT64_FORMAT " error replies, over all rounds\n",
          missing, out_of_order, senders == 1 ? "" : " (not checked with several senders)", errors);
  printf ("latency = receipt time - send time of each delivery, in this one process (paced:\n"
          "%g messages/s to %d receivers = %.0f deliveries/s); p99 judged on the median round.\n"
          "deliveries per second = burst deliveries / (last receipt - first send).\n",
          rate, n_clients - 1, rate * (n_clients - 1));
  return missing > 0 || out_of_order > 0 ? 1 : 0;
}
