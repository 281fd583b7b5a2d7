/* test-patterns.c: the five pattern programs against eap-echo-server
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs the built programs of examples/patterns as a user runs them (see
 * docs/patterns.md): eap-echo-server on a free loopback port, and each
 * pattern program against it with GSubprocess, checking the exit status
 * and what it prints. The blocking programs against the eap listener are
 * also the "blocking peer, asynchronous peer" question in practice.
 *
 * No sleeps: every wait iterates the test's context up to a deadline.
 */

#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "eap-test.h"

#define CHILD_TIMEOUT_MS 60000
#define N_LINES          "2000"

static const char * const patterns[] = {
  "pattern-blocking",
  "pattern-apm-poll",
  "pattern-apm-callback",
  "pattern-eap",
  "pattern-worker",
};

/* ------------------------------------------------------------------ */
/* A child process and its output                                     */
/* ------------------------------------------------------------------ */

/* Starts examples/patterns/@name with @args (NULL-terminated, without
 * argv[0]). */
static EapTestChild *
child_spawn (const char         *name,
             const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_build_filename (PATTERNS_BUILD_DIR, name, NULL));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  return eap_test_child_spawn (name, (const char * const *) argv->pdata, EAP_TEST_CHILD_DEFAULT);
}

/* eap_test_child_wait() with this suite's deadline. */
static int
child_wait (EapTestChild *child,
            int           expected)
{
  return eap_test_child_wait (child, expected, CHILD_TIMEOUT_MS);
}

/* ------------------------------------------------------------------ */
/* The echo server                                                    */
/* ------------------------------------------------------------------ */

#define LISTENING "eap-echo-server: listening on port "

/* Starts eap-echo-server on a free loopback port; returns the port, or 0
 * (with a failed assertion) if it did not say it was listening. */
static guint16
server_start (EapTestChild **server)
{
  const char *args[] = { "--address", "127.0.0.1", "--port", "0", NULL };
  const char *line = NULL;
  guint64 port = 0;

  *server = child_spawn ("eap-echo-server", args);
  CU_ASSERT_TRUE (eap_test_child_wait_line (*server, LISTENING, FALSE, CHILD_TIMEOUT_MS));
  if ((*server)->cursor > 0)
    line = strstr (g_ptr_array_index ((*server)->lines, (*server)->cursor - 1), LISTENING);
  if (line == NULL ||
      !g_ascii_string_to_unsigned (line + strlen (LISTENING), 10, 1, G_MAXUINT16, &port, NULL))
    {
      fprintf (stderr, "eap-echo-server did not start: stdout:\n%s\nstderr:\n%s\n",
               (*server)->out->str, (*server)->err->str);
      return 0;
    }
  return (guint16) port;
}

/* SIGTERM: the server stops cleanly, with status 0. */
static void
server_stop (EapTestChild *server)
{
  CU_ASSERT_EQUAL (eap_test_child_stop (server, 0, CHILD_TIMEOUT_MS), 0);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static char *
loopback (guint16 port)
{
  return g_strdup_printf ("127.0.0.1:%u", port);
}

/* @name sends 2000 lines to the server and gets them all back: exit 0,
 * progress up to 100 %, and the summary line. */
static void
check_pattern_echoes (const char *name)
{
  g_autoptr(EapTestChild) server = NULL;
  g_autoptr(EapTestChild) child = NULL;
  g_autofree char *address = NULL;
  g_autofree char *progress = g_strdup_printf ("%s: 100%%", name);
  guint16 port = server_start (&server);

  CU_ASSERT_NOT_EQUAL_FATAL (port, 0);
  address = loopback (port);
  {
    const char *args[] = { address, N_LINES, NULL };

    child = child_spawn (name, args);
  }
  CU_ASSERT_EQUAL (child_wait (child, 0), 0);
  CU_ASSERT_PTR_NOT_NULL (strstr (child->out->str, N_LINES " lines echoed intact in "));
  CU_ASSERT_PTR_NOT_NULL (strstr (child->out->str, progress));
  CU_ASSERT_STRING_EQUAL (child->err->str, "");

  server_stop (server);
}

static void
test_blocking (void)
{
  check_pattern_echoes ("pattern-blocking");
}

static void
test_apm_poll (void)
{
  check_pattern_echoes ("pattern-apm-poll");
}

static void
test_apm_callback (void)
{
  check_pattern_echoes ("pattern-apm-callback");
}

static void
test_eap (void)
{
  check_pattern_echoes ("pattern-eap");
}

static void
test_worker (void)
{
  check_pattern_echoes ("pattern-worker");
}

/* All five at once against one server: blocking and asynchronous clients
 * side by side on one single-threaded listener, each getting its own
 * lines back. */
static void
test_all_at_once (void)
{
  g_autoptr(EapTestChild) server = NULL;
  g_autofree char *address = NULL;
  EapTestChild *children[G_N_ELEMENTS (patterns)];
  guint16 port = server_start (&server);

  CU_ASSERT_NOT_EQUAL_FATAL (port, 0);
  address = loopback (port);
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      const char *args[] = { address, N_LINES, NULL };

      children[i] = child_spawn (patterns[i], args);
    }
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      CU_ASSERT_EQUAL (child_wait (children[i], 0), 0);
      CU_ASSERT_PTR_NOT_NULL (strstr (children[i]->out->str, N_LINES " lines echoed intact in "));
      eap_test_child_unref (children[i]);
    }

  server_stop (server);
}

/* A port where nothing listens: bound, so nobody else takes it, but not
 * listening, so a connection is refused. */
static GSocket *
refusing_socket (guint16 *port)
{
  g_autoptr(GInetAddress) loopback_address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback_address, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (socket);
  CU_ASSERT_TRUE_FATAL (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (bound);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

/* Every program: exit 1 and one error line naming the cause. */
static void
test_refused (void)
{
  guint16 port;
  g_autoptr(GSocket) socket = refusing_socket (&port);
  g_autofree char *address = loopback (port);

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      const char *args[] = { address, "10", NULL };
      g_autoptr(EapTestChild) child = child_spawn (patterns[i], args);
      g_autofree char *prefix = g_strdup_printf ("%s: error: ", patterns[i]);
      g_autofree char *lower = NULL;

      CU_ASSERT_EQUAL (child_wait (child, 1), 1);
      CU_ASSERT_TRUE (g_str_has_prefix (child->err->str, prefix));
      lower = g_ascii_strdown (child->err->str, -1);
      if (strstr (lower, "refused") == NULL)
        fprintf (stderr, "\n%s: no “refused” in: %s\n", patterns[i], child->err->str);
      CU_ASSERT_PTR_NOT_NULL (strstr (lower, "refused"));
      CU_ASSERT_PTR_NULL (strstr (child->out->str, "echoed intact"));
    }
}

typedef struct
{
  EapTestChild      *child;   /* (unowned) */
  const char *text;
} OutputWait;

static gboolean
output_contains (gpointer data)
{
  OutputWait *wait = data;

  return strstr (wait->child->out->str, wait->text) != NULL ||
         eap_test_child_is_done (wait->child);
}

/* The server killed mid-job: every program notices (EOF or a reset,
 * whichever the kernel delivers) and exits 1 with the error, rather than
 * hanging or claiming success. */
static void
test_server_goes_away (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(EapTestChild) server = NULL;
      g_autoptr(EapTestChild) child = NULL;
      g_autofree char *address = NULL;
      g_autofree char *prefix = g_strdup_printf ("%s: error: ", patterns[i]);
      guint16 port = server_start (&server);
      OutputWait wait = { NULL, "/100000 lines" };   /* the first progress line */

      CU_ASSERT_NOT_EQUAL_FATAL (port, 0);
      address = loopback (port);
      {
        const char *args[] = { address, "100000", NULL };

        child = child_spawn (patterns[i], args);
      }

      /* About a tenth of the way (the worker's progress is coalesced, so
       * not always exactly 10 %): connected, most of the job to do. */
      wait.child = child;
      CU_ASSERT_TRUE (eap_test_wait_until (output_contains, &wait, CHILD_TIMEOUT_MS));
      CU_ASSERT_FALSE (eap_test_child_is_done (child));
      eap_test_child_kill (server);

      CU_ASSERT_EQUAL (child_wait (child, 1), 1);
      CU_ASSERT_TRUE (g_str_has_prefix (child->err->str, prefix));
      CU_ASSERT_PTR_NULL (strstr (child->out->str, "echoed intact"));
    }
}

/* Every program: a missing or bad argument prints the usage, exit 2. */
static void
test_usage (void)
{
  const char *no_args[] = { NULL };
  const char *no_port[] = { "127.0.0.1", NULL };
  const char *bad_n[] = { "127.0.0.1:7", "zero", NULL };
  const char * const *cases[] = { no_args, no_port, bad_n };

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
      {
        g_autoptr(EapTestChild) child = child_spawn (patterns[i], cases[k]);

        CU_ASSERT_EQUAL (child_wait (child, 2), 2);
        CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, "usage: "));
      }
}

static CU_TestInfo patterns_tests[] = {
  { "pattern-blocking echoes 2000 lines: exit 0, progress, summary", test_blocking },
  { "pattern-apm-poll echoes 2000 lines: exit 0, progress, summary", test_apm_poll },
  { "pattern-apm-callback echoes 2000 lines: exit 0, progress, summary", test_apm_callback },
  { "pattern-eap echoes 2000 lines: exit 0, progress, summary", test_eap },
  { "pattern-worker echoes 2000 lines: exit 0, progress, summary", test_worker },
  { "all five at once against one echo server", test_all_at_once },
  { "a refused port: every program exits 1 with the error", test_refused },
  { "the server killed mid-job: every program exits 1 with the error", test_server_goes_away },
  { "usage errors exit 2", test_usage },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "Patterns",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = patterns_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
