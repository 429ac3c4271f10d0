"""The API reference's own JavaScript (and TypeScript) examples, run in Chromium against Qoltanba.

The files in reference_examples/ are the reference's examples as printed; each lists at its top the
printing typos mended and, for the TypeScript variants, the type annotations stripped. They run in a
page of another origin than the server's (an integrator's site with an `<input type="file">`), so
every call is a cross-origin fetch that only works if the server answers CORS. This test changes only
what the reference marks as placeholders: its host, the API key and the `<…>` values.
"""
import base64
import functools
import http.server
import threading
from pathlib import Path

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import free_port, minimal_pdf

EXAMPLES = Path(__file__).parent / "reference_examples"
IIN, PHONE = "871008401427", "77011234567"

# Records what the page logs: window.logged = [{level, args}], an Error as its text.
CAPTURE = """
window.logged = [];
for (const level of ["log", "error"]) {
  const original = console[level];
  console[level] = (...args) => {
    window.logged.push({level, args: args.map(a => a instanceof Error ? String(a) : a)});
    original.apply(console, args);
  };
}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def integrator(tmp_path_factory):
    """An integrator's site on its own port (so its own origin): a page with a file input, and the PDF to pick."""
    site = tmp_path_factory.mktemp("integrator")
    (site / "index.html").write_text('<!doctype html><title>Integrator</title><input type="file">')
    (site / "example_file.pdf").write_bytes(minimal_pdf())
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Quiet, directory=site))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", site / "example_file.pdf"
    httpd.shutdown()


def run_example(driver, integrator, server, name, **placeholders):
    """Runs the example in a freshly loaded integrator page; returns the one console line it logged, as a list."""
    page, pdf = integrator
    code = (EXAMPLES / name).read_text()
    code = code.replace("https://dev.b-key.kz", server.url).replace("API_KEY", server.key)
    for placeholder, value in placeholders.items():
        assert placeholder in code, f"{placeholder} is not in {name}"
        code = code.replace(placeholder, value)
    driver.get(page)
    origin = driver.execute_script("return location.origin")
    assert origin != server.url, f"the page must be cross-origin, but it is on the server's origin {origin}"
    driver.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(pdf))
    driver.execute_script(CAPTURE)
    driver.execute_script(code)
    try:
        WebDriverWait(driver, 30, poll_frequency=0.1).until(lambda d: d.execute_script("return window.logged.length"))
    except TimeoutException:
        raise AssertionError(f"{name} logged nothing in 30 s") from None
    logged = driver.execute_script("return window.logged")
    assert len(logged) == 1 and logged[0]["level"] == "log", f"{name} logged {logged}"
    return logged[0]["args"]


@pytest.mark.parametrize("variant", ["", "_ts"], ids=["js", "ts"])
def test_create_upload_status_result(server, chromium, integrator, variant):
    def run(example, **placeholders):
        return run_example(chromium, integrator, server, f"{example}{variant}.js", **placeholders)

    label, created = run("create", **{"<subjects_iin>": IIN, "7*********": PHONE})
    assert label == "Session created:" and isinstance(created, dict), f"create logged {[label, created]}"
    assert set(created) == {"session_id", "created_at", "check_id"}, f"create logged {created}"
    session_id = created["session_id"]

    pdf_base64 = base64.b64encode(minimal_pdf()).decode()
    for example, extra in [("upload", {}), ("upload_base64", {"<base64_string>": pdf_base64})]:
        label, uploaded = run(example, **{"<session_id>": session_id}, **extra)
        assert label == "File uploaded successfully:", f"{example} logged {[label, uploaded]}"
        assert isinstance(uploaded, dict) and set(uploaded) == {"id", "name", "sign", "created_at", "updated_at"}, \
            f"{example} logged {uploaded}"
        assert uploaded["name"] == "example_file.pdf" and uploaded["sign"] is None, f"{example} logged {uploaded}"

    label, state = run("status", **{"<session_id>": session_id})
    assert label == "Session status:", f"status logged {[label, state]}"
    assert state["status"] == "STARTED" and state["failure_reason"] is None, f"status logged {state}"

    label, result = run("result", **{"<session_id>": session_id})
    assert label == "Session result:", f"result logged {[label, result]}"
    assert result["session_id"] == session_id, f"result logged {result}"
    assert [d["name"] for d in result["docs"]] == ["example_file.pdf", "example_file.pdf"], f"result logged {result}"
    assert all(d["sign"] is None for d in result["docs"]), f"result logged {result}"
