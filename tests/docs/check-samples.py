#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compiles every C code sample of the guides, so the docs cannot rot.

Every ```c block of docs/*.md must start with a marker line that says what
the block is:

  /* sample: program [with FILE…] [needs PKG…] */
      A whole program: compiled and linked against libeap-1 (FILE… are
      other sources of the tree compiled with it, relative to the source
      root; PKG… are extra pkg-config packages).
  /* sample: file [needs PKG…] */
      File-scope code (functions, types): `#include <eap.h>` is prepended
      and it is compiled to an object.
  /* sample: fragment [needs PKG…] */
      Statements. A line `/* … */` splits file-scope code (above) from the
      statements (below), which are wrapped in a function; without that
      line the whole block is the statements.
  /* sample: excerpt FILE */
      A verbatim excerpt of FILE (relative to the source root), which the
      build compiles: each piece between `/* … */` lines must occur in FILE,
      in order. Checked textually, line by line, ignoring indentation.
  /* sample: skip REASON */
      Not checked; REASON is printed and must not be empty.

A block without a marker fails. A sample whose `needs` package pkg-config
does not know is reported as skipped, not passed.

Warnings are errors (-Wall -Wextra, minus the unused-* ones that fragments
trip by nature), and the GLib version floor of the project applies.

Usage (from meson): check-samples.py --source-root S --build-root B
  --pkg-config P --cc=ARG [--cc=ARG…] [--keep DIR]
The last line is `N passed, N failed`.
"""

import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import samples  # noqa: E402

MARKER = re.compile(r"^\s*/\*\s*sample:\s*(\w+)\s*(.*?)\s*\*/\s*$")
ELISION = re.compile(r"^\s*(/\*\s*…\s*\*/|…)\s*$")
WARN_FLAGS = [
    "-Wall", "-Wextra", "-Werror",
    "-Wno-unused-parameter", "-Wno-unused-function", "-Wno-unused-variable",
    "-Wno-unused-but-set-variable", "-Wno-missing-field-initializers",
    "-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74",
    "-DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74",
]


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def parse_args_words(words):
    """Splits `with A B needs C` into ({'with': [A, B], 'needs': [C]})."""
    out = {"with": [], "needs": []}
    key = None
    for w in words:
        if w in out:
            key = w
        elif key is None:
            raise Fail(f"unexpected word {w!r} in the marker")
        else:
            out[key].append(w)
    return out


class Checker:
    def __init__(self, opts):
        self.opts = opts
        self.tmp = opts.keep or tempfile.mkdtemp(prefix="eap-samples-")
        os.makedirs(self.tmp, exist_ok=True)
        s, b = opts.source_root, opts.build_root
        self.cflags = ["-I" + d for d in (b, os.path.join(b, "eap"), os.path.join(b, "components"),
                                          os.path.join(s, "eap"), os.path.join(s, "components"))]
        self.cflags += self.pkg(["--cflags", "gio-2.0"])
        self.libs = ["-L" + b, "-leap-1", "-Wl,-rpath," + b] + self.pkg(["--libs", "gio-2.0"])
        self.n = 0

    def pkg(self, args):
        r = subprocess.run([self.opts.pkg_config] + args, capture_output=True, text=True)
        if r.returncode != 0:
            raise Skip(f"pkg-config {' '.join(args)}: {r.stderr.strip()}")
        return shlex.split(r.stdout)

    def extra(self, needs):
        flags = []
        for p in needs:
            if subprocess.run([self.opts.pkg_config, "--exists", p]).returncode != 0:
                raise Skip(f"{p} not found by pkg-config")
            flags += self.pkg(["--cflags", "--libs", p])
        return flags

    def compile(self, source, link, sources=(), flags=()):
        self.n += 1
        c = os.path.join(self.tmp, f"sample-{self.n}.c")
        with open(c, "w", encoding="utf-8") as f:
            f.write(source)
        out = os.path.join(self.tmp, f"sample-{self.n}" + ("" if link else ".o"))
        cmd = list(self.opts.cc) + WARN_FLAGS + self.cflags + list(flags)
        cmd += [c] + [os.path.join(self.opts.source_root, s) for s in sources]
        cmd += (["-o", out] + self.libs) if link else ["-c", "-o", out]
        cmd += list(flags)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail(f"{' '.join(shlex.quote(x) for x in cmd)}\n{r.stdout}{r.stderr}")

    def check(self, text):
        first, _, body = text.partition("\n")
        m = MARKER.match(first)
        if m is None:
            raise Fail("no `/* sample: KIND */` marker on the first line")
        kind, rest = m.group(1), m.group(2)
        if kind == "skip":
            if not rest:
                raise Skip("skip without a reason")   # reported, then failed below
            return f"skipped: {rest}"
        if kind == "excerpt":
            return self.excerpt(rest, body)
        words = parse_args_words(rest.split())
        flags = self.extra(words["needs"])
        if kind == "program":
            dirs = {os.path.dirname(os.path.join(self.opts.source_root, f)) for f in words["with"]}
            self.compile(body, True, words["with"], ["-I" + d for d in sorted(dirs)] + flags)
        elif kind == "file":
            self.compile("#include <eap.h>\n#line 2\n" + body, False, flags=flags)
        elif kind == "fragment":
            self.compile(wrap_fragment(body), False, flags=flags)
        else:
            raise Fail(f"unknown sample kind {kind!r}")
        return None

    def excerpt(self, rest, body):
        path = os.path.join(self.opts.source_root, rest)
        if not rest or not os.path.isfile(path):
            raise Fail(f"excerpt of {rest!r}: no such file")
        target = [ln.strip() for ln in open(path, encoding="utf-8").read().split("\n")]
        pieces, cur = [], []
        for ln in body.split("\n"):
            if ELISION.match(ln):
                pieces.append(cur)
                cur = []
            else:
                cur.append(ln.strip())
        pieces.append(cur)
        pos = 0
        for piece in pieces:
            while piece and piece[-1] == "":
                piece.pop()
            while piece and piece[0] == "":
                piece.pop(0)
            if not piece:
                continue
            found = -1
            for k in range(pos, len(target) - len(piece) + 1):
                if target[k:k + len(piece)] == piece:
                    found = k
                    break
            if found < 0:
                raise Fail(f"excerpt not found in {rest} (after line {pos}):\n  "
                           + "\n  ".join(piece[:3]))
            pos = found + len(piece)
        return None


def wrap_fragment(body):
    lines = body.split("\n")
    split = next((i for i, ln in enumerate(lines) if ELISION.match(ln)), None)
    if split is None:
        top, stmts = [], lines
    else:
        top, stmts = lines[:split], lines[split + 1:]
    return ("#include <eap.h>\n"
            "#line 2\n" + "\n".join(top) + "\n"
            "void sample_fragment (void);\n"
            "void\nsample_fragment (void)\n{\n"
            f"#line {split + 3 if split is not None else 2}\n"
            + "\n".join(stmts) + "\n}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--pkg-config", default="pkg-config")
    ap.add_argument("--cc", action="append", required=True)
    ap.add_argument("--keep", help="keep the generated sources in this folder")
    ap.add_argument("docs", nargs="*", help="markdown files (default: docs/*.md)")
    opts = ap.parse_args()

    files = opts.docs or sorted(glob.glob(os.path.join(opts.source_root, "docs", "*.md")))
    checker = Checker(opts)
    passed = failed = skipped = 0
    for path in files:
        name = os.path.relpath(path, opts.source_root)
        for line, text in samples.extract_blocks(path, "c"):
            where = f"{name}:{line}"
            try:
                note = checker.check(text)
            except Skip as e:
                if str(e) == "skip without a reason":
                    failed += 1
                    print(f"FAIL {where}: {e}")
                else:
                    skipped += 1
                    print(f"skip {where}: {e}")
            except Fail as e:
                failed += 1
                print(f"FAIL {where}: {e}")
            else:
                if note is None:
                    passed += 1
                    print(f"ok   {where}")
                else:
                    skipped += 1
                    print(f"skip {where}: {note[len('skipped: '):]}")
    return samples.summary(passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
