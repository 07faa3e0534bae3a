"""What a visitor sees, gradio only: one module per experiment family (``ui/<family>.py``,
the family named in core.experiments), each with ``build(experiment) -> gr.Blocks``.

``build_tab`` builds one experiment's tab; a module that cannot be imported or a model
that cannot be loaded costs only its own tabs, which then say what is wrong.
"""

from __future__ import annotations

import importlib
import logging

import gradio as gr

from core.experiments import Experiment

log = logging.getLogger(__name__)


def build_tab(experiment: Experiment) -> gr.Blocks:
    """The experiment's tab, or a tab that explains why it is unavailable."""
    from ui.common import unavailable

    try:
        module = importlib.import_module(f"ui.{experiment.family}")
        return module.build(experiment)
    except Exception as error:  # a broken module or model never takes the hub down
        log.warning("%s unavailable: %s", experiment.id, error)
        return unavailable(experiment, error)
