"""A local HTTP server that speaks the Hugging Face Hub's download API, for tests.

It serves model repos from folders on disk, each commit a folder, on 127.0.0.1; point
``HF_ENDPOINT`` at it and huggingface_hub downloads from it as from the Hub:
``GET /api/models/<repo>/revision/<rev>`` (repo info with its files),
``GET /api/models/<repo>/tree/<rev>`` (the files with their sizes) and
``HEAD|GET /<repo>/resolve/<rev>/<file>`` (a file, with the commit and etag headers).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/revision/(?P<rev>[^/]+)$")
TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(/.*)?$")
RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")


@dataclass
class Repo:
    """A repo's commits, oldest first: (commit sha, folder holding that commit's files)."""

    commits: list[tuple[str, Path]] = field(default_factory=list)

    def find(self, revision: str) -> tuple[str, Path] | None:
        if revision == "main":
            return self.commits[-1] if self.commits else None
        return next((c for c in self.commits if c[0] == revision), None)


class HubServer:
    """``with HubServer() as hub: hub.push(repo_id, folder) -> sha; hub.url``."""

    def __init__(self):
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []  # "METHOD path", in order
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def push(self, repo_id: str, folder: Path) -> str:
        """Add ``folder`` as a new commit of ``repo_id`` and return the commit's sha."""
        digest = hashlib.sha1(repo_id.encode())
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
        repo = self.repos.setdefault(repo_id, Repo())
        digest.update(str(len(repo.commits)).encode())
        sha = digest.hexdigest()
        repo.commits.append((sha, folder))
        return sha

    def __enter__(self) -> HubServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"{self.command} {path}")
                if match := INFO.match(path):
                    self._info(match["repo"], match["rev"], body)
                elif match := TREE.match(path):
                    self._tree(match["repo"], match["rev"], body)
                elif match := RESOLVE.match(path):
                    self._file(match["repo"], match["rev"], match["file"], body)
                else:
                    self._error(404, "EntryNotFound", body)

            def _commit(self, repo_id: str, revision: str, body: bool):
                repo = hub.repos.get(repo_id)
                if repo is None:
                    self._error(404, "RepoNotFound", body)
                    return None
                commit = repo.find(revision)
                if commit is None:
                    self._error(404, "RevisionNotFound", body)
                return commit

            def _info(self, repo_id: str, revision: str, body: bool) -> None:
                commit = self._commit(repo_id, revision, body)
                if commit is None:
                    return
                sha, folder = commit
                files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
                info = {
                    "id": repo_id,
                    "modelId": repo_id,
                    "sha": sha,
                    "private": False,
                    "siblings": [{"rfilename": f} for f in files if (folder / f).is_file()],
                }
                self._send(
                    200, json.dumps(info).encode(), {"Content-Type": "application/json"}, body
                )

            def _tree(self, repo_id: str, revision: str, body: bool) -> None:
                commit = self._commit(repo_id, revision, body)
                if commit is None:
                    return
                _, folder = commit
                entries = []
                for path in sorted(folder.rglob("*")):
                    name = path.relative_to(folder).as_posix()
                    if path.is_dir():
                        entries.append({"type": "directory", "path": name, "oid": "0" * 40})
                        continue
                    data = path.read_bytes()
                    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
                    entries.append({"type": "file", "path": name, "size": len(data), "oid": blob})
                self._send(
                    200, json.dumps(entries).encode(), {"Content-Type": "application/json"}, body
                )

            def _file(self, repo_id: str, revision: str, name: str, body: bool) -> None:
                commit = self._commit(repo_id, revision, body)
                if commit is None:
                    return
                sha, folder = commit
                path = folder / name
                if not path.is_file():
                    self._error(404, "EntryNotFound", body)
                    return
                data = path.read_bytes()
                headers = {
                    "X-Repo-Commit": sha,
                    "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                    "Content-Type": "application/octet-stream",
                }
                self._send(200, data, headers, body)

            def _json(self, value, body: bool) -> None:
                self._send(
                    200, json.dumps(value).encode(), {"Content-Type": "application/json"}, body
                )

            def _error(self, status: int, code: str, body: bool) -> None:
                message = json.dumps({"error": code}).encode()
                self._send(status, message, {"X-Error-Code": code}, body)

            def _send(self, status: int, data: bytes, headers: dict, body: bool) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

        return Handler
