"""Inputs that answer what they cannot read with a clear message, and image inputs that
open only uploads of a bounded size (every event, every per-session copy)."""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from io import BytesIO

import gradio as gr
from gradio.processing_utils import extract_base64_data
from gradio.utils import get_upload_folder, is_in_or_equal
from PIL import Image


def with_clear_error(component, message):
    """``component``, made to answer a value it cannot read with gr.Error(message) rather
    than gradio's generic "Error". A browser never sends such values (a truncated file,
    text for a slider); an API client can. ``message`` may be a function of the payload.

    Wrapped per instance: gradio calls the instance's preprocess, and a component subclass
    would make gradio write a .pyi stub next to the module at import.
    """
    plain = component.preprocess

    def preprocess(payload):
        try:
            return plain(payload)
        except gr.Error:
            raise
        except Exception as error:  # UnidentifiedImageError, TypeError, ValueError...
            raise gr.Error(message(payload) if callable(message) else message) from error

    component.preprocess = preprocess
    _remember(component, with_clear_error, message)
    return component


def _remember(component, wrapper, *args) -> None:
    """Note a per-instance wrapper on ``component``, so that ``clear_input_errors`` applies
    it again to the copies gradio makes of the component for one session."""
    component.hub_wrappers = [*getattr(component, "hub_wrappers", []), (wrapper, args)]


def _session_copy(original, block):
    """``block`` (gradio's copy of ``original`` for one session, built afresh from its
    constructor arguments when an event returned an update to it, e.g. an example click),
    given ``original``'s wrappers once."""
    if block is original or getattr(block, "hub_wrapped_from", None) is original:
        return block
    for wrapper, args in getattr(original, "hub_wrappers", []):
        wrapper(block, *args)
    block.hub_wrapped_from = original
    return block


def clear_input_errors(app):
    """``app`` (the root Blocks), made to answer a request whose values gradio refuses
    before any component sees them (too few arguments; a number, a string or a file value
    without ``meta`` where a file belongs) with a gr.Error that says so."""
    plain = app.preprocess_data

    async def preprocess_data(block_fn, inputs, state=None, *args, **kwargs):
        # Every event's inputs pass here: the component that reads each one, the shared
        # instance or the session's own copy, carries the same guards (guard_images).
        for block in block_fn.inputs:
            if state is not None and block._id in state and getattr(block, "hub_wrappers", None):
                _session_copy(block, state[block._id])
        try:
            return await plain(block_fn, inputs, state, *args, **kwargs)
        except gr.Error:
            raise
        except ValueError as error:  # pydantic's ValidationError is one too
            if str(error).startswith("Cannot move"):  # a path outside gradio's folders
                raise gr.Error(NOT_UPLOADED) from error
            raise gr.Error(_first_lines(error)) from error

    app.preprocess_data = preprocess_data
    return app


def _first_lines(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):  # pydantic: which field, what was wrong
        found = errors()[0] if errors() else {}
        where = ".".join(str(part) for part in found.get("loc", ())) or "value"
        what = getattr(error, "title", "input")
        return (
            f"This request holds a value that is not a valid {what} (at `{where}`: "
            f"{found.get('msg', 'invalid')}). See /gradio_api/info for what each "
            "parameter takes; a file must be uploaded first and sent as "
            '{"path": ..., "meta": {"_type": "gradio.FileData"}}.'
        )
    return str(error).split("\nCheck if", 1)[0].strip()


NOT_UPLOADED = (
    "This image was not uploaded to this server, so it is not opened: upload the file "
    "first (gradio_client: handle_file(path); HTTP: POST /gradio_api/upload) and send the "
    "path that upload returns."
)


def guard_images(component, max_pixels: int):
    """``component`` (an image input), made to refuse with a clear gr.Error, before gradio
    reads anything:

    - a file outside gradio's upload folder. Gradio checks only file values that carry
      ``meta``; its ``ImageData`` and ``EditorData`` accept a bare ``{"path": ...}`` and
      would open any image on the server's disk for any visitor;
    - images of more than ``max_pixels`` pixels in all (a drawing's background, layers and
      composite together), read from their headers: gradio decodes them in full, and a
      200 KB PNG can hold 13,300 x 13,300 pixels (700 MB once decoded);
    - anything it cannot read (no path, a header Pillow cannot parse): it fails closed.

    ``data:`` URLs are cut where gradio cuts them (after the LAST comma), and an editor's
    blob id is looked up whenever it is not None, as gradio does. A refused blob is
    dropped from the editor's storage. Applied per instance, as ``with_clear_error``
    (apply it after that, so it runs first); ``clear_input_errors`` applies both again
    to gradio's per-session copies of the component.
    """
    plain = component.preprocess

    def preprocess(payload):
        try:
            pixels = [_header_pixels(source) for source in _sources(component, payload)]
            if sum(pixels) > max_pixels:
                raise gr.Error(
                    f"This image is too large: {sum(pixels) / 1e6:.0f} megapixels"
                    + (" in all (background, layers and composite)" if len(pixels) > 1 else "")
                    + f"; the limit is {max_pixels / 1e6:g} megapixels. Send a smaller one."
                )
        except gr.Error as error:
            blob_id = getattr(payload, "id", None)
            if blob_id is not None:
                getattr(component, "blob_storage", {}).pop(blob_id, None)
            name = getattr(payload, "orig_name", None)
            if error.message == NOT_READABLE and name:  # say which file (safe_messages escapes)
                raise gr.Error(NOT_READABLE.replace("This file", f"`{name}`")) from None
            raise
        return plain(payload)

    component.preprocess = preprocess
    component.guarded_images = max_pixels  # tests/test_public.py checks every image input
    _remember(component, guard_images, max_pixels)
    return component


NOT_READABLE = "This file is not an image: send a PNG, JPEG or WebP file."


def _sources(component, payload) -> list:
    """The files (paths in the upload folder) and byte strings gradio would decode for
    ``payload``; gr.Error for a path outside the upload folder or a value with nothing
    to read."""
    if payload is None:
        return []
    files = [payload]
    blobs = []
    if hasattr(payload, "composite"):  # EditorData
        files = [payload.background, *payload.layers, payload.composite]
        if payload.id is not None:  # gradio: `if payload.id is not None`, then the blobs only
            stored = getattr(component, "blob_storage", {}).get(payload.id)
            files = []
            if stored is not None:
                blobs = [stored.background, *stored.layers, stored.composite]
    sources = [BytesIO(blob) for blob in blobs if blob is not None]
    for file in files:
        if file is None:
            continue
        url = getattr(file, "url", None) or ""
        if url.startswith("data:") and not hasattr(payload, "composite"):
            try:  # gradio: processing_utils.extract_base64_data, then b64decode
                sources.append(BytesIO(base64.b64decode(extract_base64_data(url))))
            except (binascii.Error, ValueError):
                raise gr.Error(NOT_READABLE) from None
            continue
        path = getattr(file, "path", None)
        if path is None:
            raise gr.Error(NOT_READABLE)
        if not is_in_or_equal(str(path), get_upload_folder()):
            raise gr.Error(NOT_UPLOADED)
        sources.append(str(path))
    return sources


def _header_pixels(source) -> int:
    """The pixel count from an image's header, nothing decoded; gr.Error(NOT_READABLE) for
    what Pillow cannot open (fail closed)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                return width * height
    except Image.DecompressionBombError as error:  # over twice Pillow's own limit
        found = re.search(r"\((\d+) pixels\)", str(error))
        return int(found.group(1)) if found else 2 * Image.MAX_IMAGE_PIXELS + 1
    except Exception:  # noqa: BLE001 - not an image, a folder...: refused, nothing decoded
        raise gr.Error(NOT_READABLE) from None
