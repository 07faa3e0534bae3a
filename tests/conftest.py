"""Test setup shared by every test: an offline, private environment and one hub server
(the helpers that tests import are in tests/helpers.py).

The environment is set before gradio or huggingface_hub are imported: no telemetry, a
private HF cache and Gradio temp folder, and HF_HUB_OFFLINE=1 (nothing here may reach
the network).
"""

import os
import tempfile
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="hub-tests-"))
os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False",
    GRADIO_TEMP_DIR=str(SCRATCH / "gradio"),
    HF_HOME=str(SCRATCH / "hf"),
    HF_HUB_OFFLINE="1",
    HF_HUB_DISABLE_TELEMETRY="1",
    TF_CPP_MIN_LOG_LEVEL="2",
)
os.environ.pop("HF_TOKEN", None)
import pytest  # noqa: E402

# Tests marked here rather than one by one (pyproject.toml names the markers; `make
# test-fast` leaves both out): a test that starts servers, browsers or other processes of
# the hub is end-to-end (its module in E2E_MODULES, or a session hub or Hub-server fixture
# in its arguments); a test that trains, converts or runs other modules' commands is slow
# (its module in SLOW_MODULES, or marked @pytest.mark.slow where it stands).
E2E_MODULES = {
    "test_browser", "test_first_minute", "test_replicas", "test_readme_commands", "test_space",
    "test_hub_loop", "test_crowd", "test_hostile", "test_public", "test_mcp", "test_bad_input",
}  # fmt: skip
E2E_FIXTURES = {"hub_app", "hub_url", "hub_client", "olah"}
SLOW_MODULES = {"test_bench", "test_dependencies", "test_colab"}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__
        if module in E2E_MODULES or E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def hub_app():
    """The full hub, launched once on 127.0.0.1 for the whole session (in this process),
    with its MCP server on (python hub.py --mcp)."""
    from hub import build_hub, launch

    app = build_hub()
    launch(app, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, mcp_server=True)
    yield app
    app.close()


@pytest.fixture(scope="session")
def hub_url(hub_app):
    """The URL of the session's hub (``hub_app``)."""
    return hub_app.local_url


@pytest.fixture(scope="session")
def hub_client(hub_url):
    """A gradio_client.Client on the full hub (the server of ``hub_url``), with one SSL
    context for all its calls (README: "Calling an experiment from Python")."""
    import ssl

    from gradio_client import Client

    tls = ssl.create_default_context()
    return Client(hub_url, verbose=False, analytics_enabled=False, ssl_verify=tls)


@pytest.fixture(scope="session")
def olah(tmp_path_factory):
    """A real Hugging Face Hub server for downloads, one for the session: olah, offline,
    serving the git mirrors under ``olah.mirrors`` at ``olah.url`` (tests/olah_hub.py)."""
    from olah_hub import Olah

    with Olah(tmp_path_factory.mktemp("olah")) as server:
        yield server
