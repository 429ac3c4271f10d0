"""`make screenshots`: a PNG of every step of the signing client and every page of the cabinet in screenshots/.

For each language (kk, ru, en) and theme (0 light, 1 dark), on a fresh sandbox server whose webhook
answers nothing: a first-time signer, the same signer returning, and a signer who fails liveness, all
without redirect_url so that the outcome page (`done`, `failed`) is shown too; then the cabinet of
the demo organization, from the login to the webhook deliveries those sessions left.
"""
import tempfile
import time
from pathlib import Path

from browser_helpers import (PASSWORD, click_action, click_next, create_session, current_step, describe, fill,
                             make_driver, open_client, read_code, serving, wait_for)

OUT = Path(__file__).resolve().parents[2] / "screenshots"
# The face-match page submits itself at once: held back a moment here, so that it can be photographed.
HOLD_AUTO_SUBMIT = """
const submit = HTMLFormElement.prototype.submit;
HTMLFormElement.prototype.submit = function () { setTimeout(() => submit.call(this), 1500); };
"""
# The steps that wait for the signer, and the fields they fill before next.
MANUAL = {"documents": [], "password-create": ["password", "password_confirm"], "password-otp": ["otp"],
          "password": ["password"], "certificate": [], "sign": ["otp"]}
SIGNER, FAILING = ("871008401427", "77011234567"), ("800416300257", "77051234567")
FLOWS = [
    ("first-time", SIGNER, ["documents", "liveness", "face-match", "password-create", "password-otp", "certificate",
                            "sign", "done"]),
    ("returning", SIGNER, ["documents", "liveness", "face-match", "password", "certificate", "sign", "done"]),
    ("failure", FAILING, ["documents", "liveness", "failed"]),
]


def act(driver, server, phone, step):
    for name in MANUAL[step]:
        fill(driver, name, read_code(server, phone) if name == "otp" else PASSWORD)
    click_next(driver)


def walk(driver, server, citizen, prefix, language, theme):
    """Opens a new session and saves each step once, as it appears, until the outcome page; returns the steps."""
    iin, phone = citizen
    open_client(driver, server, create_session(server, iin, phone), language=language, theme=theme)
    seen, deadline = [], time.monotonic() + 120
    while not seen or seen[-1] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"{prefix}: no outcome after {seen}; {describe(driver)}"
        step = current_step(driver)
        if step and step not in seen:
            seen.append(step)
            driver.save_screenshot(str(OUT / f"{prefix}-{len(seen):02d}-{step}.png"))
            if step in MANUAL:
                act(driver, server, phone, step)
        time.sleep(0.05)
    return seen


def cabinet(driver, server, prefix, language, theme):
    """Logs a new account of the demo organization in and saves each page of the cabinet."""
    organization = server.banner_value(r"Demo organization: (.+)").strip()
    one_time = server.cli("user", "create", "--org", organization, "--email", "anna@bank.example").stdout.strip()
    driver.get(f"{server.url}/cabinet/login?language={language}&theme={'dark' if theme else 'light'}")

    def save(page):
        wait_for(driver, lambda d: d.find_elements("css selector", f'main[data-page="{page}"]'), f"the {page} page")
        driver.save_screenshot(str(OUT / f"{prefix}-{page}.png"))
    save("login")
    fill(driver, "email", "anna@bank.example")
    fill(driver, "password", one_time)
    click_action(driver, "login")
    save("password")
    for name in ["current_password", "new_password", "new_password_confirm"]:
        fill(driver, name, one_time if name == "current_password" else PASSWORD + "-cabinet")
    click_action(driver, "change-password")
    save("sessions")
    driver.get(driver.find_element("css selector", "tr[data-session] a").get_attribute("href"))
    save("session")
    for page in ["webhooks", "organization", "keys"]:
        driver.get(f"{server.url}/cabinet/{page}")
        save(page)
    click_action(driver, "create-key")
    save("keys")


def main():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    for language in ["kk", "ru", "en"]:
        for theme in [0, 1]:
            with tempfile.TemporaryDirectory() as data, serving(Path(data)) as server:
                organization = server.banner_value(r"Demo organization: (.+)").strip()
                server.cli("org", "set-webhook", "--org", organization, "--url", "http://127.0.0.1:9/events")
                driver = make_driver()
                try:
                    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD_AUTO_SUBMIT})
                    for flow, citizen, expected in FLOWS:
                        prefix = f"{language}-theme{theme}-{flow}"
                        seen = walk(driver, server, citizen, prefix, language, theme)
                        assert seen == expected, f"{prefix}: saw {seen}, expected {expected}"
                        print(f"{prefix}: {' -> '.join(seen)}")
                    cabinet(driver, server, f"{language}-theme{theme}-cabinet", language, theme)
                finally:
                    driver.quit()
    print(f"{len(list(OUT.glob('*.png')))} screenshots in {OUT}")


if __name__ == "__main__":
    main()
