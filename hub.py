"""The ML experiments hub in one Gradio app: a Home tab with a card per experiment, then
a tab per section (drawing, camera, text, generation) holding a tab per experiment;
/?tab=<id> opens an experiment's tab.

    python hub.py [--host H] [--port P] [--share] [--only ID[,ID]] [--mcp]
    gradio hub.py                       # reload mode (gradio hub.py -- --only ID)

On a Hugging Face Space the same file is the app (README front matter: app_file), and
the Space sets the server's name and port.
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Examples' answers are cached on their first click (cache_mode="lazy"), in a folder of
# this process: gradio keys the cache by component id, so a folder kept from an earlier
# start, with tabs built in another order, could serve another tab's answers.
os.environ.setdefault("GRADIO_EXAMPLES_CACHE", tempfile.mkdtemp(prefix="hub-examples-"))

import gradio as gr  # noqa: E402
from fastapi.middleware import Middleware  # noqa: E402

from core.experiments import BY_ID, DISCLAIMER, EXPERIMENTS, SECTIONS, Experiment  # noqa: E402
from core.models import load_deferred, take_deferred  # noqa: E402
from ui import GALLERY, build_tab  # noqa: E402
from ui.crowd import Admission  # noqa: E402
from ui.gradio_private import (  # noqa: E402
    LAUNCH_OPTIONS,
    calm_queue,
    clear_input_errors,
    complete_output_files,
    end_slow_streams,
    fair_queue,
    fix_mcp_tools,
    no_server_per_block,
    unknown_endpoint,
)
from ui.guards import FrontDoor, UploadQuota, public_root  # noqa: E402
from ui.shared import BRUSH_FIRST  # noqa: E402

TITLE = "Interactive Machine Learning Experiments"
# Uploaded files (and the app's cached outputs) are removed an hour after they were
# written, checked every 10 minutes.
DELETE_CACHE = (600, 3600)
# Requests each event runs at once: gradio's default, 1. bench/load.py measured 4 slots
# (and batching) cost the server more CPU per request on 2 cores and gained nothing. The
# models are stateless or, like the hand landmarker's interpreters, hold a lock, so a
# machine with more cores can raise it.
CONCURRENCY = 1
# Requests waiting in the queue, all events together: one more gets HTTP 503 "Queue is
# full" at once (gradio_client: an AppError saying so), not an endless wait.
MAX_QUEUE = int(os.environ.get("HUB_MAX_QUEUE", "64"))
# Requests one session (a page, a gradio_client) may have waiting, inside its address's
# share below: one more is refused at once with a message, and the queue keeps room for
# everybody else (ui/crowd.py, Admission).
MAX_WAITING = int(os.environ.get("HUB_MAX_WAITING", "8"))
# Requests one visitor's address (the direct peer; behind a trusted proxy, the address
# it appended to X-Forwarded-For) may have waiting, all its sessions together: sessions
# cost nothing to make, so the address is what the queue keeps fair between.
MAX_WAITING_PER_ADDRESS = int(os.environ.get("HUB_MAX_WAITING_PER_ADDRESS", "16"))
# New sessions (a page load, a gradio_client) one address may begin a minute.
NEW_SESSIONS_PER_MINUTE = int(os.environ.get("HUB_NEW_SESSIONS_PER_MINUTE", "120"))
# Sessions whose state (a webcam's latest frame, a score) the hub keeps, the least
# recently used dropped first (launch's state_session_capacity; gradio's default 10,000).
SESSION_CAPACITY = 1000
# Seconds without a frame after which a webcam stream ends and frees its slot (a browser
# sends 4 a second); one whose frames come slower than one a second ends too, within 5 s
# (ui/crowd.py, StreamPace).
STREAM_IDLE = 2
# Seconds between the queue's looks for work while it has none (gradio: 0.001, a
# thousand wake-ups a second): at 0.005 an idle hub takes 3.7% of a core instead of 8.4%, and
# a request waits 2.5 ms more on average (ui/gradio_private.py, calm_queue).
QUEUE_POLL = 0.005
# launch() settings for a hub that strangers reach (README "Serving"): uploads over 10 MB
# are refused with gradio's "File size exceeded maximum allowed size" (HTTP 413); no run
# history (its routes would call the Hugging Face Hub with the server's own HF_TOKEN);
# no /monitoring (request counts and timings of every endpoint, to anyone). And an
# unknown api_name gets a 404 that says so (gradio: a 500), ui/gradio_private.py.
PUBLIC = {"max_file_size": "10mb", "run_history": False, "enable_monitoring": False}
# Bytes one request's body may hold, counted as they arrive (ui/guards.py, FrontDoor):
# a JSON body with a photo as a data: URL (a 10 MB file is 13.4 MB of base64), or an
# upload's form. One more byte: HTTP 413, whatever the headers said.
MAX_BODY = int(float(os.environ.get("HUB_MAX_BODY_MB", "14")) * 1024 * 1024)
# Upload bytes one address may send an hour, and the upload folder's total (uploads
# are deleted an hour after they arrive, DELETE_CACHE): past either, HTTP 413 with it.
UPLOAD_MB_PER_HOUR = int(os.environ.get("HUB_UPLOAD_MB_PER_HOUR", "200"))
UPLOAD_FOLDER_MB = int(os.environ.get("HUB_UPLOAD_FOLDER_MB", "2000"))


DEEP_LINK = "tab"  # /?tab=<experiment id> opens that experiment's tab


def cards(chosen: list[Experiment]) -> dict[str, gr.Button]:
    """The Home tab's content, inside the current Blocks: a card per experiment, with a
    picture of an example and the served model's answer to it (ui/gallery/), one line and
    its measured figure, and a button that opens its tab. Returns those buttons by id."""
    gr.Markdown(
        f"# {TITLE}\nRe-creations of trekhleb's machine-learning-experiments, with "
        f"models trained by this project's own scripts. {DISCLAIMER} Every tab's "
        "model card says which data each model saw and how it compares with upstream."
    )
    opens = {}
    for row_start in range(0, len(chosen), 3):
        with gr.Row(equal_height=True):
            for experiment in chosen[row_start : row_start + 3]:
                opens[experiment.id] = card(experiment)
    # A trivial endpoint: health checks, and the framework floor for benchmarks. Not
    # an experiment: left out of the API page and the MCP tools, still callable.
    pong = gr.Textbox(visible=False)
    gr.Button(visible=False).click(
        ping, outputs=pong, api_name="ping", api_visibility="undocumented"
    )
    return opens


def ping() -> str:
    return "pong"


def card(experiment: Experiment) -> gr.Button:
    """One experiment's card on the Home tab, inside the current Row; its "Open" button."""
    picture = GALLERY / f"{experiment.id}.webp"
    with gr.Column(variant="panel", min_width=300):
        if picture.is_file():
            gr.Image(
                str(picture),
                show_label=False,
                interactive=False,
                buttons=[],
                container=False,
                height=150,
                elem_classes="gallery-picture",
            )
        metrics = experiment.metrics()  # read once: each read verifies the weights' checksums
        label = experiment.filled(experiment.label_text, metrics)
        gr.Markdown(
            f"### {experiment.title}\n{experiment.description} "
            f"{label}: **{experiment.figure(metrics)}**"
        )
        # The elem_id is for the browser tests and the page's CSS; the hub holds the button.
        return gr.Button(f"Open {experiment.short} →", size="sm", elem_id=f"{experiment.id}-open")


def tab_header(experiment: Experiment, link_similar: bool = True) -> gr.Button | None:
    """Title, description and the similar-experiment link, inside the current Blocks.

    The link is a button that ``link_tabs`` wires to select the similar experiment's tab;
    it is returned (None when there is none to link to, or ``link_similar`` is False).
    """
    with gr.Row():
        # At least 320 px wide: on a phone the link goes under the title, not beside it
        # in a narrow column that stretched the title over five lines.
        with gr.Column(min_width=320):
            gr.Markdown(f"## {experiment.title}\n{experiment.description}")
        if experiment.similar and link_similar:
            return gr.Button(
                f"Similar experiment: {BY_ID[experiment.similar].title} →",
                size="sm",
                scale=0,
                elem_id=f"{experiment.id}-similar",
            )
    return None


def build_hub(only: list[str] | None = None, max_queue: int = MAX_QUEUE) -> gr.Blocks:
    """The whole app; ``only`` serves a subset of experiment ids. Serve it with ``launch``.

    The layout of gr.TabbedInterface (a title, then a tab per section), built here with
    gr.Tabs and gr.Tab so that every tab has an id and wraps rather than hides in a "More
    tabs" menu at a phone's width: the Home cards, the "Similar experiment" buttons and the
    /?tab=<id> deep link select tabs by id."""
    chosen = [e for e in EXPERIMENTS if not only or e.id in only]
    unknown = set(only or []) - {e.id for e in chosen}
    if unknown:
        raise SystemExit(f"unknown experiment id(s): {', '.join(sorted(unknown))}")
    served = {e.id for e in chosen}
    names = [name for name in SECTIONS if any(e.section == name for e in chosen)]
    take_deferred()  # models that tabs built before this hub left to load: not this hub's
    with no_server_per_block():
        # Each experiment's tab is built on its own first: a broken one becomes a tab
        # that says why (ui.build_tab), with nothing half-built left in the app.
        built = {e.id: build_tab(e) for e in chosen}
        with gr.Blocks(title=TITLE, fill_height=True, delete_cache=DELETE_CACHE) as app:
            gr.Markdown(f"<h1 style='text-align: center; margin-bottom: 1rem'>{TITLE}</h1>")
            with gr.Tabs(overflow_behavior="wrap") as outer:
                with gr.Tab("Home", id="home"):
                    opens = cards(chosen)
                inner, similars = {}, {}
                for name in names:
                    with gr.Tab(name, id=name.lower()):
                        with gr.Tabs(overflow_behavior="wrap") as inner[name]:
                            for experiment in (e for e in chosen if e.section == name):
                                with gr.Tab(experiment.short, id=experiment.id):
                                    similar = tab_header(experiment, experiment.similar in served)
                                    built[experiment.id].render()
                                if similar is not None:
                                    similars[experiment.id] = similar
            link_tabs(app, chosen, outer, inner, opens, similars)
        app.queue(default_concurrency_limit=CONCURRENCY, max_size=max_queue)
    # Refusals before preprocessing get a message, every message is escaped; the queue is
    # fair by address and session; slow webcam streams end (ui/gradio_private.py).
    clear_input_errors(app)
    fair_queue(app, Admission(MAX_WAITING, MAX_WAITING_PER_ADDRESS, NEW_SESSIONS_PER_MINUTE))
    end_slow_streams(STREAM_IDLE)
    calm_queue(app, QUEUE_POLL)
    complete_output_files()  # two visitors given the same picture both get all of it
    # The tabs' models, which ``launch`` loads once the hub serves (core/models.py).
    app.models_to_load = take_deferred()
    return app


def launch(app: gr.Blocks, **options):
    """``app.launch(**options)`` with the PUBLIC settings: how every hub is served. As an
    MCP tool, a drawing input takes a plain image (ui/gradio_private.py, fix_mcp_tools);
    in the page, a canvas draws at the first touch (ui/shared.py, BRUSH_FIRST). Once it
    serves, the tabs' models load one after another in the background (a request that
    comes first loads its own, or waits for it)."""
    # uvicorn would replace a request's peer address with X-Forwarded-For's whenever the
    # peer is local (its FORWARDED_ALLOW_IPS default), hiding whether a proxy sent it: the
    # hub reads X-Forwarded-For itself, from HUB_TRUSTED_PROXIES only (ui/guards.py).
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    fix_mcp_tools()
    # Every request passes ui/guards.py's FrontDoor first (bodies capped, Host pinned,
    # uploads counted), and every URL the hub writes starts with the configured public
    # root, where there is one.
    uploads = UploadQuota(UPLOAD_MB_PER_HOUR << 20, UPLOAD_FOLDER_MB << 20)
    door = Middleware(FrontDoor, max_body=MAX_BODY, uploads=uploads)
    app_kwargs = {**unknown_endpoint(), "middleware": [door]}
    if public_root() and "root_path" not in options:
        options["root_path"] = public_root()
    options.setdefault("state_session_capacity", SESSION_CAPACITY)
    options = {**LAUNCH_OPTIONS, **options}  # ui/gradio_private.py: no start-up self-probe
    block = not options.pop("prevent_thread_lock", False)
    served = app.launch(
        **PUBLIC, js=BRUSH_FIRST, app_kwargs=app_kwargs, prevent_thread_lock=True, **options
    )
    load_deferred(getattr(app, "models_to_load", []))
    if block:
        app.block_thread()
    return served


def link_tabs(
    app: gr.Blocks,
    chosen: list[Experiment],
    outer: gr.Tabs,
    inner: dict[str, gr.Tabs],
    opens: dict[str, gr.Button],
    similars: dict[str, gr.Button],
) -> None:
    """Make each card's "Open" button and each "Similar experiment" button open the
    experiment's tab, and /?tab=<id> open it on arrival (a deep link). Inside ``app``."""
    served = {e.id: e for e in chosen}
    every = [outer, *inner.values()]

    def select(experiment_id: str) -> dict[gr.Tabs, gr.Tabs]:
        """The updates that select an experiment's tab: its section's, then its own."""
        experiment = served[experiment_id]
        return {
            outer: gr.Tabs(selected=experiment.section_id),
            inner[experiment.section]: gr.Tabs(selected=experiment.id),
        }

    def deep_link(request: gr.Request) -> dict:
        target = request.query_params.get(DEEP_LINK, "")
        return select(target) if target in served else {tabs: gr.skip() for tabs in every}

    targets = [(button, e) for e, button in opens.items()]
    targets += [(button, served[e].similar) for e, button in similars.items()]
    for button, target in targets:
        button.click(lambda target=target: select(target), outputs=every, api_visibility="private")
    app.load(deep_link, outputs=every, api_visibility="private")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--host", default=None, help="server name (default: Gradio's)")
    parser.add_argument("--port", type=int, default=None, help="port (default: Gradio's)")
    parser.add_argument("--share", action="store_true", help="also create a public link")
    parser.add_argument("--only", default="", help="comma-separated experiment ids")
    parser.add_argument(
        "--mcp", action="store_true", help="also serve every experiment as an MCP tool"
    )
    args, _ = parser.parse_known_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    return args


def __getattr__(name: str):
    """``hub.demo``: the app, built anew on each access, for `gradio hub.py` (reload mode
    reads the module's ``demo`` after every change). Importing hub.py builds nothing."""
    if name == "demo":
        return build_hub(parse_args().only)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    args = parse_args()
    launch(
        build_hub(args.only),
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        mcp_server=True if args.mcp else None,  # None: gradio reads GRADIO_MCP_SERVER
    )


if __name__ == "__main__":
    main()
