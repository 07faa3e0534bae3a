"""A visitor's first minute on a tab, in headless Chromium (driven as in test_browser.py):
a stroke made as the tab opens draws and is answered, with no tool picked first; the
camera button or the canvas is on the first screen at a laptop's and a phone's size;
examples are pictures; the PLAY button's emoji are in colour.

The pictures the browser tests take show what visitors see only with a colour emoji font
(Debian: fonts-noto-color-emoji, which `make test` installs as root on Debian, as it does
Chromium); test_the_play_buttons_emoji_are_in_colour fails without one.
"""

from __future__ import annotations

import math
import re

import pytest
import test_browser
from playwright.sync_api import Locator, Page, expect
from test_browser import WAIT_MS, draw, label_output, open_tab, panel, selected

from core.experiments import BY_ID

LAPTOP, PHONE = (1280, 800), (390, 844)
ONE = [(0.5, 0.2 + 0.03 * i) for i in range(21)]  # a vertical stroke: a 1
RING = [(0.5 + 0.1 * math.cos(a / 4), 0.5 + 0.2 * math.sin(a / 4)) for a in range(26)]


# test_browser.py's Chromium (a module-scoped fixture), here under its own name.
chrome = test_browser.browser


def opened(chrome, hub_url: str, experiment_id: str | None = None, size=LAPTOP) -> Page:
    """A new page of the hub at ``size``: on the experiment's tab (its deep link), or on
    the Home tab without one."""
    page = chrome.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{hub_url}?tab={experiment_id}" if experiment_id else hub_url)
    selected(page, BY_ID[experiment_id].short if experiment_id else "Home")
    return page


def canvas(page: Page) -> Locator:
    """The tab's (first) drawing canvas."""
    return panel(page).locator(".drawing canvas").first


def stroke(page: Page, points: list[tuple[float, float]]) -> None:
    """Drag the mouse through ``points`` (fractions of the canvas), and nothing else: no
    tool is clicked."""
    canvas(page).scroll_into_view_if_needed()
    draw(page, points, pick_brush=False)


def a_digit(page: Page) -> None:
    expect(label_output(page)).to_have_text(re.compile(r"^\s*\d\s*$"))


def a_guess(page: Page) -> None:
    expect(label_output(page)).to_have_text(re.compile(r"\w"))


def a_grid_of_clothes(page: Page) -> None:
    """The drawing section's Submit, then its clothes: the second "Generated clothes"."""
    panel(page).get_by_role("button", name="Submit", exact=True).nth(1).click()
    clothes = panel(page).locator(".block", has_text="Generated clothes").nth(1).locator("img")
    expect(clothes).to_be_visible()
    assert clothes.evaluate("img => img.complete && img.naturalWidth") > 0


# Each canvas: the stroke drawn on it and the answer that shows it was drawn.
CANVASES = {
    "digits_recognition_mlp": (ONE, a_digit),
    "digits_recognition_cnn": (ONE, a_digit),
    "sketch_recognition_mlp": (RING, a_guess),
    "sketch_recognition_cnn": (RING, a_guess),
    "clothes_generation_dcgan": (ONE, a_grid_of_clothes),
}


@pytest.mark.parametrize("experiment_id", CANVASES)
def test_a_stroke_as_the_tab_opens_draws_and_is_answered(chrome, hub_url, experiment_id):
    """Gradio's sketchpad opens with no tool chosen; the hub's page script chooses the
    brush (ui/shared.py, BRUSH_FIRST). Without it this stroke draws nothing and no answer
    comes."""
    page = opened(chrome, hub_url, experiment_id)
    try:
        expect(canvas(page)).to_be_visible()
        points, answered = CANVASES[experiment_id]
        stroke(page, points)
        answered(page)
    finally:
        page.close()


def camera_button(page: Page) -> Locator:
    return panel(page).get_by_role("button", name="Click to Access Webcam").first


def play_button(page: Page) -> Locator:
    return panel(page).get_by_role("button", name=re.compile("^PLAY"))


def photo_drop(page: Page) -> Locator:
    return panel(page).get_by_role("button", name="Drop an image file here to upload").first


def generate_button(page: Page) -> Locator:
    return panel(page).get_by_role("button", name="Submit", exact=True).first


# What each tab is for, on the first screen: the webcam tabs' camera button (and the
# game's PLAY), the drawing tabs' canvas, the photo tab's drop zone, the DCGAN's Submit
# that generates clothes (its drawing is the tab's second way in, further down).
MAIN_ACTION = {
    "objects_detection": [camera_button],
    "rock_paper_scissors_cnn": [camera_button, play_button],
    "rock_paper_scissors_transfer": [camera_button, play_button],
    "digits_recognition_mlp": [canvas],
    "digits_recognition_cnn": [canvas],
    "sketch_recognition_mlp": [canvas],
    "sketch_recognition_cnn": [canvas],
    "image_classification": [photo_drop],
    "clothes_generation_dcgan": [generate_button],
}


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_main_action_is_on_the_first_screen(chrome, hub_url, size):
    """Each element wholly inside the window as the tab opens (its section's tab, then its
    own, clicked at the top of the page), nothing scrolled."""
    page = opened(chrome, hub_url, size=size)
    try:
        for experiment_id, main_actions in MAIN_ACTION.items():
            open_tab(page, BY_ID[experiment_id])
            for main_action in main_actions:
                expect(main_action(page)).to_be_visible()
                box = main_action(page).bounding_box()
                where = (experiment_id, main_action.__name__, box)
                assert page.evaluate("window.scrollY") == 0, where
                assert box["x"] >= 0 and box["x"] + box["width"] <= size[0], where
                assert box["y"] >= 0 and box["y"] + box["height"] <= size[1], where
    finally:
        page.close()


# The tabs whose examples are pictures: a row of them, no table (the objects detector's
# score threshold is the slider's default, not a column of its own; the DCGAN's seeds are
# a row of labelled buttons, its drawings pictures).
PICTURE_EXAMPLES = [
    "clothes_generation_dcgan",
    "objects_detection",
    "image_classification",
    "rock_paper_scissors_cnn",
    "rock_paper_scissors_transfer",
    "digits_recognition_mlp",
    "digits_recognition_cnn",
    "sketch_recognition_mlp",
    "sketch_recognition_cnn",
]


def test_examples_are_pictures_not_tables(chrome, hub_url):
    page = opened(chrome, hub_url)
    try:
        for experiment_id in PICTURE_EXAMPLES:
            open_tab(page, BY_ID[experiment_id])
            expect(panel(page).locator(".gallery-item img").first).to_be_visible()
            expect(panel(page).locator("table[role=grid]")).to_have_count(0)
    finally:
        page.close()


def test_the_play_buttons_emoji_are_in_colour(chrome, hub_url):
    """✊ drawn in the PLAY button's font has coloured pixels, not a grey box or outline."""
    page = opened(chrome, hub_url, "rock_paper_scissors_cnn")
    try:
        play = play_button(page)
        expect(play).to_contain_text("✊ ✋ ✌️")
        coloured = play.evaluate(
            """button => {
              const paper = document.createElement("canvas");
              paper.width = paper.height = 64;
              const pen = paper.getContext("2d");
              pen.font = `48px ${getComputedStyle(button).fontFamily}`;
              pen.fillText("✊", 4, 52);
              const rgba = pen.getImageData(0, 0, 64, 64).data;
              let count = 0;
              for (let i = 0; i < rgba.length; i += 4) {
                const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
                if (rgba[i + 3] > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 80) count++;
              }
              return count;
            }"""
        )
        assert coloured > 200, f"{coloured} coloured pixels: no colour emoji font?"
    finally:
        page.close()
