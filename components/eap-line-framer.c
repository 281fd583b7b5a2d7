/* eap-line-framer.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-line-framer-private.h"

#include <string.h>

#include "eap-error.h"

void
eap_line_framer_init (EapLineFramer *self,
                      gsize          max_line_length)
{
  self->partial = NULL;
  self->max_line_length = max_line_length;
  self->spent = FALSE;
}

void
eap_line_framer_clear (EapLineFramer *self)
{
  g_clear_pointer (&self->partial, g_byte_array_unref);
}

gsize
eap_line_framer_pending (EapLineFramer *self)
{
  return self->partial != NULL ? self->partial->len : 0;
}

static gboolean
fail_too_long (EapLineFramer *self,
               GError       **error)
{
  self->spent = TRUE;
  eap_line_framer_clear (self);
  g_set_error (error, EAP_ERROR, EAP_ERROR_LIMIT_EXCEEDED,
               "Line longer than %" G_GSIZE_FORMAT " bytes",
               self->max_line_length);
  return FALSE;
}

/* The length a line of @len bytes (terminator excluded, @cr_pending: the
 * last byte is a CR that may belong to the terminator) may be accepted
 * with: a CR at the end might still be the start of CR LF. */
static gboolean
too_long (EapLineFramer *self,
          gsize          len,
          gboolean       last_is_cr)
{
  if (len <= self->max_line_length)
    return FALSE;
  /* "max bytes + CR" is fine until we know the CR is not followed by LF. */
  if (last_is_cr && len == self->max_line_length + 1)
    return FALSE;
  return TRUE;
}

/* Emits the line @line[0..@len) (@len counts the terminator's CR, if any,
 * not the LF); @line must have a writable byte at @line[@len]. */
static gboolean
emit (char        *line,
      gsize        len,
      EapLineFunc  func,
      gpointer     user_data)
{
  if (len > 0 && line[len - 1] == '\r')
    len--;
  line[len] = '\0';
  return func (line, len, user_data);
}

gboolean
eap_line_framer_feed (EapLineFramer  *self,
                      const guint8   *data,
                      gsize           length,
                      EapLineFunc     func,
                      gpointer        user_data,
                      GError        **error)
{
  const guint8 *p = data;
  const guint8 *end = data + length;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->spent, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  while (p < end)
    {
      const guint8 *lf = memchr (p, '\n', end - p);
      const guint8 *stop = lf != NULL ? lf : end;
      gsize have = self->partial != NULL ? self->partial->len : 0;
      gsize seg = stop - p;

      if (memchr (p, '\0', seg) != NULL)
        {
          self->spent = TRUE;
          eap_line_framer_clear (self);
          g_set_error_literal (error, EAP_ERROR, EAP_ERROR_PROTOCOL,
                               "NUL byte in a line");
          return FALSE;
        }

      if (lf == NULL)
        {
          /* Incomplete line: keep it, bounded. */
          gsize total = have + seg;
          if (too_long (self, total, data[length - 1] == '\r'))
            return fail_too_long (self, error);
          if (self->partial == NULL)
            self->partial = g_byte_array_sized_new (MAX (seg + 1, 128));
          g_byte_array_append (self->partial, p, seg);
          return TRUE;
        }

      /* A complete line: [partial] + p[0..seg) then LF. */
      {
        gsize total = have + seg;
        gsize content = total;
        gboolean ok;

        if (total > 0)
          {
            guint8 last = seg > 0 ? p[seg - 1] : self->partial->data[have - 1];
            if (last == '\r')
              content--;
          }
        if (content > self->max_line_length)
          return fail_too_long (self, error);

        if (self->partial == NULL)
          {
            /* Fast path: the line is whole in @data. Emitting needs a NUL
             * after it; the LF's slot is in the caller's const buffer, so
             * copy into a stack buffer when short, else a heap one. */
            char stack[512];
            char *buf = seg < sizeof stack ? stack : g_malloc (seg + 1);

            memcpy (buf, p, seg);
            ok = emit (buf, seg, func, user_data);
            if (buf != stack)
              g_free (buf);
          }
        else
          {
            GByteArray *partial = g_steal_pointer (&self->partial);

            g_byte_array_append (partial, p, seg);
            g_byte_array_append (partial, (const guint8 *) "", 1);
            ok = emit ((char *) partial->data, partial->len - 1, func, user_data);
            g_byte_array_unref (partial);
          }

        if (!ok)
          {
            self->spent = TRUE;
            eap_line_framer_clear (self);
            return TRUE;
          }
      }

      p = lf + 1;
    }

  return TRUE;
}
