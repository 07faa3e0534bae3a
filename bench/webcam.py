"""Live webcam speed as a visitor gets it: headless Chromium with a fake camera (a .y4m
video made from real photos) streams into the objects-detection and rock-paper-scissors
tabs for 30 s each. Prints, per tab: frames answered per second, p50/p95 latency from a
frame leaving the page to its answer reaching the page, server CPU per answered frame, and
an API call to another tab (/digits_recognition_cnn) idle and during the stream.

    python bench/webcam.py [--seconds 30]

Needs Debian's chromium and the playwright package (as tests/test_browser.py). Gradio
streams a frame every ``stream_every`` (0.25 s) as POST /gradio_api/stream/<event>; the
server keeps only the newest frame that arrived while it was busy (stale ones are
dropped), and each answer arrives on the page's /queue/data event stream. The page's
fetch is wrapped to time both. An answer belongs to the newest frame sent before the
server took it: the newest frame sent before the previous answer, when one was waiting,
else the first frame sent after it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, connect, start_hub, timed  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DETECTION = "objects_detection"
RPS = "rock_paper_scissors_transfer"
OTHER = "digits_recognition_cnn"
TABS = {DETECTION: "Objects detection (CenterNet)", RPS: "Rock-paper-scissors (transfer learning)"}
SIZE = (640, 480)  # a common webcam's frame
FPS = 30
SECONDS_PER_PHOTO = 2

# Wraps fetch: the time of each frame sent (queue/join, then /stream/<event>) and of each
# answer (a process_generating / process_completed message on /queue/data).
PROBE = """
window.__sent = []; window.__answers = []; window.__kinds = {};
const answered = (data) => {
  try {
    const m = JSON.parse(data);
    window.__kinds[m.msg] = (window.__kinds[m.msg] || 0) + 1;
    const answer = ["process_streaming", "process_generating", "process_completed"].includes(m.msg);
    if (answer && m.success !== false) window.__answers.push(performance.now());
  } catch (e) {}
};
const PlainSource = window.EventSource;
window.EventSource = function (url, options) {
  const source = new PlainSource(url, options);
  source.addEventListener("message", (event) => answered(event.data));
  return source;
};
window.EventSource.prototype = PlainSource.prototype;
const plain = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const url = String(typeof input === "string" ? input : input.url || input);
  const frame = init && init.method === "POST" && /\\/stream\\/[^/]+$|queue\\/join/.test(url);
  if (frame) window.__sent.push(performance.now());
  const response = await plain(input, init);
  if (!url.includes("queue/data") || !response.body) return response;
  const [page, mine] = response.body.tee();
  (async () => {
    const reader = mine.getReader(); const text = new TextDecoder(); let rest = "";
    for (;;) {
      const {value, done} = await reader.read(); if (done) break;
      rest += text.decode(value, {stream: true});
      const lines = rest.split("\\n"); rest = lines.pop();
      for (const line of lines) if (line.startsWith("data:")) answered(line.slice(5));
    }
  })();
  return new Response(page, {headers: response.headers, status: response.status});
};
"""


def fake_camera(path: Path, photos: list[Path]) -> Path:
    """A YUV4MPEG2 (4:2:0) video: each photo for SECONDS_PER_PHOTO s; Chromium loops it."""
    width, height = SIZE
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for photo in photos:
            image = Image.open(photo).convert("RGB").resize(SIZE).convert("YCbCr")
            y, cb, cr = image.split()
            half = (width // 2, height // 2)
            frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
            for _ in range(FPS * SECONDS_PER_PHOTO):
                out.write(frame)
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latencies(sent: list[float], answers: list[float]) -> np.ndarray:
    """Milliseconds from each answered frame being sent to its answer (see the docstring)."""
    result, previous_frame, previous_answer = [], -1.0, -1.0
    for answer in answers:
        waiting = [s for s in sent if previous_frame < s <= previous_answer]
        later = [s for s in sent if s > max(previous_answer, previous_frame) and s < answer]
        frame = waiting[-1] if waiting else (later[0] if later else None)
        if frame is not None:
            result.append(answer - frame)
            previous_frame = frame
        previous_answer = answer
    return np.asarray(result)


def stream_tab(page, url: str, experiment_id: str, seconds: float, pid: int, other) -> dict:
    page.goto(url)
    page.get_by_role("tab", name=TABS[experiment_id], exact=True).click()
    panel = page.locator("[role=tabpanel]:visible").first
    # gradio's streaming webcam (the tab's only webcam-only image): access, then Record
    panel.get_by_role("button", name="Click to Access Webcam").first.click(timeout=60_000)
    panel.locator("button:has-text('Record')").first.click(timeout=60_000)
    page.wait_for_function("window.__answers.length > 0", timeout=120_000)
    page.evaluate("window.__sent = []; window.__answers = []")
    cpu = cpu_seconds(pid)
    start = time.perf_counter()
    busy = timed(other, 8)  # another tab's API, during the stream
    time.sleep(max(0.0, seconds - (time.perf_counter() - start)))
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(pid) - cpu
    sent, answers = page.evaluate("[window.__sent, window.__answers]")
    page.goto("about:blank")
    ms = latencies(sent, answers)
    return {
        "sent": len(sent) / elapsed,
        "answered": len(answers) / elapsed,
        "p50": float(np.percentile(ms, 50)) if len(ms) else float("nan"),
        "p95": float(np.percentile(ms, 95)) if len(ms) else float("nan"),
        "cpu_ms": 1000 * cpu / max(1, len(answers)),
        "other_ms": float(np.median(busy) * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    seconds = parser.parse_args().seconds

    from gradio_client import handle_file
    from playwright.sync_api import sync_playwright

    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / "webcam-bench"
    scratch.mkdir(exist_ok=True)
    photos = sorted((ROOT / "ui" / "examples" / "photos").glob("*.jpg"))
    hands = sorted((ROOT / "ui" / "examples" / "rock_paper_scissors").glob("*.png"))
    videos = {
        DETECTION: fake_camera(scratch / "photos.y4m", photos),
        RPS: fake_camera(scratch / "hands.y4m", hands),
    }
    process, url, _ = start_hub([DETECTION, RPS, OTHER])
    try:
        client = connect(url)
        drawing = {
            "background": None,
            "layers": [],
            "composite": handle_file(
                str(ROOT / "ui" / "examples" / "digits_recognition" / "3.png")
            ),
        }

        def other():
            client.predict(drawing, api_name=f"/{OTHER}")

        idle = float(np.median(timed(other, 8)) * 1000)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"/{OTHER} idle: p50 {idle:.0f} ms")
        for experiment_id, video in videos.items():
            args = [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=args
                )
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.add_init_script(PROBE)
                got = stream_tab(page, url, experiment_id, seconds, process.pid, other)
                browser.close()
            print(
                f"{experiment_id:<30} sent {got['sent']:.1f}/s  answered {got['answered']:.1f}/s  "
                f"p50 {got['p50']:.0f} ms  p95 {got['p95']:.0f} ms  "
                f"server CPU {got['cpu_ms']:.0f} ms/frame  /{OTHER} meanwhile "
                f"{got['other_ms']:.0f} ms ({got['other_ms'] / idle:.1f}x idle)  "
                f"load {os.getloadavg()[0]:.1f}"
            )
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
