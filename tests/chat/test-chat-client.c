/* test-chat-client.c: eap-chat-client against real and scripted servers
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Suite ChatClient: an in-process ChatClient against a scripted raw
 * socket server in the test's context (PING/PONG, CTCP ACTION, CR/LF in
 * user input, 433, truncation, keepalive, reconnect), and two built
 * eap-chat-client processes talking through the built eap-chat-server.
 *
 * Suite Ngircd: a real ngircd (/usr/sbin/ngircd, from setup-deps) started
 * by the test from a config it writes into a temp folder, on a free
 * loopback port, and stopped by its pid in the teardown (also when a test
 * fails). The clients are the built eap-chat-client, fed through stdin
 * pipes, their stdout read line by line.
 *
 * No sleeps: every wait iterates the test's context up to a deadline.
 */

#include <CUnit/CUnit.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "chat-client.h"
#include "eap-test.h"
#include "irc-message.h"

/* ngircd adds a penalty second to some commands: waits are generous. */
#define WAIT_MS 20000

/* "[12:34:56] " then @rest: the timestamp every output line starts with. */
static gboolean
is_stamped (const char *line,
            const char *rest)
{
  return strlen (line) >= 11 && line[0] == '[' && g_ascii_isdigit (line[1]) &&
         g_ascii_isdigit (line[2]) && line[3] == ':' && line[6] == ':' && line[9] == ']' &&
         line[10] == ' ' && (rest == NULL || strcmp (line + 11, rest) == 0);
}

static gboolean
has_line (GPtrArray  *lines,
          const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Child processes                                                      */
/* ------------------------------------------------------------------ */

/* The children of the running test: the teardown kills what is left. */
static GPtrArray *children;

/* Starts @argv with a stdin pipe; stdout and stderr are read as lines.
 * CHAT_TEST_VERBOSE=1 echoes them. */
static EapTestChild *
child_spawn (const char         *name,
             const char * const *argv)
{
  EapTestChildFlags flags = EAP_TEST_CHILD_STDIN | EAP_TEST_CHILD_MERGE_STDERR;
  EapTestChild *child;

  if (g_getenv ("CHAT_TEST_VERBOSE") != NULL)
    flags |= EAP_TEST_CHILD_ECHO;
  child = eap_test_child_spawn (name, argv, flags);
  g_ptr_array_add (children, child);   /* the list's reference */
  return child;
}

static gboolean
child_wait (EapTestChild *child,
            const char   *needle)
{
  return eap_test_child_wait_line (child, needle, FALSE, WAIT_MS);
}

/* Writes @line and a newline to the child's stdin. */
static void
child_type (EapTestChild *child,
            const char   *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  if (child->stdin_pipe == NULL)
    return;
  g_output_stream_write_all (child->stdin_pipe, text, strlen (text), NULL, NULL, &error);
  CU_ASSERT_PTR_NULL (error);
}

/* Closes stdin (the client's /quit) and waits for the exit. */
static gboolean
child_quit (EapTestChild *child)
{
  if (child->stdin_pipe != NULL)
    g_output_stream_close (child->stdin_pipe, NULL, NULL);
  child->stdin_pipe = NULL;
  return eap_test_wait_until (eap_test_child_is_done, child, WAIT_MS);
}

static void
children_kill_all (void)
{
  for (guint i = 0; children != NULL && i < children->len; i++)
    eap_test_child_kill (g_ptr_array_index (children, i));
  g_clear_pointer (&children, g_ptr_array_unref);
}

static EapTestChild *
spawn_client (const char *nick,
              guint16     port,
              const char *extra)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  g_auto(GStrv) extras = g_strsplit (extra != NULL ? extra : "", " ", -1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) EAP_CHAT_CLIENT_PATH);
  g_ptr_array_add (argv, address);
  g_ptr_array_add (argv, (char *) "--nick");
  g_ptr_array_add (argv, (char *) nick);
  g_ptr_array_add (argv, (char *) "--channel");
  g_ptr_array_add (argv, (char *) "#eap");
  for (guint i = 0; extras[i] != NULL; i++)
    if (extras[i][0] != '\0')
      g_ptr_array_add (argv, extras[i]);
  g_ptr_array_add (argv, NULL);
  return child_spawn (nick, (const char * const *) argv->pdata);
}

/* ------------------------------------------------------------------ */
/* ngircd                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  char        *dir;       /* (owned): config, pid file, include dir */
  char        *conf;      /* (owned) */
  guint16      port;
  GSubprocess *process;   /* (owned) (nullable): gone once it exited */
} Ngircd;

/* The running test's ngircd: the teardown stops it. */
static Ngircd *ngircd;

static void
ngircd_write_config (Ngircd *ng)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf_d = g_build_filename (ng->dir, "conf.d", NULL);
  g_autofree char *help = g_build_filename (ng->dir, "help.txt", NULL);
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  int status = -1;
  const char *check[] = { "/usr/sbin/ngircd", "-t", "-f", ng->conf, NULL };

  g_mkdir (conf_d, 0755);
  g_file_set_contents (help, "", 0, NULL);
  /* ngircd run as root drops to "nobody", which must write the pid file. */
  g_chmod (ng->dir, 01777);
  text = g_strdup_printf (
    "[Global]\n"
    "Name = irc.eap.test\n"
    "Info = eap test server\n"
    "AdminInfo1 = eap tests\n"
    "AdminInfo2 = loopback\n"
    "AdminEMail = nobody@eap.invalid\n"
    "Listen = 127.0.0.1\n"
    "Ports = %u\n"
    "PidFile = %s/ngircd.pid\n"
    "MotdPhrase = eap test server\n"
    "HelpFile = %s\n"
    "[Limits]\n"
    "MaxConnectionsIP = 0\n"
    "MaxNickLength = 30\n"
    "PingTimeout = 120\n"
    "PongTimeout = 20\n"
    "[Options]\n"
    "PAM = no\n"
    "Ident = no\n"
    "DNS = no\n"
    "IncludeDir = %s\n",
    ng->port, ng->dir, help, conf_d);
  g_file_set_contents (ng->conf, text, -1, &error);
  CU_ASSERT_PTR_NULL (error);

  /* ngircd -t reads and validates the file (exit 0 when it is sound). */
  g_spawn_sync (NULL, (char **) check, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                &out, NULL, &status, &error);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (g_spawn_check_wait_status (status, NULL));
}

/* Starts ngircd on ng->port and waits until the port accepts. */
static gboolean
ngircd_start (Ngircd *ng)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/usr/sbin/ngircd", "-n", "-f", ng->conf, NULL };

  g_clear_object (&ng->process);
  ng->process = g_subprocess_newv (argv,
                                   G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                   G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                   &error);
  CU_ASSERT_PTR_NULL (error);
  if (ng->process == NULL)
    return FALSE;
  if (!eap_test_wait_port (ng->process, ng->port, WAIT_MS))
    {
      CU_FAIL ("ngircd did not answer on its port");
      return FALSE;
    }
  return TRUE;
}

/* Stops ngircd by its pid (SIGTERM, then SIGKILL) and waits for it. */
static void
ngircd_stop (Ngircd *ng)
{
  if (ng->process == NULL)
    return;
  eap_test_stop_process (ng->process, WAIT_MS);
  g_clear_object (&ng->process);
}

static Ngircd *
ngircd_new (void)
{
  g_autoptr(GError) error = NULL;
  Ngircd *ng = g_new0 (Ngircd, 1);

  ng->dir = g_dir_make_tmp ("eap-ngircd-XXXXXX", &error);
  g_assert_no_error (error);
  ng->conf = g_build_filename (ng->dir, "ngircd.conf", NULL);
  ng->port = eap_test_free_loopback_port ();
  ngircd_write_config (ng);
  return ng;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
ngircd_free (Ngircd *ng)
{
  if (ng == NULL)
    return;
  ngircd_stop (ng);
  remove_tree (ng->dir);
  g_free (ng->dir);
  g_free (ng->conf);
  g_free (ng);
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */
/* ------------------------------------------------------------------ */

static void
chat_setup (void)
{
  eap_test_setup ();
  children = g_ptr_array_new_with_free_func ((GDestroyNotify) eap_test_child_unref);
}

/* Kills what a failed test left running: children first, then ngircd. */
static void
chat_teardown (void)
{
  children_kill_all ();
  g_clear_pointer (&ngircd, ngircd_free);
  eap_test_teardown ();
}

/* Starts the suite's ngircd for this test; FALSE if it did not come up. */
static gboolean
use_ngircd (void)
{
  if (!g_file_test ("/usr/sbin/ngircd", G_FILE_TEST_IS_EXECUTABLE))
    {
      CU_FAIL ("/usr/sbin/ngircd is missing: run scripts/setup-deps");
      return FALSE;
    }
  ngircd = ngircd_new ();
  return ngircd_start (ngircd);
}

/* ------------------------------------------------------------------ */
/* Suite Ngircd                                                         */
/* ------------------------------------------------------------------ */

static void
test_ngircd_register_and_join (void)
{
  EapTestChild *alice;

  if (!use_ngircd ())
    return;
  alice = spawn_client ("alice", ngircd->port, NULL);
  CU_ASSERT_TRUE (child_wait (alice, "registered as alice"));
  CU_ASSERT_TRUE (child_wait (alice, "*** you joined #eap"));
  CU_ASSERT_TRUE (child_wait (alice, "*** users on #eap: @alice"));
  /* the server's MOTD phrase arrives as a server notice */
  CU_ASSERT_TRUE (has_line (alice->lines, "eap test server"));
  for (guint i = 0; i < alice->lines->len; i++)
    CU_ASSERT_TRUE (is_stamped (g_ptr_array_index (alice->lines, i), NULL));

  child_type (alice, "/topic the eap topic");
  CU_ASSERT_TRUE (child_wait (alice, "*** alice set the topic of #eap to: the eap topic"));
  child_type (alice, "/msg nobody-here hello");
  CU_ASSERT_TRUE (child_wait (alice, "!!! 401 ERR_NOSUCHNICK"));

  CU_ASSERT_TRUE (child_quit (alice));
  CU_ASSERT_EQUAL (alice->status, 0);
}

/* Two clients, each sees the other's line with its timestamp. */
static void
exchange (EapTestChild *a,
          EapTestChild *b,
          const char   *a_nick,
          const char   *b_nick,
          const char   *tag)
{
  g_autofree char *a_text = g_strdup_printf ("hello from %s %s", a_nick, tag);
  g_autofree char *b_text = g_strdup_printf ("hi %s, %s here %s", a_nick, b_nick, tag);
  g_autofree char *a_seen = g_strdup_printf ("<%s> %s", a_nick, a_text);
  g_autofree char *b_seen = g_strdup_printf ("<%s> %s", b_nick, b_text);
  g_autofree char *action = g_strdup_printf ("* %s waves %s", b_nick, tag);
  g_autofree char *me = g_strdup_printf ("/me waves %s", tag);

  child_type (a, a_text);
  CU_ASSERT_TRUE (child_wait (b, a_seen));
  CU_ASSERT_TRUE (b->cursor > 0 && is_stamped (g_ptr_array_index (b->lines, b->cursor - 1), a_seen));
  child_type (b, b_text);
  CU_ASSERT_TRUE (child_wait (a, b_seen));
  CU_ASSERT_TRUE (a->cursor > 0 && is_stamped (g_ptr_array_index (a->lines, a->cursor - 1), b_seen));
  child_type (b, me);
  CU_ASSERT_TRUE (child_wait (a, action));
}

static void
test_ngircd_two_clients_exchange (void)
{
  EapTestChild *alice, *bob;

  if (!use_ngircd ())
    return;
  alice = spawn_client ("alice", ngircd->port, NULL);
  CU_ASSERT_TRUE (child_wait (alice, "*** you joined #eap"));
  bob = spawn_client ("bob", ngircd->port, NULL);
  CU_ASSERT_TRUE (child_wait (bob, "*** you joined #eap"));
  CU_ASSERT_TRUE (child_wait (alice, "*** bob!"));

  exchange (alice, bob, "alice", "bob", "(1)");

  /* a private message */
  child_type (alice, "/msg bob just for you");
  CU_ASSERT_TRUE (child_wait (bob, "*alice* just for you"));

  CU_ASSERT_TRUE (child_quit (bob));
  CU_ASSERT_TRUE (child_wait (alice, "*** bob quit"));
  CU_ASSERT_TRUE (child_quit (alice));
  CU_ASSERT_EQUAL (alice->status, 0);
  CU_ASSERT_EQUAL (bob->status, 0);
}

static void
test_ngircd_nick_collision (void)
{
  EapTestChild *first, *second;

  if (!use_ngircd ())
    return;
  first = spawn_client ("carol", ngircd->port, NULL);
  CU_ASSERT_TRUE (child_wait (first, "registered as carol:"));
  second = child_spawn ("carol-2", (const char * const[]) {
                          EAP_CHAT_CLIENT_PATH, "127.0.0.1", "--nick", "carol",
                          "--channel", "#eap", NULL });
  /* a HOST without a port is refused at once */
  CU_ASSERT_TRUE (eap_test_wait_until (eap_test_child_is_done, second, WAIT_MS));
  CU_ASSERT_EQUAL (second->status, 2);

  {
    g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", ngircd->port);

    second = child_spawn ("carol-2", (const char * const[]) {
                            EAP_CHAT_CLIENT_PATH, address, "--nick", "carol",
                            "--channel", "#eap", NULL });
  }
  CU_ASSERT_TRUE (child_wait (second, "nick carol is already in use; trying carol_"));
  CU_ASSERT_TRUE (child_wait (second, "registered as carol_:"));
  CU_ASSERT_TRUE (child_wait (second, "*** you joined #eap"));
  exchange (first, second, "carol", "carol_", "(collision)");
  CU_ASSERT_TRUE (child_quit (second));
  CU_ASSERT_TRUE (child_quit (first));
}

static void
test_ngircd_restart_reconnect (void)
{
  const char *opts = "--reconnect-min-ms 100 --reconnect-max-ms 400";
  EapTestChild *alice, *bob;

  if (!use_ngircd ())
    return;
  alice = spawn_client ("alice", ngircd->port, opts);
  bob = spawn_client ("bob", ngircd->port, opts);
  CU_ASSERT_TRUE (child_wait (alice, "*** you joined #eap"));
  CU_ASSERT_TRUE (child_wait (bob, "*** you joined #eap"));
  exchange (alice, bob, "alice", "bob", "(before)");

  ngircd_stop (ngircd);
  CU_ASSERT_TRUE (child_wait (alice, "connection lost: "));
  CU_ASSERT_TRUE (alice->cursor > 0 &&
                  strstr (g_ptr_array_index (alice->lines, alice->cursor - 1),
                          "; reconnecting in 0.1 s") != NULL);
  CU_ASSERT_TRUE (child_wait (bob, "connection lost: "));
  /* while the port is closed, the tries back off */
  CU_ASSERT_TRUE (child_wait (alice, "cannot connect: "));
  CU_ASSERT_TRUE (alice->cursor > 0 &&
                  strstr (g_ptr_array_index (alice->lines, alice->cursor - 1),
                          "; reconnecting in 0.2 s") != NULL);

  CU_ASSERT_TRUE (ngircd_start (ngircd));
  CU_ASSERT_TRUE (child_wait (alice, "reconnected"));
  CU_ASSERT_TRUE (child_wait (alice, "*** you joined #eap"));
  CU_ASSERT_TRUE (child_wait (bob, "reconnected"));
  CU_ASSERT_TRUE (child_wait (bob, "*** you joined #eap"));
  exchange (alice, bob, "alice", "bob", "(after)");

  CU_ASSERT_TRUE (child_quit (alice));
  CU_ASSERT_TRUE (child_quit (bob));
}

/* ------------------------------------------------------------------ */
/* Suite ChatClient: two processes through eap-chat-server              */
/* ------------------------------------------------------------------ */

static void
test_two_clients_through_eap_chat_server (void)
{
  const char *argv[] = { EAP_CHAT_SERVER_PATH, "--port", "0", NULL };
  const char *listening = "eap-chat-server: listening on 127.0.0.1:";
  EapTestChild *server = child_spawn ("server", argv);
  EapTestChild *alice, *bob;
  guint16 port = 0;

  CU_ASSERT_TRUE_FATAL (eap_test_child_wait_line (server, listening, TRUE, WAIT_MS));
  port = (guint16) g_ascii_strtoull ((char *) g_ptr_array_index (server->lines, server->cursor - 1)
                                     + strlen (listening), NULL, 10);
  CU_ASSERT_NOT_EQUAL_FATAL (port, 0);

  alice = spawn_client ("alice", port, NULL);
  CU_ASSERT_TRUE (child_wait (alice, "*** you joined #eap"));
  bob = spawn_client ("bob", port, NULL);
  CU_ASSERT_TRUE (child_wait (bob, "*** you joined #eap"));
  CU_ASSERT_TRUE (child_wait (alice, "*** bob"));
  exchange (alice, bob, "alice", "bob", "(eap)");

  CU_ASSERT_TRUE (child_quit (alice));
  CU_ASSERT_TRUE (child_wait (bob, "*** alice quit"));
  CU_ASSERT_TRUE (child_quit (bob));
  CU_ASSERT_EQUAL (alice->status, 0);
  CU_ASSERT_EQUAL (bob->status, 0);
}

/* ------------------------------------------------------------------ */
/* A scripted raw server in the test's context                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  GSocket   *listener;        /* (owned) */
  GSource   *accept_source;   /* (owned) (nullable): NULL once stopped */
  GSocket   *peer;            /* (owned) (nullable): the latest connection */
  GSource   *peer_source;     /* (owned) (nullable) */
  GString   *partial;         /* (owned) */
  GPtrArray *lines;           /* (owned) (element-type utf8): every line received */
  guint      cursor;
  guint      n_accepted;
  gboolean   peer_closed;
  guint16    port;
} RawServer;

static void
raw_drop_peer (RawServer *raw)
{
  if (raw->peer_source != NULL)
    {
      g_source_destroy (raw->peer_source);
      g_clear_pointer (&raw->peer_source, g_source_unref);
    }
  if (raw->peer != NULL)
    g_socket_close (raw->peer, NULL);
  g_clear_object (&raw->peer);
  g_string_truncate (raw->partial, 0);
}

static gboolean
raw_peer_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  RawServer *raw = data;
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  char *newline;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      raw->peer_closed = TRUE;
      g_clear_pointer (&raw->peer_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  g_string_append_len (raw->partial, buffer, n);
  while ((newline = memchr (raw->partial->str, '\n', raw->partial->len)) != NULL)
    {
      gsize length = newline - raw->partial->str;

      CU_ASSERT_TRUE (length > 0 && newline[-1] == '\r');   /* CR LF on the wire */
      g_ptr_array_add (raw->lines, g_strndup (raw->partial->str,
                                              length > 0 ? length - 1 : 0));
      g_string_erase (raw->partial, 0, length + 1);
    }
  return G_SOURCE_CONTINUE;
}

/* A new connection replaces the previous one (a reconnecting client). */
static gboolean
raw_accept_cb (GSocket      *socket,
               GIOCondition  condition,
               gpointer      data)
{
  RawServer *raw = data;
  GSocket *peer = g_socket_accept (socket, NULL, NULL);

  if (peer == NULL)
    return G_SOURCE_CONTINUE;
  raw_drop_peer (raw);
  raw->peer = peer;
  raw->peer_closed = FALSE;
  raw->n_accepted++;
  g_socket_set_blocking (peer, FALSE);
  raw->peer_source = g_socket_create_source (peer, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (raw->peer_source, (GSourceFunc) (void (*) (void)) raw_peer_cb, raw, NULL);
  g_source_attach (raw->peer_source, eap_test_fixture ()->context);
  return G_SOURCE_CONTINUE;
}

static RawServer *
raw_server_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;
  RawServer *raw = g_new0 (RawServer, 1);

  raw->partial = g_string_new (NULL);
  raw->lines = g_ptr_array_new_with_free_func (g_free);
  raw->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (raw->listener, FALSE);
  g_socket_bind (raw->listener, addr, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (raw->listener, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (raw->listener, &error);
  g_assert_no_error (error);
  raw->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  raw->accept_source = g_socket_create_source (raw->listener, G_IO_IN, NULL);
  g_source_set_callback (raw->accept_source, (GSourceFunc) (void (*) (void)) raw_accept_cb, raw, NULL);
  g_source_attach (raw->accept_source, eap_test_fixture ()->context);
  return raw;
}

/* Closes the port: the next connection attempts are refused. */
static void
raw_stop_listening (RawServer *raw)
{
  if (raw->accept_source != NULL)
    {
      g_source_destroy (raw->accept_source);
      g_clear_pointer (&raw->accept_source, g_source_unref);
    }
  g_socket_close (raw->listener, NULL);
}

static void
raw_server_free (RawServer *raw)
{
  raw_drop_peer (raw);
  raw_stop_listening (raw);
  g_object_unref (raw->listener);
  g_string_free (raw->partial, TRUE);
  g_ptr_array_unref (raw->lines);
  g_free (raw);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawServer, raw_server_free)

/* Waits for the next line that starts with @prefix. */
static gboolean
raw_wait (RawServer  *raw,
          const char *prefix)
{
  return eap_test_wait_line (raw->lines, &raw->cursor, NULL, "raw server", prefix, TRUE,
                             EAP_TEST_TIMEOUT_MS);
}

static const char *
raw_last (RawServer *raw)
{
  return raw->cursor > 0 ? g_ptr_array_index (raw->lines, raw->cursor - 1) : "";
}

static void
raw_send (RawServer  *raw,
          const char *line)
{
  g_autofree char *text = g_strconcat (line, "\r\n", NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (raw->peer);
  CU_ASSERT_EQUAL (g_socket_send (raw->peer, text, strlen (text), NULL, NULL),
                   (gssize) strlen (text));
}

/* ------------------------------------------------------------------ */
/* An in-process ChatClient                                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  ChatClient *client;     /* (owned) */
  GPtrArray  *output;     /* (owned) (element-type utf8) */
  guint       cursor;
  gboolean    finished;
  int         status;
} Session;

static void
session_output_cb (ChatClient *client,
                   const char *line,
                   gpointer    data)
{
  Session *session = data;

  if (g_getenv ("CHAT_TEST_VERBOSE") != NULL)
    fprintf (stderr, "client| %s\n", line);
  CU_ASSERT_TRUE (is_stamped (line, NULL));
  g_ptr_array_add (session->output, g_strdup (line));
}

static void
session_finished_cb (ChatClient *client,
                     int         status,
                     gpointer    data)
{
  Session *session = data;

  session->finished = TRUE;
  session->status = status;
}

static Session *
session_new (guint16     port,
             const char *nick,
             gboolean    no_reconnect)
{
  ChatClientOptions options = {
    .host = "127.0.0.1",
    .port = port,
    .nick = nick,
    .channel = "#test",
    .no_reconnect = no_reconnect,
    .reconnect_min_ms = 50,
    .reconnect_max_ms = 200,
  };
  Session *session = g_new0 (Session, 1);

  session->output = g_ptr_array_new_with_free_func (g_free);
  session->client = chat_client_new (&options);
  g_signal_connect (session->client, "output", G_CALLBACK (session_output_cb), session);
  g_signal_connect (session->client, "finished", G_CALLBACK (session_finished_cb), session);
  return session;
}

static void
session_free (Session *session)
{
  g_signal_handlers_disconnect_by_data (session->client, session);
  g_object_unref (session->client);
  eap_test_drain ();
  g_ptr_array_unref (session->output);
  g_free (session);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_free)

static gboolean
session_wait (Session    *session,
              const char *needle)
{
  return eap_test_wait_line (session->output, &session->cursor, NULL, "client", needle, FALSE,
                             EAP_TEST_TIMEOUT_MS);
}

static const char *
session_last (Session *session)
{
  return session->cursor > 0 ? g_ptr_array_index (session->output, session->cursor - 1)
                             : "[00:00:00] ";
}

static gboolean
session_finished_cond (gpointer data)
{
  return ((Session *) data)->finished;
}

/* Starts @session against @raw and plays the registration up to JOIN. */
static void
register_session (Session   *session,
                  RawServer *raw,
                  const char *nick)
{
  g_autofree char *welcome = g_strdup_printf (":irc.raw 001 %s :Welcome %s", nick, nick);
  g_autofree char *join = g_strdup_printf (":%s!u@127.0.0.1 JOIN #test", nick);

  CU_ASSERT_TRUE_FATAL (raw_wait (raw, "NICK "));
  CU_ASSERT_TRUE (raw_wait (raw, "USER "));
  raw_send (raw, welcome);
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #test"));
  raw_send (raw, join);
  CU_ASSERT_TRUE (session_wait (session, "*** you joined #test"));
  CU_ASSERT_TRUE (chat_client_is_registered (session->client));
}

static void
test_raw_registration_and_ping (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);
  g_autoptr(IrcMessage) pong = NULL;

  chat_client_start (session->client);
  CU_ASSERT_TRUE_FATAL (raw_wait (raw, "NICK alice"));
  CU_ASSERT_TRUE (raw_wait (raw, "USER alice 0 * "));
  /* a PING before registration is answered too */
  raw_send (raw, "PING :abc123");
  CU_ASSERT_TRUE (raw_wait (raw, "PONG "));
  pong = irc_message_parse (raw_last (raw), strlen (raw_last (raw)), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (pong);
  CU_ASSERT_STRING_EQUAL (pong->command, "PONG");
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (pong, 0), "abc123");

  raw_send (raw, ":irc.raw 001 alice :Welcome to raw");
  CU_ASSERT_TRUE (session_wait (session, "registered as alice: Welcome to raw"));
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #test"));
  raw_send (raw, ":alice!u@127.0.0.1 JOIN :#test");
  CU_ASSERT_TRUE (session_wait (session, "*** you joined #test"));

  raw_send (raw, "PING :second one");
  CU_ASSERT_TRUE (raw_wait (raw, "PONG :second one"));

  /* what others say, with its timestamp */
  raw_send (raw, ":bob!b@127.0.0.1 PRIVMSG #test :hi alice");
  CU_ASSERT_TRUE (session_wait (session, "<bob> hi alice"));
  CU_ASSERT_TRUE (is_stamped (g_ptr_array_index (session->output, session->cursor - 1),
                              "<bob> hi alice"));
  raw_send (raw, ":bob!b@127.0.0.1 PRIVMSG alice :psst");
  CU_ASSERT_TRUE (session_wait (session, "*bob* psst"));
  raw_send (raw, ":bob!b@127.0.0.1 NICK robert");
  CU_ASSERT_TRUE (session_wait (session, "*** bob is now known as robert"));
  raw_send (raw, ":irc.raw 401 alice nobody :No such nick/channel");
  CU_ASSERT_TRUE (session_wait (session, "!!! 401 ERR_NOSUCHNICK: no such nick or channel: "
                                         "nobody: No such nick/channel"));
  /* colour codes and escapes from the network never reach the terminal */
  raw_send (raw, ":bob!b@127.0.0.1 PRIVMSG #test :\x1b[31mred\x03" "4x");
  CU_ASSERT_TRUE (session_wait (session, "<bob>  [31mred 4x"));
}

static void
test_raw_me_and_plain_text (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);
  g_autoptr(GError) error = NULL;

  chat_client_start (session->client);
  /* typed before registration: sent after the JOIN, in order */
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "early bird", &error));
  register_session (session, raw, "alice");
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG #test :early bird"));

  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/me waves", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG"));
  CU_ASSERT_STRING_EQUAL (raw_last (raw), "PRIVMSG #test :\001ACTION waves\001");
  CU_ASSERT_TRUE (session_wait (session, "* alice waves"));

  raw_send (raw, ":bob!b@127.0.0.1 PRIVMSG #test :\001ACTION nods\001");
  CU_ASSERT_TRUE (session_wait (session, "* bob nods"));

  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/msg bob a secret", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG bob :a secret"));
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "//not a command", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG #test :/not a command"));
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/topic new topic", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "TOPIC #test :new topic"));
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/join #other", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #other"));
  CU_ASSERT_STRING_EQUAL (chat_client_get_channel (session->client), "#other");
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/part #other bye now", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "PART #other :bye now"));
  CU_ASSERT_STRING_EQUAL (chat_client_get_channel (session->client), "#test");
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/nick alicia", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "NICK alicia"));
  raw_send (raw, ":alice!u@127.0.0.1 NICK :alicia");
  CU_ASSERT_TRUE (session_wait (session, "*** you are now known as alicia"));
  CU_ASSERT_STRING_EQUAL (chat_client_get_nick (session->client), "alicia");
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/bogus", &error));
  CU_ASSERT_TRUE (session_wait (session, "!!! unknown command /bogus"));

  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/quit see you", &error));
  CU_ASSERT_TRUE (raw_wait (raw, "QUIT :see you"));
  CU_ASSERT_TRUE (eap_test_wait_until (session_finished_cond, session, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (session->status, 0);
}

static void
test_raw_crlf_never_reaches_the_wire (void)
{
  const char *evil[] = {
    "hello\r\nQUIT :pwned",
    "hello\nPRIVMSG #test :injected",
    "hello\rKICK #test bob",
    "/msg bob x\r\nQUIT",
    "/me x\nQUIT",
    "/topic x\r\nQUIT",
    "/join #a\r\nQUIT",
  };
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);

  chat_client_start (session->client);
  register_session (session, raw, "alice");
  for (guint i = 0; i < G_N_ELEMENTS (evil); i++)
    {
      g_autoptr(GError) error = NULL;

      CU_ASSERT_FALSE (chat_client_send_user_line (session->client, evil[i], &error));
      CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
      CU_ASSERT_TRUE (session_wait (session, "!!! not sent: the line holds a line break"));
    }
  /* the next line on the wire is the next good one: nothing in between */
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "after", NULL));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG "));
  CU_ASSERT_STRING_EQUAL (raw_last (raw), "PRIVMSG #test after");
  CU_ASSERT_EQUAL (raw->cursor, raw->lines->len);
  for (guint i = 0; i < raw->lines->len; i++)
    {
      const char *line = g_ptr_array_index (raw->lines, i);

      CU_ASSERT_PTR_NULL (strstr (line, "QUIT"));
      CU_ASSERT_PTR_NULL (strstr (line, "injected"));
      CU_ASSERT_PTR_NULL (strstr (line, "KICK"));
    }
}

static void
test_raw_long_line_cut_at_utf8_boundary (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(IrcMessage) message = NULL;
  const char *line;
  gsize budget;

  for (guint i = 0; i < 400; i++)
    g_string_append (text, "é€");   /* 2 + 3 bytes: cuts land mid-sequence */
  chat_client_start (session->client);
  register_session (session, raw, "alice");
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, text->str, NULL));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG #test "));
  line = raw_last (raw);
  /* the relayed line, with ":alice!u@127.0.0.1 " in front, fits in 510 */
  budget = IRC_MAX_LINE - strlen (":alice!u@127.0.0.1 ");
  CU_ASSERT_TRUE (strlen (line) <= budget);
  CU_ASSERT_TRUE (strlen (line) > budget - 3);
  CU_ASSERT_TRUE (g_utf8_validate (line, -1, NULL));
  message = irc_message_parse (line, strlen (line), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (message);
  CU_ASSERT_TRUE (g_str_has_prefix (text->str, irc_message_get_param (message, 1)));
  CU_ASSERT_TRUE (session_wait (session, "*** message cut to"));
}

static void
test_raw_nick_in_use (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);

  chat_client_start (session->client);
  CU_ASSERT_TRUE_FATAL (raw_wait (raw, "NICK alice"));
  raw_send (raw, ":irc.raw 433 * alice :Nickname is already in use");
  CU_ASSERT_TRUE (raw_wait (raw, "NICK alice_"));
  CU_ASSERT_STRING_EQUAL (raw_last (raw), "NICK alice_");
  CU_ASSERT_TRUE (session_wait (session, "*** nick alice is already in use; trying alice_"));
  raw_send (raw, ":irc.raw 433 * alice_ :Nickname is already in use");
  CU_ASSERT_TRUE (raw_wait (raw, "NICK alice__"));
  CU_ASSERT_TRUE (session_wait (session, "*** nick alice_ is already in use; trying alice__"));
  CU_ASSERT_FALSE (chat_client_is_registered (session->client));
  raw_send (raw, ":irc.raw 001 alice__ :Welcome alice__");
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #test"));
  CU_ASSERT_STRING_EQUAL (chat_client_get_nick (session->client), "alice__");
  CU_ASSERT_TRUE (session_wait (session, "registered as alice__"));

  /* once registered, a 433 (after /nick) is an error, not a retry */
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/nick bob", NULL));
  CU_ASSERT_TRUE (raw_wait (raw, "NICK bob"));
  raw_send (raw, ":irc.raw 433 alice__ bob :Nickname is already in use");
  CU_ASSERT_TRUE (session_wait (session, "!!! 433 ERR_NICKNAMEINUSE"));
  CU_ASSERT_STRING_EQUAL (chat_client_get_nick (session->client), "alice__");
}

static void
test_raw_reconnect_with_backoff (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);

  chat_client_start (session->client);
  register_session (session, raw, "alice");
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "/join #second", NULL));
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #second"));

  raw_drop_peer (raw);
  CU_ASSERT_TRUE (session_wait (session, "; reconnecting in 0.05 s"));
  CU_ASSERT_TRUE (g_str_has_prefix (session_last (session) + 11, "connection lost: "));
  CU_ASSERT_FALSE (chat_client_is_registered (session->client));
  /* typed while away: kept and sent once back */
  CU_ASSERT_TRUE (chat_client_send_user_line (session->client, "while away", NULL));

  CU_ASSERT_TRUE_FATAL (raw_wait (raw, "NICK alice"));
  CU_ASSERT_EQUAL (raw->n_accepted, 2);
  CU_ASSERT_TRUE (raw_wait (raw, "USER "));
  raw_send (raw, ":irc.raw 001 alice :Welcome back");
  CU_ASSERT_TRUE (session_wait (session, "reconnected"));
  /* both channels are joined again, then the kept line goes out */
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #test"));
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #second"));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG #second :while away"));

  /* the back-off doubles while the server stays away: 0.05, 0.1, 0.2, 0.2 */
  raw_stop_listening (raw);
  raw_drop_peer (raw);
  CU_ASSERT_TRUE (session_wait (session, "reconnecting in 0.05 s"));
  CU_ASSERT_TRUE (session_wait (session, "reconnecting in 0.1 s"));
  CU_ASSERT_TRUE (g_str_has_prefix (session_last (session) + 11, "cannot connect: "));
  CU_ASSERT_TRUE (session_wait (session, "reconnecting in 0.2 s"));
  CU_ASSERT_TRUE (session_wait (session, "reconnecting in 0.2 s"));
}

static void
test_raw_quiet_server_gets_pinged (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  ChatClientOptions options = {
    .host = "127.0.0.1",
    .port = raw->port,
    .nick = "alice",
    .channel = "#test",
    .reconnect_min_ms = 50,
    .ping_interval_ms = 100,
    .ping_timeout_ms = 200,
  };
  g_autoptr(Session) session = session_new (raw->port, "alice", FALSE);

  g_clear_object (&session->client);
  session->client = chat_client_new (&options);
  g_signal_connect (session->client, "output", G_CALLBACK (session_output_cb), session);
  g_signal_connect (session->client, "finished", G_CALLBACK (session_finished_cb), session);

  chat_client_start (session->client);
  register_session (session, raw, "alice");
  /* quiet: the client asks; an answer keeps the connection */
  CU_ASSERT_TRUE (raw_wait (raw, "PING "));
  raw_send (raw, ":irc.raw PONG irc.raw :eap-chat-client");
  CU_ASSERT_TRUE (raw_wait (raw, "PING "));
  CU_ASSERT_EQUAL (raw->n_accepted, 1);
  /* no answer: a dead server, the client reconnects */
  CU_ASSERT_TRUE (session_wait (session, "connection lost: no answer to PING in 0.2 s; "
                                         "reconnecting in"));
  CU_ASSERT_TRUE (raw_wait (raw, "NICK alice"));
  CU_ASSERT_EQUAL (raw->n_accepted, 2);
}

static void
test_raw_no_reconnect_finishes (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(Session) session = session_new (raw->port, "alice", TRUE);

  chat_client_start (session->client);
  register_session (session, raw, "alice");
  raw_send (raw, "ERROR :Closing link (bye)");
  raw_drop_peer (raw);
  CU_ASSERT_TRUE (session_wait (session, "!!! server error: Closing link (bye)"));
  CU_ASSERT_TRUE (session_wait (session, "connection lost: "));
  CU_ASSERT_TRUE (eap_test_wait_until (session_finished_cond, session, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (session->status, 1);
  CU_ASSERT_FALSE (has_line (session->output, "reconnecting"));
}

static void
test_raw_refused_port_no_reconnect (void)
{
  g_autoptr(Session) session = session_new (eap_test_free_loopback_port (), "alice", TRUE);

  chat_client_start (session->client);
  CU_ASSERT_TRUE (eap_test_wait_until (session_finished_cond, session, EAP_TEST_TIMEOUT_MS));
  CU_ASSERT_EQUAL (session->status, 1);
  CU_ASSERT_TRUE (session_wait (session, "cannot connect: "));
}

/* The built client against the raw server: registers, sends what the
 * script says once registered, and the end of the script is /quit. */
static void
test_cli_script_file (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("eap-chat-script-XXXXXX", &error);
  g_autofree char *script = g_build_filename (dir, "script.txt", NULL);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", raw->port);
  EapTestChild *child;

  g_file_set_contents (script, "hello from a script\r\n/me scripts\n/part\n/join #next\n"
                               "last words\n", -1, &error);
  CU_ASSERT_PTR_NULL_FATAL (error);
  child = child_spawn ("scripted", (const char * const[]) {
                         EAP_CHAT_CLIENT_PATH, address, "--nick", "scripty", "--channel", "#eap",
                         "--user", "scr", "--realname", "Script Kiddie", "--script", script, NULL });
  CU_ASSERT_TRUE_FATAL (raw_wait (raw, "NICK scripty"));
  CU_ASSERT_TRUE (raw_wait (raw, "USER "));
  CU_ASSERT_STRING_EQUAL (raw_last (raw), "USER scr 0 * :Script Kiddie");
  raw_send (raw, ":irc.raw 001 scripty :Welcome");
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #eap"));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG "));
  CU_ASSERT_STRING_EQUAL (raw_last (raw), "PRIVMSG #eap :hello from a script");
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG "));
  CU_ASSERT_STRING_EQUAL (raw_last (raw), "PRIVMSG #eap :\001ACTION scripts\001");
  CU_ASSERT_TRUE (raw_wait (raw, "PART #eap"));
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #next"));
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG #next :last words"));
  CU_ASSERT_TRUE (raw_wait (raw, "QUIT "));
  CU_ASSERT_TRUE (eap_test_wait_until (eap_test_child_is_done, child, WAIT_MS));
  CU_ASSERT_EQUAL (child->status, 0);
  CU_ASSERT_TRUE (has_line (child->lines, "* scripty scripts"));
  g_unlink (script);
  g_rmdir (dir);
}

/* Typing through a pipe; closing it is /quit. */
static void
test_cli_stdin_pipe_eof_quits (void)
{
  g_autoptr(RawServer) raw = raw_server_new ();
  EapTestChild *child = spawn_client ("piped", raw->port, "--no-reconnect");

  CU_ASSERT_TRUE_FATAL (raw_wait (raw, "NICK piped"));
  raw_send (raw, ":irc.raw 001 piped :Welcome");
  CU_ASSERT_TRUE (raw_wait (raw, "JOIN #eap"));
  child_type (child, "typed line");
  CU_ASSERT_TRUE (raw_wait (raw, "PRIVMSG #eap :typed line"));
  raw_send (raw, ":bob!b@h PRIVMSG #eap :answer");
  CU_ASSERT_TRUE (child_wait (child, "<bob> answer"));
  CU_ASSERT_TRUE (child_quit (child));
  CU_ASSERT_TRUE (raw_wait (raw, "QUIT "));
  CU_ASSERT_EQUAL (child->status, 0);
}

/* No server: the end of the input ends the client, whether it came
 * before the first try failed (the /quit waits for a connection that
 * never comes: exit 1) or during the back-off (exit 0); it never retries
 * forever with nobody left to type. The back-off is a minute, so only
 * the end of the input can make it exit within the deadline. */
static void
test_cli_input_ended_server_unreachable (void)
{
  guint16 port = eap_test_free_loopback_port ();
  EapTestChild *early = spawn_client ("early", port, "--reconnect-min-ms 60000");
  EapTestChild *late = spawn_client ("late", port, "--reconnect-min-ms 60000");

  CU_ASSERT_TRUE (child_quit (early));
  CU_ASSERT_TRUE (early->status == 0 || early->status == 1);
  CU_ASSERT_TRUE (has_line (early->lines, "cannot connect: "));

  CU_ASSERT_TRUE (child_wait (late, "cannot connect: "));
  CU_ASSERT_TRUE (strstr (g_ptr_array_index (late->lines, late->cursor - 1),
                          "reconnecting in 60 s") != NULL);
  CU_ASSERT_TRUE (child_quit (late));
  CU_ASSERT_EQUAL (late->status, 0);
}

static void
test_numeric_meanings (void)
{
  CU_ASSERT_STRING_EQUAL (chat_client_numeric_meaning ("433"),
                          "ERR_NICKNAMEINUSE: nickname is already in use");
  CU_ASSERT_PTR_NOT_NULL (chat_client_numeric_meaning ("401"));
  CU_ASSERT_PTR_NOT_NULL (chat_client_numeric_meaning ("421"));
  CU_ASSERT_PTR_NOT_NULL (chat_client_numeric_meaning ("451"));
  CU_ASSERT_PTR_NOT_NULL (chat_client_numeric_meaning ("461"));
  CU_ASSERT_PTR_NULL (chat_client_numeric_meaning ("001"));
}

static CU_TestInfo chat_client_tests[] = {
  { "registration; PING answered with PONG; incoming lines timestamped", test_raw_registration_and_ping },
  { "/me sends CTCP ACTION; /msg /topic /join /part /nick /quit; early lines kept", test_raw_me_and_plain_text },
  { "user input with CR or LF never reaches the wire as a second command", test_raw_crlf_never_reaches_the_wire },
  { "an overlong line is cut at a UTF-8 boundary within 512 bytes", test_raw_long_line_cut_at_utf8_boundary },
  { "433 during registration tries nick_, nick__ and says so", test_raw_nick_in_use },
  { "a lost connection reconnects with back-off, re-registers and re-joins", test_raw_reconnect_with_backoff },
  { "a quiet server is PINGed; no PONG is a lost connection", test_raw_quiet_server_gets_pinged },
  { "--no-reconnect: a lost connection finishes with status 1", test_raw_no_reconnect_finishes },
  { "--no-reconnect: a refused port finishes with status 1", test_raw_refused_port_no_reconnect },
  { "numerics have their meaning", test_numeric_meanings },
  { "eap-chat-client --script FILE: sent once registered; the end is /quit", test_cli_script_file },
  { "eap-chat-client reads a stdin pipe; EOF is /quit", test_cli_stdin_pipe_eof_quits },
  { "eap-chat-client: input ended and no server: exits 1, no retries", test_cli_input_ended_server_unreachable },
  { "two eap-chat-client processes exchange messages through eap-chat-server", test_two_clients_through_eap_chat_server },
  CU_TEST_INFO_NULL,
};

static CU_TestInfo ngircd_tests[] = {
  { "register and join; topic; 401 shown with its meaning", test_ngircd_register_and_join },
  { "two eap-chat-client processes exchange messages through ngircd", test_ngircd_two_clients_exchange },
  { "nick collision: the second client becomes nick_ and says so", test_ngircd_nick_collision },
  { "server restart: clients say connection lost, reconnect, re-join, talk again", test_ngircd_restart_reconnect },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "ChatClient",
      .pSetUpFunc = chat_setup,
      .pTearDownFunc = chat_teardown,
      .pTests = chat_client_tests,
    },
    {
      .pName = "Ngircd",
      .pSetUpFunc = chat_setup,
      .pTearDownFunc = chat_teardown,
      .pTests = ngircd_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  signal (SIGPIPE, SIG_IGN);
  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
