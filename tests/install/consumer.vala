/* consumer.vala
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Vala twin of consumer.c: built by tests/install/run with
 * `valac --pkg eap-1` against the installed eap-1.vapi (and, through
 * pkg-config, the installed headers and library), then run. Exits 0 only if
 * a BackgroundWorker run delivered the result 42 through
 * `completed::run-worker` with the user_state it was started with.
 */

/* A user_state is a pointer-sized integer for bindings (0 is NULL). */
const size_t USER_STATE = 7;

int main () {
    var worker = new Eap.BackgroundWorker ();
    var loop = new MainLoop ();
    bool done = false, state_ok = false, timed_out = false;
    int result = 0;

    worker.set_work_func ((args) => {
        var value = Value (typeof (int));
        value.set_int (42);
        args.set_result (value);
        return true;
    });

    worker.completed["run-worker"].connect ((component, args) => {
        done = true;
        state_ok = args.get_user_state () == USER_STATE;
        try {
            unowned Value? value = ((Eap.RunWorkerCompletedArgs) args).get_result ();
            if (value != null && ((!) value).holds (typeof (int)))
                result = ((!) value).get_int ();
        } catch (Error e) {
            stderr.printf ("consumer.vala: run-worker failed: %s\n", e.message);
        }
        loop.quit ();
    });

    try {
        worker.run_worker_async (null, USER_STATE);
    } catch (Error e) {
        stderr.printf ("consumer.vala: run_worker_async refused: %s\n", e.message);
        return 1;
    }

    var deadline = Timeout.add_seconds (10, () => {
        timed_out = true;
        loop.quit ();
        return Source.REMOVE;
    });
    loop.run ();
    if (!timed_out)
        Source.remove (deadline);

    print ("consumer.vala: eap %s, result %d, user_state %s%s\n",
           Eap.VERSION_S, result, state_ok ? "ok" : "WRONG",
           timed_out ? ", TIMED OUT" : "");

    return done && state_ok && result == 42 ? 0 : 1;
}
