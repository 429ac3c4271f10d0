"""The signing client in headless Chromium (fake camera) against a real sandbox server."""
import pytest

from browser_helpers import make_driver, serving, start_landing


@pytest.fixture
def new_driver():
    """Makes browsers (each a fresh profile); all are closed after the test."""
    drivers = []

    def make():
        drivers.append(make_driver())
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
