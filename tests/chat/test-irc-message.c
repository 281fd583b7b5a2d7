/* test-irc-message.c: the IRC message parser and formatter
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pure functions: no context, no sockets. Each case states what a chat
 * server or client relies on when it reads a peer's line or writes one.
 */

#include <CUnit/CUnit.h>
#include <string.h>

#include "eap-test.h"
#include "irc-message.h"

static IrcMessage *
parse (const char *line)
{
  g_autoptr(GError) error = NULL;
  IrcMessage *message = irc_message_parse (line, strlen (line), &error);

  CU_ASSERT_PTR_NULL (error);
  return message;
}

static void
assert_parse_error (const char *line,
                    gsize       length,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  IrcMessage *message = irc_message_parse (line, length, &error);

  CU_ASSERT_PTR_NULL (message);
  CU_ASSERT_TRUE (g_error_matches (error, IRC_MESSAGE_ERROR, code));
  irc_message_free (message);
}

static void
test_prefix_command_params (void)
{
  g_autoptr(IrcMessage) m = parse (":nick!user@host privmsg #chan :hello there");

  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  CU_ASSERT_STRING_EQUAL (m->prefix, "nick!user@host");
  CU_ASSERT_STRING_EQUAL (m->command, "PRIVMSG");   /* upper-cased */
  CU_ASSERT_EQUAL (irc_message_n_params (m), 2);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (m, 0), "#chan");
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (m, 1), "hello there");
  CU_ASSERT_PTR_NULL (irc_message_get_param (m, 2));
}

static void
test_no_prefix_numeric_middle_params (void)
{
  g_autoptr(IrcMessage) m = parse ("001 alice Welcome");
  g_autoptr(IrcMessage) u = parse ("USER  guest 0  *   :Real Name ");

  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  CU_ASSERT_PTR_NULL (m->prefix);
  CU_ASSERT_STRING_EQUAL (m->command, "001");
  CU_ASSERT_EQUAL (irc_message_n_params (m), 2);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (m, 1), "Welcome");

  /* Runs of spaces separate; the trailing keeps its own spaces. */
  CU_ASSERT_PTR_NOT_NULL_FATAL (u);
  CU_ASSERT_EQUAL (irc_message_n_params (u), 4);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (u, 0), "guest");
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (u, 2), "*");
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (u, 3), "Real Name ");
}

static void
test_empty_trailing (void)
{
  g_autoptr(IrcMessage) m = parse ("TOPIC #chan :");
  g_autoptr(IrcMessage) colon = parse ("PRIVMSG bob ::-)");
  g_autofree char *line = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  CU_ASSERT_EQUAL (irc_message_n_params (m), 2);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (m, 1), "");
  line = irc_message_to_line (m);
  CU_ASSERT_STRING_EQUAL (line, "TOPIC #chan :");

  CU_ASSERT_PTR_NOT_NULL_FATAL (colon);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (colon, 1), ":-)");
}

static void
test_fifteen_params (void)
{
  g_autoptr(IrcMessage) m = parse ("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15");
  g_autoptr(IrcMessage) more = parse ("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17");

  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  CU_ASSERT_EQUAL (irc_message_n_params (m), IRC_MAX_PARAMS);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (m, 14), "15");

  /* RFC 2812: after 14 middles the rest is the 15th, ':' or not. */
  CU_ASSERT_PTR_NOT_NULL_FATAL (more);
  CU_ASSERT_EQUAL (irc_message_n_params (more), IRC_MAX_PARAMS);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (more, 14), "15 16 17");
}

static void
test_tags_skipped (void)
{
  g_autoptr(IrcMessage) m = parse ("@time=2026-01-01T00:00:00Z;msgid=x :a!b@c PRIVMSG #c :hi");
  g_autoptr(GString) tags = g_string_new ("@");
  g_autoptr(IrcMessage) big = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  CU_ASSERT_STRING_EQUAL (m->prefix, "a!b@c");
  CU_ASSERT_STRING_EQUAL (m->command, "PRIVMSG");
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (m, 1), "hi");

  /* Tags do not count against the 510 bytes of the message. */
  while (tags->len < 600)
    g_string_append (tags, "k=v;");
  g_string_append (tags, " PING :x");
  big = parse (tags->str);
  CU_ASSERT_PTR_NOT_NULL_FATAL (big);
  CU_ASSERT_STRING_EQUAL (big->command, "PING");

  assert_parse_error ("@only-tags", 10, IRC_MESSAGE_ERROR_MALFORMED);
}

static void
test_too_long (void)
{
  char line[IRC_MAX_LINE + 2];
  g_autoptr(IrcMessage) m = NULL;

  memset (line, 'a', sizeof line);
  memcpy (line, "PRIVMSG #c :", 12);
  line[IRC_MAX_LINE] = '\0';
  m = parse (line);                     /* exactly 510: fine */
  CU_ASSERT_PTR_NOT_NULL (m);

  line[IRC_MAX_LINE] = 'a';
  line[IRC_MAX_LINE + 1] = '\0';        /* 511: too long */
  assert_parse_error (line, IRC_MAX_LINE + 1, IRC_MESSAGE_ERROR_TOO_LONG);
}

static void
test_malformed_and_empty (void)
{
  assert_parse_error ("", 0, IRC_MESSAGE_ERROR_EMPTY);
  assert_parse_error ("   ", 3, IRC_MESSAGE_ERROR_EMPTY);
  assert_parse_error (":prefix-only", 12, IRC_MESSAGE_ERROR_MALFORMED);
  assert_parse_error (": PRIVMSG x", 11, IRC_MESSAGE_ERROR_MALFORMED);
  assert_parse_error ("12 x", 4, IRC_MESSAGE_ERROR_MALFORMED);
  assert_parse_error ("1234 x", 6, IRC_MESSAGE_ERROR_MALFORMED);
  assert_parse_error ("PRIV1MSG x", 10, IRC_MESSAGE_ERROR_MALFORMED);
}

static void
test_bad_bytes_refused_by_parse (void)
{
  assert_parse_error ("PRIVMSG #c :a\rb", 15, IRC_MESSAGE_ERROR_BAD_BYTES);
  assert_parse_error ("PRIVMSG #c :a\nb", 15, IRC_MESSAGE_ERROR_BAD_BYTES);
  assert_parse_error ("PRIVMSG #c :a\0b", 15, IRC_MESSAGE_ERROR_BAD_BYTES);
}

static void
test_to_line_round_trip (void)
{
  g_autoptr(IrcMessage) m = irc_message_new ("eap.local", "353");
  g_autoptr(IrcMessage) back = NULL;
  g_autofree char *line = NULL;

  irc_message_add_param (m, "alice");
  irc_message_add_param (m, "=");
  irc_message_add_param (m, "#chan");
  irc_message_add_param (m, "alice bob");
  line = irc_message_to_line (m);
  CU_ASSERT_STRING_EQUAL (line, ":eap.local 353 alice = #chan :alice bob");

  back = parse (line);
  CU_ASSERT_PTR_NOT_NULL_FATAL (back);
  CU_ASSERT_STRING_EQUAL (back->prefix, "eap.local");
  CU_ASSERT_EQUAL (irc_message_n_params (back), 4);
  CU_ASSERT_STRING_EQUAL (irc_message_get_param (back, 3), "alice bob");
}

static void
test_to_line_refuses_cr_lf_nul (void)
{
  const char *bad[] = { "a\rb", "a\nb", "x\r\nQUIT :pwned" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(IrcMessage) in_param = irc_message_new ("n!u@h", "PRIVMSG");
      g_autoptr(IrcMessage) in_prefix = irc_message_new (bad[i], "PRIVMSG");
      g_autoptr(IrcMessage) in_command = irc_message_new (NULL, bad[i]);
      g_autofree char *l1 = NULL, *l2 = NULL, *l3 = NULL;

      irc_message_add_param (in_param, "#c");
      irc_message_add_param (in_param, bad[i]);
      irc_message_add_param (in_prefix, "#c");
      l1 = irc_message_to_line (in_param);
      l2 = irc_message_to_line (in_prefix);
      l3 = irc_message_to_line (in_command);
      CU_ASSERT_PTR_NULL (l1);
      CU_ASSERT_PTR_NULL (l2);
      CU_ASSERT_PTR_NULL (l3);
    }
}

static void
test_to_line_refuses_bad_shape (void)
{
  g_autoptr(IrcMessage) middle_space = irc_message_new (NULL, "PRIVMSG");
  g_autoptr(IrcMessage) too_long = irc_message_new (NULL, "PRIVMSG");
  g_autofree char *text = g_strnfill (IRC_MAX_LINE, 'x');
  g_autofree char *l1 = NULL, *l2 = NULL;

  /* Only the last parameter may hold a space. */
  irc_message_add_param (middle_space, "a b");
  irc_message_add_param (middle_space, "text");
  l1 = irc_message_to_line (middle_space);
  CU_ASSERT_PTR_NULL (l1);

  irc_message_add_param (too_long, "#c");
  irc_message_add_param (too_long, text);
  l2 = irc_message_to_line (too_long);
  CU_ASSERT_PTR_NULL (l2);
}

static void
test_nick_validity (void)
{
  const char *good[] = { "alice", "a", "[x]", "`_^{|}", "bob-2", "Nick123456789012345678901234567" + 1 };
  const char *bad[] = { "", "1abc", "-x", "a b", "a!b", "a@b", "a,b", "#chan", "ä",
                        "abcdefghijklmnopqrstuvwxyz01234" /* 31 */ };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    CU_ASSERT_TRUE (irc_nick_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    CU_ASSERT_FALSE (irc_nick_is_valid (bad[i]));
  CU_ASSERT_FALSE (irc_nick_is_valid (NULL));
  CU_ASSERT_EQUAL (strlen (good[5]), IRC_MAX_NICK);
}

static void
test_channel_validity (void)
{
  g_autofree char *max = g_strnfill (IRC_MAX_CHANNEL, 'c');
  g_autofree char *over = g_strnfill (IRC_MAX_CHANNEL + 1, 'c');
  const char *good[] = { "#a", "&local", "#ünïcode", "#with.dots-and_[x]" };
  const char *bad[] = { "", "#", "chan", "#a b", "#a,b", "#a\ab", "#a:b", "#a\rb", "#a\nb" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    CU_ASSERT_TRUE (irc_channel_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    CU_ASSERT_FALSE (irc_channel_is_valid (bad[i]));

  max[0] = '#';
  over[0] = '#';
  CU_ASSERT_TRUE (irc_channel_is_valid (max));
  CU_ASSERT_FALSE (irc_channel_is_valid (over));
}

static void
test_casefold (void)
{
  g_autofree char *folded = irc_casefold ("Nick[A]\\~");

  CU_ASSERT_STRING_EQUAL (folded, "nick{a}|^");
  CU_ASSERT_EQUAL (irc_casecmp ("FOO[]", "foo{}"), 0);
  CU_ASSERT_EQUAL (irc_casecmp ("#Chan", "#chan"), 0);
  CU_ASSERT_TRUE (irc_casecmp ("a", "b") < 0);
  CU_ASSERT_TRUE (irc_casecmp ("b", "A") > 0);
  CU_ASSERT_TRUE (irc_casecmp ("abc", "ab") > 0);
}

static void
test_truncate_utf8 (void)
{
  /* "aé€😀": 1 + 2 + 3 + 4 bytes */
  const char *text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  const gsize expect[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10 };

  for (gsize max = 0; max < G_N_ELEMENTS (expect); max++)
    {
      g_autofree char *cut = irc_truncate_utf8 (text, max);

      CU_ASSERT_EQUAL (strlen (cut), expect[max]);
      CU_ASSERT_TRUE (g_utf8_validate (cut, -1, NULL));
      CU_ASSERT_EQUAL (strncmp (cut, text, strlen (cut)), 0);
    }
}

static CU_TestInfo irc_message_tests[] = {
  { "prefix, command (upper-cased), params and trailing", test_prefix_command_params },
  { "no prefix, numerics, runs of spaces", test_no_prefix_numeric_middle_params },
  { "empty trailing and a trailing starting with ':'", test_empty_trailing },
  { "15 params at most, the 15th takes the rest", test_fifteen_params },
  { "IRCv3 tags are skipped", test_tags_skipped },
  { "a line over 510 bytes is too long", test_too_long },
  { "empty and malformed lines", test_malformed_and_empty },
  { "CR, LF, NUL refused by parse", test_bad_bytes_refused_by_parse },
  { "to_line: ':' on the last param, round trip", test_to_line_round_trip },
  { "to_line refuses CR and LF anywhere", test_to_line_refuses_cr_lf_nul },
  { "to_line refuses a space in a middle param and over 510 bytes", test_to_line_refuses_bad_shape },
  { "nick validity (RFC 2812)", test_nick_validity },
  { "channel validity", test_channel_validity },
  { "RFC 1459 casefold", test_casefold },
  { "UTF-8 truncation never splits a sequence", test_truncate_utf8 },
  CU_TEST_INFO_NULL,
};

int
main (int   argc,
      char *argv[])
{
  CU_SuiteInfo suites[] = {
    {
      .pName = "IrcMessage",
      .pSetUpFunc = eap_test_setup,
      .pTearDownFunc = eap_test_teardown,
      .pTests = irc_message_tests,
    },
    CU_SUITE_INFO_NULL,
  };

  eap_test_init ();
  return eap_test_main (argc, argv, suites);
}
