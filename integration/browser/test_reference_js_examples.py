"""The API reference's own JavaScript (and TypeScript) examples, run in Chromium against Qoltanba.

The files in reference_examples/ are the reference's examples as printed; each lists at its top the
printing typos mended and, for the TypeScript variants, the type annotations stripped. They run in a
page of another origin than the server's (an integrator's site with an `<input type="file">`), so
every call is a cross-origin fetch that only works if the server answers CORS. This test changes only
what the reference marks as placeholders: its host, the API key and the `<…>` values.
"""
import base64

import pytest

from browser_helpers import minimal_pdf, run_js_example

IIN, PHONE = "871008401427", "77011234567"


@pytest.mark.parametrize("variant", ["", "_ts"], ids=["js", "ts"])
def test_create_upload_status_result(server, chromium, integrator, variant):
    def run(example, **placeholders):
        return run_js_example(chromium, integrator, server, f"{example}{variant}.js", **placeholders)

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
