// SPDX-FileCopyrightText: 2026 The eap authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EapTcpClient and EapTcpListener through GObject introspection, as a GJS
// user sees them: an ES module (`gjs -m`) that imports Eap from the freshly
// built typelib. The client talks to a line echo server made with Gio's
// own GSocketService on 127.0.0.1 (a free port) in the same main loop:
// connect_async with an integer user_state, lines sent with queue_line and
// send_async and read back with line-received, close_async with
// disconnected before completed::close; a refused port as
// G_IO_ERROR_CONNECTION_REFUSED; and an EapTcpListener echoing to an
// EapTcpClient.
//
// The blocking twins are connect_sync/send_sync/close_sync, so
// client.connect() is GObject's signal connect, as on every object.
//
// No sleeps: every wait runs a GLib.MainLoop that the awaited signal quits,
// or a timeout that fails the test. The last line is `N passed, N failed`.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Eap from 'gi://Eap?version=1.0';
import System from 'system';

const TIMEOUT_MS = 10000;

class Failure extends Error {}

function check(cond, what) {
    if (!cond)
        throw new Failure(what);
}

let currentLoop = null;

function wake() {
    if (currentLoop)
        currentLoop.quit();
}

// Connects a signal handler; every handler also wakes runLoopUntil().
function on(object, signal, handler) {
    return object.connect(signal, (...args) => {
        const ret = handler(...args);
        wake();
        return ret;
    });
}

function runLoopUntil(done, what, timeoutMs = TIMEOUT_MS) {
    let timedOut = false;
    const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
        timedOut = true;
        wake();
        return GLib.SOURCE_REMOVE;
    });
    while (!done() && !timedOut) {
        currentLoop = new GLib.MainLoop(null, false);
        currentLoop.run();
        currentLoop = null;
    }
    if (!timedOut)
        GLib.source_remove(id);
    check(done(), `timed out after ${timeoutMs} ms waiting for ${what}`);
}

function isIOError(error, code) {
    return error !== null && error.matches(Gio.io_error_quark(), code);
}

// A line echo server with Gio: GSocketService, a DataInputStream per
// connection read with read_line_async, each line written back with LF.
function startEchoServer() {
    const service = new Gio.SocketService();
    const wanted = new Gio.InetSocketAddress({
        address: Gio.InetAddress.new_loopback(Gio.SocketFamily.IPV4),
        port: 0,
    });
    const result = service.add_address(wanted, Gio.SocketType.STREAM,
        Gio.SocketProtocol.TCP, null);
    const effective = Array.isArray(result) ? result[1] : result;
    const connections = new Set();
    const encoder = new TextEncoder();

    service.connect('incoming', (srv, connection) => {
        connections.add(connection);
        const input = new Gio.DataInputStream({
            base_stream: connection.get_input_stream(),
            close_base_stream: false,
        });
        const output = connection.get_output_stream();
        const readNext = () => {
            input.read_line_async(GLib.PRIORITY_DEFAULT, null, (stream, res) => {
                let line = null;
                try {
                    [line] = stream.read_line_finish_utf8(res);
                } catch (e) {
                    line = null;        // a reset: the test sees it on its side
                }
                if (line === null) {
                    connection.close(null);
                    connections.delete(connection);
                    return;
                }
                // The CR of a CR LF stays in `line`: echoed as it came.
                output.write_all(encoder.encode(`${line}\n`), null);
                readNext();
            });
        };
        readNext();
        return true;
    });
    service.start();
    return [service, effective.get_port()];
}

const [echoService, echoPort] = startEchoServer();

function newRecordedClient() {
    const client = new Eap.TcpClient();
    client.set_framing(Eap.TcpFraming.LINES);
    const rec = {events: [], lines: [], completed: new Map(), disconnected: []};
    on(client, 'completed', (c, args) => {
        rec.completed.set(args.get_operation_name(), args);
        rec.events.push(`completed::${args.get_operation_name()}`);
    });
    on(client, 'line-received', (c, line) => {
        rec.lines.push(line);
        rec.events.push('line-received');
    });
    on(client, 'disconnected', (c, error) => {
        rec.disconnected.push(error);
        rec.events.push('disconnected');
    });
    return [client, rec];
}

function testConnectEchoClose() {
    const [client, rec] = newRecordedClient();
    check(client.connect_async('127.0.0.1', echoPort, 1) === true, 'connect_async accepted');
    check(rec.events.length === 0, 'nothing emitted inside connect_async');
    runLoopUntil(() => rec.completed.has('connect'), 'completed::connect');
    const connected = rec.completed.get('connect');
    check(connected.get_error() === null, `connected, error ${connected.get_error()}`);
    check(connected.get_user_state() === 1, `user_state ${connected.get_user_state()}`);
    check(client.is_connected(), 'connected after completed::connect');
    check(client.dup_remote_address().get_port() === echoPort, 'remote port');

    check(client.queue_line('hello'), 'queue_line hello');
    check(client.queue_line('wörld'), 'queue_line wörld');
    const bytes = new GLib.Bytes(new TextEncoder().encode('three\r\nfour\n'));
    check(client.send_async(bytes, 2) === true, 'send_async accepted');
    runLoopUntil(() => rec.completed.has('send') && rec.lines.length >= 4,
        'completed::send and four lines');
    const sent = rec.completed.get('send');
    check(sent.get_error() === null && sent.get_user_state() === 2,
        `send completed: ${sent.get_error()} ${sent.get_user_state()}`);
    check(JSON.stringify(rec.lines) === JSON.stringify(['hello', 'wörld', 'three', 'four']),
        `lines ${JSON.stringify(rec.lines)}`);

    let refused = null;
    try {
        client.queue_line('two\nlines');
    } catch (e) {
        refused = e;
    }
    check(isIOError(refused, Gio.IOErrorEnum.INVALID_ARGUMENT),
        `a line with LF is refused with INVALID_ARGUMENT, got ${refused}`);

    check(client.close_async(3) === true, 'close_async accepted');
    runLoopUntil(() => rec.completed.has('close'), 'completed::close');
    check(rec.completed.get('close').get_error() === null, 'closed cleanly');
    check(rec.disconnected.length === 1 && rec.disconnected[0] === null,
        `one disconnected(null), got ${rec.disconnected}`);
    check(rec.events.indexOf('disconnected') < rec.events.indexOf('completed::close'),
        `disconnected before completed::close: ${rec.events}`);
    check(!client.is_connected(), 'not connected after close');
}

function testRefusedPort() {
    // Bound, never listening: connecting to it is refused.
    const socket = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM,
        Gio.SocketProtocol.TCP);
    socket.bind(new Gio.InetSocketAddress({
        address: Gio.InetAddress.new_loopback(Gio.SocketFamily.IPV4),
        port: 0,
    }), true);
    const port = socket.get_local_address().get_port();
    try {
        const [client, rec] = newRecordedClient();
        check(client.connect_async('127.0.0.1', port, 4), 'connect_async accepted');
        runLoopUntil(() => rec.completed.has('connect'), 'completed::connect');
        const error = rec.completed.get('connect').get_error();
        check(isIOError(error, Gio.IOErrorEnum.CONNECTION_REFUSED),
            `CONNECTION_REFUSED, got ${error}`);
        check(rec.disconnected.length === 0, 'no disconnected without a connection');
        check(!client.is_connected(), 'not connected');
    } finally {
        socket.close();
    }
}

function testListenerEcho() {
    const listener = new Eap.TcpListener();
    listener.set_framing(Eap.TcpFraming.LINES);
    let accepted = 0;
    const peerDisconnected = [];
    listener.connect('client-accepted', (lst, peer) => {
        accepted++;
        on(peer, 'line-received', (p, line) => p.queue_line(`echo ${line}`));
        on(peer, 'disconnected', (p, error) => peerDisconnected.push(error));
    });
    check(listener.listen('127.0.0.1', 0), 'listen');
    const port = listener.get_port();
    check(port > 0, `a real port, got ${port}`);

    const [client, rec] = newRecordedClient();
    check(client.connect_async('127.0.0.1', port, 5), 'connect_async accepted');
    runLoopUntil(() => rec.completed.has('connect'), 'completed::connect');
    check(rec.completed.get('connect').get_error() === null, 'connected to the listener');
    check(client.queue_line('ping'), 'queue_line');
    runLoopUntil(() => rec.lines.length === 1, 'the echo');
    check(rec.lines[0] === 'echo ping', `echo ${rec.lines[0]}`);
    check(accepted === 1, `one client-accepted, got ${accepted}`);
    check(listener.get_n_clients() === 1, `n-clients ${listener.get_n_clients()}`);

    // The client closes: the accepted peer sees EOF and is gone.
    check(client.close_async(6), 'close_async accepted');
    runLoopUntil(() => rec.completed.has('close') && peerDisconnected.length === 1,
        'completed::close and the peer disconnected');
    check(peerDisconnected[0] === null, `the peer saw a clean end, got ${peerDisconnected[0]}`);
    check(listener.get_n_clients() === 0, `n-clients ${listener.get_n_clients()} after the end`);
    listener.stop();
    check(!listener.is_listening(), 'not listening after stop');
}

const tests = [
    testConnectEchoClose,
    testRefusedPort,
    testListenerEcho,
];

let passed = 0, failed = 0;
for (const test of tests) {
    try {
        test();
        passed++;
        print(`ok   ${test.name}`);
    } catch (e) {
        failed++;
        print(`FAIL ${test.name}: ${e.message ?? e}`);
        if (!(e instanceof Failure) && e.stack)
            print(e.stack);
    }
}
echoService.stop();
echoService.close();
print(`${passed} passed, ${failed} failed`);
System.exit(failed === 0 ? 0 : 1);
