/* fuzz-line-framer.c: EapTcpClient's line framer, fed in chunks
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: byte 0-1 choose max_line_length (1..1024, so lines take both the
 * stack and the heap path of the framer), byte 2 after how many lines the
 * callback stops the framer (0: never), byte 3 how many chunk lengths
 * (0..31) are taken from the end of the input; the bytes in between are
 * the stream, cut into chunks of those lengths (a length may be 0), and
 * whatever is left is fed as one last chunk.
 *
 * The framer is checked against a byte-at-a-time model of the rules of
 * eap-line-framer-private.h: the same lines, failing in the same chunk
 * with a consistent error, and after each chunk:
 * - no line holds LF or NUL, none exceeds max_line_length;
 * - pending <= max_line_length, or max_line_length + 1 when the last byte
 *   held is a CR (it may still become the CR of CR LF);
 * - pending is the length of the model's incomplete line.
 */

#include "config.h"

#include "eap-line-framer-private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eap-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { \
    g_printerr ("fuzz-line-framer: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort (); } } G_STMT_END

typedef struct
{
  gsize      max;
  guint      stop_after;  /* 0: never */
  GPtrArray *lines;       /* (element-type GBytes): what the framer emitted */
} Framed;

static gboolean
line_cb (const char *line,
         gsize       length,
         gpointer    user_data)
{
  Framed *f = user_data;

  CHECK (line != NULL);
  CHECK (line[length] == '\0');
  CHECK (strlen (line) == length);                 /* no NUL inside */
  CHECK (memchr (line, '\n', length) == NULL);
  CHECK (length <= f->max);
  g_ptr_array_add (f->lines, g_bytes_new (line, length));
  return f->stop_after == 0 || f->lines->len < f->stop_after;
}

typedef enum
{
  MODEL_OK,
  MODEL_NUL,
  MODEL_TOO_LONG,
} ModelResult;

/* The rules, one byte at a time. */
typedef struct
{
  gsize      max;
  GString   *cur;
  GPtrArray *lines;        /* (element-type GBytes) */
  ModelResult failed;
} Model;

static ModelResult
model_byte (Model  *m,
            guint8  b)
{
  if (b == '\n')
    {
      gsize content = m->cur->len;

      if (content > 0 && m->cur->str[content - 1] == '\r')
        content--;
      if (content > m->max)
        return MODEL_TOO_LONG;
      g_ptr_array_add (m->lines, g_bytes_new (m->cur->str, content));
      g_string_truncate (m->cur, 0);
      return MODEL_OK;
    }
  if (b == '\0')
    return MODEL_NUL;
  g_string_append_c (m->cur, (char) b);
  if (m->cur->len > m->max && !(b == '\r' && m->cur->len == m->max + 1))
    return MODEL_TOO_LONG;
  return MODEL_OK;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  EapLineFramer framer;
  Framed f = { 0 };
  Model m = { 0 };
  gsize max, n_lengths, stream_len, pos = 0;
  const guint8 *lengths;
  const guint8 *stream;
  gboolean done = FALSE;
  static const guint8 empty[1] = { 0 };

  if (size < 4)
    return 0;
  max = 1 + ((data[0] | (data[1] << 8)) % 1024);
  n_lengths = MIN ((gsize) (data[3] % 32), size - 4);
  stream = data + 4;
  stream_len = size - 4 - n_lengths;
  lengths = stream + stream_len;

  f.max = max;
  f.stop_after = data[2] % 8;
  f.lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  m.max = max;
  m.cur = g_string_new (NULL);
  m.lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  eap_line_framer_init (&framer, max);

  for (gsize k = 0; k <= n_lengths && !done; k++)
    {
      gsize chunk = k < n_lengths ? MIN ((gsize) lengths[k], stream_len - pos) : stream_len - pos;
      const guint8 *p = stream + pos;
      g_autoptr(GError) error = NULL;
      gboolean ok;
      gboolean seg_has_nul = FALSE;
      guint model_lines_before = m.lines->len;

      if (k == n_lengths && chunk == 0 && k > 0)
        break;

      /* The model first: where, in this chunk, would it fail? */
      for (gsize i = 0; i < chunk && m.failed == MODEL_OK; i++)
        {
          m.failed = model_byte (&m, p[i]);
          if (f.stop_after != 0 && m.lines->len >= f.stop_after)
            break;
        }
      /* The framer checks a whole segment (up to LF or the end of the
       * chunk) for NUL before its length: note whether the segment the
       * model failed in holds a NUL. */
      if (m.failed != MODEL_OK)
        {
          guint emitted = m.lines->len - model_lines_before;
          gsize start = 0, i;

          for (i = 0; i < chunk && emitted > 0; i++)
            if (p[i] == '\n')
              {
                emitted--;
                start = i + 1;
              }
          for (i = start; i < chunk && p[i] != '\n'; i++)
            if (p[i] == '\0')
              seg_has_nul = TRUE;
        }

      ok = eap_line_framer_feed (&framer, chunk > 0 ? p : empty, chunk, line_cb, &f, &error);
      pos += chunk;

      /* Same lines so far. */
      CHECK (f.lines->len == m.lines->len);
      for (guint i = 0; i < f.lines->len; i++)
        CHECK (g_bytes_equal (g_ptr_array_index (f.lines, i), g_ptr_array_index (m.lines, i)));

      if (f.stop_after != 0 && f.lines->len >= f.stop_after)
        {
          CHECK (ok);
          CHECK (framer.spent);
          CHECK (eap_line_framer_pending (&framer) == 0);
          done = TRUE;
        }
      else if (m.failed != MODEL_OK)
        {
          CHECK (!ok);
          CHECK (error != NULL && error->domain == EAP_ERROR);
          if (error->code == EAP_ERROR_PROTOCOL)
            CHECK (seg_has_nul);
          else
            CHECK (error->code == EAP_ERROR_LIMIT_EXCEEDED && m.failed == MODEL_TOO_LONG);
          CHECK (eap_line_framer_pending (&framer) == 0);
          done = TRUE;
        }
      else
        {
          gsize pending = eap_line_framer_pending (&framer);

          CHECK (ok);
          CHECK (error == NULL);
          CHECK (pending == m.cur->len);
          CHECK (pending <= max
                 || (pending == max + 1 && framer.partial->data[pending - 1] == '\r'));
          if (pending > 0)
            CHECK (memcmp (framer.partial->data, m.cur->str, pending) == 0);
        }
    }

  eap_line_framer_clear (&framer);
  g_ptr_array_unref (f.lines);
  g_ptr_array_unref (m.lines);
  g_string_free (m.cur, TRUE);
  return 0;
}
