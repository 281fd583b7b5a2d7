/* eap-poller-private.h: one readiness source per GMainContext for many fds.
 * Not installed, not in <eap.h>, symbols hidden. Private to components/
 * (the socket components sit on it); tests link the static library.
 *
 * Why: a GMainContext prepares, checks and poll()s every attached source on
 * every iteration, so one GSource per connection makes each event cost
 * O(connections) (PERF-ANCHORS.md, "Why the GIO server falls off a cliff").
 * On Linux an EapPoller is ONE epoll descriptor added to its context as ONE
 * source (g_source_add_unix_fd); the fds of all watches live in the epoll
 * set, so an iteration costs O(ready fds), not O(watched fds).
 * Elsewhere (no __linux__) each watch is its own GSource in the context:
 * same API and semantics, GIO's cost. That path is compile-checked only.
 *
 * Threading: a poller belongs to its context. Every function except
 * eap_poller_ref_for_context() and eap_poller_ref() must be called from the
 * thread that owns (or may acquire) the context, and all callbacks run
 * there. Asserted with g_assert (compiled out by
 * G_DISABLE_ASSERT).
 *
 * Semantics:
 * - Level-triggered: a callback runs on every dispatch while its fd is ready
 *   for one of its @events. G_IO_ERR and G_IO_HUP are always reported, as
 *   poll() does; a callback that sees them must remove or pause its watch,
 *   or it is called again on the next iteration.
 * - One dispatch handles at most a batch (EAP_POLLER_BATCH) of ready fds;
 *   the rest are handled on the next iterations (the epoll fd stays ready).
 * - A watch removed or paused by an earlier callback of the same batch is
 *   not called. Watch ids are never 0 and are never reused while an event
 *   for them may be pending (a 32-bit counter that skips live ids: reuse
 *   needs 2^32 adds first).
 * - One watch per fd. Remove the watch before closing its fd.
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Ready fds handled per dispatch. */
#define EAP_POLLER_BATCH 256

typedef struct _EapPoller EapPoller;

/* @revents: what is ready, among the watch's events plus G_IO_ERR and
 * G_IO_HUP. Runs in the poller's context. */
typedef void (*EapPollerFunc) (int          fd,
                               GIOCondition revents,
                               gpointer     user_data);

/* The poller of @context (NULL: the global default context), created on
 * first use; each call returns a new reference. The same context gives the
 * same pointer while a reference is held. When the last reference goes, the
 * poller's source leaves the context, its remaining watches are removed
 * (their destroy notifies run) and the context is unreferenced. Returns
 * NULL and sets @error if the epoll descriptor cannot be made (EMFILE).
 * The registry is thread-safe; the last unref must still happen in the
 * context's thread. */
EapPoller    *eap_poller_ref_for_context (GMainContext   *context,
                                          GError        **error) G_GNUC_WARN_UNUSED_RESULT;
EapPoller    *eap_poller_ref             (EapPoller      *self);
void          eap_poller_unref           (EapPoller      *self);

/* The context the poller dispatches in. (transfer none) */
GMainContext *eap_poller_get_context     (EapPoller      *self);

/* Watches @fd for @events (G_IO_IN, G_IO_OUT, G_IO_PRI; 0 adds it paused).
 * Returns the watch id, never 0. On failure (epoll_ctl refused the fd: an
 * fd watched already, a regular file, the system's watch limit) returns 0
 * and sets @error; @destroy is then not called and @user_data stays the
 * caller's. @destroy runs exactly once, when the watch is removed (by
 * eap_poller_remove() or by the last unref of the poller), but never while
 * the watch's own callback is running: then it runs when it returns. */
guint         eap_poller_add             (EapPoller      *self,
                                          int             fd,
                                          GIOCondition    events,
                                          EapPollerFunc   func,
                                          gpointer        user_data,
                                          GDestroyNotify  destroy,
                                          GError        **error);

/* Changes what the watch waits for; 0 pauses it (not even G_IO_HUP or
 * G_IO_ERR are reported while paused). Safe from any callback. */
void          eap_poller_modify          (EapPoller      *self,
                                          guint           watch_id,
                                          GIOCondition    events);

/* Removes the watch. Safe from any callback, including the watch's own; a
 * removed watch is never called again, even for an event already fetched
 * in the current batch. */
void          eap_poller_remove          (EapPoller      *self,
                                          guint           watch_id);

/* Tests only: the poller's own source (transfer none), or NULL where each
 * watch has a source of its own. */
GSource      *_eap_poller_get_source     (EapPoller      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EapPoller, eap_poller_unref)

G_END_DECLS
