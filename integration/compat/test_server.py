"""The running server: limits over a real socket, the start banner, and the OpenAPI document."""
import base64
import re
import subprocess

import requests
from openapi_spec_validator import validate

from qoltanba_server import Server, free_port, minimal_pdf

TEST_CITIZENS = {
    "871008401427": ("77011234567", "success"),
    "760212350620": ("77021234567", "success"),
    "800416300257": ("77051234567", "lv"),
    "900101300007": ("77071234567", "f2f"),
    "850515400002": ("77761234567", "lv-unavailable"),
    "000229500008": ("77771234567", "request"),
}


def create_session(server, key=None):
    response = requests.post(server.url + "/api/v1/session/create/", headers={"x-api-key": key or server.key},
                             json={"iin": "871008401427", "phone": "77011234567"})
    assert response.status_code == 200, response.text
    return response.json()["session_id"]


def test_banner_lists_the_url_key_and_test_citizens(server):
    banner = server.stdout.read_text()
    assert server.url in banner
    for iin, (phone, outcome) in TEST_CITIZENS.items():
        assert re.search(rf"{iin}\s+{phone}\s+{re.escape(outcome)}\s", banner), iin


def test_demo_organization_and_key_survive_a_restart(tmp_path):
    first = Server(tmp_path, free_port())
    first.stop()
    saved = (tmp_path / "sandbox-api-key").read_text().strip()
    assert saved == first.key
    assert (tmp_path / "sandbox-api-key").stat().st_mode & 0o077 == 0
    second = Server(tmp_path, free_port())
    try:
        assert second.key == first.key
        assert create_session(second)
    finally:
        second.stop()


def test_sandbox_upload_limit_is_30_kb(server):
    session_id = create_session(server)
    url = server.url + "/api/v1/session/documents/upload/base64/"
    fits = minimal_pdf(padding=30 * 1024 - len(minimal_pdf()))
    assert len(fits) == 30 * 1024
    response = requests.post(url, headers={"x-api-key": server.key}, json={
        "session_id": session_id, "name": "fits.pdf", "base64_file": base64.b64encode(fits).decode()})
    assert response.status_code == 200, response.text

    too_large = minimal_pdf(padding=30 * 1024 + 1 - len(minimal_pdf()))
    response = requests.post(url, headers={"x-api-key": server.key}, json={
        "session_id": session_id, "name": "big.pdf", "base64_file": base64.b64encode(too_large).decode()})
    assert response.status_code == 400
    assert response.json() == {"detail": "base64_file: the file is 30721 bytes, larger than the limit of 30720 bytes"}

    # A body far beyond any file that could fit is cut off before it is read whole.
    response = requests.post(server.url + "/api/v1/session/documents/upload/", headers={"x-api-key": server.key},
                             files={"session_id": session_id, "name": "huge.pdf", "file": b"%PDF-1.4" + b"0" * 2_000_000})
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is too large: files may be at most 30720 bytes"}

    result = requests.get(server.url + "/api/v1/session/result/", headers={"x-api-key": server.key},
                          params={"session_id": session_id}).json()
    assert [d["name"] for d in result["docs"]] == ["fits.pdf"]


def test_openapi_document_is_valid_and_lists_every_route(server):
    document = requests.get(server.url + "/swagger/openapi.json").json()
    validate(document)
    assert document["servers"] == [{"url": server.url}]
    documented = {(method.upper(), "/" + re.sub(r"\{(\w+)\}", r":\1", path.strip("/")))
                  for path, ops in document["paths"].items() for method in ops}

    # The server's own route table, as `qoltanba routes` prints it.
    listing = server.cli("routes")
    assert listing.returncode == 0, listing.stderr
    served = set()
    for line in listing.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
            served.add((cells[0], "/" + cells[1].strip("/")))
    assert served, listing.stdout
    assert documented == served

    page = requests.get(server.url + "/swagger")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for path in document["paths"]:
        assert path in page.text


def test_published_pki_verifies_with_openssl(server, tmp_path):
    for name in ["root.pem", "issuing.pem", "root.cer", "issuing.cer", "crl"]:
        response = requests.get(f"{server.url}/pki/{name}")
        assert response.status_code == 200, name
        (tmp_path / name).write_bytes(response.content)
    chain = subprocess.run(["openssl", "verify", "-CAfile", "root.pem", "issuing.pem"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert chain.returncode == 0, chain.stdout + chain.stderr
    crl = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", "crl", "-CAfile", "issuing.pem", "-noout"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert crl.returncode == 0 and "verify OK" in crl.stdout + crl.stderr, crl.stdout + crl.stderr
    der = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", "root.cer", "-noout", "-subject"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert "Qoltanba Sandbox Root CA" in der.stdout
    assert (server.data_dir / "master.key").stat().st_mode & 0o077 == 0


def test_verify_endpoint_refuses_what_is_not_a_cms(server):
    response = requests.post(server.url + "/api/v1/signature/verify/", headers={"x-api-key": server.key},
                             json={"cms": base64.b64encode(b"hello").decode()})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("cms: not a CMS SignedData")
