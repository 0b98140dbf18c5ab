"""`newsworker dashboard` in a real headless Chromium (Debian's, driven by Playwright): one browser
for the session, the page served from enriched files (no broker)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conftest import REPO
from workers.kafka_local import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = REPO / "tests" / "artefacts"  # screenshots (gitignored)
SEED_ID = "c7ac9c43c2f0f384"


# Module scope: Playwright's sync API keeps an event loop running in the thread while it is open,
# and later tests call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make test` installs it (deploy/local/setup.sh --browser)")
    ARTEFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@contextlib.contextmanager
def serve(paths: list[Path], tmp: Path) -> Iterator[str]:
    """`newsworker dashboard PATHS` on a free port until the test ends; yields its URL."""
    port = free_port()
    log = (tmp / f"dashboard-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "workers", "dashboard", *map(str, paths), "--dashboard-port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (tmp / log.name).read_text()
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def seed_page_url(enriched_seed, tmp_path_factory) -> Iterator[str]:
    with serve([enriched_seed], tmp_path_factory.mktemp("dashboard")) as url:
        yield url


def open_page(browser, url: str):
    """A new tab on `url`, collecting console errors, page errors and failed requests."""
    page = browser.new_page(viewport={"width": 1400, "height": 860})
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"request failed: {r.url}"))
    page.goto(url)
    return page


@pytest.fixture
def page(browser, seed_page_url):
    page = open_page(browser, seed_page_url)
    page.wait_for_function(
        "window.newsworker && window.newsworker.ready && window.newsworker.plotted().length"
    )
    yield page
    page.close()


def plotted(page, **match) -> list[dict]:
    return [p for p in page.evaluate("window.newsworker.plotted()") if match.items() <= p.items()]


def country_at(page, point: dict) -> str | None:
    """The country shape under a drawn point (the canvas lets clicks through to the map)."""
    box = page.locator("#map").bounding_box()
    return page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-name')",
        [box["x"] + point["x"], box["y"] + point["y"]],
    )


def pixel_at(page, point: dict) -> list[int]:
    return page.evaluate(
        """([x, y]) => {
            const canvas = document.getElementById('points');
            const ratio = canvas.width / canvas.getBoundingClientRect().width;
            const [px, py] = [Math.round(x * ratio), Math.round(y * ratio)];
            return [...canvas.getContext('2d').getImageData(px, py, 1, 1).data];
        }""",
        [point["x"], point["y"]],
    )


def test_the_seed_s_events_are_on_the_map_at_their_places(page, enriched_seed):
    records = {r["id"]: r for r in map(orjson.loads, enriched_seed.read_bytes().splitlines())}
    placed = [
        (article, i, records[article]["entities"][e["location"]["entity"]]["link"])
        for article in (SEED_ID, "deir-ez-zor-en")
        for i, e in enumerate(records[article]["events"])
        if e["location"] is not None
    ]
    countries = {"SY": "Syria", "RU": "Russia", "US": "United States of America"}
    for article, index, link in placed:
        [point] = plotted(page, article=article, index=index)
        assert country_at(page, point) == countries[link["country_code"]], (article, index, link)
        assert pixel_at(page, point)[3] > 0  # drawn there
    deir = [
        p
        for a, i, link in placed
        if link["name_en"] == "Deir ez-Zor"
        for p in plotted(page, article=a, index=i)
    ]
    assert {p["type"] for p in deir} == {"ASSAULT"} and len(
        {(round(p["x"]), round(p["y"])) for p in deir}
    ) == 1
    english = next(p for p in deir if p["article"] == "deir-ez-zor-en")
    assert english["r"] > max(p["r"] for p in deir if p["article"] == SEED_ID)  # 12 killed: a bigger point
    # placed in a country without coordinates: a ring at the country's centre; in its capital: a point
    protest = sorted(plotted(page, article="tunis-protest-en"), key=lambda p: p["exact"])
    assert [p["exact"] for p in protest] == [False, True]
    assert [country_at(page, p) for p in protest] == ["Tunisia", "Tunisia"]
    page.screenshot(path=ARTEFACTS / "dashboard-seed.png")
    assert page.problems == []


def test_a_filter_hides_the_events_and_shows_them_again(page):
    deir = plotted(page, article=SEED_ID, index=0)[0]
    assert plotted(page, type="ASSAULT") and pixel_at(page, deir)[3] > 0
    page.locator("#types label[data-type=ASSAULT] input").uncheck()
    assert plotted(page, type="ASSAULT") == [] and pixel_at(page, deir)[3] == 0
    assert page.locator("#events li", has_text="ASSAULT").count() == 0
    page.locator("#types label[data-type=ASSAULT] input").check()
    assert plotted(page, type="ASSAULT") and pixel_at(page, deir)[3] > 0

    page.fill("#search", "teachers")
    page.wait_for_function("window.newsworker.plotted().every(p => p.type === 'PROTEST')")
    assert {p["article"] for p in plotted(page)} == {"tunis-protest-en"}
    page.fill("#search", "")
    page.wait_for_function("window.newsworker.plotted().some(p => p.type !== 'PROTEST')")  # typing settled
    page.select_option("#language", "ar")
    assert {p["article"] for p in plotted(page)} == {SEED_ID}
    page.select_option("#language", "")
    page.locator("#confidence").fill("0.9")
    assert plotted(page) and all(p["type"] != "ASSAULT" or p["article"] != SEED_ID for p in plotted(page))
    assert page.problems == []


def test_a_clicked_event_shows_its_arabic_sentence_right_to_left(page, enriched_seed):
    seed = next(r for r in map(orjson.loads, enriched_seed.read_bytes().splitlines()) if r["id"] == SEED_ID)
    point = plotted(page, article=SEED_ID, index=0)[0]
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    sentence = page.locator("#detail .sentence")
    sentence.wait_for()
    event = seed["events"][int(page.locator("#detail").get_attribute("data-index"))]
    assert page.locator("#detail h3").inner_text() == seed["title"]
    assert sentence.locator("mark.trigger").inner_text() == event["trigger"]["text"]
    if event["actors"]["source"]:
        assert sentence.locator("mark.source").inner_text() == event["actors"]["source"]["text"]
    assert sentence.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # drawn right to left: the first letter at the right edge, the second one left of it
    first, second, right = sentence.evaluate(
        """e => {
            const range = document.createRange(), text = e.firstChild.firstChild ?? e.firstChild;
            const at = (i) => {
                range.setStart(text, i);
                range.setEnd(text, i + 1);
                return range.getBoundingClientRect();
            };
            return [at(0), at(1), e.getBoundingClientRect().right];
        }"""
    )
    assert second["left"] < first["left"] and abs(first["right"] - right) < 2
    page.screenshot(path=ARTEFACTS / "dashboard-event.png")
    assert page.problems == []


def test_the_wheel_zooms_in_on_the_place_under_it_and_a_double_click_zooms_out(page):
    def apart():
        [deir] = plotted(page, article=SEED_ID, index=0)
        [hama] = plotted(page, article=SEED_ID, index=2)  # Hamah, 300 km west
        return deir, abs(deir["x"] - hama["x"])

    deir, before = apart()
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + deir["x"], box["y"] + deir["y"])
    page.mouse.wheel(0, -600)
    page.wait_for_function(
        """before => {
            const [deir, hama] = [0, 2].map(i => window.newsworker.plotted().find(p => p.index === i));
            return Math.abs(deir.x - hama.x) > 5 * before;
        }""",
        arg=before,
    )
    zoomed_deir = apart()[0]
    assert country_at(page, zoomed_deir) == "Syria"
    # held still under the mouse, up to the mouse's whole pixels magnified (x7.4)
    assert (zoomed_deir["x"], zoomed_deir["y"]) == pytest.approx((deir["x"], deir["y"]), abs=5)
    page.screenshot(path=ARTEFACTS / "dashboard-zoomed.png")
    page.mouse.dblclick(box["x"] + 5, box["y"] + 5)
    assert apart()[1] == pytest.approx(before)
    assert page.problems == []


def test_the_seed_s_story_lists_its_articles_in_both_languages(page):
    story = page.locator(f"#stories > li[data-story='{SEED_ID}']")
    assert sorted(story.locator(".lang").all_inner_texts()) == ["ar", "en"]
    assert story.locator("[dir=auto][lang=en]").inner_text().startswith("Russian Defence Ministry")
    assert page.locator("#stories > li[data-story='tunis-protest-en'] .lang").all_inner_texts() == [
        "en",
        "fr",
    ]


def test_ten_thousand_events_stay_responsive(browser, enriched_seed, tmp_path):
    """Prints what it costs (never asserts a time): the seed's records copied to 10,000 events,
    their places moved so that they spread over the map."""
    lines = enriched_seed.read_bytes().splitlines()
    per_round = sum(len(orjson.loads(line)["events"]) for line in lines)
    many = tmp_path / "many.jsonl"
    with many.open("wb") as out:
        for k in range(-(-10_000 // per_round)):
            for line in lines:
                moved = orjson.loads(line)
                moved["id"] += f"~{k}"
                moved["story"]["id"] += f"~{k}"
                for entity in moved["entities"]:
                    if entity["link"] and entity["link"].get("lat") is not None:
                        entity["link"]["lat"] = (entity["link"]["lat"] + 7 * (k % 13) - 42) % 140 - 60
                        entity["link"]["lon"] = (entity["link"]["lon"] + 11 * k) % 360 - 180
                out.write(orjson.dumps(moved) + b"\n")
    with serve([many], tmp_path) as url:
        started = time.perf_counter()
        page = open_page(browser, url)
        events = per_round * -(-10_000 // per_round)
        page.wait_for_function(  # every event read and drawn (the page asks for changes every 2 s)
            f"document.getElementById('status').textContent.startsWith('{events} of')", timeout=120_000
        )
        loaded = time.perf_counter() - started
        first = page.evaluate("window.newsworker.renderMs")
        total = page.evaluate("document.getElementById('status').textContent")
        page.locator("#types label[data-type=ASSAULT] input").uncheck()
        filtered = page.evaluate("window.newsworker.renderMs")
        page.fill("#search", "داعش")
        page.wait_for_function("window.newsworker.plotted().length < 5000")
        searched = page.evaluate("window.newsworker.renderMs")
        points = len(page.evaluate("window.newsworker.plotted()"))
        print(
            f"\n10k events: {total}; page ready in {loaded:.2f} s; render {first:.0f} ms;"
            f" type filter {filtered:.0f} ms; search {searched:.0f} ms ({points} points left)"
        )
        assert 0 < points < events and page.problems == []
        page.screenshot(path=ARTEFACTS / "dashboard-10k.png")
        page.close()
