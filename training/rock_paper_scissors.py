"""What the two rock-paper-scissors models share: rendered hand datasets (``prepare``,
cached), MediaPipe's landmarker and the CNN's crops to the hand it finds (``hand_crops``,
cached), the few real hand photos in the package registries, the tabs' examples, and the
end of a run (``save``: the held-out figures, the card, the weights folder).

No photo dataset of hands exists in the package registries, so both models learn from
hands made here, the way upstream's dataset was CGI: poses in ``hand_poses``, flat renders
in ``flat_hands``, shaded 3-D renders in ``shaded_hands``, their backgrounds and framing
in ``hand_scenes``.
"""

from __future__ import annotations

import functools
import io
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from core import gestures
from training.common import cache, fetch, plots, publish, scoring
from training.hands import flat_hands, hand_poses, hand_scenes, shaded_hands
from training.hands.hand_poses import LABELS

# ---------------------------------------------------------------- datasets, cached


def dataset(
    count: int, size: int, split: str, seed: int, style: str = "flat", view: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` renders (balanced labels): images uint8 (N, size, size, 3), labels, landmarks.
    ``style``: "flat" (``flat_hands.render``), "shaded" (``shaded_hands.render_shaded``,
    any background) or "shaded-white" (shaded on white, upstream's CGI style); shaded hands
    are seen from ``view`` (one of hand_poses.VIEWS) when given."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(LABELS)
    rng.shuffle(labels)
    images = np.empty((count, size, size, 3), np.uint8)
    landmarks = np.empty((count, 21, 3), np.float32)
    for i, label in enumerate(labels):
        if style == "flat":
            images[i], landmarks[i] = flat_hands.render(LABELS[label], rng, size, split)
        else:
            background = "white" if style == "shaded-white" else None
            images[i], landmarks[i] = shaded_hands.render_shaded(
                LABELS[label], rng, size, split, background, view
            )
    return images, labels.astype(np.int64), landmarks


def render_in_processes(
    count: int, size: int, split: str, seed: int, style: str, workers: int
) -> dict[str, np.ndarray]:
    """``dataset`` in ``workers`` processes, worker i drawing from seed ``seed * 1000 + i``."""
    chunks = [count // workers + (i < count % workers) for i in range(workers)]
    seeds = [seed * 1000 + i for i in range(workers)]
    arguments = (chunks, [size] * workers, [split] * workers, seeds, [style] * workers)
    if workers == 1:
        parts = list(map(dataset, *arguments))
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(dataset, *arguments))
    images, labels, landmarks = (np.concatenate(p) for p in zip(*parts, strict=True))
    return {"images": images, "labels": labels, "landmarks": landmarks}


def prepare(
    count: int, size: int, split: str, seed: int, style: str = "flat", workers: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``render_in_processes``, cached: an edit of the poses, the scenes or either renderer
    renders anew."""
    code = (dataset, hand_poses, hand_scenes, flat_hands, shaded_hands)
    arrays = cache.cached_arrays(
        "rps-renders", render_in_processes, code,
        count=count, size=size, split=split, seed=seed, style=style, workers=workers,
    )  # fmt: skip
    return arrays["images"], arrays["labels"], arrays["landmarks"]


# ---------------------------------------------------------------- MediaPipe's landmarker

MEDIAPIPE = ("mediapipe", "0.10.14")
MEDIAPIPE_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"
TFLITE = {
    "hand_landmark_full.tflite": "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
    "palm_detection_full.tflite": "mediapipe/modules/palm_detection/palm_detection_full.tflite",
}


def fetch_landmarker(folder: Path):
    """Copy MediaPipe's two TFLite files out of its wheel into a weights folder (both
    models serve with them: the CNN crops to the hand, the transfer model reads it)."""
    from core.hand_landmarks import HandLandmarker

    wheel = fetch.pypi_package(*MEDIAPIPE, MEDIAPIPE_SHA256)
    folder.mkdir(parents=True, exist_ok=True)
    for name, member in TFLITE.items():
        (folder / name).write_bytes(fetch.read_member(wheel, member))
    return HandLandmarker(folder)


@functools.cache
def landmarker():
    """The landmarker that crops training pictures: the served files, kept in the cache."""
    return fetch_landmarker(cache.CACHE / "mediapipe")


def crop_to_hands(images: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """The served ``cnn_input`` of every picture (the hand the landmarker finds, or the
    central square): uint8 (N, size, size, 3) ``inputs`` and whether a hand was ``found``."""
    from core.gestures import cnn_input

    found = []

    def landmarks_seen(image):  # the landmarker, noting whether it found a hand
        hand = landmarker()(image)
        found.append(hand is not None)
        return hand

    inputs = np.stack([cnn_input(image, landmarks_seen, size) for image in images])
    return {"inputs": inputs.astype(np.uint8), "found": np.array(found)}


def hand_crops(images: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``crop_to_hands``, cached (the landmarker costs about 50 ms a picture)."""
    import core.gestures
    import core.hand_landmarks

    code = (landmarker, fetch_landmarker, core.gestures, core.hand_landmarks)
    arrays = cache.cached_arrays("rps-crops", crop_to_hands, code, images=images, size=size)
    return arrays["inputs"], arrays["found"]


# ---------------------------------------------------------------- real photos (a few)

# The only real hand photos found in the registries: npm `fingerpose` 0.1.0 (MIT) ships a
# photo of a fist and its demo GIF, whose frames show a man making a V (its classifier's
# ✌️ overlay in the corner; frames at the start and end of each V run are transitions).
FINGERPOSE_NPM = "fingerpose@0.1.0"
FINGERPOSE_SHA256 = "0d771feb4a95846a07fa5e6c43f5438e462e2a4676bc2f14a65e3a797787f056"
SCISSORS_FRAMES = [*range(3, 12), *range(26, 36)]
OVERLAY_X = 275  # the GIF's emoji overlay sits right of this column: cropped off


def real_photos() -> tuple[list[np.ndarray], np.ndarray]:
    """20 real photos: fingerpose's fist (rock) and 19 GIF frames of a V (scissors)."""
    tgz = fetch.npm_package(FINGERPOSE_NPM, FINGERPOSE_SHA256)
    fist = Image.open(io.BytesIO(fetch.read_member(tgz, "package/assets/fullcurl.jpg")))
    photos = [np.asarray(fist.convert("RGB"))]
    gif = Image.open(io.BytesIO(fetch.read_member(tgz, "package/assets/fingers-lq.gif")))
    for frame in SCISSORS_FRAMES:
        gif.seek(frame)
        photos.append(np.asarray(gif.convert("RGB"))[:, :OVERLAY_X])
    labels = np.array([LABELS.index("rock")] + [LABELS.index("scissors")] * len(SCISSORS_FRAMES))
    return photos, labels


def real_photo_metrics(classify) -> dict:
    """``classify`` (a picture -> {label: p}; raising for "no hand") on the real photos."""
    photos, labels = real_photos()
    answers = []
    for photo in photos:
        try:
            probabilities = classify(photo)
            answers.append(max(probabilities, key=probabilities.get))
        except Exception:  # no hand seen: a wrong answer
            answers.append("no hand")
    right = [answer == LABELS[label] for answer, label in zip(answers, labels, strict=True)]
    return {
        "real_photo_accuracy": round(float(np.mean(right)), 4),
        "real_photo_answers": gestures.real_photo_answers(answers),
        "real_photo_source": "npm fingerpose 0.1.0 (MIT): fullcurl.jpg + fingers-lq.gif frames",
    }


# ---------------------------------------------------------------- evaluation, weights folder


def test_metrics(probabilities: np.ndarray, y_test: np.ndarray) -> dict:
    """Accuracy, per-class accuracy and the confusion matrix on the held-out set; a row of
    zeros in ``probabilities`` means "no hand seen": always wrong, left out of the matrix."""
    predicted = np.where(probabilities.sum(1) > 0, np.argmax(probabilities, axis=1), -1)
    accuracy, confusion, per_class = scoring.classification(y_test, predicted, LABELS)
    return {
        "test_accuracy": round(accuracy, 4),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
        "test_set": "held-out renders: unseen skin tones and background families",
        "test_size": int(len(y_test)),
    }


def save(config: dict, model, history: dict, metrics: dict, args, values: dict) -> Path:
    """weights/<id>/: the model, labels, plots, and through ``publish.publish`` metrics.json
    (``metrics`` and what every run states: data, parameters, epochs, upstream's figure),
    the card (training/cards/rock_paper_scissors.md with the model's own notes from
    cards/<id>.md, and the real photos' section when they were measured) and the manifest."""
    experiment_id = config["id"]
    registry = args.source == "registry"
    metrics = {
        "dataset": "rendered hands (training/rock_paper_scissors.py)"
        if registry
        else "tfds rock_paper_scissors (CGI)",
        "params": int(model.count_params()),
        "epochs": int(args.epochs),
        "upstream_test_accuracy": config["upstream"],
        "upstream_note": "upstream: tfds rock_paper_scissors CGI test set, 372 images",
        **metrics,  # the model's own figures (and its own upstream_note) win
    }
    folder = publish.weights_folder(experiment_id, args.out)
    publish.save_for_serving(model, folder / "model.keras")
    (folder / "labels.json").write_text(json.dumps(LABELS) + "\n")
    plots.save_plots(folder, history, np.array(metrics["confusion_matrix"]), LABELS)
    real = ""
    if "real_photo_accuracy" in metrics:
        answers = json.dumps(metrics["real_photo_answers"], ensure_ascii=False)
        real = publish.card_text("rock_paper_scissors_real_photos", metrics, answers=answers)
    values = {
        "title": config["title"],
        "notes": publish.card_text(experiment_id, metrics, **values),
        "real_photos": real,
    }
    card = publish.card_data(
        ["image-classification", "rock-paper-scissors", "hands", "gradio"],
        license="apache-2.0",
        model_name=experiment_id,
        eval_results=publish.accuracy_result(
            metrics, "synthetic-hands", f"rendered hands, {metrics['test_size']:,} held out"
        ),
    )
    publish.publish(experiment_id, folder, metrics, card, "rock_paper_scissors", values, args.push)
    return folder


# ---------------------------------------------------------------- the tabs' examples

# The tabs' example pictures follow a rule fixed before any model answered them: for each
# move, the shaded render of a hand seen from its palm side on a plain wall, with the test
# split's skin tones, drawn from EXAMPLE_SEED. No training or test set draws from that seed
# (tests check that no example is close to a test picture). Write them with
# `write_examples(ui.shared.EXAMPLES / "rock_paper_scissors")`.
EXAMPLE_SEED = 2031


def write_examples(folder, size: int = 300) -> list[Path]:
    """One example PNG per move, by the rule above; whatever the models answer to them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for label in LABELS:
        rng = np.random.default_rng(EXAMPLE_SEED)
        image, _ = shaded_hands.render_shaded(label, rng, size, "test", "wall", "palm")
        paths.append(folder / f"{label}.png")
        Image.fromarray(image).save(paths[-1], optimize=True)
    return paths
