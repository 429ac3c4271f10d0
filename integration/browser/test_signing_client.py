"""The signing client end to end: a headless Chromium with a fake camera signs, fails and is refused."""
import base64
import time

import pytest
import requests

from browser_helpers import (click_next, command, create_or_enter_password, create_password, create_session,
                             current_step, enter_password, fill, minimal_pdf, open_client, pass_identity, read_code,
                             result, serving, sign_documents, status, step_names, steps, visible, wait_for,
                             wait_landing, wait_step)

SUCCESS = ("/back", {"x": "1", "status": "true", "reason": "None"})


def failure(reason):
    return "/back", {"x": "1", "status": "false", "reason": reason}


def assert_canceled(server, session_id, failure_type):
    state = status(server, session_id)
    assert state["status"] == "CANCELED" and state["failure_reason"] is not None, state
    assert state["failure_reason"]["type"] == failure_type, state


def openssl(*args, cwd):
    return command("openssl", *args, cwd=cwd)


def test_first_time_then_returning_signer(server, landing, new_driver, tmp_path):
    iin, phone = "871008401427", "77011234567"
    docs = {"contract.pdf": minimal_pdf(), "annex.pdf": minimal_pdf(padding=100)}
    session_id = create_session(server, iin, phone, docs)
    driver = new_driver()
    open_client(driver, server, session_id, f"{landing}/back?x=1")
    pass_identity(driver)
    create_password(driver, server, phone)
    wait_step(driver, "certificate")
    assert step_names(driver) == ["documents", "liveness", "face-match", "password-create", "password-otp",
                                  "certificate"]
    sign_documents(driver, server, phone)
    assert wait_landing(driver, landing) == SUCCESS
    assert status(server, session_id)["status"] == "FINISHED"

    # Every document is an attached CMS of its own bytes, signed by the citizen's certificate from the Qoltanba root.
    (tmp_path / "root.pem").write_bytes(requests.get(server.url + "/pki/root.pem", timeout=30).content)
    signed = result(server, session_id)["docs"]
    assert sorted(doc["name"] for doc in signed) == sorted(docs)
    for doc in signed:
        assert doc["sign"], f"{doc['name']} is not signed"
        (tmp_path / "signature.p7s").write_bytes(base64.b64decode(doc["sign"]))
        openssl("cms", "-verify", "-inform", "DER", "-in", "signature.p7s", "-CAfile", "root.pem",
                "-out", "content.bin", "-signer", "signer.pem", cwd=tmp_path)
        assert (tmp_path / "content.bin").read_bytes() == docs[doc["name"]], doc["name"]
        subject = openssl("x509", "-in", "signer.pem", "-noout", "-subject", cwd=tmp_path)
        assert f"IIN{iin}" in subject, subject

    # The same citizen in a new session (and a new browser) enters the password chosen above.
    session_id = create_session(server, iin, phone)
    driver = new_driver()
    open_client(driver, server, session_id, f"{landing}/back?x=1")
    pass_identity(driver)
    shown = wait_step(driver, "password", "password-create")
    assert shown == "password", "a returning signer must enter the password, not create one again"
    enter_password(driver)
    wait_step(driver, "certificate")
    assert step_names(driver) == ["documents", "liveness", "face-match", "password", "certificate"]
    sign_documents(driver, server, phone)
    assert wait_landing(driver, landing) == SUCCESS
    assert status(server, session_id)["status"] == "FINISHED"


@pytest.mark.parametrize("iin, phone, reason, failure_type", [
    ("800416300257", "77051234567", "lv", "LIVENESS"),
    ("900101300007", "77071234567", "f2f", "FACE2FACE"),
    ("850515400002", "77761234567", "lv-unavailable", "LIVENESS"),
    ("000229500008", "77771234567", "request", "EDOCUMENT"),
], ids=["lv", "f2f", "lv-unavailable", "request"])
def test_failing_citizen_goes_back_with_the_reason(server, landing, chromium, iin, phone, reason, failure_type):
    session_id = create_session(server, iin, phone)
    open_client(chromium, server, session_id, f"{landing}/back?x=1")
    pass_identity(chromium)
    if reason == "request":
        # The E-Document service is asked for the certificate once the signer has a password.
        create_password(chromium, server, phone)
    assert wait_landing(chromium, landing) == failure(reason)
    assert_canceled(server, session_id, failure_type)


def test_three_wrong_sign_codes_end_with_otp(server, landing, chromium):
    phone = "77021234567"
    session_id = create_session(server, "760212350620", phone)
    open_client(chromium, server, session_id, f"{landing}/back?x=1")
    pass_identity(chromium)
    create_or_enter_password(chromium, server, phone)
    wait_step(chromium, "certificate")
    click_next(chromium)
    for attempt in range(1, 4):
        wait_step(chromium, "sign")
        real = read_code(server, phone)
        fill(chromium, "otp", "000000" if real != "000000" else "111111")
        click_next(chromium)
        if attempt < 3:
            wait_step(chromium, "sign")
            assert visible(chromium, "[data-error]"), f"no visible [data-error] after wrong code {attempt}"
    assert wait_landing(chromium, landing) == failure("otp")
    assert_canceled(server, session_id, "OTHER")


def test_second_browser_is_refused_and_the_first_goes_on(server, landing, chromium, new_driver):
    session_id = create_session(server, "760212350620", "77021234567")
    open_client(chromium, server, session_id, f"{landing}/back?x=1")
    wait_step(chromium, "documents")

    # Another browser sees a page on Qoltanba, never a redirect to the URL it brings.
    other = new_driver()
    open_client(other, server, session_id, f"{landing}/back?x=1")
    wait_step(other, "failed")
    assert other.current_url.startswith(server.url), other.current_url
    assert status(server, session_id)["status"] == "PROCESS"

    click_next(chromium)
    wait_for(chromium, lambda d: "liveness" in step_names(d), "step 'liveness' in the first browser")
    assert status(server, session_id)["status"] == "PROCESS"


def test_expired_session_is_refused(landing, chromium, tmp_path):
    with serving(tmp_path, QOLTANBA_SESSION_TTL_SECONDS="5") as short_lived:
        session_id = create_session(short_lived, "760212350620", "77021234567")
        time.sleep(6)
        # A flow that never began is no browser's: a page, not a redirect.
        open_client(chromium, short_lived, session_id, f"{landing}/back?x=1")
        wait_step(chromium, "failed")
        assert chromium.current_url.startswith(short_lived.url), chromium.current_url
        assert_canceled(short_lived, session_id, "EXPIRED")


def assert_fits_360(driver):
    """Neither the current page nor any step this tab showed before scrolls sideways at 360 px."""
    inner, scroll, client = driver.execute_script(
        "const html = document.documentElement; return [innerWidth, html.scrollWidth, html.clientWidth]")
    assert inner == 360, f"the window is {inner} px wide, not 360"
    assert scroll <= client, f"step {current_step(driver)!r} is {scroll} px wide in a {client} px viewport"
    wide = [entry for entry in steps(driver) if entry["overflow"] > 0]
    assert not wide, f"these steps scrolled sideways (overflow in px): {wide}"


def test_without_redirect_url_a_failure_is_shown(server, chromium):
    chromium.set_window_size(360, 800)
    session_id = create_session(server, "800416300257", "77051234567")
    open_client(chromium, server, session_id)
    pass_identity(chromium)
    wait_step(chromium, "failed")
    assert chromium.current_url.startswith(server.url), chromium.current_url
    assert_canceled(server, session_id, "LIVENESS")
    assert step_names(chromium) == ["documents", "liveness", "failed"]
    assert_fits_360(chromium)


def test_every_step_fits_360_px(server, chromium):
    phone = "77021234567"
    chromium.set_window_size(360, 800)
    session_id = create_session(server, "760212350620", phone)
    open_client(chromium, server, session_id)
    wait_step(chromium, "documents")
    assert_fits_360(chromium)
    pass_identity(chromium)
    create_or_enter_password(chromium, server, phone)
    wait_step(chromium, "certificate")
    assert_fits_360(chromium)
    click_next(chromium)
    wait_step(chromium, "sign")
    assert_fits_360(chromium)
    fill(chromium, "otp", read_code(server, phone))
    click_next(chromium)
    wait_step(chromium, "done")
    assert_fits_360(chromium)
    shown = step_names(chromium)
    assert shown[:3] == ["documents", "liveness", "face-match"] and shown[-3:] == ["certificate", "sign", "done"], shown
    assert status(server, session_id)["status"] == "FINISHED"


def test_sign_page_forbids_inline_script(server):
    session_id = create_session(server, "760212350620", "77021234567")
    response = requests.get(server.url + "/sign", params={"session": session_id, "language": "ru", "theme": 0},
                            timeout=30)
    assert response.status_code == 200, response.status_code
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy in {dict(response.headers)}"
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"neither script-src nor default-src in {policy!r}"
    assert "'unsafe-inline'" not in scripts, policy
