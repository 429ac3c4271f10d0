"""The download of a session's stamped copies (`GET /api/v1/session/result/download/`) through the API
reference's own examples: Python (ZIP, base64) and, in Chromium from another origin, JavaScript and
TypeScript (ZIP through a download, base64). The session is signed in the signing client first; the
examples change only the reference's placeholders (its host, the API key and `<session_id>`).

Each copy is its document with one page added, the signature sheet: the signer's name and masked IIN,
and a QR code opening SERVER/check/<check_id>; its document information carries DocumentId.
"""
import base64
import re
import zipfile

import pytest

from browser_helpers import (command, create_session, logged, make_driver, minimal_pdf, new_session, page_text,
                             pdf_pages, result, run_js_example, sign_in_client, start_js_example, wait_for)
from qoltanba_server import run_python_example

# Not 871008401427: test_signing_client needs that citizen to sign for the first time.
IIN, PHONE = "760212350620", "77021234567"
NAME, MASKED_IIN = "ӨТЕГЕНОВ ЖОМАРТ", "7602******20"
# Bytes no other test signs: the server links a file signed before in the organization by its SHA-256.
DOCS = {"contract.pdf": minimal_pdf(padding=200), "annex.pdf": minimal_pdf(padding=300)}


@pytest.fixture(scope="module")
def signed(server, landing):
    """A session of DOCS that IIN has signed through the client: its create response (session_id, check_id)."""
    created = new_session(server, IIN, PHONE, DOCS)
    driver = make_driver()
    try:
        sign_in_client(driver, server, landing, created["session_id"], PHONE)
    finally:
        driver.quit()
    return created


def document_ids(server, session_id):
    """{name: id} of the session's documents, from /api/v1/session/result/."""
    return {doc["name"]: doc["id"] for doc in result(server, session_id)["docs"]}


def check_copy(path, original, document_id, check_url):
    """`path` is a valid PDF: `original` with a last page showing the signer and a QR code of `check_url`."""
    original_path = path.with_suffix(".original.pdf")
    original_path.write_bytes(original)
    pages = pdf_pages(path)
    assert pages == pdf_pages(original_path) + 1, f"{path.name} has {pages} pages, not one more than its upload"
    custom = command("pdfinfo", "-custom", path)
    assert re.search(rf"^DocumentId:\s+{document_id}$", custom, re.M), \
        f"{path.name} should carry DocumentId {document_id}, but pdfinfo -custom shows:\n{custom}"
    command("qpdf", "--check", path)
    sheet = page_text(path, pages)
    assert NAME in sheet and MASKED_IIN in sheet, f"the last page of {path.name} lacks {NAME} or {MASKED_IIN}:\n{sheet}"
    assert IIN not in sheet, f"the last page of {path.name} shows the full IIN {IIN}:\n{sheet}"
    command("pdftoppm", "-png", "-r", "150", "-f", str(pages), "-l", str(pages), "-singlefile", path,
            path.with_suffix(""))
    decoded = command("zbarimg", "--raw", "-q", path.with_suffix(".png")).strip()
    assert decoded == check_url, f"the QR code on the last page of {path.name} reads {decoded!r}, not {check_url!r}"


def test_python_zip_example(server, signed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    response, printed = run_python_example("download.py", server, **{"<session_id>": signed["session_id"]})
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    assert printed == "Archive downloaded successfully.\n", printed
    command("unzip", "-t", "documents.zip", cwd=tmp_path)
    ids = document_ids(server, signed["session_id"])
    with zipfile.ZipFile(tmp_path / "documents.zip") as archive:
        assert sorted(archive.namelist()) == sorted(DOCS), f"the archive holds {archive.namelist()}"
        archive.extractall(tmp_path / "copies")
    for name, original in DOCS.items():
        check_copy(tmp_path / "copies" / name, original, ids[name], f"{server.url}/check/{signed['check_id']}")


def check_base64_result(copies, server, session_id):
    """The JSON of in_base64=true: the session's id, and each document's id, name and copy (a PDF) in base64."""
    assert isinstance(copies, dict) and copies.get("session_id") == session_id, f"the result is {copies}"
    ids = document_ids(server, session_id)
    assert sorted((doc["name"], doc["id"]) for doc in copies["docs"]) == sorted(ids.items()), f"the docs are {copies}"
    for doc in copies["docs"]:
        assert base64.b64decode(doc["file"]).startswith(b"%PDF-"), f"{doc['name']}'s file is not a PDF in base64"


def test_python_base64_example(server, signed):
    response, printed = run_python_example("download_base64.py", server, **{"<session_id>": signed["session_id"]})
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    assert printed.startswith("Session result: {"), printed[:200]
    check_base64_result(response.json(), server, signed["session_id"])


@pytest.mark.parametrize("variant", ["", "_ts"], ids=["js", "ts"])
def test_js_zip_example(server, signed, integrator, new_driver, tmp_path, variant):
    name = f"download{variant}.js"
    driver = new_driver(download_dir=tmp_path)
    start_js_example(driver, integrator, server, name, **{"<session_id>": signed["session_id"]})
    archive = tmp_path / "documents.zip"
    wait_for(driver, lambda d: archive.exists() or logged(d), f"{archive} from {name}")
    assert not logged(driver), f"{name} logged {logged(driver)}"
    command("unzip", "-t", archive)
    assert sorted(zipfile.ZipFile(archive).namelist()) == sorted(DOCS), f"{name} downloaded {archive} with other files"


@pytest.mark.parametrize("variant", ["", "_ts"], ids=["js", "ts"])
def test_js_base64_example(server, signed, integrator, chromium, variant):
    name = f"download_base64{variant}.js"
    label, copies = run_js_example(chromium, integrator, server, name, **{"<session_id>": signed["session_id"]})
    assert label == "Session result:", f"{name} logged {[label, copies]}"
    check_base64_result(copies, server, signed["session_id"])


def test_python_zip_example_before_the_session_is_finished(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session_id = create_session(server, IIN, PHONE, DOCS)
    response, printed = run_python_example("download.py", server, **{"<session_id>": session_id})
    assert response.status_code == 404 and response.json() == {"detail": "Document file(s) not found"}, \
        f"{response.status_code} {response.text}"
    assert printed == f"Error: 404 {response.text}\n", printed
    assert not (tmp_path / "documents.zip").exists(), "an unfinished session's archive was written"
