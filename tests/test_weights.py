"""The weight store (checkout -> pinned Hub snapshot -> explanation), the Hub push and
the model-card writer, through the real huggingface_hub code paths, offline."""

import json

import httpx2
import pytest
from huggingface_hub import HfApi, ModelCard, ModelCardData, constants, set_client_factory

from core import weights
from core.weights import HubRepo, MissingWeights, resolve, write_manifest
from training import common

REVISION = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty checkout weights/ folder; returns a function adding sealed folders."""
    root = tmp_path / "weights"
    root.mkdir()
    monkeypatch.setattr(weights, "WEIGHTS_DIR", root)
    monkeypatch.setattr(weights, "REVISIONS_FILE", root / "hub_revisions.json")

    def add(experiment_id, files=None):
        folder = root / experiment_id
        folder.mkdir(parents=True)
        for name, text in (files or {"model.keras": "weights", "metrics.json": "{}"}).items():
            (folder / name).write_text(text)
        write_manifest(folder)
        return folder

    return add


def hub_snapshot(repo_id, revision, files):
    """Lay out a snapshot in the HF cache exactly as hf_hub_download would."""
    repo_folder = constants.HF_HUB_CACHE + "/models--" + repo_id.replace("/", "--")
    snapshot = f"{repo_folder}/snapshots/{revision}"
    import os

    os.makedirs(snapshot, exist_ok=True)
    for name, text in files.items():
        with open(f"{snapshot}/{name}", "w") as file:
            file.write(text)
    os.makedirs(f"{repo_folder}/refs", exist_ok=True)
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
    assert "python -m training.demo" in message and "no pinned revision" in message


def test_pinned_hub_snapshot_is_used_offline_when_the_checkout_lacks_weights(store, tmp_path):
    source = tmp_path / "made"
    source.mkdir()
    (source / "model.keras").write_text("from the hub")
    write_manifest(source)
    files = {p.name: p.read_text() for p in source.iterdir()}
    snapshot = hub_snapshot("ns/demo", REVISION, files)
    assert constants.HF_HUB_OFFLINE  # the download path runs with HF_HUB_OFFLINE=1

    folder = resolve("demo", HubRepo("ns/demo", REVISION))
    assert str(folder) == snapshot
    assert (folder / "model.keras").read_text() == "from the hub"


def test_corrupt_checkout_falls_back_to_the_pinned_hub_snapshot(store, tmp_path):
    local = store("demo", {"model.keras": "good"})
    (local / "model.keras").write_text("bad")
    hub_files = {"model.keras": "good"}
    snapshot = hub_snapshot("ns/demo", REVISION, hub_files)
    write_manifest(type(local)(snapshot))
    assert str(resolve("demo", HubRepo("ns/demo", REVISION))) == snapshot


def test_unknown_hub_revision_offline_is_reported_not_raised_raw(store):
    with pytest.raises(MissingWeights, match="ns/other@0123456"):
        resolve("other", HubRepo("ns/other", REVISION))


@pytest.fixture
def fake_hub():
    """A stand-in for the remote Hub behind huggingface_hub's own HTTP client."""
    received = {"files": {}, "requests": [], "authorization": set()}

    def remote(request):
        path = request.url.path
        received["requests"].append((request.method, path))
        received["authorization"].add(request.headers.get("authorization"))
        if path == "/api/repos/create":
            return httpx2.Response(200, json={"url": "https://hub.invalid/ns/x", "name": "ns/x"})
        if "/preupload/" in path:
            files = json.loads(request.content)["files"]
            modes = [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
            ]
            return httpx2.Response(200, json={"files": modes})
        if "/commit/" in path:
            import base64

            for line in request.content.decode().splitlines():
                entry = json.loads(line)
                if entry["key"] == "file":
                    value = entry["value"]
                    received["files"][value["path"]] = base64.b64decode(value["content"])
            oid = "f" * 40
            url = f"https://hub.invalid/ns/x/commit/{oid}"
            return httpx2.Response(200, json={"commitUrl": url, "commitOid": oid})
        return httpx2.Response(404, json={"error": "not here"})

    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(remote)))
    yield received
    set_client_factory(httpx2.Client)


def test_push_uploads_the_whole_folder_and_pins_the_revision(store, fake_hub, monkeypatch):
    folder = store("demo", {"model.keras": "weights", "metrics.json": '{"a": 1}'})
    monkeypatch.setattr(common, "REVISIONS_FILE", weights.REVISIONS_FILE)
    api = HfApi(token="hf_secret_token", endpoint="https://hub.invalid")

    oid = common.push("demo", folder, api=api)

    sent = {name: data for name, data in fake_hub["files"].items()}
    on_disk = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sent == on_disk  # model, metrics and the manifest, byte for byte
    assert ("POST", "/api/repos/create") in fake_hub["requests"]
    assert "Bearer hf_secret_token" in fake_hub["authorization"]
    assert oid == "f" * 40
    assert weights.hub_repo("demo").revision == oid


def test_model_card_has_hub_metadata_and_body(tmp_path):
    data = ModelCardData(license="mit", library_name="keras", datasets=["mnist"], tags=["x"])
    path = common.write_model_card(tmp_path, data, "# Title\nBody text")
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
