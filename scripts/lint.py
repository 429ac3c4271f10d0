#!/usr/bin/env python3
"""Qoltanba's layering lint (`make lint`; standard library only).

Checks the Swift sources and tests, and Package.swift, and prints one violation a line ("path:line: reason"):

  a. Fluent or SQL outside Sources/QoltanbaPersistence/ (the persistence target, which the rest imports as
     `import QoltanbaPersistence`), in any Swift file of Sources/ (QoltanbaServer, qoltanba, QoltanbaCore,
     QoltanbaPKI, QoltanbaDocuments, QoltanbaBench, QoltanbaFuzz, any other): an import of Fluent, FluentKit,
     FluentSQL, FluentSQLiteDriver, FluentPostgresDriver, SQLKit, PostgresKit or SQLiteKit, or a use of
     .query(on:, .save(on:, .create(on:, .update(on:, .delete(on:, .find(... on:, SQLDatabase, .raw( (called on
     something, `sql.raw(q)`, or given a string, `.raw("SELECT 1")`: not an enum case's `.raw(value)`),
     request.db, req.db, app.db, application.db or .transaction { on anything but `stores` (the rest goes
     through the stores). Tests/ are not checked.
  b. A Swift file longer than 400 lines: under Sources/ (any target), Migrations/ folders aside, and under
     Tests/ (every one, test support included).
  c. A use of one folder of Sources/QoltanbaServer by another that the table ALLOWED (below) does not list.
     Each direct subfolder holding Swift files is a folder (its subfolders belong to it); folder A uses
     folder B when a file in A names a type that B declares at the top level (struct, enum, class, actor,
     protocol, typealias at column 0, private and fileprivate ones aside). The files directly in
     Sources/QoltanbaServer, "(root)", wire everything: they may use every folder, and a folder may use
     them only if its row names "(root)" (up the axis, and out of the cycle checks, as (root) always was).
     One line for each forbidden pair of folders, at the first place (by path and line) where A names B's
     type, with the type.
  d. The table itself: a folder without a row; a row, or a folder in a row, that is no folder (a row for a
     folder yet to come fails until the folder exists: add the row with the folder); a cycle in the table.
  e. A cycle between the folders as the code has them (the table's acyclicity already rules it out for the
     uses it allows; this also names the cycles that uses outside the table make).
  f. README.md (when the tree has one): its section "### Folders of QoltanbaServer" holds, between the lines
     <!-- lint:table --> and <!-- /lint:table -->, exactly what `--table` prints (blank lines at either end aside).
  g. Package.swift (when the tree has one): the target QoltanbaServer (the text of its `.target(name:
     "QoltanbaServer", ...)` up to the matching parenthesis, comments aside) lists none of the products
     Fluent, FluentKit, FluentSQL, FluentSQLiteDriver, FluentPostgresDriver, SQLKit (`.product(name: "X"` or
     `.byName(name: "X"`): only QoltanbaPersistence depends on them.
  h. The public interface of Sources/QoltanbaPersistence speaks plain values: a public declaration there
     names no Fluent/SQL type: `any Database`; `Database` as a type (after `:`, `->`, `some`, `any`, `inout`,
     `[`, `(`, `&`, or in a list of generic arguments or conformances); an identifier SQL<Upper>... (SQLRow,
     SQLDatabase, SQLQueryString); QueryBuilder, FieldKey, DatabaseQuery; Model, or a type name ending in Model
     (SigningSessionModel). Whole words only: DatabaseLocation or DatabaseSettings are fine. A public
     declaration is the code from `public` (or `open`) to its body's `{`, over the next lines while its
     parentheses or brackets are open or the next line goes on with `->`, `throws`, `async` or `where`
     (closures in default values aside), and likewise the members that are public without saying so: the
     cases of a public enum, the requirements of a public protocol, the members of a public extension not
     marked private, fileprivate, internal or package. The body, and an initial value's closures, aside.
     One line for each line naming such types, the types in the order written.

ALLOWED maps each folder to the folders it may use, its rows in the order of one axis: from the edge (the
HTTP controllers and the operator commands) through the flows and services down to the infrastructure.
A folder should use only folders below its own row; an entry pointing up the axis is allowed if listed,
but must keep the table acyclic (d).

Comments are ignored, and so are the contents of string literals (their interpolations are code).

    scripts/lint.py               # exit 0 and "lint: clean (N files)", or the violations and exit 1
    scripts/lint.py --graph       # also the folder dependencies, one edge a line
    scripts/lint.py --table       # only print the table, in Markdown, for README.md (between the markers)
    scripts/lint.py --root DIR    # check DIR (Sources, Tests, Package.swift, README.md) instead of this repository
    scripts/lint.py --allowed F   # the table from F, a JSON object {"folder": ["folder it may use", ...]}
                                  # in axis order, instead of ALLOWED (scripts/test_lint.py's trees)
"""
import argparse
import json
import re
import sys
from collections import defaultdict, deque
from pathlib import Path

MAX_LINES = 400
SOURCES = Path("Sources")
SERVER = Path("Sources/QoltanbaServer")
PERSISTENCE = Path("Sources/QoltanbaPersistence")  # the persistence target (a, h)
PACKAGE = "Package.swift"
SERVER_TARGET = "QoltanbaServer"
ROOT_NODE = "(root)"
README = "README.md"
README_SECTION = "### Folders of QoltanbaServer"
README_START, README_END = "<!-- lint:table -->", "<!-- /lint:table -->"

# Which folder of Sources/QoltanbaServer may use which (c, d above); README.md's "Folders of QoltanbaServer"
# shows it (`scripts/lint.py --table`). The rows follow one axis, from the edge down, and each lists the
# folders below it in that order; "(root)" in a row is a use of the wiring above the axis. The database is no
# folder here but a target of its own, Sources/QoltanbaPersistence (`import QoltanbaPersistence`; a, g, h).
ALLOWED = {
    # The edge: the operator commands and the HTTP controllers.
    # (root), up the axis: QoltanbaServeCommand starts the BackgroundJobs that BackgroundJobs.swift lists.
    "Commands": {"(root)", "Operations", "Copies", "Webhooks", "Sandbox", "Sealing"},
    "API": {"Check", "Copies", "PKI", "Access", "Background", "Configuration", "Metrics", "Web"},
    "Cabinet": {"SigningClient", "Webhooks", "Sealing", "Web"},
    "Check": {"Copies", "PKI", "Configuration", "Web"},
    "Docs": {"Web"},
    "Operations": {"Configuration", "Metrics", "Web"},
    # Flows and services.
    "SigningClient": {"Copies", "PKI", "Providers", "Sealing", "Configuration", "Metrics", "Web"},
    "Copies": {"Background", "Configuration", "Web"},
    "Webhooks": {"Sealing", "Metrics", "Web"},
    "PKI": {"Sealing", "Background", "Configuration"},
    "Access": {"Web"},
    "Providers": {"Sandbox", "Configuration"},
    "Sandbox": {"Web"},
    "Sealing": {"Configuration"},
    # Infrastructure.
    "Background": {"Metrics"},
    "Configuration": {"Web"},
    "Metrics": set(),
    "Web": set(),
}

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
    # SQLKit's raw SQL: `.raw(` called on something (`sql.raw(q)`) or given a string (`.raw("SELECT 1")`, a
    # chain's next line); not an enum case's `.raw(value)`, as QoltanbaPKI's DER trees write it.
    (re.compile(r"(?<=[\w)\]?!])\.raw\s*\(|\.raw\s*\(\s*#*\""), ".raw("),
    (re.compile(r"\b(?:request|req|app|application)\.db\b"), None),  # named as written
    # A database's transaction; `stores.transaction { stores in … }` is the persistence layer's own.
    (re.compile(r"(?<!stores)\.transaction\s*\{"), ".transaction { on a database"),
]

# g. The products only the persistence target may depend on, and how Package.swift names a dependency on one.
SERVER_FORBIDDEN_PRODUCTS = ("Fluent", "FluentKit", "FluentSQL", "FluentSQLiteDriver", "FluentPostgresDriver",
                             "SQLKit")
TARGET_CALL = re.compile(r"\.target\s*\(")
TARGET_NAME = re.compile(r'\(\s*name\s*:\s*"')
PRODUCT_CALL = re.compile(r'\.(?:product|byName)\s*\(\s*name\s*:\s*"')

# h. The start of a public declaration: `public` (not `.public`, a case), or `open` as a modifier.
PUBLIC = re.compile(r"(?<![.\w])(?:public\b|open(?=\s+(?:class|func|var|let|subscript|override|static|final|init"
                    r"|typealias|extension)\b))")
# A member of a public enum, protocol or extension that is public without saying so (after attributes).
MEMBER_PREFIX = r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*"
IMPLICIT_MEMBERS = {
    "enum": re.compile(MEMBER_PREFIX + r"(?:indirect\s+)?case\b"),
    "protocol": re.compile(MEMBER_PREFIX + r"(?:(?:static|mutating|nonmutating|nonisolated|class)\s+)*"
                                           r"(?:func|var|init|subscript|associatedtype|typealias)\b"),
    "extension": re.compile(MEMBER_PREFIX + r"(?:(?:static|class|final|override|mutating|nonmutating|nonisolated"
                                            r"|convenience|required|lazy|dynamic|indirect)\s+)*"
                                            r"(?:func|var|let|init|subscript|struct|enum|class|actor|protocol"
                                            r"|typealias)\b"),
}
NOT_PUBLIC = re.compile(r"(?<![.\w])(?:private|fileprivate|internal|package)\b")
# A declaration goes on to the next line that starts with one of these (after its own line's parentheses close).
CONTINUES = re.compile(r"^\s*(?:->|throws\b|rethrows\b|async\b|where\b)")
# The Fluent/SQL types a public declaration may not name: (pattern, the name reported; None: as written).
FLUENT_TYPES = [
    (re.compile(r"\bany\s+Database\b"), "any Database"),
    # `Database` as a type: after `:`, `->`, `&`, `[`, `(`, `<` or `,` (generic arguments, conformances),
    # `some`, `any` (reported above) or `inout`.
    (re.compile(r"(?:[:&\[(<,]|->|(?<![\w.])(?:some|inout))\s*(?<![\w.])Database\b"), "Database"),
    (re.compile(r"(?<![\w.])SQL[A-Z]\w*"), None),
    (re.compile(r"(?<![\w.])(?:QueryBuilder|FieldKey|DatabaseQuery)\b"), None),
    (re.compile(r"(?<![\w.])(?:Model|[A-Z]\w*Model)\b"), None),
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


def in_persistence(file, root):
    """Whether the file belongs to the persistence target, Sources/QoltanbaPersistence/."""
    return (root / PERSISTENCE) in file.path.parents


def check_persistence(files, root):
    """a. Fluent and SQL stay in Sources/QoltanbaPersistence/: every other file of Sources/ is checked."""
    outside = f"outside {PERSISTENCE.as_posix()}/"
    violations = []
    for file in files:
        if (root / SOURCES) not in file.path.parents or in_persistence(file, root):
            continue
        for number, line in enumerate(file.code, 1):
            if not line.strip():
                continue
            imported = IMPORT.match(line)
            if imported and imported.group("module") in SQL_MODULES:
                violations.append((file.relative, number, f"import {imported.group('module')} {outside}"))
                continue
            found = []
            for pattern, name in PERSISTENCE_USES:
                match = pattern.search(line)
                if match:
                    found.append(name or match.group(0))
            if found:
                violations.append((file.relative, number, f"{', '.join(found)} {outside}"))
    return violations


def check_length(files):
    """b. No Swift file over MAX_LINES lines; Migrations/ folders under Sources/ aside (not under Tests/)."""
    def exempt(file):
        parts = Path(file.relative).parts
        return parts[0] == "Sources" and "Migrations" in parts[:-1]

    return [(file.relative, MAX_LINES + 1, f"{file.line_count} lines, more than {MAX_LINES}")
            for file in files if file.line_count > MAX_LINES and not exempt(file)]


def matching_parenthesis(code, start):
    """The index of the `)` closing the `(` at code[start] (code: strip_swift's), or len(code)."""
    depth = 0
    for index in range(start, len(code)):
        if code[index] == "(":
            depth += 1
        elif code[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(code)


def string_after(code, text, quote):
    """The contents of the string literal whose opening `"` is at `quote` (code: strip_swift's of text)."""
    end = code.find('"', quote + 1)
    return text[quote + 1:end if end >= 0 else len(text)]


def check_package(root):
    """g. The target QoltanbaServer depends on none of SERVER_FORBIDDEN_PRODUCTS: [(path, line, reason)]."""
    path = root / PACKAGE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    code = strip_swift(text)  # the same offsets, comments and string contents blanked
    violations = []
    for call in TARGET_CALL.finditer(code):
        opening = call.end() - 1
        name = TARGET_NAME.match(code, opening)
        if not name or string_after(code, text, name.end() - 1) != SERVER_TARGET:
            continue
        closing = matching_parenthesis(code, opening)
        for product in PRODUCT_CALL.finditer(code, opening, closing):
            dependency = string_after(code, text, product.end() - 1)
            if dependency in SERVER_FORBIDDEN_PRODUCTS:
                violations.append((PACKAGE, text.count("\n", 0, product.start()) + 1,
                                   f"{SERVER_TARGET} depends on {dependency}: only {PERSISTENCE.name} may"))
    return violations


def scope_kinds(lines):
    """For each line, the kind of the innermost brace open at its start: "enum", "protocol" or "extension"
    when that brace opens the body of a public one (whose members are public without saying so), else None."""
    kinds, stack = [], []
    for line in lines:
        kinds.append(stack[-1] if stack else None)
        for index, c in enumerate(line):
            if c == "{":
                head = line[:index]
                kind = None
                if PUBLIC.search(head):
                    kind = next((k for k in ("enum", "protocol", "extension") if re.search(rf"\b{k}\b", head)), None)
                stack.append(kind)
            elif c == "}" and stack:
                stack.pop()
    return kinds


def declaration_starts(lines):
    """{line index: column} where a public declaration starts (explicitly or as a public type's member)."""
    starts = {}
    for index, (line, kind) in enumerate(zip(lines, scope_kinds(lines))):
        explicit = PUBLIC.search(line)
        if explicit:
            starts[index] = explicit.start()
        elif kind and IMPLICIT_MEMBERS[kind].match(line) and not (kind == "extension" and NOT_PUBLIC.search(line)):
            starts[index] = len(line) - len(line.lstrip())
    return starts


def public_declarations(lines):
    """[(line index, text)]: the code of each public declaration, line by line, without its body (h)."""
    parts = []
    starts = declaration_starts(lines)
    index = 0
    while index < len(lines):
        if index not in starts:
            index += 1
            continue
        column, depth, braces = starts[index], 0, 0
        while True:
            kept = []
            line = lines[index]
            ended = False
            for c in line[column:]:
                if c == "{" and depth == 0 and braces == 0:
                    ended = True  # the body
                    break
                if c == "{":
                    braces += 1  # a closure (a default value): left out
                elif c == "}" and braces:
                    braces -= 1
                elif not braces:
                    if c in "([":
                        depth += 1
                    elif c in ")]" and depth:
                        depth -= 1
                    kept.append(c)
                    continue
                kept.append(" ")
            parts.append((index, "".join(kept)))
            index += 1
            column = 0
            if ended or index >= len(lines):
                break
            if depth or braces:
                continue  # its parentheses, brackets or a closure go on
            following = next((n for n in range(index, len(lines)) if lines[n].strip()), None)
            if following is not None and CONTINUES.match(lines[following]):
                index = following
                continue
            break
    return parts


def check_interface(files, root):
    """h. Public declarations of Sources/QoltanbaPersistence name no Fluent/SQL type: [(path, line, reason)]."""
    violations = []
    for file in files:
        if not in_persistence(file, root):
            continue
        named = defaultdict(list)  # line index -> names, in the order written
        for index, text in public_declarations(file.code):
            found = sorted(((match.start(), name or match.group(0)) for pattern, name in FLUENT_TYPES
                            for match in pattern.finditer(text)))
            for _, name in found:
                if name not in named[index] and not (name == "Database" and "any Database" in named[index]):
                    named[index].append(name)
        for index, names in sorted(named.items()):
            if names:
                kind = "a Fluent/SQL type" if len(names) == 1 else "Fluent/SQL types"
                violations.append((file.relative, index + 1,
                                   f"public declaration names {', '.join(names)} ({kind}); the persistence"
                                   f" target's public interface takes and returns plain values"))
    return violations


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


class Table:
    """The table of allowed uses: ALLOWED, or a JSON file (--allowed), with where its rows are written."""

    def __init__(self, rows, source, root):
        self.rows = rows  # {folder: set of folders}, in axis order
        self.axis = {name: index for index, name in enumerate(rows)}
        try:
            self.source = source.relative_to(root).as_posix()
        except ValueError:
            self.source = source.as_posix()
        text = source.read_text(encoding="utf-8").splitlines()
        start = next((n for n, line in enumerate(text, 1) if re.match(r"ALLOWED\s*=", line)), 1)
        self.start = start  # the line of ALLOWED (of the JSON file: 1)
        self.row_lines = {}
        for name in rows:
            row = re.compile(r'^\s*"' + re.escape(name) + r'"\s*:')
            self.row_lines[name] = next((n for n, line in enumerate(text, 1) if n >= start and row.match(line)), start)

    @classmethod
    def load(cls, allowed, root):
        if allowed is None:
            return cls({name: set(uses) for name, uses in ALLOWED.items()}, Path(__file__).resolve(), root)
        data = json.loads(allowed.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(
                isinstance(uses, list) and all(isinstance(name, str) for name in uses) for uses in data.values()):
            raise ValueError(f"{allowed}: not a JSON object of lists of folder names")
        return cls({name: set(uses) for name, uses in data.items()}, allowed.resolve(), root)

    def ordered(self, names):
        """The names in axis order: (root) first, names without a row last (by name)."""
        return sorted(names, key=lambda name: (-1 if name == ROOT_NODE else self.axis.get(name, len(self.axis)), name))

    def allows(self, a, b):
        return a == ROOT_NODE or b in self.rows.get(a, ())

    def may_use(self, folder):
        if folder not in self.rows:
            return f"{folder} has no row in the table"
        uses = self.ordered(self.rows[folder])
        return f"{folder} may use {', '.join(uses) if uses else 'no other folder'}"

    def markdown(self):
        """`--table`: the table as README.md shows it, one row a folder in axis order."""
        lines = ["| folder | may use |", "|---|---|",
                 f"| {ROOT_NODE}, the files directly in `{SERVER.as_posix()}/` | every folder |"]
        for folder, uses in self.rows.items():
            lines.append(f"| `{folder}/` | {', '.join(self.ordered(uses)) or 'no other folder'} |")
        return lines


def check_uses(edges, table):
    """c. Every use of a folder by another is in the table: (path, line, reason) for each one that is not."""
    return [(file.relative, number,
             f"{a} may not use {b} (uses {name}); {table.may_use(a)}: see the table in {table.source}"
             f" and README's Architecture")
            for (a, b), (file, number, name) in sorted(edges.items()) if not table.allows(a, b)]


def check_table(table, folders):
    """d. A row for each folder, only folders in the table, and no cycle in it: (path, line, reason, details)."""
    problems = []
    for folder in sorted(folders - table.rows.keys()):
        problems.append((table.source, table.start,
                         f"the folder {folder} ({SERVER.as_posix()}/{folder}/) has no row in the table: add the"
                         f" folders it may use, then `python3 scripts/lint.py --table` for README.md", []))
    for row, uses in table.rows.items():
        if row not in folders:
            problems.append((table.source, table.row_lines[row],
                             f"the table has a row for {row}, which is no folder of {SERVER.as_posix()}"
                             f" (none with Swift files)", []))
        for name in table.ordered(uses - folders - {ROOT_NODE}):
            problems.append((table.source, table.row_lines[row],
                             f"the table lets {row} use {name}, which is no folder of {SERVER.as_posix()}", []))
    table_edges = {(a, b): None for a, uses in table.rows.items() for b in uses}  # folder_cycles leaves (root) out
    for component, cycle in folder_cycles(table_edges):
        details = [f"    {a} -> {b}: the row of {a}, {table.source}:{table.row_lines[a]}"
                   for a, b in zip(cycle, cycle[1:])]
        problems.append((table.source, table.row_lines[cycle[0]],
                         f"the table allows a cycle {' -> '.join(cycle)} (component: {', '.join(component)})",
                         details))
    return problems


def check_readme(root, table):
    """f. README.md's folder table is `--table`'s output: [(path, line, reason)]."""
    path = root / README
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    fix = f"run `python3 scripts/lint.py --table` and put its output between {README_START} and {README_END}"

    def at(text):
        return [number for number, line in enumerate(lines, 1) if line.strip() == text]

    sections, starts, ends = at(README_SECTION), at(README_START), at(README_END)
    if len(sections) != 1:
        return [(README, sections[1] if sections else 1,
                 f"{'more than one' if sections else 'no'} section \"{README_SECTION}\" for the folder table")]
    if len(starts) != 1 or len(ends) != 1:
        return [(README, sections[0], f"the section \"{README_SECTION}\" needs one line {README_START} and one"
                                      f" line {README_END} around the folder table; {fix}")]
    section, start, end = sections[0], starts[0], ends[0]
    headings = [n for n in range(section + 1, end) if lines[n - 1].startswith("#")]
    if not section < start < end or headings:
        return [(README, start, f"{README_START} and {README_END} must follow the heading \"{README_SECTION}\""
                                f" in its section, in that order; {fix}")]
    first = start + 1  # the first line between the markers
    body = lines[start:end - 1]
    while body and not body[0].strip():
        body.pop(0)
        first += 1
    while body and not body[-1].strip():
        body.pop()
    expected = table.markdown()
    if body == expected:
        return []
    differs = next((index for index, (got, want) in enumerate(zip(body, expected)) if got != want),
                   min(len(body), len(expected)))
    return [(README, min(first + differs, end),
             f"the folder table is not the table in {table.source} (stale); {fix}")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the repository to check (default: this one)")
    parser.add_argument("--graph", action="store_true", help="also print the folder dependencies")
    parser.add_argument("--table", action="store_true",
                        help="only print the table of allowed uses in Markdown, for README.md")
    parser.add_argument("--allowed", type=Path, help="a JSON table to use instead of ALLOWED")
    options = parser.parse_args()
    root = options.root.resolve()
    try:
        table = Table.load(options.allowed, root)
    except (OSError, ValueError) as error:
        print(f"lint: {error}", file=sys.stderr)
        return 2
    if options.table:
        print("\n".join(table.markdown()))
        return 0
    if not (root / SERVER).is_dir():
        print(f"lint: {root / SERVER} is not a folder", file=sys.stderr)
        return 2

    paths = sorted((root / "Sources").rglob("*.swift")) + sorted((root / "Tests").rglob("*.swift"))
    files = [SwiftFile(root, path) for path in paths if path.is_file()]
    server_files = [f for f in files if (root / SERVER) in f.path.parents]
    folders = {folder_of(f, root) for f in server_files} - {ROOT_NODE}

    violations = check_persistence(files, root) + check_length(files)
    package = check_package(root)
    interface = check_interface(files, root)
    edges = folder_graph(server_files, root)
    uses = check_uses(edges, table)
    problems = check_table(table, folders)
    cycles = folder_cycles(edges)
    readme = check_readme(root, table)

    lines = [f"{path}:{number}: {reason}"
             for path, number, reason in sorted(violations + uses + package + interface)]
    for path, number, reason, details in problems:
        lines.append(f"{path}:{number}: {reason}")
        lines.extend(details)
    for component, cycle in cycles:
        first = edges[(cycle[0], cycle[1])]
        lines.append(f"{first[0].relative}:{first[1]}: folder cycle {' -> '.join(cycle)}"
                     f" (component: {', '.join(component)})")
        for a, b in zip(cycle, cycle[1:]):
            lines.append(f"    {a} -> {b}: {describe(edges[(a, b)], root)}")
    lines.extend(f"{path}:{number}: {reason}" for path, number, reason in readme)

    if options.graph:
        print(f"folder dependencies in {SERVER.as_posix()} ({ROOT_NODE} may use every folder):")
        for (a, b), edge in sorted(edges.items()):
            print(f"  {a} -> {b}: {describe(edge, root)}{'' if table.allows(a, b) else ' (not in the table)'}")
        print()

    counts = {
        "Fluent/SQL outside QoltanbaPersistence": sum(1 for v in violations
                                                      if v[2].endswith(f"outside {PERSISTENCE.as_posix()}/")),
        f"files over {MAX_LINES} lines": sum(1 for v in violations if v[2].endswith(f"more than {MAX_LINES}")),
        "uses outside the table": len(uses),
        "table": len(problems),
        "folder cycles": len(cycles),
        "README table": len(readme),
        "Fluent/SQL products of QoltanbaServer": len(package),
        "Fluent/SQL types in QoltanbaPersistence's public interface": len(interface),
    }
    total = sum(counts.values())
    if not total:
        print(f"lint: clean ({len(files)} files)")
        return 0
    for line in lines:
        print(line)
    touched = len({v[0] for v in violations + uses + package + interface})
    print(f"lint: {total} violations"
          f" ({'; '.join(f'{name}: {count}' for name, count in counts.items())}),"
          f" {touched} files, {len(files)} files checked")
    return 1


if __name__ == "__main__":
    sys.exit(main())
