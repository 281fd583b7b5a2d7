# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What every Python test of eap needs: the typelib, a deadline-bound wait on
# the main context, and the runner that prints "N passed, N failed".

import sys
import traceback

try:
    import gi
except ImportError as e:
    # A missing python3-gi is a broken setup, not a reason to pass.
    print(f"cannot import gi ({e}): scripts/setup-deps installs python3-gi")
    print("0 passed, 1 failed")
    sys.exit(1)

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Eap", "1.0")
from gi.repository import GLib  # noqa: E402


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wake():
    """Makes run_loop_until() re-check its condition; safe from any thread.
    Needed only when the condition changes outside the main context (a
    server thread); signal handlers run in it and wake it anyway."""
    GLib.MainContext.default().wakeup()
    return GLib.SOURCE_REMOVE


def run_loop_until(done, what, timeout_ms):
    """Iterates the global default context (the one every operation
    captures: the tests push none) until done() holds after a dispatch, or
    fails the test when @timeout_ms pass. Never sleeps."""
    context = GLib.MainContext.default()
    state = {"timed_out": False}

    def on_timeout():
        state["timed_out"] = True
        return GLib.SOURCE_REMOVE

    timeout = GLib.timeout_add(timeout_ms, on_timeout)
    while not done() and not state["timed_out"]:
        context.iteration(True)
    if not state["timed_out"]:
        GLib.source_remove(timeout)
    check(done(), f"timed out after {timeout_ms} ms waiting for {what}")


def main(tests):
    """Runs @tests, prints a line each and "N passed, N failed" last;
    returns the exit status."""
    passed = failed = 0
    for test in tests:
        try:
            test()
        except Exception:               # Failure, GLib.Error, a bug in the test
            failed += 1
            print(f"FAIL {test.__name__}")
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {test.__name__}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
