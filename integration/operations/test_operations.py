"""What an operator relies on, against a real `qoltanba serve`: a SIGTERM in the middle of a load run drains the
requests in flight and exits 0; health and readiness; request ids; JSON logs; secrets read from files."""
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # integration/: qoltanba_server
from qoltanba_server import BINARY, free_port, minimal_pdf, serving  # noqa: E402

IIN, PHONE = "871008401427", "77011234567"


def test_sigterm_under_load_answers_every_accepted_request_and_exits_zero(tmp_path):
    with serving(tmp_path, QOLTANBA_RATE_LIMIT_PER_MINUTE="0", QOLTANBA_SHUTDOWN_GRACE_SECONDS="20") as server:
        headers = {"x-api-key": server.key}
        api = server.url + "/api/v1/session"
        sessions = [requests.post(api + "/create/", json={"iin": IIN, "phone": PHONE}, headers=headers).json()["session_id"]
                    for _ in range(8)]
        pdf = base64.b64encode(minimal_pdf(padding=200_000)).decode()
        statuses, stop = [], threading.Event()
        lock = threading.Lock()

        def load(index):
            client = requests.Session()  # keep-alive, as integrators' clients are
            while not stop.is_set():
                session = sessions[index % len(sessions)]
                try:
                    if index % 3 == 0:
                        answer = client.post(api + "/documents/upload/base64/", headers=headers, timeout=30, json={
                            "session_id": session, "name": "load.pdf", "base64_file": pdf})
                    elif index % 3 == 1:
                        answer = client.post(api + "/create/", json={"iin": IIN, "phone": PHONE}, headers=headers, timeout=30)
                    else:
                        answer = client.get(api + "/status/", params={"session_id": session}, headers=headers, timeout=30)
                except requests.ConnectionError:
                    # Not accepted: the listener is closed, or the connection was closed between two requests.
                    if server.process.poll() is not None:
                        return
                    time.sleep(0.05)
                    continue
                with lock:
                    statuses.append(answer.status_code)

        threads = [threading.Thread(target=load, args=(index,)) for index in range(9)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        with lock:
            before = len(statuses)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        stderr = (tmp_path / "serve.stderr").read_text()
        assert before > 50, f"the load did not run: {before} answers"
        assert all(status < 500 for status in statuses), sorted(set(statuses))
        for crash in ("Fatal error", "Unexpectedly found nil", "ConnectionPoolError"):
            assert crash not in stderr, stderr[-2000:]


def test_health_readiness_and_request_ids(tmp_path):
    with serving(tmp_path) as server:
        assert requests.get(server.url + "/health/live").json() == {"status": "ok"}
        assert requests.get(server.url + "/health/ready").json() == {"status": "ready"}
        assert requests.get(server.url + "/health").json() == {"status": "ok"}
        # The client's sane id is echoed; anything else is replaced by a new one.
        given = requests.get(server.url + "/health/live", headers={"X-Request-Id": "bank-42.a_b"})
        assert given.headers["X-Request-Id"] == "bank-42.a_b"
        for insane in ("a b", "x" * 129, "<script>", ""):
            answer = requests.get(server.url + "/api/v1/session/status/", headers={"X-Request-Id": insane})
            assert answer.status_code == 404
            assert uuid.UUID(answer.headers["X-Request-Id"]), answer.headers


def test_json_logs_carry_the_request_id_and_no_secret(tmp_path):
    with serving(tmp_path, QOLTANBA_LOG_FORMAT="json", QOLTANBA_LOG_LEVEL="trace") as server:
        headers = {"x-api-key": server.key, "X-Request-Id": "trace-me-1"}
        created = requests.post(server.url + "/api/v1/session/create/", json={"iin": IIN, "phone": PHONE}, headers=headers)
        assert created.status_code == 200, created.text
        time.sleep(0.5)
        lines = [line for line in (tmp_path / "serve.stderr").read_text().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        assert all({"time", "level", "message"} <= set(record) for record in records)
        mine = [record for record in records if record.get("request-id") == "trace-me-1"]
        assert mine, "no log line carries the request's id"
        assert any(record.get("organization.id") for record in mine)
        text = "\n".join(lines)
        assert server.key not in text and IIN not in text


def test_secrets_are_read_from_files_and_a_bad_one_stops_the_start(tmp_path):
    key_file = tmp_path / "master.key.secret"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    data = tmp_path / "data"
    data.mkdir()
    with serving(data, QOLTANBA_MASTER_KEY_FILE=str(key_file)) as server:
        assert requests.get(server.url + "/health/ready").status_code == 200
    missing = tmp_path / "missing"
    missing.mkdir()
    env = {**os.environ, "QOLTANBA_DATA_DIR": str(missing), "QOLTANBA_MASTER_KEY_FILE": str(tmp_path / "nowhere")}
    env.pop("QOLTANBA_DATABASE_URL", None)
    result = subprocess.run([str(BINARY), "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "QOLTANBA_MASTER_KEY_FILE names" in result.stderr, result.stderr


def test_metrics_on_the_main_port_or_on_their_own(tmp_path):
    (tmp_path / "main").mkdir()
    with serving(tmp_path / "main") as server:
        requests.post(server.url + "/api/v1/session/create/", json={"iin": IIN, "phone": PHONE}, headers={"x-api-key": server.key})
        text = requests.get(server.url + "/metrics").text
        assert "qoltanba_sessions_created_total 1" in text and "http_requests_total" in text
    port = free_port()
    (tmp_path / "own").mkdir()
    with serving(tmp_path / "own", QOLTANBA_METRICS_PORT=str(port)) as server:
        assert requests.get(server.url + "/metrics").status_code == 404  # the public port shows none
        own = requests.get(f"http://127.0.0.1:{port}/metrics")
        assert own.status_code == 200 and own.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "http_requests_total" in own.text
        assert requests.get(f"http://127.0.0.1:{port}/health").status_code == 404
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
