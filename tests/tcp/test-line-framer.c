/* test-line-framer.c: the line splitter of EapTcpClient's line framing
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pure unit tests of eap-line-framer-private.h: the rules it states, fed
 * whole, split at every position, and one byte at a time.
 */

#include "eap-test.h"
#include "eap-line-framer-private.h"

#include <string.h>

extern CU_TestInfo eap_line_framer_tests[];

typedef struct
{
  GPtrArray *lines;      /* (element-type utf8) */
  guint      stop_after; /* 0: never stop */
} Collect;

static gboolean
collect_cb (const char *line,
            gsize       length,
            gpointer    user_data)
{
  Collect *c = user_data;

  CU_ASSERT_EQUAL (strlen (line), length);
  g_ptr_array_add (c->lines, g_strdup (line));
  return c->stop_after == 0 || c->lines->len < c->stop_after;
}

static void
collect_init (Collect *c)
{
  c->lines = g_ptr_array_new_with_free_func (g_free);
  c->stop_after = 0;
}

static void
collect_clear (Collect *c)
{
  g_ptr_array_unref (c->lines);
}

static void
test_crlf_and_lf (void)
{
  EapLineFramer f;
  Collect c;
  const char *in = "one\r\ntwo\nthree\r\r\n\nfour\rfive\n";
  GError *error = NULL;

  collect_init (&c);
  eap_line_framer_init (&f, 100);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) in, strlen (in), collect_cb, &c, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_EQUAL (c.lines->len, 5);
  if (c.lines->len == 5)
    {
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[0], "one");
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[1], "two");
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[2], "three\r");
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[3], "");
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[4], "four\rfive");
    }
  CU_ASSERT_EQUAL (eap_line_framer_pending (&f), 0);
  CU_ASSERT_PTR_NULL (f.partial);
  eap_line_framer_clear (&f);
  collect_clear (&c);
}

static void
test_split_everywhere (void)
{
  const char *in = "alpha\r\nbeta\n\r\ngamma delta\r\nx\n";
  gsize len = strlen (in);

  for (gsize i = 0; i <= len; i++)
    for (gsize j = i; j <= len; j++)
      {
        EapLineFramer f;
        Collect c;

        collect_init (&c);
        eap_line_framer_init (&f, 11);
        CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) in, i, collect_cb, &c, NULL));
        CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) in + i, j - i, collect_cb, &c, NULL));
        CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) in + j, len - j, collect_cb, &c, NULL));
        CU_ASSERT_EQUAL (c.lines->len, 5);
        if (c.lines->len == 5)
          {
            CU_ASSERT_STRING_EQUAL (c.lines->pdata[0], "alpha");
            CU_ASSERT_STRING_EQUAL (c.lines->pdata[1], "beta");
            CU_ASSERT_STRING_EQUAL (c.lines->pdata[2], "");
            CU_ASSERT_STRING_EQUAL (c.lines->pdata[3], "gamma delta");
            CU_ASSERT_STRING_EQUAL (c.lines->pdata[4], "x");
          }
        CU_ASSERT_PTR_NULL (f.partial);
        eap_line_framer_clear (&f);
        collect_clear (&c);
      }
}

static void
test_one_byte_at_a_time (void)
{
  const char *in = "a\r\nbc\r\n\r\nd\n";
  EapLineFramer f;
  Collect c;

  collect_init (&c);
  eap_line_framer_init (&f, 2);
  for (gsize i = 0; in[i] != '\0'; i++)
    CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) in + i, 1, collect_cb, &c, NULL));
  CU_ASSERT_EQUAL (c.lines->len, 4);
  if (c.lines->len == 4)
    {
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[1], "bc");
      CU_ASSERT_STRING_EQUAL (c.lines->pdata[2], "");
    }
  eap_line_framer_clear (&f);
  collect_clear (&c);
}

static void
test_exact_max_length (void)
{
  /* Exactly max bytes, with LF, with CR LF, and with the CR LF split. */
  const char *ins[] = { "abcd\n", "abcd\r\n" };

  for (guint k = 0; k < G_N_ELEMENTS (ins); k++)
    for (gsize split = 0; split <= strlen (ins[k]); split++)
      {
        EapLineFramer f;
        Collect c;
        GError *error = NULL;

        collect_init (&c);
        eap_line_framer_init (&f, 4);
        CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) ins[k], split, collect_cb, &c, &error));
        CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) ins[k] + split,
                                              strlen (ins[k]) - split, collect_cb, &c, &error));
        CU_ASSERT_PTR_NULL (error);
        CU_ASSERT_EQUAL (c.lines->len, 1);
        if (c.lines->len == 1)
          CU_ASSERT_STRING_EQUAL (c.lines->pdata[0], "abcd");
        eap_line_framer_clear (&f);
        collect_clear (&c);
      }
}

static void
test_over_max_fails_before_lf (void)
{
  EapLineFramer f;
  Collect c;
  GError *error = NULL;

  /* max + 1 bytes without any LF: known too long already. */
  collect_init (&c);
  eap_line_framer_init (&f, 4);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) "ok\nabcd", 7, collect_cb, &c, &error));
  CU_ASSERT_EQUAL (eap_line_framer_pending (&f), 4);
  CU_ASSERT_FALSE (eap_line_framer_feed (&f, (const guint8 *) "e", 1, collect_cb, &c, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED));
  CU_ASSERT_EQUAL (c.lines->len, 1);
  CU_ASSERT_EQUAL (eap_line_framer_pending (&f), 0);
  g_clear_error (&error);

  /* Spent: feeding again is a programming error. */
  EAP_TEST_EXPECT_CRITICAL (CU_ASSERT_FALSE (eap_line_framer_feed (&f, (const guint8 *) "x", 1,
                                                                   collect_cb, &c, NULL)));
  eap_line_framer_clear (&f);

  /* A CR at max + 1 may still be the terminator; anything else after it is not. */
  eap_line_framer_init (&f, 4);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) "abcd\r", 5, collect_cb, &c, &error));
  CU_ASSERT_FALSE (eap_line_framer_feed (&f, (const guint8 *) "x", 1, collect_cb, &c, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED));
  g_clear_error (&error);
  eap_line_framer_clear (&f);

  /* A whole chunk with an over-long line and its LF fails too. */
  eap_line_framer_init (&f, 4);
  CU_ASSERT_FALSE (eap_line_framer_feed (&f, (const guint8 *) "abcde\n", 6, collect_cb, &c, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED));
  g_clear_error (&error);
  eap_line_framer_clear (&f);

  collect_clear (&c);
}

static void
test_nul_fails (void)
{
  EapLineFramer f;
  Collect c;
  GError *error = NULL;

  collect_init (&c);
  eap_line_framer_init (&f, 100);
  CU_ASSERT_FALSE (eap_line_framer_feed (&f, (const guint8 *) "ok\nb\0d\n", 7, collect_cb, &c, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_PROTOCOL));
  CU_ASSERT_EQUAL (c.lines->len, 1);
  g_clear_error (&error);
  eap_line_framer_clear (&f);

  /* In the partial part of a line. */
  eap_line_framer_init (&f, 100);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) "ab", 2, collect_cb, &c, &error));
  CU_ASSERT_FALSE (eap_line_framer_feed (&f, (const guint8 *) "\0", 1, collect_cb, &c, &error));
  CU_ASSERT_TRUE (g_error_matches (error, EAP_ERROR, EAP_ERROR_PROTOCOL));
  g_clear_error (&error);
  eap_line_framer_clear (&f);
  collect_clear (&c);
}

static void
test_stop_from_callback (void)
{
  EapLineFramer f;
  Collect c;
  GError *error = NULL;

  collect_init (&c);
  c.stop_after = 2;
  eap_line_framer_init (&f, 100);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) "a\nb\nc\nd", 7, collect_cb, &c, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_EQUAL (c.lines->len, 2);
  CU_ASSERT_EQUAL (eap_line_framer_pending (&f), 0);
  CU_ASSERT_TRUE (f.spent);
  eap_line_framer_clear (&f);
  collect_clear (&c);
}

static void
test_idle_holds_no_buffer (void)
{
  EapLineFramer f;
  Collect c;

  collect_init (&c);
  eap_line_framer_init (&f, 100);
  CU_ASSERT_PTR_NULL (f.partial);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) "abc", 3, collect_cb, &c, NULL));
  CU_ASSERT_PTR_NOT_NULL (f.partial);
  CU_ASSERT_EQUAL (eap_line_framer_pending (&f), 3);
  CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) "\r\nxy\n", 5, collect_cb, &c, NULL));
  CU_ASSERT_PTR_NULL (f.partial);
  CU_ASSERT_EQUAL (eap_line_framer_pending (&f), 0);
  CU_ASSERT_EQUAL (c.lines->len, 2);
  eap_line_framer_clear (&f);

  /* Long lines (past the stack copy) too. */
  eap_line_framer_init (&f, 8192);
  {
    g_autofree char *big = g_strnfill (5000, 'z');
    big[4999] = '\n';
    CU_ASSERT_TRUE (eap_line_framer_feed (&f, (const guint8 *) big, 5000, collect_cb, &c, NULL));
    CU_ASSERT_EQUAL_FATAL (c.lines->len, 3);
    CU_ASSERT_EQUAL (strlen (c.lines->pdata[2]), 4999);
  }
  CU_ASSERT_PTR_NULL (f.partial);
  eap_line_framer_clear (&f);
  collect_clear (&c);
}

CU_TestInfo eap_line_framer_tests[] = {
  { "CR LF and LF end lines; other CRs stay", test_crlf_and_lf },
  { "a stream split at every two positions gives the same lines", test_split_everywhere },
  { "one byte at a time", test_one_byte_at_a_time },
  { "a line of exactly max-line-length passes, however split", test_exact_max_length },
  { "max + 1 fails with LIMIT_EXCEEDED before the LF arrives; spent after", test_over_max_fails_before_lf },
  { "a NUL fails with EAP_ERROR_PROTOCOL", test_nul_fails },
  { "the callback stops feeding", test_stop_from_callback },
  { "an idle framer holds no buffer", test_idle_holds_no_buffer },
  CU_TEST_INFO_NULL,
};
