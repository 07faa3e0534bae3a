"""The hub's inputs: gradio's components, subclassed so that each answers a value it
cannot read with a message that says what to send, and image inputs open only the
visitor's own uploads, of a bounded size. Gradio copies a component for one session
(after an example click, say) with ``block.__class__(**kwargs)``, so the copy is one of
these too. ``is_template``: the page shows each as its gradio parent.

Gradio writes a typing stub, ui/inputs.pyi, for these classes when they are defined;
.gitignore keeps it out of the repository.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from io import BytesIO
from pathlib import Path

import gradio as gr
from PIL import Image as PILImage

from core.photo import MAX_PIXELS
from ui.blobs import accept_capped
from ui.gradio_private import (
    extract_base64_data,
    get_upload_folder,
    is_in_or_equal,
    server,
    session_of_server_call,
)
from ui.guards import visitor_of

# Pixels (all images of one value together) that an input gradio decodes in full may
# hold: a drawing (canvas 400x400) or a numpy photo. 16 MP is 64 MB once decoded as RGBA.
DECODED_MAX_PIXELS = 16_000_000


def read_or_refuse(read, payload, message: str):
    """``read(payload)``, a gr.Error(message) for what it cannot read (a truncated file,
    text for a slider: a browser never sends such values, an API client can) rather
    than gradio's bare "Error"."""
    try:
        return read(payload)
    except gr.Error:
        raise
    except Exception as error:  # UnidentifiedImageError, TypeError, ValueError...
        raise gr.Error(message) from error


def _span(component) -> str:
    """The text " from A to B" for a component with both bounds, else ""."""
    bounds = [getattr(component, "minimum", None), getattr(component, "maximum", None)]
    if None in bounds:
        return ""
    low, high = (f"{b:,}" if float(b).is_integer() else f"{b:g}" for b in bounds)
    return f" from {low} to {high}"


class Slider(gr.Slider):
    """gr.Slider; a value it cannot read: "<label> must be a number from A to B"."""

    is_template = True

    def preprocess(self, payload):
        what = self.label or "The value"
        return read_or_refuse(super().preprocess, payload, f"{what} must be a number{_span(self)}.")


class Number(gr.Number):
    """gr.Number; a value it cannot read: "<label> must be a (whole) number..."."""

    is_template = True

    def preprocess(self, payload):
        kind = "a whole number" if self.precision == 0 else "a number"
        empty = ", or empty" if self.value is None else ""
        message = f"{self.label or 'The value'} must be {kind}{_span(self)}{empty}."
        return read_or_refuse(super().preprocess, payload, message)


class Image(gr.Image):
    """A photo (type "filepath": core.photo reads it, up to its MAX_PIXELS) or an image
    gradio decodes in full (up to DECODED_MAX_PIXELS), refused before anything is read
    if it is not the visitor's own upload, too large or not an image."""

    is_template = True

    @property
    def guarded_images(self) -> int:  # the pixel limit; tests/test_public.py checks it
        return MAX_PIXELS if self.type == "filepath" else DECODED_MAX_PIXELS

    def preprocess(self, payload):
        check_images(self, payload, self.guarded_images)
        return read_or_refuse(super().preprocess, payload, _not_an_image(payload))


class Drawing(gr.ImageEditor):
    """A sketchpad (``ui.shared.sketchpad``) whose images are checked as Image's, and
    whose blobs (the layers the browser posts before the event) are capped and expire
    (ui/blobs.py)."""

    is_template = True
    guarded_images = DECODED_MAX_PIXELS

    def preprocess(self, payload):
        check_images(self, payload, self.guarded_images)
        message = "The drawing is not an image (send a PNG, JPEG or WebP)."
        return read_or_refuse(super().preprocess, payload, message)

    @server
    def accept_blobs(self, data, request: gr.Request):
        client = (visitor_of(request), session_of_server_call())
        accept_capped(self, data, client, super().accept_blobs)


def _not_an_image(payload) -> str:
    name = Path(getattr(payload, "orig_name", None) or "the file").name
    return f"`{name}` is not an image Pillow can read (JPEG, PNG, WebP...)."


def check_images(component, payload, max_pixels: int) -> None:
    """gr.Error, before gradio reads anything, for:

    - a file outside gradio's upload folder. Gradio checks only file values that carry
      ``meta``; its ``ImageData`` and ``EditorData`` accept a bare ``{"path": ...}`` and
      would open any image on the server's disk for any visitor;
    - images of more than ``max_pixels`` pixels in all (a drawing's background, layers
      and composite together), read from their headers: gradio decodes them in full, and
      a 200 KB PNG can hold 13,300 x 13,300 pixels (700 MB once decoded);
    - anything it cannot read (no path, a header Pillow cannot parse): it fails closed.

    ``data:`` URLs are cut where gradio cuts them, and an editor's blob id is looked up
    whenever it is not None, as gradio does. A refused blob is dropped from the editor's
    storage.
    """
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
        if error.message == NOT_READABLE and name:  # say which file (messages are escaped)
            raise gr.Error(NOT_READABLE.replace("This file", f"`{name}`")) from None
        raise


def value_refusal(error: ValueError) -> str:
    """What to tell a client whose value gradio refused before any component read it
    (pydantic: which field, what was wrong; else gradio's message, its hint cut)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
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
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(source) as image:
                width, height = image.size
                return width * height
    except PILImage.DecompressionBombError as error:  # over twice Pillow's own limit
        found = re.search(r"\((\d+) pixels\)", str(error))
        return int(found.group(1)) if found else 2 * PILImage.MAX_IMAGE_PIXELS + 1
    except Exception:  # noqa: BLE001 - not an image, a folder...: refused, nothing decoded
        raise gr.Error(NOT_READABLE) from None
