#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the Python code samples of the guides, so the docs cannot rot.

Every ```python block of docs/*.md must start with a marker comment that
says what to do with it:

  # sample: run
      Run as a script with the Python given (Debian's /usr/bin/python3,
      which has python3-gi) against the freshly built typelib; it passes
      when it exits with status 0 within the timeout. These lines are put
      in front of it, so that a sample may use Eap, Gio and GLib without
      importing them (a sample that imports them itself is fine too):

          import gi
          gi.require_version('GLib', '2.0')
          gi.require_version('Gio', '2.0')
          gi.require_version('Eap', '1.0')
          from gi.repository import Eap, Gio, GLib

      It runs in an empty temporary folder, which is its working directory.
  # sample: skip REASON
      Not run; REASON is printed and must not be empty.

A block without a marker fails, and so does an unknown marker.

Usage (from meson): check-python-samples.py --source-root S --build-root B
  [--python /usr/bin/python3] [--timeout SECONDS] [docs/X.md…]
GI_TYPELIB_PATH and LD_LIBRARY_PATH get the build root in front. The last
line is `N passed, N failed`.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import samples  # noqa: E402

MARKER = re.compile(r"^\s*#\s*sample:\s*(\w+)\s*(.*?)\s*$")
PRELUDE = (
    "import gi\n"
    "gi.require_version('GLib', '2.0')\n"
    "gi.require_version('Gio', '2.0')\n"
    "gi.require_version('Eap', '1.0')\n"
    "from gi.repository import Eap, Gio, GLib  # noqa: E402,F401\n"
)


class Fail(Exception):
    pass


def prepend_path(env, name, value):
    old = env.get(name)
    env[name] = value if not old else value + os.pathsep + old


def run_sample(opts, env, where, line, text):
    """Returns None when the sample passed, raises Fail otherwise."""
    with tempfile.TemporaryDirectory(prefix="eap-py-sample-") as tmp:
        script = os.path.join(tmp, "sample.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(PRELUDE + f"# {where}\n" + text)
        work = os.path.join(tmp, "cwd")
        os.mkdir(work)
        try:
            r = subprocess.run([opts.python, script], cwd=work, env=env,
                               capture_output=True, text=True,
                               timeout=opts.timeout)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
                else (e.stdout or "")
            raise Fail(f"still running after {opts.timeout} s\n{out}")
        if r.returncode != 0:
            offset = line - (PRELUDE.count("\n") + 2)
            raise Fail(f"exit status {r.returncode} (line L of sample.py is line "
                       f"L{offset:+d} of the guide)\n{r.stdout}{r.stderr}")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds each sample may run (default 30)")
    ap.add_argument("docs", nargs="*", help="markdown files (default: docs/*.md)")
    opts = ap.parse_args()

    opts.build_root = os.path.abspath(opts.build_root)
    env = dict(os.environ)
    prepend_path(env, "GI_TYPELIB_PATH", opts.build_root)
    prepend_path(env, "LD_LIBRARY_PATH", opts.build_root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    files = opts.docs or sorted(glob.glob(os.path.join(opts.source_root, "docs", "*.md")))
    passed = failed = skipped = 0
    for path in files:
        name = os.path.relpath(path, opts.source_root)
        for fence, text in samples.extract_blocks(path, "python"):
            line = fence + 1   # the sample's first line
            where = f"{name}:{line}"
            first = text.split("\n", 1)[0]
            m = MARKER.match(first)
            try:
                if m is None:
                    raise Fail("no `# sample: run` or `# sample: skip REASON` "
                               "marker on the first line")
                kind, rest = m.group(1), m.group(2)
                if kind == "skip":
                    if not rest:
                        raise Fail("skip without a reason")
                    skipped += 1
                    print(f"skip {where}: {rest}")
                    continue
                if kind != "run" or rest:
                    raise Fail(f"unknown marker {first.strip()!r}")
                run_sample(opts, env, where, line, text)
            except Fail as e:
                failed += 1
                print(f"FAIL {where}: {e}")
            else:
                passed += 1
                print(f"ok   {where}")
            sys.stdout.flush()
    return samples.summary(passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
