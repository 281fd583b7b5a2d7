/* fuzz-chat-server.c: the chat server's command handling, with 2 or 3
 * clients that have no socket (chat_server_add_peer())
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: byte 0 holds flags (bit 0: flood limit on, bit 1: three clients
 * instead of two); the rest, split at LF, are lines. A line's first byte
 * picks the client (its value modulo the number of clients; 0xF0 and up:
 * that client hangs up instead), the rest is what it sent, given to the
 * server as EapTcpClient's framer would: a trailing CR is dropped, a NUL
 * or more than CHAT_SERVER_MAX_LINE_LENGTH bytes make the framer drop the
 * client. A client that went away is replaced by a new one on its next
 * line. The server's context (the default one) runs after every line.
 *
 * Checked: everything the server queues to a client is whole lines of at
 * most IRC_MAX_LINE bytes plus CR LF, with no CR, LF or NUL inside, each
 * parsing as an IRC message with a prefix (a reply never reflects unchecked
 * bytes, R-chat security defaults of issue 6); nothing is queued to a
 * client after the server closed it; the server's client count matches
 * the clients alive.
 */

#include "chat-server.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { \
    g_printerr ("fuzz-chat-server: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } G_STMT_END

#define N_SLOTS 3

typedef struct
{
  ChatServerPeer *peer;     /* NULL: no client in this slot */
  gboolean        closed;   /* the server closed it: the peer will be freed */
  guint           n_lines;
} Slot;

static void
peer_cb (const char *data,
         gsize       length,
         gpointer    user_data)
{
  Slot *slot = user_data;
  g_autoptr(IrcMessage) m = NULL;
  g_autoptr(GError) error = NULL;

  CHECK (slot->peer != NULL);
  CHECK (!slot->closed);
  if (data == NULL)
    {
      slot->closed = TRUE;
      return;
    }
  slot->n_lines++;
  if (g_getenv ("FUZZ_DEBUG") != NULL)
    g_printerr ("%s <- %.*s", slot->peer != NULL ? "peer" : "?", (int) length, data);

  /* One whole line: text, then CR LF, nothing else. */
  CHECK (length >= 2);
  CHECK (data[length - 2] == '\r' && data[length - 1] == '\n');
  CHECK (length - 2 <= IRC_MAX_LINE);
  CHECK (memchr (data, '\0', length - 2) == NULL);
  CHECK (memchr (data, '\r', length - 2) == NULL);
  CHECK (memchr (data, '\n', length - 2) == NULL);

  m = irc_message_parse (data, length - 2, &error);
  if (m == NULL)
    g_printerr ("fuzz-chat-server: unparsable line from the server: %.*s (%s)\n",
                (int) (length - 2), data, error->message);
  CHECK (m != NULL);
  /* Everything but PING and ERROR comes from the server or a client. */
  CHECK (m->prefix != NULL || g_str_equal (m->command, "PING") || g_str_equal (m->command, "ERROR"));
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
forget_closed (Slot *slots)
{
  for (guint i = 0; i < N_SLOTS; i++)
    if (slots[i].closed)
      {
        slots[i].peer = NULL;
        slots[i].closed = FALSE;
      }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char *hosts[N_SLOTS] = { "127.0.0.1", "10.0.0.2", "0::1" };
  ChatServerOptions options;
  ChatServer *server;
  ChatServerStats stats;
  Slot slots[N_SLOTS] = { { 0 } };
  const char *p, *end;
  guint n_clients;
  guint n_alive;

  if (size < 1)
    return 0;

  chat_server_options_init (&options);
  options.quiet = TRUE;
  options.flood_limit = (data[0] & 1) != 0;
  n_clients = (data[0] & 2) != 0 ? 3 : 2;
  server = chat_server_new (&options);

  p = (const char *) data + 1;
  end = (const char *) data + size;
  while (p < end)
    {
      const char *lf = memchr (p, '\n', end - p);
      const char *stop = lf != NULL ? lf : end;
      guint8 pick = (guint8) *p;
      Slot *slot = &slots[pick % n_clients];
      gsize length;
      g_autofree char *line = NULL;

      p++;
      length = stop > p ? (gsize) (stop - p) : 0;
      if (length > 0 && p[length - 1] == '\r')
        length--;

      if (slot->peer == NULL)
        slot->peer = chat_server_add_peer (server, hosts[slot - slots], peer_cb, slot);
      CHECK (slot->peer != NULL);

      if (pick >= 0xF0)
        {
          chat_server_peer_disconnect (slot->peer, NULL);
          slot->peer = NULL;
        }
      else if (memchr (p, '\0', length) != NULL)
        {
          g_autoptr(GError) error = g_error_new_literal (EAP_ERROR, EAP_ERROR_PROTOCOL,
                                                         "NUL byte in a line");

          chat_server_peer_disconnect (slot->peer, error);
          slot->peer = NULL;
        }
      else if (length > CHAT_SERVER_MAX_LINE_LENGTH)
        {
          g_autoptr(GError) error = g_error_new_literal (EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED,
                                                         "Line too long");

          chat_server_peer_disconnect (slot->peer, error);
          slot->peer = NULL;
        }
      else
        {
          line = g_strndup (p, length);
          chat_server_peer_receive_line (slot->peer, line);
        }
      /* A closed peer stays valid until the reaper ran. */
      drain ();
      forget_closed (slots);

      n_alive = 0;
      for (guint i = 0; i < N_SLOTS; i++)
        n_alive += slots[i].peer != NULL;
      chat_server_get_stats (server, &stats);
      CHECK (stats.n_clients == n_alive);
      CHECK (stats.n_registered <= stats.n_clients);

      if (lf == NULL)
        break;
      p = lf + 1;
    }

  chat_server_free (server);
  drain ();
  return 0;
}
