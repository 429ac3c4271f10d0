"""Three `qoltanba serve` instances on one PostgreSQL, every request sent to one of them at random (`make test-scale`,
inside a throwaway cluster: QOLTANBA_TEST_DATABASE_URL).

Every flow completes; each citizen gets exactly one certificate; each webhook event is delivered once; sessions nobody
opens expire once; all instances serve the same CRL; a revoked API key stops on every instance within 5 s."""
import base64
import collections
import json
import os
import random
import secrets
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qoltanba_server import Signer, minimal_pdf, serving  # noqa: E402

CITIZENS = [("871008401427", "77011234567"), ("760212350620", "77021234567")]  # sandbox outcome: success
FAILING = ("800416300257", "77051234567")  # sandbox outcome: the liveness check fails
SESSIONS_PER_CITIZEN = 3
UNOPENED = 3
TTL = 40


class Receiver(BaseHTTPRequestHandler):
    deliveries = collections.Counter()
    events = {}
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        event = json.loads(body)
        with self.lock:
            self.deliveries[self.headers["X-Webhook-Id"]] += 1
            self.events[self.headers["X-Webhook-Id"]] = event
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    database = os.environ.get("QOLTANBA_TEST_DATABASE_URL")
    assert database, "run inside scripts/with-postgres.sh (make test-scale does)"
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {
        "QOLTANBA_DATABASE_URL": database, "QOLTANBA_DATABASE_SCHEMA": "scale_" + uuid.uuid4().hex[:8],
        "QOLTANBA_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "QOLTANBA_SESSION_TTL_SECONDS": str(TTL), "QOLTANBA_EXPIRY_SWEEP_SECONDS": "1",
        "QOLTANBA_WEBHOOK_POLL_SECONDS": "1", "QOLTANBA_RATE_LIMIT_PER_MINUTE": "0",
    }
    with serving(tmp_path_factory.mktemp("a"), **env) as first:
        hook = first.cli("org", "set-webhook", "--org", "Demo organization",
                         "--url", f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        assert hook.returncode == 0, hook.stderr
        with serving(tmp_path_factory.mktemp("b"), **env) as second, serving(tmp_path_factory.mktemp("c"), **env) as third:
            yield [first, second, third]
    receiver.shutdown()


def api(servers, method, path, **kwargs):
    server = random.choice(servers)
    response = requests.request(method, server.url + "/api/v1/session" + path, headers={"x-api-key": servers[0].key},
                                timeout=120, **kwargs)
    assert response.status_code == 200, f"{method} {path} on {server.url}: {response.status_code} {response.text[:300]}"
    return response.json()


def new_session(servers, iin, phone):
    session = api(servers, "POST", "/create/", json={"iin": iin, "phone": phone})["session_id"]
    api(servers, "POST", "/documents/upload/base64/", json={
        "session_id": session, "name": "contract.pdf", "base64_file": base64.b64encode(minimal_pdf()).decode()})
    return session


def status(servers, session):
    return api(servers, "GET", "/status/", params={"session_id": session})


def test_flows_certificates_webhooks_expiry_and_crl(cluster):
    servers, urls = cluster, [server.url for server in cluster]
    unopened = [api(servers, "POST", "/create/", json={"iin": iin, "phone": phone})["session_id"]
                for iin, phone in CITIZENS[:1] * UNOPENED]

    def citizen_sessions(citizen):
        iin, phone = citizen
        signed = []
        for _ in range(SESSIONS_PER_CITIZEN):  # one after another: the first creates the password, the others reuse it
            session = new_session(servers, iin, phone)
            Signer(urls, session, phone).sign("Qoltanba-2024!")
            signed.append(session)
        return signed

    def failing_session(_):
        session = new_session(servers, *FAILING)
        signer = Signer(urls, session, FAILING[1])
        signer.post("documents")
        assert signer.liveness().status_code == 200
        return session

    with ThreadPoolExecutor(max_workers=4) as pool:
        signed_runs = pool.map(citizen_sessions, CITIZENS)
        failed = list(pool.map(failing_session, range(2)))
        signed = [session for run in signed_runs for session in run]

    for session in signed:
        assert status(servers, session)["status"] == "FINISHED"
        docs = api(servers, "GET", "/result/", params={"session_id": session})["docs"]
        assert len(docs) == 1 and docs[0]["sign"], session
    for session in failed:
        answer = status(servers, session)
        assert answer["status"] == "CANCELED" and answer["failure_reason"]["type"] == "LIVENESS", answer

    # Each citizen got exactly one certificate, whichever instance issued it.
    for iin, _ in CITIZENS:
        listed = servers[1].cli("cert", "list", "--iin", iin)
        assert listed.returncode == 0, listed.stderr
        assert len([line for line in listed.stdout.splitlines() if line.strip()]) == 1, listed.stdout

    # The sessions nobody opened expire once, whichever sweeper gets there.
    deadline = time.monotonic() + TTL + 30
    while time.monotonic() < deadline and any(status(servers, s)["status"] != "CANCELED" for s in unopened):
        time.sleep(1)
    for session in unopened:
        assert status(servers, session)["failure_reason"]["type"] == "EXPIRED"

    # Every event is delivered, each exactly once: PROCESS and FINISHED of the signed sessions, PROCESS and CANCELED
    # of the failed ones, CANCELED of the expired ones.
    expected = {(s, e) for s in signed for e in ("session.process", "session.finished")}
    expected |= {(s, e) for s in failed for e in ("session.process", "session.canceled")}
    expected |= {(s, "session.canceled") for s in unopened}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with Receiver.lock:
            seen = {(event["session_id"], event["event"]) for event in Receiver.events.values()}
        if expected <= seen:
            break
        time.sleep(0.5)
    with Receiver.lock:
        pairs = collections.Counter((event["session_id"], event["event"]) for event in Receiver.events.values())
        assert set(pairs) == expected
        assert all(count == 1 for count in pairs.values()), pairs
        assert all(count == 1 for count in Receiver.deliveries.values()), Receiver.deliveries

    # Each instance reports its own database connections (counted in pg_stat_activity by its application_name).
    for server in servers:
        metrics = requests.get(server.url + "/metrics", timeout=30).text
        assert 'qoltanba_database_connections{state="in_use"}' in metrics and "qoltanba_database_connections_limit " in metrics

    # The CRL is issued once and served alike by every instance.
    crls = {requests.get(server.url + "/pki/crl", timeout=30).content for server in servers}
    assert len(crls) == 1


def test_revoked_key_stops_on_every_instance(cluster):
    created = cluster[0].cli("apikey", "create", "--org", "Demo organization", "--label", "scale")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    key_id = next(line.split("\t")[0] for line in cluster[2].cli("apikey", "list", "--org", "Demo organization").stdout.splitlines()
                  if "\tscale\t" in line)
    path = "/api/v1/session/status/?session_id=" + str(uuid.uuid4())
    for server in cluster:
        assert requests.get(server.url + path, headers={"x-api-key": key}, timeout=30).json()["detail"] == "Session not found"
    assert cluster[1].cli("apikey", "revoke", key_id).returncode == 0
    # Each instance keeps a key it read for 2 s: every one refuses it within 5 s.
    revoked = time.monotonic()
    for server in cluster:
        while True:
            answer = requests.get(server.url + path, headers={"x-api-key": key}, timeout=30)
            if answer.status_code == 404 and answer.json()["detail"] == "organization api-key not found":
                break
            assert time.monotonic() - revoked < 5, f"{server.url} still accepts the key 5 s after its revocation"
            time.sleep(0.1)
