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
  sends them as ``{"error": null}``.
- ``unknown_endpoint``: an exception handler (passed to FastAPI through launch's public
  ``app_kwargs``) for ``gradio.route_utils.FnIndexInferError``, which gradio raises for an
  unknown ``api_name`` and answers with a 500.
- hub.py finds the ``gr.Tabs`` that ``gr.TabbedInterface`` creates (the one whose
  ``parent`` is the app), sets its ``overflow_behavior`` to "wrap" (like the sections'
  ``gr.Tabs(overflow_behavior="wrap")``: no tab in a "More tabs" menu), and sets
  ``Tab.id`` on its tabs (it has no parameter for them; the Home cards, "Similar
  experiment" buttons and the ``/?tab=<id>`` deep link select tabs by id, returning
  ``gr.Tabs(selected=...)`` for it and for the section's own ``gr.Tabs``). It also sets
  ``delete_cache`` on the TabbedInterface after construction (its constructor does not
  pass it on to ``gr.Blocks``).
- ``fix_mcp_tools``: replaces three methods of ``gradio.mcp.GradioMCPServer``
  (class-wide): ``get_input_schema`` and ``_prepare_tool_call_args``, so that a tool whose
  input is a ``gr.ImageEditor`` (a sketchpad) takes a plain image, and
  ``_execute_tool_without_progress``, so that a tool with two outputs answers with both.
  tests/test_mcp.py calls every tool.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import re
import warnings
from contextlib import contextmanager
from io import BytesIO

import gradio as gr
from gradio.utils import get_upload_folder, is_in_or_equal
from PIL import Image


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
    return component


def clear_input_errors(app):
    """``app`` (the root Blocks), made to answer a request whose values gradio refuses
    before any component sees them (too few arguments; a number, a string or a file value
    without ``meta`` where a file belongs) with a gr.Error that says so."""
    plain = app.preprocess_data

    async def preprocess_data(block_fn, inputs, *args, **kwargs):
        try:
            return await plain(block_fn, inputs, *args, **kwargs)
        except gr.Error:
            raise
        except ValueError as error:  # pydantic's ValidationError is one too
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
      200 KB PNG can hold 13,300 x 13,300 pixels (700 MB once decoded).

    Applied per instance, as ``with_clear_error``; apply it after that, so it runs first.
    """
    plain = component.preprocess

    def preprocess(payload):
        pixels = [_header_pixels(source) for source in _sources(component, payload)]
        if sum(pixels) > max_pixels:
            raise gr.Error(
                f"This image is too large: {sum(pixels) / 1e6:.0f} megapixels"
                + (" in all (background, layers and composite)" if len(pixels) > 1 else "")
                + f"; the limit is {max_pixels / 1e6:g} megapixels. Send a smaller one."
            )
        return plain(payload)

    component.preprocess = preprocess
    component.guarded_images = max_pixels  # tests/test_public.py checks every image input
    return component


def _sources(component, payload) -> list:
    """The files (paths in the upload folder) and byte strings gradio would decode for
    ``payload``; gr.Error for a path outside the upload folder."""
    if payload is None:
        return []
    files = [payload]
    blobs = []
    if hasattr(payload, "composite"):  # EditorData
        files = [payload.background, *payload.layers, payload.composite]
        stored = getattr(component, "blob_storage", {}).get(payload.id) if payload.id else None
        if stored is not None:
            blobs = [stored.background, *stored.layers, stored.composite]
    sources = [BytesIO(blob) for blob in blobs if blob]
    for file in files:
        if file is None:
            continue
        url = getattr(file, "url", None) or ""
        if url.startswith("data:") and not hasattr(payload, "composite"):
            try:
                sources.append(BytesIO(base64.b64decode(url.split(",", 1)[-1])))
            except (binascii.Error, ValueError):
                pass  # not base64: gradio's own decoding refuses it (with_clear_error)
            continue
        path = getattr(file, "path", None)
        if path is None:
            continue  # gradio refuses it ("Image path is None"): with_clear_error
        if not is_in_or_equal(str(path), get_upload_folder()):
            raise gr.Error(NOT_UPLOADED)
        sources.append(str(path))
    return sources


def _header_pixels(source) -> int:
    """The pixel count from an image's header, nothing decoded; 0 for what Pillow cannot
    open (the component's own preprocessing refuses it with a clear message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                return width * height
    except Image.DecompressionBombError as error:  # over twice Pillow's own limit
        found = re.search(r"\((\d+) pixels\)", str(error))
        return int(found.group(1)) if found else 2 * Image.MAX_IMAGE_PIXELS + 1
    except Exception:  # noqa: BLE001 - not an image, a folder...: the component's message
        return 0


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
