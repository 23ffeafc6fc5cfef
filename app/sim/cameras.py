"""Start the MJPEG simulators of a site's simulated cameras: one rule for the station and the CLI.

One server serves every camera asking for "any port" (port 0 in its URL); a camera naming a port
gets a server on that port. Each camera's URL is then its file URL with the real port. What could
not be served is named per camera, in plain words, so the caller reports it as that camera's fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from app.sim.mjpeg import MjpegServer
    from app.site.loader import LoadedSite
    from app.site.schema import Camera

SIM_HOST = "127.0.0.1"  # simulators bind loopback only
Note = tuple[str, Literal["starting", "running", "stopped", "failed"], str]


@dataclass
class CameraSimulators:
    servers: list[tuple[int, MjpegServer]] = field(default_factory=list)  # (requested port, server)
    urls: dict[str, str] = field(default_factory=dict)  # camera id -> URL with the real port
    failed: dict[str, str] = field(default_factory=dict)  # camera id -> why it is not served
    notes: list[Note] = field(default_factory=list)  # (service, status, detail) to report, in order

    def stop(self, timeout_s: float = 1.0) -> None:
        for _requested, server in self.servers:
            server.stop(timeout_s)
            server.close()
        self.servers.clear()


def start_camera_simulators(
    loaded: LoadedSite, cameras: Sequence[Camera], *, taken_port_is_served: bool = False
) -> CameraSimulators:
    """Serve the simulated cameras among ``cameras``.

    ``taken_port_is_served``: a named port already in use is someone else serving those cameras (a
    station started earlier), so they are opened at their filed address instead of failing: what a
    one-off command wants, not a station.
    """
    from app.sim.mjpeg import MjpegServer

    sims = CameraSimulators()
    groups: dict[int, list[Camera]] = {}
    for camera in cameras:
        if camera.simulated:
            groups.setdefault(urlsplit(camera.url).port or 0, []).append(camera)
    for requested, members in groups.items():
        service = "camera simulator" + (f" :{requested}" if requested else "")
        sims.notes.append((service, "starting", f"{len(members)} camera(s)"))
        server = MjpegServer(host=SIM_HOST, port=requested)
        added: list[Camera] = []
        for camera in members:
            media = loaded.media_path(camera)
            try:
                if media is None:
                    raise ValueError("no media file is set")
                server.add_stream(
                    urlsplit(camera.url).path or f"/{camera.id}", media, name=camera.display_name
                )
            except Exception as exc:
                sims.failed[camera.id] = f"its simulator could not serve {media or 'its media'}: {exc}"
                sims.notes.append((f"camera simulator {camera.id}", "failed", str(exc)))
                continue
            added.append(camera)
        if not added:
            server.close()
            sims.notes.append((service, "failed", "no camera stream could be set up"))
            continue
        try:
            port = server.start()
        except OSError as exc:
            server.close()
            if requested and taken_port_is_served:
                sims.notes.append((service, "stopped", f"port {requested} is served already: using it"))
                continue
            for camera in added:
                sims.failed[camera.id] = f"its simulator could not start: {exc}"
            sims.notes.append((service, "failed", f"could not listen on {SIM_HOST}:{requested}: {exc}"))
            continue
        sims.servers.append((requested, server))
        for camera in added:
            parts = urlsplit(camera.url)
            sims.urls[camera.id] = urlunsplit(parts._replace(netloc=f"{parts.hostname or SIM_HOST}:{port}"))
        sims.notes.append((service, "running", f"{len(added)} MJPEG stream(s) on http://{SIM_HOST}:{port}"))
    return sims
