/* fuzz-irc-message.c: the IRC message parser and formatter of the chat
 * examples (examples/chat/irc-message.c)
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The whole input is one line for irc_message_parse(). A parsed message
 * must be well formed (a valid command, at most IRC_MAX_PARAMS params, no
 * CR/LF/NUL anywhere, middle params non-empty without spaces or a leading
 * ':'), and parse -> to_line -> parse must give the same message back
 * (to_line fails only when the message would pass IRC_MAX_LINE bytes).
 *
 * The input split on LF is also a message built by hand (piece 0 the
 * prefix, 1 the command, the rest params): when irc_message_to_line()
 * accepts it, the line has no CR/LF, fits IRC_MAX_LINE, and parses back
 * to the same message. Every piece also goes through the nick and channel
 * validators, irc_casefold(), irc_casecmp() and irc_truncate_utf8().
 */

#include "irc-message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { \
    g_printerr ("fuzz-irc-message: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } G_STMT_END

static gboolean
has_bad_bytes (const char *s)
{
  return strpbrk (s, "\r\n") != NULL;
}

static void
check_well_formed (const IrcMessage *m)
{
  guint n = irc_message_n_params (m);
  const char *cmd = m->command;

  CHECK (cmd != NULL && cmd[0] != '\0');
  if (g_ascii_isdigit (cmd[0]))
    CHECK (strlen (cmd) == 3 && g_ascii_isdigit (cmd[1]) && g_ascii_isdigit (cmd[2]));
  else
    for (const char *c = cmd; *c != '\0'; c++)
      CHECK (g_ascii_isupper (*c));
  if (m->prefix != NULL)
    CHECK (m->prefix[0] != '\0' && strchr (m->prefix, ' ') == NULL && !has_bad_bytes (m->prefix));
  CHECK (n <= IRC_MAX_PARAMS);
  for (guint i = 0; i < n; i++)
    {
      const char *p = irc_message_get_param (m, i);

      CHECK (p != NULL);
      CHECK (!has_bad_bytes (p));
      if (i + 1 < n)
        CHECK (p[0] != '\0' && p[0] != ':' && strchr (p, ' ') == NULL);
    }
  CHECK (irc_message_get_param (m, n) == NULL);
}

static void
check_same (const IrcMessage *a,
            const IrcMessage *b)
{
  CHECK (g_strcmp0 (a->prefix, b->prefix) == 0);
  CHECK (strcmp (a->command, b->command) == 0);
  CHECK (irc_message_n_params (a) == irc_message_n_params (b));
  for (guint i = 0; i < irc_message_n_params (a); i++)
    CHECK (strcmp (irc_message_get_param (a, i), irc_message_get_param (b, i)) == 0);
}

/* to_line and back: the same message, the same line. */
static void
check_round_trip (const IrcMessage *m,
                  const char       *line)
{
  g_autoptr(IrcMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line2 = NULL;

  CHECK (strlen (line) <= IRC_MAX_LINE);
  CHECK (!has_bad_bytes (line));
  again = irc_message_parse (line, strlen (line), &error);
  CHECK (again != NULL);
  check_well_formed (again);
  check_same (m, again);
  line2 = irc_message_to_line (again);
  CHECK (line2 != NULL && strcmp (line, line2) == 0);
}

static void
check_parse (const char *line,
             gsize       length)
{
  g_autoptr(IrcMessage) m = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *body = line;
  const char *end = line + length;

  m = irc_message_parse (line, length, &error);
  if (m == NULL)
    {
      CHECK (error != NULL && error->domain == IRC_MESSAGE_ERROR);
      if (memchr (line, '\0', length) != NULL || memchr (line, '\r', length) != NULL
          || memchr (line, '\n', length) != NULL)
        CHECK (error->code == IRC_MESSAGE_ERROR_BAD_BYTES);
      return;
    }
  CHECK (error == NULL);
  CHECK (memchr (line, '\0', length) == NULL);
  check_well_formed (m);

  /* The same through the NUL-terminated entry. */
  {
    g_autofree char *copy = g_strndup (line, length);
    g_autoptr(IrcMessage) m2 = irc_message_parse (copy, (gsize) -1, NULL);

    CHECK (m2 != NULL);
    check_same (m, m2);
  }

  /* The message proper, after tags and spaces: to_line adds at most one
   * byte (a ':' before a 15th param that holds spaces). */
  if (body < end && *body == '@')
    body = memchr (body, ' ', end - body);
  while (body < end && *body == ' ')
    body++;

  out = irc_message_to_line (m);
  if (out == NULL)
    CHECK ((gsize) (end - body) >= IRC_MAX_LINE);
  else
    check_round_trip (m, out);
}

static gboolean
command_is_valid (const char *cmd)
{
  gsize n = strlen (cmd);

  if (n == 0)
    return FALSE;
  if (g_ascii_isdigit (cmd[0]))
    return n == 3 && g_ascii_isdigit (cmd[1]) && g_ascii_isdigit (cmd[2]);
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isupper (cmd[i]))
      return FALSE;
  return TRUE;
}

static int
sign (int v)
{
  return v < 0 ? -1 : v > 0 ? 1 : 0;
}

static void
check_names (const char *a,
             const char *b,
             gsize       max_bytes)
{
  g_autofree char *fa = irc_casefold (a);
  g_autofree char *fb = irc_casefold (b);
  g_autofree char *ffa = irc_casefold (fa);
  g_autofree char *cut = irc_truncate_utf8 (a, max_bytes);
  gsize la = strlen (a);

  /* casefold: same length, idempotent; casecmp is strcmp of the folds. */
  CHECK (strlen (fa) == la);
  CHECK (strcmp (fa, ffa) == 0);
  CHECK (sign (irc_casecmp (a, b)) == sign (strcmp (fa, fb)));
  CHECK (sign (irc_casecmp (a, b)) == -sign (irc_casecmp (b, a)));
  CHECK (irc_casecmp (a, fa) == 0);

  if (irc_nick_is_valid (a))
    {
      CHECK (la >= 1 && la <= IRC_MAX_NICK);
      CHECK (strpbrk (a, " ,:!@#&\r\n\a") == NULL);
      CHECK (irc_nick_is_valid (fa));
    }
  if (irc_channel_is_valid (a))
    {
      CHECK (la >= 2 && la <= IRC_MAX_CHANNEL);
      CHECK (a[0] == '#' || a[0] == '&');
      CHECK (strpbrk (a, " ,:\r\n\a") == NULL);
      CHECK (irc_channel_is_valid (fa));
    }

  /* truncate: a prefix, bounded, whole UTF-8 sequences of valid text. */
  CHECK (strlen (cut) <= max_bytes || (la <= max_bytes && strcmp (cut, a) == 0));
  CHECK (strncmp (cut, a, strlen (cut)) == 0);
  if (la <= max_bytes)
    CHECK (strcmp (cut, a) == 0);
  else if (g_utf8_validate (a, -1, NULL))
    {
      CHECK (g_utf8_validate (cut, -1, NULL));
      CHECK (strlen (cut) + 3 >= max_bytes);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(IrcMessage) built = NULL;
  g_autofree char *line = NULL;
  const char *p = (const char *) data;
  const char *end = p + size;
  const char *command;

  check_parse ((const char *) data, size);

  /* Pieces: the input cut at LF; a NUL ends a piece's C string. */
  for (;;)
    {
      const char *lf = memchr (p, '\n', end - p);
      const char *stop = lf != NULL ? lf : end;

      g_ptr_array_add (pieces, g_strndup (p, stop - p));
      if (lf == NULL || pieces->len > IRC_MAX_PARAMS + 3)
        break;
      p = lf + 1;
    }

  for (guint i = 0; i < pieces->len; i++)
    check_names (g_ptr_array_index (pieces, i),
                 g_ptr_array_index (pieces, (i + 1) % pieces->len),
                 size > 0 ? data[0] : 0);

  command = pieces->len > 1 && command_is_valid (g_ptr_array_index (pieces, 1))
            ? g_ptr_array_index (pieces, 1) : "PRIVMSG";
  built = irc_message_new (((char *) g_ptr_array_index (pieces, 0))[0] != '\0'
                           ? g_ptr_array_index (pieces, 0) : NULL,
                           command);
  for (guint i = 2; i < pieces->len; i++)
    irc_message_add_param (built, g_ptr_array_index (pieces, i));

  line = irc_message_to_line (built);
  if (line != NULL)
    {
      CHECK (strlen (line) <= IRC_MAX_LINE);
      CHECK (!has_bad_bytes (line));
      /* A prefix starting with '@' would read as tags: to_line writes
       * ":prefix", so it cannot. */
      CHECK (line[0] != '@');
      check_round_trip (built, line);
    }
  return 0;
}
