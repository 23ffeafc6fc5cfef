"""One supervised grabber per camera stream: keeps the newest masked frame and an honest state.

A reader thread opens the stream (named open/read timeouts, per-camera RTSP transport), reads as fast
as frames come, masks each one and overwrites a single slot, so consumers never see a queue and never
fall behind live. Its state follows what the reads show:

``connecting`` until the first frame · ``live`` · ``stalled`` (opened, no frame for ``stall_s``: found
by the hub's supervisor, since a reader blocked in FFmpeg cannot report it) · ``lost`` (cannot be
reached or opened) · ``error`` (reached but unusable). Between tries the reader waits 0.5 s doubling to
2 s, so a camera that returns is shown again within seconds; after a loss it stays ``lost`` while it
retries (no ``connecting`` flicker that would restart the alarm engine's video-lost delay).

FFmpeg's own timeouts normally end a blocked call; if one does not (a read stuck past its timeout plus
a margin), the supervisor *abandons* that reader: a new thread takes over at once and the old one, when
its call finally returns, sees it has been replaced, releases its capture and ends. At most
``MAX_ABANDONED`` abandoned readers per grabber may still be alive; beyond that the grabber waits for
one to end instead of piling up threads, so repeated outages cannot grow threads or descriptors.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from app.site.schema import CameraSettings
from app.video.capture import RtspTransport, _cv2, file_path, open_capture, redact
from app.video.frames import CameraState, CameraStatus, Frame, Stream
from app.video.masks import PrivacyMask
from app.video.probe import explain_open_failure, probe
from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.video")

BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 2.0
STUCK_MARGIN_S = 2.0  # past FFmpeg's own timeout before a reader counts as stuck
MAX_ABANDONED = 2
FILE_FPS_DEFAULT = 10.0
FPS_WINDOW_S = 3.0
# Stream time is trusted only within this much of arrival (a camera clock or a reset stream is not).
STREAM_TIME_SLACK_S = 1.0


class Grabber:
    """Reads one camera stream on its own thread; see the module docstring for states and supervision.

    ``on_state(grabber)`` is called (on whichever thread noticed) after the state changed; calls are
    serialised per grabber so that a listener sees the changes in order.
    """

    def __init__(
        self,
        camera_id: str,
        url: str,
        settings: CameraSettings,
        *,
        stream: Stream = "main",
        transport: RtspTransport = "tcp",
        mask: PrivacyMask | None = None,
        on_state: Callable[[Grabber], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.stream: Stream = stream
        self.settings = settings
        self.transport: RtspTransport = transport
        self.mask = mask or PrivacyMask(())
        self._on_state = on_state
        self._lock = threading.Lock()
        self._notify_lock = threading.RLock()
        self._url = url
        self._state: CameraState = "connecting"
        self._reason = ""
        self._since = time.time()
        self._latest: Frame | None = None
        self._seq = 0
        self._size = (0, 0)
        self._arrivals: deque[float] = deque()
        self._last_frame_mono: float | None = None
        self._opened_mono: float | None = None
        self._phase = "idle"  # idle / queued (for its turn to open) / opening / reading / waiting
        self._phase_mono = time.monotonic()
        self._gen = 0
        self._worker: Worker | None = None
        self._abandoned: list[Worker] = []
        self._stopped = False

    # ------------------------------------------------------------------------ control
    @property
    def url(self) -> str:
        with self._lock:
            return self._url

    def start(self) -> None:
        """Start reading (once; a stopped grabber stays stopped)."""
        with self._lock:
            if self._worker is not None or self._stopped:
                return
        self._spawn()

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop reading; True if the reader ended within ``timeout_s`` (a reader blocked in FFmpeg
        ends by itself when its call times out, releasing its capture)."""
        with self._lock:
            self._stopped = True
            self._gen += 1
            workers = [w for w in (self._worker, *self._abandoned) if w is not None]
            self._worker = None
            self._abandoned = []
        deadline = time.monotonic() + timeout_s
        for worker in workers:
            worker.cancel()
        ok = True
        for worker in workers:
            ok = worker.join(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def set_url(self, url: str) -> None:
        """Read from ``url`` from now on (a simulated camera's real port became known)."""
        with self._lock:
            if url == self._url:
                return
            self._url = url
            running = self._worker is not None and not self._stopped
        if running:
            self._replace("its address changed", lost=False)

    # ------------------------------------------------------------------------ queries
    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def status(self) -> CameraStatus:
        now = time.time()
        with self._lock:
            reason = self._reason
            last_at = self._latest.at if self._latest is not None else None
            if self._state == "stalled" and self._last_frame_mono is not None:
                reason = f"no frame for {time.monotonic() - self._last_frame_mono:.0f} s"
            # A stalled camera has no frame rate: the frames it sent before it froze (a burst, for a
            # stream that stalls right after opening) are not a rate an officer should read.
            fps = 0.0 if self._state == "stalled" else self._fps(time.monotonic())
            return CameraStatus(
                camera_id=self.camera_id,
                state=self._state,
                reason=reason,
                fps=fps,
                width=self._size[0],
                height=self._size[1],
                last_frame_at=last_at,
                since=self._since if self._since <= now else now,
            )

    @property
    def state(self) -> CameraState:
        with self._lock:
            return self._state

    def threads_alive(self) -> int:
        """Reader threads of this grabber still alive, abandoned ones included (for tests and logs)."""
        with self._lock:
            workers = [w for w in (self._worker, *self._abandoned) if w is not None]
        return sum(1 for w in workers if w.is_alive())

    # ------------------------------------------------------------------------ supervision
    def supervise(self) -> None:
        """Called every few hundred ms by the hub: stalls, stuck readers, and reap abandoned ones."""
        now = time.monotonic()
        stalled = stuck = False
        respawn = False
        with self._lock:
            if self._stopped or self._worker is None:
                return
            self._abandoned = [w for w in self._abandoned if w.is_alive()]
            if not self._worker.is_alive() and len(self._abandoned) < MAX_ABANDONED:
                respawn = True  # the reader died (an exception) or waited for room: start another
            opened, last = self._opened_mono, self._last_frame_mono
            if self._state == "live" and last is not None:  # opened or reconnecting: frames stopped
                stalled = now - last > self.settings.stall_s
            elif self._state == "connecting" and opened is not None:  # opened, never a frame
                stalled = now - opened > self.settings.stall_s
            limit = {
                "opening": self.settings.open_timeout_ms / 1000,
                "reading": self.settings.read_timeout_ms / 1000,
            }.get(self._phase)
            stuck = limit is not None and now - self._phase_mono > limit + STUCK_MARGIN_S
        if stalled:
            self._set(
                "stalled", f"no frame for {self.settings.stall_s:g} s", only_from=("connecting", "live")
            )
        if stuck:
            self._replace("the video library did not return within its timeout")
        elif respawn:
            self._spawn()

    def _replace(self, why: str, *, lost: bool = True) -> None:
        """Abandon the current reader (it ends when its blocking call returns) and start a new one."""
        with self._lock:
            old = self._worker
            self._gen += 1
            self._worker = None
            self._opened_mono = None
            if old is not None:
                old.cancel()
                self._abandoned = [w for w in self._abandoned if w.is_alive()]
                if old.is_alive():
                    self._abandoned.append(old)
            room = len(self._abandoned) < MAX_ABANDONED
        log.warning("camera %s (%s): reader replaced: %s", self.camera_id, self.stream, why)
        if lost:
            self._set("lost", f"stopped answering ({why})")
        else:
            self._set("connecting", why)
        if room:
            self._spawn()
        else:
            # Too many readers still stuck: keep a placeholder so supervise() respawns when one ends.
            with self._lock:
                self._worker = Worker(f"capture-{self.camera_id}-{self.stream}-idle", lambda _t: None)

    def _spawn(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._gen += 1
            gen = self._gen
            self._phase, self._phase_mono = "idle", time.monotonic()
            worker = Worker(
                f"capture-{self.camera_id}-{self.stream}",
                lambda token: self._run(token, gen),
                stuck_level=logging.INFO,
            )
            self._worker = worker
        worker.start()

    # ------------------------------------------------------------------------ state
    def _current(self, gen: int) -> bool:
        with self._lock:
            return gen == self._gen and not self._stopped

    def _phase_to(self, gen: int, phase: str) -> None:
        with self._lock:
            if gen == self._gen:
                self._phase, self._phase_mono = phase, time.monotonic()

    def _set(
        self, state: CameraState, reason: str, *, gen: int | None = None, only_from: tuple[str, ...] = ()
    ) -> None:
        with self._notify_lock:
            with self._lock:
                if gen is not None and gen != self._gen:
                    return  # an abandoned reader no longer speaks for the camera
                if only_from and self._state not in only_from:
                    return
                if (state, reason) == (self._state, self._reason):
                    return
                changed_state = state != self._state
                self._state, self._reason = state, reason
                if changed_state:
                    self._since = time.time()
            if changed_state:
                where = f"camera {self.camera_id} ({self.stream}, {redact(self.url)})"
                if state == "live":
                    log.info("%s live", where)
                else:
                    log.log(
                        logging.INFO if state == "connecting" else logging.WARNING,
                        "%s %s: %s",
                        where,
                        state,
                        reason,
                    )
            if self._on_state is not None:
                try:
                    self._on_state(self)
                except Exception:
                    log.exception("camera %s: state listener failed", self.camera_id)

    def _fps(self, now: float) -> float:
        arrivals = self._arrivals
        while arrivals and now - arrivals[0] > FPS_WINDOW_S:
            arrivals.popleft()
        if len(arrivals) < 2:
            return 0.0
        span = arrivals[-1] - arrivals[0]
        if now - arrivals[-1] > FPS_WINDOW_S / 2:
            span = now - arrivals[0]
        return (len(arrivals) - 1) / span if span > 0 else 0.0

    # ------------------------------------------------------------------------ reader thread
    def _run(self, token: CancelToken, gen: int) -> None:
        cv2 = _cv2()
        backoff = BACKOFF_START_S
        while not token.cancelled and self._current(gen):
            url = self.url
            self._phase_to(gen, "opening")
            started = time.monotonic()
            cap: Any = None
            try:
                # OpenCV's FFmpeg backend opens one stream at a time (a process-wide lock around the
                # open): a camera that accepts but never answers would hold every other camera's open
                # for the whole open timeout. The light check waits for it outside that lock, so only
                # cameras that answer reach OpenCV.
                check = asyncio.run(probe(url, self.settings.open_timeout_ms / 1000))
                if token.cancelled or not self._current(gen):
                    return
                if check.verdict != "live":
                    self._set(check.verdict, check.reason, gen=gen)
                    self._phase_to(gen, "waiting")
                    if token.wait(backoff):
                        break
                    backoff = min(backoff * 2, BACKOFF_MAX_S)
                    continue
                # Queued behind other cameras' opens is not stuck: the open is timed from our turn.
                self._phase_to(gen, "queued")
                started = time.monotonic()

                def our_turn() -> None:
                    nonlocal started
                    started = time.monotonic()
                    self._phase_to(gen, "opening")

                cap = open_capture(
                    url,
                    self.settings.open_timeout_ms,
                    self.settings.read_timeout_ms,
                    self.transport,
                    on_turn=our_turn,
                )
                if token.cancelled or not self._current(gen):
                    return
                if not cap.isOpened():
                    self._phase_to(gen, "waiting")
                    result = explain_open_failure(
                        url, self.settings.open_timeout_ms, time.monotonic() - started
                    )
                    self._set(result.verdict if result.verdict != "live" else "error", result.reason, gen=gen)
                else:
                    with self._lock:
                        if gen == self._gen:
                            self._opened_mono = time.monotonic()
                    if self._read_loop(cv2, cap, url, token, gen):
                        backoff = BACKOFF_START_S  # it delivered: the next outage starts afresh
            except Exception as exc:  # a broken URL or library error must not kill the camera's reader
                log.exception("camera %s: capture failed", self.camera_id)
                self._set("error", f"the video library failed: {exc}", gen=gen)
            finally:
                with self._lock:
                    if gen == self._gen:
                        self._opened_mono = None
                if cap is not None:
                    cap.release()
            self._phase_to(gen, "waiting")
            if token.wait(backoff):
                break
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _read_loop(self, cv2: Any, cap: Any, url: str, token: CancelToken, gen: int) -> bool:
        """Read until the stream fails, is replaced or stopped; True if at least one frame arrived."""
        is_file = file_path(url) is not None
        stream_time = urlsplit(url).scheme in ("rtsp", "rtsps")
        pace = 0.0
        if is_file:  # a file would otherwise be read as fast as it decodes
            fps = cap.get(cv2.CAP_PROP_FPS) or FILE_FPS_DEFAULT
            pace = 1.0 / fps if 0 < fps < 1000 else 1.0 / FILE_FPS_DEFAULT
        anchor: float | None = None  # wall-clock time of stream time 0
        got_any = False
        while not token.cancelled:
            self._phase_to(gen, "reading")
            ok, image = cap.read()
            if (not ok or image is None) and is_file and got_any:  # end of a file: loop it
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = cap.read()
            if not self._current(gen) or token.cancelled:
                return got_any
            if not ok or image is None:
                if got_any:
                    log.info("camera %s (%s): stream ended; reconnecting", self.camera_id, self.stream)
                return got_any
            arrival = time.time()
            at = arrival
            if stream_time:
                pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if pos > 0:
                    if anchor is None or not (-STREAM_TIME_SLACK_S <= anchor + pos - arrival <= 0.05):
                        anchor = arrival - pos  # first frame, or the stream's clock jumped
                    at = min(arrival, anchor + pos)
            if not image.flags.writeable:
                image = image.copy()
            self.mask.apply(image)
            image.flags.writeable = False
            mono = time.monotonic()
            with self._lock:
                if gen != self._gen:
                    return got_any
                self._seq += 1
                self._latest = Frame(image=image, at=at, seq=self._seq)
                self._size = (int(image.shape[1]), int(image.shape[0]))
                self._last_frame_mono = mono
                self._arrivals.append(mono)
                if len(self._arrivals) > 512:
                    self._arrivals.popleft()
                state = self._state
            got_any = True
            if state != "live":
                self._set("live", "", gen=gen)
            if pace and token.wait(pace):
                break
        return got_any
