#!/usr/bin/env python3
"""check_layers.py LIBRARY SOURCE_ROOT - fails on any circle between the library's folders or
between the files of one folder.

The library's folders are layers, each using only those below it: include/ (the public
header), base/ (status, allocation, arrays), formats/ (model and dataset files), host/
(runtime, layers, models). Two relations are checked:
  includes  a file's #include "x.h" uses the folder that holds x.h;
  calls     an object file of LIBRARY (the static library) that calls a function another one
            defines uses that file (nm: undefined symbols against defined text symbols).
Neither may close a circle: between folders, nor between the files of one folder. A table
of function pointers (the layer registry, which a wrapper such as Bidirectional creates its
inner layer through) is data, not a call, and does not count.
Exit 0 when there is no circle, 1 with each circle and its edges otherwise.
"""
import os
import re
import subprocess
import sys

FOLDERS = ["include", "base", "formats", "host"]


def circles(graph):
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def report(kind, graph, why):
    bad = circles(graph)
    for comp in bad:
        print(f"{kind} circle: {' '.join(comp)}")
        for a in comp:
            for b in sorted(graph.get(a, ())):
                if b in comp:
                    print(f"  {a} -> {b}: {', '.join(sorted(why[(a, b)])[:4])}")
    return len(bad)


def add(graph, why, a, b, reason):
    if a == b:
        return
    graph.setdefault(a, set()).add(b)
    graph.setdefault(b, set())
    why.setdefault((a, b), set()).add(reason)


def includes(root):
    """Folder graph of #include "x.h" between the library's folders, and file graph of the
    includes within each folder."""
    home = {}
    for folder in FOLDERS:
        for name in os.listdir(os.path.join(root, folder)):
            if name.endswith(".h"):
                home[name] = folder
    graph, why, files, file_why = {}, {}, {}, {}
    for folder in FOLDERS:
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(root, folder, name), encoding="utf-8") as f:
                for header in re.findall(r'^\s*#\s*include\s+"([^"]+)"', f.read(), re.M):
                    if header in home:
                        add(graph, why, folder, home[header], f"{folder}/{name} includes {header}")
                        if home[header] == folder:
                            add(files, file_why, f"{folder}/{name}", f"{folder}/{header}",
                                "includes")
    return graph, why, files, file_why


def calls(library, root):
    """File and folder graphs of the calls between the library's object files."""
    where = {}
    for folder in FOLDERS:
        for name in os.listdir(os.path.join(root, folder)):
            if name.endswith(".c"):
                if name in where:
                    sys.exit(f"check_layers.py: {name} is in both {where[name]}/ and {folder}/")
                where[name] = folder
    where["cl_sources.c"] = "host"  # the kernels' text, generated into the host target
    out = subprocess.run(["nm", "-A", library], capture_output=True, text=True, check=True).stdout
    defined, used = {}, {}
    for line in out.splitlines():
        m = re.match(r"^[^:]+:([^:]+\.c)\.o:\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        member, kind, symbol = m.groups()
        if member not in where:
            sys.exit(f"check_layers.py: {member} of {library} is in none of {FOLDERS}")
        unit = f"{where[member]}/{member}"
        used.setdefault(unit, set())
        if kind == "T":
            defined[symbol] = unit
        elif kind == "U":
            used[unit].add(symbol)
    files, file_why, folders, folder_why = {}, {}, {}, {}
    for unit, symbols in used.items():
        files.setdefault(unit, set())
        for symbol in symbols:
            target = defined.get(symbol)
            if target and target != unit:
                add(files, file_why, unit, target, symbol)
                add(folders, folder_why, unit.split("/")[0], target.split("/")[0],
                    f"{unit} calls {symbol}")
    return files, file_why, folders, folder_why


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    library, root = sys.argv[1], sys.argv[2]
    folders, folder_why, headers, header_why = includes(root)
    bad = report("include (folders)", folders, folder_why)
    bad += report("include (files)", headers, header_why)
    files, file_why, folders, folder_why = calls(library, root)
    bad += report("call (folders)", folders, folder_why)
    bad += report("call (files)", files, file_why)
    if bad:
        print(f"{bad} circle(s): move what both sides need below them (tests/check_layers.py)")
        return 1
    print(f"no circles: {len(files)} object files, folders {' < '.join(FOLDERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
