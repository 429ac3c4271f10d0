"""Hostile requests over a real socket: the check page answers before it reads a body it will not take,
unknown methods on known paths are 405, and the redirect origins command checks what it is given."""
import socket
import time
import uuid

import requests


def headers_only(server, request_line, headers):
    """Sends a request's line and headers and the first kilobyte of its promised body, nothing more; the status
    line and headers that come back (the server must answer without waiting for the rest), and how long that
    took."""
    host, port = server.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        head = request_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        connection.sendall(head.encode() + b"-" * 1024)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.decode("latin-1"), time.monotonic() - started


def check_id(server):
    """The check id of a new session (given at create)."""
    created = requests.post(server.url + "/api/v1/session/create/", headers={"x-api-key": server.key},
                            json={"iin": "871008401427", "phone": "77011234567"}).json()
    return created["check_id"]


def test_check_page_answers_before_reading_a_body_it_will_not_take(server):
    promised = {"Host": "localhost", "Content-Type": "multipart/form-data; boundary=x", "Content-Length": "100000000"}
    answer, seconds = headers_only(server, f"POST /check/{uuid.uuid4()} HTTP/1.1", promised)
    assert answer.startswith("HTTP/1.1 404"), answer
    answer, seconds = headers_only(server, f"POST /check/{check_id(server)} HTTP/1.1", promised)
    assert answer.startswith("HTTP/1.1 413"), answer
    assert seconds < 10


def test_unknown_methods_on_known_paths_are_405_with_allow(server):
    response = requests.request("TRACE", server.url + "/api/v1/session/create/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "detail" in response.json()
    response = requests.delete(server.url + "/pki/crl")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert requests.request("TRACE", server.url + "/no/such/path").status_code == 404


def test_redirect_origins_command(server):
    name = f"Bank {uuid.uuid4().hex[:8]}"
    assert server.cli("org", "create", "--name", name).returncode == 0
    good = server.cli("org", "set-redirect-origins", "--org", name, "--origins", "https://Bank.kz:443/, https://app.bank.kz:8443")
    assert good.returncode == 0, good.stderr
    assert good.stdout == "https://bank.kz\nhttps://app.bank.kz:8443\n"
    bad = server.cli("org", "set-redirect-origins", "--org", name, "--origins", "https://bank.kz/back")
    assert bad.returncode != 0 and "is not an origin" in bad.stderr and bad.stdout == ""
    cleared = server.cli("org", "set-redirect-origins", "--org", name, "--origins", "")
    assert cleared.returncode == 0 and cleared.stdout == "" and "any origin" in cleared.stderr


def test_check_page_reads_an_empty_form_as_no_file(server):
    check = check_id(server)
    empty = requests.post(server.url + f"/check/{check}", data=b"--B--\r\n",
                          headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert empty.status_code == 200 and 'data-verdict="no-match"' in empty.text
    broken = requests.post(server.url + f"/check/{check}", data=b"--B\r\n[]--B--\r\n",
                           headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert broken.status_code == 400 and "multipart" in broken.json()["detail"]
    plain = requests.post(server.url + f"/check/{check}", data=b"hello", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 400

