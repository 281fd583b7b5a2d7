/* fuzz-download-args.c: eap-download's command line and the file names it
 * derives from URLs
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * eap-download.c is included with its main() renamed, so that its static
 * parse_arguments(), file_name_from_uri() and add_job() can be called
 * without starting a download. Input: the arguments, split at NUL bytes
 * (argv[0] is "eap-download"). Arguments that would ask GOption for the
 * help (it prints it and exits) are left out.
 *
 * Checked: parse_arguments() either fails with an error or gives at least
 * one job slot and URLs xor --demo; every URL (and every argument, taken
 * as one) gives a file name that is non-empty, valid UTF-8, with no '/',
 * '\', control character or leading '.', at most 200 bytes (plus ".N"),
 * and the names of one run are distinct and stay inside the output folder.
 */

#include "config.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int eap_download_main (int argc, char *argv[]);

#define main eap_download_main
#include "eap-download.c"
#undef main

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { \
    g_printerr ("fuzz-download-args: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } G_STMT_END

#define MAX_ARGS 64

static gboolean
asks_for_help (const char *arg)
{
  if (arg[0] != '-')
    return FALSE;
  if (arg[1] == '-')
    return g_str_has_prefix (arg, "--help");
  /* A group of short options: -h and -? are help. */
  return strchr (arg, 'h') != NULL || strchr (arg, '?') != NULL;
}

static void
check_name (const char *name)
{
  const char *p;

  CHECK (name != NULL && name[0] != '\0');
  CHECK (g_utf8_validate (name, -1, NULL));
  CHECK (name[0] != '.');
  CHECK (strchr (name, '/') == NULL && strchr (name, '\\') == NULL);
  for (p = name; *p != '\0'; p = g_utf8_next_char (p))
    CHECK (!g_unichar_iscntrl (g_utf8_get_char (p)));
}

/* g_canonicalize_filename() keeps a leading "//" (POSIX leaves its meaning
 * to the system), while g_path_get_dirname ("//x") is "/": on Linux both
 * are the root, so compare them as one. */
static char *
canonical (const char *path)
{
  char *c = g_canonicalize_filename (path, "/");

  if (g_str_has_prefix (c, "//"))
    memmove (c, c + 1, strlen (c));
  return c;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *p = (const char *) data;
  const char *end = p + size;
  char **args_argv;
  int argc;
  Arguments args;

  while (p <= end && strings->len < MAX_ARGS)
    {
      const char *nul = memchr (p, '\0', end - p);
      const char *stop = nul != NULL ? nul : end;
      char *arg = g_strndup (p, stop - p);

      if (asks_for_help (arg))
        g_free (arg);
      else
        g_ptr_array_add (strings, arg);
      if (nul == NULL)
        break;
      p = nul + 1;
    }

  /* Any argument as a URL: a safe name. */
  for (guint i = 0; i < strings->len; i++)
    {
      g_autofree char *name = file_name_from_uri (g_ptr_array_index (strings, i));

      check_name (name);
      CHECK (strlen (name) <= 200);
    }

  g_ptr_array_add (argv, (char *) "eap-download");
  for (guint i = 0; i < strings->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (strings, i));
  g_ptr_array_add (argv, NULL);
  argc = (int) argv->len - 1;
  args_argv = (char **) argv->pdata;

  if (!parse_arguments (&argc, &args_argv, &args, &error))
    {
      CHECK (error != NULL);
      arguments_clear (&args);
      return 0;
    }
  CHECK (error == NULL);
  CHECK (args.max_jobs >= 1);
  CHECK (args.demo != (args.uris != NULL));

  if (args.uris != NULL)
    {
      App app = { 0 };
      g_autoptr(GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
      const char *dir = args.dir != NULL && args.dir[0] != '\0' ? args.dir : "/fuzz/out";

      app.dir = g_strdup (dir);
      app.jobs = g_ptr_array_new_with_free_func (job_free);
      for (guint i = 0; args.uris[i] != NULL && i < MAX_ARGS; i++)
        {
          Job *job = add_job (&app, taken, args.uris[i]);
          g_autofree char *base = g_path_get_basename (job->path);
          g_autofree char *parent = g_path_get_dirname (job->path);
          g_autofree char *canon_dir = canonical (dir);
          g_autofree char *canon_parent = canonical (parent);

          check_name (job->name);
          CHECK (strlen (job->name) <= 200 + 1 + 10);
          CHECK (strcmp (job->uri, args.uris[i]) == 0);
          CHECK (!g_hash_table_contains (names, job->name));
          g_hash_table_add (names, job->name);
          /* The file is in the output folder, not above or below it. */
          CHECK (strcmp (base, job->name) == 0);
          CHECK (strcmp (canon_parent, canon_dir) == 0);
        }
      g_ptr_array_unref (app.jobs);
      g_free (app.dir);
    }
  arguments_clear (&args);
  return 0;
}
