/* irc-message.c: parsing and formatting IRC messages (RFC 1459/2812)
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The grammar is RFC 2812 §2.3.1, read leniently where real clients are
 * sloppy and strictly where bytes could be reflected:
 *
 * - IRCv3 message tags ("@a=b;c ") are skipped; they may be up to 8191
 *   bytes on top of the IRC_MAX_LINE bytes of the message proper.
 * - Runs of spaces between parts count as one separator; leading and
 *   trailing spaces are tolerated.
 * - After 14 middle parameters the rest of the line is the 15th parameter
 *   even without a ':' (RFC 2812's grammar), so a message never has more
 *   than IRC_MAX_PARAMS parameters.
 * - CR, LF and NUL anywhere are an error (IRC_MESSAGE_ERROR_BAD_BYTES).
 * - Parameters are kept as the bytes the peer sent: IRC predates UTF-8 and
 *   real networks still carry Latin-1; nothing here depends on valid
 *   UTF-8, and irc_truncate_utf8() never produces a broken sequence from
 *   a valid one.
 */

#include "irc-message.h"

#include <string.h>

/* IRCv3: tags may take 8191 bytes including the '@' and the space. */
#define IRC_MAX_TAGS 8191

G_DEFINE_QUARK (irc-message-error-quark, irc_message_error)

static gboolean
has_bad_bytes (const char *s,
               gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
      return TRUE;
  return FALSE;
}

static gboolean
str_has_bad_bytes (const char *s)
{
  return strpbrk (s, "\r\n") != NULL;
}

IrcMessage *
irc_message_new (const char *prefix,
                 const char *command)
{
  IrcMessage *message;

  g_return_val_if_fail (command != NULL, NULL);

  message = g_new0 (IrcMessage, 1);
  message->prefix = g_strdup (prefix);
  message->command = g_strdup (command);
  message->params = g_ptr_array_new_with_free_func (g_free);
  return message;
}

void
irc_message_add_param (IrcMessage *message,
                       const char *param)
{
  g_return_if_fail (message != NULL);
  g_return_if_fail (param != NULL);

  g_ptr_array_add (message->params, g_strdup (param));
}

const char *
irc_message_get_param (const IrcMessage *message,
                       guint             index)
{
  g_return_val_if_fail (message != NULL, NULL);

  if (index >= message->params->len)
    return NULL;
  return g_ptr_array_index (message->params, index);
}

guint
irc_message_n_params (const IrcMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->params->len;
}

void
irc_message_free (IrcMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->prefix);
  g_free (message->command);
  g_ptr_array_unref (message->params);
  g_free (message);
}

IrcMessage *
irc_message_parse (const char  *line,
                   gsize        length,
                   GError     **error)
{
  g_autoptr(IrcMessage) message = NULL;
  const char *p, *end, *start;
  g_autofree char *prefix = NULL;
  g_autofree char *command = NULL;

  g_return_val_if_fail (line != NULL || length == 0, NULL);

  if (length == (gsize) -1)
    length = strlen (line);

  if (has_bad_bytes (line, length))
    {
      g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_BAD_BYTES,
                           "CR, LF or NUL inside an IRC message");
      return NULL;
    }

  p = line;
  end = line + length;

  if (p < end && *p == '@')
    {
      const char *space = memchr (p, ' ', end - p);

      if ((gsize) ((space != NULL ? space : end) - p) > IRC_MAX_TAGS)
        {
          g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_TOO_LONG,
                               "IRC message tags too long");
          return NULL;
        }
      if (space == NULL)
        {
          g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_MALFORMED,
                               "IRC message with tags and no command");
          return NULL;
        }
      p = space;
    }

  while (p < end && *p == ' ')
    p++;

  if ((gsize) (end - p) > IRC_MAX_LINE)
    {
      g_set_error (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_TOO_LONG,
                   "IRC message longer than %d bytes", IRC_MAX_LINE);
      return NULL;
    }

  if (p == end)
    {
      g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_EMPTY,
                           "Empty IRC message");
      return NULL;
    }

  if (*p == ':')
    {
      start = ++p;
      while (p < end && *p != ' ')
        p++;
      if (p == start)
        {
          g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_MALFORMED,
                               "Empty prefix in IRC message");
          return NULL;
        }
      prefix = g_strndup (start, p - start);
      while (p < end && *p == ' ')
        p++;
    }

  start = p;
  while (p < end && *p != ' ')
    p++;
  if (p == start)
    {
      g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_MALFORMED,
                           "IRC message without a command");
      return NULL;
    }

  /* A command is letters, or exactly three digits. */
  if (g_ascii_isdigit (*start))
    {
      if (p - start != 3 || !g_ascii_isdigit (start[1]) || !g_ascii_isdigit (start[2]))
        goto bad_command;
    }
  else
    {
      for (const char *c = start; c < p; c++)
        if (!g_ascii_isalpha (*c))
          goto bad_command;
    }
  command = g_ascii_strup (start, p - start);

  message = irc_message_new (prefix, command);

  for (;;)
    {
      while (p < end && *p == ' ')
        p++;
      if (p == end)
        break;

      if (*p == ':' || message->params->len == IRC_MAX_PARAMS - 1)
        {
          if (*p == ':')
            p++;
          g_ptr_array_add (message->params, g_strndup (p, end - p));
          break;
        }

      start = p;
      while (p < end && *p != ' ')
        p++;
      g_ptr_array_add (message->params, g_strndup (start, p - start));
    }

  return g_steal_pointer (&message);

bad_command:
  g_set_error_literal (error, IRC_MESSAGE_ERROR, IRC_MESSAGE_ERROR_MALFORMED,
                       "Bad command in IRC message");
  return NULL;
}

char *
irc_message_to_line (const IrcMessage *message)
{
  GString *s;
  guint n;

  g_return_val_if_fail (message != NULL, NULL);

  if (message->command == NULL || message->command[0] == '\0'
      || strchr (message->command, ' ') != NULL || str_has_bad_bytes (message->command))
    return NULL;
  if (message->prefix != NULL
      && (message->prefix[0] == '\0' || strchr (message->prefix, ' ') != NULL
          || str_has_bad_bytes (message->prefix)))
    return NULL;

  n = message->params->len;
  if (n > IRC_MAX_PARAMS)
    return NULL;

  s = g_string_sized_new (128);
  if (message->prefix != NULL)
    {
      g_string_append_c (s, ':');
      g_string_append (s, message->prefix);
      g_string_append_c (s, ' ');
    }
  g_string_append (s, message->command);

  for (guint i = 0; i < n; i++)
    {
      const char *param = g_ptr_array_index (message->params, i);
      gboolean needs_colon = param[0] == '\0' || param[0] == ':' || strchr (param, ' ') != NULL;

      if (str_has_bad_bytes (param) || (needs_colon && i + 1 < n))
        {
          g_string_free (s, TRUE);
          return NULL;
        }
      g_string_append_c (s, ' ');
      if (needs_colon)
        g_string_append_c (s, ':');
      g_string_append (s, param);
    }

  if (s->len > IRC_MAX_LINE)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return g_string_free (s, FALSE);
}

static gboolean
is_nick_special (char c)
{
  /* RFC 2812: special = %x5B-60 / %x7B-7D ("[", "]", "\", "`", "_", "^", "{", "|", "}") */
  return (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7D);
}

gboolean
irc_nick_is_valid (const char *nick)
{
  gsize length;

  if (nick == NULL)
    return FALSE;
  length = strlen (nick);
  if (length == 0 || length > IRC_MAX_NICK)
    return FALSE;
  if (!g_ascii_isalpha (nick[0]) && !is_nick_special (nick[0]))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!g_ascii_isalnum (nick[i]) && !is_nick_special (nick[i]) && nick[i] != '-')
      return FALSE;
  return TRUE;
}

gboolean
irc_channel_is_valid (const char *channel)
{
  gsize length;

  if (channel == NULL)
    return FALSE;
  length = strlen (channel);
  if (length < 2 || length > IRC_MAX_CHANNEL)
    return FALSE;
  if (channel[0] != '#' && channel[0] != '&')
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (strchr (" ,\a\r\n:", channel[i]) != NULL)
      return FALSE;
  return TRUE;
}

static inline char
irc_fold_char (char c)
{
  switch (c)
    {
    case '[':
      return '{';
    case ']':
      return '}';
    case '\\':
      return '|';
    case '~':
      return '^';
    default:
      return g_ascii_tolower (c);
    }
}

char *
irc_casefold (const char *name)
{
  char *folded;

  g_return_val_if_fail (name != NULL, NULL);

  folded = g_strdup (name);
  for (char *c = folded; *c != '\0'; c++)
    *c = irc_fold_char (*c);
  return folded;
}

int
irc_casecmp (const char *a,
             const char *b)
{
  g_return_val_if_fail (a != NULL, 0);
  g_return_val_if_fail (b != NULL, 0);

  for (;; a++, b++)
    {
      guchar ca = (guchar) irc_fold_char (*a);
      guchar cb = (guchar) irc_fold_char (*b);

      if (ca != cb)
        return ca < cb ? -1 : 1;
      if (ca == '\0')
        return 0;
    }
}

char *
irc_truncate_utf8 (const char *text,
                   gsize       max_bytes)
{
  gsize length, cut;

  g_return_val_if_fail (text != NULL, NULL);

  length = strlen (text);
  if (length <= max_bytes)
    return g_strdup (text);

  /* text[max_bytes] is the first byte dropped: if it continues a
   * sequence, back off to that sequence's first byte and drop it all. */
  cut = max_bytes;
  while (cut > 0 && ((guchar) text[cut] & 0xC0) == 0x80)
    cut--;
  return g_strndup (text, cut);
}
