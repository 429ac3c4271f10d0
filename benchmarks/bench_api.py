"""Throughput and memory of the integrator API (`make bench-api`): a benchmark that prints figures, not a test.

For each database (SQLite in a temporary folder; PostgreSQL when QOLTANBA_BENCH_POSTGRES_URL names one,
as `make bench-api` does with a throwaway cluster at its default durability) a release `qoltanba serve`
is started and `wrk` runs against a plain route and each integrator route. Absolute figures move by
±30 % between runs on a shared machine, so every route is also printed as a ratio to the plain route
measured in the same run, beside the goal. Then, on a fresh server per figure, the peak RSS growth of
one 20 MB upload (multipart and base64) is read from /proc, as a multiple of the file's size.
"""
import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from qoltanba_server import Signer, minimal_pdf, serving  # noqa: E402

IIN, PHONE = "871008401427", "77011234567"
MB = 1_000_000
SESSIONS = 400  # sessions the status, result and upload routes rotate through

# route: (goal as a ratio to the plain route, p99 limit in ms or None)
GOALS = {
    "create": (0.4, 50),
    "status": (0.6, None),
    "result": (None, None),
    "upload multipart": (0.2, None),
    "upload base64": (0.2, None),
}

REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("@@ %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status, errors))
end
"""


def lua_list(values):
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def script(key, method="GET", path=None, body=None, paths=None, bodies=None, content_type="application/json"):
    """A wrk script: one fixed request, or one of `paths` / `bodies` in turn."""
    lines = [f'wrk.method = "{method}"', f'wrk.headers["x-api-key"] = "{key}"',
             f'wrk.headers["Content-Type"] = "{content_type}"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    if path is not None:
        lines.append(f'wrk.path = "{path}"')
    if paths or bodies:
        lines.append(f"local items = {lua_list(paths or bodies)}")
        lines.append("local n = 0")
        lines.append("request = function()")
        lines.append("  n = n % #items + 1")
        if paths:
            lines.append("  return wrk.format(nil, items[n])")
        else:
            lines.append("  return wrk.format(nil, nil, nil, items[n])")
        lines.append("end")
    return "\n".join(lines) + "\n" + REPORT


def wrk(url, lua, seconds, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", handle.name, url],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    match = re.search(r"^@@ (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if not match:
        raise RuntimeError("wrk printed no report:\n" + out)
    requests_, duration, p50, p99, bad_status, errors = map(int, match.groups())
    return {"rps": requests_ / (duration / 1e6), "p50": p50 / 1000, "p99": p99 / 1000,
            "non2xx": bad_status, "errors": errors, "requests": requests_}


def prepare_sessions(server, count):
    headers = {"x-api-key": server.key}
    ids = []
    for _ in range(count):
        answer = requests.post(server.url + "/api/v1/session/create/", json={"iin": IIN, "phone": PHONE}, headers=headers)
        answer.raise_for_status()
        ids.append(answer.json()["session_id"])
    return ids


def multipart(session, pdf, boundary):
    parts = []
    for name, filename, data in (("session_id", "session_id", session.encode()), ("name", "name", b"bench.pdf"),
                                 ("file", "bench.pdf", pdf)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n'
                     .encode() + data + b"\r\n")
    return (b"".join(parts) + f"--{boundary}--\r\n".encode()).decode("latin-1")


def throughput(label, env, seconds, connections):
    pdf = minimal_pdf(padding=600 - len(minimal_pdf()))
    rows = []
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder), **env) as server:
        sessions = prepare_sessions(server, SESSIONS)
        key, url = server.key, server.url
        boundary = "qoltanba-bench-boundary"
        plans = [
            ("plain GET /pki/root.pem", script(key, path="/pki/root.pem")),
            ("health GET /health", script(key, path="/health")),
            ("create", script(key, "POST", "/api/v1/session/create/", json.dumps({"iin": IIN, "phone": PHONE}))),
            ("status", script(key, paths=[f"/api/v1/session/status/?session_id={s}" for s in sessions])),
            ("result", script(key, paths=[f"/api/v1/session/result/?session_id={s}" for s in sessions])),
            ("upload base64", script(key, "POST", "/api/v1/session/documents/upload/base64/", bodies=[
                json.dumps({"session_id": s, "name": "bench.pdf", "base64_file": base64.b64encode(pdf).decode()})
                for s in sessions])),
            ("upload multipart", script(key, "POST", "/api/v1/session/documents/upload/", bodies=[
                multipart(s, pdf, boundary) for s in sessions], content_type=f"multipart/form-data; boundary={boundary}")),
        ]
        for name, lua in plans:
            conns = 16 if name.startswith("upload") else connections
            rows.append((name, conns, wrk(url, lua, seconds, conns)))
    plain = rows[0][2]["rps"]
    print(f"\n{label}: {seconds} s per route, wrk -t2; ratio = route rps / plain route rps in this run")
    print(f"{'route':26} {'conns':>5} {'rps':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}  {'goal':14} {'bad':>5}")
    for name, conns, r in rows:
        ratio = r["rps"] / plain
        goal, p99_limit = GOALS.get(name, (None, None))
        wanted = ""
        if goal is not None:
            met = ratio >= goal and (p99_limit is None or r["p99"] < p99_limit)
            wanted = f"≥{goal}×" + (f", p99<{p99_limit}" if p99_limit else "") + (" ok" if met else " MISSED")
        print(f"{name:26} {conns:>5} {r['rps']:>8.0f} {r['p50']:>7.1f} {r['p99']:>7.1f} {ratio:>6.2f}  {wanted:14} "
              f"{r['non2xx'] + r['errors']:>5}")


def mixed(label, env, seconds):
    """Status under `wrk -c8` while two signing flows a second run end to end through the step endpoints (each
    runs scrypt twice): one thread per sandbox citizen, one flow a second each, so that their SMS codes never mix."""
    citizens = [("871008401427", "77011234567"), ("760212350620", "77021234567")]
    pdf = base64.b64encode(minimal_pdf()).decode()
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder), **env) as server:
        headers = {"x-api-key": server.key}
        sessions = prepare_sessions(server, 50)
        stop, done, failed = threading.Event(), [], []

        def flows(iin, phone):
            while not stop.is_set():
                started = time.monotonic()
                try:
                    session = requests.post(server.url + "/api/v1/session/create/", headers=headers,
                                            json={"iin": iin, "phone": phone}, timeout=60).json()["session_id"]
                    requests.post(server.url + "/api/v1/session/documents/upload/base64/", headers=headers, timeout=60,
                                  json={"session_id": session, "name": "a.pdf", "base64_file": pdf}).raise_for_status()
                    Signer(server.url, session, phone).sign("Qoltanba-2024!")
                    done.append(time.monotonic() - started)
                except Exception as error:  # counted and shown, never hidden
                    failed.append(repr(error))
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

        # Each citizen's first flow creates the password (3 s of warm-up below), the others enter it.
        threads = [threading.Thread(target=flows, args=citizen, daemon=True) for citizen in citizens]
        for thread in threads:
            thread.start()
        time.sleep(3)
        done.clear()
        result = wrk(server.url, script(server.key, paths=[f"/api/v1/session/status/?session_id={s}" for s in sessions]),
                     seconds, 8)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    flows_per_second = len(done) / seconds
    print(f"\n{label}, mixed: status under wrk -c8 while signing flows run end to end")
    print(f"  status {result['rps']:.0f} rps, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms (goal p99 < 50 ms"
          f"{' ok' if result['p99'] < 50 else ' MISSED'}); {flows_per_second:.1f} flows/s completed"
          f" (2 asked), {len(failed)} failed{': ' + failed[0] if failed else ''}")


def rss(pid, field):
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def memory(label, fresh_env):
    size = 20 * MB
    pdf = minimal_pdf(padding=size - len(minimal_pdf()))
    encoded = base64.b64encode(pdf).decode()
    print(f"\n{label}: peak RSS growth of {size // MB} MB uploads, on a fresh server each")
    for kind, count in (("multipart", 1), ("base64", 1), ("base64", 8)):
        with tempfile.TemporaryDirectory() as folder, serving(Path(folder), QOLTANBA_MAX_UPLOAD_BYTES=str(25 * MB),
                                                              **fresh_env()) as server:
            headers = {"x-api-key": server.key}
            sessions = prepare_sessions(server, count + 1)
            requests.post(server.url + "/api/v1/session/documents/upload/base64/", headers=headers, json={
                "session_id": sessions[-1], "name": "warm.pdf", "base64_file": base64.b64encode(minimal_pdf()).decode()})
            pid = server.process.pid
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            before = rss(pid, "VmRSS")
            answers = [None] * count

            def upload(index):
                # A full document pool answers 503 with Retry-After, as any client should expect.
                while True:
                    if kind == "multipart":
                        answer = requests.post(server.url + "/api/v1/session/documents/upload/", headers=headers, files={
                            "session_id": (None, sessions[index]), "name": (None, "big.pdf"), "file": ("big.pdf", pdf)})
                    else:
                        answer = requests.post(server.url + "/api/v1/session/documents/upload/base64/", headers=headers, json={
                            "session_id": sessions[index], "name": "big.pdf", "base64_file": encoded})
                    if answer.status_code != 503:
                        answers[index] = answer
                        return
                    time.sleep(float(answer.headers.get("Retry-After", "1")))

            started = time.monotonic()
            threads = [threading.Thread(target=upload, args=(index,)) for index in range(count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            for answer in answers:
                answer.raise_for_status()
            growth = rss(pid, "VmHWM") - before
            if count == 1:
                goal = 2 if kind == "multipart" else 3
                print(f"  {kind:10} growth {growth / MB:7.1f} MB = {growth / size:4.1f}× the file (goal ≤{goal}×"
                      f"{' ok' if growth / size <= goal else ' MISSED'}), {elapsed:.2f} s (goal < 1 s"
                      f"{' ok' if elapsed < 1 else ' MISSED'})")
            else:
                print(f"  {count} × {kind:6} at once: growth {growth / MB:7.1f} MB (goal < 500 MB"
                      f"{' ok' if growth < 500 * MB else ' MISSED'}), {elapsed:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--only-memory", action="store_true")
    args = parser.parse_args()
    common = {"QOLTANBA_MAX_SESSION_DOCUMENTS": "1000000", "QOLTANBA_MAX_SESSION_BYTES": str(10**12),
              "QOLTANBA_RATE_LIMIT_PER_MINUTE": "0", "QOLTANBA_LOG_LEVEL": "error"}
    # Each server gets a database of its own (a new schema on PostgreSQL): a sandbox's master key is its own.
    databases = [("SQLite", lambda: {})]
    postgres = os.environ.get("QOLTANBA_BENCH_POSTGRES_URL")
    if postgres:
        databases.append(("PostgreSQL", lambda: {"QOLTANBA_DATABASE_URL": postgres,
                                                 "QOLTANBA_DATABASE_SCHEMA": "bench_" + uuid.uuid4().hex[:8]}))
    print(f"machine: {os.cpu_count()} cores, {Path('/proc/meminfo').read_text().split()[1]} kB; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    for label, database in [] if args.only_memory else databases:
        throughput(label, {**common, **database()}, args.seconds, args.connections)
    for label, database in [] if args.only_memory else databases:
        mixed(label, {**common, **database()}, args.seconds)
    for label, database in [] if args.skip_memory else databases:
        memory(label, lambda: {**common, **database()})


if __name__ == "__main__":
    main()
