"""What the hub's guards still need from gradio's private API, in one place: each use
has a comment line that names what it relies on, and a test in
tests/test_gradio_private.py that fails when gradio changes it. The rest is public API:
component subclasses (ui/inputs.py), ASGI middleware (ui/guards.py), launch and queue
parameters (hub.py). Importing this module under another gradio release stops the hub:
the guards are security checks, better no hub than one whose patches stopped applying.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import gradio as gr

# gradio's own helpers, so that the guards decide as gradio does (none is documented).
# private: @server (a component method the page may call), where gradio cuts a data:
# URL, its upload folder and its test of a path inside a folder
from gradio.components.base import server as server
from gradio.processing_utils import extract_base64_data as extract_base64_data
from gradio.utils import get_upload_folder as get_upload_folder
from gradio.utils import is_in_or_equal as is_in_or_equal

from ui.crowd import Admission, StreamPace, safe_text, unknown_fn_index
from ui.guards import visitor_of

WRITTEN_FOR = "6.31.0"  # the gradio release every reliance here was checked against
if gr.__version__ != WRITTEN_FOR:
    raise ImportError(
        f"ui/gradio_private.py was written for gradio {WRITTEN_FOR}, not {gr.__version__}: "
        "check each reliance in it (tests/test_gradio_private.py), then update WRITTEN_FOR."
    )

# launch(_frontend=False): skips gradio's start-up probe of its own page (url_ok), which
# stopped the hub with "localhost is not accessible" on a loaded machine.
LAUNCH_OPTIONS = {"_frontend": False}  # private: launch's `_frontend` parameter


@contextmanager
def no_server_per_block():
    """Build Blocks without the FastAPI app gradio makes for each (about 6 s of a 2-core
    start-up, all thrown away: ``launch()`` makes the one that serves)."""
    from gradio.routes import App

    create_app = inspect.getattr_static(App, "create_app")  # private: App.create_app
    App.create_app = staticmethod(lambda blocks, *args, **kwargs: None)
    try:
        yield
    finally:
        App.create_app = create_app


def unknown_endpoint() -> dict:
    """launch(app_kwargs=...) that make an unknown api_name a 404 (gradio: a 500)."""
    from fastapi.responses import JSONResponse
    from gradio.route_utils import FnIndexInferError  # private: raised for an unknown api_name

    async def answer(request, error):
        detail = f"{error}. The endpoints are listed at /gradio_api/info."
        return JSONResponse({"detail": detail}, status_code=404)

    return {"exception_handlers": {FnIndexInferError: answer}}


def clear_input_errors(app):
    """``app`` (the root Blocks) answering a value gradio refuses before any component
    reads it (too few arguments; a file value without ``meta``) with a gr.Error that
    says so (gradio: ``{"error": null}``), and every gr.Error escaped (``safe_text``)."""
    from ui.inputs import NOT_UPLOADED, value_refusal

    preprocess_data = app.preprocess_data  # private: Blocks.preprocess_data, every event's inputs

    async def checked(block_fn, inputs, state=None, *args, **kwargs):
        try:
            return await preprocess_data(block_fn, inputs, state, *args, **kwargs)
        except gr.Error:
            raise
        except ValueError as error:  # pydantic's ValidationError is one too
            if str(error).startswith("Cannot move"):  # gradio: a path outside its folders
                raise gr.Error(NOT_UPLOADED) from error
            raise gr.Error(value_refusal(error)) from error

    process_api = app.process_api  # private: Blocks.process_api, every event runs through it

    async def escaped(*args, **kwargs):
        try:
            return await process_api(*args, **kwargs)
        except gr.Error as error:
            if not getattr(error, "hub_safe", False):
                error.message = safe_text(str(error.message))
                error.hub_safe = True
            raise

    app.preprocess_data, app.process_api = checked, escaped
    return app


def fair_queue(app, admission: Admission):
    """``app``'s queue admitting a request only when ``admission`` allows its client
    (address, session): see ui/crowd.py. A refusal is HTTP 503 with its message; an
    unknown fn_index HTTP 400 (gradio: a KeyError)."""
    queue = app._queue  # private: Blocks._queue, gradio's Queue
    push = queue.push  # private: Queue.push(body, request, username) -> (ok, id or message, kind)

    def tags(events) -> list:
        return [e.hub_client for e in events if getattr(e, "hub_client", None)]

    async def admit(body, request, username):
        if body.fn_index is not None and body.fn_index not in app.fns:  # private: Blocks.fns
            return False, unknown_fn_index(body.fn_index), "error"
        client = (visitor_of(request), getattr(body, "session_hash", None))
        if request is not None and request.headers.get("x-gradio-user") == "mcp":
            # gradio's MCP server calls through one gradio_client of its own, sending this
            # header: the caller's MCP session (relayed with its headers) is the session.
            client = (client[0], "mcp " + request.headers.get("mcp-session-id", client[0]))
        # private: Queue.event_queue_per_concurrency_id (its .queue lists waiting Events)
        queued = [e for q in list(queue.event_queue_per_concurrency_id.values()) for e in q.queue]
        fn = app.fns.get(body.fn_index) if body.fn_index is not None else None
        streams = None
        if fn is not None and fn.connection == "stream":  # private: BlockFunction.connection
            running = [e for job in list(queue.active_jobs) if job for e in job]  # private
            streams = tags(e for e in queued + running if e.fn is fn)  # private: Event.fn
        refusal = admission.refusal(client, tags(queued), streams)
        if refusal:
            return False, refusal, "queue_full"
        success, event_id, kind = await push(body, request, username)
        event = queue.event_ids_to_events.get(event_id) if success else None  # private
        if event is not None:
            event.hub_client = client
        return success, event_id, kind

    queue.push = admit
    return app


def calm_queue(app, poll: float) -> None:
    """``app``'s queue looks for work every ``poll`` s when it has none, and for progress
    to send every 0.1 s (no function of the hub reports progress). Gradio looks every 1 ms
    and 10 ms (outside Windows): 1,100 wake-ups a second, 8% of a core on an idle hub and
    8 ms of CPU per webcam frame at 10 frames a second (bench.webcam). A request then
    waits up to ``poll`` s more before it starts."""
    queue = app._queue
    queue.sleep_when_free = poll  # private: Queue.sleep_when_free, its idle poll
    queue.progress_update_sleep_when_free = 0.1  # private: the progress loop's poll


def end_slow_streams(idle: float) -> None:
    """A webcam stream ended (its page told, its slot freed) when its next frame is later
    than ``StreamPace`` allows (at most ``idle`` s; frames slower than one a second).
    Process-wide: one class, one patch."""
    from gradio.queueing import Queue

    # private: Queue.wait_for_batch(events, timeouts), a staticmethod that waits for each
    # stream's next frame and returns (awake, closed)
    plain = inspect.getattr_static(Queue, "wait_for_batch")
    wait = getattr(plain, "hub_plain", plain).__func__

    async def wait_for_batch(events, timeouts):
        paces = [e.__dict__.setdefault("hub_pace", StreamPace(idle)) for e in events]
        started = time.monotonic()
        limits = [min(t, pace.wait_for()) for t, pace in zip(timeouts, paces, strict=True)]
        awake, closed = await wait(events, limits)
        for event in awake:
            event.hub_pace.waited(time.monotonic() - started)
        return awake, closed

    patched = staticmethod(wait_for_batch)
    patched.hub_plain = getattr(plain, "hub_plain", plain)
    Queue.wait_for_batch = patched


def session_of_server_call():
    """Which session a component's server function (``accept_blobs``) serves: its own
    copy of the blocks' config, which gradio sets for the call."""
    from gradio.context import LocalContext

    config = LocalContext.blocks_config.get()  # private: LocalContext.blocks_config
    return id(config) if config is not None else None


def complete_output_files() -> None:
    """Output files written whole, once. gradio names an output picture after a hash of
    its bytes and rewrote the file on every answer (truncate, then write), so a visitor
    downloading the same picture (a GAN's default seed) could find it empty. Here the
    bytes go to a temporary file that takes the name in one step. Process-wide."""
    from gradio import processing_utils
    from gradio.processing_utils import hash_bytes  # private: how gradio names a cached file

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

    # private: processing_utils.save_pil_to_cache / save_bytes_to_cache, looked up at each
    # call, and the encode_pil_to_bytes / detect_audio_format they use
    processing_utils.save_pil_to_cache = save_pil_to_cache
    processing_utils.save_bytes_to_cache = save_bytes_to_cache


# gradio's own wording for a file parameter of an MCP tool (gradio.mcp).
MCP_FILE_FORMAT = "Gradio File Input - a http or https url to a file"


def fix_mcp_tools() -> None:
    """An MCP tool whose input is a drawing (gr.ImageEditor) takes a plain image, an
    http(s) URL or a ``data:`` URI, which becomes the drawing's composite: gradio lists
    a sketchpad parameter with ``$ref`` s that point nowhere, so every call failed. And a
    tool with several outputs answers each as its own content (gradio sent one text).
    API clients still send the sketchpad's own value. Idempotent."""
    from gradio.mcp import GradioMCPServer as Server

    if getattr(Server, "takes_drawings_as_images", False):
        return
    # private: GradioMCPServer.get_input_schema, _prepare_tool_call_args,
    # _execute_tool_without_progress, tool_to_endpoint, api_info, get_block_fn_from_endpoint_name
    schema_of = Server.get_input_schema
    prepare = Server._prepare_tool_call_args
    execute = Server._execute_tool_without_progress

    def drawing_inputs(server, tool_name: str) -> dict[int, str]:
        """The drawing inputs of a tool: position among its parameters -> name."""
        endpoint = server.tool_to_endpoint.get(tool_name)
        block_fn = server.get_block_fn_from_endpoint_name(endpoint) if endpoint else None
        if block_fn is None:
            return {}
        parameters = server.api_info["named_endpoints"][endpoint]["parameters"]
        inputs = [component for component in block_fn.inputs if not component.skip_api]
        pairs = enumerate(zip(parameters, inputs, strict=False))
        return {i: p["parameter_name"] for i, (p, c) in pairs if isinstance(c, gr.ImageEditor)}

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

    Server.get_input_schema = get_input_schema
    Server._prepare_tool_call_args = _prepare_tool_call_args
    Server._execute_tool_without_progress = _execute_tool_without_progress
    Server.takes_drawings_as_images = True
