"""Rock-paper-scissors by transfer learning from a network trained on real hands (upstream 6).

Upstream put a small head (Dropout 0.5 -> Dense 3) on a frozen ImageNet MobileNetV2. No
MobileNetV2 weights and no hand photos exist in the package registries, but MediaPipe's
hand-landmark network (trained by Google on real hands) does, inside the `mediapipe`
0.10.14 wheel. So the frozen backbone here is MediaPipe's palm detector + hand-landmark
model (TFLite, `core/hand_landmarks.py`), its 21 landmarks, normalised for position,
size and in-plane rotation, are the features, and a small Dense head learns rock, paper
or scissors from them. The head trains on landmarks of posed hands from
`training/rock_paper_scissors.py` (exact skeleton geometry, with noise and mirroring), from
any angle and from named views (knuckles-first, thumb side, pinky side, tilted out of
the picture's plane, palm, back), plus what MediaPipe itself reads off rendered training
hands (flat ones from any angle, shaded ones from each view). The landmarks' unit of
length is the palm's visible size (wrist -> knuckle or the knuckle span, the longer):
seen knuckles-first a fist no longer blows up into long fingers ("paper"). Its presence
score gives "no hand". Reaches 20/20 on the 20 real photos of npm `fingerpose` and 1.0 on
held-out skeleton poses of every gesture from every view (angles training never drew);
through MediaPipe on shaded renders of those views it finds a hand in 33-53 % and gets
0.5-1.0 of each gesture right (10 renders a gesture a view: scissors is the weak one).
On 300 held-out flat renders MediaPipe finds a hand in 48 %, the head is right on 0.90 of
those, 0.43 overall (metrics.json: real_photo_accuracy, heldout_view_pose_accuracy,
heldout_view_render_accuracy_when_found, test_accuracy).
Run: `python -m training.rock_paper_scissors_transfer` (about 20 minutes on 2 shared CPUs).
"""

import keras
import numpy as np

from core.hand_landmarks import HandLandmarker, features
from training import common
from training import rock_paper_scissors as hands

EXPERIMENT_ID = "rock_paper_scissors_transfer"
POSES = 30000  # skeleton poses for the head from any angle (cheap: no rendering)
VIEW_POSES = 3000  # more from each named view (hands.VIEWS): knuckles-first, sides, tilted
RENDERS = 300  # rendered training hands read by MediaPipe
VIEW_RENDERS = 60  # shaded training hands from each named view read by MediaPipe
TEST_SIZE = 300  # held-out renders, through the served pipeline
VIEW_TEST_POSES, VIEW_TEST_RENDERS = 300, 30  # held-out angles, per view
RENDER_SIZE = 160
NOISE = 0.04  # landmark jitter, in wrist-to-knuckle lengths, like MediaPipe's own error
EPOCHS = 30
SEED = 6
UPSTREAM_TEST_ACCURACY = 0.333  # upstream's fine-tuned notebook run collapsed to chance


def pose_features(
    count: int, rng: np.random.Generator, view: str | None = None, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Features of ``count`` posed skeletons (balanced), as the camera sees them (x, y),
    from ``view`` (one of hands.VIEWS, angles from the split's bands) or any angle."""
    labels = np.arange(count) % 3
    points = np.stack([hands.pose(hands.LABELS[y], rng, view, split) for y in labels])
    return features(points), labels


def per_gesture(predicted: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy on each gesture's pictures (gestures without pictures left out)."""
    return {
        name: round(float(np.mean(predicted[labels == k] == k)), 4)
        for k, name in enumerate(hands.LABELS)
        if np.any(labels == k)
    }


def read_renders(backbone: HandLandmarker, images: np.ndarray, labels: np.ndarray):
    """What MediaPipe reads off rendered hands: features, labels, and which it found."""
    found = [backbone(image) for image in images]
    keep = np.array([hand is not None for hand in found])
    x = np.stack([features(h.landmarks) for h in found if h is not None] or [np.zeros(42)])
    return x[: keep.sum()], labels[keep], keep


def mirrored(x: np.ndarray) -> np.ndarray:
    """Left hands from right ones: negate every normalised x coordinate."""
    flipped = x.reshape(-1, 21, 2).copy()
    flipped[..., 0] *= -1
    return flipped.reshape(-1, 42)


def build_head() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((42,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


if __name__ == "__main__":
    # No upstream source: upstream's data are CGI photos; this model trains on landmarks.
    args = common.parse_args(__doc__, EPOCHS, sources=("registry",))
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    folder = common.weights_folder(EXPERIMENT_ID, args.out)
    backbone = hands.fetch_landmarker(folder)  # the frozen part, shipped beside the head

    # Data: skeleton poses (+ noise, mirrored) from any angle and from each named view,
    # and MediaPipe's reading of training renders (flat from any angle, shaded per view).
    smoke = args.smoke
    poses, view_poses, renders, view_renders, test = (
        (60, 6, 6, 3, 6) if smoke else (POSES, VIEW_POSES, RENDERS, VIEW_RENDERS, TEST_SIZE)
    )
    pose_sets = [pose_features(poses, rng)]
    pose_sets += [pose_features(view_poses, rng, view) for view in hands.VIEWS]
    x_pose, y_pose = (np.concatenate(parts) for parts in zip(*pose_sets, strict=True))
    x_pose = x_pose + rng.normal(0, NOISE, x_pose.shape).astype(np.float32)
    images, labels, _ = hands.dataset(renders, RENDER_SIZE, "train", SEED)
    for i, view in enumerate(hands.VIEWS):
        more = hands.dataset(view_renders, RENDER_SIZE, "train", SEED + 10 + i, "shaded", view)
        images, labels = np.concatenate([images, more[0]]), np.concatenate([labels, more[1]])
    x_read, y_read, keep = read_renders(backbone, images, labels)
    print(f"MediaPipe found a hand in {keep.mean():.1%} of {len(labels)} training renders")
    x_train = np.concatenate([x_pose, mirrored(x_pose)] + [x_read, mirrored(x_read)] * 10)
    y_train = np.concatenate([y_pose, y_pose] + [y_read, y_read] * 10)
    order = rng.permutation(len(x_train))  # validation_split takes the tail: mix it first
    x_train, y_train = x_train[order], y_train[order]

    # The head: a small MLP on the 42 normalised coordinates.
    model = build_head()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train, y_train, batch_size=256, epochs=args.epochs, validation_split=0.1,
        shuffle=True, verbose=2,
    )  # fmt: skip

    # Evaluate: held-out renders through the whole pipeline ("no hand" counts as wrong),
    # and held-out skeleton poses (the head alone, exact landmarks).
    test_images, y_test, _ = hands.dataset(test, RENDER_SIZE, "test", SEED + 1)
    x_test, y_found, found = read_renders(backbone, test_images, y_test)
    probabilities = np.zeros((len(y_test), 3), np.float32)  # all zero: "no hand"
    probabilities[found] = model.predict(x_test, verbose=0)[: found.sum()]
    x_heldout, y_heldout = pose_features(3000 if not smoke else 30, rng)
    pose_accuracy = np.mean(np.argmax(model.predict(x_heldout, verbose=0), 1) == y_heldout)
    found_accuracy = np.mean(np.argmax(probabilities[found], 1) == y_test[found])
    # Held-out views: angles in the bands training never drew, unseen skins and walls.
    view_poses, view_renders = {}, {}
    for i, view in enumerate(hands.VIEWS):
        x_view, y_view = pose_features(VIEW_TEST_POSES if not smoke else 6, rng, view, "test")
        x_view = x_view + rng.normal(0, NOISE, x_view.shape).astype(np.float32)
        predicted = np.argmax(model.predict(x_view, verbose=0), 1)
        view_poses[view] = per_gesture(predicted, y_view)
        count = VIEW_TEST_RENDERS if not smoke else 3
        seen, y_view = hands.dataset(count, RENDER_SIZE, "test", SEED + 20 + i, "shaded", view)[:2]
        x_seen, y_seen, hand = read_renders(backbone, seen, y_view)
        predicted = np.argmax(model.predict(x_seen, verbose=0), 1)[: hand.sum()]
        view_renders[view] = {"hand_found": round(float(hand.mean()), 4)}
        view_renders[view].update(per_gesture(predicted, y_seen))
        print(f"{view}: poses {view_poses[view]}, renders {view_renders[view]}")
    extra = {
        "hand_found_fraction": round(float(found.mean()), 4),
        "test_accuracy_when_found": round(float(found_accuracy), 4),
        "heldout_pose_accuracy": round(float(pose_accuracy), 4),
        "training_renders_found_fraction": round(float(keep.mean()), 4),
        "heldout_view_pose_accuracy": view_poses,
        "heldout_view_render_accuracy_when_found": view_renders,
        "heldout_views": "hands.VIEWS at angles training never drew (the other half of "
        f"each 10-degree band); {VIEW_TEST_POSES} skeleton poses (head alone, landmark "
        f"noise {NOISE}) and {VIEW_TEST_RENDERS} shaded renders (unseen skins, through "
        "MediaPipe) per view",
        "backbone": "MediaPipe palm_detection_full + hand_landmark_full (mediapipe 0.10.14)",
        "upstream_note": "upstream: frozen ImageNet MobileNetV2 + head on tfds CGI hands; "
        "its notebook's fine-tuning collapsed to 0.333, the deployed model was not measured",
    }
    notes = f"""
**Backbone (frozen):** MediaPipe's palm detector and hand-landmark model, TFLite files
from the `mediapipe` 0.10.14 wheel (Apache-2.0), trained by Google on real hands. The
head sees only the 21 landmarks, so it is blind to skin, lighting and background.

| held-out figure | value |
|---|---|
| renders where MediaPipe finds a hand | {extra["hand_found_fraction"]} |
| accuracy on those | {extra["test_accuracy_when_found"]} |
| accuracy on all (no hand = wrong) | see test accuracy above |
| head alone on exact held-out skeleton poses | {extra["heldout_pose_accuracy"]} |

The renders are cartoons: MediaPipe misses some of them, which it would not do with
real hands; the head's own figure is the last row.

**Held-out views** (angles training never drew), accuracy per gesture (rock / paper /
scissors): skeleton poses with landmark noise (the head alone), and shaded renders through
MediaPipe (where it found a hand; the share it found first).

| view | poses | renders: hand found, accuracy |
|---|---|---|
""" + "".join(
        f"| {view} | {' / '.join(str(v) for v in view_poses[view].values())} | "
        f"{view_renders[view]['hand_found']}: "
        f"{' / '.join(str(view_renders[view].get(k, '-')) for k in hands.LABELS)} |\n"
        for view in hands.VIEWS
    )
    folder = hands.save(
        EXPERIMENT_ID, model, history.history, probabilities, y_test, len(x_train), args,
        UPSTREAM_TEST_ACCURACY, "Rock-paper-scissors (transfer learning)", extra, notes,
    )  # fmt: skip
    if not args.smoke:  # the served function on the few real photos in the registries
        from core.gestures import transfer_classifier

        hands.add_real_photo_metrics(folder, transfer_classifier(backbone, model))
    common.finish(folder)
    if args.push:
        common.push(EXPERIMENT_ID, folder)
