"""The light check of a camera nobody is watching: can it be reached, without decoding a frame?

Decoding a stream only to learn that a camera is up would cost a connection and a decoder per camera
every few seconds (the old link monitor did that, to every camera, every 3 s). A TCP connect plus one
request line (RTSP ``OPTIONS``, HTTP ``HEAD``) tells a dead camera from a live one at almost no cost to
either side; a file is checked by its existence, a USB camera by its device node. The checks are
asyncio coroutines so that one thread can check hundreds of cameras, most of them perhaps unroutable,
without one slow address holding up the others.

The same check, with a ``GET``, explains a failed open in a duty officer's words: nothing listens
(``lost``), or something answers but is not a stream we can use (``error``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import sys
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from app.video.capture import file_path, usb_index

Verdict = Literal["live", "lost", "error"]
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
# Answers that mean "this address has no usable stream" even to a request with the right credentials.
UNUSABLE = {400: "bad request", 404: "no stream at this address", 410: "no stream at this address"}
DENIED = {401: "user name or password refused", 403: "access refused"}


@dataclass(frozen=True, slots=True)
class ProbeResult:
    verdict: Verdict
    reason: str = ""  # plain words when not live


def _ssl_context() -> ssl.SSLContext:
    """Cameras serve self-signed certificates; the check only asks whether something answers."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _request(method: str, scheme: str, host: str, path: str) -> bytes:
    """The one request line (credentials never leave in it: the check needs none)."""
    if scheme.startswith("rtsp"):
        target = f"{scheme}://{host}{path}"
        return f"OPTIONS {target} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: wardroom\r\n\r\n".encode()
    return f"{method} {path or '/'} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: wardroom\r\n\r\n".encode()


async def probe(url: str, timeout_s: float, *, method: str = "HEAD", strict: bool = False) -> ProbeResult:
    """Reachability of ``url`` within ``timeout_s``: ``live`` (it answers), ``lost`` or ``error``.

    ``strict`` (after a failed open, which sent the credentials) also counts 401/403 as ``error``;
    a light check does not send credentials, so for it a 401 still means "the camera is there".
    """
    path = file_path(url)
    if path is not None:
        if path.exists():
            return ProbeResult("live")
        return ProbeResult("lost", f"the file {path} does not exist")
    index = usb_index(url)
    if index is not None:
        if sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{index}"):
            return ProbeResult("lost", f"no USB camera at /dev/video{index} (unplugged?)")
        return ProbeResult("live")
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError as exc:
        return ProbeResult("error", f"the address is not valid ({exc})")
    host = parts.hostname
    if parts.scheme not in DEFAULT_PORTS or not host or port is None:
        return ProbeResult("error", "the address is not valid (expected rtsp://, http:// or a file)")
    where = f"{host}:{port}"
    tls = _ssl_context() if parts.scheme in ("https", "rtsps") else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    writer: asyncio.StreamWriter | None = None
    try:
        try:
            reader, stream = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=tls), timeout=max(0.05, deadline - loop.time())
            )
            writer = stream
        except ConnectionRefusedError:
            return ProbeResult("lost", f"nothing accepts connections at {where} (camera off or unplugged?)")
        except TimeoutError:
            return ProbeResult("lost", f"{where} did not answer within {timeout_s * 1000:.0f} ms")
        except OSError as exc:
            return ProbeResult("lost", f"{where} cannot be reached ({exc.strerror or exc})")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        stream.write(_request(method, parts.scheme, where, target))
        try:
            await asyncio.wait_for(stream.drain(), timeout=max(0.05, deadline - loop.time()))
            line = await asyncio.wait_for(reader.readline(), timeout=max(0.05, deadline - loop.time()))
        except TimeoutError:
            return ProbeResult("lost", f"{where} accepts connections but does not answer")
        except OSError as exc:
            return ProbeResult("lost", f"{where} dropped the connection ({exc.strerror or exc})")
        if not line:
            return ProbeResult("lost", f"{where} closed the connection without answering")
        words = line.decode("latin-1").split()
        if len(words) < 2 or not words[0].startswith(("HTTP/", "RTSP/")) or not words[1].isdigit():
            return ProbeResult("error", f"{where} answers, but not as a camera (not HTTP or RTSP)")
        code = int(words[1])
        if code in UNUSABLE:
            return ProbeResult("error", f"{where}: {UNUSABLE[code]} ({words[0].split('/')[0]} {code})")
        if strict and code in DENIED:
            return ProbeResult("error", f"{where}: {DENIED[code]} ({words[0].split('/')[0]} {code})")
        if strict and code >= 500 and code not in (501, 505):
            return ProbeResult("error", f"{where}: the camera reports an internal error ({code})")
        return ProbeResult("live")
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=0.2)


def explain_open_failure(url: str, timeout_ms: int, elapsed_s: float) -> ProbeResult:
    """Why an open failed, as ``lost`` or ``error`` with plain words (blocking, about 1 s at most).

    An open that ran into its timeout is ``lost`` at once (asking again would wait as long); a quick
    failure is checked with one ``GET``: nothing there is ``lost``, an answer means the camera is
    reached but its stream is unusable (``error``: wrong path, refused login, not a video).
    """
    if elapsed_s * 1000 >= 0.8 * timeout_ms:
        return ProbeResult("lost", f"could not be opened within {timeout_ms} ms (no answer)")
    result = asyncio.run(probe(url, min(1.0, timeout_ms / 1000), method="GET", strict=True))
    if result.verdict != "live":
        return result
    if file_path(url) is not None:
        return ProbeResult("error", "the file exists but is not a video that can be decoded")
    if usb_index(url) is not None:
        return ProbeResult("error", "the USB camera could not be opened (in use by another program?)")
    return ProbeResult("error", "the camera answers, but its stream could not be opened (unsupported?)")
