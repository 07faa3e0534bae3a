"""The sketchpad's blobs (``accept_blobs``): capped per session, address and in all."""

from __future__ import annotations

import os
import time

# accept_blobs: what one session, one visitor's address, and all together may store.
BLOB_MAX_INDEX = 16  # a layer's index (the hub's sketchpads use one layer)
BLOB_BYTES_PER_SESSION = 32 * 1024 * 1024
BLOB_BYTES_PER_ADDRESS = 64 * 1024 * 1024
BLOB_BYTES_TOTAL = int(os.environ.get("HUB_BLOB_MB", "128")) * 1024 * 1024
BLOB_TTL = 60  # seconds: a drawing is submitted soon after its blobs are posted
# Every editor's stored blobs (gradio keeps them in each editor's ``blob_storage``):
# (id of that storage, blob id) -> (storage, (address, session), time stored, bytes).
_BLOBS: dict[tuple[int, str], tuple[dict, tuple, float, int]] = {}


def _forget_blobs(now: float) -> None:
    """Drop expired blobs (from their editor's storage too) and those gradio already
    took (submitted) or ui/inputs.py refused."""
    for key, (storage, _, stored_at, _) in list(_BLOBS.items()):
        if now - stored_at > BLOB_TTL:
            storage.pop(key[1], None)
        if now - stored_at > BLOB_TTL or key[1] not in storage:
            _BLOBS.pop(key, None)


def _blob_refusal(client: tuple, size: int) -> str | None:
    """Why a blob of ``size`` bytes from ``client`` (address, session) is refused (HTTP
    413), or None."""
    kept = f"each kept {BLOB_TTL} s: submit or clear the drawings first"
    held = [(owner, n) for _, owner, _, n in _BLOBS.values()]
    if sum(n for owner, n in held if owner == client) + size > BLOB_BYTES_PER_SESSION:
        return (
            "Too much drawing data stored for this session (the limit is "
            f"{BLOB_BYTES_PER_SESSION >> 20} MB, {kept})."
        )
    if sum(n for owner, n in held if owner[0] == client[0]) + size > BLOB_BYTES_PER_ADDRESS:
        return (
            "Too much drawing data stored from your address (the limit is "
            f"{BLOB_BYTES_PER_ADDRESS >> 20} MB, shared by everyone behind it, {kept})."
        )
    if sum(n for _, n in held) + size > BLOB_BYTES_TOTAL:
        return (
            f"The server holds its limit of drawing data ({BLOB_BYTES_TOTAL >> 20} MB for "
            f"everybody, each kept {BLOB_TTL} s): try again in a minute."
        )
    return None


def accept_capped(editor, data, client: tuple, plain) -> None:
    """``plain(data)`` (gradio's ``accept_blobs`` of ``editor``: the browser posts a
    drawing's layers there before the event names them by id) with a cap on the layer
    index (gradio builds a list that long; HTTP 400 past it), a required ``id`` (HTTP
    400), a cap on the bytes stored per session, per visitor's address and in all (HTTP
    413 past any) and an expiry (BLOB_TTL). Gradio keeps blobs until their id is
    submitted. ``client``: (address, session)."""
    from fastapi import HTTPException

    if "id" not in data.data:  # gradio: a KeyError, a 500
        raise HTTPException(400, "A blob needs an `id` (the drawing it belongs to).")
    raw = data.data.get("index")
    try:
        index = int(raw) if raw and raw != "null" else None
    except (TypeError, ValueError):
        raise HTTPException(400, "The layer index is not a number.") from None
    if index is not None and not 0 <= index < BLOB_MAX_INDEX:
        raise HTTPException(400, f"The layer index must be in [0, {BLOB_MAX_INDEX}).")
    now = time.monotonic()
    _forget_blobs(now)
    size = len(data.files[0][1]) if data.files else 0
    key = (id(editor.blob_storage), data.data["id"])
    _, _, _, before = _BLOBS.get(key, (None, client, now, 0))
    refusal = _blob_refusal(client, size)
    if refusal:
        raise HTTPException(413, refusal)
    plain(data)
    _BLOBS[key] = (editor.blob_storage, client, now, before + size)
