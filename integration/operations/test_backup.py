"""`qoltanba backup --to FILE` under load, restored into a fresh data folder: every signed session's CMS verifies
and its archive builds on the restored server."""
import base64
import io
import shutil
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # integration/: qoltanba_server
from qoltanba_server import CITIZEN, PASSWORD, Signer, api, minimal_pdf, serving  # noqa: E402


def signed_session(server, document):
    """A session with `document`, signed through the signing client by the sandbox citizen."""
    session = api(server, "POST", "/create/", json={"iin": CITIZEN[0], "phone": CITIZEN[1]})["session_id"]
    api(server, "POST", "/documents/upload/base64/",
        json={"session_id": session, "name": "contract.pdf", "base64_file": base64.b64encode(document).decode()})
    Signer(server.url, session, CITIZEN[1]).sign(PASSWORD)
    return session


def verify(server, session, document, folder):
    """The session is FINISHED on `server`, its CMS verifies with OpenSSL against the server's root and holds
    `document`, and its archive downloads as a sound ZIP."""
    assert api(server, "GET", "/status/", params={"session_id": session})["status"] == "FINISHED", session
    (folder / "root.pem").write_bytes(requests.get(server.url + "/pki/root.pem", timeout=30).content)
    [doc] = api(server, "GET", "/result/", params={"session_id": session})["docs"]
    (folder / "signature.p7s").write_bytes(base64.b64decode(doc["sign"]))
    run = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", "signature.p7s", "-CAfile", "root.pem",
                          "-out", "content.bin"], cwd=folder, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (folder / "content.bin").read_bytes() == document
    archive = requests.get(server.url + "/api/v1/session/result/download/", params={"session_id": session},
                           headers={"x-api-key": server.key}, timeout=120)
    assert archive.status_code == 200, archive.text[:300]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        assert zipped.testzip() is None and zipped.namelist(), zipped.namelist()


def test_backup_under_load_restores_into_a_fresh_data_folder(tmp_path):
    live, restored, checks = tmp_path / "live", tmp_path / "restored", tmp_path / "checks"
    for folder in (live, restored, checks):
        folder.mkdir()
    documents = {}
    with serving(live, QOLTANBA_RATE_LIMIT_PER_MINUTE="0") as server:
        for index in range(2):
            document = minimal_pdf(padding=index * 1000)
            documents[signed_session(server, document)] = document

        # Load while the backup runs: new sessions with uploads, and another signature.
        stop, failures = threading.Event(), []

        def uploads():
            while not stop.is_set():
                session = api(server, "POST", "/create/", json={"iin": CITIZEN[0], "phone": CITIZEN[1]})["session_id"]
                api(server, "POST", "/documents/upload/base64/", json={
                    "session_id": session, "name": "load.pdf", "base64_file": base64.b64encode(minimal_pdf(5000)).decode()})

        def signing():
            document = minimal_pdf(padding=7777)
            documents[signed_session(server, document)] = document

        threads = [threading.Thread(target=guarded, args=(work, failures)) for work in (uploads, uploads, signing)]
        for thread in threads:
            thread.start()
        backups = []
        for index in range(3):
            target = tmp_path / f"backup-{index}.sqlite"
            run = server.cli("backup", "--to", str(target))
            assert run.returncode == 0, run.stderr
            assert run.stdout.strip() == str(target) and "master key is not in it" in run.stderr
            assert target.stat().st_mode & 0o077 == 0, oct(target.stat().st_mode)
            backups.append(target)
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
        assert not failures, failures

        # Refused: an existing file, no --to; nothing is left beside the target.
        again = server.cli("backup", "--to", str(backups[0]))
        assert again.returncode != 0 and "exists" in again.stderr
        assert server.cli("backup").returncode != 0
        assert sorted(path.name for path in tmp_path.glob("backup-*")) == [path.name for path in backups]
        master_key = (live / "master.key").read_bytes()

    for backup in backups:
        with sqlite3.connect(backup) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # The last copy taken under load, with the master key (kept apart from backups) and nothing else.
    shutil.copy(backups[-1], restored / "qoltanba.sqlite")
    (restored / "master.key").write_bytes(master_key)
    with serving(restored) as server:
        assert len(documents) == 3
        first, second, during = documents
        finished = [session for session in documents
                    if api(server, "GET", "/status/", params={"session_id": session})["status"] == "FINISHED"]
        # Signed before the backups: in every copy. Signed during them: in this copy or not, never half.
        assert finished[:2] == [first, second], finished
        for session in finished:
            verify(server, session, documents[session], checks)


def guarded(work, failures):
    try:
        work()
    except Exception as error:  # reported by the test, not lost in a thread
        failures.append(repr(error))
