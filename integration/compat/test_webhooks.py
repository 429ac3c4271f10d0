"""Webhooks: a delivery that failed once is retried by the next server process after a crash."""
import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import requests

from qoltanba_server import free_port, minimal_pdf, serving

FAST_WEBHOOKS = {"QOLTANBA_WEBHOOK_POLL_SECONDS": "0.2", "QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "3",
                 "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "3"}


def start_receiver():
    """An integrator's endpoint that records every POST (time, headers, raw body) and answers 500 to the first."""
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = 500 if not received else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            received.append({"at": time.monotonic(), "headers": self.headers, "body": body, "answered": status})

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, received


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s in vain for {what}"
        time.sleep(0.1)


def webhook_row(server, org, event_id):
    """The event's row in `qoltanba webhook list`: id, event, session, state, attempts, last status, next attempt."""
    listing = server.cli("webhook", "list", "--org", org)
    assert listing.returncode == 0, listing.stderr
    rows = [line.split("\t") for line in listing.stdout.splitlines() if line.startswith(event_id)]
    assert len(rows) == 1, f"event {event_id} is not listed once:\n{listing.stdout}"
    return rows[0]


def test_a_failed_delivery_is_retried_after_a_crash_with_the_same_id_body_and_a_valid_signature(tmp_path):
    receiver, received = start_receiver()
    try:
        with serving(tmp_path, **FAST_WEBHOOKS) as server:
            org = server.banner_value(r"Demo organization: (.+)").strip()
            set_webhook = server.cli("org", "set-webhook", "--org", org,
                                     "--url", f"http://127.0.0.1:{receiver.server_port}/hooks")
            assert set_webhook.returncode == 0, set_webhook.stderr
            secret = set_webhook.stdout.strip()

            api = {"x-api-key": server.key}
            created = requests.post(server.url + "/api/v1/session/create/", headers=api, timeout=30,
                                    json={"iin": "871008401427", "phone": "77011234567"})
            assert created.status_code == 200, created.text
            session_id = created.json()["session_id"]
            uploaded = requests.post(server.url + "/api/v1/session/documents/upload/base64/", headers=api, timeout=30,
                                     json={"session_id": session_id, "name": "contract.pdf",
                                           "base64_file": base64.b64encode(minimal_pdf()).decode()})
            assert uploaded.status_code == 200, uploaded.text
            opened = requests.get(server.url + "/sign", params={"session": session_id}, timeout=30)
            assert opened.status_code == 200, f"opening the signing client: {opened.status_code} {opened.text[:300]}"

            wait_for(lambda: received, 20, "the first delivery of session.process")
            event_id = received[0]["headers"]["X-Webhook-Id"]
            # Killed only once the failed attempt is recorded; otherwise the event's claim would have to lapse first.
            wait_for(lambda: webhook_row(server, org, event_id)[3:5] == ["pending", "1"], 20,
                     "the failed first attempt to be recorded")
            server.restart_after_crash()
            restarted_at = time.monotonic()
            wait_for(lambda: len(received) >= 2, 20, "the restarted server to deliver the event again")

            first, second = received[:2]
            assert [first["answered"], second["answered"]] == [500, 200]
            assert second["at"] > restarted_at, "the second delivery came from the killed process, before the restart"
            assert second["headers"]["X-Webhook-Id"] == event_id, "the retry has another X-Webhook-Id"
            assert second["body"] == first["body"], "the retry's body differs from the first delivery's"
            for delivery in (first, second):
                fields = [field.split("=", 1) for field in delivery["headers"]["X-Signature"].split(",")]
                t = int(dict(fields)["t"])
                assert abs(time.time() - t) <= 300, f"signature time {t} is not within 300 s of now"
                expected = hmac.new(secret.encode(), f"{t}.".encode() + delivery["body"], hashlib.sha256).hexdigest()
                assert ["v1", expected] in fields, f"no v1= signature verifies with the printed secret: {fields}"
            payload = json.loads(second["body"])
            assert payload["id"] == event_id, "the body's id is not the X-Webhook-Id"
            assert {k: payload[k] for k in ("event", "session_id", "status", "success", "failure_reason", "metadata")} \
                == {"event": "session.process", "session_id": session_id, "status": "PROCESS", "success": False,
                    "failure_reason": None, "metadata": None}, payload

            wait_for(lambda: webhook_row(server, org, event_id)[3] == "delivered", 10, "the delivery to be recorded")
            assert webhook_row(server, org, event_id) == [event_id, "session.process", session_id, "delivered", "2",
                                                          "200", "-"], "webhook list after the restart"
            assert len(received) == 2, f"delivered {len(received)} times, not twice"
    finally:
        receiver.shutdown()
