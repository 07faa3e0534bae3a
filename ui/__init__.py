"""What a visitor sees, gradio only: one module per experiment family (``ui/<family>_tab.py``,
the family named in core.experiments), each with ``build(experiment) -> gr.Blocks``.

``build_tab`` builds one experiment's tab: the shared header, then the family's tab. A
module that cannot be imported or a model that cannot be loaded costs only its own tabs,
which then say what is wrong.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import gradio as gr

from core.experiments import Experiment

log = logging.getLogger(__name__)

GALLERY = Path(__file__).parent / "gallery"  # the Home cards' pictures (tools/make_gallery.py)


def build_tab(
    experiment: Experiment, link_similar: bool = True
) -> tuple[gr.Blocks, gr.Button | None]:
    """The experiment's tab, or a tab that explains why it is unavailable, and its
    "Similar experiment" button (None without one, or when ``link_similar`` is False),
    for the hub to wire to the similar experiment's tab."""
    from ui.shared import tab_header, unavailable

    try:
        module = importlib.import_module(f"ui.{experiment.family}_tab")
        content = module.build(experiment)
    except Exception as error:  # a broken module or model never takes the hub down
        log.warning("%s unavailable: %s", experiment.id, error)
        content = unavailable(error)
    with gr.Blocks() as tab:
        similar = tab_header(experiment, link_similar)
        content.render()
    return tab, similar
