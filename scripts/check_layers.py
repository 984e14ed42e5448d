#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that mstat's C files call down only.

The order is README.md's layout table, top down.  A file "calls" another
when it names a function the other defines with external linkage
(comments and strings left out).  Prints each upward call and exits 1 if
there is one, or if a mstat_*.c file is missing from the table.
"""
import re
import sys
from pathlib import Path

root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
readme = (root / "README.md").read_text()
layout = readme[readme.index("## Layout"):]
order = re.findall(r"^\| `(mstat_\w+\.c)` \|", layout, re.M)
files = sorted(p.name for p in root.glob("mstat_*.c"))
bad = [f for f in files if f not in order]
for f in bad:
    print(f"layers: {f} is not in README.md's layout table")


def clean(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


defs = {}
for f in files:
    src = (root / f).read_text()
    for m in re.finditer(r"^(?!static)[a-z][\w \*]*?\b(mstat_\w+)\(", src, re.M):
        defs.setdefault(m.group(1), f)
up = 0
for f in files:
    if f not in order:
        continue
    src = clean((root / f).read_text())
    for name, where in sorted(defs.items()):
        if where == f or where not in order or order.index(where) > order.index(f):
            continue
        if re.search(r"\b" + name + r"\b", src):
            print(f"layers: {f} calls {name}() of {where}, above it")
            up += 1
print(f"layers: {len(order)} files, {up} upward calls")
sys.exit(1 if up or bad else 0)
