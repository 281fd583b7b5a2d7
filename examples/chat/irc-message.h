/* irc-message.h: parsing and formatting IRC messages (RFC 1459/2812),
 * shared by eap-chat-server and eap-chat-client. Pure functions: no I/O,
 * fuzzed by issue 6's targets.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 2812: 512 bytes per message including the CR LF. */
#define IRC_MAX_LINE      510
#define IRC_MAX_PARAMS    15
#define IRC_MAX_NICK      30
#define IRC_MAX_CHANNEL   50

#define IRC_MESSAGE_ERROR (irc_message_error_quark ())

typedef enum
{
  IRC_MESSAGE_ERROR_EMPTY,        /* an empty line (real clients send them: ignore) */
  IRC_MESSAGE_ERROR_TOO_LONG,     /* more than IRC_MAX_LINE bytes */
  IRC_MESSAGE_ERROR_MALFORMED,    /* no command, a bad prefix, too many params */
  IRC_MESSAGE_ERROR_BAD_BYTES,    /* CR, LF or NUL inside the line */
} IrcMessageError;

typedef struct
{
  char       *prefix;     /* nullable: "nick!user@host" or a server name, without ':' */
  char       *command;    /* a word (upper-cased by the parser) or a 3-digit numeric */
  GPtrArray  *params;     /* (element-type utf8): the trailing parameter is the last, without ':' */
} IrcMessage;

GQuark       irc_message_error_quark (void);

/* Parses one line without its terminator. Tags (IRCv3 "@...") are skipped. */
IrcMessage  *irc_message_parse       (const char        *line,
                                      gsize              length,
                                      GError           **error);
/* A new message; params are added with irc_message_add_param(). */
IrcMessage  *irc_message_new         (const char        *prefix,
                                      const char        *command);
void         irc_message_add_param   (IrcMessage        *message,
                                      const char        *param);
const char  *irc_message_get_param   (const IrcMessage  *message,
                                      guint              index);   /* NULL past the end */
guint        irc_message_n_params    (const IrcMessage  *message);
/* The wire form without CR LF: the last param gets a ':' when it is empty,
 * starts with ':' or contains a space. Returns NULL if a part holds CR, LF
 * or NUL (never reflect unchecked bytes), or if the result would exceed
 * IRC_MAX_LINE (callers truncate text params first with
 * irc_truncate_utf8()). */
char        *irc_message_to_line     (const IrcMessage  *message);
void         irc_message_free        (IrcMessage        *message);

/* Nick: RFC 2812 letter/special first, then letters, digits, specials,
 * '-', at most IRC_MAX_NICK bytes. */
gboolean     irc_nick_is_valid       (const char        *nick);
/* Channel: '#' or '&' then 1..IRC_MAX_CHANNEL-1 bytes, none of space,
 * comma, BEL (0x07), CR, LF, NUL, ':'. */
gboolean     irc_channel_is_valid    (const char        *channel);
/* RFC 1459 case mapping: A-Z [ ] \ ~ fold to a-z { } | ^. Returns a new
 * string; irc_casecmp compares folded. */
char        *irc_casefold            (const char        *name);
int          irc_casecmp             (const char        *a,
                                      const char        *b);
/* @text cut to at most @max_bytes without splitting a UTF-8 sequence. */
char        *irc_truncate_utf8       (const char        *text,
                                      gsize              max_bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IrcMessage, irc_message_free)

G_END_DECLS
