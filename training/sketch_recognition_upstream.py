"""Sketch recognition with upstream's own trained models (real QuickDraw, 345 categories),
converted from TF.js to Keras and averaged with ours into the one model a sketch tab serves.

No training: the TF.js files come from training/vendor/upstream_sketches/ (sha256-checked;
`--source upstream`: upstream's pinned commits), every converted layer checked against
numpy. Candidates (ours, upstream's, upstream's fine-tuned, weighted averages) are scored
on the development doodles only (data/sketch_recognition/) and the best is saved as one
model over (28, 28, 2) = `core.drawing.to_both`; the frozen test set scores only the
served model. Ours is read from the folder's model.keras, so a fresh clone converts offline.

    python -m training.sketch_recognition_upstream --model cnn|mlp [--source upstream]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

import numpy as np

from core.weights import WEIGHTS_DIR
from training import objects_detection
from training.common import arguments, cache, publish
from training.doodles import sketch_ensemble as ensemble
from training.doodles import sketch_fine_tune

VENDORED = Path(__file__).resolve().parent / "vendor" / "upstream_sketches"
REPOSITORY = "trekhleb/machine-learning-experiments"
COMMIT = "307992fe7d8e42decc53b821e815a16fcd3bf15a"
MLP_JSON_COMMIT = "0e3b783600a85e078131d3b5a4071f74a2f88c7b"  # upstream's earlier, smaller MLP
RAW = "https://raw.githubusercontent.com/{repository}/{commit}/{path}"  # --source upstream only
MODELS = "demos/public/models"
LABELS = "quickdraw_labels.json"
# The vendored file -> (upstream's path, commit, sha256 of the file here).
FILES = {
    "sketch_recognition_cnn/model.json": (
        f"{MODELS}/sketch_recognition_cnn/model.json", COMMIT,
        "427b51e442b545434c6542c62bb87e007852b4502fb68658c01dddb509c2b85f",
    ),
    "sketch_recognition_cnn/group1-shard1of1.bin": (
        f"{MODELS}/sketch_recognition_cnn/group1-shard1of1.bin", COMMIT,
        "9db97d2b19ff2cd6de28fb0838b231559b0f7c5af8310db4a019ff735ca041da",
    ),
    "sketch_recognition_mlp/model.json": (
        f"{MODELS}/sketch_recognition_mlp/model.json", MLP_JSON_COMMIT,
        "8ea15799f69369e349f7340fb6e80c975143b2a3b1f7a3000ef1a4806f0828c4",
    ),
    "sketch_recognition_mlp/group1-shard1of1.bin": (
        f"{MODELS}/sketch_recognition_mlp/group1-shard1of1.bin", COMMIT,
        "6af63be75a164e652b8987db42d90e20073185da224ff0ad11b5759bbf40cec2",
    ),
    # upstream's labels.js, its 345 names written as JSON in the models' output order
    LABELS: (
        "demos/src/components/experiments/SketchRecognitionCNN/labels.js", COMMIT,
        "37bc73e7da2d9545dd9ee98781e4a2eeae6c567f4091ddc01893c0088d620a20",
    ),
    "LICENSE": (
        "LICENSE", COMMIT, "b274b530a180735f3ade54598c68ac663f1d63508911367f46fc2f02c888fe20"
    ),
}  # fmt: skip
LAYERS = {"Conv2D", "MaxPooling2D", "Flatten", "Dense"}
MAX_LAYER_DIFF = 1e-4  # largest relative difference of a layer's output from numpy's
UPSTREAM_NOTE = (
    "upstream's own figure: top-1 on real QuickDraw doodles (345 categories, QuickDraw's "
    "bitmaps): DIFFERENT DATA"
)


# ---------------------------------------------------------------- the TF.js files


def upstream_file(name: str, source: str = "registry", folder: Path = VENDORED) -> bytes:
    """One of FILES, from the vendored copy (in ``folder``) or upstream's pinned commit,
    sha256-checked (upstream's labels.js is checked by ``quickdraw_labels`` instead)."""
    path, commit, sha256 = FILES[name]
    if source == "registry":
        data = (folder / name).read_bytes()
    else:
        from urllib.request import urlopen

        cached = cache.CACHE / "upstream_sketches" / commit / path
        if not cached.is_file():
            url = RAW.format(repository=REPOSITORY, commit=commit, path=path)
            with urlopen(url, timeout=120) as response:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(response.read())
        data = cached.read_bytes()
        if name == LABELS:
            return data
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"{name}: sha256 differs from the pinned {sha256[:12]}")
    return data


def quickdraw_labels(source: str = "registry") -> list[str]:
    """Upstream's 345 category names, in its models' output order."""
    text = upstream_file(LABELS, source).decode()
    names = json.loads(text) if source == "registry" else re.findall(r"['\"]([^'\"]+)['\"]", text)
    if len(names) != 345 or len(set(names)) != 345:
        raise ValueError(f"expected QuickDraw's 345 names, found {len(names)}")
    return names


def tfjs_model(
    kind: str, source: str = "registry", folder: Path = VENDORED
) -> tuple[dict, dict[str, np.ndarray]]:
    """(model.json, {weight name: array}) of upstream's ``kind`` ("cnn" or "mlp")."""
    model = json.loads(upstream_file(f"sketch_recognition_{kind}/model.json", source, folder))
    data = upstream_file(f"sketch_recognition_{kind}/group1-shard1of1.bin", source, folder)
    return model, objects_detection.read_weights(model["weightsManifest"], data)


def topology_layers(model: dict) -> list[dict]:
    """The Sequential's layers of a model.json, each {class_name, config}."""
    config = model["modelTopology"]["model_config"]
    if config["class_name"] != "Sequential":
        raise ValueError(f"expected a Sequential model, found {config['class_name']}")
    layers = config["config"]
    layers = layers["layers"] if isinstance(layers, dict) else layers
    unknown = {layer["class_name"] for layer in layers} - LAYERS
    if unknown:
        raise ValueError(f"unsupported layers {sorted(unknown)}")
    return layers


# ---------------------------------------------------------------- Keras and numpy


def keras_layer(layer: dict):
    """One topology layer as a Keras 3 layer (the options keras 2.2.4 wrote that matter)."""
    import keras

    config = layer["config"]
    name, kind = config["name"], layer["class_name"]
    if kind == "Conv2D":
        return keras.layers.Conv2D(
            config["filters"], tuple(config["kernel_size"]), tuple(config["strides"]),
            config["padding"], activation=config["activation"], name=name,
        )  # fmt: skip
    if kind == "MaxPooling2D":
        return keras.layers.MaxPooling2D(
            tuple(config["pool_size"]), tuple(config["strides"]), config["padding"], name=name
        )
    if kind == "Dense":
        return keras.layers.Dense(config["units"], activation=config["activation"], name=name)
    return keras.layers.Flatten(name=name)


def keras_model(model: dict, weights: dict[str, np.ndarray], name: str):
    """The Keras Sequential of a model.json, its weights set by name from the .bin."""
    import keras

    layers = topology_layers(model)
    shape = tuple(layers[0]["config"]["batch_input_shape"][1:])
    built = keras.Sequential(
        [keras.Input(shape), *(keras_layer(layer) for layer in layers)], name=name
    )
    for layer in built.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}/kernel"], weights[f"{layer.name}/bias"]])
    return built


def numpy_layers(model: dict, weights: dict[str, np.ndarray], x: np.ndarray) -> list:
    """Every layer's output recomputed in plain numpy (float64) from the file's weights."""
    outputs = []
    x = x.astype(np.float64)
    for layer in topology_layers(model):
        config = layer["config"]
        kernel, bias = (weights.get(f"{config['name']}/{part}") for part in ("kernel", "bias"))
        if layer["class_name"] == "Conv2D":
            assert config["padding"] == "same" and tuple(config["strides"]) == (1, 1)
            x = objects_detection.reference_conv(x, kernel, bias, stride=1, depthwise=False)
        elif layer["class_name"] == "MaxPooling2D":
            assert tuple(config["pool_size"]) == tuple(config["strides"]) == (2, 2)
            n, height, width, channels = x.shape
            cut = x[:, : height // 2 * 2, : width // 2 * 2]
            x = cut.reshape(n, height // 2, 2, width // 2, 2, channels).max(axis=(2, 4))
        elif layer["class_name"] == "Flatten":
            x = x.reshape(len(x), -1)
        else:
            x = x @ kernel.astype(np.float64) + bias
        x = activate(x, config.get("activation", "linear"))
        outputs.append(x)
    return outputs


def activate(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(x, 0)
    if activation == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if activation != "linear":
        raise ValueError(f"unsupported activation {activation}")
    return x


def layer_differences(built, model: dict, weights: dict[str, np.ndarray], x) -> dict:
    """{layer name: largest relative difference of the Keras layer's output from numpy's}."""
    import keras

    probe = keras.Model(built.inputs, [layer.output for layer in built.layers])
    actual = [np.asarray(a) for a in probe.predict_on_batch(x)]
    expected = numpy_layers(model, weights, x)
    pairs = zip(built.layers, actual, expected, strict=True)
    return {layer.name: objects_detection.rel_diff(a, e) for layer, a, e in pairs}


# ---------------------------------------------------------------- main


def ours_figures(metrics: dict) -> dict:
    """Our model's own figures from the metrics.json it was shipped with (those of a
    combined folder keep them under "ours"); the doodle figures are re-measured here."""
    ours = metrics.get("ours", metrics)
    return {k: v for k, v in ours.items() if "doodle" not in k and k != "ours_labels"}


def parse(argv: list[str] | None):
    chooser = argparse.ArgumentParser(add_help=False)
    chooser.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    known, rest = chooser.parse_known_args(argv)
    return known.model, arguments.parse_args(__doc__, sketch_fine_tune.EPOCHS, rest)


def served_metrics(served, labels: list[str], dev, dev_names, experiment_id: str) -> dict:
    """The served model's figures: the development doodles, then, once, the frozen test set."""
    from training.sketch_recognition import TEST_DOODLES_PATH

    test, test_names = ensemble.doodles(TEST_DOODLES_PATH)
    metrics = {"id": experiment_id, "categories": len(labels)}
    for prefix, images, names in (("", dev, dev_names), ("frozen_", test, test_names)):
        truth = np.array([labels.index(name) for name in names])
        scores = ensemble.top_scores(np.asarray(served.predict_on_batch(images / 255.0)), truth)
        metrics.update({f"{prefix}doodle_{key}": value for key, value in scores.items()})
        metrics[f"{prefix}doodle_count"] = len(names)
        metrics[f"{prefix}doodle_categories"] = len(set(names))
    return metrics


def card_values(kind: str, metrics: dict, labels: list[str]) -> dict:
    """What the card shows beyond metrics.json: where the files came from, the candidates
    table and the category lists."""
    ours_labels = metrics["ours_labels"]
    from core.experiments import BY_ID

    return {
        "title": BY_ID[f"sketch_recognition_{kind}"].title,
        "kind": kind.upper(),
        "upstream_path": FILES[f"sketch_recognition_{kind}/model.json"][0],
        "layer_diff": f"{max(metrics['check_layer_max_rel_diff_vs_numpy'].values()):.1e}",
        "model": kind,
        "candidate_rows": "\n".join(
            f"| {name} | {s['accuracy']} | {s['top3_accuracy']} | {s['known_accuracy']} | "
            f"{s['known_top3_accuracy']} | {s['other_mass']} |"
            for name, s in sorted(
                metrics["dev_candidates"].items(), key=lambda c: (c[0].startswith("average_"), c[0])
            )
        ),
        "renders": metrics["fine_tuning"]["renders"],
        "learning_rate": sketch_fine_tune.LEARNING_RATE,
        "epochs": len(metrics["fine_tuning"]["epochs_scored_on_dev"]) - 1,
        "ours_known": ", ".join(sorted(ours_labels, key=str.lower)),
        "upstream_only": ", ".join(sorted(set(labels) - set(ours_labels), key=str.lower)),
    }


def main(argv: list[str] | None = None) -> dict:
    import keras

    from training.sketch_recognition import DOODLES_PATH

    kind, args = parse(argv)
    experiment_id = f"sketch_recognition_{kind}"
    folder = publish.weights_folder(experiment_id, args.out)
    shipped = folder if (folder / "model.keras").is_file() else WEIGHTS_DIR / experiment_id

    # Data: upstream's TF.js files and labels, our model, the development doodles.
    labels = quickdraw_labels(args.source)
    model_json, weights = tfjs_model(kind, args.source)
    ours, ours_labels = ensemble.ours_in(shipped)
    ours_metrics = ours_figures(json.loads((shipped / "metrics.json").read_text()))
    dev, dev_names = ensemble.doodles(DOODLES_PATH)
    truth = np.array([labels.index(name) for name in dev_names])

    # Model: upstream's from its topology, every layer checked against numpy; a copy of
    # it fine-tuned on our renders, scored on the development doodles every epoch.
    upstream = keras_model(model_json, weights, "upstream")
    probe = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    diffs = layer_differences(upstream, model_json, weights, probe)
    assert max(diffs.values()) < MAX_LAYER_DIFF, f"layers differ from numpy: {diffs}"
    tuned = keras_model(model_json, weights, "upstream")
    x, y = sketch_fine_tune.renders(labels, args.smoke)
    tuning = sketch_fine_tune.fine_tune(tuned, x, y, dev[..., 1:] / 255.0, truth, args.epochs)

    # Choose on the development doodles only; save the one combined model, reload it.
    upstreams = {"upstream": upstream, "upstream_fine_tuned": tuned}
    known = np.isin(labels, ours_labels)
    outputs = ensemble.branch_outputs(ours, ours_labels, upstreams, labels, dev)
    scores = ensemble.candidates(outputs, truth, known)
    name, base, weight = ensemble.chosen(scores)
    model = ensemble.combined(ours, ours_labels, upstreams[base], labels, weight)
    publish.save_for_serving(model, folder / "model.keras")
    served = keras.saving.load_model(folder / "model.keras", compile=False, safe_mode=True)
    (folder / "labels.json").write_text(json.dumps(labels, indent=0) + "\n")

    # Evaluate the served model; publish metrics.json, the card and the manifest.
    metrics = served_metrics(served, labels, dev, dev_names, experiment_id)
    metrics.update(
        chosen=name,
        upstream_model=base,
        upstream_weight=weight,
        dev_candidates=scores,
        fine_tuning={"epochs_scored_on_dev": tuning, "renders": len(y)},
        ours_categories=len(ours_labels),
        ours_labels=ours_labels,
        check_layer_max_rel_diff_vs_numpy=diffs,
        source="vendored copy" if args.source == "registry" else "upstream's commits",
        upstream_commit=COMMIT,
        upstream_model_json_commit=MLP_JSON_COMMIT if kind == "mlp" else COMMIT,
        params=int(served.count_params()),
        upstream_params=int(upstream.count_params()),
        upstream_test_accuracy=ours_metrics.get("upstream_test_accuracy"),
        upstream_note=UPSTREAM_NOTE,
        ours=ours_metrics,
    )
    values = card_values(kind, metrics, labels)
    template = "sketch_recognition_upstream"
    publish.publish(
        experiment_id,
        folder,
        metrics,
        publish.card_data(
            ["image-classification", "sketch", "quickdraw", "doodle", "converted", "ensemble"],
            model_name=metrics["id"],
        ),
        template,
        values,
        args.push,
    )
    return metrics


if __name__ == "__main__":
    main()
