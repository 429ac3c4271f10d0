"""Several signers (the reference's "Signing a Document by Multiple Clients"): A signs a PDF in the client, the
integrator uploads A's `sign` as the document of B's session, and B co-signs it in the client.

It runs on a server of its own: both citizens sign here, and test_signing_client (which runs after this file)
needs 871008401427 to sign for the first time on the shared one.
"""
import base64
import io
import re
import zipfile

import requests

from browser_helpers import (command, download, minimal_pdf, new_session, page_text, pdf_pages, result, serving,
                             sign_in_client)

A = "871008401427", "77011234567", "НҰРЛАНОВА ӘСЕЛ", "8710******27"
B = "760212350620", "77021234567", "ӨТЕГЕНОВ ЖОМАРТ", "7602******20"
ORIGINAL = minimal_pdf(padding=200)


def only_sign(server, session_id):
    docs = result(server, session_id)["docs"]
    assert len(docs) == 1 and docs[0]["sign"], f"the session {session_id} should have one signed document: {docs}"
    return docs[0]["sign"]


def test_second_signer_cosigns_the_first_signers_cms(landing, new_driver, tmp_path):
    (tmp_path / "server").mkdir()
    with serving(tmp_path / "server") as server:
        first = new_session(server, A[0], A[1], {"contract.pdf": ORIGINAL})
        sign_in_client(new_driver(), server, landing, first["session_id"], A[1])
        second = new_session(server, B[0], B[1], {"contract.pdf": only_sign(server, first["session_id"])})
        sign_in_client(new_driver(), server, landing, second["session_id"], B[1])

        # One CMS of the original bytes, verified from the Qoltanba root, with a signerInfo for each citizen.
        (tmp_path / "root.pem").write_bytes(requests.get(server.url + "/pki/root.pem", timeout=30).content)
        (tmp_path / "both.p7s").write_bytes(base64.b64decode(only_sign(server, second["session_id"])))
        command("openssl", "cms", "-verify", "-inform", "DER", "-in", "both.p7s", "-CAfile", "root.pem",
                "-out", "content.bin", "-signer", "signers.pem", cwd=tmp_path)
        assert (tmp_path / "content.bin").read_bytes() == ORIGINAL, "the co-signed CMS does not hold the original PDF"
        command("openssl", "crl2pkcs7", "-nocrl", "-certfile", "signers.pem", "-out", "signers.p7b", cwd=tmp_path)
        subjects = command("openssl", "pkcs7", "-in", "signers.p7b", "-print_certs", "-noout", cwd=tmp_path)
        assert sorted(re.findall(r"IIN(\d{12})", subjects)) == sorted([A[0], B[0]]), \
            f"the signers should be {A[0]} and {B[0]}, each once, but they are:\n{subjects}"

        # The stamped copy's signature sheet names both.
        with zipfile.ZipFile(io.BytesIO(download(server, second["session_id"]))) as archive:
            assert archive.namelist() == ["contract.pdf"], f"the archive holds {archive.namelist()}"
            archive.extractall(tmp_path / "copies")
        copy = tmp_path / "copies" / "contract.pdf"
        sheet = page_text(copy, pdf_pages(copy))
        for iin, _, name, masked in (A, B):
            assert name in sheet and masked in sheet, f"the last page of the copy lacks {name} or {masked}:\n{sheet}"
            assert iin not in sheet, f"the last page of the copy shows the full IIN {iin}:\n{sheet}"

        # The check page lists both and recognises the file that A signed.
        check = f"{server.url}/check/{second['check_id']}"
        page = requests.get(check, timeout=30)
        assert page.status_code == 200, f"GET {check}: {page.status_code}"
        assert A[3] in page.text and B[3] in page.text, f"the check page lacks {A[3]} or {B[3]}:\n{page.text}"
        page = requests.post(check, files={"file": ("contract.pdf", ORIGINAL, "application/pdf")}, timeout=30)
        verdict = re.search(r'data-verdict="([^"]*)"', page.text)
        assert page.status_code == 200 and verdict and verdict.group(1) == "original", \
            f"POST {check} with the original PDF: {page.status_code}, verdict {verdict and verdict.group(1)}"
