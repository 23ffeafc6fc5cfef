"""One camera tile: the newest frame, aspect-fit, with the camera's name and a "no signal" state.

Frames arrive far more often than it is worth painting, from whoever pulls them off the capture
threads. ``set_frame`` therefore only stores a reference; the owner calls ``refresh()`` from a
bounded-rate ``QTimer`` and the tile repaints at most once per refresh, only when a new frame came.
The frame is painted through a ``QImage`` built over the numpy buffer (no copy); the tile keeps the
array alive for as long as the image refers to it. The caller hands the array over: it must not
write into it afterwards (capture code allocates a new array per frame).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyleOption,
    QVBoxLayout,
    QWidget,
)

from widgets.style import set_style_property


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


class _FrameView(QWidget):
    """The picture area. Its background comes from QSS; it paints the tile's current frame on top."""

    def __init__(self, tile: VideoTile) -> None:
        super().__init__(tile)
        self.setObjectName("tileView")
        self._tile = tile
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        self._tile._paint_frame(painter, self.rect())
        painter.end()


class VideoTile(QFrame):
    """A camera tile. Plain data in: an id, a display name, numpy frames, a no-signal reason."""

    def __init__(self, camera_id: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoTile")
        self._camera_id = camera_id
        self._name = name
        self._frame: np.ndarray | None = None
        self._bgr = True
        self._frame_serial = 0  # bumps on every set_frame
        self._painted_serial = 0  # the serial last painted
        self._requested_serial = 0  # the serial a repaint was last asked for
        self._frames_shown = 0
        self._frames_received = 0
        self._has_signal = False
        self._reason = ""

        self._caption = QLabel(name, self)
        self._caption.setObjectName("tileCaption")
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
        notice_layout = QVBoxLayout(self._view)
        notice_layout.addWidget(self._notice)
        self.setProperty("signal", "")
        set_style_property(self, "signal", "waiting", self._caption)
        self._update_notice()

    @property
    def camera_id(self) -> str:
        return self._camera_id

    @property
    def name(self) -> str:
        return self._name

    @property
    def frames_shown(self) -> int:
        """How many distinct frames this tile has actually painted (what the operator saw)."""
        return self._frames_shown

    @property
    def frames_received(self) -> int:
        return self._frames_received

    @property
    def has_signal(self) -> bool:
        return self._has_signal

    @property
    def reason(self) -> str:
        return self._reason

    def set_frame(self, frame: np.ndarray, *, bgr: bool = True) -> None:
        """Store the newest frame (HxWx3 uint8 BGR/RGB or HxW grey). Does not repaint by itself."""
        if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
            raise ValueError(f"a video frame must be HxW or HxWx3 uint8, got {frame.shape} {frame.dtype}")
        if not frame.flags.c_contiguous:
            frame = np.ascontiguousarray(frame)
        self._frame = frame
        self._bgr = bgr
        self._frame_serial += 1
        self._frames_received += 1
        if not self._has_signal:
            self._has_signal = True
            self._reason = ""
            set_style_property(self, "signal", "ok", self._caption)
            self._update_notice()

    def set_no_signal(self, reason: str) -> None:
        """Show that the camera is not delivering; the last frame is dropped so nothing stale shows."""
        if not self._has_signal and reason == self._reason and self.property("signal") == "lost":
            return
        self._has_signal = False
        self._reason = reason
        self._frame = None
        set_style_property(self, "signal", "lost", self._caption)
        self._update_notice()
        self._view.update()

    def refresh(self) -> None:
        """Ask for one repaint if a frame arrived since the last request (called from a timer)."""
        if self._frame is not None and self._frame_serial != self._requested_serial:
            self._requested_serial = self._frame_serial
            self._view.update()

    def _paint_frame(self, painter: QPainter, area: QRect) -> None:
        frame = self._frame  # keeps the buffer alive while the image below refers to it
        if frame is None:
            return
        image = _image_over(frame, self._bgr)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(fit_rect(image.size(), area), image)
        if self._painted_serial != self._frame_serial:
            self._painted_serial = self._frame_serial
            self._frames_shown += 1

    def _update_notice(self) -> None:
        if self._has_signal:
            self._notice.hide()
            return
        if self.property("signal") == "lost":
            text = self.tr("No signal")
            if self._reason:
                text += "\n" + self._reason
        else:
            text = self.tr("Waiting for video…")
        self._notice.setText(text)
        self._notice.show()

    def changeEvent(self, event: QEvent) -> None:
        """Re-word the notice when the language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self._update_notice()
        super().changeEvent(event)
