/* eap-test.h: what every eap test suite needs
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <CUnit/CUnit.h>
#include <eap.h>

G_BEGIN_DECLS

/* The per-wait deadline. Meson's per-suite timeout is the backstop. */
#define EAP_TEST_TIMEOUT_MS 5000

/* Every deadline the helpers below wait for (iterate_until, wait_until,
 * the recorders' and latches' waits, eap_test_deadline) is @timeout_ms
 * times $EAP_TEST_TIMEOUT_SCALE (a whole number, default 1), which
 * scripts/valgrind sets: memcheck runs 20-50 times slower. */
guint           eap_test_scale_timeout (guint timeout_ms);

typedef gboolean (*EapTestCondition) (gpointer data);

/* One per test, on the heap, so a late callback never writes into a dead
 * stack frame. Set up by eap_test_setup(), freed by eap_test_teardown(). */
typedef struct
{
  GMainContext *context;             /* (owned): pushed as thread-default for the test */
  guint         n_criticals_expected; /* armed by EAP_TEST_EXPECT_CRITICAL */
  guint         n_criticals_seen;
  guint         n_warnings_expected;  /* armed by EAP_TEST_EXPECT_WARNING */
  guint         n_warnings_seen;
} EapTestFixture;

/* Call first in main(): makes criticals and warnings fatal (as
 * G_DEBUG=fatal-criticals does) unless armed by EAP_TEST_EXPECT_CRITICAL or
 * EAP_TEST_EXPECT_WARNING; an armed one is counted in the fixture. */
void            eap_test_init          (void);

/* Registers @suites, runs them all (or only the one named in argv[1]),
 * prints "N passed, N failed" and returns the exit status. The tests named
 * in $EAP_TEST_SKIP (';'-separated) are left inactive: neither count. */
int             eap_test_main          (int            argc,
                                        char          *argv[],
                                        CU_SuiteInfo  *suites);

/* CU_SuiteInfo.pSetUpFunc / pTearDownFunc: a fresh pushed context per test;
 * teardown drains it, pops it and frees the fixture. */
void            eap_test_setup         (void);
void            eap_test_teardown      (void);
EapTestFixture *eap_test_fixture       (void);

/* Iterates @context (NULL: the fixture's) until @cond returns TRUE or
 * @timeout_ms pass. Returns the last value of @cond: FALSE means the
 * deadline passed, which the caller asserts on. Never sleeps. */
gboolean        eap_test_iterate_until (GMainContext     *context,
                                        EapTestCondition  cond,
                                        gpointer          data,
                                        guint             timeout_ms);
gboolean        eap_test_wait_until    (EapTestCondition  cond,
                                        gpointer          data,
                                        guint             timeout_ms);

/* Iterates the fixture's context without blocking until nothing is ready. */
void            eap_test_drain         (void);

/* Arm and disarm the log handler by hand (EAP_TEST_EXPECT_* use these).
 * While armed, every critical (@critical TRUE) or warning (FALSE), from any
 * thread, is counted instead of aborting. _end disarms and returns the
 * count seen so far in this test; _get_n_seen returns it without
 * disarming. The counters are guarded: logs may come from any thread. */
void            eap_test_expect_begin  (gboolean critical);
guint           eap_test_expect_end    (gboolean critical);
guint           eap_test_get_n_seen    (gboolean critical);

/* Runs @stmt expecting exactly one g_critical() from it; a missing or an
 * extra critical fails the test. */
#define EAP_TEST_EXPECT_CRITICAL(stmt)                                   \
  G_STMT_START {                                                         \
    guint _seen = eap_test_get_n_seen (TRUE);                            \
    eap_test_expect_begin (TRUE);                                        \
    stmt;                                                                \
    CU_ASSERT_EQUAL (eap_test_expect_end (TRUE), _seen + 1);             \
  } G_STMT_END

/* The same for exactly one g_warning() (R56). */
#define EAP_TEST_EXPECT_WARNING(stmt)                                    \
  G_STMT_START {                                                         \
    guint _seen = eap_test_get_n_seen (FALSE);                           \
    eap_test_expect_begin (FALSE);                                       \
    stmt;                                                                \
    CU_ASSERT_EQUAL (eap_test_expect_end (FALSE), _seen + 1);            \
  } G_STMT_END

/* Runs @stmt expecting it to be refused with exactly one complaint, a
 * g_critical() or a g_warning(): for contracts that say "refused" without
 * saying at which level. */
#define EAP_TEST_EXPECT_COMPLAINT(stmt)                                  \
  G_STMT_START {                                                         \
    guint _c_seen = eap_test_get_n_seen (TRUE);                          \
    guint _w_seen = eap_test_get_n_seen (FALSE);                         \
    guint _c_now, _w_now;                                                \
    eap_test_expect_begin (TRUE);                                        \
    eap_test_expect_begin (FALSE);                                       \
    stmt;                                                                \
    _c_now = eap_test_expect_end (TRUE);                                 \
    _w_now = eap_test_expect_end (FALSE);                                \
    CU_ASSERT_EQUAL ((_c_now - _c_seen) + (_w_now - _w_seen), 1);        \
  } G_STMT_END

/* Records the signals of one component, in order, for assertions. */
typedef enum
{
  EAP_TEST_EVENT_PROGRESS,
  EAP_TEST_EVENT_COMPLETED,
  EAP_TEST_EVENT_BUSY_CHANGED,
} EapTestEventKind;

typedef struct
{
  EapTestEventKind kind;
  GObject         *args;        /* (owned) (nullable): progress or completed args */
  gboolean         busy;        /* is-busy when recorded */
  gboolean         in_context;  /* g_main_context_is_owner (expected context) at emission */
  GThread         *thread;      /* (unowned): emitting thread */
} EapTestEvent;

typedef struct
{
  EapComponent *component;   /* (owned) */
  GMainContext *context;     /* (owned): the context emissions must come from */
  GArray       *events;      /* (element-type EapTestEvent) */
  guint         n_completed;
  guint         n_progress;
  gulong        handler_ids[3];
  GMutex        mutex;       /* guards events and the counters: handlers may
                              * run in another thread's context */
} EapTestRecorder;

/* Connects to completed, progress-changed and notify::is-busy of
 * @component. @context: where emissions are expected (NULL: the
 * fixture's). */
EapTestRecorder  *eap_test_recorder_new              (EapComponent    *component,
                                                      GMainContext    *context);
void              eap_test_recorder_free             (EapTestRecorder *recorder);
/* The completed args of the n-th completion, or NULL. */
EapCompletedArgs *eap_test_recorder_get_completed    (EapTestRecorder *recorder,
                                                      guint            n);
/* Waits until @n completions have been recorded. */
gboolean          eap_test_recorder_wait_completed   (EapTestRecorder *recorder,
                                                      guint            n,
                                                      guint            timeout_ms);
/* Counts completions and progress for one user_state. */
guint             eap_test_recorder_count            (EapTestRecorder *recorder,
                                                      EapTestEventKind kind,
                                                      gpointer         user_state);

/* A component with no operations of its own: tests start and drive
 * operations on it with eap_component_begin_operation(). */
#define EAP_TEST_TYPE_COMPONENT (eap_test_component_get_type ())
G_DECLARE_FINAL_TYPE (EapTestComponent, eap_test_component, EAP_TEST, COMPONENT, EapComponent)

EapComponent *eap_test_component_new (void);
/* How often its close vfunc ran; @probe_cancelled: whether the probe
 * operation (set beforehand, no reference taken) was cancelled by then. */
void          eap_test_component_set_close_probe   (EapComponent *self,
                                                    EapOperation *op);
guint         eap_test_component_get_n_close_calls (EapComponent *self,
                                                    gboolean     *probe_cancelled);
/* How many EapTestComponents have been finalized so far (atomic). A weak
 * pointer cannot tell after g_object_run_dispose(), which clears them. */
guint         eap_test_component_get_n_finalized (void);

/* The message of the last expected critical or warning, to check that it
 * names what it should (R56). Free with g_free(); NULL if none yet. */
char           *eap_test_dup_last_expected_message (void);

/* A condition for eap_test_wait_until(): @data is a `gint *`, read
 * atomically; TRUE once it is non-zero. */
gboolean        eap_test_cond_flag     (gpointer data);

/* Makes @op behave like a well-written component: when its cancellable is
 * cancelled (by any cancel function, close, dispose or a timeout), it
 * completes @op with G_IO_ERROR_CANCELLED, using try_complete so that an
 * outcome claimed first stands. @op is not referenced: keep it alive while
 * it can be cancelled. Returns the handler id on the op's cancellable. */
gulong          eap_test_complete_when_cancelled (EapOperation *op);

/* A one-shot event for waits between threads: set once, waited on with a
 * deadline, either blocking (eap_test_latch_wait, which never iterates) or
 * iterating the fixture's context (eap_test_wait_until with
 * eap_test_latch_is_set: setting the latch wakes that context up). */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean set;
} EapTestLatch;

void            eap_test_latch_init    (EapTestLatch *latch);
void            eap_test_latch_clear   (EapTestLatch *latch);
void            eap_test_latch_set     (EapTestLatch *latch);
gboolean        eap_test_latch_is_set  (EapTestLatch *latch);
/* Blocks the calling thread (never iterates) until set or @timeout_ms
 * pass; returns whether it was set. */
gboolean        eap_test_latch_wait    (EapTestLatch *latch,
                                        guint         timeout_ms);

/* Begins an operation on @component and asserts it was accepted (fatal
 * otherwise). */
EapOperation   *eap_test_begin_op      (EapComponent *component,
                                        const char   *name,
                                        gpointer      user_state);
/* A fresh error for failure paths: G_IO_ERROR_NOT_FOUND, "No such frob". */
GError         *eap_test_new_error     (void);

/* Records the callback of eap_operation_wait_async(): pass one as the
 * user_data of eap_test_wait_async_cb(), wait with
 * eap_test_wait_async_called(), free its contents with
 * eap_test_wait_async_clear(). */
typedef struct
{
  EapTestRecorder  *recorder;            /* (unowned) (nullable): notes its n_completed */
  guint             n_calls;
  guint             n_completed_at_call; /* recorder->n_completed when the callback ran */
  gboolean          in_context;          /* the callback ran in the fixture's context */
  EapCompletedArgs *args;                /* (owned) (nullable): what wait_finish returned */
  GError           *error;               /* (owned) (nullable) */
} EapTestWaitAsync;

void            eap_test_wait_async_cb     (GObject          *source,
                                            GAsyncResult     *result,
                                            gpointer          data);
gboolean        eap_test_wait_async_called (gpointer          data);
void            eap_test_wait_async_clear  (EapTestWaitAsync *wa);

/* Deadline helpers for code outside the main loop (threads). */
gint64          eap_test_deadline      (guint timeout_ms);
gboolean        eap_test_deadline_passed (gint64 deadline);

/* ------------------------------------------------------------------ */
/* Child processes: built programs run as a user runs them              */
/* ------------------------------------------------------------------ */

typedef enum
{
  EAP_TEST_CHILD_DEFAULT      = 0,       /* stdout and stderr read apart */
  EAP_TEST_CHILD_STDIN        = 1 << 0,  /* a stdin pipe, in stdin_pipe */
  EAP_TEST_CHILD_MERGE_STDERR = 1 << 1,  /* stderr goes to stdout */
  EAP_TEST_CHILD_ECHO         = 1 << 2,  /* copy each stdout line to our stderr */
} EapTestChildFlags;

/* A child whose output is read on the fixture's context as it comes. It
 * lives until the child has exited and its pipes reached EOF (every async
 * call holds a reference), so a late callback never finds it gone. */
typedef struct
{
  char          *name;       /* (owned): names it in messages */
  GSubprocess   *process;    /* (owned) (nullable): NULL if it could not start */
  GOutputStream *stdin_pipe; /* (unowned) (nullable): with EAP_TEST_CHILD_STDIN */
  GString       *out;        /* (owned): stdout so far, a newline after each line */
  GString       *err;        /* (owned): stderr so far (empty when merged) */
  GPtrArray     *lines;      /* (owned) (element-type utf8): stdout's lines */
  guint          cursor;     /* first line eap_test_child_wait_line() has not matched */
  gboolean       exited;
  gboolean       out_eof;
  gboolean       err_eof;
  int            status;     /* once exited: the exit status, or -1 if killed
                              * by a signal or never started */
  gboolean       echo;       /* EAP_TEST_CHILD_ECHO */
} EapTestChild;

/* Starts @argv (NULL-terminated, with argv[0]); @name (NULL: the base
 * name of argv[0]) names it in messages. A program that cannot start fails
 * an assertion and gives a child that has exited with status -1. */
EapTestChild   *eap_test_child_spawn     (const char          *name,
                                          const char * const  *argv,
                                          EapTestChildFlags    flags);
EapTestChild   *eap_test_child_ref       (EapTestChild        *child);
void            eap_test_child_unref     (EapTestChild        *child);
/* A condition for eap_test_wait_until(): exited, and its pipes at EOF. */
gboolean        eap_test_child_is_done   (gpointer             child);
/* Waits until the child is done and returns its status, or -1 if it did
 * not exit normally in @timeout_ms (then it is killed and reaped). A
 * status other than @expected prints the child's output. */
int             eap_test_child_wait      (EapTestChild        *child,
                                          int                  expected,
                                          guint                timeout_ms);
/* Sends SIGTERM (to the child's pid, if it still runs), then as
 * eap_test_child_wait(). */
int             eap_test_child_stop      (EapTestChild        *child,
                                          int                  expected,
                                          guint                timeout_ms);
/* SIGKILL if it still runs, and waits until it is done. */
void            eap_test_child_kill      (EapTestChild        *child);
/* eap_test_wait_line() on the child's stdout lines and cursor. */
gboolean        eap_test_child_wait_line (EapTestChild        *child,
                                          const char          *needle,
                                          gboolean             prefix,
                                          guint                timeout_ms);

/* Waits until a line of @lines at or after *@cursor holds @needle (at its
 * start if @prefix), iterating the fixture's context, and moves the cursor
 * past it. Gives up at *@eof (if not NULL) or after @timeout_ms, printing
 * the lines after the cursor, with @who; returns whether it was found. */
gboolean        eap_test_wait_line       (GPtrArray           *lines,
                                          guint               *cursor,
                                          const gboolean      *eof,
                                          const char          *who,
                                          const char          *needle,
                                          gboolean             prefix,
                                          guint                timeout_ms);

/* A port on 127.0.0.1 that was free a moment ago, for a server that
 * cannot be told to pick one itself. */
guint16         eap_test_free_loopback_port (void);
/* Whether something accepts a connection on 127.0.0.1:@port. */
gboolean        eap_test_port_answers       (guint16      port);
/* Waits until @process's server accepts on 127.0.0.1:@port, trying every
 * 20 ms and iterating the fixture's context in between. FALSE if @process
 * exited first or @timeout_ms passed. */
gboolean        eap_test_wait_port          (GSubprocess *process,
                                             guint16      port,
                                             guint        timeout_ms);
/* Stops @process by its pid: SIGTERM, then SIGKILL if it still runs after
 * @timeout_ms (the fixture's context iterates meanwhile); returns once it
 * has been reaped. */
void            eap_test_stop_process       (GSubprocess *process,
                                             guint        timeout_ms);

/* A blocking listening socket on 127.0.0.1 with SO_REUSEADDR, on a port
 * the kernel picks (stored in @port); aborts the test if that fails. */
int             eap_test_listen_loopback    (guint16     *port,
                                             int          backlog);
/* A blocking socket connected to 127.0.0.1:@port, or -1 with errno set. */
int             eap_test_connect_loopback   (guint16      port);
/* Sends all of @data on the blocking socket @fd (no SIGPIPE, EINTR
 * retried); FALSE once send() fails or sends nothing. */
gboolean        eap_test_write_all          (int          fd,
                                             const void  *data,
                                             gsize        length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EapTestChild, eap_test_child_unref)

G_END_DECLS
