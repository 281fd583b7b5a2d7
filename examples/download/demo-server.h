/* demo-server.h: an in-process HTTP server of generated files
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Serves generated bodies from a SoupServer on 127.0.0.1 (a free port) in
 * the thread-default main context of the caller, next to whatever else
 * runs there (eap-download's client, a test). Bodies are a fixed byte
 * pattern (demo_server_fill), written in chunks as the client takes them,
 * never held whole in memory. Any path not added answers 404. */
typedef struct _DemoServer DemoServer;

DemoServer *demo_server_new        (GError     **error);
void        demo_server_free       (DemoServer  *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DemoServer, demo_server_free)

/* Adds a file at @path (decoded, starting with '/').
 * @length: body size in bytes.
 * @chunked: send it with chunked encoding and no Content-Length, so the
 *   client cannot know the size in advance.
 * @bytes_per_second: pace the body at this rate; 0 = as fast as the
 *   client reads.
 * @stall_after: stop sending for good after this many bytes (the
 *   connection stays open: a stalled server); -1 = never. */
void        demo_server_add_file   (DemoServer  *server,
                                    const char  *path,
                                    goffset      length,
                                    gboolean     chunked,
                                    guint64      bytes_per_second,
                                    goffset      stall_after);

/* "http://127.0.0.1:PORT" + @path, percent-encoded. Free with g_free(). */
char       *demo_server_dup_uri    (DemoServer  *server,
                                    const char  *path);

/* How many bytes of body the server has written so far, over all
 * requests. */
guint64     demo_server_get_n_written (DemoServer *server);

/* The generated body: byte i of every file is demo_server_byte (i). */
guint8      demo_server_byte       (goffset      offset);

/* Whether @data, read from offset 0, is the generated body of that size. */
gboolean    demo_server_check_data (const guint8 *data,
                                    gsize         size);

G_END_DECLS
