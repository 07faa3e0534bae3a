"""The model card's pictures: training curves and the held-out confusion matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save_plots(
    folder: Path, history: dict, confusion=None, labels: list[str] | None = None
) -> None:
    """training_curves.png (loss and accuracy per epoch) and, given a confusion matrix
    (rows: true class), confusion_matrix.png, for the model card."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for key in (metric, f"val_{metric}"):
            if key in history:
                axis.plot(history[key], label=key)
        axis.set(title=metric, xlabel="epoch")
        axis.legend()
    fig.tight_layout()
    fig.savefig(folder / "training_curves.png", dpi=80)
    plt.close(fig)
    if confusion is None:
        return

    from sklearn.metrics import ConfusionMatrixDisplay

    fig, axis = plt.subplots(figsize=(4.5, 4))
    display = ConfusionMatrixDisplay(np.asarray(confusion), display_labels=labels)
    display.plot(ax=axis, cmap="Blues", colorbar=False, text_kw={"fontsize": 7})
    axis.set(xlabel="predicted", ylabel="true", title="held-out confusion matrix")
    fig.tight_layout()
    fig.savefig(folder / "confusion_matrix.png", dpi=80)
    plt.close(fig)
