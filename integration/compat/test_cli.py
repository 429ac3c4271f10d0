"""The operator CLI: results alone on stdout, messages on stderr, non-zero exits with a clear message."""
import base64
import re
import subprocess
import uuid

import time

import requests

from qoltanba_server import BINARY, wait_for

UUID_LINE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$")


def test_org_and_api_key_lifecycle(server):
    name = f"Bank {uuid.uuid4().hex[:8]}"
    created = server.cli("org", "create", "--name", name)
    assert created.returncode == 0, created.stderr
    assert UUID_LINE.match(created.stdout), created.stdout
    org_id = created.stdout.strip()

    # By name and by id; the key alone on stdout.
    key_run = server.cli("apikey", "create", "--org", name, "--label", "backend")
    assert key_run.returncode == 0, key_run.stderr
    key = key_run.stdout.strip()
    assert re.fullmatch(r"qk_[A-Za-z0-9_-]{43}", key) and key_run.stdout == key + "\n"
    assert key not in key_run.stderr
    second = server.cli("apikey", "create", "--org", org_id).stdout.strip()
    assert second != key

    session = requests.post(server.url + "/api/v1/session/create/", headers={"x-api-key": key},
                            json={"iin": "760212350620", "phone": "77021234567"})
    assert session.status_code == 200, session.text

    def backend_row():
        listing = server.cli("apikey", "list", "--org", org_id)
        assert listing.returncode == 0, listing.stderr
        rows = [line.split("\t") for line in listing.stdout.splitlines()]
        assert len(rows) == 2
        assert key not in listing.stdout and all(len(row) == 6 for row in rows)
        return next(row for row in rows if row[2] == "backend")

    # The server writes when a key was last used every 10 s (a request never writes for it).
    wait_for(lambda: backend_row()[4] != "-", "the key's last use to be written", seconds=20)
    row = backend_row()
    assert key.startswith(row[1]) and row[5] == "active"

    revoked = server.cli("apikey", "revoke", row[0])
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == ""
    # The server keeps a key it read for 2 s: the revocation reaches it within that.
    deadline = time.monotonic() + 5
    while True:
        after = requests.post(server.url + "/api/v1/session/create/", headers={"x-api-key": key},
                              json={"iin": "760212350620", "phone": "77021234567"})
        if after.status_code == 404 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after.status_code == 404
    assert after.json() == {"detail": "organization api-key not found"}
    assert "revoked" in server.cli("apikey", "list", "--org", name).stdout
    # The other key of the organization still works.
    assert requests.get(server.url + "/api/v1/session/status/", headers={"x-api-key": second},
                        params={"session_id": session.json()["session_id"]}).status_code == 200


def test_mistakes_exit_non_zero_with_a_message(server):
    for args, message in [
        (["org", "create"], "--name is required"),
        (["apikey", "create", "--org", "No such organization"], "no organization has the id or name"),
        (["apikey", "list", "--org", str(uuid.uuid4())], "no organization has the id or name"),
        (["apikey", "revoke", str(uuid.uuid4())], "no API key has the id"),
    ]:
        run = server.cli(*args)
        assert run.returncode != 0, args
        assert run.stdout == "", args
        assert message in run.stderr, (args, run.stderr)

    name = f"Duplicate {uuid.uuid4().hex[:8]}"
    assert server.cli("org", "create", "--name", name).returncode == 0
    again = server.cli("org", "create", "--name", name)
    assert again.returncode != 0 and "already exists" in again.stderr


def test_migrate_is_a_command_too(server):
    run = server.cli("migrate", "--yes")
    assert run.returncode == 0, run.stderr
    # Qoltanba's own command (each migration committed with its record), not Fluent's.
    assert "every migration was already applied" in run.stderr, run.stderr


def test_cert_commands_check_their_input(server):
    listing = server.cli("cert", "list")
    assert listing.returncode == 0, listing.stderr
    assert "SERIAL\tIIN" in listing.stderr
    for args, message in [
        (["cert", "list", "--iin", "871008401428"], "iin: the control digit does not match"),
        (["cert", "revoke", "DEADBEEF"], "no certificate has the serial 'DEADBEEF'"),
        (["cert", "revoke", "DEADBEEF", "--reason", "bored"], "--reason must be one of unspecified, key-compromise"),
    ]:
        run = server.cli(*args)
        assert run.returncode != 0, args
        assert run.stdout == "", args
        assert message in run.stderr, (args, run.stderr)


def test_production_refuses_to_start_without_a_master_key(server, tmp_path):
    env = {**server.env, "QOLTANBA_MODE": "production", "QOLTANBA_DATA_DIR": str(tmp_path),
           "QOLTANBA_DATABASE_URL": str(tmp_path / "production.sqlite")}
    env.pop("QOLTANBA_MASTER_KEY", None)
    run = subprocess.run([str(BINARY), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "QOLTANBA_MASTER_KEY is required in production mode" in run.stderr
    assert not (tmp_path / "master.key").exists()
    env["QOLTANBA_MASTER_KEY"] = base64.b64encode(bytes(32)).decode()
    run = subprocess.run([str(BINARY), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "QOLTANBA_MASTER_KEY is not a random key" in run.stderr
    assert env["QOLTANBA_MASTER_KEY"] not in run.stderr


def test_cabinet_accounts(server):
    name = f"Staffed {uuid.uuid4().hex[:8]}"
    assert server.cli("org", "create", "--name", name).returncode == 0
    email = f"Anna.{uuid.uuid4().hex[:8]}@Bank.example"

    created = server.cli("user", "create", "--org", name, "--email", email)
    assert created.returncode == 0, created.stderr
    password = created.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9]{16}", password) and created.stdout == password + "\n"
    assert password not in created.stderr and email.lower() in created.stderr

    listing = server.cli("user", "list", "--org", name)
    assert listing.returncode == 0, listing.stderr
    rows = [line.split("\t") for line in listing.stdout.splitlines()]
    assert len(rows) == 1 and rows[0][0] == email.lower() and rows[0][2:] == ["-", "one-time"], listing.stdout
    assert password not in listing.stdout

    reset = server.cli("user", "reset-password", "--email", email.upper())
    assert reset.returncode == 0, reset.stderr
    assert re.fullmatch(r"[A-Za-z0-9]{16}\n", reset.stdout) and reset.stdout.strip() != password

    deleted = server.cli("user", "delete", "--email", email)
    assert deleted.returncode == 0 and deleted.stdout == "", deleted.stderr
    assert server.cli("user", "list", "--org", name).stdout == ""

    taken = f"taken.{uuid.uuid4().hex[:8]}@bank.example"
    assert server.cli("user", "create", "--org", name, "--email", taken).returncode == 0
    for args, message in [
        (["user", "delete", "--email", email], "no account has the email"),
        (["user", "create", "--org", name, "--email", taken.upper()], "already exists"),
        (["user", "create", "--org", name, "--email", "not an address"], "is not an email address"),
        (["user", "create", "--org", name], "--email is required"),
        (["user", "create", "--email", "x@bank.example"], "--org is required"),
        (["user", "create", "--org", "No such organization", "--email", "y@bank.example"], "no organization has the id or name"),
        (["user", "reset-password", "--email", "nobody@bank.example"], "no account has the email"),
    ]:
        run = server.cli(*args)
        assert run.returncode != 0, args
        assert run.stdout == "", args
        assert message in run.stderr, (args, run.stderr)
