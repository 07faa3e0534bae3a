"""What leaves the hub: output files written whole, messages escaped and free of paths."""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder


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
    folders = {os.getcwd(), str(Path(__file__).resolve().parents[2]), tempfile.gettempdir()}
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
