"""The hub's front door: one ASGI middleware (gradio's public ``launch(app_kwargs=...)``
takes FastAPI's ``middleware``) that every request passes before gradio reads it.

- **bodies**: a request body over ``max_body`` bytes is refused with HTTP 413, counted
  as its bytes arrive, whatever its Content-Length or Transfer-Encoding says. Every
  JSON body (and so every ``data:`` URL inside one) and every upload form is capped
  where it arrives; gradio's own ``max_file_size`` covers uploaded files only.
- **host**: the URLs gradio writes (the API page's snippets, ``/config``'s root, file
  links) come from the request's Host, X-Forwarded-Host, X-Forwarded-Proto and
  X-Gradio-Server headers. The last three are dropped unless the request comes from a
  trusted proxy (HUB_TRUSTED_PROXIES). Host stays what the visitor sent (the page's own
  links must match the address its browser used, behind any proxy) except where
  gradio keeps the answer for everybody: the API description (``/gradio_api/info``,
  cached with its first caller's snippets, also by ``/gradio_api/call/v2``), where
  Host becomes the address the visitor connected to (the server's own socket). A
  configured public URL (``launch(root_path=...)``, see ``public_root``) takes
  precedence over all of them in gradio.
- **addresses**: each request carries its visitor's address to gradio (RELAY), also
  through gradio's MCP server, whose calls reach the queue from this machine.
- **disk**: uploads per address per hour, and the upload folder's total, are capped
  (``UploadQuota``; HTTP 413 with the limit).
- **uploads**: an upload form gradio cannot read (a file part named "") gets HTTP 400
  with what to send (gradio: an unhandled TypeError, a 500).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import time
from pathlib import Path

# Headers gradio builds URLs from, and which only a trusted proxy may set.
PROXY_HEADERS = (b"x-forwarded-host", b"x-forwarded-proto", b"x-gradio-server")
# The visitor's address, as FrontDoor found it, with a secret of this process: gradio's
# MCP server calls the hub's own queue with the MCP caller's headers (one gradio_client,
# from this machine), so this header carries the caller's address into that call.
RELAY = b"x-hub-visitor"
_RELAY_SECRET = secrets.token_hex(16)


def trusted_proxies() -> set[str]:
    """HUB_TRUSTED_PROXIES: the comma-separated addresses of the proxies in front of the
    hub (e.g. HAProxy's); empty (the default): X-Forwarded-* headers are ignored."""
    found = set()
    for part in os.environ.get("HUB_TRUSTED_PROXIES", "").split(","):
        if part.strip():
            found.add(str(ipaddress.ip_address(part.strip())))
    return found


def normal_address(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def visitor_address(peer: str | None, forwarded: str) -> str | None:
    """Who sent a request: its direct peer, or, when that peer is a trusted proxy, the
    last address of X-Forwarded-For (the one the proxy appended; those before it are
    whatever the visitor claimed)."""
    if peer and forwarded and normal_address(peer) in trusted_proxies():
        last = forwarded.split(",")[-1].strip()
        if last:
            return normal_address(last)
    return normal_address(peer) if peer else None


def visitor_of(request) -> str:
    """Who sent a starlette Request or gr.Request: the address FrontDoor relayed (an MCP
    call's caller, through gradio's loopback), else ``visitor_address`` ("unknown")."""
    if request is None:
        return "unknown"
    relayed = relayed_address(request.headers.get(RELAY.decode(), ""))
    if relayed:
        return relayed
    peer = getattr(getattr(request, "client", None), "host", None)
    return visitor_address(peer, request.headers.get("x-forwarded-for", "")) or "unknown"


def relayed_address(value: str) -> str | None:
    """The address in a RELAY header value made by this process, else None."""
    secret, _, address = value.partition(" ")
    return address if address and secrets.compare_digest(secret, _RELAY_SECRET) else None


def public_root() -> str | None:
    """The hub's public URL, for ``launch(root_path=...)``: HUB_ROOT_URL, else on a
    Hugging Face Space its own address (SPACE_HOST); None: the server's own address."""
    if os.environ.get("HUB_ROOT_URL"):
        return os.environ["HUB_ROOT_URL"]
    if os.environ.get("SYSTEM") == "spaces" and os.environ.get("SPACE_HOST"):
        return f"https://{os.environ['SPACE_HOST']}"
    return None


UPLOAD = "/gradio_api/upload"
SHARED_INFO = "/gradio_api/info"  # gradio caches its first answer for everybody
CALL_V2 = "/gradio_api/call/v2/"  # which fills that cache when it is empty
BAD_UPLOAD = (
    "This upload could not be read: send a multipart form whose `files` parts each carry "
    "a file with a name (gradio_client: handle_file(path))."
)


def body_too_large(max_body: int) -> str:
    return (
        f"This request's body is over {max_body / 1024 / 1024:g} MB, the limit for one "
        "request (a file or a data: URL inside it included): send a smaller one."
    )


class UploadQuota:
    """Upload bytes per address per hour, and the upload folder's total: ``refusal``
    says why the next upload is refused (or None), ``record`` counts one that was kept."""

    def __init__(self, per_hour: int, folder_total: int):
        self.per_hour = per_hour
        self.folder_total = folder_total
        self.uploads: dict[str, list[tuple[float, int]]] = {}  # address -> (time, bytes)
        self.folder = (0.0, 0)  # (time measured, bytes)

    def refusal(self, address: str) -> str | None:
        now = time.monotonic()
        recent = [(t, n) for t, n in self.uploads.get(address, []) if now - t < 3600]
        self.uploads[address] = recent
        if sum(n for _, n in recent) >= self.per_hour:
            return (
                f"Too many uploads from your address: the limit is {self.per_hour >> 20} MB "
                "an hour, shared by everyone behind it. Try again later."
            )
        if self.folder_bytes(now) >= self.folder_total:
            return (
                f"The server's upload folder is full ({self.folder_total >> 20} MB for "
                "everybody; files are deleted an hour after upload). Try again later."
            )
        return None

    def record(self, address: str, size: int) -> None:
        self.uploads.setdefault(address, []).append((time.monotonic(), size))
        measured_at, total = self.folder
        self.folder = (measured_at, total + size)

    def folder_bytes(self, now: float) -> int:
        """gradio's upload folder's size, measured at most every 10 s (counted between)."""
        measured_at, total = self.folder
        if now - measured_at > 10:
            from ui.gradio_private import get_upload_folder

            files = Path(get_upload_folder()).rglob("*")
            total = sum(f.stat().st_size for f in files if f.is_file())
            self.folder = (now, total)
        return total


class FrontDoor:
    """ASGI middleware: see the module's docstring. ``FrontDoor(app, max_body=bytes,
    uploads=UploadQuota(...))``."""

    def __init__(self, app, max_body: int, uploads: UploadQuota):
        self.app = app
        self.max_body = max_body
        self.uploads = uploads

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers, address = self.headers(scope)
        scope = {**scope, "headers": headers}
        declared = dict(headers).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            return await self.answer(send, 413, body_too_large(self.max_body))
        upload = scope["method"] == "POST" and scope["path"].endswith(UPLOAD)
        refusal = self.uploads.refusal(address) if upload else None
        if refusal:
            return await self.answer(send, 413, refusal)
        state = {"received": 0, "over": False, "status": None}

        async def counted():
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_body:
                    state["over"] = True  # gradio sees a client that went away
                    return {"type": "http.disconnect"}
            return message

        async def sent(message):
            if not state["over"]:
                state["status"] = state["status"] or message.get("status")
                await send(message)

        try:
            await self.app(scope, counted, sent)
        except Exception:
            if not state["over"] and (state["status"] or not upload):
                raise
            if not state["over"]:  # gradio's upload route: a 500 for a part it cannot read
                return await self.answer(send, 400, BAD_UPLOAD)
        if state["over"] and not state["status"]:
            await self.answer(send, 413, body_too_large(self.max_body))
        if upload and state["status"] == 200:
            self.uploads.record(address, state["received"])

    def headers(self, scope) -> tuple[list[tuple[bytes, bytes]], str]:
        """The request's headers, Host pinned to the server's own address where gradio
        shares the answer, the proxy headers kept only from a trusted proxy, the
        visitor's address relayed; and that address."""
        peer = (scope.get("client") or (None,))[0]
        trusted = bool(peer) and normal_address(peer) in trusted_proxies()
        given = dict(scope["headers"])
        relayed = relayed_address(given.get(RELAY, b"").decode("latin-1"))
        forwarded = given.get(b"x-forwarded-for", b"").decode("latin-1")
        address = relayed or visitor_address(peer, forwarded) or "unknown"
        path = scope["path"].rstrip("/")
        shared = path.endswith(SHARED_INFO) or f"{SHARED_INFO}/" in path or CALL_V2 in path
        kept = [
            (name, value)
            for name, value in scope["headers"]
            if name != RELAY
            and not (shared and name == b"host")
            and (trusted or name not in PROXY_HEADERS)
        ]
        kept.append((RELAY, f"{_RELAY_SECRET} {address}".encode()))
        server = scope.get("server")
        if shared and server and server[1] is not None:
            host = server[0] if ":" not in server[0] else f"[{server[0]}]"
            kept.append((b"host", f"{host}:{server[1]}".encode()))
        return kept, address

    async def answer(self, send, status: int, message: str) -> None:
        """Answer the request with ``status`` and ``{"detail": message}``."""
        body = json.dumps({"detail": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
