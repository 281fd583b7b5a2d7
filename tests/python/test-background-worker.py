#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""EapBackgroundWorker through GObject introspection, as a Python user sees it.

Proves the API shapes cross PyGObject: a do-work handler in Python running in
a worker thread (GValue argument in, GValue result out), detailed signals
completed::run-worker and progress-changed::run-worker, an integer user_state
(a gpointer crosses PyGObject as int), cancel by user_state, errors as
GLib.Error, set_work_func with a Python callable, and the blocking twin.

No sleeps: works wait on a threading.Condition with a deadline, the main thread
runs a GLib.MainLoop that a timeout fails. The last line is `N passed, N failed`.
"""

import sys
import threading

import eaptest  # noqa: E402
from eaptest import Failure, check, run_loop_until, wake  # noqa: E402
from gi.repository import Eap, Gio, GLib, GObject  # noqa: E402

TIMEOUT_MS = 5000
MAIN_THREAD = threading.get_ident()


def test_run_worker_async_python_handler():
    """R1 R2 R6: a Python do-work handler in a worker thread; completed and
    progress in the main thread; int user_state; GValue result."""
    worker = Eap.BackgroundWorker.new()
    seen = {}
    events = []

    def do_work(w, args):
        seen["thread"] = threading.get_ident()
        seen["argument"] = args.get_argument()
        seen["user_state"] = args.get_user_state()
        for pct in (25, 50, 100):
            args.report_progress(pct)
        # A 64-bit result needs an explicit GObject.Value: a bare Python
        # int becomes a G_TYPE_INT.
        args.set_result(GObject.Value(GObject.TYPE_INT64, args.get_argument() * 10**10))

    def on_progress(w, p):
        events.append(("progress", p.get_percentage(), p.get_user_state(),
                       threading.get_ident()))

    def on_completed(w, a):
        events.append(("completed", a, a.get_user_state(), threading.get_ident(),
                       w.get_is_busy()))
        wake()

    worker.connect("do-work", do_work)
    worker.connect("progress-changed::run-worker", on_progress)
    worker.connect("completed::run-worker", on_completed)

    check(worker.run_worker_async(6, 42) is True, "run_worker_async accepted")
    check(worker.get_is_busy(), "is-busy while running")
    check(not events, "nothing emitted inside run_worker_async (R13)")

    run_loop_until(lambda: any(e[0] == "completed" for e in events), "completed", TIMEOUT_MS)

    completed = [e for e in events if e[0] == "completed"]
    progress = [e for e in events if e[0] == "progress"]
    check(len(completed) == 1, f"one completed, got {len(completed)}")
    _, args, user_state, thread, busy = completed[0]
    check(isinstance(args, Eap.RunWorkerCompletedArgs), f"args type {type(args)}")
    check(args.get_operation_name() == "run-worker", "operation name")
    check(user_state == 42, f"user_state {user_state!r}")
    check(not args.get_cancelled() and args.get_error() is None, "success")
    check(args.get_result() == 6 * 10**10, f"result {args.get_result()!r}")
    check(thread == MAIN_THREAD, "completed in the main thread")
    check(not busy, "is-busy already FALSE in the handler")

    check(seen.get("argument") == 6 and seen.get("user_state") == 42,
          f"do-work saw {seen!r}")
    check(seen["thread"] != MAIN_THREAD, "do-work ran in a worker thread")

    check(progress, "at least one progress-changed::run-worker")
    check(events.index(progress[-1]) < events.index(completed[0]),
          "progress before completed (R17)")
    check(progress[-1][1] == 100 and progress[-1][2] == 42,
          f"last progress {progress[-1][1:3]!r}")
    check(all(p[3] == MAIN_THREAD for p in progress), "progress in the main thread")


def test_cancel_one_by_user_state():
    """R29: two runs in flight, cancel one by its int user_state."""
    worker = Eap.BackgroundWorker.new()
    cond = threading.Condition()
    state = {"open": False}
    entered = []
    completed = {}

    def open_gate_check(*_):
        with cond:
            cond.notify_all()

    def do_work(w, args):
        cancellable = args.get_cancellable()
        handler = cancellable.connect(open_gate_check)   # Gio override: g_cancellable_connect()
        entered.append(args.get_user_state())
        wake()                                   # the test waits for this, in the main context
        with cond:       # the gate: opened by the test, or the run cancelled
            cond.wait_for(lambda: state["open"] or cancellable.is_cancelled(),
                          timeout=TIMEOUT_MS / 1000)
        cancellable.disconnect(handler)
        if args.is_cancellation_pending():
            return                                   # no result: cancelled
        args.set_result(f"done {args.get_user_state()}")

    def on_completed(w, a):
        completed[a.get_user_state()] = a
        wake()

    worker.connect("do-work", do_work)
    worker.connect("completed::run-worker", on_completed)

    check(worker.run_worker_async(None, 1), "run 1 accepted")
    check(worker.run_worker_async(None, 2), "run 2 accepted")
    try:
        worker.run_worker_async(None, 2)
        check(False, "a duplicate user_state is refused (R11)")
    except GLib.Error as e:
        check(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT),
              f"duplicate refused with {e.domain}:{e.code}")

    run_loop_until(lambda: len(entered) == 2, "both runs to start", TIMEOUT_MS)
    worker.cancel_async(2)
    run_loop_until(lambda: 2 in completed, "the cancelled run", TIMEOUT_MS)
    check(1 not in completed, "the other run is untouched")
    with cond:
        state["open"] = True
        cond.notify_all()
    run_loop_until(lambda: 1 in completed, "the other run", TIMEOUT_MS)

    cancelled = completed[2]
    check(cancelled.get_cancelled() and cancelled.get_error() is None,
          "run 2 cancelled, no error")
    try:
        cancelled.get_result()
        check(False, "get_result raises on a cancelled run")
    except GLib.Error as e:
        check(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED),
              f"cancelled raises CANCELLED, got {e.domain}:{e.code}")
    check(completed[1].get_result() == "done 1", f"run 1 result {completed[1].get_result()!r}")
    check(not worker.get_is_busy(), "not busy at the end")


def test_errors_and_work_func():
    """R55: an error set by a handler, a GLib.Error raised by a work
    function and a Python exception in a work function all reach
    completed."""
    worker = Eap.BackgroundWorker.new()
    completed = {}

    def do_work(w, args):
        args.take_error(GLib.Error.new_literal(Gio.io_error_quark(), "nope",
                                               Gio.IOErrorEnum.NOT_FOUND))

    handler = worker.connect("do-work", do_work)
    def on_completed(w, a):
        completed[a.get_user_state()] = a
        wake()

    worker.connect("completed::run-worker", on_completed)
    check(worker.run_worker_async(None, 1), "run 1 accepted")
    run_loop_until(lambda: 1 in completed, "run 1", TIMEOUT_MS)
    worker.disconnect(handler)

    def raising_func(args, *user_data):
        raise GLib.Error.new_literal(Gio.io_error_quark(), "raised",
                                     Gio.IOErrorEnum.PERMISSION_DENIED)

    def buggy_func(args, *user_data):
        raise ValueError("a bug in the work")   # PyGObject prints it

    worker.set_work_func(raising_func)
    check(worker.run_worker_async(None, 2), "run 2 accepted")
    run_loop_until(lambda: 2 in completed, "run 2", TIMEOUT_MS)
    worker.set_work_func(buggy_func)
    check(worker.run_worker_async(None, 3), "run 3 accepted")
    run_loop_until(lambda: 3 in completed, "run 3", TIMEOUT_MS)

    for user_state, domain, code in ((1, Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND),
                                     (2, Gio.io_error_quark(), Gio.IOErrorEnum.PERMISSION_DENIED),
                                     (3, Eap.error_quark(), Eap.Error.FAILED)):
        args = completed[user_state]
        error = args.get_error()
        check(error is not None and error.matches(domain, code),
              f"run {user_state}: error {error!r}")
        check(not args.get_cancelled(), f"run {user_state} not cancelled")
        try:
            args.get_result()
            check(False, f"run {user_state}: get_result raises")
        except GLib.Error as e:
            check(e.matches(domain, code), f"run {user_state}: raised {e.domain}:{e.code}")


def test_blocking_twin():
    """R8: run_worker runs in the calling thread, returns the result, raises
    GLib.Error, honours a cancelled cancellable."""
    worker = Eap.BackgroundWorker.new()
    threads = []

    def work(args, *user_data):
        threads.append(threading.get_ident())
        if args.get_argument() is not None:
            args.set_result(args.get_argument() + 1)
        return True

    worker.set_work_func(work)
    ok, result = worker.run_worker(41, None)
    check(ok and result == 42, f"run_worker -> {ok!r}, {result!r}")
    check(threads == [MAIN_THREAD], "ran in the calling thread")

    ok, result = worker.run_worker(None, None)
    check(ok and result is None, f"no result -> {ok!r}, {result!r}")

    cancellable = Gio.Cancellable()
    cancellable.cancel()
    try:
        worker.run_worker(1, cancellable)
        check(False, "a cancelled cancellable raises")
    except GLib.Error as e:
        check(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED),
              f"cancelled raises {e.domain}:{e.code}")
    check(len(threads) == 2, "the work did not run when already cancelled")


TESTS = [
    test_run_worker_async_python_handler,
    test_cancel_one_by_user_state,
    test_errors_and_work_func,
    test_blocking_twin,
]


if __name__ == "__main__":
    sys.exit(eaptest.main(TESTS))
