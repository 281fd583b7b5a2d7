/* prime-calculator.c: how to write your own eap component
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Read this file top to bottom: it is written as a tutorial. It builds the
 * .NET docs' PrimeNumberCalculator in four steps:
 *
 *   1. a progress-args subclass, for what a progress report carries
 *      beyond done/total (here: the latest prime found and how many);
 *   2. a completed-args subclass, for the typed result, with getters that
 *      turn a failed or cancelled operation into a GError (R22);
 *   3. the work itself: plain, blocking, cancellable C that knows nothing
 *      about signals or main contexts;
 *   4. the component: `…_async` validates, begins an operation, hands it
 *      to a worker thread, and the worker completes it. Everything else
 *      (the user_state table, is-busy, cancel, delivering the signals in
 *      the caller's main context, exactly-once completion) is inherited
 *      from EapComponent and EapOperation.
 *
 * The algorithm is the one of the .NET sample, made to scale: walk the
 * candidates 2, 3, 5, 7, 9, … up to √number, find out which of them are
 * prime (by trial division with the small primes found so far), report
 * each new prime as progress, and stop at the first prime that divides
 * the number. The first divisor found that way is the smallest prime
 * factor; when none is found up to √number, the number is prime.
 *
 * Trial division takes time proportional to √number: about a second
 * for a prime near 10^13 on a 2020s CPU, hours near 2^64. That is the
 * point of the sample: long enough that it must not run on the main
 * thread, and must stop promptly when cancelled.
 */

#include "prime-calculator.h"

/* ==================================================================== */
/* Step 1: the progress arguments.                                      */
/* ==================================================================== */

/*
 * EapProgressArgs already carries done, total, percentage, user-state and
 * the operation name; the operation fills in the last two. A subclass
 * adds the domain's fields. Like every args object it is immutable once
 * made: the fields are construct-only properties, so a worker thread can
 * build one with g_object_new() and hand it over without any locking.
 */
struct _PrimeCalculateProgressArgs
{
  EapProgressArgs parent_instance;

  guint64         latest_prime;   /* the newest prime found by the search */
  guint64         primes_found;   /* how many primes the search has found */
};

enum
{
  PROGRESS_PROP_0,
  PROGRESS_PROP_LATEST_PRIME,
  PROGRESS_PROP_PRIMES_FOUND,
  PROGRESS_N_PROPS
};

static GParamSpec *progress_properties[PROGRESS_N_PROPS];

G_DEFINE_FINAL_TYPE (PrimeCalculateProgressArgs, prime_calculate_progress_args,
                     EAP_TYPE_PROGRESS_ARGS)

static void
prime_calculate_progress_args_get_property (GObject    *object,
                                            guint       prop_id,
                                            GValue     *value,
                                            GParamSpec *pspec)
{
  PrimeCalculateProgressArgs *self = PRIME_CALCULATE_PROGRESS_ARGS (object);

  switch (prop_id)
    {
    case PROGRESS_PROP_LATEST_PRIME:
      g_value_set_uint64 (value, self->latest_prime);
      break;
    case PROGRESS_PROP_PRIMES_FOUND:
      g_value_set_uint64 (value, self->primes_found);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
prime_calculate_progress_args_set_property (GObject      *object,
                                            guint         prop_id,
                                            const GValue *value,
                                            GParamSpec   *pspec)
{
  PrimeCalculateProgressArgs *self = PRIME_CALCULATE_PROGRESS_ARGS (object);

  switch (prop_id)
    {
    case PROGRESS_PROP_LATEST_PRIME:
      self->latest_prime = g_value_get_uint64 (value);
      break;
    case PROGRESS_PROP_PRIMES_FOUND:
      self->primes_found = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
prime_calculate_progress_args_class_init (PrimeCalculateProgressArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = prime_calculate_progress_args_get_property;
  object_class->set_property = prime_calculate_progress_args_set_property;

  /**
   * PrimeCalculateProgressArgs:latest-prime:
   *
   * The newest prime the search has found (and tried as a divisor).
   */
  progress_properties[PROGRESS_PROP_LATEST_PRIME] =
    g_param_spec_uint64 ("latest-prime", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PrimeCalculateProgressArgs:primes-found:
   *
   * How many primes the search has found so far, 2 included.
   */
  progress_properties[PROGRESS_PROP_PRIMES_FOUND] =
    g_param_spec_uint64 ("primes-found", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, PROGRESS_N_PROPS, progress_properties);
}

static void
prime_calculate_progress_args_init (PrimeCalculateProgressArgs *self)
{
}

/**
 * prime_calculate_progress_args_get_latest_prime:
 * @self: a #PrimeCalculateProgressArgs
 *
 * Returns: the newest prime found so far
 */
guint64
prime_calculate_progress_args_get_latest_prime (PrimeCalculateProgressArgs *self)
{
  g_return_val_if_fail (PRIME_IS_CALCULATE_PROGRESS_ARGS (self), 0);

  return self->latest_prime;
}

/**
 * prime_calculate_progress_args_get_primes_found:
 * @self: a #PrimeCalculateProgressArgs
 *
 * Returns: how many primes the search has found so far
 */
guint64
prime_calculate_progress_args_get_primes_found (PrimeCalculateProgressArgs *self)
{
  g_return_val_if_fail (PRIME_IS_CALCULATE_PROGRESS_ARGS (self), 0);

  return self->primes_found;
}

/* ==================================================================== */
/* Step 2: the completed arguments.                                     */
/* ==================================================================== */

/*
 * EapCompletedArgs carries error, cancelled, user-state and the operation
 * name. The subclass carries the result. Two rules from the contract:
 *
 * - Every completion of this operation uses this subclass, the failed and
 *   cancelled ones too, so a handler of "completed::calculate-prime" can
 *   cast its argument without checking (the worker below never uses
 *   eap_operation_complete_error(), which would deliver the base type).
 * - Result getters take a GError ** and go through
 *   eap_completed_args_propagate_error() first (R22, .NET's
 *   RaiseExceptionIfNecessary): a program cannot read a result that does
 *   not exist without being told why.
 */
struct _PrimeCalculateCompletedArgs
{
  EapCompletedArgs parent_instance;

  guint64          number;          /* the number that was tested */
  guint64          first_divisor;   /* smallest divisor > 1; == number for a prime */
  gboolean         is_prime;
};

enum
{
  COMPLETED_PROP_0,
  COMPLETED_PROP_NUMBER,
  COMPLETED_PROP_IS_PRIME,
  COMPLETED_PROP_FIRST_DIVISOR,
  COMPLETED_N_PROPS
};

static GParamSpec *completed_properties[COMPLETED_N_PROPS];

G_DEFINE_FINAL_TYPE (PrimeCalculateCompletedArgs, prime_calculate_completed_args,
                     EAP_TYPE_COMPLETED_ARGS)

static void
prime_calculate_completed_args_get_property (GObject    *object,
                                             guint       prop_id,
                                             GValue     *value,
                                             GParamSpec *pspec)
{
  PrimeCalculateCompletedArgs *self = PRIME_CALCULATE_COMPLETED_ARGS (object);

  switch (prop_id)
    {
    case COMPLETED_PROP_NUMBER:
      g_value_set_uint64 (value, self->number);
      break;
    case COMPLETED_PROP_IS_PRIME:
      g_value_set_boolean (value, self->is_prime);
      break;
    case COMPLETED_PROP_FIRST_DIVISOR:
      g_value_set_uint64 (value, self->first_divisor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
prime_calculate_completed_args_set_property (GObject      *object,
                                             guint         prop_id,
                                             const GValue *value,
                                             GParamSpec   *pspec)
{
  PrimeCalculateCompletedArgs *self = PRIME_CALCULATE_COMPLETED_ARGS (object);

  switch (prop_id)
    {
    case COMPLETED_PROP_NUMBER:
      self->number = g_value_get_uint64 (value);
      break;
    case COMPLETED_PROP_IS_PRIME:
      self->is_prime = g_value_get_boolean (value);
      break;
    case COMPLETED_PROP_FIRST_DIVISOR:
      self->first_divisor = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
prime_calculate_completed_args_class_init (PrimeCalculateCompletedArgsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = prime_calculate_completed_args_get_property;
  object_class->set_property = prime_calculate_completed_args_set_property;

  /**
   * PrimeCalculateCompletedArgs:number:
   *
   * The number the operation tested: its argument, so it is there even
   * when the operation was cancelled.
   */
  completed_properties[COMPLETED_PROP_NUMBER] =
    g_param_spec_uint64 ("number", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PrimeCalculateCompletedArgs:is-prime:
   *
   * Whether the number is prime. Meaningless unless the operation
   * succeeded: read it with prime_calculate_completed_args_get_is_prime().
   */
  completed_properties[COMPLETED_PROP_IS_PRIME] =
    g_param_spec_boolean ("is-prime", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_CONSTRUCT_ONLY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * PrimeCalculateCompletedArgs:first-divisor:
   *
   * The smallest divisor greater than 1: the smallest prime factor of a
   * composite, the number itself for a prime. Read it with
   * prime_calculate_completed_args_get_first_divisor().
   */
  completed_properties[COMPLETED_PROP_FIRST_DIVISOR] =
    g_param_spec_uint64 ("first-divisor", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, COMPLETED_N_PROPS, completed_properties);
}

static void
prime_calculate_completed_args_init (PrimeCalculateCompletedArgs *self)
{
}

/**
 * prime_calculate_completed_args_get_number:
 * @self: a #PrimeCalculateCompletedArgs
 *
 * The number the operation was started with. This is the operation's
 * argument, not a result, so it is available whatever the outcome and
 * takes no GError.
 *
 * Returns: the tested number
 */
guint64
prime_calculate_completed_args_get_number (PrimeCalculateCompletedArgs *self)
{
  g_return_val_if_fail (PRIME_IS_CALCULATE_COMPLETED_ARGS (self), 0);

  return self->number;
}

/**
 * prime_calculate_completed_args_get_is_prime:
 * @self: a #PrimeCalculateCompletedArgs
 * @error: return location for the operation's error
 *
 * Whether the tested number is prime.
 *
 * As with g_key_file_get_boolean(), %FALSE is also what a failed or
 * cancelled operation returns: look at @error to tell "not prime" from
 * "no answer" (a cancelled operation gives %G_IO_ERROR_CANCELLED).
 *
 * Returns: %TRUE if the number is prime; %FALSE if it is not, or with
 *   @error set if the operation failed or was cancelled
 */
gboolean
prime_calculate_completed_args_get_is_prime (PrimeCalculateCompletedArgs  *self,
                                             GError                      **error)
{
  g_return_val_if_fail (PRIME_IS_CALCULATE_COMPLETED_ARGS (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return FALSE;

  return self->is_prime;
}

/**
 * prime_calculate_completed_args_get_first_divisor:
 * @self: a #PrimeCalculateCompletedArgs
 * @error: return location for the operation's error
 *
 * The smallest divisor of the tested number greater than 1: its smallest
 * prime factor, or the number itself when it is prime (so
 * `first_divisor == number` exactly when the number is prime).
 *
 * Returns: the first divisor, or 0 with @error set if the operation
 *   failed or was cancelled
 */
guint64
prime_calculate_completed_args_get_first_divisor (PrimeCalculateCompletedArgs  *self,
                                                  GError                      **error)
{
  g_return_val_if_fail (PRIME_IS_CALCULATE_COMPLETED_ARGS (self), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!eap_completed_args_propagate_error (EAP_COMPLETED_ARGS (self), error))
    return 0;

  return self->first_divisor;
}

/* ==================================================================== */
/* Step 3: the work.                                                    */
/* ==================================================================== */

/*
 * The search is ordinary blocking C. It takes a GCancellable and a
 * GError **, like any GIO blocking call, and an optional EapOperation to
 * report progress to. Because it does not know which thread it runs in,
 * the same function serves the worker thread of the asynchronous form and
 * the caller's thread of the blocking twin.
 */

/* The largest r with r * r <= n, in integers (a double has only 53 bits
 * of mantissa, too few for numbers near 2^64). */
static guint64
isqrt_u64 (guint64 n)
{
  guint64 root = 0;
  guint64 bit = G_GUINT64_CONSTANT (1) << 62;

  while (bit > n)
    bit >>= 2;

  while (bit != 0)
    {
      if (n >= root + bit)
        {
          n -= root + bit;
          root = (root >> 1) + bit;
        }
      else
        root >>= 1;
      bit >>= 2;
    }

  return root;
}

/* Whether the odd candidate @m (or 2) is prime, given every odd prime up
 * to √m in @small. Candidates never exceed √(2^64) < 2^32, so 32-bit
 * arithmetic suffices, and it is faster than 64-bit division. */
static gboolean
candidate_is_prime (guint32        m,
                    const guint32 *small,
                    guint          n_small)
{
  for (guint i = 0; i < n_small; i++)
    {
      guint32 p = small[i];

      if (p * p > m)
        return TRUE;
      if (m % p == 0)
        return FALSE;
    }

  return TRUE;
}

/* What the search reports, and when. */
typedef struct
{
  EapOperation *op;            /* (unowned) (nullable): NULL in the blocking twin */
  guint64       total;         /* candidates run from 2 to total (= √number) */
  guint64       next_report;   /* report at the first prime >= this */
} Reporter;

/*
 * Reporting is cheap (the operation keeps only the newest report and
 * emits at most one per progress-interval), but each report is an object
 * the worker allocates. A prime near 10^13 has ~200,000 primes below its
 * root; making 200,000 objects so that the operation can throw nearly all
 * of them away is waste. So the search reports when the whole percentage
 * moves (at most ~100 reports) and once more where it stops: the
 * last report always tells where the search ended.
 */
static void
reporter_report (Reporter *reporter,
                 guint64   done,
                 guint64   latest_prime,
                 guint64   primes_found)
{
  EapProgressArgs *args;
  guint64 percent;

  if (reporter->op == NULL)
    return;

  /* done and total are construct-only properties of EapProgressArgs;
   * percentage is computed from them. Note the casts: varargs need the
   * exact property types (gint64 for done/total, guint64 for ours). */
  args = g_object_new (PRIME_TYPE_CALCULATE_PROGRESS_ARGS,
                       "done", (gint64) done,
                       "total", (gint64) reporter->total,
                       "latest-prime", latest_prime,
                       "primes-found", primes_found,
                       NULL);

  /* Transfer full; safe from any thread: the operation marshals it to
   * the main context of whoever started the operation. */
  eap_operation_report_progress_args (reporter->op, args);

  /* The smallest candidate that shows the next whole percentage. */
  percent = done * 100 / reporter->total;
  reporter->next_report = ((percent + 1) * reporter->total + 99) / 100;
}

/* Finds the smallest divisor > 1 of @number (>= 2): its smallest prime
 * factor, or @number itself when it is prime. */
static gboolean
find_first_divisor (guint64        number,
                    GCancellable  *cancellable,
                    EapOperation  *op,
                    guint64       *first_divisor,
                    GError       **error)
{
  guint64 limit = isqrt_u64 (number);      /* a composite has a factor <= √number */
  guint32 small_limit = (guint32) isqrt_u64 (limit); /* to sieve candidates <= limit */
  g_autofree guint32 *small = g_new (guint32, small_limit / 2 + 2);
  guint n_small = 0;
  guint64 primes_found = 0;
  guint64 latest_prime = 0;
  Reporter reporter = { op, limit, 0 };

  g_assert (number >= 2);

  /* Candidates: 2, then the odd numbers. All fit in 32 bits. */
  for (guint64 m = 2; m <= limit; m += (m == 2) ? 1 : 2)
    {
      /* Check for cancellation at every candidate: it is one atomic read,
       * far cheaper than the trial division around it, and it makes
       * cancel_async stop the worker within microseconds (P4). */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (!candidate_is_prime ((guint32) m, small, n_small))
        continue;

      primes_found++;
      latest_prime = m;
      if (m != 2 && m <= small_limit)
        small[n_small++] = (guint32) m;   /* needed to sieve later candidates */

      if (number % m == 0)
        {
          reporter_report (&reporter, m, latest_prime, primes_found);
          *first_divisor = m;
          return TRUE;
        }

      if (m >= reporter.next_report)
        reporter_report (&reporter, m, latest_prime, primes_found);
    }

  /* No divisor up to √number: prime. Report the finished search, unless
   * there was none to do (2 and 3 have no candidates). */
  if (limit >= 2)
    reporter_report (&reporter, limit, latest_prime, primes_found);
  *first_divisor = number;
  return TRUE;
}

/* Primality is defined for the integers from 2 on: 0 and 1 are neither
 * prime nor composite. Asking about them is a usage error, refused at
 * call time (R9), rather than a "not prime" answer that would be wrong
 * for 1 and a first divisor that does not exist. */
static gboolean
check_number (guint64   number,
              GError  **error)
{
  if (number >= 2)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Cannot test %" G_GUINT64_FORMAT " for primality: "
               "only numbers from 2 on are prime or composite",
               number);
  return FALSE;
}

/* ==================================================================== */
/* Step 4: the component.                                               */
/* ==================================================================== */

/*
 * The component has no state of its own. EapComponent keeps the table of
 * operations in flight (by user_state), is-busy, the progress-interval,
 * the signals, cancel_async/cancel_all and close/dispose; each
 * EapOperation keeps its cancellable, its main context and its
 * exactly-once completion. The subclass only adds operations.
 */
struct _PrimeCalculator
{
  EapComponent parent_instance;
};

G_DEFINE_FINAL_TYPE (PrimeCalculator, prime_calculator, EAP_TYPE_COMPONENT)

static void
prime_calculator_class_init (PrimeCalculatorClass *klass)
{
}

static void
prime_calculator_init (PrimeCalculator *self)
{
}

/**
 * prime_calculator_new:
 *
 * Returns: (transfer full): a new #PrimeCalculator
 */
PrimeCalculator *
prime_calculator_new (void)
{
  return g_object_new (PRIME_TYPE_CALCULATOR, NULL);
}

/* One job for the worker pool. */
typedef struct
{
  EapOperation *op;       /* (owned): the worker completes it, exactly once */
  guint64       number;
} CalculateJob;

static void
calculate_job_free (CalculateJob *job)
{
  g_clear_object (&job->op);
  g_free (job);
}

/*
 * The worker thread. It touches only the job: the number and the
 * operation, whose report and complete functions are safe from any thread.
 * It never touches the component (GObject properties and signals are not
 * thread-safe) and never emits a signal; the operation delivers progress
 * and completion to the main context that was thread-default when
 * …_async was called.
 */
static void
calculate_prime_thread (gpointer data,
                        gpointer pool_data)
{
  CalculateJob *job = data;
  g_autoptr(GError) error = NULL;
  guint64 first_divisor = 0;
  gboolean found;
  EapCompletedArgs *args;

  found = find_first_divisor (job->number, eap_operation_get_cancellable (job->op),
                              job->op, &first_divisor, &error);

  /* One completion for every path, always with our subclass. On
   * cancellation @error is G_IO_ERROR_CANCELLED: the operation turns that
   * into cancelled == TRUE with error == NULL, as the contract says
   * (DESIGN.md §2.4). If the cancel came too late, after the answer was
   * found, the real answer stands (found == TRUE). */
  args = g_object_new (PRIME_TYPE_CALCULATE_COMPLETED_ARGS,
                       "error", error,                     /* NULL on success */
                       "number", job->number,
                       "is-prime", found && first_divisor == job->number,
                       "first-divisor", first_divisor,
                       NULL);
  eap_operation_complete (job->op, args);                  /* transfer full */

  calculate_job_free (job);
}

/*
 * Where the work runs. Two choices fit: g_task_run_in_thread() or a
 * GThreadPool of our own. This sample uses its own pool, because:
 *
 * - The work is CPU-bound. A pool sized to the number of processors runs
 *   as many searches at once as there are cores and queues the rest;
 *   more threads than cores would only make every search slower.
 * - GTask's pool is shared with GIO's own asynchronous file and resolver
 *   calls; filling it with searches that run for seconds would stall
 *   unrelated I/O in the same process.
 * - GTask would also marshal a completion back to the main context,
 *   which EapOperation already does: with a pool, the worker completes
 *   the operation directly and nothing is delivered twice.
 *
 * The pool is shared by all calculators of the process and lives as long
 * as the process, like GTask's.
 */
static GThreadPool *
get_worker_pool (void)
{
  static GThreadPool *pool = NULL;

  if (g_once_init_enter (&pool))
    {
      /* Non-exclusive pools never fail to be created. */
      GThreadPool *new_pool = g_thread_pool_new (calculate_prime_thread, NULL,
                                                 (int) g_get_num_processors (),
                                                 FALSE, NULL);
      g_once_init_leave (&pool, new_pool);
    }

  return pool;
}

/**
 * prime_calculator_calculate_prime_async:
 * @self: a #PrimeCalculator
 * @number: the number to test, at least 2
 * @user_state: (nullable): identifies the operation in the completed and
 *   progress args and to eap_component_cancel_async(); a non-%NULL value
 *   must be unique among this calculator's operations in flight
 * @error: return location for a usage error
 *
 * Starts finding out whether @number is prime, in a worker thread.
 *
 * Progress arrives as `progress-changed::calculate-prime` with a
 * #PrimeCalculateProgressArgs, the result as exactly one
 * `completed::calculate-prime` with a #PrimeCalculateCompletedArgs, both
 * in the main context that is thread-default now, never before this
 * function returns. Cancel it with eap_component_cancel_async (@self,
 * @user_state).
 *
 * Returns: %TRUE if the operation started; %FALSE with @error set, and
 *   no signal emitted, when @number is below 2
 *   (%G_IO_ERROR_INVALID_ARGUMENT), @user_state is already in flight
 *   (%G_IO_ERROR_INVALID_ARGUMENT) or the calculator is closed
 *   (%G_IO_ERROR_CLOSED)
 */
gboolean
prime_calculator_calculate_prime_async (PrimeCalculator  *self,
                                        guint64           number,
                                        gpointer          user_state,
                                        GError          **error)
{
  g_autoptr(EapOperation) op = NULL;
  CalculateJob *job;

  g_return_val_if_fail (PRIME_IS_CALCULATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* (a) Usage errors first. Once an operation has begun it must complete
   * (exactly once, with a signal); a refusal must emit nothing. So check
   * everything that can be checked now before beginning. */
  if (!check_number (number, error))
    return FALSE;

  /* (b) Begin the operation. This is where the base class captures the
   * caller's thread-default main context, registers @user_state (a
   * duplicate is refused here, R11), refuses a closed component, makes
   * the operation's GCancellable and sets is-busy. */
  op = eap_component_begin_operation (EAP_COMPONENT (self),
                                      PRIME_CALCULATOR_CALCULATE_PRIME,
                                      user_state, error);
  if (op == NULL)
    return FALSE;

  /* (c) Hand the operation to a worker, with our reference to it. The
   * operation holds the component alive until its completed signal has
   * been emitted, so the caller may drop the calculator right away. */
  job = g_new0 (CalculateJob, 1);
  job->op = g_steal_pointer (&op);
  job->number = number;

  /* If no extra thread can be started, the job still waits in the queue
   * for a busy one; GTask passes NULL here too. */
  g_thread_pool_push (get_worker_pool (), job, NULL);

  /* (d) Return at once: nothing has been emitted, and nothing will be
   * until the caller's main context runs (R13). */
  return TRUE;
}

/**
 * prime_calculator_calculate_prime:
 * @self: a #PrimeCalculator
 * @number: the number to test, at least 2
 * @is_prime: (out) (optional): whether @number is prime
 * @first_divisor: (out) (optional): the smallest divisor of @number
 *   greater than 1 (@number itself when it is prime)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * The blocking twin of prime_calculator_calculate_prime_async(): the same
 * search, in the calling thread, with no signals. Its out parameters are
 * the getters of #PrimeCalculateCompletedArgs (R4). It does no more than
 * compute, so it neither counts as an operation for is-busy nor iterates
 * any main context (R60); call it from a thread of your own, not from a
 * UI thread.
 *
 * Returns: %TRUE on success; %FALSE with @error set when @number is below
 *   2, the calculator is closed, or @cancellable was cancelled
 */
gboolean
prime_calculator_calculate_prime (PrimeCalculator  *self,
                                  guint64           number,
                                  gboolean         *is_prime,
                                  guint64          *first_divisor,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  guint64 divisor = 0;

  g_return_val_if_fail (PRIME_IS_CALCULATOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_number (number, error))
    return FALSE;

  /* Refuse as the asynchronous form does once the component is closed. */
  if (eap_component_is_closed (EAP_COMPONENT (self)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "The prime calculator is closed");
      return FALSE;
    }

  if (!find_first_divisor (number, cancellable, NULL, &divisor, error))
    return FALSE;

  if (is_prime != NULL)
    *is_prime = (divisor == number);
  if (first_divisor != NULL)
    *first_divisor = divisor;
  return TRUE;
}
