"""A historian's walk through `ledger serve` in a real browser (headless Chromium, driven through
chromium-driver): the structure the day before the Devon CCGs merged, the date control moved to
the day of the merger, NHS Devon CCG's page, its lineage followed back to NEW Devon CCG, and a paper
it cites. Each step leaves a screenshot in test-artifacts/browser/.

One server and one browser for the module: the bundled ledger is imported once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.support.stores import fresh_store
from tests.support.web import served

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled ledger, with a checkpoint (so changes have proofs), served on a free port."""
    with fresh_store() as url:
        cli = Cli(url, tmp_path_factory.mktemp("walk"))
        cli.ok("import", str(ROOT / "events"))
        cli.ok("checkpoint")
        with served(url) as address:
            yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def names_in_structure(driver: object) -> set[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#structure tbody tr")  # type: ignore[attr-defined]
    return {row.get_attribute("data-name") for row in rows}


def test_a_historian_walks_from_the_merger_to_a_paper(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    wait = WebDriverWait(driver, 15)  # type: ignore[arg-type]

    # The structure the day before the merger: the two Devon CCGs, no NHS Devon CCG.
    driver.get(f"{site}/on/2019-03-31/structure")  # type: ignore[attr-defined]
    assert driver.find_element(By.ID, "on-date").text == "2019-03-31"  # type: ignore[attr-defined]
    before = names_in_structure(driver)
    assert {"NEW Devon CCG", "South Devon and Torbay CCG"} <= before
    assert "NHS Devon CCG" not in before
    shot(driver, "1-structure-2019-03-31")

    # Move the page's date control to the day of the merger.
    field = driver.find_element(By.ID, "on")  # type: ignore[attr-defined]
    driver.execute_script("arguments[0].value = '2019-04-01'", field)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "go").click()  # type: ignore[attr-defined]
    wait.until(ec.url_contains("/on/2019-04-01/structure"))
    assert driver.find_element(By.ID, "on-date").text == "2019-04-01"  # type: ignore[attr-defined]
    after = names_in_structure(driver)
    assert "NHS Devon CCG" in after
    assert not {"NEW Devon CCG", "South Devon and Torbay CCG"} & after
    shot(driver, "2-structure-2019-04-01")

    # NHS Devon CCG's page.
    driver.find_element(  # type: ignore[attr-defined]
        By.CSS_SELECTOR, 'tr[data-name="NHS Devon CCG"] td.name a'
    ).click()
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "NHS Devon CCG"))
    assert "/on/2019-04-01/body/" in driver.current_url  # type: ignore[attr-defined]
    history = driver.find_element(By.ID, "history").text  # type: ignore[attr-defined]
    assert "devon-ccgs-merge-2019-04" in history
    shot(driver, "3-nhs-devon-ccg")

    # Its lineage, drawn as a timeline: follow the bar of NEW Devon CCG.
    bar = driver.find_element(  # type: ignore[attr-defined]
        By.XPATH,
        "//*[local-name()='svg']//*[local-name()='a']"
        "//*[local-name()='text' and normalize-space()='NEW Devon CCG']",
    )
    joins = driver.find_elements(By.CSS_SELECTOR, "svg.lineage g.join.merged")  # type: ignore[attr-defined]
    assert len(joins) == 2  # both CCGs merged into it
    driver.execute_script("arguments[0].scrollIntoView()", bar)  # type: ignore[attr-defined]
    bar.click()  # type: ignore[attr-defined]
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "NEW Devon CCG"))
    # Its page on its last day: the day before the merger.
    assert "/on/2019-03-31/body/" in driver.current_url  # type: ignore[attr-defined]
    shot(driver, "4-new-devon-ccg")

    # A paper it cites.
    cited = driver.find_element(By.CSS_SELECTOR, "ul.sources a.source")  # type: ignore[attr-defined]
    source = cited.text
    cited.click()
    wait.until(ec.url_contains(f"/source/{source}"))
    assert source in driver.find_element(By.ID, "source").text  # type: ignore[attr-defined]
    supports = driver.find_element(By.ID, "supports").text  # type: ignore[attr-defined]
    assert "new-devon-ccg" in supports or "devon" in supports
    shot(driver, "5-source")
