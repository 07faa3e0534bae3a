"""Every place where the hub relies on gradio's internals rather than its public API.

Gradio 6.31 is pinned (requirements.txt, README front matter); when it moves, check these:

- ``no_server_per_block``: replaces ``gradio.routes.App.create_app`` while the hub is
  built (tests/test_hub.py counts the calls, proving that it takes effect).
- ``with_clear_error``: swaps one component instance's ``preprocess`` so that a payload it
  cannot read gets a clear message instead of gradio's bare "Error".
- ``guard_images``: swaps an image input's ``preprocess`` (gr.Image, gr.ImageEditor) so
  that it opens only files in gradio's upload folder and reads each image's size from its
  header before gradio decodes it. It knows gradio's payloads: ``ImageData`` (a ``path``,
  or a ``data:`` URL), ``EditorData`` (background, layers, composite, or an ``id`` naming
  the bytes the browser posted to the editor's ``accept_blobs``, kept in
  ``blob_storage``) and ``gradio.utils.get_upload_folder``.
- ``clear_input_errors``: wraps one Blocks instance's ``preprocess_data`` (it checks the
  argument count and validates file values with pydantic before any component's
  ``preprocess``), so that those refusals reach API clients as gr.Error messages; gradio
  sends them as ``{"error": null}``. There it also gives gradio's per-session copies of a
  component (``SessionState``: ``state[block._id]``, built by ``block.__class__(**kwargs)``
  when an event returns an update to it, e.g. an example click) the original's wrappers
  (``with_clear_error``, ``guard_images``), so no copy escapes the image guard.
- ``serve_a_crowd``: ``fair_queue`` wraps the Queue's ``push`` (its ``body.fn_index``
  checked against ``Blocks.fns``, a 400 where gradio raises a KeyError) and counts the
  events waiting in ``event_queue_per_concurrency_id`` (tagging each in
  ``event_ids_to_events``) and, for a stream (``BlockFunction.connection``), those
  running in ``active_jobs`` (``Event.fn``); gradio's MCP server calls the queue through
  a gradio_client that sends ``x-gradio-user: mcp`` and the MCP caller's headers;
  ``end_idle_streams`` caps ``Queue.wait_for_batch``'s timeouts (the wait for a stream's
  next frame); ``safe_messages`` wraps the Blocks' ``process_api`` and rewrites
  ``gr.Error.message``; ``cap_editor_blobs`` replaces ``gr.ImageEditor.accept_blobs`` (a
  ``@server`` function: ``_is_server_fn``; its ``blob_storage``; the session found
  through ``gradio.context.LocalContext.blocks_config``; a ``gr.Request`` parameter
  filled by gradio's ``special_args``); ``complete_output_files``
  replaces ``gradio.processing_utils.save_pil_to_cache`` and ``save_bytes_to_cache``
  (module-wide; every image output is saved through them, named by a hash of its bytes).
- hub.py's ``launch`` passes ``_frontend=False`` (a private launch parameter whose only
  effect is to skip ``gradio.networking.url_ok`` on the local URL at start-up).
- hub.py's ``launch`` empties ``FORWARDED_ALLOW_IPS`` (uvicorn's own X-Forwarded-For
  handling, which gradio leaves at uvicorn's default).
- ``unknown_endpoint``: an exception handler (passed to FastAPI through launch's public
  ``app_kwargs``) for ``gradio.route_utils.FnIndexInferError``, which gradio raises for an
  unknown ``api_name`` and answers with a 500.
- ``fix_mcp_tools``: replaces three methods of ``gradio.mcp.GradioMCPServer``
  (class-wide): ``get_input_schema`` and ``_prepare_tool_call_args``, so that a tool whose
  input is a ``gr.ImageEditor`` (a sketchpad) takes a plain image, and
  ``_execute_tool_without_progress``, so that a tool with two outputs answers with both.
  tests/test_mcp.py calls every tool.

Reliances outside this module, each read-only (attributes of built Blocks that gradio
does not document as API):

- ``Blocks.fns`` (``.fn``, ``.api_name``, ``.inputs``): tools/make_gallery.py,
  bench/footprint.py, tests/test_public.py.
- ``Blocks.blocks`` (``.elem_id``, ``.label``, ``Tab.id``): tests/test_hub.py.
- ``Interface.input_components`` / ``output_components``: ui/digits_recognition_tab.py,
  ui/sketch_recognition_tab.py (the sketchpad that answers after each stroke).
- ``gradio.routes.App.create_app`` patched by tests/test_hub.py to count the calls.
- The sketchpad's DOM in the page (its tool buttons, the chosen one's ``highlight``
  class): ui/shared.py, BRUSH_FIRST; tests/test_first_minute.py draws with no tool
  clicked.

``WRITTEN_FOR`` is the gradio release all of this was checked against; importing this
module under another one stops the hub with a message (the guards here are security
checks: better no hub than one whose patches silently stopped applying).
"""

from __future__ import annotations

import base64
import binascii
import html
import inspect
import os
import re
import tempfile
import time
import warnings
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import gradio as gr
from gradio.processing_utils import extract_base64_data
from gradio.utils import get_upload_folder, is_in_or_equal
from PIL import Image

from ui.guards import visitor_of

WRITTEN_FOR = "6.31.0"  # the gradio release every reliance above was checked against
if gr.__version__ != WRITTEN_FOR:
    raise ImportError(
        f"ui/gradio_internals.py was written for gradio {WRITTEN_FOR}, not {gr.__version__}: "
        "check each reliance listed in its docstring, then update WRITTEN_FOR."
    )


@contextmanager
def no_server_per_block():
    """Build Blocks without the FastAPI app that gradio makes each time one is created
    and each time its ``with`` closes. The hub makes 57 of them while it is built, about 6 s
    of a 2-core start-up, and throws them all away: ``launch()`` makes the one that serves.
    Where gradio has no ``App.create_app`` static method this changes nothing."""
    from gradio.routes import App

    create_app = inspect.getattr_static(App, "create_app", None)
    if not isinstance(create_app, staticmethod):
        yield
        return
    App.create_app = staticmethod(lambda blocks, *args, **kwargs: None)
    try:
        yield
    finally:
        App.create_app = create_app


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


def unknown_endpoint():
    """launch(app_kwargs=...) that make an unknown api_name a 404 with a clear message."""
    from fastapi.responses import JSONResponse
    from gradio.route_utils import FnIndexInferError

    async def answer(request, error):
        return JSONResponse(
            {"detail": f"{error}. The endpoints are listed at /gradio_api/info."},
            status_code=404,
        )

    return {"exception_handlers": {FnIndexInferError: answer}}


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


# ------------------------------------------------------------------------ for a crowd


def serve_a_crowd(
    app, max_waiting: int, stream_idle: float, per_address: int, sessions_per_minute: int
):
    """``app`` (the root Blocks, its queue set up), made for many visitors at once:

    - a fair queue: one visitor's address has at most ``per_address`` requests waiting,
      one session inside it at most ``max_waiting``; one more is refused at once with a
      message that says so (HTTP 503), and the other visitors are still served. The
      global bound (``queue(max_size=...)``) stays. The address is the direct peer's or,
      for a request whose direct peer is a trusted proxy, the address that proxy
      appended to X-Forwarded-For (ui/guards.py, ``visitor_address``). An address may
      begin ``sessions_per_minute`` new sessions a minute, and run STREAMS_PER_ADDRESS
      webcam streams per tab (HTTP 503 past either);
    - a webcam stream that sends no frame for ``stream_idle`` seconds ends and frees its
      slot (gradio waits up to the stream's whole time limit for the next frame);
    - every message a visitor sees is HTML-escaped and names no folder of the server;
    - sketchpad blobs (``accept_blobs``) are capped and expire (``cap_editor_blobs``);
    - two visitors given the same picture at once both download all of it
      (``complete_output_files``).
    """
    fair_queue(app, max_waiting, per_address, sessions_per_minute)
    end_idle_streams(stream_idle)
    safe_messages(app)
    cap_editor_blobs()
    complete_output_files()
    return app


def waiting_message(limit: int) -> str:
    return (
        f"Too many requests waiting: you already have {limit} in the queue. Wait for one "
        "of them to finish, then send the next."
    )


def address_message(limit: int) -> str:
    return (
        f"Too many requests waiting from your address: {limit} are in the queue (the "
        "limit per address, shared by everyone behind it). Wait for one of them to "
        "finish, then send the next."
    )


def unknown_fn_index(fn_index) -> str:
    return (
        f"There is no event with fn_index {fn_index}: the events are listed in /config "
        "(dependencies), the endpoints at /gradio_api/info."
    )


class NewSessions:
    """Sessions first seen per address: ``allows(address, session)`` is False for a
    session new to the hub from an address that began ``per_minute`` others in the last
    minute. Sessions unseen for an hour are forgotten (then new again)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.last_seen: dict[str, float] = {}  # session -> time
        self.begun: dict[str, list[float]] = {}  # address -> times its sessions began

    def allows(self, address: str, session) -> bool:
        now = time.monotonic()
        if session in self.last_seen:
            self.last_seen[session] = now
            return True
        recent = [t for t in self.begun.get(address, []) if now - t < 60]
        self.begun[address] = recent
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        self.last_seen[session] = now
        if len(self.last_seen) > 10_000:  # forget the idle ones, now and then
            self.last_seen = {s: t for s, t in self.last_seen.items() if now - t < 3600}
        return True


def new_sessions_message(per_minute: int) -> str:
    return (
        f"Too many new sessions from your address: the limit is {per_minute} a minute, "
        "shared by everyone behind it. Reuse your session, or try again in a minute."
    )


STREAMS_PER_ADDRESS = 2  # webcam streams of one tab, waiting or running, per address


def streams_message() -> str:
    return (
        f"Too many webcam streams from your address on this tab: the limit is "
        f"{STREAMS_PER_ADDRESS}, shared by everyone behind it. Stop one, then start again."
    )


def _address(event) -> str | None:
    tag = getattr(event, "hub_client", None)
    return tag[0] if tag else None


def fair_queue(app, per_session: int, per_address: int, sessions_per_minute: int):
    """Wrap ``app._queue.push`` (gradio's Queue): see ``serve_a_crowd``. Each queued
    event is tagged with its (address, session) in ``hub_client``."""
    queue = app._queue
    plain = queue.push
    sessions = NewSessions(sessions_per_minute)

    async def push(body, request, username):
        if body.fn_index is not None and body.fn_index not in app.fns:  # gradio: a KeyError
            return False, unknown_fn_index(body.fn_index), "error"  # HTTP 400
        client = (visitor_of(request), getattr(body, "session_hash", None))
        if request is not None and request.headers.get("x-gradio-user") == "mcp":
            # gradio's MCP server: one gradio_client session for every MCP caller; the
            # caller's own MCP session (its header, relayed) is the session here.
            client = (client[0], "mcp " + request.headers.get("mcp-session-id", client[0]))
        if not sessions.allows(*client):
            return False, new_sessions_message(sessions_per_minute), "queue_full"
        queued = [
            event
            for event_queue in list(queue.event_queue_per_concurrency_id.values())
            for event in list(event_queue.queue)
        ]
        fn = app.fns.get(body.fn_index) if body.fn_index is not None else None
        if fn is not None and fn.connection == "stream":  # a webcam stream: running too
            running = [event for job in list(queue.active_jobs) if job for event in job]
            streams = [e for e in queued + running if e.fn is fn]
            if sum(_address(e) == client[0] for e in streams) >= STREAMS_PER_ADDRESS:
                return False, streams_message(), "queue_full"
        waiting = [getattr(event, "hub_client", None) for event in queued]
        if sum(tag is not None and tag[0] == client[0] for tag in waiting) >= per_address:
            return False, address_message(per_address), "queue_full"
        if waiting.count(client) >= per_session:
            return False, waiting_message(per_session), "queue_full"
        success, event_id, state = await plain(body, request, username)
        event = queue.event_ids_to_events.get(event_id) if success else None
        if event is not None:
            event.hub_client = client
        return success, event_id, state

    queue.push = push
    queue.hub_max_waiting = per_session
    return app


def end_idle_streams(idle: float) -> None:
    """gradio's ``Queue.wait_for_batch`` (the wait for a stream's next frame), capped at
    ``idle`` seconds: a stream that sends nothing that long is closed (the page gets the
    stream's end, the slot is freed). Process-wide: one class, one patch."""
    from gradio.queueing import Queue

    plain = inspect.getattr_static(Queue, "wait_for_batch")
    plain = getattr(plain, "__wrapped_plain__", plain)
    if not isinstance(plain, staticmethod):
        return
    wait = plain.__func__

    async def wait_for_batch(events, timeouts):
        return await wait(events, [min(timeout, idle) for timeout in timeouts])

    patched = staticmethod(wait_for_batch)
    patched.__wrapped_plain__ = plain
    Queue.wait_for_batch = patched


def complete_output_files() -> None:
    """Output files written whole, once. gradio names an output picture after a hash of
    its bytes and rewrites the file on every answer (``Path.write_bytes``: truncate, then
    write), so when two requests answer the same picture at once (a GAN's default seed, an
    example), one visitor's download can find the file empty ("peer closed connection
    without sending complete message body"). Here the bytes go to a temporary file that
    takes the name in one step (``os.replace``), and a name that already exists, always
    complete, is not written again. Process-wide: one module, one patch."""
    from gradio import processing_utils
    from gradio.processing_utils import hash_bytes

    if getattr(processing_utils.save_pil_to_cache, "writes_whole_files", False):
        return

    def save_bytes(data: bytes, path: Path) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(partial, 0o644)
            os.replace(partial, path)
        return str(path.resolve())

    def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp"):
        data = processing_utils.encode_pil_to_bytes(img, format)
        return save_bytes(data, Path(cache_dir) / hash_bytes(data) / f"{name}.{format}")

    def save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
        if not Path(file_name).suffix:  # as gradio: a name without one gets audio's, if any
            file_name += processing_utils.detect_audio_format(data)
        return save_bytes(data, Path(cache_dir) / hash_bytes(data) / Path(file_name).name)

    for function in (save_pil_to_cache, save_bytes_to_cache):
        function.writes_whole_files = True
    processing_utils.save_pil_to_cache = save_pil_to_cache
    processing_utils.save_bytes_to_cache = save_bytes_to_cache


def _server_folders() -> list[str]:
    folders = {os.getcwd(), str(Path(__file__).resolve().parent.parent), tempfile.gettempdir()}
    folders.add(str(get_upload_folder()))
    return sorted((f for f in folders if len(f) > 1), key=len, reverse=True)


def safe_text(message: str) -> str:
    """``message`` HTML-escaped (gradio's popup renders HTML), each server folder in it
    replaced by "…"."""
    for folder in _server_folders():
        message = message.replace(folder, "…")
    return html.escape(message, quote=False)


def safe_messages(app):
    """Wrap ``app.process_api`` (every event runs through it): each gr.Error it raises
    leaves with ``safe_text`` of its message, whatever part of the request it quotes."""
    plain = app.process_api

    async def process_api(*args, **kwargs):
        try:
            return await plain(*args, **kwargs)
        except gr.Error as error:
            if not getattr(error, "hub_safe", False):
                error.message = safe_text(str(error.message))
                error.hub_safe = True
            raise

    app.process_api = process_api
    return app


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
    took (submitted) or guard_images refused."""
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


def cap_editor_blobs() -> None:
    """gr.ImageEditor's ``accept_blobs`` (a component server function: the browser posts a
    drawing's layers there before the event names them by id) with a cap on the layer
    index (gradio builds a list that long; HTTP 400 past it), a required ``id`` (HTTP
    400), a cap on the bytes stored per session, per visitor's address and in all (HTTP
    413 past any) and an expiry (BLOB_TTL). Gradio keeps blobs until their id is submitted.
    Class-wide, so that gradio's per-session copies of an editor are capped too; gradio
    passes a ``gr.Request`` to a server function that asks for one, and a session is
    known by its own copy of the blocks' config, which gradio sets for the call."""
    editor = gr.ImageEditor
    plain = inspect.getattr_static(editor, "accept_blobs")
    plain = getattr(plain, "__wrapped_plain__", plain)

    def accept_blobs(self, data, request: gr.Request):
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
        from gradio.context import LocalContext

        config = LocalContext.blocks_config.get()  # the session's own (gradio sets it)
        client = (visitor_of(request), id(config) if config is not None else None)
        size = len(data.files[0][1]) if data.files else 0
        key = (id(self.blob_storage), data.data["id"])
        _, _, _, before = _BLOBS.get(key, (None, client, now, 0))
        refusal = _blob_refusal(client, size)
        if refusal:
            raise HTTPException(413, refusal)
        result = plain(self, data)
        _BLOBS[key] = (self.blob_storage, client, now, before + size)
        return result

    accept_blobs._is_server_fn = True
    accept_blobs.__wrapped_plain__ = plain
    editor.accept_blobs = accept_blobs


# gradio's own wording for a file parameter of an MCP tool (gradio.mcp).
MCP_FILE_FORMAT = "Gradio File Input - a http or https url to a file"


def fix_mcp_tools() -> None:
    """Make every MCP tool whose input is a drawing (a ``gr.ImageEditor``) take a plain
    image, an http(s) URL or a ``data:`` URI, which becomes the sketchpad's composite.

    Gradio 6.31 lists a sketchpad parameter with its ``$defs`` nested under the parameter
    while its ``$ref`` s point at the schema's root, so the MCP library refuses every call
    (``PointerToNowhere: '/$defs/FileData'``); and with that fixed, the positions it keeps
    for the files inside (``composite/anyOf/0``, ``layers/items``) never match the call's
    value, so a ``data:`` URI reaches the sketchpad as a bare string and is refused too.
    API clients (gradio_client) still send the sketchpad's own value.

    And a tool with several outputs (the DCGAN's drawing tool: the clothes and the latent
    vector) answered with one text holding a list of file dicts: gradio wraps the tuple
    of results in a list as if it were one output. Now each output is its own content
    (an image with its URL). Idempotent.
    """
    from gradio.mcp import GradioMCPServer

    if getattr(GradioMCPServer, "takes_drawings_as_images", False):
        return
    schema_of = GradioMCPServer.get_input_schema
    prepare = GradioMCPServer._prepare_tool_call_args
    execute = GradioMCPServer._execute_tool_without_progress

    def drawing_inputs(server, tool_name: str) -> dict[int, str]:
        """The drawing inputs of a tool: position among its parameters -> name."""
        endpoint = server.tool_to_endpoint.get(tool_name)
        block_fn = server.get_block_fn_from_endpoint_name(endpoint) if endpoint else None
        if block_fn is None:
            return {}
        parameters = server.api_info["named_endpoints"][endpoint]["parameters"]
        inputs = [component for component in block_fn.inputs if not component.skip_api]
        return {
            index: parameter["parameter_name"]
            for index, (parameter, component) in enumerate(zip(parameters, inputs, strict=False))
            if isinstance(component, gr.ImageEditor)
        }

    def get_input_schema(self, tool_name, parameters=None):
        schema, positions = schema_of(self, tool_name, parameters)
        for name in drawing_inputs(self, tool_name).values():
            schema["properties"][name] = {
                "type": "string",
                "format": MCP_FILE_FORMAT,
                "description": "The drawing, dark ink on a light background, as an image: "
                "an http(s) URL or a data: URI (data:image/png;base64,...).",
            }
            positions = [p for p in positions if p[:1] != [name]] + [[name]]
        return schema, positions

    def _prepare_tool_call_args(self, name, arguments):
        endpoint, args, headers, block_fn = prepare(self, name, arguments)
        args = list(args)
        for index in drawing_inputs(self, name):
            if index < len(args) and isinstance(args[index], dict) and "path" in args[index]:
                args[index] = {"background": None, "layers": [], "composite": args[index]}
        return endpoint, args, headers, block_fn

    async def _execute_tool_without_progress(self, job):
        (result,) = await execute(self, job)
        return list(result) if isinstance(result, tuple) else [result]  # tuple: outputs

    GradioMCPServer.get_input_schema = get_input_schema
    GradioMCPServer._prepare_tool_call_args = _prepare_tool_call_args
    GradioMCPServer._execute_tool_without_progress = _execute_tool_without_progress
    GradioMCPServer.takes_drawings_as_images = True
