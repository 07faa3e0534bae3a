"""Each reliance of ui/gradio_private.py (and of ui/inputs.py's subclasses) on gradio's
internals, checked as it is relied on: a gradio release that renames, moves or changes
one fails its test here, before a guard silently stops applying. Everything runs in this
process, on small Blocks; nothing is served."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.blocks import Blocks
from gradio.queueing import Queue
from PIL import Image as PILImage

from ui import gradio_private
from ui.inputs import Drawing, Image, Number, Slider


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_launch_takes_the_private_frontend_switch():
    # LAUNCH_OPTIONS: launch(_frontend=False) skips the start-up probe of the page
    assert "_frontend" in parameters(gr.Blocks.launch)
    assert "if _frontend" in inspect.getsource(gr.Blocks.launch)


def test_blocks_are_built_without_an_app_inside_no_server_per_block():
    from gradio.routes import App

    assert isinstance(inspect.getattr_static(App, "create_app"), staticmethod)
    with gradio_private.no_server_per_block():
        with gr.Blocks() as inside:
            gr.Markdown("inside")
    assert getattr(inside, "app", None) is None
    assert isinstance(inspect.getattr_static(App, "create_app"), staticmethod)


def test_an_unknown_api_name_raises_the_error_unknown_endpoint_handles():
    from gradio.data_classes import PredictBody
    from gradio.route_utils import FnIndexInferError, get_fn

    handlers = gradio_private.unknown_endpoint()["exception_handlers"]
    assert FnIndexInferError in handlers
    with gr.Blocks() as app:
        gr.Button().click(lambda: None, api_name="known")
    with pytest.raises(FnIndexInferError):
        get_fn(app, "unknown", PredictBody(data=[]))


def test_preprocess_data_refuses_too_few_inputs_with_a_value_error():
    # clear_input_errors: Blocks.preprocess_data(block_fn, inputs, state, ...) raises a
    # ValueError (not a gr.Error) for what it refuses before any component reads it
    assert parameters(Blocks.preprocess_data)[:4] == ["self", "block_fn", "inputs", "state"]
    assert inspect.iscoroutinefunction(Blocks.process_api)
    with gr.Blocks() as app:
        box = gr.Textbox()
        gr.Button().click(lambda text: text, box, box)
    block_fn = app.fns[0]
    with pytest.raises(ValueError, match="enough input values"):
        asyncio.run(app.preprocess_data(block_fn, [], None))
    gradio_private.clear_input_errors(app)
    with pytest.raises(gr.Error, match="enough input values"):
        asyncio.run(app.preprocess_data(block_fn, [], None))


def test_the_queue_exposes_what_fair_queue_counts():
    # fair_queue: Blocks._queue.push(body, request, username), its waiting events in
    # event_queue_per_concurrency_id (.queue), running ones in active_jobs, each event
    # found by id in event_ids_to_events, with its .fn; a stream's BlockFunction.connection
    with gr.Blocks() as app:
        image = gr.Image()
        image.stream(lambda frame: frame, image, image)
    app.queue()
    queue = app._queue
    assert isinstance(queue, Queue)
    assert parameters(queue.push) == ["body", "request", "username"]
    assert isinstance(queue.event_queue_per_concurrency_id, dict)
    assert isinstance(queue.active_jobs, list)
    assert isinstance(queue.event_ids_to_events, dict)
    assert app.fns[0].connection == "stream"
    assert "self.fn = fn" in inspect.getsource(__import__("gradio.queueing").queueing.Event)
    assert "event_queue_per_concurrency_id[" in inspect.getsource(Queue.push)
    assert '"x-gradio-user": "mcp"' in inspect.getsource(gr.mcp.GradioMCPServer)


def test_wait_for_batch_waits_for_frames_with_the_timeouts_it_is_given(monkeypatch):
    # end_slow_streams: Queue.wait_for_batch(events, timeouts), a staticmethod, returns
    # (events that got a frame, events that timed out); it waits on each event's signal
    assert isinstance(inspect.getattr_static(Queue, "wait_for_batch"), staticmethod)
    # restored after the test (a hub served by this process keeps its own patch)
    monkeypatch.setattr(Queue, "wait_for_batch", inspect.getattr_static(Queue, "wait_for_batch"))
    gradio_private.end_slow_streams(idle=0.2)
    gradio_private.end_slow_streams(idle=0.2)  # twice: still one patch

    async def run(sends: bool):  # one event a call: gradio pairs several out of order
        event = SimpleNamespace(signal=asyncio.Event())
        if sends:
            event.signal.set()
        return await Queue.wait_for_batch([event], [30]), event

    (awake, closed), sending = asyncio.run(run(sends=True))
    assert awake == [sending] and not closed and list(sending.hub_pace.waits)
    (awake, closed), quiet = asyncio.run(run(sends=False))  # ended at 0.2 s, not 30
    assert closed == [quiet] and not awake and not quiet.hub_pace.waits


def test_a_server_function_sees_its_sessions_config():
    # session_of_server_call: gradio sets LocalContext.blocks_config from the session's
    # state around a component's server function
    from gradio.utils import get_function_with_locals

    config = object()
    state = SimpleNamespace(blocks_config=config)
    with gr.Blocks() as app:
        pass
    found = get_function_with_locals(
        gradio_private.session_of_server_call, app, None, False, None, state
    )()
    assert found == id(config)


def test_image_outputs_are_saved_through_the_patched_functions(tmp_path, monkeypatch):
    # complete_output_files: gradio looks processing_utils.save_pil_to_cache up at each
    # call (gr.Image's postprocess), and names the file by processing_utils.hash_bytes
    from gradio import processing_utils

    gradio_private.complete_output_files()
    saved = []
    patched = processing_utils.save_pil_to_cache
    monkeypatch.setattr(
        processing_utils,
        "save_pil_to_cache",
        lambda *args, **kwargs: saved.append(1) or patched(*args, **kwargs),
    )
    value = gr.Image(format="png").postprocess(PILImage.new("RGB", (8, 8), "teal"))
    assert saved and value.path.endswith(".png")
    assert callable(processing_utils.hash_bytes)


def test_the_mcp_server_has_the_methods_fix_mcp_tools_wraps():
    from gradio.mcp import GradioMCPServer

    assert parameters(GradioMCPServer.get_input_schema) == ["self", "tool_name", "parameters"]
    assert parameters(GradioMCPServer._prepare_tool_call_args) == ["self", "name", "arguments"]
    assert parameters(GradioMCPServer._execute_tool_without_progress) == ["self", "job"]
    assert parameters(GradioMCPServer.get_block_fn_from_endpoint_name)[:2] == [
        "self",
        "endpoint_name",
    ]
    source = inspect.getsource(GradioMCPServer)
    assert "self.tool_to_endpoint" in source and "self.api_info" in source


def test_gradios_helpers_decide_as_the_guards_assume(tmp_path, monkeypatch):
    # ui/inputs.py: a data: URL is cut after its last comma; a path is inside a folder
    # only once resolved; uploads go to GRADIO_TEMP_DIR; @server marks a server function
    assert gradio_private.extract_base64_data("data:image/png;base64,abc,def") == "def"
    assert gradio_private.is_in_or_equal(str(tmp_path / "a" / "b.png"), str(tmp_path))
    assert not gradio_private.is_in_or_equal(str(tmp_path / ".." / "b.png"), str(tmp_path))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    assert str(gradio_private.get_upload_folder()) == str(tmp_path)
    assert gradio_private.server(lambda self: None)._is_server_fn is True


def test_per_session_copies_are_made_from_the_class_so_subclasses_follow():
    # ui/inputs.py: gradio copies a component for one session with block.__class__(**kwargs)
    assert "block.__class__(**kwargs)" in inspect.getsource(Blocks.postprocess_data)
    for component in (Slider(0, 1), Number(), Image(), Drawing()):
        copy = component.__class__(**component.constructor_args)
        assert type(copy) is type(component) and copy.preprocess.__func__ is (
            type(component).preprocess
        )


def test_the_subclasses_are_drawn_as_their_gradio_parents():
    # is_template: the page's widget is the parent's (get_block_name)
    assert Slider(0, 1).get_block_name() == "slider"
    assert Number().get_block_name() == "number"
    assert Image().get_block_name() == "image"
    assert Drawing().get_block_name() == "imageeditor"


def test_the_drawings_blob_function_is_its_server_function():
    # Drawing.accept_blobs: gradio calls a component's @server functions by name, each
    # given a gr.Request when it asks for one; the editor keeps blobs in blob_storage
    drawing = Drawing()
    assert [fn.__name__ for fn in drawing.server_fns] == ["accept_blobs"]
    assert drawing.server_fns[0].__func__ is Drawing.accept_blobs
    assert isinstance(drawing.blob_storage, dict)
    assert parameters(gr.ImageEditor.accept_blobs) == ["self", "data"]


def test_the_queue_polls_with_the_intervals_calm_queue_sets():
    # calm_queue: Queue.start_processing sleeps sleep_when_free s while it has nothing to
    # start, Queue.start_progress_updates progress_update_sleep_when_free s between looks
    with gr.Blocks() as app:
        gr.Button().click(lambda: None)
    app.queue()
    queue = app._queue
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == (0.001, 0.01)
    assert "asyncio.sleep(self.sleep_when_free)" in inspect.getsource(Queue.start_processing)
    assert "sleep(self.progress_update_sleep_when_free)" in inspect.getsource(
        Queue.start_progress_updates
    )
    gradio_private.calm_queue(app, 0.005)
    assert (queue.sleep_when_free, queue.progress_update_sleep_when_free) == (0.005, 0.1)


def test_an_image_answer_with_a_data_url_and_no_file_reaches_the_page_as_it_is():
    # InlineImage (ui/outputs.py): gradio moves file values that have a path to its cache
    # and gives them a /file= URL; an ImageData with a URL and no path goes out unchanged
    # (gradio's own SVG answers are such values), and the page shows it as gr.Image's
    import base64
    import io

    from gradio.processing_utils import move_files_to_cache

    from ui.outputs import InlineImage

    with gr.Blocks():
        shown = InlineImage()
    value = shown.postprocess(PILImage.new("RGB", (8, 6), "red"))
    sent = move_files_to_cache(value, shown, postprocess=True)
    assert sent["path"] is None and sent["url"] == value.url
    head, data = sent["url"].split(",", 1)
    assert head == "data:image/jpeg;base64"
    assert PILImage.open(io.BytesIO(base64.b64decode(data))).size == (8, 6)
    assert shown.get_block_name() == "image"
