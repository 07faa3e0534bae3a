"""The hub's own output components: gradio's, subclassed where a stream needs them cheaper.

``is_template``: the page shows each as its gradio parent.
"""

from __future__ import annotations

import base64
from io import BytesIO

import gradio as gr
import numpy as np
from gradio.data_classes import ImageData
from PIL import Image

JPEG_QUALITY = 80  # a webcam frame with boxes: ~15 KB at 320x256


class InlineImage(gr.Image):
    """gr.Image whose value reaches the page inside the answer, as a ``data:`` URL (a
    JPEG), instead of a file: gradio would encode it into its cache folder, and the page
    would then fetch it with a request of its own. For a webcam stream's frames (10 a
    second per visitor) that file and request cost more server CPU than the encoding;
    gradio's own SVG answers take the same path (an ImageData with a URL and no file)."""

    is_template = True

    def postprocess(self, value) -> ImageData | None:
        if value is None:
            return None
        if isinstance(value, np.ndarray):
            value = Image.fromarray(value)
        buffer = BytesIO()
        value.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        return ImageData(url=f"data:image/jpeg;base64,{encoded}", mime_type="image/jpeg")
