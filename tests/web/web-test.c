/* web-test.c: helpers shared by the EapWebClient and nginx suites
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "web-test.h"

#include <glib/gstdio.h>

void
web_test_pattern_fill (guint8 *buf,
                       gsize   offset,
                       gsize   len,
                       guint   seed)
{
  for (gsize i = 0; i < len; i++)
    {
      gsize at = offset + i;

      buf[i] = (guint8) ((at * 7) ^ (at >> 13) ^ (seed * 131u));
    }
}

guint8 *
web_test_pattern_new (gsize size,
                      guint seed)
{
  guint8 *buf = g_malloc (MAX (size, 1));

  web_test_pattern_fill (buf, 0, size, seed);
  return buf;
}

char *
web_test_pattern_sha256 (gsize size,
                         guint seed)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (1024 * 1024);

  for (gsize off = 0; off < size; off += 1024 * 1024)
    {
      gsize n = MIN ((gsize) 1024 * 1024, size - off);

      web_test_pattern_fill (buf, off, n, seed);
      g_checksum_update (sum, buf, n);
    }

  return g_strdup (g_checksum_get_string (sum));
}

char *
web_test_file_sha256 (const char *path)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (1024 * 1024);
  FILE *f = fopen (path, "rb");
  size_t n;

  if (f == NULL)
    return NULL;
  while ((n = fread (buf, 1, 1024 * 1024, f)) > 0)
    g_checksum_update (sum, buf, n);
  fclose (f);

  return g_strdup (g_checksum_get_string (sum));
}

gint64
web_test_file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;
  return (gint64) st.st_size;
}

gboolean
web_test_file_equals (const char *path,
                      const char *contents,
                      gssize      len)
{
  g_autofree char *data = NULL;
  gsize data_len = 0;

  if (len < 0)
    len = (gssize) strlen (contents);
  if (!g_file_get_contents (path, &data, &data_len, NULL))
    return FALSE;

  return data_len == (gsize) len && memcmp (data, contents, data_len) == 0;
}

void
web_test_write_file (const char *path,
                     const void *contents,
                     gsize       len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, (gssize) len, &error);
  g_assert_no_error (error);
}

char *
web_test_make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("eap-web-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
web_test_remove_dir (const char *dir)
{
  GDir *d;
  const char *name;

  if (dir == NULL)
    return;

  d = g_dir_open (dir, 0, NULL);
  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);

          if (g_file_test (path, G_FILE_TEST_IS_DIR) &&
              !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            web_test_remove_dir (path);
          else
            g_unlink (path);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char *
web_test_list_dir (const char *dir)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return g_strdup ("<unreadable>");
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);

  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);

  return g_strjoinv ("|", (char **) names->pdata);
}

EapCompletedArgs *
web_test_find_completed (EapTestRecorder *rec,
                         gpointer         user_state)
{
  EapCompletedArgs *ret = NULL;

  g_mutex_lock (&rec->mutex);
  for (guint i = 0; i < rec->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (rec->events, EapTestEvent, i);

      if (event->kind == EAP_TEST_EVENT_COMPLETED &&
          eap_completed_args_get_user_state (EAP_COMPLETED_ARGS (event->args)) == user_state)
        {
          ret = EAP_COMPLETED_ARGS (event->args);
          break;
        }
    }
  g_mutex_unlock (&rec->mutex);

  return ret;
}

typedef struct
{
  EapTestRecorder *rec;
  gpointer         user_state;
} WaitFor;

static gboolean
has_completed (gpointer data)
{
  WaitFor *w = data;

  return web_test_find_completed (w->rec, w->user_state) != NULL;
}

EapCompletedArgs *
web_test_wait_completed (EapTestRecorder *rec,
                         gpointer         user_state,
                         guint            timeout_ms)
{
  WaitFor w = { rec, user_state };

  eap_test_iterate_until (rec->context, has_completed, &w, timeout_ms);
  return web_test_find_completed (rec, user_state);
}

EapWebProgressArgs *
web_test_check_progress (EapTestRecorder *rec,
                         gpointer         user_state,
                         gboolean         success,
                         guint           *n_progress)
{
  EapWebProgressArgs *last = NULL;
  guint n = 0, n_completed = 0;
  gboolean after_completed = FALSE;
  int last_pct = 0;
  gint64 last_done = 0;
  gboolean ok_range = TRUE, ok_monotonic = TRUE, ok_bytes = TRUE, ok_unknown = TRUE;
  gboolean ok_type = TRUE;

  g_mutex_lock (&rec->mutex);
  for (guint i = 0; i < rec->events->len; i++)
    {
      EapTestEvent *event = &g_array_index (rec->events, EapTestEvent, i);
      EapProgressArgs *p;
      int pct;

      if (event->kind == EAP_TEST_EVENT_COMPLETED &&
          eap_completed_args_get_user_state (EAP_COMPLETED_ARGS (event->args)) == user_state)
        {
          n_completed++;
          continue;
        }
      if (event->kind != EAP_TEST_EVENT_PROGRESS)
        continue;
      p = EAP_PROGRESS_ARGS (event->args);
      if (eap_progress_args_get_user_state (p) != user_state)
        continue;

      if (n_completed > 0)
        after_completed = TRUE;
      n++;
      if (!EAP_IS_WEB_PROGRESS_ARGS (p))
        {
          ok_type = FALSE;
          continue;
        }
      pct = eap_progress_args_get_percentage (p);
      if (pct < 0 || pct > 100)
        ok_range = FALSE;
      if (pct < last_pct)
        ok_monotonic = FALSE;
      if (eap_progress_args_get_done (p) < last_done)
        ok_bytes = FALSE;
      if (eap_progress_args_get_total (p) < 0 &&
          (!eap_progress_args_get_indeterminate (p) || pct != 0))
        ok_unknown = FALSE;
      last_pct = pct;
      last_done = eap_progress_args_get_done (p);
      last = EAP_WEB_PROGRESS_ARGS (p);
    }
  g_mutex_unlock (&rec->mutex);

  CU_ASSERT_TRUE (ok_type);          /* progress is an EapWebProgressArgs */
  CU_ASSERT_EQUAL (n_completed, 1);  /* R15 */
  CU_ASSERT_FALSE (after_completed); /* R17 */
  CU_ASSERT_TRUE (ok_range);         /* R32 */
  CU_ASSERT_TRUE (ok_monotonic);     /* R32 */
  CU_ASSERT_TRUE (ok_bytes);
  CU_ASSERT_TRUE (ok_unknown);       /* R33 */

  if (success && last != NULL &&
      eap_progress_args_get_total (EAP_PROGRESS_ARGS (last)) >= 0)
    {
      EapProgressArgs *p = EAP_PROGRESS_ARGS (last);

      /* R35 */
      if (eap_progress_args_get_done (p) != eap_progress_args_get_total (p))
        fprintf (stderr, "\n  R35: last progress %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "\n",
                 eap_progress_args_get_done (p), eap_progress_args_get_total (p));
      CU_ASSERT_EQUAL (eap_progress_args_get_done (p), eap_progress_args_get_total (p));
      CU_ASSERT_EQUAL (eap_progress_args_get_percentage (p), 100);
    }

  if (n_progress != NULL)
    *n_progress = n;

  return last;
}

#define CHECK_AT(cond, file, line) \
  CU_assertImplementation ((cond) ? CU_TRUE : CU_FALSE, (unsigned int) (line), #cond, (file), "", CU_FALSE)

void
web_test_assert_error (EapCompletedArgs *args,
                       GQuark            domain,
                       int               code,
                       const char       *uri_part,
                       const char       *file,
                       int               line)
{
  const GError *e = args ? eap_completed_args_get_error (args) : NULL;

  CHECK_AT (args != NULL, file, line);
  CHECK_AT (e != NULL, file, line);
  if (e != NULL)
    {
      if (!g_error_matches (e, domain, code))
        fprintf (stderr, "\n  %s:%d: expected %s %d, got %s %d: %s\n", file, line,
                 g_quark_to_string (domain), code, g_quark_to_string (e->domain), e->code, e->message);
      CHECK_AT (g_error_matches (e, domain, code), file, line);
      if (uri_part != NULL && strstr (e->message, uri_part) == NULL)
        fprintf (stderr, "\n  %s:%d: message “%s” does not name “%s”\n", file, line, e->message, uri_part);
      CHECK_AT (uri_part == NULL || strstr (e->message, uri_part) != NULL, file, line);
    }
  if (args != NULL)
    CHECK_AT (!eap_completed_args_get_cancelled (args), file, line);
}

void
web_test_assert_success (EapCompletedArgs *args,
                         const char       *file,
                         int               line)
{
  const GError *e = args ? eap_completed_args_get_error (args) : NULL;

  CHECK_AT (args != NULL, file, line);
  if (e != NULL)
    fprintf (stderr, "\n  %s:%d: unexpected error %s %d: %s\n", file, line,
             g_quark_to_string (e->domain), e->code, e->message);
  CHECK_AT (e == NULL, file, line);
  if (args != NULL)
    CHECK_AT (!eap_completed_args_get_cancelled (args), file, line);
}
