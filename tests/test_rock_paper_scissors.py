"""Rock-paper-scissors: the hand renderer and its augmentation, the shared landmark
normalisation, the game's rules and score, picture checks, shipped-weight quality on a
committed held-out sample of renders, the API end to end, and training's smoke runs."""

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from core import DATA, gestures
from core.errors import BadInput
from core.hand_landmarks import features
from helpers import smoke_train
from training import rock_paper_scissors
from training.hands import flat_hands, hand_poses, hand_scenes, shaded_hands
from ui import rock_paper_scissors_tab, shared

IDS = ["rock_paper_scissors_cnn", "rock_paper_scissors_transfer"]
EXAMPLES = sorted((shared.EXAMPLES / "rock_paper_scissors").glob("*.png"))
RPS = DATA / "rock_paper_scissors"
SETS = {"flat renders": "rps_heldout.npz", "shaded renders on white": "rps_white_heldout.npz"}
# Fixed floors (never read from metrics.json): a retrain that does worse fails here.
# The CNN answers every picture. The transfer model answers only where MediaPipe finds a
# hand: its floors are end to end, "no hand" counted wrong (what a visitor gets), with a
# floor per gesture too, since MediaPipe misses fists most; its accuracy where a hand was
# found is checked as well. Measured when they were set (CNN / transfer): flat renders
# 0.75 / 0.867 of 62.5 % found, shaded on white 0.917 / 0.946 of 61.7 % found; transfer
# end to end 0.5417 (26 of 48) and 0.5833 (35 of 60), per gesture (rock, paper,
# scissors) 0.375 / 0.625 / 0.625 and 0.35 / 0.95 / 0.45; real V frames 17 / 19 of 19.
CNN_FLOORS = {"flat renders": 0.7, "shaded renders on white": 0.85}
TRANSFER_FLOORS = {"flat renders": 0.8, "shaded renders on white": 0.85}
TRANSFER_END_TO_END = {"flat renders": 0.5, "shaded renders on white": 0.5}
TRANSFER_EACH_GESTURE = 0.3  # end to end, per gesture; a third is chance
MIN_HAND_FOUND = {"flat renders": 0.5, "shaded renders on white": 0.5}
# No class may take more than this share of a balanced set's answers. MediaPipe finds open
# hands more often than fists in renders, so the transfer model's found pictures are not
# balanced (on white: 54 % paper answers, 0.946 of them right): a looser bound there.
MOST_ANSWERS = {"rock_paper_scissors_cnn": 0.45, "rock_paper_scissors_transfer": 0.6}
CNN_V_FLOOR = 15  # of the 19 real V frames (the target)
TRANSFER_V_FLOOR = 18  # of the 19 real V frames
VIEW_FLOOR = 0.9  # the transfer head, each gesture from each held-out view


@pytest.fixture(scope="module")
def heldout():
    sample = np.load(RPS / "rps_heldout.npz")
    return sample["images"], sample["labels"]


def answers_to(classify, images) -> np.ndarray:
    """The class index answered to each picture (-1: the landmark model saw no hand)."""
    answers = []
    for image in images:
        try:
            probabilities = classify(image)
        except gestures.NoHand:
            answers.append(-1)
            continue
        answers.append(gestures.LABELS.index(max(probabilities, key=probabilities.get)))
    return np.array(answers)


@pytest.fixture(scope="module")
def landmarker():
    from core.hand_landmarks import HandLandmarker
    from core.models import weights_file

    return HandLandmarker(weights_file("rock_paper_scissors_transfer", "model.keras").parent)


@pytest.fixture(scope="module", params=IDS)
def classifier(request):
    return request.param, gestures.load_classifier(request.param)


def fingertip_reach(points: np.ndarray) -> np.ndarray:
    """Distance of each fingertip (index .. pinky) from the wrist, in knuckle lengths."""
    return np.linalg.norm(points[[8, 12, 16, 20]] - points[0], axis=1) / np.linalg.norm(points[9])


# ---------------------------------------------------------------- rendering and augmentation


def test_poses_have_the_fingers_of_their_move():
    rng = np.random.default_rng(0)
    for _ in range(20):
        rock = fingertip_reach(hand_poses.hand_pose("rock", rng))
        paper = fingertip_reach(hand_poses.hand_pose("paper", rng))
        scissors = fingertip_reach(hand_poses.hand_pose("scissors", rng))
        assert rock.max() < 1.0 and paper.min() > 1.4
        assert scissors[:2].min() > 1.4 and scissors[2:].max() < 1.0


def test_rotation_keeps_the_hand_rigid():
    rng = np.random.default_rng(1)
    canonical = hand_poses.hand_pose("paper", rng)
    rotated = canonical @ hand_poses.random_rotation(rng).T
    distances = lambda p: np.linalg.norm(p[:, None] - p[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(distances(rotated), distances(canonical), atol=1e-9)


def test_render_gives_an_rgb_picture_and_landmarks_inside_it():
    rng = np.random.default_rng(2)
    for label in hand_poses.LABELS:
        image, landmarks = flat_hands.render(label, rng, 96, "train")
        assert image.shape == (96, 96, 3) and image.dtype == np.uint8
        assert landmarks.shape == (21, 3) and landmarks[0, 2] == 0
        assert (landmarks[:, :2] > -1).all() and (landmarks[:, :2] < 97).all()


def test_landmarks_follow_the_picture_size():
    _, small = flat_hands.render("paper", np.random.default_rng(3), 64, "train")
    _, large = flat_hands.render("paper", np.random.default_rng(3), 128, "train")
    np.testing.assert_allclose(large, 2 * small, rtol=1e-4, atol=1e-3)


def test_same_seed_same_render():
    first = flat_hands.render("scissors", np.random.default_rng(4), 64, "test")
    second = flat_hands.render("scissors", np.random.default_rng(4), 64, "test")
    np.testing.assert_array_equal(first[0], second[0])


def test_test_split_uses_skins_and_backgrounds_training_never_sees():
    assert not set(hand_scenes.TRAIN_TONES) & set(hand_scenes.TEST_TONES)
    assert not set(hand_scenes.TRAIN_BACKGROUNDS) & set(hand_scenes.TEST_BACKGROUNDS)
    with pytest.raises(ValueError):
        flat_hands.render("rock", np.random.default_rng(0), 64, "validation")


def test_shaded_render_is_a_lit_hand_on_white_with_landmarks_inside_it():
    rng = np.random.default_rng(9)
    for label in hand_poses.LABELS:
        image, landmarks = shaded_hands.render_shaded(label, rng, 96, "train", "white")
        assert image.shape == (96, 96, 3) and image.dtype == np.uint8
        assert landmarks.shape == (21, 3) and landmarks[0, 2] == 0
        assert (landmarks[:, :2] > -1).all() and (landmarks[:, :2] < 97).all()
        corners = image[[0, 0, -1, -1], [0, -1, 0, -1]]
        brightest = image.reshape(-1, 3).mean(1).max()
        assert (corners.mean(1) > 170).sum() >= 2  # white paper (one corner may be the arm)
        skin = image.reshape(-1, 3)[image.reshape(-1, 3).mean(1) < brightest - 60]
        assert len(skin) > 96 * 96 * 0.03  # a hand, not only paper
        assert np.ptp(skin.mean(1)) > 40  # shaded: light and dark sides


def test_shaded_render_is_repeatable_and_can_use_photo_backgrounds():
    first = shaded_hands.render_shaded("paper", np.random.default_rng(10), 64, "test")
    second = shaded_hands.render_shaded("paper", np.random.default_rng(10), 64, "test")
    np.testing.assert_array_equal(first[0], second[0])
    photos = hand_scenes.photo_backgrounds()  # scikit-image's wheel, from the package cache
    assert len(photos) == len(hand_scenes.PHOTOS) and min(min(p.size) for p in photos) >= 128
    image, _ = shaded_hands.render_shaded("rock", np.random.default_rng(11), 64, "train", "photo")
    assert image.shape == (64, 64, 3)
    assert set(hand_scenes.SHADED_TEST_BACKGROUNDS) - {"white", "wall"} <= set(
        hand_scenes.TEST_BACKGROUNDS
    )


def test_dataset_is_balanced():
    _, labels, _ = rock_paper_scissors.dataset(9, 32, "train", seed=5)
    assert np.bincount(labels, minlength=3).tolist() == [3, 3, 3]


def test_augmentation_keeps_the_size_and_changes_the_pixels():
    picture = Image.fromarray(np.full((40, 40, 3), 120, np.uint8))
    augmented = hand_scenes.augment(picture, np.random.default_rng(6))
    assert augmented.size == picture.size and augmented.mode == "RGB"
    assert not np.array_equal(np.asarray(augmented), np.asarray(picture))


# ---------------------------------------------------------------- landmark features


def test_features_ignore_position_size_and_in_plane_rotation():
    points = hand_poses.pose("scissors", np.random.default_rng(7))[:, :2]
    angle = 1.1
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = points @ turn.T * 37.0 + np.array([120.0, -45.0])
    np.testing.assert_allclose(features(moved), features(points), atol=1e-4)
    normalised = features(points).reshape(21, 2)
    assert abs(normalised[9, 0]) < 1e-5 and normalised[9, 1] < 0  # the knuckle straight up


def test_a_fist_seen_knuckles_first_keeps_its_size():
    # Seen knuckles-first, the wrist -> knuckle line is short; the unit of length is the
    # knuckle span then, so curled fingers stay near the palm instead of blowing up.
    rng = np.random.default_rng(13)
    for _ in range(20):
        fist = hand_poses.hand_pose("rock", rng) @ hand_poses._rotation(0.3, 0.0, np.radians(85)).T
        reach = np.linalg.norm(features(fist).reshape(21, 2)[[8, 12, 16, 20]], axis=1)
        assert reach.max() < 1.2


# ---------------------------------------------------------------- the game


def test_each_move_beats_exactly_one_other():
    for you in gestures.LABELS:
        outcomes = [gestures.winner(you, computer) for computer in gestures.LABELS]
        assert sorted(outcomes) == ["computer", "draw", "you"]
    assert gestures.winner("rock", "scissors") == "you"
    assert gestures.winner("scissors", "paper") == "you"
    assert gestures.winner("paper", "rock") == "you"
    assert gestures.winner("rock", "paper") == "computer"


def test_score_counts_wins_and_losses_but_not_draws():
    score = (0, 0)
    for outcome in ("you", "you", "computer", "draw"):
        score = gestures.add_round(score, outcome)
    assert score == (2, 1)
    assert rock_paper_scissors_tab.score_text(score) == "### You 2 : 1 Computer"


def test_countdown_counts_three_two_one_then_snaps(monkeypatch):
    monkeypatch.setattr(rock_paper_scissors_tab, "COUNTDOWN_TICK", 0)
    ticks = list(rock_paper_scissors_tab.countdown())
    assert [t.strip("# …") for t in ticks[:3]] == ["3", "2", "1"] and "Snap" in ticks[3]


@pytest.mark.parametrize(
    "picture, message",
    [
        (None, "No photo"),
        (np.full((300, 400, 3), 200, np.uint8), "blank"),
        (np.random.default_rng(0).integers(0, 255, (12, 12, 3), np.uint8), "too small"),
    ],
)
def test_missing_blank_or_tiny_pictures_get_a_clear_error(picture, message):
    with pytest.raises(BadInput, match=message):
        gestures.picture(picture)


def test_huge_pictures_are_shrunk_and_the_cnn_sees_the_central_square():
    huge = np.random.default_rng(1).integers(0, 255, (3000, 4000, 3), np.uint8)
    assert max(gestures.picture(huge).shape) == gestures.MAX_SIDE
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, 100:200] = 255  # only the central square is white
    assert gestures.centre_square(wide, 50).min() == 255


# ---------------------------------------------------------------- shipped weights


@pytest.mark.parametrize("name", SETS)
def test_heldout_renders_reach_fixed_floors(classifier, name):
    experiment_id, classify = classifier
    sample = np.load(RPS / SETS[name])  # 48 and 60 pictures: one is 0.021 and 0.017
    answers = answers_to(classify, sample["images"])
    if experiment_id == "rock_paper_scissors_cnn":
        assert (answers >= 0).all()  # no "no hand": the CNN falls back to the whole frame
        assert np.mean(answers == sample["labels"]) >= CNN_FLOORS[name]
    else:
        right = answers == sample["labels"]  # "no hand" (-1) is wrong
        assert right.mean() >= TRANSFER_END_TO_END[name]
        for gesture in range(3):
            shown = sample["labels"] == gesture
            assert right[shown].mean() >= TRANSFER_EACH_GESTURE, gestures.LABELS[gesture]
        found = answers >= 0
        assert found.mean() >= MIN_HAND_FOUND[name]
        assert np.mean(answers[found] == sample["labels"][found]) >= TRANSFER_FLOORS[name]


@pytest.mark.parametrize("name", SETS)
def test_no_class_takes_most_answers_on_a_balanced_set(classifier, name):
    # A model that answers one move to (nearly) everything must never ship. For the
    # transfer model the shares are counted over the pictures where it found a hand.
    experiment_id, classify = classifier
    sample = np.load(RPS / SETS[name])
    assert np.bincount(sample["labels"], minlength=3).tolist() == [len(sample["labels"]) // 3] * 3
    answers = answers_to(classify, sample["images"])
    found = answers[answers >= 0]
    assert len(found) >= MIN_HAND_FOUND[name] * len(answers)
    shares = [np.mean(found == k) for k in range(3)]
    assert max(shares) <= MOST_ANSWERS[experiment_id], f"{name}: answer shares {shares}"


@pytest.mark.parametrize("experiment_id", IDS)
def test_real_photos_the_fist_and_most_v_frames_are_right(experiment_id):
    photos, labels = rock_paper_scissors.real_photos()  # npm fingerpose, from the package cache
    assert labels[0] == gestures.LABELS.index("rock") and (labels[1:] == 2).all()
    answers = answers_to(gestures.load_classifier(experiment_id), photos)
    assert answers[0] == labels[0]  # the fist
    floor = CNN_V_FLOOR if experiment_id == "rock_paper_scissors_cnn" else TRANSFER_V_FLOOR
    assert np.sum(answers[1:] == labels[1:]) >= floor  # the V frames


@pytest.mark.parametrize("view", hand_poses.VIEWS)
def test_transfer_head_knows_each_gesture_from_each_held_out_view(view):
    # Skeleton poses at angles training never drew (the other half of each 10-degree
    # band), with landmark noise as MediaPipe's: fists knuckles-first, from the side...
    from core.models import load_keras
    from training.rock_paper_scissors_transfer import NOISE

    head = load_keras("rock_paper_scissors_transfer")
    rng = np.random.default_rng(24)
    labels = np.arange(150) % 3
    points = np.stack([hand_poses.pose(gestures.LABELS[y], rng, view, "test") for y in labels])
    x = features(points) + rng.normal(0, NOISE, (len(labels), 42)).astype(np.float32)
    answers = np.argmax(np.asarray(head.predict_on_batch(x)), 1)
    for k, label in enumerate(gestures.LABELS):
        assert np.mean(answers[labels == k] == k) >= VIEW_FLOOR, f"{view}: {label}"


def test_held_out_views_use_angles_training_never_draws():
    rng = np.random.default_rng(5)
    for view, ((yaw, pitch), _) in hand_poses.VIEWS.items():
        for split, band in (("train", (0, 5)), ("test", (5, 10))):
            for _ in range(30):
                _, *angles = hand_poses.view_angles(view, rng, split)
                if view == "tilted":  # tipped either way
                    angles = np.abs(angles)
                offsets = np.array(angles) - [yaw, pitch]
                assert (band[0] <= offsets % 10).all() and (offsets % 10 < band[1]).all()
    with pytest.raises(KeyError):
        hand_poses.view_angles("upside down", rng)


def test_hand_square_is_the_landmarks_box_with_a_margin():
    image = np.zeros((200, 300, 3), np.uint8)
    image[50:100, 200:250] = 255  # the "hand": its landmarks span this box
    points = np.array([[200.0, 50.0], [250.0, 100.0], [225.0, 75.0]])
    crop = gestures.hand_square(image, points, 80)  # 50 px + 2 x 30 % = 80 px: one to one
    assert crop.shape == (80, 80, 3)
    assert crop[16:64, 16:64].min() == 255  # the box, in the middle
    assert crop[:14].max() == 0 and crop[66:].max() == 0  # the margin around it
    assert crop[:, :14].max() == 0 and crop[:, 66:].max() == 0


def test_landmarker_points_land_on_the_hand_in_the_picture(landmarker):
    # Hand.points map the landmark model's crop back to the picture's pixels: on renders
    # with known landmarks they fall on the hand.
    rng = np.random.default_rng(21)
    errors = []
    for _ in range(6):
        image, true = shaded_hands.render_shaded("paper", rng, 160, "test", "wall", "palm")
        hand = landmarker(image)
        if hand is not None:
            size = np.ptp(true[:, :2], 0).max()
            errors.append(np.median(np.linalg.norm(hand.points - true[:, :2], axis=1)) / size)
    assert len(errors) >= 2 and max(errors) < 0.2, errors


def test_cnn_sees_the_hand_it_finds_or_else_the_central_square(landmarker):
    photos, _ = rock_paper_scissors.real_photos()
    frame = gestures.picture(photos[1])  # a V: the man's face in the middle, his hand right
    hand = landmarker(frame)
    assert hand is not None and hand.points[:, 0].min() > 0.45 * frame.shape[1]
    crop = gestures.cnn_input(frame, landmarker, 64)
    np.testing.assert_array_equal(crop, gestures.hand_square(frame, hand.points, 64))
    assert np.abs(crop - gestures.centre_square(frame, 64)).mean() > 20
    no_hand = np.asarray(hand_scenes.background("blobs", 256, np.random.default_rng(8)))
    expected = gestures.centre_square(no_hand, 64)
    np.testing.assert_array_equal(gestures.cnn_input(no_hand, landmarker, 64), expected)


def test_cnn_input_size_comes_from_the_model():
    import keras

    from core.hand_landmarks import HandLandmarker
    from core.models import load_keras, weights_file
    from training.rock_paper_scissors_cnn import CONFIG

    tiny = keras.Sequential(
        [keras.Input((40, 40, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)]
    )
    picture = np.random.default_rng(12).integers(0, 255, (120, 200, 3), np.uint8)
    landmarker = HandLandmarker(weights_file("rock_paper_scissors_cnn", "model.keras").parent)
    assert sorted(gestures.cnn_classifier(tiny, landmarker)(picture)) == sorted(gestures.LABELS)
    assert load_keras("rock_paper_scissors_cnn").input_shape[1:3] == (CONFIG["image_size"],) * 2


def test_a_round_plays_the_predicted_move_against_the_computer(classifier):
    _, classify = classifier
    example = np.asarray(
        Image.open(shared.EXAMPLES / "rock_paper_scissors" / "scissors.png").convert("RGB")
    )
    play = rock_paper_scissors_tab.game_function(classify, pick=lambda: "rock")
    text, score_text, probabilities, score = play(example, (3, 4))
    assert sorted(probabilities) == sorted(gestures.LABELS)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    you = max(probabilities, key=probabilities.get)
    assert score == gestures.add_round((3, 4), gestures.winner(you, "rock"))
    assert gestures.EMOJI[you] in text and gestures.EMOJI["rock"] in text


def test_transfer_model_finds_no_hand_in_a_picture_without_one():
    classify = gestures.load_classifier("rock_paper_scissors_transfer")
    rng = np.random.default_rng(8)
    background = np.asarray(hand_scenes.background("blobs", 256, rng))
    with pytest.raises(gestures.NoHand):
        classify(background)
    play = rock_paper_scissors_tab.game_function(classify)
    text, _, probabilities, score = play(background, (1, 2))
    assert "No hand" in text and probabilities is None and score == (1, 2)


# ---------------------------------------------------------------- end to end


@pytest.mark.parametrize("experiment_id", IDS)
def test_api_answers_rock_paper_or_scissors_for_each_example(hub_client, experiment_id):
    # The examples were not chosen by the models' answers (see the next tests), so this
    # checks the answer's form; how often it is right is measured on the test sets.
    for example in EXAMPLES:
        label = hub_client.predict(handle_file(str(example)), api_name=f"/{experiment_id}")
        assert {c["label"] for c in label["confidences"]} == set(gestures.LABELS)
        assert label["label"] in gestures.LABELS
        assert sum(c["confidence"] for c in label["confidences"]) == pytest.approx(1, abs=1e-3)


def test_examples_follow_the_stated_rule(tmp_path):
    # Each example is the render that rule gives (training/rock_paper_scissors.py,
    # EXAMPLE_SEED), not a picture picked because the models answer it right.
    written = sorted(rock_paper_scissors.write_examples(tmp_path))
    assert (
        [p.name for p in written]
        == [p.name for p in EXAMPLES]
        == sorted(f"{label}.png" for label in gestures.LABELS)
    )
    for ours, shipped in zip(written, EXAMPLES, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(ours)), np.asarray(Image.open(shipped)))


def test_examples_are_not_pictures_of_any_test_set():
    photos, _ = rock_paper_scissors.real_photos()
    test_sets = [np.load(RPS / name)["images"] for name in SETS.values()] + [photos]
    for example in EXAMPLES:
        picture = Image.open(example).convert("RGB")
        for images in test_sets:
            for image in images:
                height, width = image.shape[:2]
                resized = np.asarray(picture.resize((width, height)), np.float32)
                assert np.abs(resized - image).mean() > 20, f"{example.name} is a test picture"


def test_api_refuses_a_blank_picture(hub_client, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    with pytest.raises(Exception, match="blank"):
        hub_client.predict(handle_file(str(blank)), api_name=f"/{IDS[0]}")


@pytest.mark.slow
@pytest.mark.parametrize("experiment_id", IDS)
def test_training_module_runs_end_to_end_on_tiny_data(experiment_id, tmp_path):
    out = smoke_train(experiment_id, tmp_path / experiment_id)
    for name in ("model.keras", "metrics.json", "README.md", "SHA256SUMS", "labels.json"):
        assert (out / name).is_file()


def test_model_card_shows_what_the_model_answered_to_the_real_photos():
    from ui.rock_paper_scissors_tab import real_photo_rows

    metrics = {
        "real_photo_accuracy": 0.95,
        "real_photo_answers": {
            "rock (1 photo of a fist)": "scissors",
            "scissors (19 GIF frames of a V)": {"scissors": 19},
        },
    }
    rows = real_photo_rows(metrics)
    assert rows["Real photos (20, npm fingerpose)"] == "0.95"
    assert rows["Its answers to them"] == (
        "rock (1 photo of a fist) → scissors; scissors (19 GIF frames of a V) → scissors ×19"
    )
    assert real_photo_rows({}) == {}
