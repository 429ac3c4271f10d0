#!/usr/bin/env python3
"""Self-test of scripts/lint.py (`make lint` runs it first; standard library only, no pytest).

Each test writes a small synthetic repository into a temporary folder, runs `lint.py --root` on it and checks
the exit code and the exact lines it prints. The table of allowed uses is the test's own (`--allowed`, a JSON
file allowed.json in the tree), by default an empty row for each folder of the tree's server. A tree has a
Package.swift (checked by g) only when the test writes one.

    python3 scripts/test_lint.py        # or -v for one line a test, -q for the summary only
"""
import importlib.util
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

LINT = Path(__file__).with_name("lint.py")
SERVER = "Sources/QoltanbaServer/"
PERSISTENCE = "Sources/QoltanbaPersistence/"
OUTSIDE = "outside Sources/QoltanbaPersistence/"
TABLE = "allowed.json"


def swift(*lines):
    """A Swift file of these lines (line N of the file is lines[N - 1])."""
    return "".join(line + "\n" for line in lines)


def numbered(count):
    """A Swift file of `count` lines."""
    return swift(*(f"let v{i} = {i}" for i in range(count)))


def summary(persistence=0, long_files=0, uses=0, table=0, cycles=0, readme=0, package=0, interface=0, touched=0,
            checked=1):
    total = persistence + long_files + uses + table + cycles + readme + package + interface
    return (f"lint: {total} violations"
            f" (Fluent/SQL outside QoltanbaPersistence: {persistence}; files over 400 lines: {long_files};"
            f" uses outside the table: {uses}; table: {table}; folder cycles: {cycles}; README table: {readme};"
            f" Fluent/SQL products of QoltanbaServer: {package};"
            f" Fluent/SQL types in QoltanbaPersistence's public interface: {interface}),"
            f" {touched} files, {checked} files checked")


def table_json(allowed):
    """allowed.json's text: one row a line, so row N of `allowed` is on line N + 1."""
    rows = [f"  {json.dumps(name)}: {json.dumps(list(uses))}" for name, uses in allowed.items()]
    return "{\n" + ",\n".join(rows) + "\n}\n"


def readme(*table_lines, before="", after=""):
    """A README.md with the section and the markers around `table_lines`."""
    return "\n".join(["# Project", "", "## Architecture", "", "### Folders of QoltanbaServer", "", before,
                      "<!-- lint:table -->", *table_lines, "<!-- /lint:table -->", "", after, ""])


def package(*server_dependencies):
    """A Package.swift whose target QoltanbaServer lists `server_dependencies`, one a line (its first on line 18),
    and whose QoltanbaPersistence, tests and a lookalike target depend on Fluent and SQLKit."""
    return "\n".join([
        "// swift-tools-version:6.0",
        "import PackageDescription",
        "",
        "let package = Package(",
        '    name: "qoltanba",',
        "    targets: [",
        "        .target(",
        '            name: "QoltanbaPersistence",',
        "            dependencies: [",
        '                .product(name: "Fluent", package: "fluent"),',
        '                .product(name: "SQLKit", package: "sql-kit"),',
        "            ]",
        "        ),",
        "        // The server: (no Fluent)",
        "        .target(",
        '            name: "QoltanbaServer",',
        "            dependencies: [",
        *(f"                {dependency}," for dependency in server_dependencies),
        "            ],",
        '            resources: [.copy("Resources")]',
        "        ),",
        '        .target(name: "QoltanbaServerSupport", dependencies: [.product(name: "Fluent", package: "fluent")]),',
        "        .testTarget(",
        '            name: "QoltanbaServerTests",',
        '            dependencies: ["QoltanbaServer", .product(name: "SQLKit", package: "sql-kit")]',
        "        ),",
        "    ]",
        ")",
        "",
    ])


PACKAGE = package('"QoltanbaCore"', '"QoltanbaPersistence"', '.product(name: "Vapor", package: "vapor")')

ROOT_ROW = "| (root), the files directly in `Sources/QoltanbaServer/` | every folder |"
FIX = "run `python3 scripts/lint.py --table` and put its output between <!-- lint:table --> and <!-- /lint:table -->"


def use_line(path, a, b, name, allowed):
    """The line lint.py prints for a use of folder b by folder a outside the table."""
    return (f"{path}: {a} may not use {b} (uses {name}); {allowed}: see the table in {TABLE}"
            f" and README's Architecture")


class LintTest(unittest.TestCase):
    maxDiff = None

    def run_lint(self, files, *options, make_server=True, allowed=None):
        """Runs lint.py on a new tree holding `files` ({path: text}) with the table `allowed` ({folder: [folders
        it may use]}, in axis order; False: lint.py's own ALLOWED); the finished process."""
        directory = tempfile.TemporaryDirectory(prefix="test-lint-")
        self.addCleanup(directory.cleanup)
        root = Path(directory.name)
        if make_server:
            (root / SERVER).mkdir(parents=True)
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        if allowed is None:
            allowed = {path[len(SERVER):].split("/")[0]: [] for path in sorted(files)
                       if path.startswith(SERVER) and path.endswith(".swift") and "/" in path[len(SERVER):]}
        if allowed is not False:
            (root / TABLE).write_text(table_json(allowed), encoding="utf-8")
            options = ("--allowed", str(root / TABLE), *options)
        return subprocess.run([sys.executable, str(LINT), "--root", str(root), *options],
                              capture_output=True, text=True, timeout=60)

    def lint(self, files, *options, allowed=None):
        """(exit code, stdout lines) of lint.py on `files`; it must write nothing to stderr."""
        result = self.run_lint(files, *options, allowed=allowed)
        self.assertEqual(result.stderr, "")
        return result.returncode, result.stdout.splitlines()

    def check_lines(self, path, cases):
        """Lints one server file made of `cases` [(line, reason or None)] and asserts that exactly the lines
        with a reason are reported, each as "path:N: reason outside Sources/QoltanbaPersistence/", and nothing
        else."""
        code, out = self.lint({path: swift(*(line for line, _ in cases))})
        expected = [f"{path}:{number}: {reason} {OUTSIDE}"
                    for number, (_, reason) in enumerate(cases, 1) if reason]
        if expected:
            self.assertEqual(out, expected + [summary(persistence=len(expected), touched=1)])
            self.assertEqual(code, 1)
        else:
            self.assertEqual(out, ["lint: clean (1 files)"])
            self.assertEqual(code, 0)

    # Clean trees.

    def test_clean_tree_passes(self):
        code, out = self.lint({
            SERVER + "API/Thing.swift": swift("struct Thing {}", "let s = Store()"),
            SERVER + "configure.swift": swift("func configure() { _ = Thing() }"),
            SERVER + "Resources/data.json": "{}\n",  # no Swift in it: no folder, no row
            PERSISTENCE + "Stores/Store.swift": swift("import Fluent", "public struct Store {}",
                                                      "let q = Model.query(on: req.db)"),
            "Sources/QoltanbaCore/Core.swift": swift("enum Core {}"),
            "Tests/QoltanbaServerTests/ThingTests.swift": numbered(400),
            "Package.swift": PACKAGE,
        }, allowed={"API": []})
        self.assertEqual(out, ["lint: clean (5 files)"])
        self.assertEqual(code, 0)

    def test_missing_server_folder_is_an_error(self):
        result = self.run_lint({"Sources/Other/A.swift": swift("enum A {}")}, make_server=False)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertRegex(result.stderr, r"^lint: .*Sources/QoltanbaServer is not a folder\n$")

    # a. Fluent and SQL outside Sources/QoltanbaPersistence/.

    def test_each_forbidden_import_is_reported(self):
        self.check_lines(SERVER + "API/Imports.swift", [
            ("import Foundation", None),
            ("import Fluent", "import Fluent"),
            ("import FluentKit", "import FluentKit"),
            ("import FluentSQL", "import FluentSQL"),
            ("import FluentSQLiteDriver", "import FluentSQLiteDriver"),
            ("import FluentPostgresDriver", "import FluentPostgresDriver"),
            ("import SQLKit", "import SQLKit"),
            ("import PostgresKit", "import PostgresKit"),
            ("import SQLiteKit", "import SQLiteKit"),
            ("@preconcurrency import SQLKit", "import SQLKit"),
            ("@_spi(Internal) public import FluentKit", "import FluentKit"),
            ("internal import PostgresKit", "import PostgresKit"),
            ("import struct FluentKit.Model", "import FluentKit"),
            ("import Vapor", None),
            ("import FluentBenchmark", None),
            ("import SQLiteKitX", None),
        ])

    def test_each_forbidden_use_is_reported(self):
        self.check_lines(SERVER + "API/Uses.swift", [
            ("let a = try await User.query(on: db).all()", ".query(on:"),
            ("try await user.save(on: db)", ".save(on:"),
            ("try await user.create(on: db)", ".create(on:"),
            ("try await user.update( on : db)", ".update(on:"),
            ("try await user.delete(on: db)", ".delete(on:"),
            ("let b = try await User.find(id, on: db)", ".find(... on:"),
            ("let c = db as! any SQLDatabase", "SQLDatabase"),
            ('let d = try await sql.raw("SELECT 1").all()', ".raw("),
            ("let e = request.db", "request.db"),
            ("let f = req.db", "req.db"),
            ("let g = app.db(.psql)", "app.db"),
            ("let h = application.db", "application.db"),
            ("let i = request.application.db", "application.db"),
            ("try await database.transaction { db in }", ".transaction { on a database"),
            ('try await m.save(on: db); try await sql.raw("").run()', ".save(on:, .raw("),
            ('let j = try await database.sql', None),
            ('    .raw("SELECT 1").all()', ".raw("),  # a chain's next line, given a string
            ("let k = try await sql.raw(query).all()", ".raw("),
            ("let l = sql.raw (#\"x\"#)", ".raw("),
        ])

    def test_lookalikes_of_forbidden_uses_are_not_reported(self):
        self.check_lines(SERVER + "API/Lookalikes.swift", [
            ("let a = myreq.db", None),
            ("let b = req.dbPool", None),
            ("let c = kind.rawValue", None),
            ("let d = try await User.find(id)", None),
            ("let e = list.query(onto: x)", None),
            ("let f = item.saved(on: db)", None),
            ("let g = SQLDatabaseFactory()", None),
            ("let h = log.transactions { }", None),
            # An enum case's `.raw(value)` (QoltanbaPKI's DER trees), no call on a database.
            ("let i = DERTree.node(0x02, [.raw(value)])", None),
            ("    case .raw(let bytes): return bytes.count", None),
            ("    .raw(try DERWriter.bytes { try $0.serialize(version) }),", None),
            ("let j = parts.map(DERTree.raw)", None),
        ])

    def test_comments_and_string_contents_are_not_reported(self):
        self.check_lines(SERVER + "API/Text.swift", [
            ("// import Fluent", None),
            ("/// req.db and .query(on: db)", None),
            ("let a = 1 // trailing req.db", None),
            ("/* block .save(on: db)", None),
            ("   /* nested */ still a comment: req.db */", None),
            ('let b = "req.db .query(on: x) .raw( SQLDatabase"', None),
            ('let c = "an \\"escaped\\" quote .raw( req.db"', None),
            ('let d = #"a " inside .raw( and req.db"#', None),
            ('let e = #"\\(req.db) is no interpolation in a raw string"#', None),
            ('let f = """', None),
            ('    .query(on: db) and "quotes" and // not a comment', None),
            ('    """', None),
            # Code after a comment or a string is checked again.
            ('/* .save(on: db) */ let g = sql.raw("x")', ".raw("),
            ('let h = "end"; let i = req.db', "req.db"),
        ])

    def test_interpolations_are_reported(self):
        self.check_lines(SERVER + "API/Interpolation.swift", [
            ('let a = "\\(req.db)"', "req.db"),
            ('let b = "\\(user.query(on: db)) and after it .raw( req.db"', ".query(on:"),
            ('let c = #"\\#(sql.raw("q")) req.db"#', ".raw("),
            ('let d = "\\(f(g(1))) .raw( SQLDatabase"', None),
            ('let e = """', None),
            ('    \\(app.db) and req.db', "app.db"),
            ('    """', None),
        ])

    def test_transaction_on_stores_is_allowed_on_a_database_not(self):
        self.check_lines(SERVER + "API/Transactions.swift", [
            ("try await stores.transaction { stores in }", None),
            ("try await self.stores.transaction { stores in }", None),
            ("try await database.transaction { db in }", ".transaction { on a database"),
            ("try await db.transaction { db in }", ".transaction { on a database"),
            ("try await req.db.transaction { db in }", "req.db, .transaction { on a database"),
        ])

    def test_persistence_target_may_use_fluent_and_sql(self):
        body = swift("import Fluent", "@preconcurrency import SQLKit", "let q = User.query(on: req.db)",
                     "let s = db as! any SQLDatabase", "try await database.transaction { db in }",
                     'let r = try await sql.raw("SELECT 1").all()')
        code, out = self.lint({PERSISTENCE + "DatabaseSetup.swift": body,
                               PERSISTENCE + "Stores/UserStore.swift": body})
        self.assertEqual(out, ["lint: clean (2 files)"])
        self.assertEqual(code, 0)

    def test_every_other_target_is_checked_and_tests_are_not(self):
        files = {f"Sources/{target}/F.swift": swift("import Foundation", "import FluentKit", "let a = req.db")
                 for target in ("qoltanba", "QoltanbaCore", "QoltanbaPKI", "QoltanbaDocuments", "QoltanbaBench",
                                "QoltanbaFuzz", "QoltanbaServer")}
        files["Tests/QoltanbaServerTests/T.swift"] = swift("import Fluent", "let a = app.db")
        files["Tests/QoltanbaTestSupport/S.swift"] = swift("import SQLKit", 'let b = try await sql.raw("x").all()')
        code, out = self.lint(files)
        expected = []
        for target in ("QoltanbaBench", "QoltanbaCore", "QoltanbaDocuments", "QoltanbaFuzz", "QoltanbaPKI",
                       "QoltanbaServer", "qoltanba"):
            expected += [f"Sources/{target}/F.swift:2: import FluentKit {OUTSIDE}",
                         f"Sources/{target}/F.swift:3: req.db {OUTSIDE}"]
        self.assertEqual(out, expected + [summary(persistence=14, touched=7, checked=9)])
        self.assertEqual(code, 1)

    def test_folders_named_like_persistence_are_not_persistence(self):
        code, out = self.lint({
            SERVER + "Persistence/Store.swift": swift("import Fluent"),  # the server's old folder: no more
            "Sources/QoltanbaPersistenceX/P.swift": swift("import Fluent"),
            "Sources/QoltanbaCore/QoltanbaPersistence/Q.swift": swift("import Fluent"),
            "Sources/QoltanbaPersistence.swift": swift("import Fluent"),
        })
        self.assertEqual(out, [
            f"Sources/QoltanbaCore/QoltanbaPersistence/Q.swift:1: import Fluent {OUTSIDE}",
            f"Sources/QoltanbaPersistence.swift:1: import Fluent {OUTSIDE}",
            f"Sources/QoltanbaPersistenceX/P.swift:1: import Fluent {OUTSIDE}",
            f"{SERVER}Persistence/Store.swift:1: import Fluent {OUTSIDE}",
            summary(persistence=4, touched=4, checked=4),
        ])
        self.assertEqual(code, 1)

    # b. File length.

    def test_file_of_401_lines_fails(self):
        code, out = self.lint({
            "Sources/Other/Big.swift": numbered(401),
            SERVER + "API/NoNewline.swift": numbered(400) + "let last = 1",
        })
        self.assertEqual(out, [
            "Sources/Other/Big.swift:401: 401 lines, more than 400",
            SERVER + "API/NoNewline.swift:401: 401 lines, more than 400",
            summary(long_files=2, touched=2, checked=2),
        ])
        self.assertEqual(code, 1)

    def test_file_of_400_lines_passes(self):
        code, out = self.lint({"Sources/Other/Ok.swift": numbered(400), SERVER + "API/Ok.swift": numbered(400)})
        self.assertEqual(out, ["lint: clean (2 files)"])
        self.assertEqual(code, 0)

    def test_test_file_of_401_lines_fails(self):
        code, out = self.lint({
            "Tests/QoltanbaServerTests/BigTests.swift": numbered(401),
            "Tests/QoltanbaServerTests/OkTests.swift": numbered(400),
            "Tests/QoltanbaTestSupport/Support.swift": numbered(450),
            "Tests/QoltanbaServerTests/Migrations/M.swift": numbered(401),  # no exemption under Tests/
        })
        self.assertEqual(out, [
            "Tests/QoltanbaServerTests/BigTests.swift:401: 401 lines, more than 400",
            "Tests/QoltanbaServerTests/Migrations/M.swift:401: 401 lines, more than 400",
            "Tests/QoltanbaTestSupport/Support.swift:401: 450 lines, more than 400",
            summary(long_files=3, touched=3, checked=4),
        ])
        self.assertEqual(code, 1)

    def test_migrations_folders_are_exempt_from_the_length_limit(self):
        code, out = self.lint({
            PERSISTENCE + "Migrations/001/M.swift": numbered(900),
            PERSISTENCE + "Migrations/Migrations.swift": numbered(401),
            PERSISTENCE + "Stores/Big.swift": numbered(401),  # the persistence target is no exception
            "Sources/Other/Migrations/M.swift": numbered(500),
            "Sources/Other/Migrations.swift": numbered(401),  # a file of that name is not the folder
        })
        self.assertEqual(out, [
            "Sources/Other/Migrations.swift:401: 401 lines, more than 400",
            PERSISTENCE + "Stores/Big.swift:401: 401 lines, more than 400",
            summary(long_files=2, touched=2, checked=5),
        ])
        self.assertEqual(code, 1)

    # c. Uses outside the table.

    def test_use_outside_the_table_fails_once_a_pair(self):
        code, out = self.lint({
            SERVER + "API/Api.swift": swift("struct Api {}", "let s: Store? = nil", "let p = Page()",
                                            "let k: Key? = nil"),
            SERVER + "Access/Key.swift": swift("struct Key {}"),
            SERVER + "Persistence/Store.swift": swift("struct Store {}"),
            SERVER + "Web/Page.swift": swift("struct Page {}", "", "let a: Store? = nil", "let b: Store? = nil"),
            SERVER + "Web/Sub/More.swift": swift("let c: Store? = nil"),  # the same pair: no line of its own
        }, allowed={"API": ["Web", "Persistence"], "Access": [], "Web": [], "Persistence": []})
        self.assertEqual(out, [
            use_line(SERVER + "API/Api.swift:4", "API", "Access", "Key", "API may use Web, Persistence"),
            use_line(SERVER + "Web/Page.swift:3", "Web", "Persistence", "Store", "Web may use no other folder"),
            summary(uses=2, touched=2, checked=5),
        ])
        self.assertEqual(code, 1)

    def test_the_message_names_what_the_folder_may_use_in_axis_order(self):
        code, out = self.lint({
            SERVER + "A/A.swift": swift("struct Alpha {}", "let d: Delta? = nil"),
            SERVER + "B/B.swift": swift("struct Beta {}"),
            SERVER + "C/C.swift": swift("struct Gamma {}"),
            SERVER + "D/D.swift": swift("struct Delta {}"),
        }, allowed={"A": ["C", "B"], "C": [], "B": [], "D": []})
        self.assertEqual(out, [
            use_line(SERVER + "A/A.swift:2", "A", "D", "Delta", "A may use C, B"),
            summary(uses=1, touched=1, checked=4),
        ])
        self.assertEqual(code, 1)

    def test_graph_marks_uses_outside_the_table(self):
        code, out = self.lint({
            SERVER + "A/A.swift": swift("struct Alpha {}", "let b: Beta? = nil"),
            SERVER + "B/B.swift": swift("struct Beta {}", "let a: Alpha? = nil"),
        }, "--graph", allowed={"A": ["B"], "B": []})
        self.assertEqual(out[:4], [
            "folder dependencies in Sources/QoltanbaServer ((root) may use every folder):",
            "  A -> B: A/A.swift:2 uses Beta",
            "  B -> A: B/B.swift:2 uses Alpha (not in the table)",
            "",
        ])
        self.assertEqual(code, 1)

    def test_root_may_use_every_folder_and_no_folder_may_use_it(self):
        code, out = self.lint({
            SERVER + "routes.swift": swift("struct RootThing {}", "let a = Alpha()"),
            SERVER + "A/Alpha.swift": swift("struct Alpha {}", "let r = RootThing()"),
        }, "--graph")
        self.assertEqual(out, [
            "folder dependencies in Sources/QoltanbaServer ((root) may use every folder):",
            "  (root) -> A: routes.swift:2 uses Alpha",
            "  A -> (root): A/Alpha.swift:2 uses RootThing (not in the table)",
            "",
            use_line(SERVER + "A/Alpha.swift:2", "A", "(root)", "RootThing", "A may use no other folder"),
            summary(uses=1, touched=1, checked=2),
        ])
        self.assertEqual(code, 1)

    def test_a_row_may_name_root_which_takes_no_part_in_cycles(self):
        files = {
            SERVER + "routes.swift": swift("struct RootThing {}", "let a = Alpha()", "let b = Beta()"),
            SERVER + "A/Alpha.swift": swift("struct Alpha {}", "let r = RootThing()", "let b = Beta()"),
            SERVER + "B/Beta.swift": swift("struct Beta {}"),
        }
        allowed = {"A": ["B", "(root)"], "B": []}
        code, out = self.lint(files, allowed=allowed)
        self.assertEqual(out, ["lint: clean (3 files)"])
        self.assertEqual(code, 0)
        code, out = self.lint(files, "--table", allowed=allowed)
        self.assertEqual(out[3:], ["| `A/` | (root), B |", "| `B/` | no other folder |"])
        self.assertEqual(code, 0)

    def test_nested_and_private_declarations_are_ignored(self):
        code, out = self.lint({
            SERVER + "A/Alpha.swift": swift("struct Alpha {", "    struct NestedA {}", "}",
                                            "private struct HiddenA {}", "fileprivate enum SecretA {}",
                                            "let d = Delta.y"),
            SERVER + "D/Delta.swift": swift("indirect enum Delta { case y }", "let n = NestedA()",
                                            "let h = HiddenA()", "let s = SecretA.self"),
        }, "--graph", allowed={"A": ["D"], "D": []})
        self.assertEqual(out, [
            "folder dependencies in Sources/QoltanbaServer ((root) may use every folder):",
            "  A -> D: A/Alpha.swift:6 uses Delta",
            "",
            "lint: clean (2 files)",
        ])
        self.assertEqual(code, 0)

    def test_type_names_in_comments_and_strings_are_no_dependency(self):
        code, out = self.lint({
            SERVER + "C/Gamma.swift": swift("enum Gamma { case x }", "// Delta in a comment",
                                            'let s = "Delta in a string"'),
            SERVER + "D/Delta.swift": swift("enum Delta { case y }", "let g = Gamma.x"),
        }, "--graph", allowed={"D": ["C"], "C": []})
        self.assertEqual(out, [
            "folder dependencies in Sources/QoltanbaServer ((root) may use every folder):",
            "  D -> C: D/Delta.swift:2 uses Gamma",
            "",
            "lint: clean (2 files)",
        ])
        self.assertEqual(code, 0)

    # d. The table itself.

    def test_folder_without_a_row_fails(self):
        code, out = self.lint({
            SERVER + "API/Api.swift": swift("struct Api {}"),
            SERVER + "Web/Page.swift": swift("struct Page {}", "let a: Api? = nil"),
        }, allowed={"API": []})
        self.assertEqual(out, [
            use_line(SERVER + "Web/Page.swift:2", "Web", "API", "Api", "Web has no row in the table"),
            f"{TABLE}:1: the folder Web (Sources/QoltanbaServer/Web/) has no row in the table: add the folders it"
            " may use, then `python3 scripts/lint.py --table` for README.md",
            summary(uses=1, table=1, touched=1, checked=2),
        ])
        self.assertEqual(code, 1)

    def test_row_or_use_naming_no_folder_fails(self):
        code, out = self.lint({
            SERVER + "API/Api.swift": swift("struct Api {}"),
            SERVER + "Resources/data.json": "{}\n",
        }, allowed={"API": ["Sealing", "Resources"], "Sealing": ["Configuration"], "(root)": []})
        self.assertEqual(out, [
            f"{TABLE}:2: the table lets API use Sealing, which is no folder of Sources/QoltanbaServer",
            f"{TABLE}:2: the table lets API use Resources, which is no folder of Sources/QoltanbaServer",
            f"{TABLE}:3: the table has a row for Sealing, which is no folder of Sources/QoltanbaServer"
            " (none with Swift files)",
            f"{TABLE}:3: the table lets Sealing use Configuration, which is no folder of Sources/QoltanbaServer",
            f"{TABLE}:4: the table has a row for (root), which is no folder of Sources/QoltanbaServer"
            " (none with Swift files)",
            summary(table=5, checked=1),
        ])
        self.assertEqual(code, 1)

    def test_cyclic_table_fails_though_the_code_has_no_cycle(self):
        code, out = self.lint({
            SERVER + "X/X.swift": swift("struct Xt {}", "let y: Yt? = nil"),
            SERVER + "Y/Y.swift": swift("struct Yt {}"),
            SERVER + "Z/Z.swift": swift("struct Zt {}"),
        }, allowed={"X": ["Y"], "Y": ["Z"], "Z": ["X", "Y"]})
        self.assertEqual(out, [
            f"{TABLE}:3: the table allows a cycle Y -> Z -> Y (component: X, Y, Z)",
            f"    Y -> Z: the row of Y, {TABLE}:3",
            f"    Z -> Y: the row of Z, {TABLE}:4",
            f"{TABLE}:2: the table allows a cycle X -> Y -> Z -> X (component: X, Y, Z)",
            f"    X -> Y: the row of X, {TABLE}:2",
            f"    Y -> Z: the row of Y, {TABLE}:3",
            f"    Z -> X: the row of Z, {TABLE}:4",
            summary(table=2, checked=3),
        ])
        self.assertEqual(code, 1)

    def test_bad_table_file_is_an_error(self):
        result = self.run_lint({SERVER + "A/A.swift": swift("struct A {}")}, "--allowed", "/nonexistent/t.json",
                               allowed=False)
        self.assertEqual((result.returncode, result.stdout), (2, ""))
        self.assertRegex(result.stderr, r"^lint: .*/nonexistent/t\.json")

    def test_lints_own_table_points_at_its_rows(self):
        spec = importlib.util.spec_from_file_location("lint", LINT)
        lint = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(lint)
        source = LINT.read_text(encoding="utf-8").splitlines()

        def row(name):
            return next(n for n, text in enumerate(source, 1) if text.lstrip().startswith(f'"{name}":'))

        # A tree with every folder of ALLOWED but its last row's, each using nothing: only that row is wrong.
        *present, last = lint.ALLOWED
        code, out = self.lint({SERVER + f"{name}/T.swift": swift(f"struct T{name} {{}}") for name in present},
                              allowed=False)
        path = LINT.resolve()
        expected = [f"{path}:{row(name)}: the table lets {name} use {last}, which is no folder of"
                    " Sources/QoltanbaServer" for name in present if last in lint.ALLOWED[name]]
        expected.append(f"{path}:{row(last)}: the table has a row for {last}, which is no folder of"
                        " Sources/QoltanbaServer (none with Swift files)")
        self.assertEqual(out, expected + [summary(table=len(expected), checked=len(present))])
        self.assertEqual(code, 1)

    # e. Cycles between the server's folders.

    def test_two_folder_cycle_is_reported_with_its_edges(self):
        code, out = self.lint({
            SERVER + "A/Alpha.swift": swift("public struct Alpha {}", "func f(_ b: Beta) {}"),
            SERVER + "B/Beta.swift": swift("@MainActor", "public final class Beta {}",
                                           "func g() -> Alpha { fatalError() }"),
        }, allowed={"A": ["B"], "B": []})
        self.assertEqual(out, [
            use_line(SERVER + "B/Beta.swift:3", "B", "A", "Alpha", "B may use no other folder"),
            SERVER + "A/Alpha.swift:2: folder cycle A -> B -> A (component: A, B)",
            "    A -> B: A/Alpha.swift:2 uses Beta",
            "    B -> A: B/Beta.swift:3 uses Alpha",
            summary(uses=1, cycles=1, touched=1, checked=2),
        ])
        self.assertEqual(code, 1)

    def test_three_folder_cycle_is_reported_once_with_its_edges(self):
        code, out = self.lint({
            SERVER + "X/X.swift": swift("protocol Xp {}"),
            SERVER + "X/Sub/UsesY.swift": swift("", "let y: Yt? = nil"),  # subfolders belong to X
            SERVER + "Y/Y.swift": swift("typealias Yt = Int", "let z: Zt? = nil"),
            SERVER + "Z/Z.swift": swift("actor Zt {}", "let x: (any Xp)? = nil"),
        }, allowed={"X": ["Y"], "Y": ["Z"], "Z": []})
        self.assertEqual(out, [
            use_line(SERVER + "Z/Z.swift:2", "Z", "X", "Xp", "Z may use no other folder"),
            SERVER + "X/Sub/UsesY.swift:2: folder cycle X -> Y -> Z -> X (component: X, Y, Z)",
            "    X -> Y: X/Sub/UsesY.swift:2 uses Yt",
            "    Y -> Z: Y/Y.swift:2 uses Zt",
            "    Z -> X: Z/Z.swift:2 uses Xp",
            summary(uses=1, cycles=1, touched=1, checked=4),
        ])
        self.assertEqual(code, 1)

    # g. The target QoltanbaServer in Package.swift.

    def test_server_target_without_fluent_products_passes(self):
        code, out = self.lint({
            SERVER + "A/A.swift": swift("struct A {}"),
            "Package.swift": package(
                '"QoltanbaPersistence"',
                '.product(name: "Vapor", package: "vapor")',
                '.product(name: "SQLKitten", package: "kittens")',  # names alike are other products
                '.product(name: "MultipartKit", package: "multipart-kit")',
                '// .product(name: "Fluent", package: "fluent"): gone to QoltanbaPersistence',
                '.product(name: /* FluentKit */ "NIOCore", package: "swift-nio")',
                '"SQLKitSupport"',
            ),
        })
        self.assertEqual(out, ["lint: clean (1 files)"])
        self.assertEqual(code, 0)

    def test_server_target_with_fluent_products_fails(self):
        forbidden = ["Fluent", "FluentKit", "FluentSQL", "FluentSQLiteDriver", "FluentPostgresDriver", "SQLKit"]
        code, out = self.lint({
            SERVER + "A/A.swift": swift("struct A {}"),
            "Package.swift": package(
                '"QoltanbaPersistence"',
                *(f'.product(name: "{name}", package: "x")' for name in forbidden),
                '.byName(name: "Fluent")',
                '.product(name: "PostgresKit", package: "postgres-kit")',  # not on the list
            ),
        })
        self.assertEqual(out, [
            f"Package.swift:{line}: QoltanbaServer depends on {name}: only QoltanbaPersistence may"
            for line, name in zip(range(19, 26), forbidden + ["Fluent"])
        ] + [summary(package=7, touched=1)])
        self.assertEqual(code, 1)

    def test_a_tree_without_package_swift_has_no_package_check(self):
        code, out = self.lint({SERVER + "A/A.swift": swift("struct A {}")})
        self.assertEqual(out, ["lint: clean (1 files)"])
        self.assertEqual(code, 0)

    # h. The public interface of Sources/QoltanbaPersistence.

    def interface_line(self, path, names):
        kind = "a Fluent/SQL type" if "," not in names else "Fluent/SQL types"
        return (f"{path}: public declaration names {names} ({kind}); the persistence target's public interface"
                " takes and returns plain values")

    def test_public_interface_of_plain_values_passes(self):
        code, out = self.lint({
            PERSISTENCE + "DatabaseSetup.swift": swift(
                "import Fluent",
                "import SQLKit",
                "public enum DatabaseLocation: Sendable, Equatable {",
                "    case sqlite(path: String)",
                "    case postgres(url: String)",
                "",
                "    func configuration() -> any Database { fatalError() }  // internal",
                "}",
                "public struct DatabaseConnections: Sendable { public let limit: Int }",
                "struct DatabaseSettings { let database: any Database; let row: SQLRow }",
                "extension Application {",
                "    public func useDatabase(_ location: DatabaseLocation, settings: DatabaseSettings? = nil,",
                "                            after: @escaping @Sendable () async -> Void = { _ = SQLRaw(\"x\") }",
                "    ) throws {",
                "        let database: any Database = db",
                "        let model: SigningSessionModel? = nil",
                "    }",
                "    public var databaseConnections: DatabaseConnections { storage[DatabaseConnections.self]! }",
                "    public func copySQLite(into path: String) async throws { try await db.sql.raw(\"\").run() }",
                "}",
            ),
            PERSISTENCE + "Stores/Stores.swift": swift(
                "public struct Stores: Sendable {",
                "    let database: any Database",
                "    public var sessions: SessionStore { SessionStore(database: database) }",
                "    /// Takes any Database, returns no Model: SQLRow -> Database",
                '    public let note = "any Database, SQLRow, FieldKey, QueryBuilder"',
                "    public func list(viewModel: Int, page: Int) -> ListPage<Summary> { fatalError() }",
                "    public static let kind = Kind.public",
                "    private func rows() -> [SQLRow] { [] }",
                "}",
                "extension Database {",
                "    var sql: any SQLDatabase { self as! any SQLDatabase }",
                "}",
                "extension APIKeyModel {",
                "    public var organizationID: UUID { $organization.id }",  # an internal type's member
                "}",
                "public extension Stores {",
                "    internal func raw(_ database: any Database) {}",
                "    private var model: SigningSessionModel? { nil }",
                "}",
                "final class SigningSessionModel: Model, @unchecked Sendable {",
                "    static let schema = \"signing_sessions\"",
                "    @Field(key: \"status\") var status: String",
                "}",
            ),
            PERSISTENCE + "Migrations/001/CreateThing.swift": swift(
                "struct CreateThing: AsyncMigration {",
                "    func prepare(on database: any Database) async throws {}",
                "}",
            ),
            # Only the persistence target is checked.
            "Sources/QoltanbaCore/Model.swift": swift("public protocol Model {}", "public struct ViewModel: Model {}"),
        })
        self.assertEqual(out, ["lint: clean (4 files)"])
        self.assertEqual(code, 0)

    def test_public_declarations_naming_fluent_or_sql_types_fail(self):
        path = PERSISTENCE + "Stores/Leaks.swift"
        cases = [
            ("import Fluent", None),
            ("public struct LeakStore: Sendable {", None),
            ("    public let database: any Database", "any Database"),
            ("    public init(database: Database) {}", "Database"),
            ("    public func db() -> Database { fatalError() }", "Database"),
            ("    public func each<D: Database>(_ d: D) {}", "Database"),
            ("    public func all(_ d: some Database, _ e: [Database]) {}", "Database"),
            ("    public func rows() async throws -> [SQLRow] { [] }", "SQLRow"),
            ("    public var sql: any SQLDatabase { fatalError() }", "SQLDatabase"),
            ("    public func run(_ q: SQLQueryString) {}", "SQLQueryString"),
            ("    public func query() -> QueryBuilder<SigningSessionModel> { fatalError() }",
             "QueryBuilder, SigningSessionModel"),
            ("    public static let key: FieldKey = \"id\"", "FieldKey"),
            ("    public func apply(_ q: inout DatabaseQuery) {}", "DatabaseQuery"),
            ("    @discardableResult public func save<M: Model>(_ m: M) -> M { m }", "Model"),
            ("    public func session() -> SigningSessionModel? { nil }", "SigningSessionModel"),
            ("    public func record(", None),  # a declaration over several lines
            ("        _ session: UUID,", None),
            ("        on database: any Database, where: Int = 0", "any Database"),
            ("    ) async throws", None),
            ("        -> [SQLRow] {", "SQLRow"),
            ("        let row: SQLRow? = nil", None),  # the body
            ("    }", None),
            ("}", None),
            ("public final class CitizenModel: Model, @unchecked Sendable {}", "CitizenModel, Model"),
            ("public typealias Row = SQLRow", "SQLRow"),
            ("public enum Source {", None),
            ("    case database(any Database)", "any Database"),  # a public enum's cases are public
            ("    case rows([SQLRow])", "SQLRow"),
            ("    func internalOnly() -> SQLRow? { nil }", None),
            ("}", None),
            ("public protocol Reading {", None),
            ("    func rows(on database: any Database) async throws -> [SQLRow]", "any Database, SQLRow"),
            ("}", None),
            ("public extension Stores {", None),
            ("    func query() -> QueryBuilder<CitizenModel> { fatalError() }", "QueryBuilder, CitizenModel"),
            ("    private func hidden() -> SQLRow? { nil }", None),
            ("}", None),
            ("open class Base {", None),
            ("    open func db() -> Database { fatalError() }", "Database"),
            ("}", None),
        ]
        code, out = self.lint({path: swift(*(line for line, _ in cases))})
        expected = [self.interface_line(f"{path}:{number}", names)
                    for number, (_, names) in enumerate(cases, 1) if names]
        self.assertEqual(out, expected + [summary(interface=len(expected), touched=1)])
        self.assertEqual(code, 1)

    # f. README.md's table and --table.

    SMALL = {"API": ["Persistence", "Web"], "Web": [], "Persistence": []}  # the rows' order is the axis
    SMALL_FILES = {
        SERVER + "API/Api.swift": swift("struct Api {}"),
        SERVER + "Persistence/Store.swift": swift("struct Store {}"),
        SERVER + "Web/Page.swift": swift("struct Page {}"),
    }
    SMALL_TABLE = [
        "| folder | may use |",
        "|---|---|",
        ROOT_ROW,
        "| `API/` | Web, Persistence |",
        "| `Web/` | no other folder |",
        "| `Persistence/` | no other folder |",
    ]

    def test_table_prints_the_markdown_in_axis_order(self):
        code, out = self.lint({}, "--table", allowed=self.SMALL)
        self.assertEqual(out, self.SMALL_TABLE)
        self.assertEqual(code, 0)

    def test_readme_with_the_table_passes(self):
        files = dict(self.SMALL_FILES)
        files["README.md"] = readme("", *self.SMALL_TABLE, "", before="Text.", after="- `API/`: holds.")
        code, out = self.lint(files, allowed=self.SMALL)
        self.assertEqual(out, ["lint: clean (3 files)"])
        self.assertEqual(code, 0)

    def test_stale_readme_table_fails(self):
        stale = list(self.SMALL_TABLE)
        stale[3] = "| `API/` | Persistence, Web |"  # not in axis order
        files = dict(self.SMALL_FILES)
        for table, line in [(stale, 13), (self.SMALL_TABLE[:-1], 15), (self.SMALL_TABLE + ["| `X/` | Web |"], 16)]:
            files["README.md"] = readme("", *table, "")
            code, out = self.lint(files, allowed=self.SMALL)
            self.assertEqual(out, [
                f"README.md:{line}: the folder table is not the table in {TABLE} (stale); {FIX}",
                summary(readme=1, checked=3),
            ])
            self.assertEqual(code, 1)

    def test_readme_without_the_section_or_the_markers_fails(self):
        files = dict(self.SMALL_FILES)
        cases = [
            ("# Project\n\n" + "\n".join(self.SMALL_TABLE) + "\n",
             'README.md:1: no section "### Folders of QoltanbaServer" for the folder table'),
            (readme(*self.SMALL_TABLE).replace("<!-- /lint:table -->\n", ""),
             'README.md:5: the section "### Folders of QoltanbaServer" needs one line <!-- lint:table --> and one'
             f" line <!-- /lint:table --> around the folder table; {FIX}"),
            (readme(*self.SMALL_TABLE, before="#### Other"),
             "README.md:8: <!-- lint:table --> and <!-- /lint:table --> must follow the heading"
             f' "### Folders of QoltanbaServer" in its section, in that order; {FIX}'),
        ]
        for text, message in cases:
            files["README.md"] = text
            code, out = self.lint(files, allowed=self.SMALL)
            self.assertEqual(out, [message, summary(readme=1, checked=3)])
            self.assertEqual(code, 1)


if __name__ == "__main__":
    unittest.main()
