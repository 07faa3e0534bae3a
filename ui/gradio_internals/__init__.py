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

Each reliance's code is in a module of this package, by concern: ``building``
(no_server_per_block, unknown_endpoint), ``inputs`` (with_clear_error, guard_images,
clear_input_errors), ``crowd`` (serve_a_crowd, fair_queue, end_idle_streams),
``outputs`` (complete_output_files, safe_messages), ``blobs`` (cap_editor_blobs) and
``mcp`` (fix_mcp_tools). The version check below runs before any of them is imported.
"""

import gradio as gr

WRITTEN_FOR = "6.31.0"  # the gradio release every reliance above was checked against
if gr.__version__ != WRITTEN_FOR:
    raise ImportError(
        f"ui/gradio_internals was written for gradio {WRITTEN_FOR}, not {gr.__version__}: "
        "check each reliance listed in its docstring, then update WRITTEN_FOR."
    )

from ui.gradio_internals.blobs import (  # noqa: E402
    BLOB_BYTES_PER_ADDRESS,
    BLOB_BYTES_PER_SESSION,
    cap_editor_blobs,
)
from ui.gradio_internals.building import no_server_per_block, unknown_endpoint  # noqa: E402
from ui.gradio_internals.crowd import serve_a_crowd  # noqa: E402
from ui.gradio_internals.inputs import (  # noqa: E402
    clear_input_errors,
    guard_images,
    with_clear_error,
)
from ui.gradio_internals.mcp import fix_mcp_tools  # noqa: E402
from ui.gradio_internals.outputs import complete_output_files, safe_text  # noqa: E402

__all__ = [
    "BLOB_BYTES_PER_ADDRESS",
    "BLOB_BYTES_PER_SESSION",
    "WRITTEN_FOR",
    "cap_editor_blobs",
    "clear_input_errors",
    "complete_output_files",
    "fix_mcp_tools",
    "guard_images",
    "no_server_per_block",
    "safe_text",
    "serve_a_crowd",
    "unknown_endpoint",
    "with_clear_error",
]
