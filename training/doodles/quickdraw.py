"""Upstream's sketches: the real QuickDraw bitmaps, read the way upstream did (machines
with internet only)."""

from __future__ import annotations

import numpy as np

from training.common.cache import CACHE
from training.doodles.icon_sets import categories

# QuickDraw's own numpy bitmap files, one per category (28x28 uint8, white on black).
QUICKDRAW_BITMAPS = "https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/{}.npy"


def quickdraw(
    per_category: int = 10000, names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Upstream's data: the first ``per_category`` drawings of each category used
    (``names``, by default training/doodles/quickdraw_categories.txt), read from the start of
    QuickDraw's per-category numpy bitmap files. Not tensorflow_datasets'
    quickdraw_bitmap, which downloads all 345 categories in full first (about 39.5 GB).
    Needs internet; cached in CACHE/quickdraw."""
    names = names or categories()
    bitmaps = [quickdraw_bitmaps(name, per_category) for name in names]
    labels = np.concatenate([np.full(len(b), i, np.int32) for i, b in enumerate(bitmaps)])
    return np.concatenate(bitmaps), labels, names


def quickdraw_bitmaps(category: str, count: int) -> np.ndarray:
    """The first ``count`` drawings of one category, (count, 28, 28) uint8: the .npy
    header, then only the rows needed, read from the stream (about 7.8 MB for 10,000)."""
    from urllib.parse import quote
    from urllib.request import urlopen

    cached = CACHE / "quickdraw" / f"{category}-{count}.npy"
    if not cached.is_file():
        with urlopen(QUICKDRAW_BITMAPS.format(quote(category)), timeout=120) as stream:
            version = np.lib.format.read_magic(stream)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
                version, np.lib.format.read_array_header_2_0
            )
            (total, side), _, dtype = read_header(stream)
            rows = min(count, total)
            data = bytearray()
            while len(data) < rows * side and (block := stream.read(rows * side - len(data))):
                data += block
        bitmaps = np.frombuffer(bytes(data), dtype).reshape(rows, 28, 28)
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached.with_suffix(".part.npy"), bitmaps)
        cached.with_suffix(".part.npy").rename(cached)
    return np.load(cached)
