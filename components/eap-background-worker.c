/* eap-background-worker.c
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "eap-background-worker.h"

#include "eap-background-worker-private.h"

/**
 * EapBackgroundWorker:
 *
 * Runs work in a worker thread and reports its progress and its outcome as
 * signals in the main context of the thread that started it: .NET's
 * `BackgroundWorker`, without its flaws. One worker runs any number of
 * runs at once, told apart by their user state, and refuses a run whose
 * user state is already in flight instead of throwing "busy".
 *
 * The work is a C function set with
 * [method@Eap.BackgroundWorker.set_work_func] or, when none is set, the
 * handlers of [signal@Eap.BackgroundWorker::do-work] (the way bindings such
 * as Python provide it). Either way it runs in a worker thread and gets an
 * [class@Eap.DoWorkArgs]: it reads the argument, reports progress, checks
 * for cancellation, and sets a result or an error.
 *
 * Each run started with [method@Eap.BackgroundWorker.run_worker_async] is an
 * operation named `run-worker`: progress arrives as
 * [signal@Eap.Component::progress-changed]`::run-worker` and the outcome as
 * exactly one [signal@Eap.Component::completed]`::run-worker`, whose args
 * are always an [class@Eap.RunWorkerCompletedArgs].
 *
 * The outcome of a run is decided in this order, once the work returns:
 *
 * 1. An error, returned by the work function (%FALSE with @error set) or set
 *    with [method@Eap.DoWorkArgs.take_error], fails the run with that error;
 *    a %G_IO_ERROR_CANCELLED error makes it cancelled instead. A work
 *    function returning %FALSE without an error fails the run with
 *    %EAP_ERROR_FAILED: a failure is never dropped.
 * 2. Otherwise a result set with [method@Eap.DoWorkArgs.set_result] makes the
 *    run succeed, even when a cancel arrived after it: the real outcome
 *    stands.
 * 3. Otherwise, if the run was cancelled, it completes as cancelled.
 * 4. Otherwise it succeeds without a result.
 *
 * A run cancelled before a thread picked it up never runs its work and
 * completes as cancelled.
 *
 * The runs of every worker in the process share one pool of at most 64
 * threads; runs beyond that wait in a queue until a thread is free. Work
 * that blocks for long (on a lock, on the network without a cancellable)
 * holds a thread all along, so pass the run's cancellable to blocking calls.
 *
 * ```c
 * static gboolean
 * count_lines (EapDoWorkArgs *args, gpointer user_data, GError **error)
 * {
 *   const char *path = g_value_get_string (eap_do_work_args_get_argument (args));
 *   g_autofree char *text = NULL;
 *   g_auto(GValue) result = G_VALUE_INIT;
 *   guint n = 0;
 *
 *   if (!g_file_get_contents (path, &text, NULL, error))
 *     return FALSE;                    // the run completes with this error
 *   eap_do_work_args_report_progress (args, 50);
 *   if (eap_do_work_args_is_cancellation_pending (args))
 *     return TRUE;                     // no result: the run is cancelled
 *   for (const char *p = text; *p != '\0'; p++)
 *     n += *p == '\n';
 *   g_value_set_uint (g_value_init (&result, G_TYPE_UINT), n);
 *   eap_do_work_args_set_result (args, &result);
 *   return TRUE;
 * }
 *
 * static void
 * on_done (EapBackgroundWorker *worker, EapCompletedArgs *args, gpointer data)
 * {
 *   g_autoptr(GError) error = NULL;
 *   const GValue *n;
 *
 *   n = eap_run_worker_completed_args_get_result (EAP_RUN_WORKER_COMPLETED_ARGS (args),
 *                                                 &error);
 *   if (n != NULL)
 *     g_print ("%u lines\n", g_value_get_uint (n));
 *   else
 *     g_printerr ("no count: %s\n", error->message);   // failed or cancelled
 * }
 *
 * …
 *   g_autoptr(EapBackgroundWorker) worker = eap_background_worker_new ();
 *   g_auto(GValue) path = G_VALUE_INIT;
 *   g_autoptr(GError) error = NULL;
 *
 *   eap_background_worker_set_work_func (worker, count_lines, NULL, NULL);
 *   g_signal_connect (worker, "completed::run-worker", G_CALLBACK (on_done), NULL);
 *   g_value_set_static_string (g_value_init (&path, G_TYPE_STRING), "/etc/os-release");
 *   if (!eap_background_worker_run_worker_async (worker, &path, NULL, &error))
 *     g_printerr ("not started: %s\n", error->message);
 * ```
 *
 * Since: 0.1
 */

/* The work of a worker, shared by reference so that replacing it while runs
 * are in flight neither frees user_data under them nor changes their work. */
typedef struct
{
  EapWorkFunc    func;
  gpointer       user_data;   /* (owned by destroy) */
  GDestroyNotify destroy;     /* (nullable) */
} WorkFunc;

struct _EapBackgroundWorker
{
  EapComponent  parent_instance;

  GMutex        lock;         /* guards work_func: set_work_func may race with starts */
  WorkFunc     *work_func;    /* (owned) (nullable): an atomic rc box */
};

/* One accepted run, from _async to its release on the operation's
 * context. */
typedef struct
{
  GMutex               lock;      /* held by the pool thread while it completes the operation */
  EapBackgroundWorker *self;      /* (owned) */
  EapOperation        *operation; /* (owned) */
  EapDoWorkArgs       *args;      /* (owned) */
  WorkFunc            *work_func; /* (owned) (nullable): NULL means emit do-work */
} Run;

enum { DO_WORK, N_SIGNALS };

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EapBackgroundWorker, eap_background_worker, EAP_TYPE_COMPONENT)

static void
work_func_clear (gpointer data)
{
  WorkFunc *wf = data;

  if (wf->destroy != NULL)
    wf->destroy (wf->user_data);
}

static void
work_func_release (WorkFunc *wf)
{
  g_atomic_rc_box_release_full (wf, work_func_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WorkFunc, work_func_release)

static WorkFunc *
dup_work_func (EapBackgroundWorker *self)
{
  WorkFunc *wf;

  g_mutex_lock (&self->lock);
  wf = self->work_func != NULL ? g_atomic_rc_box_acquire (self->work_func) : NULL;
  g_mutex_unlock (&self->lock);

  return wf;
}

static void
run_free (Run *run)
{
  g_clear_pointer (&run->work_func, work_func_release);
  g_clear_object (&run->args);
  g_clear_object (&run->operation);
  g_clear_object (&run->self);
  g_mutex_clear (&run->lock);
  g_free (run);
}

static void
eap_background_worker_dispose (GObject *object)
{
  EapBackgroundWorker *self = (EapBackgroundWorker *) object;

  /* Closed before the work goes: a run started meanwhile from another
   * thread is refused with G_IO_ERROR_CLOSED (R50), not with "no work".
   * Runs in flight hold their own reference to the function. */
  eap_component_close (EAP_COMPONENT (self));
  eap_background_worker_set_work_func (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (eap_background_worker_parent_class)->dispose (object);
}

static void
eap_background_worker_finalize (GObject *object)
{
  EapBackgroundWorker *self = (EapBackgroundWorker *) object;

  g_assert (self->work_func == NULL);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (eap_background_worker_parent_class)->finalize (object);
}

static void
eap_background_worker_class_init (EapBackgroundWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = eap_background_worker_dispose;
  object_class->finalize = eap_background_worker_finalize;

  /**
   * EapBackgroundWorker::do-work:
   * @self: the worker
   * @args: the [class@Eap.DoWorkArgs] of the run
   *
   * Runs the work of a run when no work function is set, as .NET's
   * `DoWork` event.
   *
   * **This signal is emitted in a worker thread**, not in the main context
   * of the thread that started the run. It is the one signal of eap that
   * is, by design, as `DoWork` is in .NET: it *is* the work. A handler must
   * not touch widgets or other objects that belong to another thread; it
   * talks to the outside only through @args (argument, progress,
   * cancellation, result). For the blocking
   * [method@Eap.BackgroundWorker.run_worker] it is emitted in the calling
   * thread.
   *
   * It is not emitted when a work function is set with
   * [method@Eap.BackgroundWorker.set_work_func]. When several handlers are
   * connected they all run, in order, on the same @args.
   *
   * Bindings: an exception that escapes a handler never reaches the worker
   * (PyGObject prints it and returns), so the run would succeed without a
   * result. Catch it and call [method@Eap.DoWorkArgs.take_error], or use a
   * work function, where an exception fails the run.
   *
   * Since: 0.1
   */
  signals[DO_WORK] =
    g_signal_new ("do-work",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, EAP_TYPE_DO_WORK_ARGS);
}

static void
eap_background_worker_init (EapBackgroundWorker *self)
{
  g_mutex_init (&self->lock);
}

/**
 * eap_background_worker_new:
 *
 * Creates a background worker. Give it work with
 * [method@Eap.BackgroundWorker.set_work_func] or a
 * [signal@Eap.BackgroundWorker::do-work] handler.
 *
 * Returns: (transfer full): a new [class@Eap.BackgroundWorker]
 *
 * Since: 0.1
 */
EapBackgroundWorker *
eap_background_worker_new (void)
{
  return g_object_new (EAP_TYPE_BACKGROUND_WORKER, NULL);
}

/**
 * eap_background_worker_set_work_func:
 * @self: an [class@Eap.BackgroundWorker]
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   the work, or `NULL` to go back to emitting
 *   [signal@Eap.BackgroundWorker::do-work]
 * @user_data: data passed to @func
 * @destroy: (nullable): frees @user_data
 *
 * Sets the work that each run does, in a worker thread. While it is set,
 * [signal@Eap.BackgroundWorker::do-work] is not emitted.
 *
 * An error the function returns fails the run. So does %FALSE without an
 * error (%EAP_ERROR_FAILED), which is what bindings return when the function
 * raises something other than a `GLib.Error`.
 *
 * A run uses the function that was set when it started: replacing it does
 * not affect runs in flight. @destroy is called once neither the worker
 * nor any run uses @func any more: in the thread that replaces it or
 * disposes of the worker, or, when a run was the last user, in the main
 * context the run completes in.
 *
 * Since: 0.1
 */
void
eap_background_worker_set_work_func (EapBackgroundWorker *self,
                                     EapWorkFunc          func,
                                     gpointer             user_data,
                                     GDestroyNotify       destroy)
{
  WorkFunc *wf = NULL;
  WorkFunc *old;

  g_return_if_fail (EAP_IS_BACKGROUND_WORKER (self));
  g_return_if_fail (func != NULL || (user_data == NULL && destroy == NULL));

  if (func != NULL)
    {
      wf = g_atomic_rc_box_new0 (WorkFunc);
      wf->func = func;
      wf->user_data = user_data;
      wf->destroy = destroy;
    }

  g_mutex_lock (&self->lock);
  old = self->work_func;
  self->work_func = wf;
  g_mutex_unlock (&self->lock);

  /* Outside the lock: @destroy is user code. */
  g_clear_pointer (&old, work_func_release);
}

static gboolean
has_work (EapBackgroundWorker *self,
          WorkFunc            *work_func)
{
  return work_func != NULL ||
         g_signal_has_handler_pending (self, signals[DO_WORK], 0, FALSE);
}

static GError *
no_work_error (void)
{
  return g_error_new_literal (EAP_ERROR, EAP_ERROR_FAILED,
                              "The background worker has no work: set a work "
                              "function or connect to do-work");
}

/* Runs the work in the calling thread: the work function, else the
 * do-work handlers. Every error ends up on @args. */
static void
do_work (EapBackgroundWorker *self,
         WorkFunc            *work_func,
         EapDoWorkArgs       *args)
{
  GError *error = NULL;

  if (work_func == NULL)
    {
      if (g_signal_has_handler_pending (self, signals[DO_WORK], 0, FALSE))
        g_signal_emit (self, signals[DO_WORK], 0, args);
      else     /* the handler went away after the run was accepted */
        eap_do_work_args_take_error (args, no_work_error ());
      return;
    }

  if (work_func->func (args, work_func->user_data, &error))
    {
      /* TRUE with an error set is a bug in the work; the error still wins
       * rather than being dropped (R55). */
      if (error != NULL)
        eap_do_work_args_take_error (args, error);
      return;
    }

  if (error == NULL)
    error = g_error_new_literal (EAP_ERROR, EAP_ERROR_FAILED,
                                 "The work function of the background worker "
                                 "failed without setting an error");
  eap_do_work_args_take_error (args, error);  /* it outweighs one set on args */
}

/* The outcome rules of the class documentation. Returns the error to
 * complete with (NULL for success); @result is left set when the work set
 * one. */
static GError *
decide_outcome (EapDoWorkArgs *args,
                GValue        *result)
{
  GError *error = _eap_do_work_args_finish (args, result);

  if (error != NULL)
    {
      if (G_IS_VALUE (result))
        g_value_unset (result);
      return error;
    }
  if (G_IS_VALUE (result))
    return NULL;   /* a result beats a late cancel (R27) */
  if (g_cancellable_is_cancelled (eap_do_work_args_get_cancellable (args)))
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                "The run was cancelled");
  return NULL;
}

static gboolean
release_run_cb (gpointer data)
{
  Run *run = data;

  /* Waits, at most for the length of eap_operation_complete(), until the
   * pool thread has let go of the run; run_free() follows. */
  g_mutex_lock (&run->lock);
  g_mutex_unlock (&run->lock);

  return G_SOURCE_REMOVE;
}

/* Completes the run's operation and hands the run over to the operation's
 * context, which drops its references there rather than in the pool thread
 * (R53): the worker, the argument and the work function's user_data may
 * have finalizers that belong to that thread.
 *
 * The release source is attached *before* completing: attached after, it
 * could miss the last iteration a caller makes (the one that emits
 * completed) and leave source, run, operation and context holding each
 * other for ever. Until the pool thread drops run->lock the source cannot
 * free the run. */
static void
complete_and_release (Run              *run,
                      EapCompletedArgs *args)
{
  GSource *source = g_idle_source_new ();

  g_mutex_lock (&run->lock);

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, release_run_cb, run, (GDestroyNotify) run_free);
  g_source_set_static_name (source, "[eap] EapBackgroundWorker release");
  g_source_attach (source, eap_operation_get_context (run->operation));
  g_source_unref (source);

  eap_operation_complete (run->operation, args);

  g_mutex_unlock (&run->lock);   /* the last touch of @run in this thread */
}

static void
run_worker_thread (gpointer data,
                   gpointer pool_data)
{
  Run *run = data;
  GValue result = G_VALUE_INIT;
  GError *error;

  if (g_cancellable_is_cancelled (eap_operation_get_cancellable (run->operation)))
    {
      /* Cancelled before a thread picked it up: the work never runs (R30).
       * Sealing the args still makes late use of them a critical. */
      GError *none = _eap_do_work_args_finish (run->args, &result);

      g_assert (none == NULL && !G_IS_VALUE (&result));
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "The run was cancelled before it began");
    }
  else
    {
      do_work (run->self, run->work_func, run->args);
      error = decide_outcome (run->args, &result);
    }

  complete_and_release (run, EAP_COMPLETED_ARGS (_eap_run_worker_completed_args_new (error, &result)));
}

static GThreadPool *
get_pool (void)
{
  static GThreadPool *pool;   /* (owned): never freed, as GTask's pool */

  if (g_once_init_enter (&pool))
    {
      /* Non-exclusive: threads are shared with other GLib pools and
       * created on demand, so an idle process holds none of them. */
      GThreadPool *p = g_thread_pool_new (run_worker_thread, NULL,
                                          EAP_BACKGROUND_WORKER_MAX_THREADS,
                                          FALSE, NULL);
      g_once_init_leave (&pool, p);
    }

  return pool;
}

/**
 * eap_background_worker_run_worker_async:
 * @self: an [class@Eap.BackgroundWorker]
 * @argument: (nullable): the argument of the work, copied; it reaches the
 *   work as [method@Eap.DoWorkArgs.get_argument]
 * @user_state: (type gsize): identifies the run in the signals and to
 *   [method@Eap.Component.cancel_async]
 * @error: return location for the reason the run was refused
 *
 * Starts a run: the work runs in a worker thread, and the outcome arrives
 * as [signal@Eap.Component::completed]`::run-worker` (an
 * [class@Eap.RunWorkerCompletedArgs]) in the thread-default main context of
 * the calling thread, on a later iteration of it, never before this call
 * returns. Progress arrives there too, as
 * [signal@Eap.Component::progress-changed]`::run-worker`. See
 * [class@Eap.BackgroundWorker] for how the outcome is decided.
 *
 * The run is refused, and nothing is emitted for it, when @user_state is
 * not `NULL` and already in flight on @self (%G_IO_ERROR_INVALID_ARGUMENT),
 * when @self is closed (%G_IO_ERROR_CLOSED), and when @self has no work at
 * all: no work function and no [signal@Eap.BackgroundWorker::do-work]
 * handler (%EAP_ERROR_FAILED). Should the last do-work handler be
 * disconnected after the run was accepted, it completes with that
 * %EAP_ERROR_FAILED error instead.
 *
 * Returns: %TRUE if the run was accepted, %FALSE with @error set if not
 *
 * Since: 0.1
 */
gboolean
eap_background_worker_run_worker_async (EapBackgroundWorker  *self,
                                        const GValue         *argument,
                                        gpointer              user_state,
                                        GError              **error)
{
  g_autoptr(WorkFunc) work_func = NULL;
  g_autoptr(EapOperation) operation = NULL;
  g_autoptr(GError) push_error = NULL;
  Run *run;

  g_return_val_if_fail (EAP_IS_BACKGROUND_WORKER (self), FALSE);
  g_return_val_if_fail (argument == NULL || G_IS_VALUE (argument), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  work_func = dup_work_func (self);
  /* A closed worker refuses with CLOSED below, whatever its work. */
  if (!has_work (self, work_func) && !eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_propagate_error (error, no_work_error ());
      return FALSE;
    }

  operation = eap_component_begin_operation (EAP_COMPONENT (self), "run-worker",
                                             user_state, error);
  if (operation == NULL)
    return FALSE;

  run = g_new0 (Run, 1);
  g_mutex_init (&run->lock);
  run->self = g_object_ref (self);
  run->operation = g_object_ref (operation);
  run->work_func = g_steal_pointer (&work_func);
  run->args = _eap_do_work_args_new (operation, eap_operation_get_cancellable (operation),
                                     user_state, argument);

  /* Fails only when no thread could be created; the run then stays queued
   * and starts when a pool thread is free. */
  if (!g_thread_pool_push (get_pool (), run, &push_error))
    g_warning ("EapBackgroundWorker: could not start a worker thread (%s); "
               "the run waits for a free one", push_error->message);

  return TRUE;
}

/**
 * eap_background_worker_run_worker:
 * @self: an [class@Eap.BackgroundWorker]
 * @argument: (nullable): the argument of the work
 * @result: (out caller-allocates) (optional): an unset `GValue` (`G_VALUE_INIT`)
 *   that receives the result on success; when the work set none, it holds a
 *   `NULL` pointer (%G_TYPE_POINTER), which bindings show as `None`/`null`.
 *   It is left unset on failure. Unset it with g_value_unset() after use
 * @cancellable: (nullable): a [class@Gio.Cancellable]; the work sees it as
 *   [method@Eap.DoWorkArgs.get_cancellable]
 * @error: return location for the run's error
 *
 * Runs the work in the calling thread and blocks until it returns: the
 * blocking twin of [method@Eap.BackgroundWorker.run_worker_async], with the
 * same outcome rules (see [class@Eap.BackgroundWorker]).
 *
 * It starts no operation and emits nothing but
 * [signal@Eap.BackgroundWorker::do-work] (in the calling thread, when no work
 * function is set): no `completed`, no `progress-changed`, no change of
 * [property@Eap.Component:is-busy]. Progress the work reports is dropped.
 *
 * When @cancellable is already cancelled the work does not run and this
 * returns %FALSE with %G_IO_ERROR_CANCELLED; a cancelled run without a
 * result returns the same.
 *
 * Returns: %TRUE on success, %FALSE with @error set on failure or
 *   cancellation
 *
 * Since: 0.1
 */
gboolean
eap_background_worker_run_worker (EapBackgroundWorker  *self,
                                  const GValue         *argument,
                                  GValue               *result,
                                  GCancellable         *cancellable,
                                  GError              **error)
{
  g_autoptr(WorkFunc) work_func = NULL;
  g_autoptr(GCancellable) own_cancellable = NULL;
  g_autoptr(EapDoWorkArgs) args = NULL;
  GValue value = G_VALUE_INIT;
  GError *outcome;

  g_return_val_if_fail (EAP_IS_BACKGROUND_WORKER (self), FALSE);
  g_return_val_if_fail (argument == NULL || G_IS_VALUE (argument), FALSE);
  g_return_val_if_fail (result == NULL || !G_IS_VALUE (result), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* The blocking twin is no operation (it does not make the worker busy),
   * but a closed worker refuses it all the same. */
  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Cannot run the work: the EapBackgroundWorker is closed");
      return FALSE;
    }

  work_func = dup_work_func (self);
  if (!has_work (self, work_func))
    {
      g_propagate_error (error, no_work_error ());
      return FALSE;
    }

  /* The work always gets a cancellable to pass to its own calls. */
  if (cancellable == NULL)
    cancellable = own_cancellable = g_cancellable_new ();

  args = _eap_do_work_args_new (NULL, cancellable, NULL, argument);
  do_work (self, work_func, args);
  outcome = decide_outcome (args, &value);

  if (outcome != NULL)
    {
      g_propagate_error (error, outcome);
      return FALSE;
    }

  if (result == NULL)
    {
      if (G_IS_VALUE (&value))
        g_value_unset (&value);
    }
  else if (G_IS_VALUE (&value))
    *result = value;   /* a move */
  else
    {
      /* No result: a NULL pointer, as .NET's null Result. Never left unset:
       * bindings cannot convert an unset GValue (PyGObject raises
       * "TypeError: unknown type (null)" after the work has run). */
      g_value_init (result, G_TYPE_POINTER);
    }

  return TRUE;
}
