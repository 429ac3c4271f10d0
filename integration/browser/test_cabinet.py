"""The organization cabinet (/cabinet) in headless Chromium, against a server of its own with fast webhooks.

The tests drive the pages only through the cabinet's contract: `main[data-page]`, `data-nav`, `data-action`,
the inputs' names, `data-error`, `data-notice`, `data-secret`, and the rows' `data-key`, `data-session`,
`data-event` with their `data-state`, `data-status` and `data-attempts`.
"""
import base64
import hashlib
import hmac
import http.server
import json
import re
import secrets
import threading
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from browser_helpers import click, click_action, describe, fill, visible, wait_for
from qoltanba_server import free_port, minimal_pdf, serving

FAST_WEBHOOKS = {"QOLTANBA_WEBHOOK_POLL_SECONDS": "0.2", "QOLTANBA_WEBHOOK_RETRY_BASE_SECONDS": "2",
                 "QOLTANBA_WEBHOOK_RETRY_CAP_SECONDS": "2"}
NEW_PASSWORD = "Cabinet-pass-2024!"
IIN, PHONE, MASKED_IIN = "871008401427", "77011234567", "8710******27"  # IIN.masked, as on the signature sheet
REVOKED_KEY = {"detail": "organization api-key not found"}
DELIVERED_ONCE = {"state": "delivered", "attempts": "1", "last_status": "200"}


@pytest.fixture(scope="module")
def cabinet(tmp_path_factory):
    """A server of its own (not the shared one), delivering webhooks within a fraction of a second."""
    with serving(tmp_path_factory.mktemp("cabinet"), **FAST_WEBHOOKS) as server:
        yield server


@pytest.fixture
def browser(chromium):
    """A desktop-sized browser: the cabinet is a staff tool."""
    chromium.set_window_size(1280, 900)
    return chromium


@pytest.fixture
def receiver():
    """An integrator's endpoint answering 200 to every POST; yields its URL and the deliveries it recorded
    ([{headers, body}], the body as raw bytes)."""
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            received.append({"headers": self.headers, "body": body})

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/hooks", received
    httpd.shutdown()


# --- accounts and the API -------------------------------------------------------------------

def new_staff(server):
    """A new staff account of the demo organization (a unique email); returns the email and one-time password."""
    org = server.banner_value(r"Demo organization: (.+)").strip()
    email = f"staff-{uuid.uuid4().hex}@bank.example"
    created = server.cli("user", "create", "--org", org, "--email", email)
    assert created.returncode == 0, f"user create exited with {created.returncode}: {created.stdout}{created.stderr}"
    password = created.stdout.strip()
    assert password and not re.search(r"\s", password), \
        f"user create should print the password alone: {created.stdout!r}"
    return email, password


def create_api_session(server, key):
    """POST /api/v1/session/create/ with `key`: the response."""
    return requests.post(server.url + "/api/v1/session/create/", headers={"x-api-key": key}, timeout=30,
                         json={"iin": IIN, "phone": PHONE})


def open_session(server):
    """A session of the demo key with a PDF, opened in the signing client: its session.process event follows."""
    created = create_api_session(server, server.key)
    assert created.status_code == 200, created.text
    session_id = created.json()["session_id"]
    uploaded = requests.post(server.url + "/api/v1/session/documents/upload/base64/", headers={"x-api-key": server.key},
                             timeout=30, json={"session_id": session_id, "name": "contract.pdf",
                                               "base64_file": base64.b64encode(minimal_pdf()).decode()})
    assert uploaded.status_code == 200, uploaded.text
    opened = requests.get(server.url + "/sign", params={"session": session_id}, timeout=30)
    assert opened.status_code == 200, f"opening the signing client: {opened.status_code} {opened.text[:300]}"
    return session_id


# --- webhooks -------------------------------------------------------------------------------

def wait_until(condition, seconds, what):
    """Polls condition() until it is truthy and returns it."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"waited {seconds} s in vain for {what}"
        time.sleep(0.1)
    return result


def deliveries(received, session_id):
    """The deliveries of the session's session.process event, in the order they came."""
    return [d for d in received if json.loads(d["body"]).get("session_id") == session_id
            and json.loads(d["body"]).get("event") == "session.process"]


def check_signature(delivery, secret):
    """X-Signature is t=<unix>,v1=<hex>[,v1=…], one v1 being HMAC-SHA256(secret, "<t>.<raw body>")."""
    header = delivery["headers"]["X-Signature"]
    fields = [field.strip().split("=", 1) for field in header.split(",")]
    t = int(dict(fields)["t"])
    assert abs(time.time() - t) <= 300, f"signature time {t} is not within 300 s of now"
    expected = hmac.new(secret.encode(), f"{t}.".encode() + delivery["body"], hashlib.sha256).hexdigest()
    assert ["v1", expected] in fields, f"no v1= of {header} verifies with the secret the cabinet showed"


# --- the pages ------------------------------------------------------------------------------

def current_page(driver):
    """The data-page of the page's <main>, or None (between two pages)."""
    try:
        return driver.execute_script("const m = document.querySelector('main[data-page]'); return m && m.dataset.page")
    except WebDriverException:
        return None


def wait_page(driver, name, path=None):
    """Waits for the page `name` (its <main data-page>), at `path` if given."""
    wait_for(driver, lambda d: current_page(d) == name and (path is None or urlsplit(d.current_url).path == path),
             f"the {name} page" + (f" at {path}" if path else ""))


def wait_visible(driver, selector):
    return wait_for(driver, lambda d: visible(d, selector), f"a visible {selector}")


def wait_reloading(driver, url, condition, what, timeout=30):
    """Loads `url` again and again (the pages do not refresh themselves) until condition(driver) is truthy."""
    def reloaded(d):
        d.get(url)
        return condition(d)
    return wait_for(driver, reloaded, what, timeout, poll=0.3)


def without_browser_checks(driver):
    """Turns off the forms' own validation (minlength, type=url, …): what is tested is the server's."""
    driver.execute_script("for (const form of document.forms) form.noValidate = true")


def follow(driver, selector):
    """Follows the link `selector`: a click if it is shown, else (in a closed menu) its href."""
    link = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector), f"a link {selector}")[0]
    if link.is_displayed():
        click(driver, link)
    else:
        driver.get(link.get_attribute("href"))


def navigate(driver, name):
    follow(driver, f'a[data-nav="{name}"]')
    wait_page(driver, name, f"/cabinet/{name}")


def text_of(element):
    return (element.get_attribute("textContent") or "").strip()


def log_in(driver, server, email, password):
    driver.get(server.url + "/cabinet/login")
    wait_page(driver, "login")
    fill(driver, "email", email)
    fill(driver, "password", password)
    click_action(driver, "login")


def change_password(driver, current):
    wait_page(driver, "password", "/cabinet/password")
    fill(driver, "current_password", current)
    fill(driver, "new_password", NEW_PASSWORD)
    fill(driver, "new_password_confirm", NEW_PASSWORD)
    click_action(driver, "change-password")
    wait_page(driver, "sessions", "/cabinet/sessions")


def sign_up(driver, server):
    """A new staff account logged in with its password changed; returns its email."""
    email, one_time = new_staff(server)
    log_in(driver, server, email, one_time)
    change_password(driver, one_time)
    return email


def key_rows(driver):
    """{key id: (state, row text)} of the keys page."""
    return {row.get_attribute("data-key"): (row.get_attribute("data-state"), text_of(row))
            for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-key]")}


def event_row(driver, event_id):
    """The webhooks page's row of the event: {state, attempts, last_status}, or None."""
    rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-event="{event_id}"]')
    if not rows:
        return None
    row = rows[0]
    assert row.find_elements(By.CSS_SELECTOR, '[data-action="redeliver"]'), f"the row of {event_id} has no redeliver"
    return {"state": row.get_attribute("data-state"), "attempts": row.get_attribute("data-attempts"),
            "last_status": text_of(row.find_element(By.CSS_SELECTOR, "[data-last-status]"))}


def wait_event_delivered(driver, server, event_id):
    """Reloads the webhooks page until the event's row is delivered; returns the row."""
    seen = []

    def delivered(d):
        seen.append(event_row(d, event_id))
        return seen[-1] if seen[-1] and seen[-1]["state"] == "delivered" else None
    return wait_reloading(driver, server.url + "/cabinet/webhooks", delivered,
                          lambda: f"the row of event {event_id} to be delivered (last: {seen[-1] if seen else None})")


def session_row(driver, session_id):
    rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-session="{session_id}"]')
    return rows[0] if rows else None


def filter_sessions(driver, status):
    Select(wait_visible(driver, 'select[name="status"]')).select_by_value(status)
    click_action(driver, "filter")
    wait_page(driver, "sessions")


def timeline(driver):
    items = driver.find_elements(By.CSS_SELECTOR, "ol.timeline li[data-event]")
    return [item.get_attribute("data-event") for item in items]


def html_element(driver):
    return driver.find_element(By.TAG_NAME, "html")


# --- without a browser ----------------------------------------------------------------------

class Html(HTMLParser):
    """A page's start tags and its forms (action, {input name: value}, data-actions)."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.forms, self._form = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attrs))
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "inputs": {}, "actions": set()}
            self.forms.append(self._form)
        elif self._form is not None:
            if tag in ("input", "select", "textarea", "button") and "name" in attrs:
                self._form["inputs"][attrs["name"]] = attrs.get("value", "")
            if "data-action" in attrs:
                self._form["actions"].add(attrs["data-action"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def page(self):
        return next((attrs.get("data-page") for tag, attrs in self.tags if tag == "main"), None)

    def has(self, attribute):
        return any(attribute in attrs for _, attrs in self.tags)

    def form(self, action):
        forms = [form for form in self.forms if action in form["actions"]]
        assert forms, f"no form has a [data-action={action}]"
        return forms[0]


def cookie_header(cookies):
    """A Cookie header sent by hand: requests sends no Secure cookie over http."""
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def set_cookies(response):
    """{name: value} of the response's Set-Cookie headers (an emptied cookie as "")."""
    return dict(header.split(";", 1)[0].strip().split("=", 1) for header in response.raw.headers.getlist("Set-Cookie"))


# --- the tests ------------------------------------------------------------------------------

def test_staff_logs_in_manages_keys_and_webhooks_and_follows_a_session(cabinet, browser, receiver):
    driver, server = browser, cabinet
    hook_url, received = receiver
    email, one_time = new_staff(server)

    # Not logged in: the login page; wrong credentials show it again with an error.
    driver.get(server.url + "/cabinet")
    wait_page(driver, "login", "/cabinet/login")
    log_in(driver, server, email, one_time + "-wrong")
    wait_page(driver, "login")
    assert visible(driver, "[data-error]"), f"a wrong password shows no [data-error]: {describe(driver)}"

    # The one-time password leads only to the password page until it is changed.
    log_in(driver, server, email, one_time)
    wait_page(driver, "password", "/cabinet/password")
    driver.get(server.url + "/cabinet/keys")
    wait_page(driver, "password", "/cabinet/password")
    fill(driver, "current_password", one_time)
    fill(driver, "new_password", "short")
    fill(driver, "new_password_confirm", "short")
    without_browser_checks(driver)
    click_action(driver, "change-password")
    wait_page(driver, "password")
    assert visible(driver, "[data-error]"), f"a 5-character new password shows no [data-error]: {describe(driver)}"
    change_password(driver, one_time)

    # API keys: a new key is shown once, works, and once revoked in the browser the API no longer knows it.
    navigate(driver, "keys")
    fill(driver, "label", "selenium")
    click_action(driver, "create-key")
    wait_page(driver, "keys")
    key = text_of(wait_visible(driver, 'code[data-secret="api-key"]'))
    assert key, "the new key's code[data-secret=api-key] is empty"
    rows = [row for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-key]")
            if "selenium" in text_of(row) and text_of(row.find_element(By.CSS_SELECTOR, "[data-prefix]"))
            and key.startswith(text_of(row.find_element(By.CSS_SELECTOR, "[data-prefix]")))]
    assert len(rows) == 1, f"not one row labelled selenium has a prefix of the new key: {key_rows(driver)}"
    key_id = rows[0].get_attribute("data-key")
    assert rows[0].get_attribute("data-state") == "active", key_rows(driver)
    probe = create_api_session(server, key)
    assert probe.status_code == 200 and probe.json().get("session_id"), \
        f"the API refused the new key: {probe.status_code} {probe.text}"
    probe_session = probe.json()["session_id"]
    click(driver, rows[0].find_element(By.CSS_SELECTOR, '[data-action="revoke-key"]'))
    wait_page(driver, "keys")
    row = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, f'tr[data-key="{key_id}"]'),
                   f"the row of key {key_id}")
    assert row.get_attribute("data-state") == "revoked", f"after revoke-key: {key_rows(driver)}"
    assert not row.find_elements(By.CSS_SELECTOR, '[data-action="revoke-key"]'), "a revoked key can be revoked again"
    assert key not in driver.page_source, "the key's secret is shown again after it was created"
    refused = create_api_session(server, key)
    assert refused.status_code == 404 and refused.json() == REVOKED_KEY, \
        f"the revoked key gets {refused.status_code} {refused.text}"

    # The webhook: an invalid URL is refused; a valid one gets a secret, shown once, and so does its rotation.
    navigate(driver, "organization")
    org_id = text_of(wait_visible(driver, "[data-organization-id]"))
    assert re.fullmatch(r"[0-9a-fA-F-]{36}", org_id), f"[data-organization-id] is {org_id!r}"
    fill(driver, "webhook_url", "ftp://127.0.0.1/hooks")
    without_browser_checks(driver)
    click_action(driver, "save-webhook")
    wait_page(driver, "organization")
    assert visible(driver, "[data-error]"), f"an ftp:// webhook URL shows no [data-error]: {describe(driver)}"
    fill(driver, "webhook_url", hook_url)
    click_action(driver, "save-webhook")
    wait_page(driver, "organization")
    first_secret = text_of(wait_visible(driver, 'code[data-secret="webhook"]'))
    assert first_secret.startswith("whsec_"), f"the webhook secret is {first_secret!r}"
    shown_url = driver.find_element(By.CSS_SELECTOR, "[data-webhook-url]")
    assert (shown_url.get_attribute("value") or text_of(shown_url)) == hook_url, \
        "[data-webhook-url] is not the URL saved"
    click_action(driver, "rotate-secret")
    wait_page(driver, "organization")
    secret = text_of(wait_visible(driver, 'code[data-secret="webhook"]'))
    assert secret.startswith("whsec_") and secret != first_secret, f"after rotate-secret the secret is {secret!r}"
    driver.get(server.url + "/cabinet/organization")
    wait_page(driver, "organization")
    assert secret not in driver.page_source, "the webhook secret is shown again"

    # A session opened in the signing client: its session.process event arrives signed with the current secret.
    session_id = open_session(server)
    first = wait_until(lambda: deliveries(received, session_id), 20, "the delivery of session.process")[0]
    check_signature(first, secret)
    event_id = first["headers"]["X-Webhook-Id"]
    assert json.loads(first["body"])["id"] == event_id, "the body's id is not the X-Webhook-Id"
    navigate(driver, "webhooks")
    assert wait_event_delivered(driver, server, event_id) == DELIVERED_ONCE
    listing = server.cli("webhook", "list", "--org", org_id)
    assert listing.returncode == 0 and event_id in listing.stdout, \
        f"the CLI does not list {event_id} for the cabinet's organization {org_id}: {listing.stdout}{listing.stderr}"

    # Redelivery: the same event (id and body) once more, its attempts counted afresh.
    row = driver.find_element(By.CSS_SELECTOR, f'tr[data-event="{event_id}"]')
    click(driver, row.find_element(By.CSS_SELECTOR, '[data-action="redeliver"]'))
    wait_page(driver, "webhooks")
    assert visible(driver, "[data-notice]"), f"redeliver shows no [data-notice]: {describe(driver)}"
    second = wait_until(lambda: deliveries(received, session_id)[1:], 20, "the redelivery")[0]
    assert second["headers"]["X-Webhook-Id"] == event_id, "the redelivery has another X-Webhook-Id"
    assert second["body"] == first["body"], "the redelivery's body differs from the first delivery's"
    check_signature(second, secret)
    assert wait_event_delivered(driver, server, event_id) == DELIVERED_ONCE
    assert len(deliveries(received, session_id)) == 2, "session.process was delivered more than twice"

    # Sessions: listed with their status, filtered by it, and each with a timeline that hides the IIN and phone.
    navigate(driver, "sessions")
    row = session_row(driver, session_id)
    assert row is not None and row.get_attribute("data-status") == "PROCESS", \
        f"the session is listed as {row and row.get_attribute('data-status')}"
    assert driver.find_elements(By.CSS_SELECTOR, 'input[name="from"]') and \
        driver.find_elements(By.CSS_SELECTOR, 'input[name="to"]'), "the filter has no from/to dates"
    options = {o.get_attribute("value") for o in Select(wait_visible(driver, 'select[name="status"]')).options}
    assert options == {"", "STARTED", "PROCESS", "FINISHED", "CANCELED"}, f"the status filter offers {options}"
    filter_sessions(driver, "FINISHED")
    assert session_row(driver, session_id) is None, "filtering by FINISHED still lists the PROCESS session"
    filter_sessions(driver, "PROCESS")
    assert session_row(driver, probe_session) is None, "filtering by PROCESS still lists a STARTED session"
    row = session_row(driver, session_id)
    assert row is not None, "filtering by PROCESS hides the PROCESS session"
    click(driver, row.find_element(By.CSS_SELECTOR, f'a[href="/cabinet/sessions/{session_id}"]'))
    wait_page(driver, "session", f"/cabinet/sessions/{session_id}")
    seen = [[]]
    events = wait_reloading(driver, f"{server.url}/cabinet/sessions/{session_id}",
                            lambda d: (seen.append(timeline(d)) or seen[-1].count("webhook") == 2) and seen[-1],
                            lambda: f"a timeline with a webhook item for each of the 2 attempts, not {seen[-1]}")
    assert {"created", "opened"} <= set(events), f"the timeline shows {events}"
    assert IIN not in driver.page_source, "the session page shows the full IIN"
    assert PHONE not in driver.page_source, "the session page shows the full phone number"
    assert MASKED_IIN in driver.page_source, f"the session page does not show the masked IIN {MASKED_IIN}"

    # Language and theme, kept on the next page.
    follow(driver, 'a[data-language="kk"]')
    wait_for(driver, lambda d: html_element(d).get_attribute("lang") == "kk", "<html lang=kk>")
    follow(driver, 'a[data-theme="dark"]')
    wait_for(driver, lambda d: "dark" in html_element(d).get_attribute("class").split(), "<html class=dark>")
    navigate(driver, "keys")
    html = html_element(driver)
    assert html.get_attribute("lang") == "kk" and "dark" in html.get_attribute("class").split() \
        and "light" not in html.get_attribute("class").split(), \
        f"on the next page <html lang={html.get_attribute('lang')} class={html.get_attribute('class')}>"

    # On a 360 px phone no page is wider than the screen: wide tables scroll inside their section.
    driver.set_window_size(360, 800)
    for path in ["sessions", "webhooks", "keys", "organization", "password", f"sessions/{session_id}"]:
        driver.get(f"{server.url}/cabinet/{path}")
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"/cabinet/{path} is {overflow} px wider than a 360 px screen"

    # Logging out ends the session: the pages lead to the login page again.
    click_action(driver, "logout")
    wait_page(driver, "login")
    driver.get(server.url + "/cabinet/keys")
    wait_page(driver, "login", "/cabinet/login")


def test_a_post_without_the_csrf_token_is_refused(cabinet, browser):
    driver, server = browser, cabinet
    sign_up(driver, server)
    navigate(driver, "keys")
    token = driver.find_element(
        By.XPATH, '//form[.//*[@data-action="create-key"]]//input[@name="csrf_token"]').get_attribute("value")
    assert token, "the create-key form's csrf_token is empty"
    jar = {cookie["name"]: cookie for cookie in driver.get_cookies()}
    for name in ("qoltanba-cabinet", "qoltanba-cabinet-csrf"):
        assert name in jar, f"the browser has no cookie {name}: {sorted(jar)}"
        assert (jar[name]["secure"], jar[name]["httpOnly"], jar[name].get("sameSite"), jar[name]["path"]) \
            == (True, True, "Strict", "/cabinet"), f"the cookie {name} is {jar[name]}"
    cookies = cookie_header({name: jar[name]["value"] for name in ("qoltanba-cabinet", "qoltanba-cabinet-csrf")})
    before = key_rows(driver)

    def post(**fields):
        return requests.post(server.url + "/cabinet/keys", data={"label": "forged", **fields}, headers=cookies,
                             allow_redirects=False, timeout=30)

    for refused, fields in [("without a csrf_token", {}),
                            ("with a wrong csrf_token", {"csrf_token": secrets.token_urlsafe(32)})]:
        response = post(**fields)
        assert response.status_code == 403, \
            f"POST /cabinet/keys {refused}: {response.status_code} {response.text[:300]}"
    driver.get(server.url + "/cabinet/keys")
    wait_page(driver, "keys")
    assert key_rows(driver) == before, f"refused POSTs changed the keys: {before} -> {key_rows(driver)}"
    assert not [k for k, (_, text) in key_rows(driver).items() if "forged" in text], "a forged key is listed"

    # The same POST with the page's token is accepted: the refusals were the token's doing.
    accepted = post(csrf_token=token)
    assert accepted.status_code in (200, 303), f"POST /cabinet/keys with the token: {accepted.status_code}"
    driver.get(server.url + "/cabinet/keys")
    wait_page(driver, "keys")
    forged = [state for state, text in key_rows(driver).values() if "forged" in text]
    assert forged == ["active"], f"after the POST with the token the keys are {key_rows(driver)}"


def test_wrong_passwords_slow_the_login_down(cabinet):
    server = cabinet
    email, one_time = new_staff(server)
    cookies = {}

    def attempt(password):
        login = requests.get(server.url + "/cabinet/login", headers=cookie_header(cookies), allow_redirects=False,
                             timeout=30)
        assert login.status_code == 200, f"GET /cabinet/login: {login.status_code}"
        cookies.update(set_cookies(login))
        assert cookies.get("qoltanba-cabinet-csrf"), f"GET /cabinet/login set no CSRF cookie: {cookies}"
        form = Html(login.text).form("login")
        answer = requests.post(urljoin(login.url, form["action"]), headers=cookie_header(cookies),
                               data={**form["inputs"], "email": email, "password": password},
                               allow_redirects=False, timeout=30)
        cookies.update(set_cookies(answer))
        return answer, Html(answer.text)

    # Three failures are free; then each try from this address waits longer than the one before.
    for number in range(1, 7):
        answer, page = attempt(f"wrong-password-{number}")
        if answer.status_code == 429:
            break
        assert page.page() == "login" and page.has("data-error"), \
            f"wrong password {number}: {answer.status_code}, page {page.page()!r}, error {page.has('data-error')}"
    assert number > 3, "a free failure was refused"
    assert answer.status_code == 429, "six wrong passwords in a row were all checked"
    answer, page = attempt(one_time)
    assert int(answer.headers.get("Retry-After", "0")) >= 1, answer.headers
    assert answer.status_code == 429, f"the right password within the delay: {answer.status_code}"
    assert page.has("data-error"), "the 429 page has no [data-error]"
    assert not set_cookies(answer).get("qoltanba-cabinet"), "the refused login set the login cookie"
