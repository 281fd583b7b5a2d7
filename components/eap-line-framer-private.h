/* eap-line-framer-private.h: splits a byte stream into lines, bounded.
 * Not installed, symbols hidden; used by EapTcpClient's line framing, unit
 * tested directly and fuzzed (tests link the components' static library).
 *
 * Pure: no I/O, no GObject, no allocation while the bytes fed end on a line
 * boundary (a partial line is kept in a buffer allocated on demand and
 * freed when the line completes, so an idle connection costs nothing).
 *
 * Rules:
 * - A line ends at LF; a CR right before the LF is part of the terminator
 *   (CR LF and LF both work). A CR anywhere else stays in the line.
 * - @max_line_length counts the bytes of a line without its terminator. A
 *   line of exactly that length is fine; as soon as a line is known to be
 *   longer (even before its LF arrives) feeding fails with
 *   EAP_ERROR_LIMIT_EXCEEDED, so memory never grows past the limit.
 * - A NUL byte in a line fails with EAP_ERROR_PROTOCOL: lines are handed
 *   out as C strings, and a NUL would silently cut them.
 * - After a failure the framer is spent: feeding it again is a programming
 *   error (g_return_val_if_fail).
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Called for each complete line: @line is NUL-terminated, without its
 * terminator, @length bytes long, valid only during the call. Return FALSE
 * to stop feeding at once (the connection was closed by a handler): the
 * rest of the chunk is dropped and the framer is spent. */
typedef gboolean (*EapLineFunc) (const char *line,
                                 gsize       length,
                                 gpointer    user_data);

typedef struct
{
  /*< private >*/
  GByteArray *partial;          /* NULL unless a line is incomplete */
  gsize       max_line_length;
  gboolean    spent;
} EapLineFramer;

void     eap_line_framer_init    (EapLineFramer  *self,
                                  gsize           max_line_length);
void     eap_line_framer_clear   (EapLineFramer  *self);
/* Bytes of an incomplete line held (0 when the stream is on a boundary). */
gsize    eap_line_framer_pending (EapLineFramer  *self);
/* Returns FALSE with @error set on an over-long line or a NUL byte; TRUE
 * otherwise, including when @func stopped it. */
gboolean eap_line_framer_feed    (EapLineFramer  *self,
                                  const guint8   *data,
                                  gsize           length,
                                  EapLineFunc     func,
                                  gpointer        user_data,
                                  GError        **error);

G_END_DECLS
