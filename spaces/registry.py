"""Finds every experiment in spaces/ and builds its tab without letting one failure spread."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from functools import cache
from types import ModuleType

import gradio as gr

import spaces
from spaces.common import Experiment, unavailable

log = logging.getLogger(__name__)
SHARED = {"common", "registry", "weights", "sketch"}


@cache
def _modules() -> dict[str, ModuleType]:
    """experiment id -> the module that serves it."""
    found = {}
    for info in pkgutil.iter_modules(spaces.__path__):
        if info.name in SHARED or info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"spaces.{info.name}")
        except Exception:  # a broken module costs its own tabs, never the hub
            log.exception("spaces.%s cannot be imported; its experiments are left out", info.name)
            continue
        for experiment in getattr(module, "EXPERIMENTS", []):
            found[experiment.id] = module
    return found


def experiments() -> list[Experiment]:
    """Every experiment, in upstream's order."""
    every = {e.id: e for module in _modules().values() for e in module.EXPERIMENTS}
    rank = {name: i for i, name in enumerate(spaces.ORDER)}
    return sorted(every.values(), key=lambda e: rank.get(e.id, len(rank)))


def build_tab(experiment: Experiment) -> gr.Blocks:
    """The experiment's tab, or a tab that explains why it is unavailable."""
    try:
        return _modules()[experiment.id].build(experiment)
    except Exception as error:  # a missing or corrupt model never takes the hub down
        log.warning("%s unavailable: %s", experiment.id, error)
        return unavailable(experiment, error)
