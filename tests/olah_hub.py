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
answers the commit API as the Hub does (create a repo, pre-upload, the Git LFS batch API
with its uploads for binary files, commit) by writing the files into the olah mirror as a
git commit, and sends every other request to olah itself.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from fnmatch import fnmatch
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


def reached(url: str) -> bool:
    """Whether a server answers ``url`` with any status."""
    try:
        httpx2.get(url, timeout=5)
        return True
    except httpx2.TransportError:
        return False


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
        from deploy.processes import reserve_port  # not at the top: see DATA_CACHE

        self.port = reserve_port()
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
        from deploy.processes import wait_until

        probe = f"{self.url}/api/models/none/none/revision/main"
        try:
            # olah answers an unknown repo with an error status: a connection is enough
            wait_until(lambda: reached(probe), START_TIMEOUT, "olah", 0.3, self.process)
        except AssertionError as error:
            self.__exit__()
            raise RuntimeError(f"{error}:\n{self.log.read_text()[-3000:]}") from None
        return self

    def __exit__(self, *exc) -> None:
        from deploy.processes import stop_group

        if self.process is not None:
            stop_group(self.process)

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
    """The Hub's commit API over the olah mirror, for huggingface_hub's client factory
    (see ``use_commit_api``), answered as the Hub answers it:

    - POST /api/repos/create: a repo as the Hub creates it; POST /api/validate-yaml;
    - POST /api/models/<repo>/preupload/<rev>: "lfs" for a binary file (one that the
      repo's .gitattributes sends to LFS, with a NUL byte in its sample, or over 10 MB),
      "regular" for text, whose bytes travel in the commit itself;
    - the Git LFS batch API (POST /<repo>.git/info/lfs/objects/batch, "basic" transfer):
      an upload and a verify action for each object not stored yet, none for one that
      is; the upload is a PUT of the bytes, refused unless their sha256 and size are the
      object's; the verify a POST that fails for an object never uploaded;
    - POST /api/models/<repo>/commit/<rev>: "file" entries carry their bytes, "lfsFile"
      entries name an uploaded object (a commit naming one never uploaded is refused);
      written into the mirror as a git commit, whose sha is the answer's commitOid.

    Every other request goes to olah (HF_ENDPOINT) over HTTP. ``received`` records each
    request answered here (method, path, authorization, body); LFS objects are kept
    under ``<mirrors>/../lfs-objects``."""

    def __init__(self, mirrors: Path):
        self.mirrors = mirrors
        self.objects = mirrors.parent / "lfs-objects"
        self.olah = httpx2.HTTPTransport()
        self.received: list[dict] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if request.method not in ("POST", "PUT"):
            return self.olah.handle_request(request)
        request.read()
        body = request.content
        asked = {"method": request.method, "path": path, "body": body}
        self.received.append({**asked, "authorization": request.headers.get("authorization")})
        if request.method == "PUT" and path.startswith("/lfs-upload/"):
            return self.lfs_upload(path.rsplit("/", 1)[1], body)
        if path == "/lfs-verify":
            return self.lfs_verify(json.loads(body))
        if path.endswith(".git/info/lfs/objects/batch"):
            origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
            return self.lfs_batch(origin, json.loads(body))
        if path == "/api/repos/create":
            asked = json.loads(body)  # name, organization, visibility (when asked), type
            repo_id = f"{asked['organization']}/{asked['name']}"
            create_repo(self.mirrors, repo_id)
            return httpx2.Response(200, json={"url": f"{endpoint(request)}/{repo_id}"})
        if path == "/api/validate-yaml":
            return httpx2.Response(200, json={"errors": [], "warnings": []})
        parts = path.split("/")  # "", api, models, namespace, name, verb, revision
        if len(parts) == 7 and parts[5] == "preupload":
            repo = create_repo(self.mirrors, f"{parts[3]}/{parts[4]}")
            files = json.loads(body)["files"]
            modes = [
                {"path": f["path"], "uploadMode": upload_mode(repo, f), "shouldIgnore": False}
                for f in files
            ]
            return httpx2.Response(200, json={"files": modes})
        if len(parts) == 7 and parts[5] == "commit":
            return self._commit(endpoint(request), f"{parts[3]}/{parts[4]}", body)
        return self.olah.handle_request(request)

    def lfs_batch(self, hub: str, asked: dict) -> httpx2.Response:
        assert asked["operation"] == "upload" and "basic" in asked["transfers"], asked
        objects = []
        for item in asked["objects"]:
            entry = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if not (self.objects / item["oid"]).is_file():
                entry["actions"] = {
                    "upload": {"href": f"{hub}/lfs-upload/{item['oid']}"},
                    "verify": {"href": f"{hub}/lfs-verify"},
                }
            objects.append(entry)
        return httpx2.Response(200, json={"transfer": "basic", "objects": objects})

    def lfs_upload(self, oid: str, data: bytes) -> httpx2.Response:
        if hashlib.sha256(data).hexdigest() != oid:
            return httpx2.Response(400, json={"error": "the bytes are not the object's sha256"})
        self.objects.mkdir(parents=True, exist_ok=True)
        (self.objects / oid).write_bytes(data)
        return httpx2.Response(200)

    def lfs_verify(self, asked: dict) -> httpx2.Response:
        stored = self.objects / asked["oid"]
        if not stored.is_file() or stored.stat().st_size != asked["size"]:
            return httpx2.Response(404, json={"error": f"no object {asked['oid']}"})
        return httpx2.Response(200, json={"oid": asked["oid"], "size": asked["size"]})

    def _commit(self, hub: str, repo_id: str, body: bytes) -> httpx2.Response:
        files, deleted, message = {}, [], "Upload"
        for line in body.decode().splitlines():
            entry = json.loads(line)
            value = entry["value"]
            if entry["key"] == "header":
                message = value.get("summary") or message
            elif entry["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif entry["key"] == "lfsFile":
                stored = self.objects / value["oid"]
                if value.get("algo") != "sha256" or not stored.is_file():
                    error = f"{value['path']}: LFS object {value['oid']} was never uploaded"
                    return httpx2.Response(422, json={"error": error})
                files[value["path"]] = stored.read_bytes()
            elif entry["key"] == "deletedFile":
                deleted.append(value["path"])
        sha = commit(self.mirrors, repo_id, files, deleted, message)
        url = f"{hub}/{repo_id}/commit/{sha}"
        return httpx2.Response(200, json={"commitUrl": url, "commitOid": sha})


def upload_mode(repo: Path, file: dict) -> str:
    """The Hub's upload mode for a file of a preupload request (path, sample, size):
    "lfs" for what the repo's .gitattributes sends to LFS, for binary bytes (a NUL in
    the sample, git's own test) and for files over 10 MB; "regular" otherwise."""
    patterns = [
        line.split()[0]
        for line in (repo / ".gitattributes").read_text().splitlines()
        if "filter=lfs" in line
    ]
    name = file["path"].rsplit("/", 1)[-1]
    binary = b"\0" in base64.b64decode(file.get("sample", ""))
    lfs = binary or file["size"] > 10 * 2**20 or any(fnmatch(name, p) for p in patterns)
    return "lfs" if lfs else "regular"


def endpoint(request: httpx2.Request) -> str:
    """The Hub's address a request was sent to (HF_ENDPOINT)."""
    return str(request.url).split("/api/", 1)[0]


def use_commit_api(mirrors: Path) -> CommitAPI:
    """Route this process's huggingface_hub through a ``CommitAPI`` on ``mirrors``, with
    the settings of its default client (redirects followed, no timeout); returns it.
    ``huggingface_hub.set_client_factory(httpx2.Client)`` undoes it.

    Uploads take the Hub's LFS path: hf_xet, where installed, would send the bytes to
    Xet storage through its own HTTP client, which no transport here can answer, so it
    is switched off as huggingface_hub documents (HF_HUB_DISABLE_XET)."""
    from huggingface_hub import constants, set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    os.environ["HF_HUB_DISABLE_XET"] = "1"
    constants.HF_HUB_DISABLE_XET = True  # read at each upload; set at import from the env
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
