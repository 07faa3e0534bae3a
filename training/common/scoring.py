"""A classifier's figures on a held-out set, as metrics.json keeps them."""

from __future__ import annotations

import numpy as np


def classification(y, predicted, labels: list[str]) -> tuple[float, np.ndarray, dict]:
    """Accuracy, the confusion matrix (rows: true class) and each class's accuracy; an
    answer outside ``labels`` (-1: no hand seen) is wrong and left out of the matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix

    confusion = confusion_matrix(y, predicted, labels=range(len(labels)))
    return float(accuracy_score(y, predicted)), confusion, per_class_accuracy(y, predicted, labels)


def per_class_accuracy(y, predicted, labels: list[str]) -> dict[str, float]:
    """label -> the share of that class's examples answered right (its recall), rounded as
    metrics.json keeps it; an answer outside ``labels`` (-1: no hand seen) is wrong."""
    from sklearn.metrics import recall_score

    recalls = recall_score(y, predicted, labels=range(len(labels)), average=None, zero_division=0)
    return {name: round(float(r), 4) for name, r in zip(labels, recalls, strict=True)}


def top_k_accuracy(y, probabilities, k: int) -> float:
    """The share of examples whose class is among the model's ``k`` likeliest answers."""
    from sklearn.metrics import top_k_accuracy_score

    labels = range(probabilities.shape[1])
    return float(top_k_accuracy_score(y, probabilities, k=k, labels=labels))
