"""Live webcam speed as visitors get it: each visitor its own headless Chromium with a
fake camera (a .y4m video made from real photos) streaming into the objects-detection and
rock-paper-scissors (transfer) tabs at once, for 30 s per tab. First the stages of an
Objects frame, timed in this process (bench/webcam_stages.py). Then, per visitor: the
capture its page got, frames answered per second of those sent (answered / sent), p50/p95
latency from a frame leaving the page to its answer reaching the page, and what its page
says about sharing the camera model; then the total, the server CPU per answered frame
(and how much of it lies outside the timed stages: gradio, HTTP, the queue), and an API
call to another tab (/digits_recognition_cnn) idle and during the streams, with the load
average. The RPS tab's stream only keeps the newest frame for PLAY's snapshot: it is
measured as frames kept per second.

Each visitor is its own address (127.0.0.2, 127.0.0.3, ...): the bench plays the hub's
trusted proxy and each browser sends X-Forwarded-For, as visitors behind HAProxy would
(the hub runs at most two streams per address).

With --pin the hub runs on the first core and the visitors' browsers on the others, so
that browsers cannot take the hub's CPU (on 2 cores each browser could otherwise send
only about 4 frames a second). With --browser-nice N the browsers run N nice levels below
the hub, on every core: they get what the hub leaves, as browsers on the visitors' own
machines would take nothing from it.

    python -m bench.webcam [--seconds 30] [--visitors 3] [--tabs objects_detection] [--pin]
                           [--browser-nice 10] [--smoke]

Needs Debian's chromium (or HUB_CHROMIUM) and the playwright package (as
tests/test_browser.py). Gradio streams a frame every ``stream_every`` as POST
/gradio_api/stream/<event>; the server keeps only the newest frame that arrived while it
was busy (stale ones are dropped), and each answer arrives on the page's /queue/data
event stream. The page's fetch is wrapped to time both. An answer belongs to the newest
frame sent before the server took it: the newest frame sent before the previous answer,
when one was waiting, else the first frame sent after it.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.common import arguments, connect, load_note, start_server, stop, timed
from bench.webcam_stages import stage_table
from core import ROOT
from deploy.processes import cpu_seconds

CHROMIUM = os.environ.get("HUB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DETECTION = "objects_detection"
RPS = "rock_paper_scissors_transfer"
OTHER = "digits_recognition_cnn"
TABS = [DETECTION, RPS]  # each opened by its deep link, /?tab=<id>
SIZE = (640, 480)  # a common webcam's frame
FPS = 30
SECONDS_PER_PHOTO = 2
PROXY = "127.0.0.1"  # the bench, as the hub's trusted proxy (HUB_TRUSTED_PROXIES)


def address(index: int) -> str:
    """Visitor ``index``'s address (from 0): 127.0.0.2, 127.0.0.3, ..."""
    return f"127.0.0.{index + 2}"


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


CAPTURE_SIZE = """[...document.querySelectorAll("video")].filter((v) => v.videoWidth)
  .map((v) => `${v.videoWidth}x${v.videoHeight}`).join(" ") || "none"
"""
# The answered frames the page shows: JPEGs that came inside an answer (a data: URL).
SHOWN_SIZE = """[...document.querySelectorAll("img")]
  .filter((i) => i.src.startsWith("data:image/jpeg") && i.naturalWidth)
  .map((i) => `${i.naturalWidth}x${i.naturalHeight}`).join(" ") || "none"
"""


def niced(browser: str, nice: int, folder: Path) -> str:
    """``browser`` itself, or (``nice`` > 0) a script in ``folder`` that runs it ``nice``
    levels below this process: visitors' browsers that yield the CPU to the hub, as
    browsers on the visitors' own machines would. Two things stand in the way on Linux:
    - each browser starts a session of its own, and with the scheduler's autogroups each
      session shares the CPU equally with the hub's, whatever its threads' nice values:
      the script lowers its session's share (/proc/self/autogroup) too;
    - run as root, Chromium raises its display threads to nice -8 and its others back to
      0: the script takes away its right to (CAP_SYS_NICE, with util-linux's setpriv)."""
    if nice <= 0:
        return browser
    script = folder / f"chromium-nice-{nice}"
    drop = "setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice " if os.getuid() == 0 else ""
    script.write_text(
        f"#!/bin/sh\necho {nice} > /proc/self/autogroup 2>/dev/null\n"
        f'exec {drop}nice -n {nice} "{browser}" "$@"\n'
    )
    script.chmod(0o755)
    return str(script)


def pin(pid: int) -> None:
    """The hub's every thread on the first core; this process (and the browsers it
    starts from now on) on the others."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {0})
    os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})


def fake_camera(path: Path, photos: list[Path], size: tuple[int, int] = SIZE) -> Path:
    """A YUV4MPEG2 (4:2:0) video: each photo for SECONDS_PER_PHOTO s; Chromium loops it."""
    width, height = size
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for photo in photos:
            image = Image.open(photo).convert("RGB").resize(size).convert("YCbCr")
            y, cb, cr = image.split()
            half = (width // 2, height // 2)
            frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
            for _ in range(FPS * SECONDS_PER_PHOTO):
                out.write(frame)
    return path


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


def browser_args(video: Path) -> list[str]:
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def open_webcam(page, url: str, experiment_id: str) -> None:
    """Open the tab by its deep link and allow the (fake) webcam: gradio's streaming
    webcam, the tab's only webcam-only image."""
    page.goto(f"{url}?tab={experiment_id}")
    page.get_by_role("button", name="Click to Access Webcam").first.click(timeout=120_000)


def start_stream(page) -> None:
    """Press Record and wait for the first answer."""
    page.locator("button:visible:has-text('Record')").first.click(timeout=120_000)
    page.wait_for_function("window.__answers.length > 0", timeout=180_000)


def visitor(
    url: str, experiment_id: str, video: Path, ready, done, results, index, browser=CHROMIUM
) -> None:
    """One visitor: its own Chromium, streaming into ``experiment_id``'s tab. Waits at
    ``ready`` (a Barrier) with the others twice, once with the webcam open (so that the
    streams start together: each ends after its time limit) and once streaming, then
    counts until ``done`` (an Event) is set."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=browser, headless=True, args=browser_args(video)
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_extra_http_headers({"X-Forwarded-For": address(index)})
            page.add_init_script(PROBE)
            open_webcam(page, url, experiment_id)
            ready.wait(timeout=600)
            start_stream(page)
            ready.wait(timeout=600)
            page.evaluate("window.__sent = []; window.__answers = []")
            start = time.perf_counter()
            done.wait()
            elapsed = time.perf_counter() - start
            sent, answers = page.evaluate("[window.__sent, window.__answers]")
            capture, shown = page.evaluate(CAPTURE_SIZE), page.evaluate(SHOWN_SIZE)
            note = page.get_by_text("share the camera model")
            shared = note.first.inner_text() if note.count() else ""
            browser.close()
        ms = latencies(sent, answers)
        results[index] = {
            "sent": len(sent) / elapsed,
            "answered": len(answers) / elapsed,
            "answers": len(answers),
            "p50": float(np.percentile(ms, 50)) if len(ms) else float("nan"),
            "p95": float(np.percentile(ms, 95)) if len(ms) else float("nan"),
            "capture": capture,
            "shown": shown,
            "note": shared,
        }
    except Exception as error:  # reported by the main thread
        results[index] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
        ready.abort()


def stream_tab(
    url, experiment_id, video, visitors: int, seconds: float, pid: int, other, browser=CHROMIUM
):
    """``visitors`` browsers (``browser``, a Chromium) streaming into one tab at once;
    returns their figures, the server CPU per answered frame and ``other``'s latencies
    meanwhile."""
    ready, done = threading.Barrier(visitors + 1), threading.Event()
    results: list[dict | None] = [None] * visitors
    threads = [
        threading.Thread(
            target=visitor,
            args=(url, experiment_id, video, ready, done, results, index, browser),
        )
        for index in range(visitors)
    ]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=900)  # every webcam open
        ready.wait(timeout=900)  # every stream answered once
    except threading.BrokenBarrierError:
        done.set()
        for thread in threads:
            thread.join()
        raise RuntimeError(f"a visitor failed: {results}") from None
    cpu = cpu_seconds(pid)
    start = time.perf_counter()
    try:
        busy = timed(other, 3 if seconds < 10 else 8)  # another tab's API, meanwhile
    except Exception as error:  # noqa: BLE001 - e.g. a time-out on a machine too busy
        print(f"/{OTHER} during the streams failed: {type(error).__name__}: {error}")
        busy = np.asarray([float("nan")])
    finally:
        time.sleep(max(0.0, seconds - (time.perf_counter() - start)))
        cpu = cpu_seconds(pid) - cpu
        done.set()
        for thread in threads:
            thread.join()
    failed = [r["error"] for r in results if r and "error" in r]
    if failed:
        raise RuntimeError(f"a visitor failed: {failed}")
    answers = sum(r["answers"] for r in results)
    return results, 1000 * cpu / max(1, answers), float(np.median(busy) * 1000)


def main(argv: list[str] | None = None) -> None:
    parser = arguments(
        __doc__,
        seconds={"type": float, "default": 30, "help": "seconds measured per tab"},
        visitors={"type": int, "default": 1, "help": "browsers streaming at once"},
        tabs={"default": ",".join(TABS), "help": "comma-separated: " + ", ".join(TABS)},
        pin={"action": "store_true", "help": "the hub on the first core, browsers on the rest"},
        browser_nice={
            "type": int,
            "default": 0,
            "help": "run the browsers this many nice levels below the hub",
        },
    )
    args = parser.parse_args(argv)
    seconds = 4 if args.smoke else args.seconds
    tabs = [tab for tab in args.tabs.split(",") if tab]
    stages = stage_table(3 if args.smoke else 30) if DETECTION in tabs else None

    from gradio_client import handle_file

    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / "webcam-bench"
    scratch.mkdir(exist_ok=True)
    photos = sorted((ROOT / "ui" / "examples" / "photos").glob("*.jpg"))
    hands = sorted((ROOT / "ui" / "examples" / "rock_paper_scissors").glob("*.png"))
    # The Objects camera films at the capture its page asks for (ui/objects_detection_tab.py),
    # as a webcam with that mode would: Chromium then scales no frame.
    from ui.objects_detection_tab import CAPTURE

    capture = (CAPTURE["video"]["width"]["ideal"], CAPTURE["video"]["height"]["ideal"])
    videos = {
        DETECTION: fake_camera(scratch / "photos.y4m", photos, capture),
        RPS: fake_camera(scratch / "hands.y4m", hands),
    }
    only = ["hub.py", "--host", PROXY, "--only", ",".join([*tabs, OTHER])]
    trusted = {"HUB_TRUSTED_PROXIES": PROXY}
    process, url, _ = start_server(lambda port: [*only, "--port", str(port)], trusted)
    try:
        if args.pin:
            pin(process.pid)
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

        idle = float(np.median(timed(other, 3 if args.smoke else 8)) * 1000)
        pinned = "hub pinned to core 0, browsers to the rest; " if args.pin else ""
        if args.browser_nice > 0:
            pinned += f"browsers {args.browser_nice} nice levels below the hub; "
        print(f"{pinned}{load_note()}; /{OTHER} idle: p50 {idle:.0f} ms")
        browser = niced(CHROMIUM, args.browser_nice, scratch)
        for experiment_id in tabs:
            results, cpu_ms, other_ms = stream_tab(
                url, experiment_id, videos[experiment_id], args.visitors, seconds,
                process.pid, other, browser,
            )  # fmt: skip
            print_tab(experiment_id, results, cpu_ms, stages)
            ratio = other_ms / idle
            print(f"/{OTHER} meanwhile {other_ms:.0f} ms ({ratio:.1f}x idle)  {load_note()}")
    finally:
        stop(process)


def print_tab(experiment_id: str, results: list[dict], cpu_ms: float, stages) -> None:
    """Each visitor's figures and the tab's total."""
    for index, got in enumerate(results, 1):
        shown = f", shown {got['shown']}" if got.get("shown", "none") != "none" else ""
        head = f"{experiment_id} visitor {index}/{len(results)} ({got['capture']}{shown}):"
        if experiment_id == RPS:  # keeps frames for the snapshot: no answers to time
            print(f"{head} kept {got['answered']:.1f} frames/s of {got['sent']:.1f} sent")
            continue
        ratio = got["answered"] / max(got["sent"], 1e-9)
        note = f'  page: "{got["note"]}"' if got["note"] else ""
        print(
            f"{head} sent {got['sent']:.1f}/s  answered {got['answered']:.1f}/s "
            f"({ratio:.2f} of sent)  p50 {got['p50']:.0f} ms  p95 {got['p95']:.0f} ms{note}"
        )
    total = sum(r["answered"] for r in results)
    line = f"{experiment_id} total: answered {total:.1f}/s  server CPU {cpu_ms:.0f} ms/frame"
    if experiment_id == DETECTION and stages:
        outside = cpu_ms - stages["cpu"]
        line += f" ({stages['cpu']:.0f} ms in the stages above, {outside:.0f} ms outside)"
    print(line)


if __name__ == "__main__":
    main()
