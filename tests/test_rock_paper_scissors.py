"""Rock-paper-scissors: the hand renderer and its augmentation, the shared landmark
normalisation, the game's rules and score, picture checks, shipped-weight quality on a
committed held-out sample of renders, the API end to end, and training's smoke runs."""

import json

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from conftest import DATA, ROOT, smoke_train
from core import gestures
from core.errors import BadInput
from core.hand_landmarks import features
from training import rock_paper_scissors
from ui import rock_paper_scissors_tab, shared

IDS = ["rock_paper_scissors_cnn", "rock_paper_scissors_transfer"]
EXAMPLES = sorted((shared.EXAMPLES / "rock_paper_scissors").glob("*.png"))
MARGIN = 0.1  # 48 pictures: one picture is 0.021
MOST_ANSWERS = 0.6  # no class may take more than this share of a balanced set's answers
SETS = {"flat renders": "rps_heldout.npz", "shaded renders on white": "rps_white_heldout.npz"}


@pytest.fixture(scope="module")
def heldout():
    sample = np.load(DATA / "rps_heldout.npz")
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
        rock = fingertip_reach(rock_paper_scissors.hand_pose("rock", rng))
        paper = fingertip_reach(rock_paper_scissors.hand_pose("paper", rng))
        scissors = fingertip_reach(rock_paper_scissors.hand_pose("scissors", rng))
        assert rock.max() < 1.0 and paper.min() > 1.4
        assert scissors[:2].min() > 1.4 and scissors[2:].max() < 1.0


def test_rotation_keeps_the_hand_rigid():
    rng = np.random.default_rng(1)
    canonical = rock_paper_scissors.hand_pose("paper", rng)
    rotated = canonical @ rock_paper_scissors.random_rotation(rng).T
    distances = lambda p: np.linalg.norm(p[:, None] - p[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(distances(rotated), distances(canonical), atol=1e-9)


def test_render_gives_an_rgb_picture_and_landmarks_inside_it():
    rng = np.random.default_rng(2)
    for label in rock_paper_scissors.LABELS:
        image, landmarks = rock_paper_scissors.render(label, rng, 96, "train")
        assert image.shape == (96, 96, 3) and image.dtype == np.uint8
        assert landmarks.shape == (21, 3) and landmarks[0, 2] == 0
        assert (landmarks[:, :2] > -1).all() and (landmarks[:, :2] < 97).all()


def test_landmarks_follow_the_picture_size():
    _, small = rock_paper_scissors.render("paper", np.random.default_rng(3), 64, "train")
    _, large = rock_paper_scissors.render("paper", np.random.default_rng(3), 128, "train")
    np.testing.assert_allclose(large, 2 * small, rtol=1e-4, atol=1e-3)


def test_same_seed_same_render():
    first = rock_paper_scissors.render("scissors", np.random.default_rng(4), 64, "test")
    second = rock_paper_scissors.render("scissors", np.random.default_rng(4), 64, "test")
    np.testing.assert_array_equal(first[0], second[0])


def test_test_split_uses_skins_and_backgrounds_training_never_sees():
    assert not set(rock_paper_scissors.TRAIN_TONES) & set(rock_paper_scissors.TEST_TONES)
    assert not set(rock_paper_scissors.TRAIN_BACKGROUNDS) & set(
        rock_paper_scissors.TEST_BACKGROUNDS
    )
    with pytest.raises(ValueError):
        rock_paper_scissors.render("rock", np.random.default_rng(0), 64, "validation")


def test_shaded_render_is_a_lit_hand_on_white_with_landmarks_inside_it():
    rng = np.random.default_rng(9)
    for label in rock_paper_scissors.LABELS:
        image, landmarks = rock_paper_scissors.render_shaded(label, rng, 96, "train", "white")
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
    first = rock_paper_scissors.render_shaded("paper", np.random.default_rng(10), 64, "test")
    second = rock_paper_scissors.render_shaded("paper", np.random.default_rng(10), 64, "test")
    np.testing.assert_array_equal(first[0], second[0])
    photos = rock_paper_scissors.photo_backgrounds()  # scikit-image's wheel, from the package cache
    assert (
        len(photos) == len(rock_paper_scissors.PHOTOS) and min(min(p.size) for p in photos) >= 128
    )
    image, _ = rock_paper_scissors.render_shaded(
        "rock", np.random.default_rng(11), 64, "train", "photo"
    )
    assert image.shape == (64, 64, 3)
    assert set(rock_paper_scissors.SHADED_TEST_BACKGROUNDS) - {"white", "wall"} <= set(
        rock_paper_scissors.TEST_BACKGROUNDS
    )


def test_dataset_is_balanced():
    _, labels, _ = rock_paper_scissors.dataset(9, 32, "train", seed=5)
    assert np.bincount(labels, minlength=3).tolist() == [3, 3, 3]


def test_augmentation_keeps_the_size_and_changes_the_pixels():
    picture = Image.fromarray(np.full((40, 40, 3), 120, np.uint8))
    augmented = rock_paper_scissors.augment(picture, np.random.default_rng(6))
    assert augmented.size == picture.size and augmented.mode == "RGB"
    assert not np.array_equal(np.asarray(augmented), np.asarray(picture))


# ---------------------------------------------------------------- landmark features


def test_features_ignore_position_size_and_in_plane_rotation():
    points = rock_paper_scissors.pose("scissors", np.random.default_rng(7))[:, :2]
    angle = 1.1
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = points @ turn.T * 37.0 + np.array([120.0, -45.0])
    np.testing.assert_allclose(features(moved), features(points), atol=1e-4)
    normalised = features(points).reshape(21, 2)
    np.testing.assert_allclose(normalised[9], [0, -1], atol=1e-5)  # the knuckle straight up


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


def test_heldout_renders_reach_the_measured_accuracy(classifier, heldout):
    experiment_id, classify = classifier
    measured = json.loads((ROOT / "weights" / experiment_id / "metrics.json").read_text())
    images, labels = heldout
    assert np.mean(answers_to(classify, images) == labels) >= measured["test_accuracy"] - MARGIN


@pytest.mark.parametrize("name", SETS)
def test_no_class_takes_most_answers_on_a_balanced_set(classifier, name):
    # A model that answers one move to (nearly) everything must never ship.
    _, classify = classifier
    sample = np.load(DATA / SETS[name])
    assert np.bincount(sample["labels"], minlength=3).tolist() == [len(sample["labels"]) // 3] * 3
    answers = answers_to(classify, sample["images"])
    shares = [np.mean(answers == k) for k in range(3)]
    assert max(shares) <= MOST_ANSWERS, f"{name}: answer shares {shares}"


def test_cnn_on_shaded_renders_on_white_reaches_the_measured_accuracy():
    measured = json.loads(
        (ROOT / "weights" / "rock_paper_scissors_cnn" / "metrics.json").read_text()
    )
    assert max(measured["white_answer_shares"].values()) <= 0.45
    sample = np.load(DATA / "rps_white_heldout.npz")  # 60 pictures: one is 0.017
    classify = gestures.load_classifier("rock_paper_scissors_cnn")
    right = answers_to(classify, sample["images"]) == sample["labels"]
    assert np.mean(right) >= measured["white_accuracy"] - MARGIN


def test_cnn_gets_the_real_fist_right_and_the_v_frames_as_measured():
    # Target (issue 14): the fist and >= 17 of the 19 V frames; metrics.json says where
    # the shipped CNN stands, and a retrain that loses the fist fails here.
    measured = json.loads(
        (ROOT / "weights" / "rock_paper_scissors_cnn" / "metrics.json").read_text()
    )["real_photo_answers"]
    photos, labels = rock_paper_scissors.real_photos()  # npm fingerpose, from the package cache
    answers = answers_to(gestures.load_classifier("rock_paper_scissors_cnn"), photos)
    assert labels[0] == gestures.LABELS.index("rock") and (labels[1:] == 2).all()
    assert gestures.LABELS[answers[0]] == "rock" == measured["rock (1 photo of a fist)"]
    v_right = measured["scissors (19 GIF frames of a V)"].get("scissors", 0)
    assert abs(np.sum(answers[1:] == labels[1:]) - v_right) <= 1


def test_cnn_input_size_comes_from_the_model():
    import keras

    from core.models import load_keras
    from training.rock_paper_scissors_cnn import IMAGE_SIZE

    tiny = keras.Sequential(
        [keras.Input((40, 40, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)]
    )
    picture = np.random.default_rng(12).integers(0, 255, (120, 200, 3), np.uint8)
    assert sorted(gestures.cnn_classifier(tiny)(picture)) == sorted(gestures.LABELS)
    assert load_keras("rock_paper_scissors_cnn").input_shape[1:3] == (IMAGE_SIZE, IMAGE_SIZE)


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
    background = np.asarray(rock_paper_scissors._background("blobs", 256, rng))
    with pytest.raises(gestures.NoHand):
        classify(background)
    play = rock_paper_scissors_tab.game_function(classify)
    text, _, probabilities, score = play(background, (1, 2))
    assert "No hand" in text and probabilities is None and score == (1, 2)


# ---------------------------------------------------------------- end to end


@pytest.mark.parametrize("experiment_id", IDS)
def test_api_answers_rock_paper_or_scissors_for_each_example(hub_client, experiment_id):
    for example in EXAMPLES:
        label = hub_client.predict(handle_file(str(example)), api_name=f"/{experiment_id}")
        assert {c["label"] for c in label["confidences"]} == set(gestures.LABELS)
        assert label["label"] == example.stem


def test_api_refuses_a_blank_picture(hub_client, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    with pytest.raises(Exception, match="blank"):
        hub_client.predict(handle_file(str(blank)), api_name=f"/{IDS[0]}")


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
