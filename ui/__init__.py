"""What a visitor sees, gradio only: one module per experiment family (``ui/<family>_tab.py``,
the family named in core.experiments), each with ``build(experiment) -> gr.Blocks``.

``build_tab`` builds one experiment's tab (hub.py puts the header above it). A
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


def arrival(experiment_id: str, suffix: str) -> Path:
    """What a generator's tab shows when it opens, before its model is loaded: the served
    model's answer to the tab's default inputs, kept by tools/make_gallery.py (the
    experiment's tests check it against the model)."""
    return GALLERY / f"{experiment_id}.arrival{suffix}"


def build_tab(experiment: Experiment) -> gr.Blocks:
    """The experiment's tab under its header (hub.py: title, description, "Similar
    experiment"), or a tab that explains why it is unavailable."""
    from ui.shared import unavailable

    try:
        module = importlib.import_module(f"ui.{experiment.family}_tab")
        content = module.build(experiment)
    except Exception as error:  # a broken module or model never takes the hub down
        log.warning("%s unavailable: %s", experiment.id, error)
        content = unavailable(error)
    return content
