#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""EapWebClient through GObject introspection, as a Python user sees it.

Downloads from Python's own http.server (a ThreadingHTTPServer on 127.0.0.1,
an ephemeral port, in a thread): download_file_async with
progress-changed::download-file and completed::download-file,
download_string_async, a 404 as an EAP_HTTP_ERROR, a download cancelled by
its integer user_state while the server stalls mid-body, and the blocking
twin download_bytes.

No sleeps: the main thread runs a GLib.MainLoop that a GLib.timeout_add
deadline fails; the stalling handler waits on a threading.Event with a
timeout. The last line is `N passed, N failed`.
"""

import http.server
import os
import shutil
import sys
import tempfile
import threading

import eaptest  # noqa: E402
from eaptest import Failure, check, wake  # noqa: E402
from gi.repository import Eap, Gio, GLib  # noqa: E402

TIMEOUT_MS = 10000
MAIN_THREAD = threading.get_ident()

# Bodies the server serves, by path: big enough for several progress reports.
FILES = {
    "/small.txt": "héllo, wörld\n".encode("utf-8"),
    "/big.bin": bytes((i * 7 + i // 251) % 256 for i in range(3 * 1024 * 1024)),
}
STALL_SIZE = 1024 * 1024
stall_release = threading.Event()   # set by the test's cleanup
stall_started = threading.Event()   # set once half the body is out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):       # keep the test output readable
        pass

    def do_GET(self):
        if self.path == "/stall.bin":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(STALL_SIZE))
            self.end_headers()
            self.wfile.write(b"x" * (STALL_SIZE // 2))
            self.wfile.flush()
            stall_started.set()
            wake()
            # Stall until the test is done with us, or give up.
            stall_release.wait(timeout=TIMEOUT_MS / 1000)
            self.close_connection = True
            return
        body = FILES.get(self.path)
        if body is None:
            body = b"not here\n"
            self.send_response(404)
        else:
            self.send_response(200)
        content_type = "text/plain; charset=utf-8" if self.path.endswith(".txt") \
            else "application/octet-stream"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server:
    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc):
        stall_release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=TIMEOUT_MS / 1000)


SERVER = None


def run_loop_until(done, what):
    eaptest.run_loop_until(done, what, TIMEOUT_MS)


def test_download_file_async():
    """R1 R17: download-file with progress in the main thread; percentage
    monotonic, final 100, bytes == size; completed gives path and size."""
    client = Eap.WebClient.new()
    client.set_progress_interval(0)      # every report: more to check
    tmp = tempfile.mkdtemp(prefix="eap-py-")
    try:
        dest = os.path.join(tmp, "big.bin")
        progress = []
        completed = []

        def on_progress(c, p):
            check(isinstance(p, Eap.WebProgressArgs), f"progress args {type(p)}")
            progress.append((p.get_percentage(), p.get_bytes_received(),
                             p.get_total_bytes(), p.get_user_state(),
                             threading.get_ident(), len(completed)))

        def on_completed(c, a):
            completed.append((a, threading.get_ident()))

        client.connect("progress-changed::download-file", on_progress)
        client.connect("completed::download-file", on_completed)
        check(client.download_file_async(SERVER.base + "/big.bin", dest, 1) is True,
              "download_file_async accepted")
        check(not completed and not progress, "nothing emitted inside the call")
        run_loop_until(lambda: completed, "completed::download-file")

        size = len(FILES["/big.bin"])
        check(len(completed) == 1, f"one completed, got {len(completed)}")
        args, thread = completed[0]
        check(thread == MAIN_THREAD, "completed in the main thread")
        check(isinstance(args, Eap.DownloadFileCompletedArgs), f"args {type(args)}")
        check(args.get_user_state() == 1, f"user_state {args.get_user_state()!r}")
        check(not args.get_cancelled() and args.get_error() is None,
              f"success, error {args.get_error()!r}")
        check(args.get_path() == dest, f"path {args.get_path()!r}")
        check(args.get_size() == size, f"size {args.get_size()!r}")
        check(args.get_status() == 200, f"status {args.get_status()}")
        check(args.get_uri() == SERVER.base + "/big.bin", f"uri {args.get_uri()!r}")
        with open(dest, "rb") as f:
            check(f.read() == FILES["/big.bin"], "file content")
        check(os.listdir(tmp) == ["big.bin"], f"no temporary left: {os.listdir(tmp)}")

        check(progress, "at least one progress-changed::download-file")
        percentages = [p[0] for p in progress]
        check(percentages == sorted(percentages), f"monotonic {percentages}")
        check(all(0 <= p <= 100 for p in percentages), "percentage within 0..100")
        last = progress[-1]
        check(last[0] == 100, f"last percentage {last[0]}")
        check(last[1] == size and last[2] == size, f"last bytes {last[1]}/{last[2]}")
        check(all(p[3] == 1 for p in progress), "progress user_state")
        check(all(p[4] == MAIN_THREAD for p in progress), "progress in the main thread")
        check(all(p[5] == 0 for p in progress), "progress before completed")
        check(not client.get_is_busy(), "not busy at the end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_download_string_async():
    """download-string decodes the charset of Content-Type."""
    client = Eap.WebClient.new()
    completed = []
    client.connect("completed::download-string", lambda c, a: completed.append(a))
    check(client.download_string_async(SERVER.base + "/small.txt", 2), "accepted")
    run_loop_until(lambda: completed, "completed::download-string")
    args = completed[0]
    check(isinstance(args, Eap.DownloadStringCompletedArgs), f"args {type(args)}")
    check(args.get_user_state() == 2, "user_state")
    check(args.get_text() == FILES["/small.txt"].decode("utf-8"),
          f"text {args.get_text()!r}")


def test_404_is_an_http_error():
    """R55: a 404 arrives in completed as EAP_HTTP_ERROR 404; the getter
    raises it as GLib.Error."""
    client = Eap.WebClient.new()
    completed = []
    client.connect("completed::download-bytes", lambda c, a: completed.append(a))
    check(client.download_bytes_async(SERVER.base + "/missing", 3), "accepted")
    run_loop_until(lambda: completed, "completed::download-bytes")
    args = completed[0]
    error = args.get_error()
    check(error is not None, "an error")
    check(error.matches(Eap.http_error_quark(), 404),
          f"EAP_HTTP_ERROR 404, got {error.domain}:{error.code}")
    # PyGObject shows the domain as its quark's string.
    check(error.domain == GLib.quark_to_string(Eap.http_error_quark()),
          f"domain {error.domain!r}")
    check(not args.get_cancelled(), "not cancelled")
    check(args.get_status() == 404, f"status {args.get_status()}")
    try:
        args.get_bytes()
        check(False, "get_bytes raises on a 404")
    except GLib.Error as e:
        check(e.matches(Eap.http_error_quark(), 404), f"raised {e.domain}:{e.code}")


def test_cancel_by_user_state_while_stalled():
    """R29 R40: cancel by int user_state while the server stalls mid-body;
    completed with cancelled True, no file and no temporary left."""
    client = Eap.WebClient.new()
    tmp = tempfile.mkdtemp(prefix="eap-py-")
    try:
        dest = os.path.join(tmp, "stall.bin")
        progress = []
        completed = []
        client.connect("progress-changed::download-file",
                       lambda c, p: progress.append(p.get_bytes_received()))
        client.connect("completed::download-file", lambda c, a: completed.append(a))
        stall_started.clear()
        check(client.download_file_async(SERVER.base + "/stall.bin", dest, 4), "accepted")
        run_loop_until(lambda: stall_started.is_set() and progress and
                       progress[-1] >= STALL_SIZE // 2, "half the body")
        check(not completed, "not completed while stalled")
        client.cancel_async(4)
        check(not completed, "nothing emitted inside cancel_async")
        run_loop_until(lambda: completed, "the cancelled completed")
        args = completed[0]
        check(args.get_user_state() == 4, "user_state")
        check(args.get_cancelled() and args.get_error() is None,
              f"cancelled, error {args.get_error()!r}")
        try:
            args.get_path()
            check(False, "get_path raises on a cancelled download")
        except GLib.Error as e:
            check(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED),
                  f"raised {e.domain}:{e.code}")
        check(os.listdir(tmp) == [], f"nothing left: {os.listdir(tmp)}")
        check(not client.get_is_busy(), "not busy")
    finally:
        stall_release.set()
        shutil.rmtree(tmp, ignore_errors=True)


def test_download_bytes_blocking():
    """R8: the blocking twin returns GLib.Bytes and raises GLib.Error."""
    client = Eap.WebClient.new()
    data = client.download_bytes(SERVER.base + "/small.txt", None)
    check(isinstance(data, GLib.Bytes), f"GLib.Bytes, got {type(data)}")
    check(data.get_data() == FILES["/small.txt"], f"bytes {data.get_data()!r}")
    try:
        client.download_bytes(SERVER.base + "/missing", None)
        check(False, "a 404 raises")
    except GLib.Error as e:
        check(e.matches(Eap.http_error_quark(), 404), f"raised {e.domain}:{e.code}")
    check(not client.get_is_busy(), "a blocking twin is not an operation")


TESTS = [
    test_download_file_async,
    test_download_string_async,
    test_404_is_an_http_error,
    test_cancel_by_user_state_while_stalled,
    test_download_bytes_blocking,
]


def main():
    global SERVER
    with Server() as server:
        SERVER = server
        return eaptest.main(TESTS)


if __name__ == "__main__":
    sys.exit(main())
