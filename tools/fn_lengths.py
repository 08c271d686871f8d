#!/usr/bin/env python3
"""Function lengths of Rust sources (rustfmt layout assumed): median, p90, the longest, and the
largest files. Test modules (from `#[cfg(test)]` on) and `tests.rs` files are left out.

    tools/fn_lengths.py [DIR...]          (default: compiler/src)
    tools/fn_lengths.py --over 80 DIR     also list every function over 80 lines, and exit 1 when
                                          one has no `// long: <reason>` line above it (above
                                          its doc comment and attributes)
"""
import os
import re
import statistics
import sys

FN = re.compile(r'^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+"[^"]*"\s+)?fn\s+(\w+)')


def functions(path):
    """(name, first line, length in lines, whether a reason is written above) of each function of a
    file, nested ones included."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    end = next((i for i, l in enumerate(lines) if l.strip().startswith("#[cfg(test)]")), len(lines))
    out = []
    for i in range(end):
        m = FN.match(lines[i])
        if not m:
            continue
        indent = m.group(1)
        # The reason a long function gives: a `// long:` line above its docs and attributes.
        above = i - 1
        while above >= 0 and lines[above].strip().startswith(("///", "#[")):
            above -= 1
        reason = above >= 0 and lines[above].strip().startswith("// long:")
        # A declaration without a body (trait method) ends with `;` before any `{`.
        j = i
        while j < end and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
            j += 1
        if j >= end or "{" not in lines[j]:
            continue
        if lines[j].rstrip().endswith("}") and lines[j].count("{") == lines[j].count("}"):
            out.append((m.group(8), i + 1, j - i + 1, reason))
            continue
        k = j + 1
        while k < end and lines[k] != indent + "}":
            k += 1
        out.append((m.group(8), i + 1, k - i + 1, reason))
    return out


def rust_files(dirs):
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in sorted(files):
                if name.endswith(".rs") and name != "tests.rs":
                    yield os.path.join(root, name)


def main(argv):
    over = None
    if len(argv) >= 2 and argv[0] == "--over":
        over = int(argv[1])
        argv = argv[2:]
    dirs = argv or ["compiler/src"]
    all_fns, sizes = [], []
    for path in rust_files(dirs):
        with open(path, encoding="utf-8") as f:
            sizes.append((sum(1 for _ in f), path))
        all_fns += [(n, path, line, length, reason) for n, line, length, reason in functions(path)]
    lengths = sorted(f[3] for f in all_fns)
    p90 = lengths[max(0, int(round(0.9 * len(lengths))) - 1)]
    print(f"functions: {len(lengths)}  median: {statistics.median(lengths):g} lines  p90: {p90} lines  "
          f"max: {lengths[-1]} lines  over 80: {sum(1 for l in lengths if l > 80)}")
    for lines_, path in sorted(sizes, reverse=True)[:5]:
        print(f"  file {lines_:5} lines  {path}")
    for name, path, line, length, _ in sorted(all_fns, key=lambda f: -f[3])[:5]:
        print(f"  fn   {length:5} lines  {path}:{line} {name}")
    if over is not None:
        unexplained = 0
        for name, path, line, length, reason in sorted(all_fns, key=lambda f: -f[3]):
            if length > over:
                unexplained += not reason
                print(f"over {over}: {length:4} {path}:{line} {name}{'' if reason else '  (no reason given)'}")
        if unexplained:
            sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
