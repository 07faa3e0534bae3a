"""Where a webcam frame's server time goes: each stage of an Objects stream frame, run in
this process on the fake camera's photos as the browser sends them, p50 per frame:

- receive: the frame as gradio gets it (a JPEG data URL, quality 0.92 as the page's
  canvas writes it) decoded to the numpy array the stream function is given;
- decode, resize, network, nms, draw: core.objects_detector.stream_frame's own stages
  (decode is core.photo's checks and the PIL image);
- encode: the answer encoded as the tab sends it (ui/outputs.py's InlineImage: a JPEG
  data URL inside the answer, no file).

The stream model (STREAM_INPUT, LiteRT on one thread) on frames of the capture the
page asks for, then the 512 photo model on the 640x480 frames the page sent before (the
same stages). bench.webcam adds the rest: what gradio and the network cost, as the server
CPU per answered frame minus these stages.

    python -m bench.webcam_stages [--frames 30] [--smoke]
"""

from __future__ import annotations

import base64
import io
import time

import numpy as np
from PIL import Image

from bench.common import arguments, load_note
from core import ROOT

STAGES = ["receive", "decode", "resize", "network", "nms", "draw", "encode"]


def data_url(image: Image.Image) -> str:
    """The frame as the page sends it: canvas.toDataURL("image/jpeg"), quality 0.92."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def received(url: str) -> np.ndarray:
    """What gradio does with a streamed frame before the function gets it."""
    data = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def encoded(picture: Image.Image) -> str:
    """The answer as the tab sends it (ui/outputs.py: a JPEG data URL in the answer)."""
    from ui.outputs import InlineImage

    return InlineImage().postprocess(picture).url


def profile(detect, names, frames: list[Image.Image], size) -> dict[str, float]:
    """Milliseconds per stage (p50 over the frames, after one warm-up frame) and the
    process CPU per frame, for ``detect`` with a ``size`` (width, height) input."""
    from core import objects_detector

    urls = [data_url(frame) for frame in frames]
    times: dict[str, list[float]] = {stage: [] for stage in STAGES}
    cpu = time.process_time()
    for index, url in enumerate([urls[0], *urls]):
        start = time.perf_counter()
        frame = received(url)
        stages = {"receive": time.perf_counter() - start}
        picture = objects_detector.stream_frame(detect, names, frame, stages=stages, size=size)
        start = time.perf_counter()
        encoded(picture)
        stages["encode"] = time.perf_counter() - start
        if index == 0:
            cpu = time.process_time()
            continue
        for stage in STAGES:
            times[stage].append(stages[stage] * 1000)
    result = {stage: float(np.median(ms)) for stage, ms in times.items()}
    result["cpu"] = (time.process_time() - cpu) * 1000 / len(frames)
    return result


def camera_frames(size: tuple[int, int], count: int) -> list[Image.Image]:
    photos = sorted((ROOT / "ui" / "examples" / "photos").glob("*.jpg"))
    frames = [Image.open(path).convert("RGB").resize(size) for path in photos]
    return [frames[index % len(frames)] for index in range(count)]


def stage_table(count: int) -> dict[str, float]:
    """Print the stage table of the stream model and of the 512 model; return the
    stream model's row."""
    from core import objects_detector
    from core.weights import resolve
    from ui.objects_detection_tab import CAPTURE

    folder = resolve("objects_detection")
    capture = (CAPTURE["video"]["width"]["ideal"], CAPTURE["video"]["height"]["ideal"])
    rows = {}
    stream = "{}x{}".format(*objects_detector.STREAM_INPUT)
    for label, model, given, size in [
        (f"stream {stream} LiteRT, {capture[0]}x{capture[1]} frames",
         objects_detector.STREAM_MODEL, objects_detector.STREAM_INPUT, capture),
        (f"photo model {objects_detector.SIZE} px, 640x480 frames (before)",
         objects_detector.PHOTO_MODEL, objects_detector.PHOTO_INPUT, (640, 480)),
    ]:  # fmt: skip
        detect, names = objects_detector.load_detector(folder, model)
        rows[label] = profile(detect, names, camera_frames(size, count), given)
    print(f"stages of a stream frame in process, p50 ms ({load_note()}):")
    print(f"{'':<44}" + "".join(f"{stage:>9}" for stage in STAGES) + f"{'sum':>9}{'CPU':>9}")
    for label, row in rows.items():
        total = sum(row[stage] for stage in STAGES)
        cells = "".join(f"{row[stage]:>6.1f} ms" for stage in STAGES)
        print(f"{label:<44}{cells}{total:>6.1f} ms{row['cpu']:>6.1f} ms")
    return next(iter(rows.values()))


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, frames={"type": int, "default": 30}).parse_args(argv)
    stage_table(3 if args.smoke else args.frames)


if __name__ == "__main__":
    main()
