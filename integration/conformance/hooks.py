"""Schemathesis hooks for Qoltanba: generators that follow the server's rules a JSON Schema cannot state.

Schemathesis draws schema-valid ("positive") requests from the OpenAPI document. A few rules the document states
in words only, because JSON Schema cannot express them:

- an IIN's birth date must exist and its twelfth digit is a weighted checksum;
- an uploaded file must be a complete PDF or a well-formed XML document, of the session's type;
- a document name must not hold control, format, private-use or unassigned characters;
- `cms` must be a CMS SignedData.

A positive request that breaks one of them is rightly refused with 400, which `positive_data_acceptance` would
report. So, just before a positive request is sent, `before_call` rewrites only those values into ones that keep
the rules (nothing else of the request changes, and negative requests are never rewritten). Every other check runs
on the request as sent. Sessions created during the run are remembered with their document type, so that an upload
to one of them carries a document of the right type.

Two more pieces: `_refresh_stale_negative_body` corrects a stateful case still labelled negative after a link or
the resource pool replaced the field it broke (schemathesis would otherwise call the valid request it sends
"invalid data accepted"); `api_key_refused_with_404` is the check that stands in for `ignored_auth` on the API-key
operations (see schemathesis.toml). The internals used here (ComponentInfo, make_validator, contains_binary) are
those of schemathesis 4.32; integration/requirements.txt keeps it below 5.
"""
import base64
import subprocess
import sys
import tempfile
import threading
import unicodedata
import uuid
from pathlib import Path

import schemathesis
from schemathesis.core.jsonschema import make_validator
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import ComponentInfo
from schemathesis.generation.modes import GenerationMode
from schemathesis.transport.serialization import contains_binary

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qoltanba_server import minimal_pdf  # noqa: E402

# The sandbox's test citizens (IIN, phone): a session is created only for a pair of the registry.
SANDBOX_PAIRS = [("871008401427", "77011234567"), ("760212350620", "77021234567"), ("800416300257", "77051234567"),
                 ("900101300007", "77071234567"), ("850515400002", "77761234567"), ("000229500008", "77771234567")]
PDF = minimal_pdf()
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<document><title>fuzz</title></document>\n'
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}

_lock = threading.Lock()
_session_types = {}  # session_id -> "pdf" | "xml", for sessions this run created


def _signed_data():
    """A CMS SignedData with its content attached and one detached, made by openssl with a throwaway key."""
    with tempfile.TemporaryDirectory() as folder:
        def run(*args):
            subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)
        try:
            run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem",
                "-out", "c.pem", "-subj", "/CN=Schemathesis signer", "-days", "30")
            Path(folder, "data.txt").write_bytes(b"signed by the conformance run")
            run("cms", "-sign", "-binary", "-in", "data.txt", "-signer", "c.pem", "-inkey", "k.pem", "-outform", "DER",
                "-nodetach", "-out", "attached.der")
            run("cms", "-sign", "-binary", "-in", "data.txt", "-signer", "c.pem", "-inkey", "k.pem", "-outform", "DER",
                "-out", "detached.der")
        except (OSError, subprocess.SubprocessError):
            return []
        return [base64.b64encode(Path(folder, name).read_bytes()).decode() for name in ("attached.der", "detached.der")]


SIGNED_DATA = _signed_data()


def _is_positive(case):
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


def valid_iin(digits):
    """`digits` (12 digits) made a valid IIN: an existing birth date, a century digit 1–6, the right control digit."""
    d = [int(c) for c in digits]
    d[6] = d[6] if 1 <= d[6] <= 6 else 3
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[d[6]]
    year, month, day = century + d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]
    month = month if 1 <= month <= 12 else 1
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    length = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    day = day if 1 <= day <= length else 1
    d[2:6] = [month // 10, month % 10, day // 10, day % 10]
    for serial in range(10):
        first11 = d[:10] + [(d[10] + serial) % 10]
        for weights in ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
            control = sum(a * b for a, b in zip(first11, weights)) % 11
            if control != 10:
                return "".join(map(str, first11 + [control]))
    raise AssertionError("unreachable: some serial digit always gives a control digit")


def valid_name(name, extension):
    """`name` without the characters the server refuses, in NFC, trimmed, not empty, at most 255 characters."""
    text = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    text = "".join(c for c in text if unicodedata.category(c) not in REFUSED_CATEGORIES).strip()
    text = unicodedata.normalize("NFC", text)[:255].strip()
    return text or f"document.{extension}"


def _document_type(body):
    value = body.get("document_type") if isinstance(body, dict) else None
    return "xml" if isinstance(value, str) and value.lower().lstrip(".") == "xml" else "pdf"


def _refresh_stale_negative_body(case):
    """In the stateful phase a link or the resource pool may overwrite the one field a negative body broke (e.g. a
    real session_id over a mutated one), so that the body sent is valid after all while the case still says
    negative (schemathesis's own revalidation cannot tell, since it gives up on bodies holding file bytes). The body
    is validated here as schemathesis would, a file's bytes read as the string its schema allows, and a valid one is
    labelled positive: the checks then judge the request that is sent, and it gets the positive rewrites below."""
    meta = getattr(case, "meta", None)
    if (meta is None or meta.phase.name != "stateful" or not meta.is_negative_at(ParameterLocation.BODY)
            or not isinstance(case.body, dict) or case.media_type is None):
        return
    alternative = case.operation.get_body_for_media_type(case.media_type)
    if alternative is None:
        return
    value = {name: "" if contains_binary(item) else item for name, item in case.body.items()}
    if contains_binary(value):
        return
    validator = make_validator(alternative.validation_schema, case.operation.schema.adapter.jsonschema_validator_cls)
    if validator.is_valid(value):
        meta.components[ParameterLocation.BODY] = ComponentInfo(mode=GenerationMode.POSITIVE)
        if all(info.mode.is_positive for info in meta.components.values()):
            meta.generation.mode = GenerationMode.POSITIVE


@schemathesis.hook
def before_call(context, case, kwargs):
    _refresh_stale_negative_body(case)
    if _is_positive(case) and case.headers and "Idempotency-Key" in case.headers:
        # An integrator sends a new key with each new request: the bodies below are rewritten, and a key sent again
        # with another body is a 422 by design.
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if not _is_positive(case) or not isinstance(case.body, dict):
        return
    operation = (case.method.upper(), case.operation.path)
    body = case.body
    if operation == ("POST", "/api/v1/session/create/"):
        iin = body.get("iin")
        if isinstance(iin, str) and len(iin) == 12 and iin.isdigit():
            if int(iin[-1]) % 2 == 0:
                # A pair of the registry, so that the session is created and later steps have one to work on.
                body["iin"], body["phone"] = SANDBOX_PAIRS[int(iin[:4]) % len(SANDBOX_PAIRS)]
            else:
                body["iin"] = valid_iin(iin)
    elif operation in (("POST", "/api/v1/session/documents/upload/"), ("POST", "/api/v1/session/documents/upload/base64/")):
        with _lock:
            kind = _session_types.get(str(body.get("session_id", "")).strip().lower(), "pdf")
        content = XML if kind == "xml" else PDF
        if "base64_file" in body:
            body["base64_file"] = base64.b64encode(content).decode()
        if "file" in body:
            # As text (both documents are ASCII): a bytes value would read as a schema violation when schemathesis
            # revalidates the edited body, and the case would be judged as a negative one.
            body["file"] = content.decode("ascii")
        if "name" in body:
            body["name"] = valid_name(body["name"], kind)
    elif operation == ("POST", "/api/v1/signature/verify/") and SIGNED_DATA:
        body["cms"] = SIGNED_DATA[len(str(body.get("cms", ""))) % len(SIGNED_DATA)]


@schemathesis.hook
def after_call(context, case, response):
    if (case.method.upper(), case.operation.path) != ("POST", "/api/v1/session/create/") or response.status_code != 200:
        return
    try:
        session_id = response.json()["session_id"]
    except (ValueError, KeyError, TypeError):
        return
    with _lock:
        _session_types[str(session_id).lower()] = _document_type(case.body)


_refusal_confirmed = set()


@schemathesis.check
def api_key_refused_with_404(ctx, response, case):
    """Stands in for `ignored_auth` on the API-key operations, with the status the API reference mandates.

    After a request the key let through (2xx), the same request is sent without `x-api-key` and with an unknown key:
    each must be 404 {"detail": "organization api-key not found"}. Once per operation and run.
    """
    security = case.operation.definition.raw.get("security") or []
    if not any("ApiKey" in requirement for requirement in security) or not 200 <= response.status_code < 300:
        return None
    with _lock:
        if case.operation.label in _refusal_confirmed:
            return None
    import requests

    with requests.Session() as session:
        for key in (None, "qk_unknown-key-of-the-conformance-run"):
            request = response.request.copy()
            request.headers.pop("x-api-key", None)
            if key is not None:
                request.headers["x-api-key"] = key
            answer = session.send(request, timeout=30, allow_redirects=False)
            try:
                detail = answer.json()
            except ValueError:
                detail = answer.text[:200]
            if answer.status_code != 404 or detail != {"detail": "organization api-key not found"}:
                raise AssertionError(
                    f"{'no' if key is None else 'an unknown'} x-api-key: expected 404 "
                    f"{{\"detail\": \"organization api-key not found\"}}, got {answer.status_code} {detail!r}")
    with _lock:
        _refusal_confirmed.add(case.operation.label)
    return None
