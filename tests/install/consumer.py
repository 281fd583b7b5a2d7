#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python twin of consumer.c: a program that uses eap the way a Python
application does, through the *installed* typelib. tests/install/run starts
it with Debian's /usr/bin/python3, GI_TYPELIB_PATH and LD_LIBRARY_PATH
pointing into the staged install only.

Usage: consumer.py STAGE_ROOT

Exits 0 only if Eap came from under STAGE_ROOT (both the typelib and
libeap-1.so), and a BackgroundWorker run with a Python work function
delivered its result 42 through completed::run-worker, in the main thread,
with the integer user_state it was started with.
"""

import os
import sys
import threading

import gi

gi.require_version("GLib", "2.0")
gi.require_version("GIRepository", "2.0")
gi.require_version("Eap", "1.0")
from gi.repository import Eap, GIRepository, GLib  # noqa: E402

USER_STATE = 7
TIMEOUT_MS = 10000


def fail(what):
    print(f"consumer.py: {what}")
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: consumer.py STAGE_ROOT")
    root = os.path.realpath(sys.argv[1]) + os.sep

    typelib = GIRepository.Repository.get_default().get_typelib_path("Eap")
    if not typelib or not os.path.realpath(typelib).startswith(root):
        fail(f"Eap typelib loaded from {typelib}, not from the staged install")

    main_thread = threading.get_ident()
    outcome = {}
    loop = GLib.MainLoop()

    def work(args, *user_data):
        outcome["work_thread"] = threading.get_ident()
        args.set_result(42)
        return True         # an Eap.WorkFunc: False without an error is a bug

    def on_completed(worker, args):
        outcome["thread"] = threading.get_ident()
        outcome["user_state"] = args.get_user_state()
        try:
            outcome["result"] = args.get_result()
        except GLib.Error as e:
            outcome["error"] = e.message
        loop.quit()

    def on_timeout():
        outcome["timed_out"] = True
        loop.quit()
        return GLib.SOURCE_REMOVE

    worker = Eap.BackgroundWorker.new()
    worker.connect("completed::run-worker", on_completed)
    worker.set_work_func(work)
    if not worker.run_worker_async(None, USER_STATE):
        fail("run_worker_async refused")

    timeout = GLib.timeout_add(TIMEOUT_MS, on_timeout)
    loop.run()
    if not outcome.get("timed_out"):
        GLib.source_remove(timeout)

    # Only now is libeap-1 surely mapped: check it is the staged one.
    with open("/proc/self/maps", encoding="utf-8") as f:
        libs = {line.split()[-1] for line in f if "libeap-1.so" in line}
    if not libs or any(not os.path.realpath(p).startswith(root) for p in libs):
        fail(f"libeap-1 loaded from {sorted(libs)}, not from the staged install")

    print(f"consumer.py: eap {Eap.VERSION_S} from {typelib}; outcome {outcome}")
    if outcome.get("timed_out"):
        fail(f"timed out after {TIMEOUT_MS} ms waiting for completed")
    if "error" in outcome:
        fail(f"run-worker failed: {outcome['error']}")
    if outcome.get("result") != 42 or outcome.get("user_state") != USER_STATE:
        fail("wrong result or user_state")
    if outcome.get("thread") != main_thread or outcome.get("work_thread") == main_thread:
        fail("completed not in the main thread, or the work not in a worker thread")
    return 0


if __name__ == "__main__":
    sys.exit(main())
