// SPDX-FileCopyrightText: 2026 The eap authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// EapWebClient through GObject introspection, as a GJS user sees it: an ES
// module (`gjs -m`) that imports Eap from the freshly built typelib, serves a
// body from a Soup.Server of its own on 127.0.0.1 (a free port), and checks
// download_bytes_async and download_string_async (progress-changed and
// completed, both detailed, in the main context), and a 404 as an
// EAP_HTTP_ERROR.
//
// Only the web client: its signals are all emitted in the main context. A
// BackgroundWorker do-work handler in JS would run in a pool thread, which
// GJS must never do.
//
// user_state: a gpointer in C, annotated (type gsize) for bindings, so a
// script names an operation with an integer (0 is NULL) and gets it back,
// and cancel_async() finds it. GJS cannot marshal a plain gpointer at all:
// without the annotation every user_state reached C as NULL.
//
// No sleeps: every wait runs a GLib.MainLoop that the awaited signal quits,
// or a timeout that fails the test. The last line is `N passed, N failed`.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Soup from 'gi://Soup?version=3.0';
import Eap from 'gi://Eap?version=1.0';
import System from 'system';

const TIMEOUT_MS = 10000;
const BODY_SIZE = 256 * 1024;

class Failure extends Error {}

function check(cond, what) {
    if (!cond)
        throw new Failure(what);
}

// The body: BODY_SIZE bytes of printable ASCII, so that it is also a string.
const BODY_TEXT = Array.from({length: BODY_SIZE}, (_, i) => String.fromCharCode(0x21 + i % 90)).join('');
const BODY = new TextEncoder().encode(BODY_TEXT);

let currentLoop = null;

// Wakes runLoopUntil() to re-check its condition: the signal handlers call
// it, in the main context.
function wake() {
    if (currentLoop)
        currentLoop.quit();
}

// Runs a GLib.MainLoop on the default main context (the one every operation
// captures) until done() holds, or fails when timeoutMs pass first.
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

function startServer() {
    const server = new Soup.Server();
    server.add_handler('/body', (srv, msg) => {
        msg.set_status(200, null);
        msg.set_response('text/plain', Soup.MemoryUse.COPY, BODY);
    });
    // Any other path: Soup.Server answers 404 Not Found by itself.
    server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY);
    const uris = server.get_uris();
    check(uris.length > 0, 'the Soup.Server listens');
    return [server, `http://127.0.0.1:${uris[0].get_port()}`];
}

const [server, base] = startServer();

function newClient() {
    const client = new Eap.WebClient();
    client.set_progress_interval(0);    // every report, not one per interval
    return client;
}

function bytesEqual(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i])
            return false;
    }
    return true;
}

function testDownloadBytes() {
    const client = newClient();
    const progress = [];
    const completed = [];

    client.connect('progress-changed::download-bytes', (c, p) => {
        progress.push({
            percentage: p.get_percentage(),
            received: p.get_bytes_received(),
            total: p.get_total_bytes(),
            name: p.get_operation_name(),
            afterCompleted: completed.length > 0,
        });
    });
    client.connect('completed::download-bytes', (c, a) => {
        completed.push({args: a, busy: c.get_is_busy()});
        wake();
    });

    check(client.download_bytes_async(`${base}/body`, 0) === true, 'download_bytes_async accepted');
    check(client.get_is_busy(), 'is-busy while downloading');
    check(completed.length === 0, 'nothing completed inside download_bytes_async');

    runLoopUntil(() => completed.length > 0, 'completed::download-bytes');
    check(completed.length === 1, `one completed, got ${completed.length}`);

    const {args, busy} = completed[0];
    check(args instanceof Eap.DownloadBytesCompletedArgs, `args are ${args.constructor.name}`);
    check(args.get_operation_name() === 'download-bytes', `operation name ${args.get_operation_name()}`);
    check(!args.get_cancelled() && args.get_error() === null, `success, error ${args.get_error()}`);
    check(args.get_status() === 200, `status ${args.get_status()}`);
    check(args.get_user_state() === 0, `user_state 0 (NULL), got ${args.get_user_state()}`);
    check(!busy, 'is-busy already false in the completed handler');

    const bytes = args.get_bytes();
    const data = bytes.toArray();
    check(data.length === BODY_SIZE, `got ${data.length} bytes, want ${BODY_SIZE}`);
    check(bytesEqual(data, BODY), 'the bytes are the body');

    check(progress.length > 0, 'at least one progress-changed::download-bytes');
    check(progress.every(p => !p.afterCompleted), 'no progress after completed');
    check(progress.every(p => p.name === 'download-bytes'), 'progress operation name');
    const last = progress[progress.length - 1];
    check(last.received === BODY_SIZE && last.total === BODY_SIZE,
        `last progress ${last.received}/${last.total}`);
    check(last.percentage === 100, `last percentage ${last.percentage}`);
    for (let i = 1; i < progress.length; i++)
        check(progress[i].received >= progress[i - 1].received, 'bytes received never go back');
}

function testDownloadString() {
    const client = newClient();
    const completed = [];
    let progressSeen = 0;

    client.connect('progress-changed::download-string', () => progressSeen++);
    client.connect('completed::download-string', (c, a) => {
        completed.push(a);
        wake();
    });

    check(client.download_string_async(`${base}/body`, 0) === true, 'download_string_async accepted');
    runLoopUntil(() => completed.length > 0, 'completed::download-string');

    const args = completed[0];
    check(args instanceof Eap.DownloadStringCompletedArgs, `args are ${args.constructor.name}`);
    check(args.get_error() === null, `success, error ${args.get_error()}`);
    const text = args.get_text();
    check(text.length === BODY_SIZE, `text of ${text.length} characters`);
    check(text === BODY_TEXT, 'the text is the body');
    check(progressSeen > 0, 'at least one progress-changed::download-string');
}

function test404IsAnHttpError() {
    const client = newClient();
    const completed = [];

    client.connect('completed::download-bytes', (c, a) => {
        completed.push(a);
        wake();
    });
    check(client.download_bytes_async(`${base}/missing`, 0), 'download_bytes_async accepted');
    runLoopUntil(() => completed.length > 0, 'completed::download-bytes');

    const args = completed[0];
    const error = args.get_error();
    check(error !== null, 'a 404 completes with an error');
    check(error.domain === Eap.http_error_quark() && error.code === 404,
        `EAP_HTTP_ERROR 404, got ${error.domain}:${error.code} ${error.message}`);
    check(!args.get_cancelled(), 'not cancelled');
    check(args.get_status() === 404, `status ${args.get_status()}`);

    let raised = null;
    try {
        args.get_bytes();
    } catch (e) {
        raised = e;
    }
    check(raised !== null, 'get_bytes throws on a 404');
    check(raised instanceof GLib.Error && raised.matches(Eap.http_error_quark(), 404),
        `get_bytes threw ${raised}`);
}

function testIntegerUserState() {
    // R11, R21, R29 from JavaScript: an integer names the operation, comes
    // back in the completed args, refuses a duplicate while in flight, and
    // cancel_async() with it cancels that operation only.
    const client = newClient();
    const completed = new Map();

    client.connect('completed', (c, a) => {
        completed.set(a.get_user_state(), a);
        wake();
    });
    check(client.download_string_async(`${base}/body`, 7), 'download 7 accepted');
    let refused = null;
    try {
        client.download_string_async(`${base}/body`, 7);
    } catch (e) {
        refused = e;
    }
    check(refused instanceof GLib.Error && refused.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT),
        `a second operation with user_state 7 is refused, got ${refused}`);
    check(client.download_string_async(`${base}/body`, 8), 'download 8 accepted');
    client.cancel_async(8);
    runLoopUntil(() => completed.size === 2, 'both completed');
    check(completed.get(7).get_error() === null && !completed.get(7).get_cancelled(),
        'operation 7 succeeded');
    check(completed.get(8).get_cancelled() && completed.get(8).get_error() === null,
        'operation 8 was cancelled by its user_state');
}

const tests = [
    testDownloadBytes,
    testDownloadString,
    test404IsAnHttpError,
    testIntegerUserState,
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
server.disconnect();
print(`${passed} passed, ${failed} failed`);
System.exit(failed === 0 ? 0 : 1);
