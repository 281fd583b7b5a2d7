/* fuzz-chat-client.c: the chat client's handling of what the server says,
 * and of what the user types, without a socket
 * (chat_client_start_with_sink())
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: byte 0 holds flags (bit 0: the client has a channel to join;
 * bit 1: user lines keep their control characters, and the check of the
 * display is off); the rest, split at LF, are lines whose first byte says
 * who sends it: 'u' the user (chat_client_send_user_line()), anything
 * else the server (chat_client_receive_line(), as the framer would give
 * it: a trailing CR dropped; a line with a NUL is one the framer refuses,
 * so it is skipped). The default context runs after every line.
 *
 * Checked: every line the client would send fits IRC_MAX_LINE bytes, has
 * no CR or LF, parses, and is one of the commands the client sends; every
 * line shown to the user is valid UTF-8 without control characters (text
 * from the network is made safe for a terminal); nothing is sent once the
 * client finished.
 */

#include "chat-client.h"
#include "irc-message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { \
    g_printerr ("fuzz-chat-client: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } G_STMT_END

typedef struct
{
  gboolean check_display;
  gboolean finished;
  guint    n_sent;
  guint    n_shown;
} State;

static void
sink_cb (const char *line,
         gpointer    user_data)
{
  State *state = user_data;
  g_autoptr(IrcMessage) m = NULL;
  static const char *const sent[] = {
    "NICK", "USER", "JOIN", "PART", "PRIVMSG", "NOTICE", "PING", "PONG", "TOPIC", "QUIT",
  };
  gboolean known = FALSE;

  if (g_getenv ("FUZZ_DEBUG") != NULL)
    g_printerr ("-> %s\n", line);
  CHECK (!state->finished);
  state->n_sent++;
  CHECK (strlen (line) <= IRC_MAX_LINE);
  CHECK (strpbrk (line, "\r\n") == NULL);
  m = irc_message_parse (line, strlen (line), NULL);
  CHECK (m != NULL);
  CHECK (m->prefix == NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
    known |= g_str_equal (m->command, sent[i]);
  CHECK (known);
}

static void
output_cb (ChatClient *client,
           const char *line,
           gpointer    user_data)
{
  State *state = user_data;

  if (g_getenv ("FUZZ_DEBUG") != NULL)
    g_printerr ("   %s\n", line);
  state->n_shown++;
  CHECK (line != NULL);
  if (!state->check_display)
    return;
  CHECK (g_utf8_validate (line, -1, NULL));
  for (const char *p = line; *p != '\0'; p++)
    CHECK ((guchar) *p >= 0x20 && *p != 0x7f);
}

static void
finished_cb (ChatClient *client,
             int         status,
             gpointer    user_data)
{
  State *state = user_data;

  CHECK (!state->finished);
  state->finished = TRUE;
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  ChatClientOptions options = { 0 };
  State state = { 0 };
  ChatClient *client;
  const char *p, *end;
  gboolean raw_user;

  if (size < 1)
    return 0;

  options.host = "irc.example";
  options.port = 6667;
  options.nick = "me";
  options.channel = (data[0] & 1) != 0 ? "#eap" : NULL;
  options.no_reconnect = TRUE;
  raw_user = (data[0] & 2) != 0;
  state.check_display = !raw_user;

  client = chat_client_new (&options);
  g_signal_connect (client, "output", G_CALLBACK (output_cb), &state);
  g_signal_connect (client, "finished", G_CALLBACK (finished_cb), &state);
  chat_client_start_with_sink (client, sink_cb, &state);
  drain ();

  p = (const char *) data + 1;
  end = (const char *) data + size;
  while (p < end)
    {
      const char *lf = memchr (p, '\n', end - p);
      const char *stop = lf != NULL ? lf : end;
      char who = *p;
      gsize length;
      g_autofree char *line = NULL;

      p++;
      length = stop > p ? (gsize) (stop - p) : 0;
      if (length > 0 && p[length - 1] == '\r')
        length--;

      if (who == 'u')
        {
          line = g_strndup (p, length);   /* a NUL ends it, as in a terminal */
          if (!raw_user)
            for (char *c = line; *c != '\0'; c++)
              if ((guchar) *c < 0x20 || *c == 0x7f)
                *c = ' ';
          chat_client_send_user_line (client, line, NULL);
        }
      else if (memchr (p, '\0', length) == NULL)
        {
          line = g_strndup (p, length);
          chat_client_receive_line (client, line);
        }
      drain ();

      if (lf == NULL)
        break;
      p = lf + 1;
    }

  chat_client_stop (client);
  drain ();
  CHECK (state.finished);
  g_object_unref (client);
  drain ();
  return 0;
}
