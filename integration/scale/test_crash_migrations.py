"""kill -9 during migrations on PostgreSQL, with a second instance migrating at the same time (`make test-scale`,
inside a throwaway cluster: QOLTANBA_TEST_DATABASE_URL).

The first instance is held inside a migration's transaction (`QOLTANBA_TEST_PAUSE=migration-applied`) while it holds
the migration lock; a second instance starts and waits for that lock; the first is killed with SIGKILL. The second
then applies every migration and serves, the first starts again on the migrated schema, and each migration is
recorded exactly once."""
import base64
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qoltanba_server import Server, free_port, secrets_in_log, wait_for  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parents[2] / "Sources/QoltanbaPersistence/Migrations/Migrations.swift"
DEFINED = re.compile(r"^ {12}[A-Z]\w*\(.*\),$", re.MULTILINE)  # one migration per line of QoltanbaMigrations.all


def log(server):
    return (server.data_dir / "serve.stderr").read_text(errors="replace")



def recorded_migrations(database, schema):
    answer = subprocess.run(["psql", database.split("?")[0], "-At", "-c", f'SELECT name FROM "{schema}"._fluent_migrations'],
                            capture_output=True, text=True, timeout=30, check=True)
    return answer.stdout.split()


def test_a_migration_killed_midway_is_applied_once_by_the_other_instance(tmp_path):
    database = os.environ.get("QOLTANBA_TEST_DATABASE_URL")
    assert database, "run inside scripts/with-postgres.sh (make test-scale does)"
    schema = "crash_" + uuid.uuid4().hex[:8]
    env = {"QOLTANBA_DATABASE_URL": database, "QOLTANBA_DATABASE_SCHEMA": schema,
           "QOLTANBA_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Server(tmp_path / "a", free_port(), {**env, "QOLTANBA_TEST_PAUSE": "migration-applied:120"}, wait=False)
    second = None
    try:
        wait_for(lambda: "paused for a test" in log(first), "the first instance to pause inside a migration")
        second = Server(tmp_path / "b", free_port(), env, wait=False)
        time.sleep(2)  # the second instance reaches the lock and waits there
        assert second.process.poll() is None and "applying migration" not in log(second), log(second)

        first.process.kill()
        first.process.wait()
        second.wait_until_started()
        first.overrides.pop("QOLTANBA_TEST_PAUSE")
        first.start(free_port())

        for server in (first, second):
            assert requests.get(server.url + "/health/ready", timeout=10).status_code == 200
            created = requests.post(server.url + "/api/v1/session/create/", headers={"x-api-key": second.key},
                                    json={"iin": "871008401427", "phone": "77011234567"}, timeout=30)
            assert created.status_code == 200, created.text
        # The first instance was killed before committing anything: the second applied every migration, each once,
        # and the first, started again, had none left to apply.
        recorded = recorded_migrations(database, schema)
        assert sorted(recorded) == sorted(re.findall(r"migration=([\w.]+) .*applying migration", log(second)))
        assert len(recorded) == len(set(recorded)) == len(DEFINED.findall(MIGRATIONS.read_text())), recorded
        assert "applying migration" not in log(first)
    finally:
        for server in (first, second):
            if server is not None:
                server.stop()
    for server in (first, second):
        assert not secrets_in_log(log(server)), secrets_in_log(log(server))[:5]
