"""Peak memory of the archive download (`make bench-archive`): a benchmark that prints figures, not a test.

The goal (from the issue): building the archive of a session with ten 5 MB PDFs must not hold much
more than one copy at a time in memory. For N in (5, 10) a fresh sandbox server signs a session of N
distinct incompressible ~5 MB PDFs; around its FIRST download only (later ones reuse memory the first
freed, and show ~0) the server's peak RSS is reset (`echo 5 > /proc/PID/clear_refs`, which needs
root) and read back (VmHWM).

Criterion: the ZIP is written to a temporary file and the documents are stamped one at a time, so the
build is bounded when its peak growth does not grow with N: growth(10) - growth(5) <= 1 copy, and
growth(10) <= 5 copies, small next to all ten: the working memory of one document (the original as
read from the database, qpdf's parse of it, the stamped copy) plus slack. A small archive is
downloaded first, so that loading fonts and libraries is not counted.
"""
import base64
import io
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from qoltanba_server import Signer, minimal_pdf, serving  # noqa: E402

COUNTS = (5, 10)
# glibc keeps freed memory for reuse, so RSS would show what uploads and signing left behind rather
# than what the download holds; with these thresholds large blocks go back to the system when freed.
HONEST_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
IIN, PHONE, PASSWORD = "871008401427", "77011234567", "Qoltanba-2024!"
MB = 1_000_000
SLOPE_LIMIT, PEAK_LIMIT = 1, 5  # in copies: see the criterion above


def noise_pdf(seed, width=1000, height=1666):
    """A one-page PDF (about 5 MB) whose page is an image of random RGB bytes: nothing compresses it."""
    pixels = random.Random(seed).randbytes(width * height * 3)
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8"
        b" /Length %d >>\nstream\n%s\nendstream" % (width, height, len(pixels), pixels),
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def memory(pid, field):
    """VmRSS or VmHWM of the process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) * 1024


def download_peak(pdfs):
    """A fresh server signs a session of `pdfs`; returns (ZIP bytes, peak RSS growth, seconds) of its first download."""
    with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp), QOLTANBA_MAX_UPLOAD_BYTES="6000000", **HONEST_MALLOC) as server:
        api = requests.Session()
        api.headers["x-api-key"] = server.key

        def call(method, path, **kwargs):
            response = api.request(method, server.url + "/api/v1/session" + path, timeout=300, **kwargs)
            assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text[:300]}"
            return response

        def signed_session(documents):
            session_id = call("POST", "/create/", json={"iin": IIN, "phone": PHONE}).json()["session_id"]
            for number, pdf in enumerate(documents, start=1):
                call("POST", "/documents/upload/base64/", json={
                    "session_id": session_id, "name": f"document-{number}.pdf",
                    "base64_file": base64.b64encode(pdf).decode()})
            Signer(server.url, session_id, PHONE).sign(PASSWORD)
            status = call("GET", "/status/", params={"session_id": session_id}).json()
            assert status["status"] == "FINISHED", f"the session is not FINISHED: {status}"
            return session_id

        # A small archive first, so that loading the fonts and the libraries is not counted.
        call("GET", "/result/download/", params={"session_id": signed_session([minimal_pdf()])})
        session_id = signed_session(pdfs)

        pid = server.process.pid
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        before = memory(pid, "VmRSS")
        started = time.monotonic()
        zip_bytes = call("GET", "/result/download/", params={"session_id": session_id}).content
        seconds = time.monotonic() - started
        return zip_bytes, memory(pid, "VmHWM") - before, seconds


def main():
    pdfs = [noise_pdf(seed) for seed in range(max(COUNTS))]
    with tempfile.NamedTemporaryFile(suffix=".pdf") as sample:
        sample.write(pdfs[0])
        sample.flush()
        check = subprocess.run(["qpdf", "--check", sample.name], capture_output=True, text=True)
        assert check.returncode == 0, f"qpdf --check: {check.stdout}{check.stderr}"

    rows = {}
    for n in COUNTS:
        zip_bytes, growth, seconds = download_peak(pdfs[:n])
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            entries = archive.infolist()
            assert len(entries) == n, f"N={n}: the ZIP has {len(entries)} entries"
            assert archive.testzip() is None, f"N={n}: the ZIP has a corrupt entry"
        copy = max(entry.file_size for entry in entries)
        rows[n] = (sum(map(len, pdfs[:n])), len(zip_bytes), copy, growth, seconds)

    print("\nFirst download of the N-document archive (fresh server per N, after a small warm-up); MB = 10^6 bytes")
    print(f"  {'N':>3} {'upload MB':>10} {'ZIP MB':>8} {'copy MB':>8} {'peak growth MB':>15} {'in copies':>10} {'download s':>11}")
    for n, (upload, size, copy, growth, seconds) in rows.items():
        print(f"  {n:>3} {upload / MB:>10.1f} {size / MB:>8.1f} {copy / MB:>8.2f} {growth / MB:>15.1f}"
              f" {growth / copy:>10.2f} {seconds:>11.2f}")

    small, large = COUNTS
    copy = rows[large][2]
    slope = (rows[large][3] - rows[small][3]) / copy
    peak = rows[large][3] / copy
    holds = slope <= SLOPE_LIMIT and peak <= PEAK_LIMIT
    print(f"\nGOAL {'holds' if holds else 'DOES NOT HOLD'}: growth({large}) - growth({small}) = {slope:.2f} copies"
          f" (<= {SLOPE_LIMIT}); growth({large}) = {peak:.2f} copies (<= {PEAK_LIMIT}, all {large} would be {large})")


if __name__ == "__main__":
    main()
