"""The hub in a real browser (headless Chromium): every tab visited in turn on one page,
driven as a visitor would: draw with the mouse, click an example, upload a photo, type a
prompt, press the button, read what the page shows. A failing tab leaves a screenshot in
test-output/.

Needs a Chromium or Chrome and the `playwright` package. `make test` installs playwright
and finds the browser (see the Makefile: one already installed, Debian's `chromium`, or
`playwright install chromium`), and passes it on in HUB_CHROMIUM.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from conftest import ROOT
from core.experiments import EXPERIMENTS

BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "test-output"
PHOTO = ROOT / "ui" / "examples" / "photos" / "chelsea.jpg"
WAIT_MS = 60_000  # a request on a loaded 2-core machine
PERCENT = re.compile(r"\d+%")


def chromium() -> str | None:
    """The browser to drive: HUB_CHROMIUM (which `make test` sets), else the first Chromium
    or Chrome on PATH, else None, playwright's own (`playwright install chromium`)."""
    if os.environ.get("HUB_CHROMIUM"):
        return os.environ["HUB_CHROMIUM"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def test_the_browser_is_hub_chromium_else_the_first_on_path(tmp_path, monkeypatch):
    for name in ["chrome", "google-chrome"]:
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HUB_CHROMIUM", "/opt/some/chrome")
    assert chromium() == "/opt/some/chrome"
    monkeypatch.delenv("HUB_CHROMIUM")
    assert chromium() == str(tmp_path / "google-chrome")
    (tmp_path / "google-chrome").unlink()
    assert chromium() == str(tmp_path / "chrome")
    (tmp_path / "chrome").unlink()
    assert chromium() is None


@pytest.fixture(scope="module")
def page(hub_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        page.goto(hub_url)
        page.get_by_role("tab", name="Home").wait_for()
        yield page
        browser.close()


def open_tab(page: Page, title: str) -> None:
    """Select a tab, through the "More tabs" menu when the tab bar has no room for it."""
    tab = page.get_by_role("tab", name=title, exact=True)
    if tab.count():
        tab.click()
    else:
        page.get_by_role("button", name="More tabs").click()
        page.locator(".overflow-dropdown button").get_by_text(title, exact=True).click()
    expect(page.get_by_role("tab", name=title, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def panel(page: Page):
    return page.locator("[role=tabpanel]:visible").first


def draw(page: Page, points: list[tuple[float, float]]) -> None:
    """Pick the brush, then drag the mouse through points (fractions of the canvas)."""
    panel(page).get_by_role("button", name="Brush", exact=True).first.click()
    box = panel(page).locator("canvas:visible").first.bounding_box()
    where = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*where[0])
    page.mouse.down()
    for x, y in where[1:]:
        page.mouse.move(x, y)
    page.mouse.up()


def submit(page: Page, name: str = "Submit") -> None:
    panel(page).get_by_role("button", name=name, exact=True).locator("visible=true").first.click()


def label_output(page: Page):
    """The Label output: its top class heading and the probability rows."""
    return panel(page).locator(".output-class").first


def digit_one(page: Page) -> None:
    draw(page, [(0.5, 0.2 + 0.03 * i) for i in range(21)])
    submit(page)
    expect(label_output(page)).to_have_text(re.compile(r"^\s*\d\s*$"))
    expect(panel(page)).to_contain_text(PERCENT)


def digit_example(page: Page) -> None:
    panel(page).locator(".gallery-item").nth(3).click()  # the examples are 0.png ... 9.png
    submit(page)
    expect(label_output(page)).to_have_text(re.compile(r"^\s*3\s*$"))


def doodle(page: Page) -> None:
    # The canvas element is wider than the paper on it: stay near the middle.
    ring = [(0.5 + 0.1 * c, 0.5 + 0.2 * s) for c, s in _circle(24)]
    draw(page, ring)
    submit(page)
    expect(label_output(page)).to_have_text(re.compile(r"\w"))
    expect(panel(page)).to_contain_text(PERCENT)


def _circle(n: int) -> list[tuple[float, float]]:
    import math

    return [(math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n + 1)]


def upload(page: Page, path: Path) -> None:
    """Upload a file into the tab's first image input and wait until it shows it."""
    box = panel(page).locator(".block:has(input[type=file])").first
    box.locator("input[type=file]").first.set_input_files(str(path))
    expect(box.locator("img").first).to_be_visible()


def no_error_shown(page: Page) -> None:
    expect(panel(page).get_by_text("Error", exact=True)).to_have_count(0)


def classify_photo(page: Page) -> None:
    upload(page, PHOTO)
    submit(page)
    expect(label_output(page)).to_have_text(re.compile(r"cat|Mau|lynx", re.I))
    no_error_shown(page)


def detect_objects(page: Page) -> None:
    upload(page, PHOTO)
    submit(page)
    # The AnnotatedImage legend lists a button per box: its class and score.
    expect(panel(page).locator(".legend-item").first).to_contain_text(PERCENT)


def play_rock_paper_scissors(page: Page) -> None:
    panel(page).locator(".gallery-item").first.click()  # a rendered hand from the examples
    submit(page, "Play with this photo")
    expect(panel(page)).not_to_contain_text("Press PLAY")  # the round's result replaced it
    expect(panel(page)).to_contain_text(re.compile(r"rock|paper|scissors|no hand", re.I))
    no_error_shown(page)


def add_numbers(page: Page) -> None:
    panel(page).get_by_role("textbox", name="Sum").fill("12+34")
    submit(page)
    answer = panel(page).get_by_role("textbox", name="Answer")
    expect(answer).to_have_value(re.compile(r"12\+34 *= *\d+"))


def generate_text(page: Page) -> None:
    box = panel(page).locator("textarea:visible").first
    box.fill("The ")
    submit(page)
    output = panel(page).locator("textarea:visible").last
    expect(output).to_have_value(re.compile(r"\S{3,}"))


def generate_clothes(page: Page) -> None:
    submit(page)
    expect(panel(page).locator("img[src*='image']").first).to_be_visible()
    draw(page, [(0.4 + 0.01 * i, 0.3 + 0.02 * i) for i in range(21)])
    panel(page).get_by_role("button", name="Submit", exact=True).nth(1).click()
    expect(panel(page).locator("img").nth(2)).to_be_visible()


ACTIONS = {
    "digits_recognition_mlp": digit_one,
    "digits_recognition_cnn": digit_example,
    "sketch_recognition_mlp": doodle,
    "sketch_recognition_cnn": doodle,
    "rock_paper_scissors_cnn": play_rock_paper_scissors,
    "rock_paper_scissors_transfer": play_rock_paper_scissors,
    "objects_detection": detect_objects,
    "image_classification": classify_photo,
    "numbers_summation_rnn": add_numbers,
    "text_generation_shakespeare_rnn": generate_text,
    "text_generation_wikipedia_rnn": generate_text,
    "recipe_generation_rnn": generate_text,
    "clothes_generation_dcgan": generate_clothes,
}


def test_every_experiment_has_a_browser_check():
    assert {e.id for e in EXPERIMENTS} <= set(ACTIONS)


def test_home_tab_lists_every_experiment(page):
    open_tab(page, "Home")
    for experiment in EXPERIMENTS:
        expect(panel(page)).to_contain_text(experiment.title)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=[e.id for e in EXPERIMENTS])
def test_tab_answers_a_visitor(page, experiment):
    open_tab(page, experiment.title)
    try:
        expect(panel(page)).to_contain_text(experiment.description)
        expect(panel(page)).not_to_contain_text("This experiment is unavailable")
        ACTIONS[experiment.id](page)
    except Exception:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"browser-{experiment.id}.png"), full_page=True)
        raise
