"""Building the hub: no FastAPI app per Blocks, a 404 for an unknown endpoint."""

from __future__ import annotations

import inspect
from contextlib import contextmanager


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


def unknown_endpoint():
    """launch(app_kwargs=...) that make an unknown api_name a 404 with a clear message."""
    from fastapi.responses import JSONResponse
    from gradio.route_utils import FnIndexInferError

    async def answer(request, error):
        return JSONResponse(
            {"detail": f"{error}. The endpoints are listed at /gradio_api/info."},
            status_code=404,
        )

    return {"exception_handlers": {FnIndexInferError: answer}}
