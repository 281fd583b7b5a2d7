/* web-test.h: helpers shared by the EapWebClient and nginx suites
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "eap-test.h"

#include <stdio.h>
#include <string.h>

G_BEGIN_DECLS

#define WEB_TEST_BIG_SIZE ((gsize) 64 * 1024 * 1024)

/* Deterministic content: byte i of pattern @seed depends on i and @seed,
 * and differs between 8 KiB blocks, so a lost, doubled or reordered block
 * changes the checksum. */
void      web_test_pattern_fill     (guint8     *buf,
                                     gsize       offset,
                                     gsize       len,
                                     guint       seed);
guint8   *web_test_pattern_new      (gsize       size,
                                     guint       seed);
char     *web_test_pattern_sha256   (gsize       size,
                                     guint       seed);
/* SHA-256 of a file, streamed; NULL if it cannot be read. */
char     *web_test_file_sha256      (const char *path);
gint64    web_test_file_size        (const char *path);
gboolean  web_test_file_equals      (const char *path,
                                     const char *contents,
                                     gssize      len);
void      web_test_write_file       (const char *path,
                                     const void *contents,
                                     gsize       len);

/* A fresh folder per test, and its removal (files and one level of
 * sub-folders). */
char     *web_test_make_tmp_dir     (void);
void      web_test_remove_dir       (const char *dir);
/* The names in @dir, sorted, joined with "|" ("" when empty). */
char     *web_test_list_dir         (const char *dir);

/* The completed args of the op started with @user_state, waiting for them
 * up to @timeout_ms; NULL if none came. Owned by the recorder. */
EapCompletedArgs   *web_test_wait_completed (EapTestRecorder *rec,
                                             gpointer         user_state,
                                             guint            timeout_ms);
EapCompletedArgs   *web_test_find_completed (EapTestRecorder *rec,
                                             gpointer         user_state);

/* Checks the progress of @user_state's op as recorded (R17 order, R32
 * percentage 0-100 and non-decreasing, bytes non-decreasing, R33 unknown
 * total gives indeterminate and 0 %, R35 a successful op with a known
 * total ends on done == total and 100 %). Returns the last progress args
 * (owned by the recorder) or NULL if there was none; @n_progress gets the
 * count. */
EapWebProgressArgs *web_test_check_progress (EapTestRecorder *rec,
                                             gpointer         user_state,
                                             gboolean         success,
                                             guint           *n_progress);

/* Asserts that @args failed with @domain/@code, not cancelled, and that its
 * message names @uri_part (when non-NULL); failures are reported at the
 * caller's line. */
#define WEB_TEST_ASSERT_ERROR(args, domain, code, uri_part) \
  web_test_assert_error ((EapCompletedArgs *) (args), (domain), (code), (uri_part), __FILE__, __LINE__)
/* Asserts success, printing the error if there was one. */
#define WEB_TEST_ASSERT_SUCCESS(args) \
  web_test_assert_success ((EapCompletedArgs *) (args), __FILE__, __LINE__)

void web_test_assert_error   (EapCompletedArgs *args,
                              GQuark            domain,
                              int               code,
                              const char       *uri_part,
                              const char       *file,
                              int               line);
void web_test_assert_success (EapCompletedArgs *args,
                              const char       *file,
                              int               line);

/* The "Nginx" suite (test-nginx.c), run by the same binary. */
extern CU_TestInfo web_nginx_tests[];

G_END_DECLS
