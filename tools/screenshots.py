"""README's pictures, made from the served hub in a real browser: every PNG in docs/.

Serves the whole hub on 127.0.0.1, opens each page of ``PICTURES`` in Chromium
(playwright; HUB_CHROMIUM or the first Chromium or Chrome on PATH, as the browser tests)
at its width, waits for the cards' pictures (Home) or for the tab to open, and writes
docs/<name>.png. Run it after new weights, so that the pictures show the figures of
metrics.json (the browser tests check the cards they show against it).

    python -m tools.screenshots [--only home-1280,digits-390]
"""

from __future__ import annotations

import argparse
import os
import shutil

from core import ROOT
from core.experiments import BY_ID

DOCS = ROOT / "docs"
BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
# name -> (the experiment whose tab it shows, or None for Home; the page's width)
PICTURES = {
    "home-1280": (None, 1280),
    "home-390": (None, 390),
    "digits-1280": ("digits_recognition_cnn", 1280),
    "digits-390": ("digits_recognition_cnn", 390),
}
HEIGHT = 1000
WAIT_MS = 120_000  # a loaded 2-core machine


def chromium() -> str | None:
    """HUB_CHROMIUM, else the first Chromium or Chrome on PATH, else None (playwright's)."""
    if os.environ.get("HUB_CHROMIUM"):
        return os.environ["HUB_CHROMIUM"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def page_of(browser, url: str, experiment_id: str | None, width: int):
    """The hub's page at ``width``: Home with every card's picture loaded (they load
    lazily), or the experiment's tab (/?tab=<id>) once it is selected."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(f"{url}?tab={experiment_id}" if experiment_id else url)
    page.get_by_role("tab", name="Home").wait_for()
    if experiment_id is None:
        for picture in page.locator(".gallery-picture img").all():
            picture.scroll_into_view_if_needed()
            expect(picture).to_have_js_property("complete", True)
    else:
        tab = page.get_by_role("tab", name=BY_ID[experiment_id].short, exact=True)
        expect(tab).to_have_attribute("aria-selected", "true")
    return page


def card_texts(page) -> dict[str, str]:
    """Each Home card's text as the page shows it, by experiment id (the card's column
    holds its "Open" button, #<id>-open)."""
    texts = {}
    for button in page.locator("[id$='-open']").all():
        experiment_id = button.get_attribute("id").removesuffix("-open")
        card = button.locator("xpath=ancestor::div[contains(@class, 'column')][1]")
        texts[experiment_id] = card.inner_text()
    return texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated picture names")
    names = [n for n in parser.parse_args(argv).only.split(",") if n] or list(PICTURES)
    from playwright.sync_api import sync_playwright

    from hub import build_hub, launch

    app = build_hub()
    launch(app, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium(), headless=True, args=ARGS
            )
            for name in names:
                experiment_id, width = PICTURES[name]
                page = page_of(browser, app.local_url, experiment_id, width)
                page.screenshot(path=DOCS / f"{name}.png", full_page=True)
                page.close()
                print(f"wrote docs/{name}.png")
            browser.close()
    finally:
        app.close()


if __name__ == "__main__":
    main()
