/* demo-server.c: an in-process HTTP server of generated files
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A SoupServer that streams bodies made up on the fly: each response body
 * is fed to libsoup in chunks that point into one static pattern buffer
 * (no copies, nothing held whole), at most MAX_IN_FLIGHT chunks ahead of
 * what the socket has taken, and optionally paced by a timer. The server
 * runs in the caller's main context, so eap-download's client and this
 * server share one loop: everything is asynchronous.
 */

#include "demo-server.h"

#include <libsoup/soup.h>
#include <string.h>

#define CHUNK_SIZE    (64 * 1024)
#define PERIOD        128           /* the pattern repeats every PERIOD bytes */
#define MAX_IN_FLIGHT 16            /* chunks appended but not yet written: 1 MiB */
#define TICK_MS       10

typedef struct
{
  char    *path;                    /* (owned): decoded */
  goffset  length;
  gboolean chunked;
  guint64  bytes_per_second;
  goffset  stall_after;
} DemoFile;

struct _DemoServer
{
  SoupServer   *server;             /* (owned) */
  GMainContext *context;            /* (owned): thread-default at _new */
  guint16       port;
  GPtrArray    *files;              /* (owned) (element-type DemoFile) */
  GList        *streams;            /* (unowned) (element-type Stream): in flight */
  guint64       n_written;
};

/* One response being streamed. Owned by its message (object data), so it
 * lives exactly as long as the message. */
typedef struct
{
  DemoServer        *server;        /* (unowned): outlives its streams, see _free */
  SoupServerMessage *msg;           /* (unowned): owns us */
  DemoFile          *file;          /* (unowned) */
  goffset            appended;      /* bytes handed to libsoup */
  guint              in_flight;
  gint64             start_us;
  GSource           *timer;          /* (owned) (nullable): paces the stream */
  GSource           *feed;           /* (owned) (nullable): refills once libsoup took a chunk */
  gboolean           body_completed; /* the end was appended */
  gboolean           finished;       /* libsoup is done with the message */
} Stream;

static guint8 pattern[CHUNK_SIZE + PERIOD];

guint8
demo_server_byte (goffset offset)
{
  if (offset % 64 == 63)
    return '\n';
  return 'a' + (guint8) ((offset / 64 + offset) % 26);
}

gboolean
demo_server_check_data (const guint8 *data,
                        gsize         size)
{
  for (gsize i = 0; i < size; i++)
    if (data[i] != demo_server_byte ((goffset) i))
      return FALSE;
  return TRUE;
}

static void
demo_file_free (gpointer data)
{
  DemoFile *file = data;

  g_free (file->path);
  g_free (file);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
stream_stop (Stream *stream)
{
  stream->finished = TRUE;
  clear_source (&stream->timer);
  clear_source (&stream->feed);
  if (stream->server != NULL)
    stream->server->streams = g_list_remove (stream->server->streams, stream);
  stream->server = NULL;
}

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  stream_stop (stream);
  g_free (stream);
}

/* Hands libsoup as much body as the pace and the in-flight limit allow.
 * Returns FALSE once everything has been appended (or the stream stalls
 * for good). */
static gboolean
stream_feed (Stream   *stream,
             gboolean  from_handler)
{
  DemoFile *file = stream->file;
  SoupMessageBody *body = soup_server_message_get_response_body (stream->msg);
  goffset limit = file->length;
  gboolean appended_any = FALSE;

  if (stream->finished || stream->body_completed)
    return FALSE;

  if (file->stall_after >= 0)
    limit = MIN (limit, file->stall_after);

  if (file->bytes_per_second > 0)
    {
      gint64 elapsed_us = g_get_monotonic_time () - stream->start_us;
      goffset allowed = (goffset) (file->bytes_per_second * (elapsed_us / 1e6)) + CHUNK_SIZE;

      limit = MIN (limit, allowed);
    }

  /* Whole chunks only, but for the last one before the end or the
   * stall: a dribble of small chunks would keep libsoup writing inside
   * one dispatch and starve everything else in the loop. */
  while (stream->appended < limit && stream->in_flight < MAX_IN_FLIGHT)
    {
      gsize n = (gsize) MIN ((goffset) CHUNK_SIZE, limit - stream->appended);

      if (n < CHUNK_SIZE && stream->appended + (goffset) n != file->length &&
          stream->appended + (goffset) n != file->stall_after)
        break;

      soup_message_body_append (body, SOUP_MEMORY_STATIC,
                                pattern + stream->appended % PERIOD, n);
      stream->appended += n;
      stream->in_flight++;
      appended_any = TRUE;
    }

  if (stream->appended == file->length)
    {
      soup_message_body_complete (body);
      stream->body_completed = TRUE;
    }

  /* In the handler the message is not paused yet: libsoup starts writing
   * when the handler returns. */
  if (!from_handler && (appended_any || stream->body_completed))
    soup_server_message_unpause (stream->msg);

  return stream->appended < file->length &&
         (file->stall_after < 0 || stream->appended < file->stall_after);
}

static gboolean
on_tick (gpointer user_data)
{
  Stream *stream = user_data;

  if (stream_feed (stream, FALSE))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&stream->timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Like g_timeout_add, but in the server's context (a test's pushed
 * context is not the global default one). */
static GSource *
add_source (Stream      *stream,
            guint        interval_ms,
            GSourceFunc  func)
{
  GSource *source;

  if (interval_ms == 0)
    source = g_idle_source_new ();
  else
    source = g_timeout_source_new (interval_ms);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, stream, NULL);
  g_source_attach (source, stream->server->context);
  return source;
}

static gboolean
on_feed (gpointer user_data)
{
  Stream *stream = user_data;

  g_clear_pointer (&stream->feed, g_source_unref);
  stream_feed (stream, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  Stream *stream = user_data;

  /* Refill from the loop, not from here: feeding inside this signal
   * would keep libsoup's write loop going without ever returning to the
   * main loop. The pace, if any, still holds; the timer takes over when
   * it is what holds the stream back. */
  stream->in_flight--;
  if (stream->feed == NULL && !stream->finished)
    stream->feed = add_source (stream, 0, on_feed);
}

static void
on_wrote_body_data (SoupServerMessage *msg,
                    guint              chunk_size,
                    gpointer           user_data)
{
  Stream *stream = user_data;

  if (stream->server != NULL)
    stream->server->n_written += chunk_size;
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  stream_stop (user_data);
}

static DemoFile *
find_file (DemoServer *self,
           const char *path)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      DemoFile *file = g_ptr_array_index (self->files, i);

      if (g_strcmp0 (file->path, path) == 0)
        return file;
    }
  return NULL;
}

static void
handle_request (SoupServer        *soup_server,
                SoupServerMessage *msg,
                const char        *encoded_path,
                GHashTable        *query,
                gpointer           user_data)
{
  DemoServer *self = user_data;
  g_autofree char *path = g_uri_unescape_string (encoded_path, NULL);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  DemoFile *file = path != NULL ? find_file (self, path) : NULL;
  const char *method = soup_server_message_get_method (msg);
  Stream *stream;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (file == NULL)
    {
      static const char text[] = "Not found\n";

      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                        text, sizeof text - 1);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/plain", NULL);
  if (file->chunked)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  else
    soup_message_headers_set_content_length (headers, file->length);

  if (method == SOUP_METHOD_HEAD)
    return;

  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  stream = g_new0 (Stream, 1);
  stream->server = self;
  stream->msg = msg;
  stream->file = file;
  stream->start_us = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "demo-server-stream", stream, stream_free);
  self->streams = g_list_prepend (self->streams, stream);

  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), stream);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), stream);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), stream);

  /* The first chunks go out with the headers; a timer paces the rest.
   * libsoup pauses the message by itself when the body runs dry, and
   * stream_feed unpauses it when there is more. */
  if (stream_feed (stream, TRUE) && file->bytes_per_second > 0)
    stream->timer = add_source (stream, TICK_MS, on_tick);
}

DemoServer *
demo_server_new (GError **error)
{
  g_autoptr(DemoServer) self = g_new0 (DemoServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  for (gsize i = 0; i < sizeof pattern; i++)
    pattern[i] = demo_server_byte ((goffset) i);

  self->context = g_main_context_ref_thread_default ();
  self->files = g_ptr_array_new_with_free_func (demo_file_free);
  self->server = soup_server_new ("server-header", "eap-download-demo ", NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);

  /* 127.0.0.1 only, port 0: the kernel picks a free one. */
  if (!soup_server_listen (self->server, address, 0, error))
    return NULL;

  uris = soup_server_get_uris (self->server);
  self->port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return g_steal_pointer (&self);
}

void
demo_server_free (DemoServer *self)
{
  if (self == NULL)
    return;

  /* Streams still in flight (a stalled one) die with their messages when
   * the server lets go of them; stop their timers and forget us first. */
  while (self->streams != NULL)
    stream_stop (self->streams->data);

  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}

void
demo_server_add_file (DemoServer *self,
                      const char *path,
                      goffset     length,
                      gboolean    chunked,
                      guint64     bytes_per_second,
                      goffset     stall_after)
{
  DemoFile *file = g_new0 (DemoFile, 1);

  g_return_if_fail (path != NULL && path[0] == '/');

  file->path = g_strdup (path);
  file->length = length;
  file->chunked = chunked;
  file->bytes_per_second = bytes_per_second;
  file->stall_after = stall_after;
  g_ptr_array_add (self->files, file);
}

char *
demo_server_dup_uri (DemoServer *self,
                     const char *path)
{
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);

  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, escaped);
}

guint64
demo_server_get_n_written (DemoServer *self)
{
  return self->n_written;
}
