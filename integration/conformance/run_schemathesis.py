"""Schemathesis (4.x) against a fresh sandbox server: every check, the server's own OpenAPI document.

    python integration/conformance/run_schemathesis.py                 # short: 120 s (make test)
    python integration/conformance/run_schemathesis.py --max-time 1800 # long (make fuzz-api)
    python integration/conformance/run_schemathesis.py -- --seed 1 --phases fuzzing   # more schemathesis options

The budget is --max-time or SCHEMATHESIS_MAX_TIME (seconds), --max-examples or SCHEMATHESIS_MAX_EXAMPLES (per
operation). The binary is QOLTANBA_BINARY or .build/debug/qoltanba. Reports (JUnit, NDJSON) go to --report-dir
(default: a temporary folder, printed). Exits with schemathesis's code: non-zero on any failure.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "integration"))
from qoltanba_server import serving  # noqa: E402

CONFIG = HERE / "schemathesis.toml"
CABINET_EMAIL = "conformance@example.kz"
CABINET_PASSWORD = "Conformance-run-password-1"


def cabinet_cookie(server):
    """Creates a cabinet account of the demo organization, logs it in and sets its own password: the cookies."""
    created = server.cli("user", "create", "--org", "Demo organization", "--email", CABINET_EMAIL)
    assert created.returncode == 0, created.stderr
    one_time = created.stdout.split()[0]
    jar = {}

    def call(method, path, data=None):
        # The cookies are Secure: kept by hand, since the sandbox speaks plain http.
        response = requests.request(method, server.url + path, data=data, allow_redirects=False, timeout=30,
                                    headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            jar[name.strip()] = value
        return response

    def token(page):
        return re.search(r'name="csrf_token" value="([^"]+)"', call("GET", page).text).group(1)

    answer = call("POST", "/cabinet/login", {"csrf_token": token("/cabinet/login"), "email": CABINET_EMAIL, "password": one_time})
    assert answer.status_code == 303, answer.text
    answer = call("POST", "/cabinet/password", {
        "csrf_token": token("/cabinet/password"), "current_password": one_time,
        "new_password": CABINET_PASSWORD, "new_password_confirm": CABINET_PASSWORD})
    assert answer.status_code == 303 and answer.headers["location"].endswith("/cabinet/sessions"), answer.text
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def schemathesis_command():
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    return [found] if found else [sys.executable, "-m", "schemathesis.cli"]


def summary(report_dir, code):
    """A closing line for CI, one test an operation: `schemathesis: N passed, M failed` from the JUnit report."""
    import xml.etree.ElementTree as ElementTree
    cases = [case for report in sorted(Path(report_dir).glob("junit-*.xml"))
             for case in ElementTree.parse(report).getroot().iter("testcase")]
    failed = sum(1 for case in cases if case.find("failure") is not None or case.find("error") is not None)
    if code != 0 and failed == 0:
        failed = 1  # schemathesis failed before it could report an operation (the server went away)
    return f"schemathesis: {len(cases) - failed} passed, {failed} failed"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-time", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_TIME", "120")),
                        help="seconds for the whole run (default 120, or SCHEMATHESIS_MAX_TIME)")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "0")) or None,
                        help="test cases per operation (default: schemathesis's, or SCHEMATHESIS_MAX_EXAMPLES)")
    parser.add_argument("--workers", default=os.environ.get("SCHEMATHESIS_WORKERS", "2"))
    parser.add_argument("--report-dir", type=Path, default=None)
    parser.add_argument("extra", nargs="*", help="after --: passed on to `schemathesis run`")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qoltanba-schemathesis-") as folder:
        folder = Path(folder)
        report_dir = args.report_dir or folder / "report"
        # A high cap on documents per session: stateful runs upload many times to the sessions they create, and the
        # cap's 413 is documented but would read as a valid upload refused.
        # The rate limit is off: schemathesis makes thousands of requests a minute with one key.
        with serving(folder, scan_log=False, QOLTANBA_MAX_SESSION_DOCUMENTS="100000", QOLTANBA_RATE_LIMIT_PER_MINUTE="0") as server:
            env = {**os.environ, "QOLTANBA_API_KEY": server.key, "QOLTANBA_CABINET_COOKIE": cabinet_cookie(server)}
            command = [
                *schemathesis_command(), "--config-file", str(CONFIG), "run", server.url + "/swagger/openapi.json",
                "--max-time", str(args.max_time), "--workers", str(args.workers),
                "--report", "junit,ndjson", "--report-dir", str(report_dir), "--no-color",
            ]
            if args.max_examples:
                command += ["--max-examples", str(args.max_examples)]
            command += args.extra
            print("$", " ".join(command), flush=True)
            code = subprocess.run(command, cwd=ROOT, env=env).returncode
            if args.report_dir is None:
                kept = Path(tempfile.mkdtemp(prefix="qoltanba-schemathesis-report-"))
                shutil.copytree(report_dir, kept, dirs_exist_ok=True)
                print(f"reports: {kept}")
            print(summary(report_dir, code), flush=True)
        return code


if __name__ == "__main__":
    sys.exit(main())
