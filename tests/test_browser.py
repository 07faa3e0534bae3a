"""The hub in a real browser (headless Chromium): every tab visited in turn on one page,
driven as a visitor would: draw with the mouse, click an example, upload a photo, type a
prompt, press the button, read what the page shows. A failing tab leaves a screenshot in
test-output/, and so do the home page and a drawing tab at 1280 and 390 px (a phone).

Needs a Chromium or Chrome and the `playwright` package. `make test` installs playwright
and finds the browser (see the Makefile: one already installed, Debian's `chromium`, or
`playwright install chromium`), and passes it on in HUB_CHROMIUM.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from core import ROOT
from core.experiments import BY_ID, EXPERIMENTS, SECTIONS, Experiment

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
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=ARGS)
        expect.set_options(timeout=WAIT_MS)
        yield browser
        browser.close()


def new_page(browser, url: str, width: int = 1280) -> Page:
    """A page of the hub at ``url``, ``width`` px wide, once its tabs are there."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.get_by_role("tab", name="Home").wait_for()
    return page


@pytest.fixture(scope="module")
def page(browser, hub_url):
    page = new_page(browser, hub_url)
    yield page
    page.close()


def selected(page: Page, name: str):
    """Wait until the tab ``name`` is the selected one (in the tab bar, not the overflow)."""
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def open_tab(page: Page, experiment: Experiment) -> None:
    """Select the experiment's section, then its tab: both in sight, never in the "More
    tabs" menu (test_every_experiment_is_in_sight)."""
    page.get_by_role("tab", name=experiment.section, exact=True).click()
    selected(page, experiment.section)
    page.get_by_role("tab", name=experiment.short, exact=True).click()
    selected(page, experiment.short)


def open_home(page: Page) -> None:
    page.get_by_role("tab", name="Home", exact=True).click()
    selected(page, "Home")


def panel(page: Page):
    """The innermost tab panel on view: the experiment's (inside its section's)."""
    return page.locator("[role=tabpanel]:visible").last


def draw(page: Page, points: list[tuple[float, float]], pick_brush: bool = True) -> None:
    """Pick the brush, then drag the mouse through points (fractions of the canvas)."""
    if pick_brush:
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
    # The examples are 0.png ... 9.png; the answer comes with the example (cached).
    panel(page).locator(".gallery-item").nth(3).click()
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
    """Upload a file into the tab's first image input that is not a live webcam (whose
    block holds a file input and a video) and wait until it shows it."""
    inputs = panel(page).locator(".block:has(input[type=file])")
    box = inputs.filter(has_not=page.locator("video")).first
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
    # The click loads the example through the queue: wait until the photo input shows it
    # (a PLAY before that sends no picture, and gets the "no picture" message).
    photo = panel(page).locator(".block", has_text="or a photo").last
    expect(photo.locator("img").first).to_be_visible()
    submit(page, "Play with this photo")
    # The round's result, in the words only a played round writes (the tab's description
    # names the three gestures too): "You: paper · Computer: rock · Computer wins."
    played = r"You: *(rock|paper|scissors) · Computer: *(rock|paper|scissors) · \w"
    expect(panel(page)).to_contain_text(re.compile(played))
    expect(panel(page)).not_to_contain_text("Press PLAY")  # the round's result replaced it
    no_error_shown(page)


def add_numbers(page: Page) -> None:
    panel(page).get_by_role("textbox", name="Sum").fill("12+34")
    submit(page)
    answer = panel(page).get_by_role("textbox", name="Answer")
    expect(answer).to_have_value(re.compile(r"12\+34 *= *\d+"))


def generate_text(page: Page) -> None:
    output = panel(page).locator("textarea:visible").last
    expect(output).to_have_value(re.compile(r"\S{3,}"))  # a text is there on arrival
    on_arrival = output.input_value()
    panel(page).locator("textarea:visible").first.fill("Love ")  # letters every vocabulary has
    submit(page)
    expect(output).to_have_value(re.compile(r"Love"))
    assert output.input_value() != on_arrival


def gan_grid(page: Page):
    """The DCGAN tab's first "Generated clothes" picture."""
    return panel(page).locator(".block", has_text="Generated clothes").locator("img").first


def generate_clothes(page: Page) -> None:
    expect(gan_grid(page)).to_be_visible()  # there on arrival (test_gan_grid_on_arrival)
    on_arrival = gan_grid(page).get_attribute("src")
    panel(page).get_by_role("spinbutton", name="Seed").fill("7")
    submit(page)
    expect(gan_grid(page)).not_to_have_attribute("src", on_arrival)
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


def test_home_tab_shows_a_card_with_a_picture_per_experiment(page):
    open_home(page)
    for experiment in EXPERIMENTS:
        expect(panel(page)).to_contain_text(experiment.title)
    pictures = panel(page).locator(".gallery-picture img")
    expect(pictures).to_have_count(len(EXPERIMENTS))
    for picture in pictures.all():
        picture.scroll_into_view_if_needed()
        assert picture.evaluate("img => img.complete && img.naturalWidth") > 0


def test_a_card_opens_its_tab(page):
    for experiment in EXPERIMENTS:
        open_home(page)
        panel(page).locator(f"#{experiment.id}-open").click()
        selected(page, experiment.section)
        selected(page, experiment.short)
        expect(panel(page)).to_contain_text(experiment.description)


def test_similar_experiment_button_opens_its_tab(page):
    experiment = BY_ID["digits_recognition_mlp"]
    open_tab(page, experiment)
    panel(page).locator(f"#{experiment.id}-similar").click()
    selected(page, BY_ID[experiment.similar].short)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_experiment_is_in_sight(browser, hub_url, width):
    """At a laptop's and a phone's width no tab is in gradio's "More tabs" menu: the
    sections fit the tab bar, and so do each section's experiments."""
    page = new_page(browser, hub_url, width)
    try:
        SHOTS.mkdir(exist_ok=True)
        for picture in page.locator(".gallery-picture img").all():  # loaded lazily
            picture.scroll_into_view_if_needed()
            expect(picture).to_have_js_property("complete", True)
        page.screenshot(path=str(SHOTS / f"home-{width}.png"), full_page=True)
        more = page.get_by_role("button", name="More tabs").locator("visible=true")
        for name in ["Home", *SECTIONS]:
            expect(page.get_by_role("tab", name=name, exact=True)).to_be_visible()
        for experiment in EXPERIMENTS:
            open_tab(page, experiment)
            expect(page.get_by_role("tab", name=experiment.short, exact=True)).to_be_visible()
            expect(more).to_have_count(0)
        open_tab(page, BY_ID["digits_recognition_cnn"])
        page.screenshot(path=str(SHOTS / f"digits-{width}.png"), full_page=True)
    finally:
        page.close()


def test_a_deep_link_opens_its_tab_and_the_gan_grid_is_there(browser, hub_url):
    experiment = BY_ID["clothes_generation_dcgan"]
    page = new_page(browser, f"{hub_url}?tab={experiment.id}")
    try:
        selected(page, experiment.section)
        selected(page, experiment.short)
        # The grid is there on opening: nothing was clicked.
        expect(gan_grid(page)).to_be_visible()
        assert gan_grid(page).evaluate("img => img.complete && img.naturalWidth") > 0
    finally:
        page.close()


# Watches the page's own requests: every queue/join (its fn_index and event_id) and every
# process_completed message on the queue/data streams (a copy of each stream, read aside).
WATCH_QUEUE = """
(() => {
  const original = window.fetch;
  window.__joins = [];
  window.__completed = new Set();
  const readAside = async (stream) => {
    const reader = stream.getReader(), decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
      const events = text.split("\\n\\n");
      text = events.pop();
      for (const event of events) {
        if (!event.startsWith("data:")) continue;
        const message = JSON.parse(event.slice(5));
        if (message.msg === "process_completed") window.__completed.add(message.event_id);
      }
    }
  };
  window.fetch = async (...args) => {
    const response = await original(...args);
    const url = String(args[0] && args[0].url ? args[0].url : args[0]);
    if (url.includes("/queue/join")) {
      const asked = JSON.parse(args[1].body);
      response.clone().json().then((answer) => {
        window.__joins.push([asked.fn_index, answer.event_id]);
      });
    } else if (url.includes("/queue/data") && response.body) {
      const [aside, theirs] = response.body.tee();
      readAside(aside);
      const { status, statusText, headers } = response;
      return new Response(theirs, { status, statusText, headers });
    }
    return response;
  };
})();
"""
# True once every joined event has completed and the last one joined is ``fn_index`` (the
# end of the chain: the 28x28 view after the label), on two polls in a row: the next
# join of a chain is sent as its predecessor's answer arrives, never later.
SETTLED = """
(fn_index) => {
  const joins = window.__joins, last = joins[joins.length - 1];
  const done = joins.every(([, event]) => window.__completed.has(event));
  window.__settled = done && last && last[0] === fn_index ? (window.__settled || 0) + 1 : 0;
  return window.__settled >= 2;
}
"""


def test_a_stroke_updates_the_label_with_no_click(browser, hub_url):
    """Live answers on a drawing tab: a label after each stroke, no Submit. Counts the
    requests a drawing costs (gradio's queue joins) and leaves them in test-output/."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.add_init_script(WATCH_QUEUE)
    page.goto(f"{hub_url}?tab=digits_recognition_cnn")

    def joins() -> list:
        return page.evaluate("window.__joins")

    try:
        selected(page, "Digits CNN")
        expect(label_output(page)).to_have_count(0)  # nothing drawn, nothing answered
        before = len(joins())
        draw(page, [(0.5, 0.2 + 0.03 * i) for i in range(21)])  # a 1, one stroke
        expect(label_output(page)).to_have_text(re.compile(r"^\s*\d\s*$"))
        seen = panel(page).locator(".block", has_text="What the network sees").locator("img")
        expect(seen.first).to_be_visible()  # the chain's last answer: the 28x28 view
        view_event = joins()[-1][0]
        page.wait_for_function(SETTLED, arg=view_event, polling=200)
        one_stroke = len(joins()) - before
        # A burst: three more strokes at once (a 7's bar and stem, and a serif).
        before = len(joins())
        draw(page, [(0.35 + 0.015 * i, 0.2) for i in range(21)], pick_brush=False)
        draw(page, [(0.65 - 0.01 * i, 0.2 + 0.03 * i) for i in range(21)], pick_brush=False)
        draw(page, [(0.45 + 0.01 * i, 0.5) for i in range(11)], pick_brush=False)
        page.wait_for_function(
            f"(fn) => window.__joins.length > {before} && ({SETTLED})(fn)",
            arg=view_event,
            polling=200,
        )
        burst = len(joins()) - before
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / "live-requests.txt").write_text(
            f"one stroke: {one_stroke} queue joins; three quick strokes: {burst}\n"
        )
        print(f"live drawing: one stroke {one_stroke} requests, three strokes {burst}")
        assert 1 <= one_stroke <= 2  # the answer (and the 28x28 view), not one per move
        assert 1 <= burst <= 3 * one_stroke
        expect(panel(page).get_by_role("button", name="Submit", exact=True)).to_be_visible()
    finally:
        page.close()


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=[e.id for e in EXPERIMENTS])
def test_tab_answers_a_visitor(page, experiment):
    open_tab(page, experiment)
    try:
        expect(panel(page)).to_contain_text(experiment.description)
        expect(panel(page)).not_to_contain_text("This experiment is unavailable")
        ACTIONS[experiment.id](page)
    except Exception:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"browser-{experiment.id}.png"), full_page=True)
        raise


def test_the_pictures_cards_show_the_figures_of_metrics_json(browser, hub_url):
    """The Home pictures in docs/ (tools/screenshots.py) show each card's figure: read from
    the served page, each is the one in weights/<id>/metrics.json."""
    from tools.screenshots import PICTURES, card_texts, page_of

    for name, (experiment_id, width) in PICTURES.items():
        if experiment_id is not None:  # a tab's picture: no cards
            continue
        page = page_of(browser, hub_url, None, width)
        texts = {i: " ".join(text.split()) for i, text in card_texts(page).items()}
        page.close()
        assert set(texts) == {e.id for e in EXPERIMENTS}, name
        for experiment in EXPERIMENTS:
            metrics = json.loads((ROOT / "weights" / experiment.id / "metrics.json").read_text())
            shown = f"{experiment.metric_label}: {experiment.figure(metrics)}"
            assert shown in texts[experiment.id], (name, experiment.id, texts[experiment.id])
