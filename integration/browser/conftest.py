"""The signing client in headless Chromium (fake camera) against a real sandbox server."""
import pytest

from browser_helpers import make_driver, minimal_pdf, serving, start_landing, start_site


@pytest.fixture
def new_driver():
    """Makes browsers (each a fresh profile); all are closed after the test."""
    drivers = []

    def make(**options):
        drivers.append(make_driver(**options))
        return drivers[-1]
    yield make
    for driver in drivers:
        driver.quit()


@pytest.fixture
def chromium(new_driver):
    return new_driver()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("qoltanba")) as server:
        yield server


@pytest.fixture(scope="session")
def landing():
    """The landing site's base URL, e.g. http://127.0.0.1:PORT."""
    httpd = start_landing()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def integrator(tmp_path_factory):
    """An integrator's site on its own port (so its own origin): a page with a file input, and the PDF to pick.
    Yields the page's URL and the PDF's path."""
    site = tmp_path_factory.mktemp("integrator")
    (site / "index.html").write_text('<!doctype html><title>Integrator</title><input type="file">')
    (site / "example_file.pdf").write_bytes(minimal_pdf())
    httpd = start_site(site)
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", site / "example_file.pdf"
    httpd.shutdown()
