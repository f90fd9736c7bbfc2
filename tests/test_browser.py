"""A real browser (Debian's Chromium, driven by Playwright) against `mskg serve`: search "saddle numbness",
land on the saddle anaesthesia page, follow the link to its red flag, see the path and the quote, run a
library query; no request may leave loopback. A screenshot is saved in test-artifacts/."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .test_server import Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the browser test (see .ci/run)")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server():
    s = Server("--workers", "1")
    yield s
    s.stop()


@pytest.fixture
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 1200, "height": 1500})
        requests: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.requests = requests
        yield page
        context.close()
        browser.close()


def test_search_to_red_flag_path_with_its_quote(server, page):
    base = f"http://127.0.0.1:{server.port}/"
    page.goto(base)
    page.fill("#q", "saddle numbness")
    first = page.locator("#results li").first
    sync_api.expect(first).to_contain_text("saddle anaesthesia")
    sync_api.expect(first).to_contain_text("matched synonym: saddle numbness")
    first.get_by_role("link", name="saddle anaesthesia").click()
    page.wait_for_url("**/c/saddle-anaesthesia.html")
    sync_api.expect(page.locator("h1")).to_have_text("saddle anaesthesia")
    page.locator("dl.relations").get_by_role(
        "link", name="New numbness or altered feeling around the saddle area").click()
    page.wait_for_url("**/c/rf-saddle-anaesthesia.html")
    sync_api.expect(page.locator("h2", has_text="Why it fires")).to_be_visible()
    path = page.locator("ul.paths > li").first
    sync_api.expect(path).to_contain_text("sets urgency →")
    sync_api.expect(path).to_contain_text("this is a classic nerve-warning symptom that needs urgent same-day assessment.")
    sync_api.expect(page.locator(".notice")).to_contain_text("Information, not medical advice")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-red-flag.png"), full_page=True)
    assert (ARTIFACTS / "browser-red-flag.png").stat().st_size > 10_000
    outside = [u for u in page.requests if urlsplit(u).hostname not in ("127.0.0.1",)]
    assert outside == [], f"requests left loopback: {outside}"
    assert len(page.requests) >= 6


def test_the_query_page_runs_a_library_query(server, page):
    page.goto(f"http://127.0.0.1:{server.port}/query.html")
    page.select_option("#library", "urgency_levels")
    sync_api.expect(page.locator("#sparql")).to_have_value(re.compile("Urgency levels"))
    page.click("#run")
    sync_api.expect(page.locator("#status")).to_have_text("5 rows")
    sync_api.expect(page.locator("#table")).to_contain_text("Call 999 / go to A&E now.")
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in page.requests)
