"""A real Hugging Face Hub server for the tests' downloads: olah (PyPI ``olah``, a
self-hosted Hub mirror), in offline mode, serving model repos from local git mirrors.

olah runs in a virtual environment of its own (its pins clash with gradio's), installed
once with pip from its lock (tests/olah-requirements.txt) and kept outside the repo, under
the data cache (``olah-venv-<lock checksum>-py<XY>``), so a second test run starts it at
once. Each repo is a git repository ``<mirrors>/models/<namespace>/<name>`` on branch
``main``; olah answers the Hub's download API from it: repo info, file trees, ``resolve``
with redirects, the commit and etag headers, and the Hub's own errors (401 for an unknown
repo, 404 for an unknown revision or file).

No local server implements the Hub's commit API, so uploads are tested at the HTTP
boundary: ``CommitAPI`` is an httpx transport for huggingface_hub's client factory that
answers the commit API (create a repo, pre-upload, commit) by writing the files into the
olah mirror as a git commit, and sends every other request to olah itself.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

LOCK = Path(__file__).with_name("olah-requirements.txt")  # olah==0.5.4 and what it needs
# training.common.CACHE, not imported: this module also runs from the Colab test's
# sitecustomize, in processes where the repository is not on sys.path.
DATA_CACHE = Path(os.environ.get("HUB_DATA_CACHE", Path.home() / ".cache" / "ml-experiments-hub"))
LOCK_SUM = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
VENV = DATA_CACHE / f"olah-venv-{LOCK_SUM}-py{sys.version_info[0]}{sys.version_info[1]}"
START_TIMEOUT = 120  # seconds
# What the Hub writes into a new repo (its first commit), abridged.
GITATTRIBUTES = "".join(
    f"*.{kind} filter=lfs diff=lfs merge=lfs -text\n" for kind in ("h5", "keras", "png")
)
GIT_IDENTITY = ["-c", "user.name=ml-experiments-hub tests", "-c", "user.email=tests@invalid"]


def olah_cli() -> Path:
    """olah's command in its own virtual environment, installed once (pip, from the lock)
    and kept; one that does not import olah (half made, or its Python gone) is
    made again. A file lock keeps two test runs from installing at once."""
    python = VENV / "bin" / "python"
    DATA_CACHE.mkdir(parents=True, exist_ok=True)
    with open(VENV.with_name(VENV.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        works = [str(python), "-c", "import olah.server"]
        if not python.exists() or subprocess.run(works, capture_output=True).returncode:
            shutil.rmtree(VENV, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            pip = [str(python), "-m", "pip", "install", "--quiet", "--require-hashes"]
            subprocess.run([*pip, "-r", str(LOCK)], check=True)
    return VENV / "bin" / "olah-cli"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def git(repo: Path, *args: str) -> str:
    run = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return run.stdout.strip()


def create_repo(mirrors: Path, repo_id: str) -> Path:
    """A model repo as the Hub creates it: branch main, one commit with .gitattributes."""
    repo = mirrors / "models" / repo_id
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "--quiet", "--initial-branch=main")
        (repo / ".gitattributes").write_text(GITATTRIBUTES)
        git(repo, "add", "-A")
        git(repo, "commit", "--quiet", "-m", "initial commit")
    return repo


def commit(
    mirrors: Path,
    repo_id: str,
    files: dict[str, bytes],
    deleted: list[str] = (),
    message: str = "Upload",
    replace: bool = False,
) -> str:
    """Write ``files`` (and delete ``deleted``, or with ``replace`` every other file but
    .gitattributes) as a new commit on main of ``repo_id``'s mirror; its 40-hex sha."""
    repo = create_repo(mirrors, repo_id)
    if replace:
        tracked = git(repo, "ls-files").splitlines()
        deleted = [name for name in tracked if name != ".gitattributes" and name not in files]
    for name in deleted:
        (repo / name).unlink(missing_ok=True)
    for name, data in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def commit_folder(mirrors: Path, repo_id: str, folder: Path, message: str = "Upload") -> str:
    """``folder``'s files, and nothing else, as a new commit of ``repo_id``."""
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    return commit(mirrors, repo_id, files, message=message, replace=True)


class Olah:
    """olah serving the mirrors under ``root/mirrors`` on 127.0.0.1 (a random free port),
    offline: ``with Olah(root) as hub: commit_folder(hub.mirrors, ...); hub.url``."""

    def __init__(self, root: Path):
        self.root = root
        self.mirrors = root / "mirrors"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "olah.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Olah:
        cli = olah_cli()
        self.mirrors.mkdir(parents=True, exist_ok=True)
        config = self.root / "olah.toml"
        config.write_text(
            "[basic]\n"
            'host = "127.0.0.1"\n'
            f"port = {self.port}\n"
            f'repos-path = "{self.root / "cache"}"\n'
            f'mirrors-path = ["{self.mirrors}"]\n'
            "[accessibility]\n"
            "offline = true\n"
        )
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [str(cli), "-c", str(config), "--log-path", str(self.root / "logs")],
                cwd=self.root,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its log, line by line
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"olah exited:\n{self.log.read_text()[-3000:]}")
            try:
                httpx2.get(f"{self.url}/api/models/none/none/revision/main", timeout=5)
                return self
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    log = self.log.read_text()[-3000:]
                    raise RuntimeError(f"olah did not start:\n{log}") from None
                time.sleep(0.3)

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)

    def requests(self) -> list[str]:
        """Every request olah answered so far, as "METHOD /path?query STATUS"."""
        found = []
        for line in self.log.read_text().splitlines():
            if ' - "' in line and "HTTP/1.1" in line:
                request, status = line.split(' - "', 1)[1].split('" ', 1)
                method, path, _ = request.split(" ")
                found.append(f"{method} {path} {status.split()[0]}")
        return found


class CommitAPI(httpx2.BaseTransport):
    """The Hub's commit API over the olah mirror, for huggingface_hub's client factory:
    ``set_client_factory(lambda: httpx2.Client(transport=CommitAPI(mirrors)))``.

    Answers POST /api/repos/create (a repo as the Hub creates it), POST
    /api/validate-yaml, POST /api/models/<repo>/preupload/<rev> (every file "regular": its
    bytes travel in the commit) and POST /api/models/<repo>/commit/<rev> (written into
    the mirror as a git commit, whose sha is the answer's commitOid); every other request
    goes to olah (HF_ENDPOINT) over HTTP. ``received`` records what was asked."""

    def __init__(self, mirrors: Path):
        self.mirrors = mirrors
        self.olah = httpx2.HTTPTransport()
        self.received: list[dict] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if request.method != "POST":
            return self.olah.handle_request(request)
        request.read()
        body = request.content
        self.received.append(
            {"path": path, "authorization": request.headers.get("authorization"), "body": body}
        )
        if path == "/api/repos/create":
            asked = json.loads(body)  # name, organization, visibility (when asked), type
            repo_id = f"{asked['organization']}/{asked['name']}"
            create_repo(self.mirrors, repo_id)
            return httpx2.Response(200, json={"url": f"{endpoint(request)}/{repo_id}"})
        if path == "/api/validate-yaml":
            return httpx2.Response(200, json={"errors": [], "warnings": []})
        parts = path.split("/")  # "", api, models, namespace, name, verb, revision
        if len(parts) == 7 and parts[5] == "preupload":
            files = json.loads(body)["files"]
            modes = [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
            ]
            return httpx2.Response(200, json={"files": modes})
        if len(parts) == 7 and parts[5] == "commit":
            return self._commit(endpoint(request), f"{parts[3]}/{parts[4]}", body)
        return self.olah.handle_request(request)

    def _commit(self, hub: str, repo_id: str, body: bytes) -> httpx2.Response:
        files, deleted, message = {}, [], "Upload"
        for line in body.decode().splitlines():
            entry = json.loads(line)
            value = entry["value"]
            if entry["key"] == "header":
                message = value.get("summary") or message
            elif entry["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif entry["key"] == "deletedFile":
                deleted.append(value["path"])
        sha = commit(self.mirrors, repo_id, files, deleted, message)
        url = f"{hub}/{repo_id}/commit/{sha}"
        return httpx2.Response(200, json={"commitUrl": url, "commitOid": sha})


def endpoint(request: httpx2.Request) -> str:
    """The Hub's address a request was sent to (HF_ENDPOINT)."""
    return str(request.url).split("/api/", 1)[0]


def use_commit_api(mirrors: Path) -> CommitAPI:
    """Route this process's huggingface_hub through a ``CommitAPI`` on ``mirrors``, with
    the settings of its default client (redirects followed, no timeout); returns it.
    ``huggingface_hub.set_client_factory(httpx2.Client)`` undoes it."""
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    transport = CommitAPI(mirrors)
    default = default_client_factory()
    set_client_factory(
        lambda: httpx2.Client(
            transport=transport,
            event_hooks=default.event_hooks,
            follow_redirects=True,
            timeout=None,
        )
    )
    return transport
