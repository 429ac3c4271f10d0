"""kill -9 anywhere loses nothing: the server is killed with SIGKILL at the worst moments (held there by
`QOLTANBA_TEST_PAUSE`, or while a receiver holds a webhook delivery) and started again on the same data. No session
is left in a state its client cannot leave, no certificate or signature is made twice, no webhook event is lost, and
the archive downloads again."""
import base64
import io
import json
import os
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # integration/: qoltanba_server
from qoltanba_server import CITIZEN, PASSWORD, Signer, api, minimal_pdf, serving, wait_for  # noqa: E402


def new_session(server, documents=1):
    session = api(server, "POST", "/create/", json={"iin": CITIZEN[0], "phone": CITIZEN[1]})["session_id"]
    for index in range(documents):
        api(server, "POST", "/documents/upload/base64/", json={
            "session_id": session, "name": f"doc-{index}.pdf", "base64_file": base64.b64encode(minimal_pdf(index * 100)).decode()})
    return session


def paused(server):
    return "paused for a test" in (server.data_dir / "serve.stderr").read_text(errors="replace")


def kill_while(server, action, paused_check=None):
    """Starts `action` (a request the server will hold at its pause point) in a thread, waits until the server has
    paused (and `paused_check` has run, if given), kills it with SIGKILL, and starts it again on the same data without
    the pause."""
    thread = threading.Thread(target=lambda: _swallow(action), daemon=True)
    thread.start()
    wait_for(lambda: paused(server), "the pause")
    if paused_check:
        paused_check()
    server.overrides.pop("QOLTANBA_TEST_PAUSE", None)
    server.restart_after_crash()
    thread.join(timeout=30)


def _swallow(action):
    try:
        action()
    except (requests.ConnectionError, AssertionError):
        pass  # the server died under the request: that is the point


def certificates(server):
    listed = server.cli("cert", "list", "--iin", CITIZEN[0])
    assert listed.returncode == 0, listed.stderr
    return [line for line in listed.stdout.splitlines() if line.strip()]


def finish(server, signer):
    """Completes the flow from wherever the client stands after a restart, as a signer would: the request the kill
    interrupted holds the flow for at most a minute (the lease every changing request takes), after which the
    same step goes through."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        step = signer.step()
        if step == "certificate":
            signer.post("certificate")
        elif step == "sign":
            signer.post("code", otp=signer.code())
        elif step in ("done", None):
            return
        else:
            raise AssertionError(f"the client stands at {step!r} after the restart")
        if signer.step() == step:
            time.sleep(2)  # held by the interrupted request's lease
    raise AssertionError(f"the flow did not end; it stands at {signer.step()!r}")


def signer_at_certificate(server, session):
    """The sandbox citizen's signing client brought to the certificate step: identity checked, password set."""
    signer = Signer(server.url, session, CITIZEN[1])
    signer.post("documents")
    assert signer.liveness().status_code == 200
    signer.post("face-match")
    signer.post("password", password=PASSWORD, password_confirm=PASSWORD)
    signer.post("code", otp=signer.code())
    return signer


def test_kill_between_the_signatures_and_their_commit(tmp_path):
    with serving(tmp_path, QOLTANBA_TEST_PAUSE="signing-commit:120") as server:
        session = new_session(server, documents=2)
        signer = signer_at_certificate(server, session)
        signer.post("certificate")
        code = signer.code()
        kill_while(server, lambda: signer.post("code", otp=code))

        # Nothing was committed: the session is open and the client can sign again.
        assert api(server, "GET", "/status/", params={"session_id": session})["status"] != "FINISHED"
        signer.urls = [server.url]
        finish(server, signer)
        assert api(server, "GET", "/status/", params={"session_id": session})["status"] == "FINISHED"
        docs = api(server, "GET", "/result/", params={"session_id": session})["docs"]
        assert len(docs) == 2 and all(doc["sign"] for doc in docs)
        assert len(certificates(server)) == 1


def test_kill_between_a_certificate_and_its_flow(tmp_path):
    with serving(tmp_path, QOLTANBA_TEST_PAUSE="certificate-stored:120") as server:
        session = new_session(server)
        signer = signer_at_certificate(server, session)
        kill_while(server, lambda: signer.post("certificate"))

        signer.urls = [server.url]
        finish(server, signer)
        assert api(server, "GET", "/status/", params={"session_id": session})["status"] == "FINISHED"
        # The certificate issued before the kill is the one used: none is issued twice.
        assert len(certificates(server)) == 1


def test_kill_during_an_archive_download(tmp_path):
    with serving(tmp_path, QOLTANBA_TEST_PAUSE="archive-started:120") as server:
        session = new_session(server, documents=3)
        Signer(server.url, session, CITIZEN[1]).sign(PASSWORD)
        url = server.url + "/api/v1/session/result/download/"
        old_pid = server.process.pid

        def leftovers():
            return [name for name in os.listdir(tempfile.gettempdir()) if name.startswith(f"qoltanba-download-{old_pid}-")]

        def one_download_folder():
            assert len(leftovers()) == 1, leftovers()

        kill_while(server, lambda: requests.get(url, params={"session_id": session}, headers={"x-api-key": server.key},
                                               timeout=300), paused_check=one_download_folder)
        # The killed process's half-made archive (copies of signed documents) is gone from the disk.
        assert leftovers() == []

        answer = requests.get(server.url + "/api/v1/session/result/download/", params={"session_id": session},
                              headers={"x-api-key": server.key}, timeout=300)
        assert answer.status_code == 200, answer.text[:300]
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            assert archive.testzip() is None and len(archive.namelist()) == 3, archive.namelist()
            first = archive.read(archive.namelist()[0])
        # The copy stored before the kill is served as stored: its digest is the one the check page knows.
        again = requests.get(server.url + "/api/v1/session/result/download/", params={"session_id": session},
                             headers={"x-api-key": server.key}, timeout=300)
        with zipfile.ZipFile(io.BytesIO(again.content)) as archive:
            assert archive.read(archive.namelist()[0]) == first


class HoldingReceiver(BaseHTTPRequestHandler):
    """Holds the first delivery until `release` is set; answers 200 to the others. Keeps every delivery's id."""
    deliveries, release = [], threading.Event()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        HoldingReceiver.deliveries.append((self.headers.get("X-Webhook-Id"), json.loads(body)["event"]))
        if len(HoldingReceiver.deliveries) == 1:
            HoldingReceiver.release.wait(120)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_kill_during_a_webhook_delivery(tmp_path):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), HoldingReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    # A claim lapses after the receiver's timeout plus 30 s.
    with serving(tmp_path, QOLTANBA_WEBHOOK_TIMEOUT_SECONDS="1", QOLTANBA_WEBHOOK_POLL_SECONDS="0.5") as server:
        hook = server.cli("org", "set-webhook", "--org", "Demo organization",
                          "--url", f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        assert hook.returncode == 0, hook.stderr
        session = new_session(server)
        Signer(server.url, session, CITIZEN[1]).post("documents")
        wait_for(lambda: HoldingReceiver.deliveries, "the first delivery")
        server.restart_after_crash()
        HoldingReceiver.release.set()
        wait_for(lambda: len(HoldingReceiver.deliveries) >= 2, "the delivery after the restart", seconds=90)
        first, second = HoldingReceiver.deliveries[:2]
        assert first == second and first[1] == "session.process", HoldingReceiver.deliveries
        listed = server.cli("webhook", "list", "--org", "Demo organization")
        assert listed.returncode == 0 and "\tdelivered\t" in listed.stdout, listed.stdout
    receiver.shutdown()
