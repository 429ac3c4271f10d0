"""deploy/compose.yaml's settings and deploy/Caddyfile, run here without Docker (`make test-scale`, inside a throwaway
cluster: QOLTANBA_TEST_DATABASE_URL).

Two production instances start with the compose file's environment, the example settings and the secrets
deploy/make-secrets.sh makes, given as files (as compose mounts them); Caddy runs the Caddyfile in front of them. Requests through the proxy reach both instances,
an API key made through one works through the proxy, and when one instance stops (SIGTERM: it drains) every request
through the proxy is still answered by the other."""
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qoltanba_server import ROOT, Server, free_port, secrets_in_log  # noqa: E402

DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
INSTANCES = ["qoltanba-1", "qoltanba-2"]
SECRET_VARIABLES = {"QOLTANBA_DATABASE_URL", "QOLTANBA_MASTER_KEY", "QOLTANBA_REGISTRY_TOKEN", "QOLTANBA_LIVENESS_TOKEN",
                    "QOLTANBA_FACE_MATCH_TOKEN", "QOLTANBA_SMS_TOKEN"}


def test_the_compose_file_gives_secrets_as_files_and_names_every_instance():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "proxy", *INSTANCES}
    first, second = (services[name] for name in INSTANCES)
    assert first == second and first["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    environment = first["environment"]
    assert environment["QOLTANBA_MODE"] == "production"
    for variable in SECRET_VARIABLES:
        assert variable not in environment, f"{variable} is given in the clear"
        path = environment[variable + "_FILE"]
        name = path.removeprefix("/run/secrets/")
        assert name in first["secrets"] and name in COMPOSE["secrets"], path
    # Only the proxy may name the client; it reaches every instance on the port the image serves.
    proxy = services["proxy"]
    assert environment["QOLTANBA_TRUSTED_PROXIES"] == proxy["networks"]["internal"]["ipv4_address"]
    assert proxy["environment"]["QOLTANBA_UPSTREAMS"].split() == [f"{name}:8080" for name in INSTANCES]
    # Requests in flight finish before compose's SIGKILL (the server's grace is 20 s by default).
    assert int(first["stop_grace_period"].removesuffix("s")) > 20
    # The database password is one secret for PostgreSQL and the URL the instances read.
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/database_password"


def example_settings():
    lines = (DEPLOY / "qoltanba.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def make_secrets(tmp_path):
    """deploy/make-secrets.sh run as an operator would, answering its questions for the provider tokens."""
    script = tmp_path / "make-secrets.sh"
    shutil.copy(DEPLOY / "make-secrets.sh", script)
    tokens = "".join(secrets.token_urlsafe(24) + "\n" for _ in range(4))
    made = subprocess.run(["bash", str(script)], input=tokens, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(path.name for path in folder.iterdir()) == sorted(COMPOSE["secrets"])
    return folder


def instance_environment(tmp_path, database, proxy_url):
    """The compose file's environment for an instance, its secrets made by make-secrets.sh as compose mounts them
    (but the database URL, which names this test's PostgreSQL)."""
    folder = make_secrets(tmp_path)
    assert (folder / "database_url").read_text().startswith("postgres://qoltanba:")
    (folder / "database_url").write_text(database)
    environment = dict(COMPOSE["services"][INSTANCES[0]]["environment"])
    for variable, path in list(environment.items()):
        if variable.endswith("_FILE"):
            environment[variable] = str(folder / path.removeprefix("/run/secrets/"))
    environment.update(example_settings())
    environment.update({
        "QOLTANBA_PUBLIC_URL": proxy_url, "QOLTANBA_TRUSTED_PROXIES": "127.0.0.1",
        "QOLTANBA_DATABASE_SCHEMA": "deploy_" + uuid.uuid4().hex[:8],
        # Logs in text, as every suite's are searched.
        "QOLTANBA_LOG_FORMAT": "text",
    })
    return environment


def metric(server, pattern):
    text = requests.get(server.metrics_url, timeout=10).text
    return sum(float(value) for value in re.findall(pattern + r" ([0-9.e+]+)$", text, re.MULTILINE))


def test_two_production_instances_behind_the_caddyfile(tmp_path):
    database = os.environ.get("QOLTANBA_TEST_DATABASE_URL")
    assert database, "run inside scripts/with-postgres.sh (make test-scale does)"
    proxy_port = free_port()
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    environment = instance_environment(tmp_path, database, proxy_url)
    servers, caddy = [], None
    try:
        for name in INSTANCES:
            (tmp_path / name).mkdir()
            metrics_port = free_port()
            server = Server(tmp_path / name, free_port(), {**environment, "QOLTANBA_METRICS_PORT": str(metrics_port)},
                            wait=False)
            servers.append(server)
            server.wait_until_up(server.data_dir)
            server.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"

        # The Caddyfile as deploy/ has it, with Caddy's admin endpoint off (its fixed port may be taken here).
        caddyfile = tmp_path / "Caddyfile"
        caddyfile.write_text("{\n\tadmin off\n}\n" + (DEPLOY / "Caddyfile").read_text())
        caddy_env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "caddy"), "XDG_CONFIG_HOME": str(tmp_path / "caddy"),
                     "QOLTANBA_SITE": proxy_url, "QOLTANBA_UPSTREAMS": " ".join(s.url.removeprefix("http://") for s in servers)}
        caddy = subprocess.Popen(["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"], env=caddy_env,
                                 stdout=subprocess.DEVNULL, stderr=open(tmp_path / "caddy.log", "w"))
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(proxy_url + "/health/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and caddy.poll() is None, (tmp_path / "caddy.log").read_text()[-2000:]
            time.sleep(0.2)

        created = servers[0].cli("org", "create", "--name", "Example Bank")
        assert created.returncode == 0, created.stderr
        key = servers[1].cli("apikey", "create", "--org", "Example Bank", "--label", "deploy").stdout.strip()
        status = "/api/v1/session/status/?session_id=" + str(uuid.uuid4())
        before = [metric(server, r'http_requests_total\{[^}]*path="/api/v1/session/status"[^}]*\}') for server in servers]
        for _ in range(20):
            answer = requests.get(proxy_url + status, headers={"x-api-key": key}, timeout=10)
            assert answer.status_code == 404 and answer.json() == {"detail": "Session not found"}, answer.text
        after = [metric(server, r'http_requests_total\{[^}]*path="/api/v1/session/status"[^}]*\}') for server in servers]
        assert all(b > a for a, b in zip(before, after)), (before, after)  # both instances answered
        # The main port serves no metrics when QOLTANBA_METRICS_PORT is set, so neither does the proxy.
        assert requests.get(proxy_url + "/metrics", timeout=10).status_code == 404

        # One instance stops (it drains): the proxy sends everything to the other, and no request fails.
        servers[0].process.terminate()
        assert servers[0].process.wait(timeout=60) == 0
        for _ in range(20):
            answer = requests.get(proxy_url + status, headers={"x-api-key": key}, timeout=20)
            assert answer.status_code == 404 and answer.json() == {"detail": "Session not found"}, answer.text
    finally:
        if caddy is not None:
            caddy.terminate()
            caddy.wait(timeout=30)
        for server in servers:
            server.stop()
    for server in servers:
        found = secrets_in_log((server.data_dir / "serve.stderr").read_text(errors="replace"))
        assert not found, found[:5]
