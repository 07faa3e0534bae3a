"""The weight store (checkout -> pinned Hub snapshot -> explanation), the Hub push and
the model-card writer, through the real huggingface_hub code paths, offline."""

import hashlib
import json
import uuid
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import HfApi, ModelCard, ModelCardData, constants, set_client_factory
from huggingface_hub.repocard import metadata_load
from huggingface_hub.utils._http import default_client_factory

from core import weights
from core.weights import MissingWeights, resolve, write_manifest
from training.common import cache, publish

REVISION = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty checkout weights/ folder and no pins; returns a function adding sealed
    folders."""
    root = tmp_path / "weights"
    root.mkdir()
    monkeypatch.setattr(weights, "WEIGHTS_DIR", root)
    monkeypatch.setattr(weights, "PINS_FILE", tmp_path / "hub_pins.json")

    def add(experiment_id, files=None):
        folder = root / experiment_id
        folder.mkdir(parents=True)
        for name, text in (files or {"model.keras": "weights", "metrics.json": "{}"}).items():
            (folder / name).write_text(text)
        write_manifest(folder)
        return folder

    return add


def hub_snapshot(repo_id, revision, files):
    """Lay out a sealed snapshot in the HF cache exactly as hf_hub_download would, and
    pin it; returns the snapshot folder."""
    repo_folder = Path(constants.HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo_folder / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (snapshot / name).write_text(text)
    write_manifest(snapshot)
    (repo_folder / "refs").mkdir(exist_ok=True)
    names = tuple(sorted(p.name for p in snapshot.iterdir()))
    weights.write_pin(repo_id.split("/")[1], weights.HubPin(repo_id, revision, names))
    return snapshot


def test_checkout_weights_are_served_when_the_manifest_matches(store):
    folder = store("demo")
    assert resolve("demo") == folder


def test_corrupt_checkout_file_is_refused(store):
    folder = store("demo")
    (folder / "model.keras").write_text("tampered")
    with pytest.raises(MissingWeights, match="does not match its sha256"):
        resolve("demo")


def test_missing_weights_explain_how_to_get_them(store):
    with pytest.raises(MissingWeights) as error:
        resolve("demo")
    message = str(error.value)
    assert "python -m training.demo" in message and "no Hub revision pinned" in message


def test_pinned_hub_snapshot_is_used_offline_when_the_checkout_lacks_weights(store):
    snapshot = hub_snapshot("ns/demo", REVISION, {"model.keras": "from the hub"})
    assert constants.HF_HUB_OFFLINE  # the download path runs with HF_HUB_OFFLINE=1
    folder = resolve("demo")
    assert folder == snapshot
    assert (folder / "model.keras").read_text() == "from the hub"


def test_a_pin_wins_over_the_checkout_copy(store):
    store("demo", {"model.keras": "the checkout's"})
    snapshot = hub_snapshot("ns/demo", REVISION, {"model.keras": "the pinned one"})
    assert resolve("demo") == snapshot


def test_unreachable_pin_falls_back_to_the_checkout_or_says_why(store):
    weights.write_pin("other", weights.HubPin("ns/other", REVISION, ("model.keras",)))
    with pytest.raises(MissingWeights, match="ns/other@0123456"):
        resolve("other")
    folder = store("other")
    assert resolve("other") == folder


@pytest.fixture
def hub(olah, monkeypatch):
    """The Hub as a push meets it: olah (repo info, file trees, downloads) behind
    ``CommitAPI`` (create, pre-upload, the LFS batch API and its uploads, commit), reached
    through huggingface_hub's own HTTP client. Loopback only, so offline mode is lifted
    for the test."""
    from olah_hub import use_commit_api

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)  # use_commit_api sets it
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "0")
    monkeypatch.setattr(publish, "HUB_NAMESPACE", f"push-{uuid.uuid4().hex[:8]}")  # a new repo
    yield olah, use_commit_api(olah.mirrors)
    set_client_factory(default_client_factory)


def commit_entries(transport) -> dict[str, dict[str, dict]]:
    """The entries of every commit the transport received: key -> path -> value."""
    entries: dict[str, dict[str, dict]] = {}
    for request in transport.received:
        if "/commit/" in request["path"]:
            for line in request["body"].decode().splitlines():
                entry = json.loads(line)
                if "path" in entry["value"]:
                    entries.setdefault(entry["key"], {})[entry["value"]["path"]] = entry["value"]
    return entries


@pytest.fixture
def tiny_keras_folder(tmp_path):
    """A weights folder as training writes it: a small Keras model, metrics, a card."""
    import keras

    folder = tmp_path / "digits_recognition_cnn"
    folder.mkdir()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.save(folder / "model.keras")
    (folder / "metrics.json").write_text('{"test_accuracy": 0.991}')
    data = ModelCardData(license="mit", library_name="keras", tags=["digits"])
    publish.write_model_card(folder, data, "# Digits\nA card.")
    write_manifest(folder)
    return folder, model


def test_push_uploads_keras_hub_layout_deletes_stale_files_and_pins(
    store, hub, tiny_keras_folder, tmp_path, monkeypatch
):
    from olah_hub import commit, git

    olah, transport = hub
    folder, model = tiny_keras_folder
    (tmp_path / "README.md").write_text((publish.ROOT / "README.md").read_text())
    monkeypatch.setattr(publish, "ROOT", tmp_path)  # README front matter written there
    repo_id = f"{publish.HUB_NAMESPACE}/digits_recognition_cnn"
    commit(olah.mirrors, repo_id, {"stale.bin": b"an old file"})  # on the Hub already
    api = HfApi(token="hf_secret_token", endpoint=olah.url)

    pin = publish.push("digits_recognition_cnn", folder, api=api)

    mirror = olah.mirrors / "models" / repo_id
    assert pin.revision == git(mirror, "rev-parse", "HEAD")
    pushed = set(git(mirror, "ls-files").splitlines()) - {".gitattributes"}
    sent = {name: (mirror / name).read_bytes() for name in pushed}
    # Keras' own Hub layout instead of the zipped model.keras; the manifest covers it.
    assert {"config.json", "metadata.json", "model.weights.h5"} <= set(sent)
    assert "model.keras" not in sent and "stale.bin" not in sent  # gone locally, so gone
    listed = {line.split()[1] for line in sent["SHA256SUMS"].decode().splitlines()}
    assert listed == set(sent) - {"SHA256SUMS"}
    # The binary weights went the Hub's LFS way: batch, upload, verify, then named in the
    # commit by their sha256; the text files travelled inside the commit.
    asked = [(r["method"], r["path"]) for r in transport.received]
    weights_oid = hashlib.sha256(sent["model.weights.h5"]).hexdigest()
    assert ("PUT", f"/lfs-upload/{weights_oid}") in asked
    assert ("POST", "/lfs-verify") in asked
    assert any(path.endswith(".git/info/lfs/objects/batch") for _, path in asked)
    entries = commit_entries(transport)
    assert entries["lfsFile"]["model.weights.h5"]["oid"] == weights_oid
    assert {"README.md", "SHA256SUMS", "config.json"} <= set(entries["file"])
    assert set(entries["deletedFile"]) == {"stale.bin"}
    card = ModelCard(sent["README.md"].decode())
    (result,) = card.data.eval_results
    assert result.metric_type == "test_accuracy" and result.metric_value == 0.991
    assert f'keras.saving.load_model("hf://{pin.repo_id}")' in card.text
    create = next(r for r in transport.received if r["path"] == "/api/repos/create")
    assert json.loads(create["body"])["visibility"] == "public"  # preload_from_hub reads it
    assert create["authorization"] == "Bearer hf_secret_token"
    # The new pin is recorded, and README's front matter preloads exactly it.
    assert weights.pins()["digits_recognition_cnn"] == pin
    front = metadata_load(tmp_path / "README.md")
    assert front["models"] == [pin.repo_id]
    assert front["preload_from_hub"] == [f"{pin.repo_id} {','.join(pin.files)} {pin.revision}"]
    # olah serves the pushed weights at the pinned revision, byte for byte.
    downloaded = api.hf_hub_download(
        pin.repo_id, "model.weights.h5", revision=pin.revision, cache_dir=tmp_path / "cache"
    )
    assert Path(downloaded).read_bytes() == sent["model.weights.h5"]

    # What was uploaded loads with Keras as hf://<repo> would, to the same predictions.
    pushed = tmp_path / "pushed"
    pushed.mkdir()
    for name, data in sent.items():
        (pushed / name).parent.mkdir(parents=True, exist_ok=True)
        (pushed / name).write_bytes(data)
    import keras

    loaded = keras.saving.load_model(pushed, compile=False)
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)


def test_hub_layout_keeps_every_member_of_the_keras_archive(tmp_path):
    """A model whose state lives in assets/ (an adapted StringLookup's vocabulary) is
    pushed with it, and what is pushed loads to the same outputs."""
    import keras

    folder = tmp_path / "digits_recognition_cnn"
    folder.mkdir()
    lookup = keras.layers.StringLookup()
    lookup.adapt(["rock", "paper", "scissors", "paper"])
    model = keras.Sequential([keras.Input((1,), dtype="string"), lookup])
    model.save(folder / "model.keras")
    (folder / "metrics.json").write_text('{"test_accuracy": 0.5}')

    staging = tmp_path / "staging"
    files = publish.hub_layout("digits_recognition_cnn", folder, staging, "ns/x")

    assert any(name.startswith("assets/") for name in files), files
    assert "model.keras" not in files and "config.json" in files
    weights.verify_manifest(staging)
    loaded = keras.saving.load_model(staging, compile=False)
    words = np.array([["paper"], ["scissors"], ["lizard"]])
    np.testing.assert_array_equal(loaded(words), model(words))


def test_readme_front_matter_preloads_exactly_the_committed_pins():
    front = metadata_load(publish.ROOT / "README.md")
    pinned = weights.pins()
    assert sorted(front.get("models", [])) == sorted({p.repo_id for p in pinned.values()})
    expected = [f"{p.repo_id} {','.join(p.files)} {p.revision}" for p in pinned.values()]
    assert front.get("preload_from_hub", []) == expected


def test_model_card_has_hub_metadata_and_body(tmp_path):
    data = ModelCardData(license="mit", library_name="keras", datasets=["mnist"], tags=["x"])
    path = publish.write_model_card(tmp_path, data, "# Title\nBody text")
    card = ModelCard.load(path)
    assert card.data.library_name == "keras" and card.data.datasets == ["mnist"]
    assert "Body text" in card.text


def test_shipped_weights_folders_verify_and_fit_the_budget():
    folders = [f for f in weights.WEIGHTS_DIR.iterdir() if f.is_dir()]
    assert folders, "weights/ holds no trained models"
    total = 0
    for folder in folders:
        weights.verify_manifest(folder)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        assert size <= 20 * 2**20, f"{folder.name} is over the 20 MB budget"
        total += size
    assert total <= 80 * 2**20


def test_prepared_arrays_are_cached_per_code_and_arguments(tmp_path, monkeypatch):
    # training.common.cache.cached_arrays: one file per (source of the code, arguments); a new
    # argument or an edited function prepares the data anew, the same ones read the file.
    monkeypatch.setattr(cache, "CACHE", tmp_path)
    calls = []

    def make(count: int) -> dict:
        calls.append(count)
        return {"x": np.arange(count)}

    def helper():
        return 1

    first = cache.cached_arrays("demo", make, (helper,), count=3)
    again = cache.cached_arrays("demo", make, (helper,), count=3)
    np.testing.assert_array_equal(first["x"], again["x"])
    assert calls == [3]
    cache.cached_arrays("demo", make, (helper,), count=4)
    assert calls == [3, 4]

    def helper():  # noqa: F811 - the same name, edited: another key
        return 2

    cache.cached_arrays("demo", make, (helper,), count=3)
    assert calls == [3, 4, 3]
    files = sorted(path.name for path in (tmp_path / "arrays").iterdir())
    assert len(files) == 3 and all(f.startswith(f"demo-v{cache.ARRAYS_VERSION}-") for f in files)


@pytest.mark.parametrize(
    "experiment_id",
    ["digits_recognition_cnn", "numbers_summation_rnn", "text_generation_shakespeare_rnn"],
)
def test_card_templates_write_the_shipped_cards(experiment_id):
    # training/cards/<template>.md, filled with the shipped metrics.json, is the shipped
    # card: publish() writes what the training modules wrote by hand before.
    import importlib

    from core.experiments import BY_ID

    module = importlib.import_module(f"training.{experiment_id}")
    metrics = json.loads((weights.WEIGHTS_DIR / experiment_id / "metrics.json").read_text())
    if experiment_id.startswith("digits"):
        template, values = "digits_recognition", {"title": BY_ID[experiment_id].title}
    elif experiment_id.startswith("numbers"):
        template, values = "numbers_summation_rnn", module.card_values()
    else:
        from training.text_generation import card_values

        template, values = "text_generation", card_values(module.CONFIG, metrics)
    body = (publish.CARDS / f"{template}.md").read_text().format(m=metrics, **values)
    shipped = ModelCard.load(weights.WEIGHTS_DIR / experiment_id / "README.md").text
    assert body.strip() == shipped.strip()
