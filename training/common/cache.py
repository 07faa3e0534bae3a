"""The one cache of downloads and prepared arrays, outside git (HUB_DATA_CACHE)."""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

# Downloaded packages and datasets live outside git.
CACHE = Path(os.environ.get("HUB_DATA_CACHE", Path.home() / ".cache" / "ml-experiments-hub"))
# The layout of the cached array files; bump it to prepare every data set anew.
ARRAYS_VERSION = 1


def cached_arrays(name: str, make: Callable[..., dict], code: Iterable = (), **arguments) -> dict:
    """``make(**arguments)``, a dict of numpy arrays, computed once and then read from
    ``CACHE/arrays/<name>-v<ARRAYS_VERSION>-<key>.npz``.

    The key hashes the source of ``make`` and of everything in ``code`` (the functions and
    modules the arrays depend on: an edit of any of them prepares the data anew) and the
    arguments (arrays by their bytes, other values by their repr).
    """
    digest = hashlib.sha256()
    for part in (make, *code):
        digest.update(inspect.getsource(part).encode())
    for key, value in sorted(arguments.items()):
        digest.update(key.encode())
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype}{value.shape}".encode() + value.tobytes())
        else:
            digest.update(repr(value).encode())
    path = CACHE / "arrays" / f"{name}-v{ARRAYS_VERSION}-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {key: stored[key] for key in stored.files}
    arrays = {key: np.asarray(value) for key, value in make(**arguments).items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")  # never a half-written file under the name
    np.savez_compressed(partial, **arrays)
    partial.replace(path)
    return arrays
