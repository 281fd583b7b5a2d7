/* test-eap-download.c: the eap-download command, run as a user runs it
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test starts the built eap-download with GSubprocess against a
 * SoupServer in this process (the demo's server, on 127.0.0.1, in the
 * test's context), and checks what a user sees: the exit status, the
 * reason lines, and the output folder. The child's stdout is a pipe, so it
 * prints plain log lines, which the SIGINT test watches to know the
 * download is in flight.
 *
 * No sleeps: every wait iterates the test's context up to a deadline.
 */

#include <CUnit/CUnit.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "demo-server.h"
#include "eap-test.h"
#include "web-test.h"

#define CHILD_TIMEOUT_MS 30000
#define DEMO_TIMEOUT_MS  90000
#define MiB              (1024 * 1024)

/* ------------------------------------------------------------------ */
/* A running eap-download                                               */
/* ------------------------------------------------------------------ */

static const char *
eap_download_path (void)
{
  const char *path = g_getenv ("EAP_DOWNLOAD");

  return path != NULL ? path : EAP_DOWNLOAD_PATH;
}

/* Starts eap-download with @args (NULL-terminated, without argv[0]). */
static EapTestChild *
child_spawn (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) eap_download_path ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  return eap_test_child_spawn ("eap-download", (const char * const *) argv->pdata,
                               EAP_TEST_CHILD_DEFAULT);
}

/* Runs eap-download to the end; returns the child for its output. */
static EapTestChild *
run (const char * const *args,
     int                *status,
     guint               timeout_ms)
{
  EapTestChild *child = child_spawn (args);

  *status = eap_test_child_wait (child, 0, timeout_ms);
  return child;
}

/* ------------------------------------------------------------------ */
/* Output folders                                                       */
/* ------------------------------------------------------------------ */

static char *
make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-eap-download-XXXXXX", &error);

  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  return dir;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* "name size\n" for every entry, sorted: a snapshot to compare. */
static char *
list_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_stat (path, &st) != 0)
        st.st_size = -1;
      g_ptr_array_add (lines, g_strdup_printf ("%s %" G_GINT64_FORMAT, name, (gint64) st.st_size));
    }

  g_ptr_array_sort (lines, compare_strings);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s\n", (char *) g_ptr_array_index (lines, i));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Whether @dir/@name holds the generated body of @size bytes. */
static gboolean
file_is_generated (const char *dir,
                   const char *name,
                   gsize       size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, NULL))
    {
      fprintf (stderr, "missing: %s\n", path);
      return FALSE;
    }
  return length == size && demo_server_check_data ((const guint8 *) data, length);
}

static void
write_file (const char *dir,
            const char *name,
            const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  CU_ASSERT_TRUE (g_file_set_contents (path, text, -1, NULL));
}

static char *
read_file (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (; *text != '\0'; text++)
    n += *text == '\n';
  return n;
}

static DemoServer *
start_server (void)
{
  g_autoptr(GError) error = NULL;
  DemoServer *server = demo_server_new (&error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (server);
  return server;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void
test_downloads_succeed (void)
{
  g_autoptr(DemoServer) server = start_server ();
  g_autofree char *dir = make_dir ();
  g_autofree char *u1 = NULL, *u2 = NULL, *u3 = NULL, *u4 = NULL, *u5 = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(EapTestChild) child = NULL;
  int status;

  demo_server_add_file (server, "/a.txt", 1000, FALSE, 0, -1);
  demo_server_add_file (server, "/data/big.bin", 3 * MiB, FALSE, 0, -1);
  demo_server_add_file (server, "/stream.log", 300 * 1024, TRUE, 0, -1);
  demo_server_add_file (server, "/files/naïve name.txt", 10, FALSE, 0, -1);
  demo_server_add_file (server, "/", 1, FALSE, 0, -1);
  u1 = demo_server_dup_uri (server, "/a.txt");
  u2 = demo_server_dup_uri (server, "/data/big.bin");
  u3 = demo_server_dup_uri (server, "/stream.log");
  u4 = demo_server_dup_uri (server, "/files/naïve name.txt");  /* …/na%C3%AFve%20name.txt */
  u5 = demo_server_dup_uri (server, "/");

  {
    const char *args[] = { "-o", dir, "-j", "2", u1, u2, u3, u4, u5, NULL };

    child = run (args, &status, CHILD_TIMEOUT_MS);
  }

  CU_ASSERT_EQUAL (status, 0);
  CU_ASSERT_TRUE (file_is_generated (dir, "a.txt", 1000));
  CU_ASSERT_TRUE (file_is_generated (dir, "big.bin", 3 * MiB));
  CU_ASSERT_TRUE (file_is_generated (dir, "stream.log", 300 * 1024));
  CU_ASSERT_TRUE (file_is_generated (dir, "naïve name.txt", 10));
  CU_ASSERT_TRUE (file_is_generated (dir, "index.html", 1));

  /* Nothing else: no temporary files left over. */
  listing = list_dir (dir);
  CU_ASSERT_STRING_EQUAL (listing,
                          "a.txt 1000\nbig.bin 3145728\nindex.html 1\n"
                          "naïve name.txt 10\nstream.log 307200\n");
  CU_ASSERT_PTR_NOT_NULL (strstr (child->out->str, "5 of 5 downloaded"));
  CU_ASSERT_STRING_EQUAL (child->err->str, "");

  web_test_remove_dir (dir);
}

static void
test_same_name_twice (void)
{
  g_autoptr(DemoServer) server = start_server ();
  g_autofree char *dir = make_dir ();
  g_autofree char *u1 = NULL, *u2 = NULL;
  g_autoptr(EapTestChild) child = NULL;
  int status;

  demo_server_add_file (server, "/x/file.txt", 100, FALSE, 0, -1);
  demo_server_add_file (server, "/y/file.txt", 200, FALSE, 0, -1);
  u1 = demo_server_dup_uri (server, "/x/file.txt");
  u2 = demo_server_dup_uri (server, "/y/file.txt");

  {
    const char *args[] = { "--output-dir", dir, u1, u2, NULL };

    child = run (args, &status, CHILD_TIMEOUT_MS);
  }

  CU_ASSERT_EQUAL (status, 0);
  CU_ASSERT_TRUE (file_is_generated (dir, "file.txt", 100));
  CU_ASSERT_TRUE (file_is_generated (dir, "file.txt.1", 200));
  web_test_remove_dir (dir);
}

static void
test_404_fails_with_reason (void)
{
  g_autoptr(DemoServer) server = start_server ();
  g_autofree char *dir = make_dir ();
  g_autofree char *good = NULL, *missing = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(EapTestChild) child = NULL;
  int status;

  demo_server_add_file (server, "/good.txt", 500, FALSE, 0, -1);
  good = demo_server_dup_uri (server, "/good.txt");
  missing = demo_server_dup_uri (server, "/missing.txt");

  {
    const char *args[] = { "-o", dir, missing, good, NULL };

    child = run (args, &status, CHILD_TIMEOUT_MS);
  }

  CU_ASSERT_EQUAL (status, 1);
  /* One reason line on stderr for the one failed URL, naming it. */
  CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, missing));
  CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, "404"));
  CU_ASSERT_EQUAL (count_lines (child->err->str), 1);
  /* The good one is there; nothing at all for the missing one. */
  listing = list_dir (dir);
  CU_ASSERT_STRING_EQUAL (listing, "good.txt 500\n");
  web_test_remove_dir (dir);
}

/* The marker the script below prints once the tmpfs is mounted, and the
 * one before the listing of what the run left in it. */
#define IN_TMPFS     "-- in a 64 KiB tmpfs\n"
#define LEFT_BEHIND  "-- left in the folder:\n"

/* A 1 MiB body into a 64 KiB tmpfs: the write fails with ENOSPC. The
 * tmpfs is mounted over @dir in a user and mount namespace of the child's
 * own (unshare -rm), so it exists only in there, and the listing of what
 * the run left in it is printed from inside. LC_ALL=C: the reason's
 * g_strerror() text is the English one. No unshare, no user namespaces or
 * no tmpfs fails the test: it must not pass unseen. */
static void
test_full_disk_fails_cleanly (void)
{
  static const char script[] =
    "mount -t tmpfs -o size=64k tmpfs \"$1\" || exit 125\n"
    "printf '%s' '" IN_TMPFS "'\n"
    "LC_ALL=C \"$2\" -o \"$1\" \"$3\"; rc=$?\n"
    "printf '%s' '" LEFT_BEHIND "'\n"
    "ls -A \"$1\"\n"
    "exit $rc\n";
  g_autoptr(DemoServer) server = start_server ();
  g_autofree char *dir = make_dir ();
  g_autofree char *uri = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(EapTestChild) child = NULL;
  const char *left;
  int status;

  demo_server_add_file (server, "/big.bin", 1 * MiB, FALSE, 0, -1);
  uri = demo_server_dup_uri (server, "/big.bin");

  {
    const char *argv[] = { "unshare", "-rm", "sh", "-c", script, "sh",
                           dir, eap_download_path (), uri, NULL };

    child = eap_test_child_spawn (NULL, argv, EAP_TEST_CHILD_DEFAULT);
  }

  status = eap_test_child_wait (child, 1, CHILD_TIMEOUT_MS);
  if (!g_str_has_prefix (child->out->str, IN_TMPFS))
    {
      fprintf (stderr, "\nunshare -rm could not run eap-download in a tmpfs (exit %d): this "
               "test needs unshare(1), user and mount namespaces, and tmpfs\n"
               "stdout:\n%s\nstderr:\n%s\n", status, child->out->str, child->err->str);
      CU_FAIL ("unshare -rm with a tmpfs is unavailable: the full disk was not tested");
      web_test_remove_dir (dir);
      return;
    }

  CU_ASSERT_EQUAL (status, 1);
  /* One reason line, naming the URL, with the message of ENOSPC. */
  CU_ASSERT_EQUAL (count_lines (child->err->str), 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, uri));
  CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, "No space left on device"));
  /* Nothing in the full folder: no partial, no temporary file. */
  left = strstr (child->out->str, LEFT_BEHIND);
  CU_ASSERT_STRING_EQUAL (left != NULL ? left : "(no listing)", LEFT_BEHIND);
  /* And the tmpfs really was on top: nothing reached @dir itself. */
  listing = list_dir (dir);
  CU_ASSERT_STRING_EQUAL (listing, "");

  if (status != 1 || count_lines (child->err->str) != 1 || g_strcmp0 (left, LEFT_BEHIND) != 0)
    fprintf (stderr, "\n[exit %d]\nstdout:\n%s\nstderr:\n%s\n",
             status, child->out->str, child->err->str);
  web_test_remove_dir (dir);
}

static void
test_refused_connection_fails (void)
{
  g_autofree char *dir = make_dir ();
  g_autoptr(EapTestChild) child = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *uri = NULL;
  int status;

  /* A port that was free a moment ago and has no listener. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  CU_ASSERT_TRUE_FATAL (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  uri = g_strdup_printf ("http://127.0.0.1:%u/file.txt",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  {
    const char *args[] = { "-o", dir, "--quiet", uri, NULL };

    child = run (args, &status, CHILD_TIMEOUT_MS);
  }

  CU_ASSERT_EQUAL (status, 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, uri));
  CU_ASSERT_STRING_EQUAL (child->out->str, "");           /* --quiet */
  web_test_remove_dir (dir);
}

static void
test_usage_errors (void)
{
  const char *bad_option[] = { "--no-such-option", "http://127.0.0.1:1/", NULL };
  const char *no_url[] = { NULL };
  const char *zero_jobs[] = { "-j", "0", "http://127.0.0.1:1/", NULL };
  const char *demo_and_url[] = { "--demo", "http://127.0.0.1:1/", NULL };
  const char **cases[] = { bad_option, no_url, zero_jobs, demo_and_url };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EapTestChild) child = child_spawn (cases[i]);

      CU_ASSERT_EQUAL (eap_test_child_wait (child, 2, CHILD_TIMEOUT_MS), 2);
      CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, "eap-download: "));
    }
}

static gboolean
output_shows_progress (gpointer data)
{
  EapTestChild *child = data;

  /* A "[1] stall.bin: 25%" or "50%" log line: the body is flowing; the
   * server stalls at 50 %, so the download is in flight. */
  return strstr (child->out->str, "] stall.bin: ") != NULL || eap_test_child_is_done (child);
}

/* SIGINT while a download is stuck half-way and another waits in the
 * queue: the child cancels both and exits 1, and the folder is exactly as
 * it was, including a file that has the name being downloaded. With
 * @resume the partial download is kept as .part and nothing else changes. */
static void
interrupt_mid_download (gboolean resume)
{
  g_autoptr(DemoServer) server = start_server ();
  g_autofree char *dir = make_dir ();
  g_autofree char *stall = NULL, *queued = NULL;
  g_autofree char *before = NULL, *after = NULL, *expected = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(EapTestChild) child = NULL;
  int status;

  demo_server_add_file (server, "/stall.bin", 4 * MiB, FALSE, 0, 2 * MiB);
  demo_server_add_file (server, "/queued.txt", 100, FALSE, 0, -1);
  stall = demo_server_dup_uri (server, "/stall.bin");
  queued = demo_server_dup_uri (server, "/queued.txt");
  write_file (dir, "stall.bin", "precious\n");
  write_file (dir, "other.txt", "untouched\n");
  before = list_dir (dir);

  {
    const char *args[] = { "-o", dir, "-j", "1", stall, queued, resume ? "--resume" : NULL, NULL };

    child = child_spawn (args);
  }

  CU_ASSERT_TRUE (eap_test_wait_until (output_shows_progress, child, CHILD_TIMEOUT_MS));
  CU_ASSERT_FALSE_FATAL (eap_test_child_is_done (child));
  g_subprocess_send_signal (child->process, SIGINT);

  status = eap_test_child_wait (child, 1, CHILD_TIMEOUT_MS);
  CU_ASSERT_EQUAL (status, 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (child->out->str, "cancelled: stall.bin"));
  CU_ASSERT_PTR_NOT_NULL (strstr (child->out->str, "0 of 2 downloaded"));

  after = list_dir (dir);
  if (resume)
    {
      /* The partial body is kept next to the untouched destination. */
      expected = g_strdup_printf ("other.txt 10\nstall.bin 9\nstall.bin.part %d\n", 2 * MiB);
      CU_ASSERT_STRING_EQUAL (after, expected);
      if (g_strcmp0 (after, expected) != 0)
        fprintf (stderr, "folder after SIGINT with --resume:\n%s", after);
    }
  else
    CU_ASSERT_STRING_EQUAL (after, before);

  kept = read_file (dir, "stall.bin");
  CU_ASSERT_STRING_EQUAL (kept, "precious\n");
  web_test_remove_dir (dir);
}

static void
test_sigint_leaves_folder_as_it_was (void)
{
  interrupt_mid_download (FALSE);
}

static void
test_sigint_with_resume_keeps_part (void)
{
  interrupt_mid_download (TRUE);
}

static void
test_demo (void)
{
  const char *args[] = { "--demo", NULL };
  g_autoptr(EapTestChild) child = NULL;
  int status;

  child = run (args, &status, DEMO_TIMEOUT_MS);
  CU_ASSERT_EQUAL (status, 0);
  CU_ASSERT_PTR_NOT_NULL (strstr (child->out->str, "Demo as expected"));
  /* The one 404, and nothing else, on stderr. */
  CU_ASSERT_PTR_NOT_NULL (strstr (child->err->str, "missing.txt"));
}

static CU_TestInfo download_tests[] = {
  { "several URLs at once: exit 0, right names and contents, no leftovers", test_downloads_succeed },
  { "two URLs with one file name get file and file.1", test_same_name_twice },
  { "a 404: exit 1, one reason line, nothing written for it", test_404_fails_with_reason },
  { "R12 R54 R57 a full disk: one clear reason, exit 1, nothing left behind",
    test_full_disk_fails_cleanly },
  { "a refused connection: exit 1 with a reason, --quiet prints nothing else",
    test_refused_connection_fails },
  { "usage errors exit 2", test_usage_errors },
  { "R57 SIGINT mid-download leaves the folder exactly as it was",
    test_sigint_leaves_folder_as_it_was },
  { "SIGINT with --resume keeps only the .part file", test_sigint_with_resume_keeps_part },
  { "--demo: every outcome as planned, exit 0", test_demo },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "EapDownload",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = download_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
