#!/usr/bin/env python3
"""Qoltanba's layering lint (`make lint`; standard library only).

Checks the Swift sources and prints one violation a line ("path:line: reason"):

  a. Fluent or SQL outside Sources/QoltanbaServer/Persistence/: an import of Fluent, FluentKit, FluentSQL,
     FluentSQLiteDriver, FluentPostgresDriver, SQLKit, PostgresKit or SQLiteKit, or a use of .query(on:,
     .save(on:, .create(on:, .update(on:, .delete(on:, .find(... on:, SQLDatabase, .raw(, request.db, req.db,
     app.db, application.db or .transaction { on anything but `stores` (the rest of the server goes through the persistence layer).
  b. A Swift file under Sources/ (any target) longer than 400 lines, Migrations/ folders aside.
  c. A cycle between the folders of Sources/QoltanbaServer. Each direct subfolder is a node (its subfolders
     belong to it); folder A depends on folder B when a file in A names a type that B declares at the top
     level (struct, enum, class, actor, protocol, typealias at column 0, private and fileprivate ones aside).
     The files directly in Sources/QoltanbaServer, "(root)", wire everything and take no part in cycles.

Comments are ignored, and so are the contents of string literals (their interpolations are code).

    scripts/lint.py               # exit 0 and "lint: clean (N files)", or the violations and exit 1
    scripts/lint.py --graph       # also the folder dependencies, one edge a line
    scripts/lint.py --root DIR    # check DIR/Sources instead of this repository's
"""
import argparse
import re
import sys
from collections import defaultdict, deque
from pathlib import Path

MAX_LINES = 400
SERVER = Path("Sources/QoltanbaServer")
PERSISTENCE = "Persistence"
ROOT_NODE = "(root)"

SQL_MODULES = ("Fluent", "FluentKit", "FluentSQL", "FluentSQLiteDriver", "FluentPostgresDriver",
               "SQLKit", "PostgresKit", "SQLiteKit")

# `import Fluent`, `@preconcurrency import SQLKit`, `public import FluentKit`, `import struct FluentKit.Foo`.
IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+"
    r"(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?(?P<module>\w+)\b")

PERSISTENCE_USES = [
    (re.compile(r"\.query\s*\(\s*on\s*:"), ".query(on:"),
    (re.compile(r"\.save\s*\(\s*on\s*:"), ".save(on:"),
    (re.compile(r"\.create\s*\(\s*on\s*:"), ".create(on:"),
    (re.compile(r"\.update\s*\(\s*on\s*:"), ".update(on:"),
    (re.compile(r"\.delete\s*\(\s*on\s*:"), ".delete(on:"),
    (re.compile(r"\.find\s*\(.*\bon\s*:"), ".find(... on:"),
    (re.compile(r"\bSQLDatabase\b"), "SQLDatabase"),
    (re.compile(r"\.raw\s*\("), ".raw("),
    (re.compile(r"\b(?:request|req|app|application)\.db\b"), None),  # named as written
    # A database's transaction; `stores.transaction { stores in … }` is the persistence layer's own.
    (re.compile(r"(?<!stores)\.transaction\s*\{"), ".transaction { on a database"),
]

# A top-level declaration: at column 0, after attributes and modifiers.
DECLARATION = re.compile(
    r"^(?P<prefix>(?:@\w+(?:\([^)]*\))?\s+|(?:public|open|package|internal|private|fileprivate|final|indirect"
    r"|nonisolated|distributed)\s+)*)(?:struct|enum|class|actor|protocol|typealias)\s+`?(?P<name>[A-Za-z_]\w*)")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip_swift(text):
    """The text with comments and string contents blanked (same lines and columns); interpolations kept."""
    out = []
    stack = []  # ("code", paren depth) inside an interpolation, ("string", hashes, multiline), ("block", depth)
    i, n = 0, len(text)

    def blank(chunk):
        out.append("".join("\n" if c == "\n" else " " for c in chunk))

    while i < n:
        top = stack[-1] if stack else ("code", None)
        c = text[i]
        if top[0] == "block":
            if text.startswith("/*", i):
                stack[-1] = ("block", top[1] + 1)
                blank("/*")
                i += 2
            elif text.startswith("*/", i):
                stack.pop() if top[1] == 1 else stack.__setitem__(-1, ("block", top[1] - 1))
                blank("*/")
                i += 2
            else:
                blank(c)
                i += 1
            continue
        if top[0] == "string":
            hashes, multiline = top[1], top[2]
            if c == "\\" and text.startswith("#" * hashes, i + 1):
                j = i + 1 + hashes
                if j < n and text[j] == "(":
                    stack.append(("code", 0))
                    blank(text[i:j + 1])
                    i = j + 1
                else:
                    blank(text[i:j + 1])
                    i = j + 1
                continue
            closing = ('"""' if multiline else '"') + "#" * hashes
            if text.startswith(closing, i):
                stack.pop()
                out.append(closing)
                i += len(closing)
            elif c == "\n" and not multiline:
                stack.pop()  # an unterminated string: end it with its line
                out.append(c)
                i += 1
            else:
                blank(c)
                i += 1
            continue
        # Code, at the top level or inside an interpolation.
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(text[i:end])
            i = end
        elif text.startswith("/*", i):
            stack.append(("block", 1))
            blank("/*")
            i += 2
        elif c in "#\"":
            j = i
            while j < n and text[j] == "#":
                j += 1
            if j < n and text[j] == '"':
                hashes = j - i
                multiline = text.startswith('"""', j)
                opening = text[i:j] + ('"""' if multiline else '"')
                stack.append(("string", hashes, multiline))
                out.append(opening)
                i += len(opening)
            else:
                out.append(text[i:j])  # `#if`, `#available`: hashes and no string
                i = j
        elif top[1] is not None and c == "(":
            stack[-1] = ("code", top[1] + 1)
            out.append(c)
            i += 1
        elif top[1] is not None and c == ")":
            if top[1] == 0:
                stack.pop()  # the interpolation ends
                out.append(" ")
            else:
                stack[-1] = ("code", top[1] - 1)
                out.append(c)
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class SwiftFile:
    def __init__(self, root, path):
        self.path = path
        self.relative = path.relative_to(root).as_posix()
        self.text = path.read_text(encoding="utf-8", errors="replace")
        self.line_count = len(self.text.splitlines())
        self.code = strip_swift(self.text).split("\n")


def check_persistence(files, root):
    """a. Fluent and SQL stay in Sources/QoltanbaServer/Persistence/."""
    violations = []
    for file in files:
        parts = file.path.relative_to(root / SERVER).parts
        if len(parts) > 1 and parts[0] == PERSISTENCE:
            continue
        for number, line in enumerate(file.code, 1):
            if not line.strip():
                continue
            imported = IMPORT.match(line)
            if imported and imported.group("module") in SQL_MODULES:
                violations.append((file.relative, number, f"import {imported.group('module')} outside Persistence/"))
                continue
            found = []
            for pattern, name in PERSISTENCE_USES:
                match = pattern.search(line)
                if match:
                    found.append(name or match.group(0))
            if found:
                violations.append((file.relative, number, f"{', '.join(found)} outside Persistence/"))
    return violations


def check_length(files):
    """b. No Swift file over MAX_LINES lines, migrations aside."""
    return [(file.relative, MAX_LINES + 1, f"{file.line_count} lines, more than {MAX_LINES}")
            for file in files
            if file.line_count > MAX_LINES and "Migrations" not in Path(file.relative).parts[:-1]]


def folder_of(file, root):
    parts = file.path.relative_to(root / SERVER).parts
    return parts[0] if len(parts) > 1 else ROOT_NODE


def folder_graph(files, root):
    """{(A, B): (file, line, type name)}: the first place (by path and line) where folder A names B's type."""
    declared = defaultdict(set)  # type name -> folders
    for file in files:
        for line in file.code:
            match = DECLARATION.match(line)
            if match and not re.search(r"\b(?:private|fileprivate)\b", match.group("prefix")):
                declared[match.group("name")].add(folder_of(file, root))
    edges = {}
    for file in sorted(files, key=lambda f: f.relative):
        folder = folder_of(file, root)
        for number, line in enumerate(file.code, 1):
            for word in IDENTIFIER.findall(line):
                owners = declared.get(word)
                if not owners or folder in owners:
                    continue
                for owner in sorted(owners):
                    edges.setdefault((folder, owner), (file, number, word))
    return edges


def strongly_connected(nodes, successors):
    """Tarjan's algorithm (iterative): the components, each a sorted list."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(successors[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(successors[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def shortest_path(successors, start, goal, allowed):
    """The shortest path start .. goal within `allowed` (breadth first, neighbours in name order)."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for child in sorted(successors[node]):
            if child in allowed and child not in previous:
                previous[child] = node
                queue.append(child)
    return None


def folder_cycles(edges):
    """Each cycle between folders ((root) aside): for every edge inside a strongly connected component, the
    shortest cycle through it, each cycle once. A list of (component, cycle as a node list)."""
    successors = defaultdict(set)
    nodes = set()
    for a, b in edges:
        if ROOT_NODE in (a, b):
            continue
        successors[a].add(b)
        nodes.update((a, b))
    cycles = []
    for component in strongly_connected(nodes, successors):
        if len(component) < 2:
            continue
        members = set(component)
        seen = set()
        for a in component:
            for b in sorted(successors[a] & members):
                back = shortest_path(successors, b, a, members)
                cycle = [a] + back  # a -> b -> ... -> a
                ring = cycle[:-1]
                turn = ring.index(min(ring))
                key = tuple(ring[turn:] + ring[:turn])
                if key not in seen:
                    seen.add(key)
                    cycles.append((component, list(key) + [key[0]]))
    cycles.sort(key=lambda item: (item[0], len(item[1]), item[1]))
    return cycles


def describe(edge, root):
    file, number, name = edge
    return f"{file.path.relative_to(root / SERVER).as_posix()}:{number} uses {name}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the repository to check (default: this one)")
    parser.add_argument("--graph", action="store_true", help="also print the folder dependencies")
    options = parser.parse_args()
    root = options.root.resolve()
    sources = root / "Sources"
    if not (root / SERVER).is_dir():
        print(f"lint: {root / SERVER} is not a folder", file=sys.stderr)
        return 2

    files = [SwiftFile(root, path) for path in sorted(sources.rglob("*.swift")) if path.is_file()]
    server_files = [f for f in files if (root / SERVER) in f.path.parents]

    violations = check_persistence(server_files, root) + check_length(files)
    edges = folder_graph(server_files, root)
    cycles = folder_cycles(edges)

    lines = [f"{path}:{number}: {reason}" for path, number, reason in sorted(violations)]
    for component, cycle in cycles:
        first = edges[(cycle[0], cycle[1])]
        lines.append(f"{first[0].relative}:{first[1]}: folder cycle {' -> '.join(cycle)}"
                     f" (component: {', '.join(component)})")
        for a, b in zip(cycle, cycle[1:]):
            lines.append(f"    {a} -> {b}: {describe(edges[(a, b)], root)}")

    if options.graph:
        print(f"folder dependencies in {SERVER.as_posix()} ({ROOT_NODE} takes no part in cycles):")
        for (a, b), edge in sorted(edges.items()):
            print(f"  {a} -> {b}: {describe(edge, root)}")
        print()

    if not violations and not cycles:
        print(f"lint: clean ({len(files)} files)")
        return 0
    for line in lines:
        print(line)
    counts = {
        "Fluent/SQL outside Persistence": sum(1 for v in violations if v[2].endswith("outside Persistence/")),
        f"files over {MAX_LINES} lines": sum(1 for v in violations if v[2].endswith(f"more than {MAX_LINES}")),
        "folder cycles": len(cycles),
    }
    touched = len({v[0] for v in violations})
    print(f"lint: {len(violations) + len(cycles)} violations"
          f" ({'; '.join(f'{name}: {count}' for name, count in counts.items())}),"
          f" {touched} files, {len(files)} files checked")
    return 1


if __name__ == "__main__":
    sys.exit(main())
