/* tsan-glib.c: tells ThreadSanitizer about GLib's synchronisation
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Debian's GLib is not built with -fsanitize=thread, and since GLib 2.74
 * GMutex and GCond are futexes on Linux, not pthread mutexes: nothing
 * ThreadSanitizer intercepts. It then sees no happens-before edge at all
 * between a g_mutex_unlock() in one thread and the g_mutex_lock() of the
 * same mutex in another, and reports every access to data a GMutex
 * guards. The same goes for GAsyncQueue and GThreadPool hand-offs, and
 * for the atomic reference counts that decide which thread finalizes an
 * object.
 *
 * This library, preloaded in the ThreadSanitizer pass of scripts/test
 * (LD_PRELOAD, through `meson test --wrapper`), interposes those GLib
 * functions, calls the real ones, and adds the edges with
 * __tsan_acquire() / __tsan_release() on the object's address: exactly
 * the ordering GLib guarantees. It reaches every call that goes through
 * the PLT: those of eap, of the tests, of GObject and GIO. Calls inside
 * libglib itself (GMainContext's own lock, say) are bound directly and
 * stay invisible; tests/tsan.supp names what they cause.
 *
 * Reference counts: every unref is a release and an acquire on the
 * object (g_atomic_int_dec_and_test() is a full barrier), so the thread
 * that finalizes has seen everything the others did before their unref.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <glib-object.h>

void __tsan_acquire (void *addr);
void __tsan_release (void *addr);

/* The real function, looked up once; the lookup may race, harmlessly, so
 * it is atomic for ThreadSanitizer's sake. */
#define REAL(ret, name, args)                                                 \
  static ret (*real_##name) args;                                             \
  static ret (*get_real_##name (void)) args                                   \
  {                                                                           \
    ret (*fn) args = __atomic_load_n (&real_##name, __ATOMIC_ACQUIRE);        \
    if (fn == NULL)                                                           \
      {                                                                       \
        fn = (ret (*) args) dlsym (RTLD_NEXT, #name);                         \
        if (fn == NULL)                                                       \
          g_error ("tsan-glib: no %s after this library", #name);             \
        __atomic_store_n (&real_##name, fn, __ATOMIC_RELEASE);                \
      }                                                                       \
    return fn;                                                                \
  }

/* GMutex */

REAL (void, g_mutex_lock, (GMutex *))
REAL (void, g_mutex_unlock, (GMutex *))
REAL (gboolean, g_mutex_trylock, (GMutex *))

void
g_mutex_lock (GMutex *mutex)
{
  get_real_g_mutex_lock () (mutex);
  __tsan_acquire (mutex);
}

void
g_mutex_unlock (GMutex *mutex)
{
  __tsan_release (mutex);
  get_real_g_mutex_unlock () (mutex);
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  gboolean ret = get_real_g_mutex_trylock () (mutex);

  if (ret)
    __tsan_acquire (mutex);
  return ret;
}

/* GRecMutex */

REAL (void, g_rec_mutex_lock, (GRecMutex *))
REAL (void, g_rec_mutex_unlock, (GRecMutex *))
REAL (gboolean, g_rec_mutex_trylock, (GRecMutex *))

void
g_rec_mutex_lock (GRecMutex *mutex)
{
  get_real_g_rec_mutex_lock () (mutex);
  __tsan_acquire (mutex);
}

void
g_rec_mutex_unlock (GRecMutex *mutex)
{
  __tsan_release (mutex);
  get_real_g_rec_mutex_unlock () (mutex);
}

gboolean
g_rec_mutex_trylock (GRecMutex *mutex)
{
  gboolean ret = get_real_g_rec_mutex_trylock () (mutex);

  if (ret)
    __tsan_acquire (mutex);
  return ret;
}

/* GRWLock: conservative, readers also see each other's releases. */

REAL (void, g_rw_lock_writer_lock, (GRWLock *))
REAL (void, g_rw_lock_writer_unlock, (GRWLock *))
REAL (void, g_rw_lock_reader_lock, (GRWLock *))
REAL (void, g_rw_lock_reader_unlock, (GRWLock *))

void
g_rw_lock_writer_lock (GRWLock *lock)
{
  get_real_g_rw_lock_writer_lock () (lock);
  __tsan_acquire (lock);
}

void
g_rw_lock_writer_unlock (GRWLock *lock)
{
  __tsan_release (lock);
  get_real_g_rw_lock_writer_unlock () (lock);
}

void
g_rw_lock_reader_lock (GRWLock *lock)
{
  get_real_g_rw_lock_reader_lock () (lock);
  __tsan_acquire (lock);
}

void
g_rw_lock_reader_unlock (GRWLock *lock)
{
  __tsan_release (lock);
  get_real_g_rw_lock_reader_unlock () (lock);
}

/* GCond: waiting gives the mutex up and takes it again. */

REAL (void, g_cond_wait, (GCond *, GMutex *))
REAL (gboolean, g_cond_wait_until, (GCond *, GMutex *, gint64))

void
g_cond_wait (GCond  *cond,
             GMutex *mutex)
{
  __tsan_release (mutex);
  get_real_g_cond_wait () (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond  *cond,
                   GMutex *mutex,
                   gint64  end_time)
{
  gboolean ret;

  __tsan_release (mutex);
  ret = get_real_g_cond_wait_until () (cond, mutex, end_time);
  __tsan_acquire (mutex);
  return ret;
}

/* GAsyncQueue: a push happens before the pop that gets the item. */

REAL (void, g_async_queue_push, (GAsyncQueue *, gpointer))
REAL (gpointer, g_async_queue_pop, (GAsyncQueue *))
REAL (gpointer, g_async_queue_try_pop, (GAsyncQueue *))
REAL (gpointer, g_async_queue_timeout_pop, (GAsyncQueue *, guint64))

void
g_async_queue_push (GAsyncQueue *queue,
                    gpointer     data)
{
  __tsan_release (queue);
  get_real_g_async_queue_push () (queue, data);
}

gpointer
g_async_queue_pop (GAsyncQueue *queue)
{
  gpointer ret = get_real_g_async_queue_pop () (queue);

  __tsan_acquire (queue);
  return ret;
}

gpointer
g_async_queue_try_pop (GAsyncQueue *queue)
{
  gpointer ret = get_real_g_async_queue_try_pop () (queue);

  if (ret != NULL)
    __tsan_acquire (queue);
  return ret;
}

gpointer
g_async_queue_timeout_pop (GAsyncQueue *queue,
                           guint64      timeout)
{
  gpointer ret = get_real_g_async_queue_timeout_pop () (queue, timeout);

  if (ret != NULL)
    __tsan_acquire (queue);
  return ret;
}

/* GThreadPool: a push happens before the pool function runs on the item.
 * The pool's function is wrapped to acquire what the push released. */

typedef struct
{
  GFunc    func;
  gpointer user_data;
} PoolFunc;

static void
pool_trampoline (gpointer data,
                 gpointer user_data)
{
  PoolFunc *pf = user_data;

  __tsan_acquire (data);
  pf->func (data, pf->user_data);
}

REAL (GThreadPool *, g_thread_pool_new, (GFunc, gpointer, gint, gboolean, GError **))
REAL (gboolean, g_thread_pool_push, (GThreadPool *, gpointer, GError **))

GThreadPool *
g_thread_pool_new (GFunc     func,
                   gpointer  user_data,
                   gint      max_threads,
                   gboolean  exclusive,
                   GError  **error)
{
  /* Never freed: pools in tests live as long as the process, as eap's. */
  PoolFunc *pf = g_new (PoolFunc, 1);

  pf->func = func;
  pf->user_data = user_data;
  return get_real_g_thread_pool_new () (pool_trampoline, pf, max_threads, exclusive, error);
}

gboolean
g_thread_pool_push (GThreadPool  *pool,
                    gpointer      data,
                    GError      **error)
{
  __tsan_release (data);
  return get_real_g_thread_pool_push () (pool, data, error);
}

/* g_once_init_leave(): the initializing thread's writes happen before
 * the fast path of g_once_init_enter() (an instrumented atomic load in
 * the caller) sees the value. */

REAL (void, g_once_init_leave, (volatile void *, gsize))

void
(g_once_init_leave) (volatile void *location,
                     gsize          result)
{
  __tsan_release ((void *) location);
  get_real_g_once_init_leave () (location, result);
}

/* Reference counts */

REAL (void, g_object_unref, (gpointer))
REAL (void, g_source_unref, (GSource *))
REAL (void, g_bytes_unref, (GBytes *))
REAL (void, g_main_context_unref, (GMainContext *))
REAL (void, g_atomic_rc_box_release_full, (gpointer, GDestroyNotify))

void
g_object_unref (gpointer object)
{
  __tsan_release (object);
  __tsan_acquire (object);
  get_real_g_object_unref () (object);
}

void
g_source_unref (GSource *source)
{
  __tsan_release (source);
  __tsan_acquire (source);
  get_real_g_source_unref () (source);
}

void
g_bytes_unref (GBytes *bytes)
{
  if (bytes != NULL)
    {
      __tsan_release (bytes);
      __tsan_acquire (bytes);
    }
  get_real_g_bytes_unref () (bytes);
}

void
g_main_context_unref (GMainContext *context)
{
  __tsan_release (context);
  __tsan_acquire (context);
  get_real_g_main_context_unref () (context);
}

void
g_atomic_rc_box_release_full (gpointer       mem_block,
                              GDestroyNotify clear_func)
{
  __tsan_release (mem_block);
  __tsan_acquire (mem_block);
  get_real_g_atomic_rc_box_release_full () (mem_block, clear_func);
}
