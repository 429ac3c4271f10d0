"""Browsers, the landing site, API calls and the signer's steps, for the signing client's tests and screenshots.

The tests drive the pages only through the README's automation contract: `data-step`,
`data-action="next"`, the inputs `otp`, `password`, `password_confirm`, and `data-error`.
"""
import base64
import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qoltanba_server import free_port, minimal_pdf, serving  # noqa: E402,F401  (serving: for the tests)

PASSWORD = "Qoltanba-2024!"
WIDTH, HEIGHT = 390, 844

# Every page records, in the tab's sessionStorage, the steps it showed and how far each one
# overflowed horizontally. Polling cannot see them all: face-match submits itself as it loads, and
# the driver waits for that navigation before it runs any script.
STEP_RECORDER = """
(() => {
  const key = "qoltanba-test-steps";
  const record = () => {
    const root = [...document.querySelectorAll("[data-step]")].find(e => e.getClientRects().length);
    if (!root) return;
    const steps = JSON.parse(sessionStorage.getItem(key) || "[]");
    const html = document.documentElement, last = steps[steps.length - 1];
    const overflow = html.scrollWidth - html.clientWidth;
    if (last && last.step === root.dataset.step) last.overflow = Math.max(last.overflow, overflow);
    else steps.push({step: root.dataset.step, overflow});
    sessionStorage.setItem(key, JSON.stringify(steps));
  };
  document.addEventListener("DOMContentLoaded", () => {
    record();
    new MutationObserver(record).observe(document.documentElement, {subtree: true, childList: true, attributes: true});
  });
  addEventListener("load", record);
})();
"""


# --- browsers -------------------------------------------------------------------------------

def make_driver(download_dir=None):
    """Headless Chromium with a fake camera that every page may use, recording the steps it shows;
    with `download_dir`, downloads go there without asking."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    if download_dir:
        options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                                  "download.prompt_for_download": False})
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     f"--window-size={WIDTH},{HEIGHT}"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(WIDTH, HEIGHT)  # headless Chromium starts at least 500 px wide, whatever --window-size says
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": STEP_RECORDER})
    return driver


# --- servers --------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def start_site(directory):
    """A static site serving `directory` on its own port (so its own origin)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Quiet, directory=directory))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


class _Landing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET

    def log_message(self, *args):
        pass


def start_landing():
    """The integrator's site that redirect_url points at: answers 200 "ok" to anything."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Landing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


# --- the API --------------------------------------------------------------------------------

def api(server, method, path, **kwargs):
    response = requests.request(method, server.url + path, headers={"x-api-key": server.key}, timeout=30, **kwargs)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def new_session(server, iin, phone, docs=None):
    """A new session with `docs` ({name: PDF bytes, or a string sent as base64_file as it is}; one small PDF by
    default) uploaded; returns the create response: {session_id, created_at, check_id}."""
    created = api(server, "POST", "/api/v1/session/create/", json={"iin": iin, "phone": phone, "document_type": "pdf"})
    for name, content in (docs or {"contract.pdf": minimal_pdf()}).items():
        api(server, "POST", "/api/v1/session/documents/upload/base64/",
            json={"session_id": created["session_id"], "name": name,
                  "base64_file": content if isinstance(content, str) else base64.b64encode(content).decode()})
    return created


def create_session(server, iin, phone, docs=None):
    """As new_session; returns only the session's id."""
    return new_session(server, iin, phone, docs)["session_id"]


def status(server, session_id):
    return api(server, "GET", "/api/v1/session/status/", params={"session_id": session_id})


def result(server, session_id):
    return api(server, "GET", "/api/v1/session/result/", params={"session_id": session_id})


def download(server, session_id):
    """The ZIP of a finished session's stamped copies (GET /api/v1/session/result/download/), as bytes."""
    response = requests.get(server.url + "/api/v1/session/result/download/", params={"session_id": session_id},
                            headers={"x-api-key": server.key}, timeout=60)
    assert response.status_code == 200, f"the download of {session_id}: {response.status_code} {response.text}"
    return response.content


def read_code(server, phone):
    """The newest SMS code sent to `phone`: read it once the step that sends it is visible."""
    messages = api(server, "GET", "/sandbox/sms.json", params={"phone": phone})
    assert messages, f"no SMS was sent to {phone}"
    return messages[0]["code"]


def command(*args, cwd=None):
    """Runs a command that must succeed; returns its standard output (the error output is only reported)."""
    run = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"{' '.join(map(str, args))} exited with {run.returncode}: {run.stdout}{run.stderr}"
    return run.stdout


def pdf_pages(path):
    return int(re.search(r"^Pages:\s+(\d+)$", command("pdfinfo", path), re.M).group(1))


def page_text(path, page):
    return command("pdftotext", "-f", str(page), "-l", str(page), path, "-")


# --- the pages ------------------------------------------------------------------------------

def open_client(driver, server, session_id, redirect_url=None, language="ru", theme=0):
    query = {"session": session_id, **({"redirect_url": redirect_url} if redirect_url else {}),
             "language": language, "theme": theme}
    driver.get(f"{server.url}/sign?{urlencode(query)}")


def current_step(driver):
    """The data-step of the visible step, or None (another page, or between two pages)."""
    try:
        return driver.execute_script(
            "const e = [...document.querySelectorAll('[data-step]')].find(e => e.getClientRects().length);"
            "return e ? e.dataset.step : null;")
    except WebDriverException:
        return None


def steps(driver):
    """The steps this tab has shown on the current site, in order: [{"step", "overflow"}]."""
    return json.loads(driver.execute_script("return sessionStorage.getItem('qoltanba-test-steps') || '[]'"))


def step_names(driver):
    return [entry["step"] for entry in steps(driver)]


def describe(driver):
    """What the browser shows: the signing client's step or the cabinet's page, the URL, any errors."""
    try:
        errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-error]") if e.is_displayed()]
        page = driver.execute_script("const m = document.querySelector('main[data-page]'); return m && m.dataset.page")
        shown = f"step {current_step(driver)!r}" if page is None else f"page {page!r}"
        shown = f"the browser shows {shown} at {driver.current_url}"
    except WebDriverException as error:
        return f"the browser cannot tell what it shows ({error.msg})"
    return shown + (f", with the errors {errors}" if errors else "")


def wait_for(driver, condition, what, timeout=30, poll=0.1):
    """Waits until condition(driver) is truthy and returns it; fails naming what the page shows instead.
    `what` is a text, or a function making one when it is needed."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=poll,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition)
    except TimeoutException:
        raise AssertionError(f"waited {timeout} s for {what() if callable(what) else what}, "
                             f"but {describe(driver)}") from None


def wait_step(driver, *names, timeout=30):
    """Waits until one of the named steps is visible; returns its name."""
    return wait_for(driver, lambda d: (step := current_step(d)) in names and step,
                    " or ".join(f"step {name!r}" for name in names), timeout)


def visible(driver, selector):
    return next((e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()), None)


def click(driver, element):
    """Clicks `element` and waits until its page is replaced."""
    element.click()

    def replaced(_):
        try:
            element.is_enabled()
            return False
        except WebDriverException:  # stale: the page has changed
            return True
    wait_for(driver, replaced, "the page after the click")


def click_action(driver, action):
    """Clicks the visible [data-action=action] and waits for the next page."""
    click(driver, wait_for(driver, lambda d: visible(d, f'[data-action="{action}"]'), f"a visible [data-action={action}]"))


def click_next(driver):
    click_action(driver, "next")


def fill(driver, name, value):
    field = wait_for(driver, lambda d: visible(d, f'[name="{name}"]'), f"a visible input {name!r}")
    field.clear()
    field.send_keys(value)


def wait_landing(driver, landing, timeout=30):
    """Waits for the redirect to the landing site; returns the final URL's path and query ({name: value})."""
    wait_for(driver, lambda d: d.current_url.startswith(landing + "/"), f"the redirect to {landing}", timeout)
    url = urlsplit(driver.current_url)
    query = parse_qsl(url.query, keep_blank_values=True)
    assert len(dict(query)) == len(query), f"a parameter is repeated in {driver.current_url}"
    return url.path, dict(query)


# --- the signer's steps ---------------------------------------------------------------------

def pass_identity(driver):
    """documents -> liveness -> face-match (the last two move on by themselves)."""
    wait_step(driver, "documents")
    click_next(driver)


def create_password(driver, server, phone, password=PASSWORD):
    """password-create, then password-otp with the SMS code."""
    wait_step(driver, "password-create")
    fill(driver, "password", password)
    fill(driver, "password_confirm", password)
    click_next(driver)
    wait_step(driver, "password-otp")
    fill(driver, "otp", read_code(server, phone))
    click_next(driver)


def enter_password(driver, password=PASSWORD):
    wait_step(driver, "password")
    fill(driver, "password", password)
    click_next(driver)


def create_or_enter_password(driver, server, phone):
    """For citizens that other tests may already have signed with."""
    if wait_step(driver, "password-create", "password") == "password-create":
        create_password(driver, server, phone)
    else:
        enter_password(driver)


def sign_documents(driver, server, phone):
    """certificate, then sign with the SMS code."""
    wait_step(driver, "certificate")
    click_next(driver)
    wait_step(driver, "sign")
    fill(driver, "otp", read_code(server, phone))
    click_next(driver)


def sign_in_client(driver, server, landing, session_id, phone):
    """The whole flow of a citizen who succeeds, whether they have a password yet or not, up to the landing site;
    fails unless the session is FINISHED."""
    open_client(driver, server, session_id, f"{landing}/back")
    pass_identity(driver)
    create_or_enter_password(driver, server, phone)
    sign_documents(driver, server, phone)
    path, query = wait_landing(driver, landing)
    assert query.get("status") == "true", f"signing ended at {path} with {query}"
    state = status(server, session_id)
    assert state["status"] == "FINISHED", f"the signed session is {state}"


# --- the API reference's JavaScript examples ------------------------------------------------

JS_EXAMPLES = Path(__file__).parent / "reference_examples"

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


def start_js_example(driver, integrator, server, name, **placeholders):
    """Runs the example `name` (in JS_EXAMPLES) in a freshly loaded page of the integrator's site (`integrator`:
    its URL and the PDF its file input picks), changing only its host, the API key and the `<…>` values."""
    page, pdf = integrator
    code = (JS_EXAMPLES / name).read_text()
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


def logged(driver):
    """What the page has logged since start_js_example: [{level, args}]."""
    return driver.execute_script("return window.logged")


def run_js_example(driver, integrator, server, name, **placeholders):
    """As start_js_example; returns the one console line the example logged, as a list."""
    start_js_example(driver, integrator, server, name, **placeholders)
    try:
        WebDriverWait(driver, 30, poll_frequency=0.1).until(lambda d: d.execute_script("return window.logged.length"))
    except TimeoutException:
        raise AssertionError(f"{name} logged nothing in 30 s") from None
    lines = logged(driver)
    assert len(lines) == 1 and lines[0]["level"] == "log", f"{name} logged {lines}"
    return lines[0]["args"]
