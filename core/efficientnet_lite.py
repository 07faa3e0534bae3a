"""EfficientNet-Lite0 in Keras 3: the architecture and its float16 weight file.

EfficientNet-Lite0 is EfficientNet-B0 made for phones: no squeeze-excite, ReLU6, a fixed
32-channel stem and 1280-channel head. Its blocks are MobileNetV2-style inverted residuals,
so it stands in for upstream's MobileNetV2 (whose ImageNet weights no registry holds).
`training/image_classification.py` converts the PyTorch checkpoint into the weight file
read here; the rock-paper-scissors transfer experiment can reuse the same backbone
(`build(include_top=False)`, 1280-d pooled features) instead of shipping a copy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

IMAGE_SIZE = 224
WEIGHTS_FILE = "efficientnet_lite0.npz"
BN_EPSILON = 1e-3
# (expand ratio, kernel, stride, output channels, repeats) per stage, as in EfficientNet-B0.
STAGES = [
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
]


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB 224x224 (or a batch of them) -> the network's input, scaled to [-1, 1]."""
    return (np.asarray(rgb, np.float32) - 127.5) / 127.5


def build(include_top: bool = True, classes: int = 1000):
    """The EfficientNet-Lite0 graph (untrained): 224x224x3 in [-1, 1] -> softmax or 1280-d."""
    import keras
    from keras import layers

    def conv_bn(x, filters, kernel, stride, name, act=True):
        x = layers.Conv2D(filters, kernel, stride, "same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu6")(x) if act else x

    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = conv_bn(inputs, 32, 3, 2, "stem")
    block = 0
    for expand, kernel, stride, filters, repeats in STAGES:
        for repeat in range(repeats):
            name = f"block{block}"
            shortcut, channels = x, x.shape[-1]
            if expand != 1:
                x = conv_bn(x, channels * expand, 1, 1, f"{name}_expand")
            x = layers.DepthwiseConv2D(
                kernel, stride if repeat == 0 else 1, "same", use_bias=False, name=f"{name}_dw"
            )(x)
            x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_dw_bn")(x)
            x = layers.ReLU(6.0, name=f"{name}_dw_relu6")(x)
            x = conv_bn(x, filters, 1, 1, f"{name}_project", act=False)
            if repeat > 0:  # same shape in and out: the inverted-residual shortcut
                x = layers.Add(name=f"{name}_add")([shortcut, x])
            block += 1
    x = conv_bn(x, 1280, 1, 1, "head")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


def save_weights(model, path: Path) -> None:
    """Store every variable by its Keras path: kernels as float16 (half the size),
    1-d vectors (BatchNorm statistics, biases) as float32 where float16 would lose them."""
    arrays = {}
    for variable in model.weights:
        value = np.asarray(variable.numpy(), np.float32)
        arrays[variable.path] = value.astype(np.float16) if value.ndim > 1 else value
    np.savez(path, **arrays)


def load_weights(model, path: Path) -> None:
    """Fill ``model`` (from ``build``) from a file written by ``save_weights``, cast to
    float32; variables absent from ``model`` (the classifier, for a backbone) are skipped."""
    with np.load(path, allow_pickle=False) as arrays:
        for variable in model.weights:
            variable.assign(arrays[variable.path].astype(np.float32))


def load(folder: Path, include_top: bool = True):
    """EfficientNet-Lite0 ready for inference from a weights folder."""
    model = build(include_top)
    load_weights(model, folder / WEIGHTS_FILE)
    return model
