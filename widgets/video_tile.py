"""One camera tile: the newest frame, aspect-fit, under a caption with name, time, live fps and state.

Frames arrive far more often than it is worth painting, from whoever pulls them off the capture
threads. ``set_frame`` therefore only stores a reference; the owner calls ``refresh()`` from a
bounded-rate ``QTimer`` and the tile repaints at most once per refresh, only when a new frame came.
The frame is painted through a ``QImage`` built over the numpy buffer (no copy); the tile keeps the
array alive for as long as the image refers to it. The caller hands the array over: it must not
write into it afterwards (capture allocates a new, read-only array per frame).

Detection data is drawn over the picture at paint time (``set_overlay``, ``set_zones``; see
:mod:`widgets.video_overlay`), never into the frame: the frame stays as captured. A new overlay asks
for a repaint on the next ``refresh()`` like a new frame does.

The tile decides nothing about a camera: the owner tells it the state (``set_state``: plain words and
numbers). The state is a dynamic property (``tileState``) styled by the one QSS palette (ISA-101:
grey while live, colour only for abnormal). A tile is a slot of the wall: the camera on it can change
(``assign``); it takes camera drops, reports clicks, double-clicks and its snapshot button.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, QMimeData, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyleOption,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.elided_label import ElidedLabel
from widgets.style import ColourRoles, colour_property, set_style_property
from widgets.video_overlay import COLOUR_DEFAULTS, OverlayShape, TileOverlay, ZoneLayer, paint_overlay

# What a camera tree drags and a tile takes: camera ids, one per line (UTF-8).
CAMERA_MIME = "application/x-wardroom-camera"
OVERLAY_ALONE_S = 0.15  # no frame for this long: a new overlay repaints the tile by itself
TILE_STATES = ("empty", "connecting", "live", "stalled", "lost", "error", "disabled")
# The older ``signal`` property (ok / waiting / lost), still matched by the palette and the GUI report.
_SIGNAL = {
    "empty": "waiting",
    "connecting": "waiting",
    "live": "ok",
    "stalled": "lost",
    "lost": "lost",
    "error": "lost",
    "disabled": "waiting",
}


def camera_mime(camera_ids: list[str]) -> QMimeData:
    data = QMimeData()
    data.setData(CAMERA_MIME, "\n".join(camera_ids).encode("utf-8"))
    data.setText("\n".join(camera_ids))
    return data


def cameras_in(mime: QMimeData) -> list[str]:
    if not mime.hasFormat(CAMERA_MIME):
        return []
    raw = bytes(mime.data(CAMERA_MIME).data()).decode("utf-8", "replace")
    return [line for line in raw.splitlines() if line]


def _image_over(frame: np.ndarray, bgr: bool) -> QImage:
    """A QImage that reads the array's memory in place (the caller keeps the array alive)."""
    height, width = frame.shape[:2]
    if frame.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    else:
        fmt = QImage.Format.Format_BGR888 if bgr else QImage.Format.Format_RGB888
    return QImage(frame.data, width, height, frame.strides[0], fmt)


def fit_rect(image_size: QSize, area: QRect) -> QRect:
    """The largest rectangle with the image's aspect ratio centred in ``area`` (letterbox)."""
    if image_size.isEmpty() or area.isEmpty():
        return QRect(area.topLeft(), QSize(0, 0))
    scaled = image_size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    left = area.left() + (area.width() - scaled.width()) // 2
    top = area.top() + (area.height() - scaled.height()) // 2
    return QRect(left, top, scaled.width(), scaled.height())


def age_words(age_s: float) -> str:
    """A frame's age for a caption: ``4 s``, ``3 min``, ``2 h``."""
    if age_s < 90:
        return f"{max(0, round(age_s))} s"
    if age_s < 90 * 60:
        return f"{round(age_s / 60)} min"
    return f"{round(age_s / 3600)} h"


class _FrameView(ColourRoles, QWidget):
    """The picture area. Its background comes from QSS; it paints the tile's current frame on top,
    and the overlay over that in the colours the theme gives (``qproperty-personColor`` ...)."""

    COLOUR_DEFAULTS = COLOUR_DEFAULTS
    personColor = colour_property("personColor")
    vehicleColor = colour_property("vehicleColor")
    twoWheelerColor = colour_property("twoWheelerColor")
    plateColor = colour_property("plateColor")
    faceColor = colour_property("faceColor")
    zoneColor = colour_property("zoneColor")
    otherColor = colour_property("otherColor")
    labelTextColor = colour_property("labelTextColor")

    def overlay_colours(self) -> dict[str, QColor]:
        """Every overlay colour role, looked up once until the theme or the palette changes."""
        colours = self.__dict__.get("_overlay_colours")
        if colours is None:
            colours = {name: self.colour(name) for name in COLOUR_DEFAULTS}
            self.__dict__["_overlay_colours"] = colours
        return colours

    def _colours_changed(self) -> None:
        self.__dict__.pop("_overlay_colours", None)
        super()._colours_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.__dict__.pop("_overlay_colours", None)
        super().changeEvent(event)

    def __init__(self, tile: VideoTile) -> None:
        super().__init__(tile)
        self.setObjectName("tileView")
        self._tile = tile
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(96, 54)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        self._tile._paint_frame(painter, self.rect())
        painter.end()


class VideoTile(QFrame):
    """A wall slot showing one camera. Plain data in: ids, names, numpy frames, state words."""

    clicked = Signal(int)  # slot
    doubleClicked = Signal(int)  # slot
    cameraDropped = Signal(int, str)  # slot, camera id
    snapshotRequested = Signal(int)  # slot

    def __init__(
        self, camera_id: str = "", name: str = "", parent: QWidget | None = None, *, slot: int = 0
    ) -> None:
        super().__init__(parent)
        self.setObjectName("videoTile")
        self.setAcceptDrops(True)
        self._slot = slot
        self._camera_id = camera_id
        self._name = name
        self._frame: np.ndarray | None = None
        self._frame_at: float | None = None
        self._bgr = True
        self._frame_serial = 0  # bumps on every set_frame
        self._painted_serial = 0  # the serial last painted
        self._requested_serial = 0  # the serial a repaint was last asked for
        self._frames_shown = 0
        self._frames_received = 0
        self._state = ""
        self._reason = ""
        self._fps = 0.0
        self._age_s: float | None = None
        self._overlay: TileOverlay | None = None
        self._overlay_serial = 0  # bumps on every set_overlay that changes it
        self._requested_overlay = 0  # the overlay serial a repaint was last asked for
        self._frame_arrived = 0.0  # time.monotonic() of the newest set_frame
        self._shapes: tuple[OverlayShape, ...] = ()
        self._hidden: frozenset[str] = frozenset()
        self._zone_layer = ZoneLayer()

        self._caption = QFrame(self)
        self._caption.setObjectName("tileCaption")
        self._title = ElidedLabel(name, self._caption)
        self._title.setObjectName("tileTitle")
        # In a small tile the name and then the time/fps give way (elided); the state word and the
        # snapshot button always show whole.
        self._info = ElidedLabel("", self._caption)
        self._info.setObjectName("tileInfo")
        self._badge = QLabel(self._caption)
        self._badge.setObjectName("tileBadge")
        self._snap = QToolButton(self._caption)
        self._snap.setObjectName("tileSnapshot")
        self._snap.setAutoRaise(True)
        # A camera icon from the theme (QSS qproperty-icon), no words: small tiles have no room for
        # them; the tooltip and the accessible name say what it does.
        self._snap.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self._snap.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self._snap.setIconSize(QSize(14, 14))
        self._snap.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._snap.clicked.connect(lambda: self.snapshotRequested.emit(self._slot))
        caption_layout = QHBoxLayout(self._caption)
        caption_layout.setContentsMargins(4, 1, 2, 1)
        caption_layout.setSpacing(4)
        for fixed in (self._badge, self._snap):
            fixed.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        caption_layout.addWidget(self._title, 2)
        caption_layout.addWidget(self._info, 1)
        caption_layout.addWidget(self._badge)
        caption_layout.addWidget(self._snap)
        self._view = _FrameView(self)
        self._notice = QLabel(self._view)
        self._notice.setObjectName("tileNotice")
        self._notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._notice.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self._caption)
        layout.addWidget(self._view, 1)
        self._notice_layout = QVBoxLayout(self._view)
        self._notice_layout.addWidget(self._notice)
        self.setProperty("selected", "false")
        self._apply_state("connecting" if camera_id else "empty", "")
        self._retranslate()

    # ------------------------------------------------------------------ read
    @property
    def slot(self) -> int:
        return self._slot

    @property
    def camera_id(self) -> str:
        """The camera on this slot ("" when empty)."""
        return self._camera_id

    @property
    def name(self) -> str:
        return self._name

    @property
    def state(self) -> str:
        return self._state

    @property
    def frames_shown(self) -> int:
        """How many distinct frames this tile has actually painted (what the operator saw)."""
        return self._frames_shown

    @property
    def frames_received(self) -> int:
        return self._frames_received

    @property
    def has_signal(self) -> bool:
        return self._state == "live"

    @property
    def has_picture(self) -> bool:
        return self._frame is not None

    @property
    def frame_size(self) -> QSize:
        frame = self._frame
        return QSize(0, 0) if frame is None else QSize(frame.shape[1], frame.shape[0])

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def caption_text(self) -> str:
        """Everything the caption says, for tests and the GUI report."""
        return " | ".join(t for t in (self._title.full_text, self._info.full_text, self._badge.text()) if t)

    @property
    def notice_text(self) -> str:
        return self._notice.text() if not self._notice.isHidden() else ""

    def picture_rect(self) -> QRect:
        """Where the picture is painted, in the tile's picture-area coordinates (empty if none)."""
        if self._frame is None:
            return QRect()
        return fit_rect(self.frame_size, self._view.rect())

    @property
    def view(self) -> QWidget:
        return self._view

    @property
    def frame_at(self) -> float | None:
        """The time (epoch s) of the frame held now (None without one)."""
        return self._frame_at

    @property
    def overlay(self) -> TileOverlay | None:
        """The newest detection overlay handed in (drawn only while it matches the frame shown)."""
        return self._overlay

    @property
    def zones(self) -> tuple[OverlayShape, ...]:
        return self._shapes

    @property
    def hidden_groups(self) -> frozenset[str]:
        return self._hidden

    # ------------------------------------------------------------------ write
    def assign(self, camera_id: str, name: str) -> None:
        """Put another camera (or none: ``""``) on this slot; the old picture goes."""
        if camera_id == self._camera_id and name == self._name:
            return
        self._camera_id = camera_id
        self._name = name
        self._title.set_full_text(name)
        self._frame = None
        self._frame_at = None
        self._fps = 0.0
        self._age_s = None
        self._overlay = None
        self._shapes = ()
        self._apply_state("connecting" if camera_id else "empty", "")
        self._view.update()

    def set_selected(self, selected: bool) -> None:
        set_style_property(self, "selected", "true" if selected else "false")

    @property
    def selected(self) -> bool:
        return self.property("selected") == "true"

    def set_frame(self, frame: np.ndarray, *, bgr: bool = True, at: float | None = None) -> None:
        """Store the newest frame (HxWx3 uint8 BGR/RGB or HxW grey). Does not repaint by itself."""
        if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
            raise ValueError(f"a video frame must be HxW or HxWx3 uint8, got {frame.shape} {frame.dtype}")
        if not frame.flags.c_contiguous:
            frame = np.ascontiguousarray(frame)
        self._frame = frame
        self._frame_at = time.time() if at is None else at
        self._bgr = bgr
        self._frame_serial += 1
        self._frames_received += 1
        self._frame_arrived = time.monotonic()
        if self._state in ("connecting", "empty", "lost", "error"):
            self._apply_state("live", "")

    def set_state(
        self, state: str, reason: str = "", *, fps: float = 0.0, age_s: float | None = None
    ) -> None:
        """What the camera is doing: a ``TILE_STATES`` word, plain-words reason, measured fps, and the
        newest frame's age (stalled). Lost, error and disabled drop the picture (nothing stale shows)."""
        if state not in TILE_STATES:
            raise ValueError(f"unknown tile state {state!r}")
        self._fps = fps
        self._age_s = age_s
        if state in ("lost", "error", "disabled", "empty") and self._frame is not None:
            self._frame = None
            self._view.update()
        self._apply_state(state, reason)

    def set_no_signal(self, reason: str) -> None:
        """Show that the camera is not delivering; the last frame is dropped so nothing stale shows."""
        self.set_state("lost", reason)

    def set_overlay(self, overlay: TileOverlay | None) -> None:
        """The newest boxes found on this camera (or None). Does not repaint by itself: the next
        ``refresh()`` does, once, if it changed."""
        if overlay is self._overlay:
            return
        self._overlay = overlay
        self._overlay_serial += 1

    def set_zones(self, shapes: tuple[OverlayShape, ...]) -> None:
        """The camera's zone outlines and lines (unit square), drawn while the zone group shows."""
        if shapes != self._shapes:
            self._shapes = tuple(shapes)
            self._view.update()

    def set_hidden_groups(self, hidden: frozenset[str]) -> None:
        """The overlay groups not to draw (the wall's toggles); a face blur is never hidden."""
        if hidden != self._hidden:
            self._hidden = frozenset(hidden)
            self._view.update()

    def refresh(self) -> None:
        """Ask for one repaint if a frame arrived since the last request (called from a timer).

        A new overlay alone waits for the next frame, which paints it too: repainting a picture for
        its boxes between frames would paint a live wall half as often again. Only when no frame has
        come for ``OVERLAY_ALONE_S`` (a slow or stalled camera) does an overlay repaint by itself.
        """
        new_frame = self._frame_serial != self._requested_serial
        new_overlay = self._overlay_serial != self._requested_overlay
        if self._frame is not None and (
            new_frame or (new_overlay and time.monotonic() - self._frame_arrived >= OVERLAY_ALONE_S)
        ):
            self._requested_serial = self._frame_serial
            self._requested_overlay = self._overlay_serial
            self._view.update()
        self._update_info()

    # ------------------------------------------------------------------ private
    def _apply_state(self, state: str, reason: str) -> None:
        changed = state != self._state or reason != self._reason
        self._state = state
        self._reason = reason
        set_style_property(self, "tileState", state, self._caption, self._badge, self._notice)
        set_style_property(self, "signal", _SIGNAL[state], self._caption)
        if changed:
            self._update_notice()
        self._update_info()

    def _update_info(self) -> None:
        parts: list[str] = []
        if self._frame_at is not None and self._state in ("live", "stalled"):
            parts.append(time.strftime("%H:%M:%S", time.localtime(self._frame_at)))
        if self._state == "live":
            parts.append(self.tr("{fps} fps").format(fps=f"{self._fps:.1f}"))
        text = "  ".join(parts)
        if self._info.full_text != text:
            self._info.set_full_text(text)
        badge = self._badge_text()
        if self._badge.text() != badge:
            self._badge.setText(badge)
            self._badge.setVisible(bool(badge))
        if self._state == "stalled":
            self._update_notice()

    def _badge_text(self) -> str:
        words = {
            "connecting": self.tr("connecting"),
            "stalled": self.tr("stalled"),
            "lost": self.tr("lost"),
            "error": self.tr("error"),
            "disabled": self.tr("disabled"),
        }
        word = words.get(self._state, "")
        if self._state == "stalled" and self._age_s is not None:
            word = self.tr("stalled {age}").format(age=age_words(self._age_s))
        return word

    def _update_notice(self) -> None:
        state = self._state
        if state == "live":
            self._notice.hide()
            return
        if state == "empty":
            text = self.tr("Drop a camera here")
        elif state == "connecting":
            text = self.tr("Waiting for video…")
        elif state == "stalled":
            text = self.tr("No new picture")
            if self._age_s is not None:
                text = self.tr("No new picture for {age}").format(age=age_words(self._age_s))
        elif state == "disabled":
            text = self.tr("Camera disabled")
        else:
            text = self.tr("No signal") if state == "lost" else self.tr("Stream unusable")
        if self._reason and not (state == "stalled" and self._age_s is not None):
            text += "\n" + self._reason
        if self._notice.text() != text:
            self._notice.setText(text)
        # Stalled: a strip at the bottom over the last picture; otherwise the notice fills the view.
        strip = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
        self._notice_layout.setAlignment(self._notice, strip if state == "stalled" else Qt.AlignmentFlag(0))
        self._notice.setWordWrap(state != "stalled")  # the strip is one line; a wrapped one breaks "2 s"
        self._notice.show()

    def _paint_frame(self, painter: QPainter, area: QRect) -> None:
        frame = self._frame  # keeps the buffer alive while the image below refers to it
        if frame is None:
            return
        image = _image_over(frame, self._bgr)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        picture = fit_rect(image.size(), area)
        painter.drawImage(picture, image)
        if self._overlay is not None or self._shapes:
            view = self._view
            paint_overlay(
                painter,
                picture,
                image,
                overlay=self._overlay,
                shapes=self._shapes,
                hidden=self._hidden,
                colours=view.overlay_colours(),
                frame_at=self._frame_at,
                zone_layer=self._zone_layer,
            )
        if self._painted_serial != self._frame_serial:
            self._painted_serial = self._frame_serial
            self._frames_shown += 1

    def _retranslate(self) -> None:
        self._snap.setAccessibleName(self.tr("Snapshot"))
        self._snap.setToolTip(self.tr("Snapshot: save this picture (S)"))
        self._update_notice()
        self._update_info()

    # ------------------------------------------------------------------ Qt
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self._slot)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.doubleClicked.emit(self._slot)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if cameras_in(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if cameras_in(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        cameras = cameras_in(event.mimeData())
        if not cameras:
            event.ignore()
            return
        event.acceptProposedAction()
        self.cameraDropped.emit(self._slot, cameras[0])

    def changeEvent(self, event: QEvent) -> None:
        """Re-word the notice when the language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
