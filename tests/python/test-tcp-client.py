#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""EapTcpClient and EapTcpListener through GObject introspection, as a
Python user sees them.

The client talks to a line echo server written with Python's `socket`
module (a thread on 127.0.0.1, port 0): connect_async with an integer
user_state and completed::connect; lines sent with queue_line and with
send_async (progress-changed::send, completed::send) and read back with
line-received; close_async with disconnected before completed::close; a
peer that closes after its last line (disconnected with None after that
line); RAW framing with received as GLib.Bytes; an over-long line as a
GLib.Error EAP_ERROR_LIMIT_EXCEEDED in disconnected; eap_component_close;
a refused port as Gio.IOErrorEnum.CONNECTION_REFUSED; a second connect
refused with PENDING (R10); queue_line's refusals; the blocking twins
connect, send and close. The listener is driven by Python socket
clients in threads: client-accepted and an echo with half-close,
accept_async, and max-clients.

No sleeps: the main thread iterates the default context until a condition
holds, with a deadline; the socket threads use timeouts and wake the
context when they are done. The last line is `N passed, N failed`.
"""

import socket
import sys
import threading

import eaptest  # noqa: E402
from eaptest import check, wake  # noqa: E402
from gi.repository import Eap, Gio, GLib, GObject  # noqa: E402

TIMEOUT_MS = 10000
TIMEOUT_S = TIMEOUT_MS / 1000
MAIN_THREAD = threading.get_ident()


# The blocking twins are connect_sync/send_sync/close_sync, so that
# client.connect is GObject's signal connect and client.close() is
# Eap.Component.close, as on every other object.
def on(obj, signal, handler, *args):
    return obj.connect(signal, handler, *args)


def io_error(code):
    return (Gio.io_error_quark(), code)


def matches(error, domain_code):
    return error is not None and error.matches(*domain_code)


def run_loop_until(done, what):
    eaptest.run_loop_until(done, what, TIMEOUT_MS)


class EchoServer:
    """Echoes every line with its own terminator. A line `QUIT` is answered
    with `BYE` and the server closes the connection; an EOF from the client
    closes it too. One thread per connection."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.threads = []
        self.conns = []
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()
        return self

    def accept_loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return              # closed by __exit__
            # Longer than any wait of the tests: a connection the client
            # failed to close must not end by the server's timeout in time
            # to pass for a close.
            conn.settimeout(3 * TIMEOUT_S)
            self.conns.append(conn)
            t = threading.Thread(target=self.serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def serve(self, conn):
        pending = b""
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                pending += data
                while b"\n" in pending:
                    line, _, pending = pending.partition(b"\n")
                    if line.rstrip(b"\r") == b"QUIT":
                        conn.sendall(b"BYE\r\n")
                        return
                    conn.sendall(line + b"\n")
        except OSError:
            pass
        finally:
            conn.close()

    def __exit__(self, *exc):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=TIMEOUT_S)
        for conn in self.conns:           # wakes the threads still reading
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(timeout=TIMEOUT_S)


SERVER = None


class Recorder:
    """Connects to every signal of a client and records what it saw, with
    the thread, in order."""

    def __init__(self, client):
        self.events = []
        self.lines = []
        self.chunks = []
        self.completed = {}
        self.progress = []
        self.disconnected = []
        on(client, "completed", self.on_completed)
        on(client, "progress-changed::send", self.on_progress)
        on(client, "line-received", self.on_line)
        on(client, "received", self.on_received)
        on(client, "disconnected", self.on_disconnected)

    def on_completed(self, client, args):
        check(isinstance(args, Eap.CompletedArgs), f"completed args {type(args)}")
        name = args.get_operation_name()
        self.completed.setdefault(name, []).append(args)
        self.events.append(("completed::" + name, threading.get_ident()))

    def on_progress(self, client, args):
        self.progress.append((args.get_done(), args.get_total(), args.get_user_state(),
                              len(self.completed.get("send", []))))
        self.events.append(("progress-changed::send", threading.get_ident()))

    def on_line(self, client, line):
        self.lines.append(line)
        self.events.append(("line-received", threading.get_ident()))

    def on_received(self, client, data):
        self.chunks.append(data.get_data())
        self.events.append(("received", threading.get_ident()))

    def on_disconnected(self, client, error):
        self.disconnected.append(error)
        self.events.append(("disconnected", threading.get_ident()))

    def all_in_main_thread(self):
        return all(t == MAIN_THREAD for _, t in self.events)

    def names(self):
        return [n for n, _ in self.events]


def new_line_client():
    client = Eap.TcpClient.new()
    client.set_framing(Eap.TcpFraming.LINES)
    check(client.get_framing() == Eap.TcpFraming.LINES, "framing LINES")
    return client, Recorder(client)


def close_and_wait(client, rec, user_state):
    """Closes gracefully with close_async and waits for completed::close."""
    n = len(rec.completed.get("close", []))
    check(client.close_async(user_state), "close_async accepted")
    run_loop_until(lambda: len(rec.completed.get("close", [])) > n, "completed::close")
    check(rec.disconnected, "disconnected before completed::close")


def connect(client, rec, user_state):
    check(client.connect_async("127.0.0.1", SERVER.port, user_state) is True,
          "connect_async accepted")
    run_loop_until(lambda: "connect" in rec.completed, "completed::connect")
    args = rec.completed["connect"][0]
    check(args.get_error() is None, f"connected, error {args.get_error()!r}")
    check(args.get_user_state() == user_state, f"user_state {args.get_user_state()!r}")


def test_line_echo_async():
    """R1 R2 R13 R17 R35 R38: connect_async, queue_line and send_async
    (progress up to the full size before completed::send), lines
    back in line-received in order, close_async: disconnected(None) before
    completed::close; every event in the main thread."""
    client, rec = new_line_client()
    check(client.connect_async("127.0.0.1", SERVER.port, 1) is True, "connect_async accepted")
    check(rec.events == [], "nothing emitted inside connect_async")
    run_loop_until(lambda: "connect" in rec.completed, "completed::connect")
    args = rec.completed["connect"][0]
    check(args.get_error() is None and not args.get_cancelled(),
          f"connected, error {args.get_error()!r}")
    check(args.get_user_state() == 1, f"user_state {args.get_user_state()!r}")
    check(client.is_connected(), "connected after completed::connect")
    remote = client.dup_remote_address()
    check(isinstance(remote, Gio.InetSocketAddress), f"remote address {type(remote)}")
    check(remote.get_port() == SERVER.port, f"remote port {remote.get_port()}")
    local = client.dup_local_address()
    check(local is not None and local.get_port() != 0, "local address")

    check(client.queue_line("one") is True, "queue_line one")
    check(client.queue_line("two, with spaces  ") is True, "queue_line two")
    # Many lines in one GBytes, LF and CR LF mixed: 2000 lines, ~200 KB.
    many = [f"line {i:05d} " + "x" * (i % 97) for i in range(2000)]
    payload = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(many))
    payload = payload.encode("ascii")
    check(client.send_async(GLib.Bytes.new(payload), 2) is True, "send_async accepted")
    check("send" not in rec.completed, "nothing completed inside send_async")
    expected = ["one", "two, with spaces  "] + many
    run_loop_until(lambda: "send" in rec.completed and len(rec.lines) >= len(expected),
                   "completed::send and every line back")

    sent = rec.completed["send"][0]
    check(sent.get_error() is None, f"sent, error {sent.get_error()!r}")
    check(sent.get_user_state() == 2, f"send user_state {sent.get_user_state()!r}")
    check(rec.progress, "at least one progress-changed::send")
    done, total, state, n_completed = rec.progress[-1]
    check(done == total == len(payload), f"last progress {done}/{total} of {len(payload)}")
    check(state == 2, f"progress user_state {state!r}")
    check(all(p[3] == 0 for p in rec.progress), "progress before completed::send")
    dones = [p[0] for p in rec.progress]
    check(dones == sorted(dones), f"progress monotonic {dones}")
    first_difference = next((i for i, (got, want) in enumerate(zip(rec.lines, expected))
                             if got != want), None)
    check(rec.lines == expected,
          f"lines back in order ({len(rec.lines)} of {len(expected)}, first "
          f"difference at {first_difference})")
    check(rec.chunks == [], "no received in line framing")
    check(client.get_send_queue_size() == 0, "queue empty")

    check(client.close_async(3) is True, "close_async accepted")
    check(not rec.disconnected, "nothing emitted inside close_async")
    run_loop_until(lambda: "close" in rec.completed, "completed::close")
    check(rec.completed["close"][0].get_error() is None, "closed cleanly")
    check(rec.completed["close"][0].get_user_state() == 3, "close user_state")
    check(rec.disconnected == [None], f"one disconnected(None), got {rec.disconnected!r}")
    names = rec.names()
    check(names.index("disconnected") < names.index("completed::close"),
          "disconnected before completed::close")
    check(not client.is_connected(), "not connected after close")
    check(not client.get_is_busy(), "not busy")
    check(rec.all_in_main_thread(), "every event in the main thread")


def test_peer_closes_after_last_line():
    """The peer ends the connection: its last line, then disconnected(None),
    and nothing after."""
    client, rec = new_line_client()
    connect(client, rec, 10)
    check(client.queue_line("hello") and client.queue_line("QUIT"), "queued")
    run_loop_until(lambda: rec.disconnected, "disconnected")
    check(rec.lines == ["hello", "BYE"], f"lines {rec.lines!r}")
    check(rec.disconnected == [None], f"a clean end, got {rec.disconnected!r}")
    check(rec.names()[-1] == "disconnected", f"disconnected last: {rec.names()}")
    check(not client.is_connected(), "not connected")
    # A client that was disconnected can connect again.
    rec.completed.clear()
    connect(client, rec, 11)
    check(client.queue_line("again"), "queued again")
    run_loop_until(lambda: rec.lines[-1:] == ["again"], "the line of the second connection")
    close_and_wait(client, rec, 15)
    check(len(rec.disconnected) == 2, f"two disconnected, got {rec.disconnected!r}")
    check(rec.all_in_main_thread(), "every event in the main thread")


def test_raw_framing_received_bytes():
    """RAW framing: received hands GLib.Bytes over; 256 KiB of every byte
    value (newlines and NULs included) come back intact."""
    client = Eap.TcpClient.new()
    check(client.get_framing() == Eap.TcpFraming.RAW, "RAW by default")
    rec = Recorder(client)
    connect(client, rec, 12)
    # The echo server works on lines: end the payload with one.
    payload = bytes((i * 31 + i // 256) % 256 for i in range(256 * 1024)) + b"\n"
    check(client.send_async(GLib.Bytes.new(payload), 13), "send_async accepted")
    run_loop_until(lambda: sum(len(c) for c in rec.chunks) >= len(payload), "the echo")
    check(b"".join(rec.chunks) == payload, "the bytes came back intact")
    check(rec.lines == [], "no line-received in RAW framing")
    check(all(isinstance(c, bytes) for c in rec.chunks), "chunks as bytes")
    close_and_wait(client, rec, 18)


def test_line_too_long_is_limit_exceeded():
    """A line over max-line-length ends the connection: disconnected with
    a GLib.Error EAP_ERROR_LIMIT_EXCEEDED, after the lines before it."""
    client, rec = new_line_client()
    client.set_max_line_length(16)
    check(client.get_max_line_length() == 16, "max-line-length 16")
    connect(client, rec, 14)
    check(client.queue_line("short") and client.queue_line("x" * 100), "queued")
    run_loop_until(lambda: rec.disconnected, "disconnected")
    error = rec.disconnected[0]
    check(isinstance(error, GLib.Error), f"a GLib.Error, got {error!r}")
    check(error.matches(Eap.error_quark(), Eap.Error.LIMIT_EXCEEDED),
          f"EAP_ERROR_LIMIT_EXCEEDED, got {error.domain}:{error.code} {error.message}")
    check(rec.lines == ["short"], f"the short line only: {rec.lines!r}")
    check(rec.names()[-1] == "disconnected", "disconnected last")
    check(not client.is_connected(), "not connected")


def test_component_close_disconnects():
    """R26 R50: eap_component_close() on a connected, idle client closes
    it at once, disconnected(None) comes later (not inside the call), and
    then connect_async and queue_line raise CLOSED."""
    client, rec = new_line_client()
    connect(client, rec, 19)
    client.close()
    check(rec.disconnected == [], "nothing emitted inside eap_component_close")
    run_loop_until(lambda: rec.disconnected, "disconnected")
    check(rec.disconnected == [None], f"a clean end, got {rec.disconnected!r}")
    check(not client.is_connected(), "not connected")
    for call in (lambda: client.connect_async("127.0.0.1", SERVER.port, 20),
                 lambda: client.queue_line("late")):
        try:
            call()
            check(False, "refused after eap_component_close")
        except GLib.Error as e:
            check(e.matches(*io_error(Gio.IOErrorEnum.CLOSED)), f"raised {e}")


def test_refused_port():
    """R12 R22: a port nobody listens on: completed::connect with
    CONNECTION_REFUSED (propagate_error raises it), no disconnected, not
    connected; the blocking connect raises it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))             # bound, never listening
    port = sock.getsockname()[1]
    try:
        client, rec = new_line_client()
        check(client.connect_async("127.0.0.1", port, 4), "connect_async accepted")
        run_loop_until(lambda: "connect" in rec.completed, "completed::connect")
        args = rec.completed["connect"][0]
        error = args.get_error()
        check(matches(error, io_error(Gio.IOErrorEnum.CONNECTION_REFUSED)),
              f"CONNECTION_REFUSED, got {error!r}")
        check(str(port) in error.message, f"the message names the port: {error.message}")
        check(args.get_user_state() == 4, "user_state")
        check(not args.get_cancelled(), "not cancelled")
        try:
            args.propagate_error()
            check(False, "propagate_error raises")
        except GLib.Error as e:
            check(e.matches(*io_error(Gio.IOErrorEnum.CONNECTION_REFUSED)), f"raised {e}")
        check(not client.is_connected(), "not connected")
        check(rec.disconnected == [], "no disconnected without a connection")

        # The blocking twin raises the same error.
        try:
            client.connect_sync("127.0.0.1", port, None)
            check(False, "the blocking connect raises")
        except GLib.Error as e:
            check(e.matches(*io_error(Gio.IOErrorEnum.CONNECTION_REFUSED)), f"raised {e}")
    finally:
        sock.close()


def test_second_connect_is_pending():
    """R10: connect_async on a connecting or connected client raises
    PENDING and emits nothing."""
    client, rec = new_line_client()
    check(client.connect_async("127.0.0.1", SERVER.port, 5), "first connect accepted")
    for user_state in (6, 0):
        try:
            client.connect_async("127.0.0.1", SERVER.port, user_state)
            check(False, "a second connect_async raises")
        except GLib.Error as e:
            check(e.matches(*io_error(Gio.IOErrorEnum.PENDING)), f"raised {e}")
        if user_state == 6:
            run_loop_until(lambda: "connect" in rec.completed, "completed::connect")
    check(len(rec.completed["connect"]) == 1, "one completed::connect")
    check(rec.completed["connect"][0].get_user_state() == 5, "the first one's")
    close_and_wait(client, rec, 16)


def test_queue_line_refusals():
    """R9 R12: queue_line raises NOT_CONNECTED before connecting and
    INVALID_ARGUMENT for a line with CR or LF; send_async on a client that
    is not connected completes with NOT_CONNECTED."""
    client, rec = new_line_client()
    try:
        client.queue_line("early")
        check(False, "queue_line raises when not connected")
    except GLib.Error as e:
        check(e.matches(*io_error(Gio.IOErrorEnum.NOT_CONNECTED)), f"raised {e}")
    check(client.send_async(GLib.Bytes.new(b"x\n"), 7), "send_async accepted")
    run_loop_until(lambda: "send" in rec.completed, "completed::send")
    check(matches(rec.completed["send"][0].get_error(), io_error(Gio.IOErrorEnum.NOT_CONNECTED)),
          f"NOT_CONNECTED, got {rec.completed['send'][0].get_error()!r}")

    connect(client, rec, 8)
    for bad in ("a\nb", "a\rb"):
        try:
            client.queue_line(bad)
            check(False, f"queue_line({bad!r}) raises")
        except GLib.Error as e:
            check(e.matches(*io_error(Gio.IOErrorEnum.INVALID_ARGUMENT)), f"raised {e}")
    check(client.get_send_queue_size() == 0, "nothing queued by the refusals")
    check(client.queue_line("fine"), "a good line after them")
    run_loop_until(lambda: rec.lines == ["fine"], "the good line back")
    close_and_wait(client, rec, 17)


def test_blocking_twins():
    """R8 R50 R60: connect, send and close block in the calling thread
    and raise GLib.Error; no completed, not busy; lines still arrive as
    signals in the thread's context; CLOSED after eap_component_close."""
    client, rec = new_line_client()
    check(client.connect_sync("127.0.0.1", SERVER.port, None) is True, "blocking connect")
    check(client.is_connected(), "connected when connect returns")
    check(not client.get_is_busy(), "a blocking twin is not an operation")
    check(client.send_sync(GLib.Bytes.new(b"ping\r\npong\n"), None) is True, "blocking send")
    check(client.get_send_queue_size() == 0, "all written when send returns")
    run_loop_until(lambda: len(rec.lines) == 2, "both lines back")
    check(rec.lines == ["ping", "pong"], f"lines {rec.lines!r}")
    check(client.close_sync(None) is True, "blocking close")
    check(not client.is_connected(), "not connected after close")
    run_loop_until(lambda: rec.disconnected, "disconnected")
    check(rec.disconnected == [None], f"a clean end, got {rec.disconnected!r}")
    check(rec.completed == {}, f"no completed: {list(rec.completed)}")
    check(rec.all_in_main_thread(), "every event in the main thread")

    client.close()
    try:
        client.connect_sync("127.0.0.1", SERVER.port, None)
        check(False, "connect after eap_component_close raises")
    except GLib.Error as e:
        check(e.matches(*io_error(Gio.IOErrorEnum.CLOSED)), f"raised {e}")


class SocketClient(threading.Thread):
    """A plain blocking socket client: sends @data, half-closes, reads
    until EOF (or a reset), then wakes the main context."""

    def __init__(self, port, data, half_close=True):
        super().__init__(daemon=True)
        self.port, self.data, self.half_close = port, data, half_close
        self.received = b""
        self.error = None
        self.done = threading.Event()
        self.release = threading.Event()

    def run(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT_S) as s:
                if self.data:
                    s.sendall(self.data)
                if self.half_close:
                    s.shutdown(socket.SHUT_WR)
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        self.received += chunk
                else:
                    self.release.wait(timeout=TIMEOUT_S)
        except OSError as e:
            self.error = e
        finally:
            self.done.set()
            wake()


def new_listener():
    listener = Eap.TcpListener.new()
    listener.set_framing(Eap.TcpFraming.LINES)
    check(listener.listen("127.0.0.1", 0) is True, "listen")
    check(listener.is_listening(), "listening")
    check(listener.get_port() != 0, "a real port after listen on 0")
    return listener


def test_listener_echo_half_close():
    """client-accepted with a connected TcpClient (framing LINES from the
    listener) in the main thread; an echo with queue_line reaches a
    socket client that half-closed; disconnected(None); n-clients."""
    listener = new_listener()
    accepted = []
    disconnected = []

    def on_line(peer, line):
        peer.queue_line(line.upper())

    def on_accepted(lst, peer):
        check(isinstance(peer, Eap.TcpClient), f"peer {type(peer)}")
        accepted.append((peer, threading.get_ident(), peer.is_connected(), peer.get_framing()))
        on(peer, "line-received", on_line)
        on(peer, "disconnected", lambda p, e: disconnected.append((e, threading.get_ident())))

    listener.connect("client-accepted", on_accepted)
    try:
        peer = SocketClient(listener.get_port(), b"alpha\r\nbeta\ngamma\n")
        peer.start()
        run_loop_until(lambda: peer.done.is_set() and disconnected, "the echo and disconnected")
        check(peer.error is None, f"socket client error {peer.error!r}")
        check(peer.received == b"ALPHA\r\nBETA\r\nGAMMA\r\n", f"echo {peer.received!r}")
        check(len(accepted) == 1, f"one client-accepted, got {len(accepted)}")
        _, thread, was_connected, framing = accepted[0]
        check(thread == MAIN_THREAD, "client-accepted in the main thread")
        check(was_connected, "the accepted client is connected")
        check(framing == Eap.TcpFraming.LINES, "the listener's framing")
        check(disconnected[0][0] is None, f"a clean end, got {disconnected[0][0]!r}")
        check(disconnected[0][1] == MAIN_THREAD, "disconnected in the main thread")
        run_loop_until(lambda: listener.get_n_clients() == 0, "n-clients back to 0")
        peer.join(timeout=TIMEOUT_S)
    finally:
        listener.stop()
    check(not listener.is_listening(), "not listening after stop")


def test_listener_accept_async():
    """accept_async: the peer goes to the operation (completed::accept
    with the client), not to client-accepted."""
    listener = new_listener()
    signalled = []
    completed = []
    listener.connect("client-accepted", lambda lst, peer: signalled.append(peer))
    listener.connect("completed::accept", lambda lst, args: completed.append(args))
    check(listener.accept_async(9) is True, "accept_async accepted")
    peer = SocketClient(listener.get_port(), b"x\n", half_close=False)
    peer.start()
    try:
        run_loop_until(lambda: completed, "completed::accept")
        args = completed[0]
        check(isinstance(args, Eap.TcpAcceptCompletedArgs), f"args {type(args)}")
        check(args.get_user_state() == 9, "user_state")
        client = args.get_client()
        check(isinstance(client, Eap.TcpClient) and client.is_connected(), "a connected client")
        check(signalled == [], "no client-accepted for a peer given to accept_async")
        lines = []
        on(client, "line-received", lambda c, line: lines.append(line))
        run_loop_until(lambda: lines == ["x"], "the peer's line")
        client.close()
    finally:
        peer.release.set()
        peer.join(timeout=TIMEOUT_S)

    # A pending accept completes with CLOSED when the listener stops.
    check(listener.accept_async(10), "a second accept_async")
    listener.stop()
    run_loop_until(lambda: len(completed) == 2, "the pending accept completes")
    check(matches(completed[1].get_error(), io_error(Gio.IOErrorEnum.CLOSED)),
          f"CLOSED, got {completed[1].get_error()!r}")


def test_listener_max_clients():
    """max-clients 1: a second peer is closed at once and n-rejected
    counts it; the first stays up."""
    listener = new_listener()
    listener.set_max_clients(1)
    accepted = []
    listener.connect("client-accepted", lambda lst, peer: accepted.append(peer))
    first = SocketClient(listener.get_port(), b"", half_close=False)
    second = SocketClient(listener.get_port(), b"", half_close=True)
    try:
        first.start()
        run_loop_until(lambda: len(accepted) == 1, "the first peer")
        second.start()
        run_loop_until(lambda: second.done.is_set(), "the second peer closed by the listener")
        check(second.received == b"", f"nothing for the rejected peer: {second.received!r}")
        run_loop_until(lambda: listener.get_n_rejected() == 1, "n-rejected 1")
        check(len(accepted) == 1, "one client-accepted")
        check(listener.get_n_clients() == 1, f"n-clients {listener.get_n_clients()}")
        check(accepted[0].is_connected(), "the first stays connected")
    finally:
        first.release.set()
        first.join(timeout=TIMEOUT_S)
        second.join(timeout=TIMEOUT_S)
        listener.close()
        for peer in accepted:
            peer.close()


TESTS = [
    test_line_echo_async,
    test_peer_closes_after_last_line,
    test_raw_framing_received_bytes,
    test_line_too_long_is_limit_exceeded,
    test_component_close_disconnects,
    test_refused_port,
    test_second_connect_is_pending,
    test_queue_line_refusals,
    test_blocking_twins,
    test_listener_echo_half_close,
    test_listener_accept_async,
    test_listener_max_clients,
]


def main():
    global SERVER
    with EchoServer() as server:
        SERVER = server
        return eaptest.main(TESTS)


if __name__ == "__main__":
    sys.exit(main())
