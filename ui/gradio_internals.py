"""Every place where the hub relies on gradio's internals rather than its public API.

Gradio 6.31 is pinned (requirements.txt, README front matter); when it moves, check these:

- ``no_server_per_block``: replaces ``gradio.routes.App.create_app`` while the hub is
  built (tests/test_hub.py counts the calls, proving that it takes effect).
- ``with_clear_error``: swaps one component instance's ``preprocess`` so that a payload it
  cannot read gets a clear message instead of gradio's bare "Error".
- hub.py finds the ``gr.Tabs`` that ``gr.TabbedInterface`` creates (the one whose
  ``parent`` is the app), sets its ``overflow_behavior`` to "wrap" (like the sections'
  ``gr.Tabs(overflow_behavior="wrap")``: no tab in a "More tabs" menu), and sets
  ``Tab.id`` on its tabs (it has no parameter for them; the Home cards, "Similar
  experiment" buttons and the ``/?tab=<id>`` deep link select tabs by id, returning
  ``gr.Tabs(selected=...)`` for it and for the section's own ``gr.Tabs``). It also sets
  ``delete_cache`` on the TabbedInterface after construction (its constructor does not
  pass it on to ``gr.Blocks``).
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager

import gradio as gr


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
