"""The API reference's own Python examples, run against Qoltanba.

The files in reference_examples/ are the reference's examples as printed, with the indentation the
text lost restored and three typos fixed (`"API_KEY".`, `If`, `))`). This test changes only what
the reference marks as placeholders: its host, the API key, and the `<…>` values. The download examples
(download.py, download_base64.py, each listing its mends at its top) need a session signed in the browser,
so integration/browser/test_download.py runs them.
"""
import base64
import json

from qoltanba_server import minimal_pdf, run_python_example as run_example


def test_create_upload_result_status(server, tmp_path):
    # Step 2: create.
    response, printed = run_example(
        "create.py", server, **{"<subjects_iin>": "871008401427", "7*********": "77011234567"})
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) == {"session_id", "created_at", "check_id"}
    assert created["session_id"] in printed
    session_id = created["session_id"]

    # Step 3: multipart upload, exactly as requests sends `files=` (every field a file part).
    pdf = tmp_path / "example_file.pdf"
    pdf.write_bytes(minimal_pdf())
    response, printed = run_example(
        "upload.py", server, **{"<session_id>": session_id, "path/to/example_file.pdf": str(pdf)})
    assert response.status_code == 200, response.text
    assert printed.startswith("File uploaded successfully:")
    uploaded = response.json()
    assert set(uploaded) == {"id", "name", "sign", "created_at", "updated_at"}
    assert uploaded["name"] == "example_file.pdf" and uploaded["sign"] is None

    # Step 3: base64 upload.
    response, _ = run_example(
        "upload_base64.py", server,
        **{"<session_id>": session_id, "<base64_string>": base64.b64encode(minimal_pdf()).decode()})
    assert response.status_code == 200, response.text
    assert response.json()["sign"] is None

    # Step 5: result.
    response, printed = run_example("result.py", server, **{"<session_id>": session_id})
    assert response.status_code == 200
    assert printed.startswith("Session result:")
    result = response.json()
    assert result["session_id"] == session_id
    assert [d["name"] for d in result["docs"]] == ["example_file.pdf", "example_file.pdf"]
    assert all(d["sign"] is None for d in result["docs"])

    # Status.
    response, printed = run_example("status.py", server, **{"<session_id>": session_id})
    assert response.status_code == 200
    assert printed.startswith("Session status:")
    status = response.json()
    assert status["status"] == "STARTED" and status["failure_reason"] is None


def test_example_errors_print_the_reference_texts(server):
    response, printed = run_example("status.py", server, **{"<session_id>": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})
    assert response.status_code == 404
    assert json.loads(response.text) == {"detail": "Session not found"}
    assert printed.startswith("Error: 404")
