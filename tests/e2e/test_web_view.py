"""The web view as a person uses it, in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium) against `sla-ledger serve`: sign in as a customer, open an
account-month, read the figures off the page and compare them with the JSON report, count the
marks of the timeline picture, be refused another account's page, sign out.

Hand-computed (acme, April 2026, UTC): 30 x 86,400 = 2,592,000 s. o-1 10 April 10:00-11:00Z is
counted: 3,600 s. The 4-minute blip on 20 April is under the 5-minute threshold: ignored, 240 s.
o-2 15 April 01:30-02:30Z lies inside scheduled maintenance mw-1 01:00-03:00Z: excluded, 3,600 s.
1 - 3,600 / 2,592,000 = 0.99861111... -> 99.8611 %, below 99.9 %: MISSED.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.e2e.test_cli_import import run, write
from tests.e2e.test_served_api import (
    Served,
    key,
    served,  # noqa: F401  (the fixture)
)
from tests.factories import maintenance, ndjson, outage, signed

HOW = (
    "the browser tests need Debian's chromium and chromium-driver: "
    "`apt-get install -y chromium chromium-driver` (scripts/test does it when run as root)"
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail(HOW)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,1400",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def seed(database_url: str, tmp_path: Path) -> None:
    facts = ndjson(
        signed("acme", template="lifesize-extreme"),
        signed("beta", template="lifesize-extreme"),
        outage("o-1", "2026-04-10T10:00:00Z", "2026-04-10T11:00:00Z", accounts=["acme"]),
        outage("blip", "2026-04-20T00:00:00Z", "2026-04-20T00:04:00Z", accounts=["acme"]),
        maintenance("mw-1", "2026-04-15T01:00:00Z", "2026-04-15T03:00:00Z", accounts=["acme"]),
        outage("o-2", "2026-04-15T01:30:00Z", "2026-04-15T02:30:00Z", accounts=["acme"]),
    )
    imported = run(database_url, "import", write(tmp_path, "april.ndjson", facts))
    assert imported.returncode == 0, imported.stderr


def text(driver: webdriver.Chrome, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def test_a_customer_reads_its_month_in_a_browser(
    served: Served,  # noqa: F811
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    seed(served.database_url, tmp_path)
    secret = key(served.database_url, "--role", "customer", "--account", "acme")
    report = httpx.get(
        f"{served.base_url}/accounts/acme/availability/2026-04",
        headers={"X-API-Key": secret},
        timeout=30,
    ).json()
    assert (report["availability_percent"], report["unavailable_seconds"]) == ("99.8611", 3_600)

    browser.get(f"{served.base_url}/ui")
    browser.find_element(By.ID, "key").send_keys(secret)
    browser.find_element(By.ID, "sign-in").click()
    browser.find_element(By.LINK_TEXT, "2026-04")  # the account's page, once it has loaded
    cookie = browser.get_cookie("sla_ledger_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert secret not in cookie["value"]  # the cookie names the key; it does not carry it

    browser.find_element(By.LINK_TEXT, "2026-04").click()  # from the account's months
    browser.save_screenshot(str(tmp_path / "account-month.png"))
    assert "acme" in browser.title and "2026-04" in browser.title
    assert text(browser, "availability") == f"{report['availability_percent']} %"
    assert text(browser, "target") == f"{report['target_percent']} %"
    assert text(browser, "verdict") == "MISSED"
    for figure in ("period", "unavailable", "excluded", "ignored"):
        assert text(browser, f"{figure}-seconds") == str(report[f"{figure}_seconds"])

    marks = browser.find_elements(By.CSS_SELECTOR, "#timeline rect.mark")
    kinds = [mark.get_attribute("data-kind") for mark in marks]
    assert kinds == ["counted", "ignored", "excluded"]
    assert len(kinds) == (
        len(report["unavailable_periods"])
        + len(report["ignored_periods"])
        + len(report["excluded_periods"])
    )
    excluded_row = browser.find_element(By.CSS_SELECTOR, "tr.period[data-kind=excluded]").text
    assert "mw-1 (scheduled, declared 2026-04-15 01:00 +00:00" in excluded_row

    browser.get(f"{served.base_url}/ui/accounts/beta/months/2026-04")
    assert text(browser, "status") == "404"
    refused = httpx.get(
        f"{served.base_url}/ui/accounts/beta/months/2026-04",
        cookies={"sla_ledger_session": cookie["value"]},
        timeout=30,
    )
    assert refused.status_code == 404
    browser.save_screenshot(str(tmp_path / "another-account.png"))

    browser.get(f"{served.base_url}/ui/accounts/acme/months/2026-04")
    browser.find_element(By.ID, "sign-out").click()
    browser.find_element(By.ID, "key")  # the sign-in form (waited for, up to the implicit wait)
    assert browser.get_cookie("sla_ledger_session") is None
    browser.get(f"{served.base_url}/ui/accounts/acme/months/2026-04")
    assert browser.find_elements(By.ID, "key"), "signed out: the sign-in form again"
    assert not browser.find_elements(By.ID, "availability")
