"""The hub as a whole: Home cards, --only, and one broken model never taking it down."""

import shutil
import subprocess
import sys

import gradio as gr
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from core import ROOT, weights
from core.experiments import BY_ID, EXPERIMENTS, SECTIONS
from hub import GALLERY, build_hub, cards, launch
from tools.make_gallery import SIDE

DIGITS = ["digits_recognition_mlp", "digits_recognition_cnn"]


def markdown_text(blocks: gr.Blocks) -> str:
    return "\n".join(str(b.value) for b in blocks.blocks.values() if isinstance(b, gr.Markdown))


def test_every_experiment_has_a_unique_id_in_upstream_order():
    ids = [e.id for e in EXPERIMENTS]
    assert len(ids) == len(set(ids)) and set(DIGITS) <= set(ids)
    assert ids.index("digits_recognition_mlp") < ids.index("digits_recognition_cnn")


def test_home_card_shows_a_line_and_the_measured_figure_and_leaves_the_rest_to_the_tab():
    chosen = [e for e in EXPERIMENTS if e.id in DIGITS]
    with gr.Blocks() as tab:  # the Home tab's content on its own
        cards(chosen)
    text = markdown_text(tab)
    for experiment in chosen:
        assert experiment.title in text and experiment.description in text
        figure = experiment.figure()
        assert figure != "not measured yet"
        assert f"{experiment.metric_label}: **{figure}**" in text
        assert experiment.data not in text and experiment.upstream not in text
    pictures = [b.value for b in tab.blocks.values() if isinstance(b, gr.Image)]
    assert len(pictures) == len(chosen)
    buttons = {b.elem_id for b in tab.blocks.values() if isinstance(b, gr.Button)}
    assert {f"{e}-open" for e in DIGITS} <= buttons


def test_every_experiment_has_a_small_gallery_picture():
    # tools/make_gallery.py writes them from the served models; the Home cards show them.
    for experiment in EXPERIMENTS:
        picture = GALLERY / f"{experiment.id}.webp"
        assert picture.is_file(), f"run python -m tools.make_gallery --only {experiment.id}"
        assert 1_000 < picture.stat().st_size < 60_000
        with Image.open(picture) as image:
            assert image.size == (2 * SIDE + 8, SIDE)


def test_sections_hold_every_experiment_tab_with_its_id():
    assert {e.section for e in EXPERIMENTS} == set(SECTIONS)
    app = build_hub(DIGITS + ["numbers_summation_rnn"])
    tab_ids = {b.id for b in app.blocks.values() if isinstance(b, gr.Tab)}
    # Sections without a served experiment are left out.
    assert tab_ids == {"home", "drawing", "text", *DIGITS, "numbers_summation_rnn"}


def test_unknown_only_id_is_refused():
    with pytest.raises(SystemExit, match="no_such_experiment"):
        build_hub(["no_such_experiment"])


def test_corrupt_model_leaves_its_tab_explaining_and_the_others_working(tmp_path, monkeypatch):
    for experiment_id in DIGITS:
        shutil.copytree(weights.WEIGHTS_DIR / experiment_id, tmp_path / experiment_id)
    (tmp_path / "digits_recognition_mlp" / "model.keras").write_bytes(b"not a model")
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path)

    app = build_hub(DIGITS)
    assert "This experiment is unavailable" in markdown_text(app)
    _, url, _ = launch(app, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, analytics_enabled=False)
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert "/digits_recognition_cnn" in endpoints
        assert "/digits_recognition_mlp" not in endpoints
        example = str(ROOT / "ui" / "examples" / "digits_recognition" / "3.png")
        value = {"background": None, "layers": [], "composite": handle_file(example)}
        label = client.predict(value, api_name="/digits_recognition_cnn")
        assert label["label"] == "3"
        assert client.predict(api_name="/ping") == "pong"
    finally:
        app.close()


def test_a_model_that_cannot_be_loaded_says_so_on_its_tab_and_the_others_answer(
    tmp_path, monkeypatch
):
    # Files that match their manifest but hold no model: found only when the model loads,
    # in the background once the hub serves (core/models.py), not when the tab is built.
    for experiment_id in DIGITS:
        shutil.copytree(weights.WEIGHTS_DIR / experiment_id, tmp_path / experiment_id)
    (tmp_path / "digits_recognition_mlp" / "model.keras").write_bytes(b"not a model")
    weights.write_manifest(tmp_path / "digits_recognition_mlp")
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path)

    app = build_hub(DIGITS)
    assert "This experiment is unavailable" not in markdown_text(app)
    _, url, _ = launch(app, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, analytics_enabled=False)
        example = str(ROOT / "ui" / "examples" / "digits_recognition" / "3.png")
        value = {"background": None, "layers": [], "composite": handle_file(example)}
        for _ in range(2):  # the same message every time, and the hub still serving
            with pytest.raises(AppError, match="its model could not be loaded"):
                client.predict(value, api_name="/digits_recognition_mlp")
        assert client.predict(value, api_name="/digits_recognition_cnn")["label"] == "3"
    finally:
        app.close()


@pytest.mark.slow  # a Python of its own
def test_building_the_hub_imports_no_tensorflow():
    # hub.launch serves first, then loads app.models_to_load (core/models.py; the loading
    # itself: tests/test_models.py).
    check = (
        "import sys\n"
        "from hub import build_hub\n"
        "app = build_hub()\n"
        "print(len(app.models_to_load), 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.splitlines()[-1]  # the line printed last (gradio prints its own before)
    # Every experiment's model but the objects detector's (LiteRT, read when first used).
    assert shown == f"{len(EXPERIMENTS) - 1} False False"


def test_building_the_hub_leaves_gradio_making_server_apps_again():
    # build_hub skips the FastAPI app gradio makes per Blocks (no_server_per_block);
    # afterwards a Blocks gets its app as usual, and the hub gets one when queued.
    app = build_hub(DIGITS)
    with gr.Blocks() as later:
        gr.Markdown("later")
    assert later.app is not None
    assert app.queue().app is not None


def test_building_the_hub_makes_no_throw_away_server_apps(monkeypatch):
    # ui.gradio_private.no_server_per_block: gradio builds a FastAPI app per Blocks
    # (counted here), but none while the hub is built; launch() makes the one that serves.
    from gradio.routes import App

    calls = []
    create_app = App.create_app

    def counting_create_app(*args, **kwargs):
        calls.append(1)
        return create_app(*args, **kwargs)

    monkeypatch.setattr(App, "create_app", staticmethod(counting_create_app))
    with gr.Blocks():
        gr.Markdown("an ordinary Blocks")
    assert calls, "gradio no longer builds an app per Blocks: no_server_per_block can go"
    calls.clear()
    build_hub(DIGITS)
    assert calls == []


def test_every_experiment_leads_to_its_files():
    # An id names its weights and training entry; its family its UI, training and tests.
    for experiment in EXPERIMENTS:
        assert (ROOT / "weights" / experiment.id / "metrics.json").is_file()
        assert (ROOT / "training" / f"{experiment.id}.py").is_file()
        for folder, name in [("ui", f"{experiment.family}_tab"), ("training", experiment.family)]:
            assert (ROOT / folder / f"{name}.py").is_file(), (folder, name)
        assert (ROOT / "tests" / f"test_{experiment.family}.py").is_file()


def test_nothing_at_the_top_level_is_named_spaces():
    # On a Space, a local `spaces` would shadow Hugging Face's package (tests/test_space.py).
    assert not list(ROOT.glob("spaces*"))


def test_the_core_and_training_never_import_gradio():
    files = [
        p.relative_to(ROOT).with_suffix("")
        for f in ("core", "training")
        for p in (ROOT / f).rglob("*.py")
    ]
    modules = [".".join(p.parts) for p in files if p.name != "__init__"]
    check = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "sys.exit('gradio' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", check], cwd=ROOT, check=True)


def test_every_binary_a_space_receives_goes_through_lfs():
    # The Hub's git refuses binaries that are not in LFS (or Xet): .gitattributes.
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "weights", "ui/examples", "data", "ui/gallery"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")[:-1]
    binaries = [name for name in tracked if b"\0" in (ROOT / name).read_bytes()[:8000]]
    assert len(binaries) > 30
    attributes = subprocess.run(
        ["git", "check-attr", "filter", "--", *binaries],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert all(line.endswith(": filter: lfs") for line in attributes), [
        line for line in attributes if not line.endswith("lfs")
    ]


def test_hub_demo_is_built_on_access_for_gradio_reload_mode(monkeypatch):
    import hub

    monkeypatch.setattr(sys, "argv", ["hub.py", "--only", "numbers_summation_rnn"])
    demo = hub.demo  # what `gradio hub.py` reads after each change
    assert isinstance(demo, gr.Blocks) and demo is not hub.demo  # rebuilt on each access
    names = [block.label for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    assert sorted(names) == sorted(["Home", "Text", BY_ID["numbers_summation_rnn"].short])


def test_readme_experiments_table_is_the_experiments_and_their_metrics():
    # README's table is written by tools/readme_table.py from core/experiments.py and
    # weights/<id>/metrics.json: an edit of either without rerunning it fails here.
    from tools import readme_table

    readme = (ROOT / "README.md").read_text()
    assert readme_table.with_table(readme) == readme, "run python -m tools.readme_table"
    for experiment in EXPERIMENTS:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{experiment.id}`"))
        assert f"{experiment.metric_label}: **{experiment.figure()}**" in row
        assert experiment.upstream.replace("|", "\\|") in row


def test_gradio_private_names_the_gradio_release_it_was_checked_against():
    """The guards rely on some of gradio's internals: under another gradio release they
    must be checked again, so the module refuses to load there (WRITTEN_FOR)."""
    import gradio as gr

    from ui import gradio_private

    assert gradio_private.WRITTEN_FOR == gr.__version__
    requirements = (ROOT / "requirements.in").read_text()
    assert f"gradio[mcp]=={gradio_private.WRITTEN_FOR}" in requirements
    assert f"\ngradio=={gradio_private.WRITTEN_FOR} " in (ROOT / "requirements.txt").read_text()
    assert f"sdk_version: {gradio_private.WRITTEN_FOR}" in (ROOT / "README.md").read_text()
