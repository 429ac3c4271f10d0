"""`qoltanba keys rotate-master` with real processes: the servers run with the new key and the previous one, the
command seals everything again, and then a server with the new key alone opens the CA, the webhook secret and a
returning signer's key (with the signer's password, which the rotation never needed)."""
import base64
import secrets
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # integration/: qoltanba_server
from qoltanba_server import BINARY, Signer, minimal_pdf, serving  # noqa: E402

CITIZEN = ("871008401427", "77011234567")


def new_key():
    return base64.b64encode(secrets.token_bytes(32)).decode()


def signed_session(server):
    headers = {"x-api-key": server.key}
    api = server.url + "/api/v1/session"
    session = requests.post(api + "/create/", json={"iin": CITIZEN[0], "phone": CITIZEN[1]}, headers=headers,
                            timeout=60).json()["session_id"]
    upload = requests.post(api + "/documents/upload/base64/", headers=headers, timeout=60, json={
        "session_id": session, "name": "a.pdf", "base64_file": base64.b64encode(minimal_pdf()).decode()})
    assert upload.status_code == 200, upload.text
    Signer(server.url, session, CITIZEN[1]).sign("Qoltanba-2024!")
    answer = requests.get(api + "/status/", params={"session_id": session}, headers=headers, timeout=60).json()
    assert answer["status"] == "FINISHED", answer


def rotate(data, **keys):
    env = {"PATH": "/usr/bin:/bin", "QOLTANBA_MODE": "sandbox", "QOLTANBA_DATA_DIR": str(data), **keys}
    return subprocess.run([str(BINARY), "keys", "rotate-master"], env=env, capture_output=True, text=True, timeout=300)


def test_rotation_then_the_new_key_alone(tmp_path):
    old, new = new_key(), new_key()
    with serving(tmp_path, QOLTANBA_MASTER_KEY=old) as server:
        signed_session(server)
        hook = server.cli("org", "set-webhook", "--org", "Demo organization", "--url", "http://127.0.0.1:9/hook")
        assert hook.returncode == 0, hook.stderr

    refused = rotate(tmp_path, QOLTANBA_MASTER_KEY=new)
    assert refused.returncode != 0 and "QOLTANBA_MASTER_KEY_PREVIOUS" in refused.stderr, refused.stderr
    # The servers run with both keys while the rotation runs.
    with serving(tmp_path, QOLTANBA_MASTER_KEY=new, QOLTANBA_MASTER_KEY_PREVIOUS=old) as server:
        done = rotate(tmp_path, QOLTANBA_MASTER_KEY=new, QOLTANBA_MASTER_KEY_PREVIOUS=old)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "complete"
        assert "2 CA keys" in done.stderr and "1 signer keys" in done.stderr and "1 webhook secrets" in done.stderr, done.stderr
        assert old not in done.stderr + done.stdout and new not in done.stderr + done.stdout
        signed_session(server)
    again = rotate(tmp_path, QOLTANBA_MASTER_KEY=new, QOLTANBA_MASTER_KEY_PREVIOUS=old)
    assert again.returncode == 0 and "sealed again: nothing" in again.stderr, again.stderr

    with serving(tmp_path, QOLTANBA_MASTER_KEY=new) as server:
        assert requests.get(server.url + "/health/ready", timeout=30).status_code == 200
        signed_session(server)  # the returning signer's key opens with the password under the new key alone
    stale = subprocess.run([str(BINARY), "serve", "--port", "1"], capture_output=True, text=True, timeout=120, env={
        "PATH": "/usr/bin:/bin", "QOLTANBA_DATA_DIR": str(tmp_path), "QOLTANBA_MASTER_KEY": old})
    assert stale.returncode != 0 and "cannot be opened with this master key" in stale.stderr, stale.stderr
