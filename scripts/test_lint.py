#!/usr/bin/env python3
"""Self-test of scripts/lint.py (`make lint` runs it first; standard library only, no pytest).

Each test writes a small synthetic repository into a temporary folder, runs `lint.py --root` on it and checks
the exit code and the exact lines it prints.

    python3 scripts/test_lint.py        # or -v for one line a test, -q for the summary only
"""
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

LINT = Path(__file__).with_name("lint.py")
SERVER = "Sources/QoltanbaServer/"


def swift(*lines):
    """A Swift file of these lines (line N of the file is lines[N - 1])."""
    return "".join(line + "\n" for line in lines)


def numbered(count):
    """A Swift file of `count` lines."""
    return swift(*(f"let v{i} = {i}" for i in range(count)))


def summary(persistence=0, long_files=0, cycles=0, touched=0, checked=1):
    return (f"lint: {persistence + long_files + cycles} violations (Fluent/SQL outside Persistence: {persistence};"
            f" files over 400 lines: {long_files}; folder cycles: {cycles}), {touched} files, {checked} files checked")


class LintTest(unittest.TestCase):
    maxDiff = None

    def run_lint(self, files, *options, make_server=True):
        """Runs lint.py on a new tree holding `files` ({path: text}); the finished process."""
        directory = tempfile.TemporaryDirectory(prefix="test-lint-")
        self.addCleanup(directory.cleanup)
        root = Path(directory.name)
        if make_server:
            (root / SERVER).mkdir(parents=True)
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        return subprocess.run([sys.executable, str(LINT), "--root", str(root), *options],
                              capture_output=True, text=True, timeout=60)

    def lint(self, files, *options):
        """(exit code, stdout lines) of lint.py on `files`; it must write nothing to stderr."""
        result = self.run_lint(files, *options)
        self.assertEqual(result.stderr, "")
        return result.returncode, result.stdout.splitlines()

    def check_lines(self, path, cases):
        """Lints one server file made of `cases` [(line, reason or None)] and asserts that exactly the lines
        with a reason are reported, each as "path:N: reason outside Persistence/", and nothing else."""
        code, out = self.lint({path: swift(*(line for line, _ in cases))})
        expected = [f"{path}:{number}: {reason} outside Persistence/"
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
            SERVER + "API/Thing.swift": swift("struct Thing {}"),
            SERVER + "configure.swift": swift("func configure() { _ = Thing() }"),
            SERVER + "Persistence/Store.swift": swift("import Fluent", "let q = Thing.query(on: req.db)"),
            "Sources/QoltanbaCore/Core.swift": swift("enum Core {}"),
        })
        self.assertEqual(out, ["lint: clean (4 files)"])
        self.assertEqual(code, 0)

    def test_missing_server_folder_is_an_error(self):
        result = self.run_lint({"Sources/Other/A.swift": swift("enum A {}")}, make_server=False)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertRegex(result.stderr, r"^lint: .*Sources/QoltanbaServer is not a folder\n$")

    # a. Fluent and SQL outside Persistence/.

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

    def test_persistence_folder_may_use_fluent_and_sql(self):
        body = swift("import Fluent", "@preconcurrency import SQLKit", "let q = User.query(on: req.db)",
                     "let s = db as! any SQLDatabase", "try await database.transaction { db in }")
        code, out = self.lint({SERVER + "Persistence/Store.swift": body,
                               SERVER + "Persistence/Stores/UserStore.swift": body})
        self.assertEqual(out, ["lint: clean (2 files)"])
        self.assertEqual(code, 0)

    def test_folders_named_like_persistence_are_not_persistence(self):
        code, out = self.lint({
            SERVER + "PersistenceX/P.swift": swift("import Fluent"),
            SERVER + "API/Persistence/Q.swift": swift("import Fluent"),
            SERVER + "Persistence.swift": swift("import Fluent"),
        })
        self.assertEqual(out, [
            SERVER + "API/Persistence/Q.swift:1: import Fluent outside Persistence/",
            SERVER + "Persistence.swift:1: import Fluent outside Persistence/",
            SERVER + "PersistenceX/P.swift:1: import Fluent outside Persistence/",
            summary(persistence=3, touched=3, checked=3),
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

    def test_migrations_folders_are_exempt_from_the_length_limit(self):
        code, out = self.lint({
            SERVER + "Persistence/Migrations/001/M.swift": numbered(900),
            "Sources/Other/Migrations/M.swift": numbered(500),
            "Sources/Other/Migrations.swift": numbered(401),  # a file of that name is not the folder
        })
        self.assertEqual(out, [
            "Sources/Other/Migrations.swift:401: 401 lines, more than 400",
            summary(long_files=1, touched=1, checked=3),
        ])
        self.assertEqual(code, 1)

    # c. Cycles between the server's folders.

    def test_two_folder_cycle_is_reported_with_its_edges(self):
        code, out = self.lint({
            SERVER + "A/Alpha.swift": swift("public struct Alpha {}", "func f(_ b: Beta) {}"),
            SERVER + "B/Beta.swift": swift("@MainActor", "public final class Beta {}",
                                           "func g() -> Alpha { fatalError() }"),
        })
        self.assertEqual(out, [
            SERVER + "A/Alpha.swift:2: folder cycle A -> B -> A (component: A, B)",
            "    A -> B: A/Alpha.swift:2 uses Beta",
            "    B -> A: B/Beta.swift:3 uses Alpha",
            summary(cycles=1, checked=2),
        ])
        self.assertEqual(code, 1)

    def test_three_folder_cycle_is_reported_once_with_its_edges(self):
        code, out = self.lint({
            SERVER + "X/X.swift": swift("protocol Xp {}"),
            SERVER + "X/Sub/UsesY.swift": swift("", "let y: Yt? = nil"),  # subfolders belong to X
            SERVER + "Y/Y.swift": swift("typealias Yt = Int", "let z: Zt? = nil"),
            SERVER + "Z/Z.swift": swift("actor Zt {}", "let x: (any Xp)? = nil"),
        })
        self.assertEqual(out, [
            SERVER + "X/Sub/UsesY.swift:2: folder cycle X -> Y -> Z -> X (component: X, Y, Z)",
            "    X -> Y: X/Sub/UsesY.swift:2 uses Yt",
            "    Y -> Z: Y/Y.swift:2 uses Zt",
            "    Z -> X: Z/Z.swift:2 uses Xp",
            summary(cycles=1, checked=4),
        ])
        self.assertEqual(code, 1)

    def test_nested_and_private_declarations_are_ignored(self):
        code, out = self.lint({
            SERVER + "A/Alpha.swift": swift("struct Alpha {", "    struct NestedA {}", "}",
                                            "private struct HiddenA {}", "fileprivate enum SecretA {}",
                                            "let d = Delta.y"),
            SERVER + "D/Delta.swift": swift("indirect enum Delta { case y }", "let n = NestedA()",
                                            "let h = HiddenA()", "let s = SecretA.self"),
        }, "--graph")
        self.assertEqual(out, [
            "folder dependencies in Sources/QoltanbaServer ((root) takes no part in cycles):",
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
        }, "--graph")
        self.assertEqual(out, [
            "folder dependencies in Sources/QoltanbaServer ((root) takes no part in cycles):",
            "  D -> C: D/Delta.swift:2 uses Gamma",
            "",
            "lint: clean (2 files)",
        ])
        self.assertEqual(code, 0)

    def test_root_folder_takes_no_part_in_cycles(self):
        code, out = self.lint({
            SERVER + "routes.swift": swift("struct RootThing {}", "let a = Alpha()"),
            SERVER + "A/Alpha.swift": swift("struct Alpha {}", "let r = RootThing()"),
        }, "--graph")
        self.assertEqual(out, [
            "folder dependencies in Sources/QoltanbaServer ((root) takes no part in cycles):",
            "  (root) -> A: routes.swift:2 uses Alpha",
            "  A -> (root): A/Alpha.swift:2 uses RootThing",
            "",
            "lint: clean (2 files)",
        ])
        self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()
