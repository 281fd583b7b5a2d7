/* eap-poller.c: one readiness source per GMainContext (see the header)
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-poller-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

/* EAP_POLLER_FORCE_FALLBACK builds the per-watch-source path on Linux too,
 * to compile-check it. */
#if defined(__linux__) && !defined(EAP_POLLER_FORCE_FALLBACK)
# define EAP_POLLER_USE_EPOLL 1
# include <sys/epoll.h>
#endif

typedef struct
{
  guint           ref_count;   /* context thread only: the table's + dispatches' */
  guint           id;
  int             fd;          /* (unowned) */
  GIOCondition    events;      /* 0: paused */
  gboolean        removed;
  EapPollerFunc   func;
  gpointer        user_data;   /* (owned by destroy) */
  GDestroyNotify  destroy;     /* (nullable) */
#ifdef EAP_POLLER_USE_EPOLL
  gboolean        registered;  /* in the epoll set (FALSE while paused) */
#else
  GSource        *source;      /* (owned): attached, one per watch */
  gpointer        tag;         /* (nullable): NULL while paused */
#endif
} EapPollerWatch;

struct _EapPoller
{
  gatomicrefcount  ref_count;
  GMainContext    *context;    /* (owned) */
  GHashTable      *watches;    /* (owned): id → EapPollerWatch (owned ref) */
  guint            last_id;
#ifdef EAP_POLLER_USE_EPOLL
  int              epfd;       /* (owned) */
  GSource         *source;     /* (owned): attached to context, polls epfd */
#else
  GHashTable      *fds;        /* (owned) (nullable): watched fds, as epoll keeps one
                                * watch per fd; NULL once the poller is dying */
#endif
};

/* GMainContext has no qdata: context → poller (unowned values; entries are
 * removed, under the lock, when the refcount drops to 0). */
static GMutex      registry_lock;
static GHashTable *registry;   /* (owned) (nullable): NULL when empty */

static void
eap_poller_assert_owner (EapPoller *self)
{
#ifndef G_DISABLE_ASSERT
  /* Acquiring succeeds for the owner (recursively) or when nobody owns the
   * context; it fails only if another thread is iterating it. */
  if (!g_main_context_acquire (self->context))
    g_error ("EapPoller used outside the thread of its GMainContext");
  g_main_context_release (self->context);
#endif
}

static void
eap_poller_watch_unref (EapPollerWatch *watch)
{
  g_assert (watch->ref_count > 0);
  if (--watch->ref_count > 0)
    return;
#ifndef EAP_POLLER_USE_EPOLL
  g_clear_pointer (&watch->source, g_source_unref);
#endif
  if (watch->destroy != NULL)
    watch->destroy (watch->user_data);
  g_free (watch);
}

/* Calls @watch unless removed; a ref keeps @destroy from running inside
 * the callback even if it removes its own watch. */
static void
eap_poller_watch_call (EapPollerWatch *watch,
                       GIOCondition    revents)
{
  revents &= watch->events | G_IO_ERR | G_IO_HUP | G_IO_NVAL;
  if (watch->removed || watch->events == 0 || revents == 0)
    return;
  watch->ref_count++;
  watch->func (watch->fd, revents, watch->user_data);
  eap_poller_watch_unref (watch);
}

static guint
eap_poller_next_id (EapPoller *self)
{
  /* Skips 0 and live ids: an id comes back only after 2^32 adds. */
  do
    self->last_id++;
  while (self->last_id == 0 ||
         g_hash_table_contains (self->watches, GUINT_TO_POINTER (self->last_id)));
  return self->last_id;
}

/* ---- epoll backend ---------------------------------------------------- */
#ifdef EAP_POLLER_USE_EPOLL

typedef struct
{
  GSource    source;
  EapPoller *poller;   /* (unowned): the poller owns the source */
} EapPollerSource;

static guint32
eap_poller_to_epoll (GIOCondition events)
{
  return ((events & G_IO_IN ? EPOLLIN : 0) |
          (events & G_IO_OUT ? EPOLLOUT : 0) |
          (events & G_IO_PRI ? EPOLLPRI : 0));
}

static GIOCondition
eap_poller_from_epoll (guint32 events)
{
  return ((events & EPOLLIN ? G_IO_IN : 0) |
          (events & EPOLLOUT ? G_IO_OUT : 0) |
          (events & EPOLLPRI ? G_IO_PRI : 0) |
          (events & EPOLLERR ? G_IO_ERR : 0) |
          (events & EPOLLHUP ? G_IO_HUP : 0));
}

static int
eap_poller_ctl (EapPoller      *self,
                int             op,
                EapPollerWatch *watch)
{
  struct epoll_event ev = { 0 };

  ev.events = eap_poller_to_epoll (watch->events);
  ev.data.u64 = watch->id;   /* not the pointer: a removed watch is looked up and missed */
  return epoll_ctl (self->epfd, op, watch->fd, &ev);
}

static gboolean
eap_poller_source_dispatch (GSource     *source,
                            GSourceFunc  callback,
                            gpointer     data)
{
  EapPoller *self = ((EapPollerSource *) source)->poller;
  struct epoll_event events[EAP_POLLER_BATCH];
  int n;

  do
    n = epoll_wait (self->epfd, events, G_N_ELEMENTS (events), 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      g_critical ("epoll_wait: %s", g_strerror (errno));
      return G_SOURCE_CONTINUE;
    }

  eap_poller_ref (self);   /* a callback may drop the last other ref */
  for (int i = 0; i < n; i++)
    {
      EapPollerWatch *watch;

      watch = g_hash_table_lookup (self->watches, GUINT_TO_POINTER ((guint) events[i].data.u64));
      if (watch != NULL && watch->registered)
        eap_poller_watch_call (watch, eap_poller_from_epoll (events[i].events));
    }
  eap_poller_unref (self);   /* may destroy this source: GLib holds its own ref */
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs eap_poller_source_funcs = {
  .dispatch = eap_poller_source_dispatch,
};

static gboolean
eap_poller_backend_init (EapPoller  *self,
                         GError    **error)
{
  int saved_errno;

  self->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epfd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "epoll_create1: %s", g_strerror (saved_errno));
      return FALSE;
    }
  self->source = g_source_new (&eap_poller_source_funcs, sizeof (EapPollerSource));
  ((EapPollerSource *) self->source)->poller = self;
  g_source_set_static_name (self->source, "EapPoller");
  g_source_add_unix_fd (self->source, self->epfd, G_IO_IN);
  g_source_attach (self->source, self->context);
  return TRUE;
}

static void
eap_poller_backend_clear (EapPoller *self)
{
  g_source_destroy (self->source);
  g_clear_pointer (&self->source, g_source_unref);
  close (self->epfd);
  self->epfd = -1;
}

static gboolean
eap_poller_backend_add (EapPoller       *self,
                        EapPollerWatch  *watch,
                        GError         **error)
{
  int saved_errno;

  if (watch->events == 0)
    return TRUE;
  if (eap_poller_ctl (self, EPOLL_CTL_ADD, watch) < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot watch fd %d: %s", watch->fd, g_strerror (saved_errno));
      return FALSE;
    }
  watch->registered = TRUE;
  return TRUE;
}

/* Pausing takes the fd out of the set: epoll reports EPOLLHUP and EPOLLERR
 * even for an empty mask, which would keep the epoll fd ready for ever. */
static void
eap_poller_backend_modify (EapPoller      *self,
                           EapPollerWatch *watch)
{
  int op, rc;

  if (watch->events == 0)
    op = watch->registered ? EPOLL_CTL_DEL : -1;
  else
    op = watch->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (op < 0)
    return;
  rc = eap_poller_ctl (self, op, watch);
  if (rc < 0 && op != EPOLL_CTL_DEL)
    g_critical ("epoll_ctl on fd %d: %s", watch->fd, g_strerror (errno));
  watch->registered = (watch->events != 0 && rc == 0);
}

static void
eap_poller_backend_remove (EapPoller      *self,
                           EapPollerWatch *watch)
{
  /* EBADF or ENOENT if the fd was closed first: the kernel dropped it. */
  if (watch->registered)
    (void) epoll_ctl (self->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
  watch->registered = FALSE;
}

/* ---- fallback: one GSource per watch ---------------------------------- */
#else

typedef struct
{
  GSource         source;
  EapPollerWatch *watch;   /* (unowned): the watch owns the source */
} EapPollerWatchSource;

static gboolean
eap_poller_watch_source_dispatch (GSource     *source,
                                  GSourceFunc  callback,
                                  gpointer     data)
{
  EapPollerWatch *watch = ((EapPollerWatchSource *) source)->watch;

  if (watch->tag != NULL)
    eap_poller_watch_call (watch, g_source_query_unix_fd (source, watch->tag));
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs eap_poller_watch_source_funcs = {
  .dispatch = eap_poller_watch_source_dispatch,
};

static gboolean
eap_poller_backend_init (EapPoller  *self,
                         GError    **error)
{
  self->fds = g_hash_table_new (NULL, NULL);
  return TRUE;
}

static void
eap_poller_backend_clear (EapPoller *self)
{
  g_clear_pointer (&self->fds, g_hash_table_unref);
}

static gboolean
eap_poller_backend_add (EapPoller       *self,
                        EapPollerWatch  *watch,
                        GError         **error)
{
  if (g_hash_table_contains (self->fds, GINT_TO_POINTER (watch->fd)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Cannot watch fd %d: %s", watch->fd, g_strerror (EEXIST));
      return FALSE;
    }
  g_hash_table_add (self->fds, GINT_TO_POINTER (watch->fd));
  watch->source = g_source_new (&eap_poller_watch_source_funcs,
                                sizeof (EapPollerWatchSource));
  ((EapPollerWatchSource *) watch->source)->watch = watch;
  g_source_set_static_name (watch->source, "EapPoller watch");
  if (watch->events != 0)
    watch->tag = g_source_add_unix_fd (watch->source, watch->fd, watch->events);
  g_source_attach (watch->source, self->context);
  return TRUE;
}

static void
eap_poller_backend_modify (EapPoller      *self,
                           EapPollerWatch *watch)
{
  if (watch->events == 0 && watch->tag != NULL)
    {
      g_source_remove_unix_fd (watch->source, watch->tag);
      watch->tag = NULL;
    }
  else if (watch->events != 0 && watch->tag == NULL)
    watch->tag = g_source_add_unix_fd (watch->source, watch->fd, watch->events);
  else if (watch->events != 0)
    g_source_modify_unix_fd (watch->source, watch->tag, watch->events);
}

static void
eap_poller_backend_remove (EapPoller      *self,
                           EapPollerWatch *watch)
{
  if (self->fds != NULL)
    g_hash_table_remove (self->fds, GINT_TO_POINTER (watch->fd));
  g_source_destroy (watch->source);
}

#endif

/* ---- common ------------------------------------------------------------ */

static void
eap_poller_free (EapPoller *self)
{
  GHashTableIter iter;
  gpointer value;

  eap_poller_backend_clear (self);   /* no dispatch from here on */
  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      EapPollerWatch *watch = value;

      watch->removed = TRUE;
      g_hash_table_iter_steal (&iter);
      eap_poller_backend_remove (self, watch);
      eap_poller_watch_unref (watch);
    }
  g_hash_table_unref (self->watches);
  g_main_context_unref (self->context);
  g_free (self);
}

static EapPoller *
eap_poller_new (GMainContext  *context,
                GError       **error)
{
  EapPoller *self = g_new0 (EapPoller, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->context = g_main_context_ref (context);
  self->watches = g_hash_table_new (NULL, NULL);
  if (!eap_poller_backend_init (self, error))
    {
      g_hash_table_unref (self->watches);
      g_main_context_unref (self->context);
      g_free (self);
      return NULL;
    }
  return self;
}

EapPoller *
eap_poller_ref_for_context (GMainContext  *context,
                            GError       **error)
{
  EapPoller *self;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (context == NULL)
    context = g_main_context_default ();

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (NULL, NULL);
  self = g_hash_table_lookup (registry, context);
  if (self != NULL)
    g_atomic_ref_count_inc (&self->ref_count);
  else if ((self = eap_poller_new (context, error)) != NULL)
    g_hash_table_insert (registry, context, self);
  if (g_hash_table_size (registry) == 0)
    g_clear_pointer (&registry, g_hash_table_unref);
  g_mutex_unlock (&registry_lock);

  return self;
}

EapPoller *
eap_poller_ref (EapPoller *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  /* The caller holds a ref, so the count cannot be at 0 here. */
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
eap_poller_unref (EapPoller *self)
{
  gboolean last;
  int old;

  g_return_if_fail (self != NULL);

  /* Fast path without the global lock (a dispatch refs and unrefs): a count
   * above 1 cannot reach 0 here. */
  old = g_atomic_int_get (&self->ref_count);
  while (old > 1)
    {
      if (g_atomic_int_compare_and_exchange_full (&self->ref_count, old, old - 1, &old))
        return;
    }

  /* The last ref goes under the lock, so a concurrent lookup never revives
   * a dying poller. */
  g_mutex_lock (&registry_lock);
  last = g_atomic_ref_count_dec (&self->ref_count);
  if (last)
    {
      g_hash_table_remove (registry, self->context);
      if (g_hash_table_size (registry) == 0)
        g_clear_pointer (&registry, g_hash_table_unref);
    }
  g_mutex_unlock (&registry_lock);

  if (last)
    {
      eap_poller_assert_owner (self);
      eap_poller_free (self);
    }
}

GMainContext *
eap_poller_get_context (EapPoller *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->context;
}

guint
eap_poller_add (EapPoller       *self,
                int              fd,
                GIOCondition     events,
                EapPollerFunc    func,
                gpointer         user_data,
                GDestroyNotify   destroy,
                GError         **error)
{
  EapPollerWatch *watch;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (fd >= 0, 0);
  g_return_val_if_fail (func != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);
  eap_poller_assert_owner (self);

  watch = g_new0 (EapPollerWatch, 1);
  watch->ref_count = 1;
  watch->fd = fd;
  watch->events = events & (G_IO_IN | G_IO_OUT | G_IO_PRI);
  watch->func = func;
  watch->id = eap_poller_next_id (self);
  if (!eap_poller_backend_add (self, watch, error))
    {
      g_free (watch);   /* destroy not set yet: user_data stays the caller's */
      return 0;
    }
  watch->user_data = user_data;
  watch->destroy = destroy;
  g_hash_table_insert (self->watches, GUINT_TO_POINTER (watch->id), watch);
  return watch->id;
}

void
eap_poller_modify (EapPoller    *self,
                   guint         watch_id,
                   GIOCondition  events)
{
  EapPollerWatch *watch;

  g_return_if_fail (self != NULL);
  eap_poller_assert_owner (self);

  watch = g_hash_table_lookup (self->watches, GUINT_TO_POINTER (watch_id));
  if (watch == NULL)
    {
      g_critical ("%s: no watch with id %u", G_STRFUNC, watch_id);
      return;
    }
  events &= G_IO_IN | G_IO_OUT | G_IO_PRI;
  if (events == watch->events)
    return;
  watch->events = events;
  eap_poller_backend_modify (self, watch);
}

void
eap_poller_remove (EapPoller *self,
                   guint      watch_id)
{
  EapPollerWatch *watch;

  g_return_if_fail (self != NULL);
  eap_poller_assert_owner (self);

  if (!g_hash_table_steal_extended (self->watches, GUINT_TO_POINTER (watch_id),
                                    NULL, (gpointer *) &watch))
    {
      g_critical ("%s: no watch with id %u", G_STRFUNC, watch_id);
      return;
    }
  watch->removed = TRUE;
  eap_poller_backend_remove (self, watch);
  eap_poller_watch_unref (watch);
}

GSource *
_eap_poller_get_source (EapPoller *self)
{
  g_return_val_if_fail (self != NULL, NULL);

#ifdef EAP_POLLER_USE_EPOLL
  return self->source;
#else
  return NULL;
#endif
}
