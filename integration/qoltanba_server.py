"""A real `qoltanba serve` (sandbox, SQLite in a temporary folder), shared by the Python test suites."""
import base64
import contextlib
import json
import io
import os
import random
import re
import socket
import subprocess
import struct
import time
import zlib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BINARY = Path(os.environ.get("QOLTANBA_BINARY", ROOT / ".build" / "debug" / "qoltanba"))
PYTHON_EXAMPLES = ROOT / "integration" / "compat" / "reference_examples"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`qoltanba serve` on `port` with its data in `data_dir`; `env` adds or overrides variables."""

    def __init__(self, data_dir, port, env=None, wait=True):
        self.data_dir = data_dir
        self.overrides = dict(env or {})
        self.start(port, wait)

    def start(self, port, wait=True):
        """Starts a `qoltanba serve` process on `port` and, unless told not to, waits until it answers."""
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "QOLTANBA_MODE": "sandbox",
            "QOLTANBA_DATA_DIR": str(self.data_dir),
            "QOLTANBA_PUBLIC_URL": self.url,
            # Every suite's servers log at trace, and what they logged is searched for secrets when they stop.
            "QOLTANBA_LOG_LEVEL": "trace",
        }
        self.env.pop("QOLTANBA_DATABASE_URL", None)
        self.env.update(self.overrides)
        self.stdout = self.data_dir / "serve.stdout"
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--hostname", "127.0.0.1", "--port", str(port)],
            env=self.env, stdout=open(self.stdout, "w"), stderr=open(self.data_dir / "serve.stderr", "w"),
        )
        if wait:
            self.wait_until_started()

    def wait_until_started(self):
        """Waits until the server answers and has printed its demo API key; stops it if it does not."""
        try:
            self.wait_until_up(self.data_dir)
            self.key = self.banner_value(r"Demo API key \(x-api-key\): (\S+)")
        except BaseException:
            self.stop()
            raise

    def restart_after_crash(self, port=None):
        """Kills the process (SIGKILL: no shutdown of any kind) and starts a new one with the same data folder and
        environment, on `port` or a free one."""
        self.process.kill()
        self.process.wait()
        self.start(port or free_port())

    def wait_until_up(self, data_dir):
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("qoltanba serve did not start: " + (data_dir / "serve.stderr").read_text())
            time.sleep(0.2)

    def banner_value(self, pattern):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            match = re.search(pattern, self.stdout.read_text())
            if match:
                return match.group(1)
            time.sleep(0.1)
        raise AssertionError("not in the start banner: " + pattern)

    def cli(self, *args):
        """Runs an operator command on the server's data folder."""
        return subprocess.run([str(BINARY), *args], env=self.env, capture_output=True, text=True, timeout=120)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


SANDBOX_IINS = [citizen["iin"] for citizen in json.loads(
    (ROOT / "Sources" / "QoltanbaServer" / "Resources" / "sandbox-citizens.json").read_text())]
# What no log line may hold: API keys, the test suites' passwords, full IINs, private keys, photos (base64 of
# PNG or JPEG), SMS codes as the sandbox words them.
SECRETS = [re.compile(pattern) for pattern in (
    r"qk_[A-Za-z0-9]{16,}", r"Qoltanba-2024!", r"Cabinet-pass-2024!", "|".join(SANDBOX_IINS), r"PRIVATE KEY",
    r"iVBORw0KGgo", r"/9j/4", r"(?i)code[^0-9a-z]{1,12}[0-9]{6}\b")]


def secrets_in_log(text):
    """The lines of a server's log that hold a secret, with the pattern each matched."""
    return [(pattern.pattern, line[:300]) for line in text.splitlines() for pattern in SECRETS if pattern.search(line)]


# The sandbox citizen whose checks all pass, and the password the suites give it.
CITIZEN = ("871008401427", "77011234567")
PASSWORD = "Qoltanba-2024!"


def api(server, method, path, **kwargs):
    """An integrator call to `/api/v1/session` + `path` with the server's demo key: asserts a 200, returns the JSON."""
    answer = requests.request(method, server.url + "/api/v1/session" + path, headers={"x-api-key": server.key},
                              timeout=120, **kwargs)
    assert answer.status_code == 200, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
    return answer.json()


def wait_for(predicate, what, seconds=60):
    """Waits until `predicate()` holds, checking every 0.1 s; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextlib.contextmanager
def serving(data_dir, scan_log=True, **env):
    """A started server on a free port, stopped on exit: `with serving(tmp, QOLTANBA_SESSION_TTL_SECONDS="3") as s:`.
    On exit its log (standard error and output, at trace) must hold no secret."""
    assert BINARY.exists(), f"{BINARY} is missing: build first (make test does)"
    server = Server(data_dir, free_port(), env)
    try:
        yield server
    finally:
        server.stop()
        # A fuzzing run (scan_log=False) sends such strings itself, and the request paths are logged.
        found = secrets_in_log((data_dir / "serve.stderr").read_text(errors="replace")) if scan_log else []
        assert not found, f"secrets in the server's log: {found[:5]}"


def minimal_pdf(padding=0):
    """A complete one-page PDF; `padding` spaces before %%EOF make it as large as needed."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\n" + b" " * padding + b"startxref\n%d\n%%%%EOF\n" % xref
    return out


def png(width=320, height=240):
    """A real RGB PNG (a gradient): a camera frame for the liveness step."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"".join(bytes((x % 256, y % 256, 128)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Signer:
    """The signing client's automation contract over plain HTTP, the Secure cookie sent by hand. `urls` is one
    server's address, or several instances' (each request then goes to one of them at random)."""

    def __init__(self, urls, session_id, phone):
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.session_id, self.phone, self.headers = session_id, phone, {}
        opened = requests.get(self.url("/sign"), params={"session": session_id}, allow_redirects=False, timeout=60)
        match = re.search(rf"qoltanba-{session_id}=([^;]+)", opened.headers.get("Set-Cookie", ""), re.I)
        assert match, f"GET /sign set no cookie: {opened.status_code} {opened.headers}"
        self.headers = {"Cookie": f"qoltanba-{session_id}={match.group(1)}"}

    def url(self, path):
        return random.choice(self.urls) + path

    def step(self):
        page = requests.get(self.url("/sign"), params={"session": self.session_id}, headers=self.headers, timeout=60)
        match = re.search(r'data-step="([^"]+)"', page.text)
        return match and match.group(1)

    def post(self, action, **form):
        response = requests.post(self.url(f"/sign/{self.session_id}/{action}"), data=form, headers=self.headers,
                                 allow_redirects=False, timeout=300)
        assert response.status_code in (302, 303), f"POST {action}: {response.status_code} {response.text[:300]}"
        assert "notice=" not in response.headers["Location"], f"POST {action}: {response.headers['Location']}"
        return response

    def code(self):
        messages = requests.get(self.url("/sandbox/sms.json"), params={"phone": self.phone}, timeout=30).json()
        return messages[0]["code"]

    def liveness(self):
        frame = base64.b64encode(png()).decode()
        return requests.post(self.url(f"/sign/{self.session_id}/liveness"), json={"frames": [frame] * 3},
                             headers=self.headers, allow_redirects=False, timeout=60)

    def sign(self, password):
        """Every step of a citizen whose checks pass, first-time or returning, up to the signature."""
        self.post("documents")
        response = self.liveness()
        assert response.status_code == 200, f"POST liveness: {response.status_code} {response.text[:300]}"
        self.post("face-match")
        if self.step() == "password":
            self.post("password", password=password)
        else:
            self.post("password", password=password, password_confirm=password)
            self.post("code", otp=self.code())
        self.post("certificate")
        self.post("code", otp=self.code())


def run_python_example(name, server, **placeholders):
    """Runs the API reference's Python example `name` (in PYTHON_EXAMPLES) in this process and working directory,
    changing only what the reference marks as placeholders: its host, the API key and the `<…>` values.
    Returns the example's `response` and what it printed."""
    code = (PYTHON_EXAMPLES / name).read_text()
    code = code.replace("https://dev.b-key.kz", server.url).replace("API_KEY", server.key)
    for placeholder, value in placeholders.items():
        assert placeholder in code, f"{placeholder} is not in {name}"
        code = code.replace(placeholder, value)
    namespace = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, name, "exec"), namespace)
    return namespace["response"], output.getvalue()
