# SPDX-FileCopyrightText: 2026 The eap authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the two sample checkers of docs/*.md share: finding the fenced
code blocks of one language, and the closing `N passed, N failed` line
that scripts/test sums."""


def extract_blocks(path, lang):
    """Yields (line number of the opening fence, text) of every ```LANG
    block of a markdown file; the text starts on the line after the fence."""
    fence = "```" + lang
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == fence:
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            if j == len(lines):
                raise SystemExit(f"{path}:{i + 1}: unterminated {fence} block")
            yield start, "\n".join(lines[start:j]) + "\n"
            i = j
        i += 1


def summary(passed, failed, skipped):
    """Prints the result lines and returns the exit status."""
    if skipped:
        print(f"{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
