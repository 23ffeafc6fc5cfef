"""Chinese licence plates rendered with a CJK font, drawn as mounted on a vehicle.

No sharp photo of a real plate ships in any package, so the gate camera's vehicles carry plates drawn
here. MODELS.md measured what a plate detector needs to score a drawn plate like a real one: a bare
rectangle scores near 0, a plate drawn *as mounted* (a thin light rim inside a dark holder, on a
vehicle, at bumper height) scores 0.77-0.88. So :func:`mounted_plate` draws the holder and rim too.

Two kinds, as on Chinese roads:
* ``blue``: ordinary small cars, 440x140 mm, 7 characters (``沪A·12345``), white on blue;
* ``green``: new-energy cars, 480x140 mm, 8 characters (``沪A·D12345``), black on a green gradient.

Pillow renders the text (OpenCV's ``putText`` has no CJK glyphs). The font is looked for where Debian
installs ``fonts-wqy-microhei`` / ``fonts-noto-cjk``; without one the province character cannot be
drawn and the plate shows only its Latin part (logged once), so the demo still runs.
"""

from __future__ import annotations

import logging
import random
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger("wardroom.sim")

PlateKind = Literal["blue", "green"]

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
DIGITS = "0123456789"


@lru_cache(maxsize=1)
def cjk_font_path() -> Path | None:
    """The first installed CJK font (Debian paths), or None."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    log.warning("no CJK font found (install fonts-wqy-microhei): simulated plates lose their province")
    return None


def plate_text(index: int, kind: PlateKind) -> str:
    """A plausible plate number for vehicle ``index`` (deterministic: the same index, the same plate)."""
    rng = random.Random(index * 7919 + (1 if kind == "green" else 0))
    head = rng.choice(PROVINCES) + rng.choice(LETTERS)
    if kind == "green":
        return head + "·" + rng.choice("DF") + "".join(rng.choice(DIGITS) for _ in range(5))
    tail = [rng.choice(DIGITS) for _ in range(5)]
    tail[rng.randrange(2)] = rng.choice(LETTERS)  # many blue plates mix a letter in
    return head + "·" + "".join(tail)


def plate_characters(text: str) -> str:
    """The characters a reader must find on the plate: the text without its separator dot."""
    return text.replace("·", "")


def _font(size: int) -> Any:
    from PIL import ImageFont

    path = cjk_font_path()
    if path is None:
        return ImageFont.load_default()
    return ImageFont.truetype(str(path), size)


def render_plate(text: str, kind: PlateKind, height: int = 70) -> np.ndarray:
    """The bare plate (BGR) ``height`` pixels tall: background, light rim, characters evenly spaced."""
    import cv2
    from PIL import Image, ImageDraw

    ratio = 480 / 140 if kind == "green" else 440 / 140
    h = height
    w = round(h * ratio)
    # Plate glyphs are tall and narrow (45x90 mm): draw on a canvas 1.7x wider, then squeeze.
    wide = round(w * 1.7)
    if kind == "green":
        # New-energy plates: pale at the top shading into green at the bottom.
        top, bottom = np.array([235, 250, 240]), np.array([60, 190, 90])
        ramp = np.linspace(0, 1, h)[:, None, None]
        rgb = (top * (1 - ramp) + bottom * ramp).astype(np.uint8).repeat(wide, axis=1)
        image = Image.fromarray(rgb, "RGB")
        ink, rim = (10, 10, 10), (40, 40, 40)
    else:
        image = Image.new("RGB", (wide, h), (20, 60, 190))
        ink, rim = (245, 245, 245), (235, 235, 235)
    draw = ImageDraw.Draw(image)
    chars = plate_characters(text)
    if cjk_font_path() is None:
        chars = chars[1:]
    font = _font(round(h * 0.66))
    # Character cells as on the real plate: 2 characters, a gap with the dot, then the rest.
    margin = wide * 0.05
    gap = wide * 0.06
    cell = (wide - 2 * margin - gap) / len(chars)
    for i, ch in enumerate(chars):
        x = margin + cell * (i + 0.5) + (gap if i >= 2 else 0)
        box = draw.textbbox((0, 0), ch, font=font)
        cw, chh = box[2] - box[0], box[3] - box[1]
        draw.text((x - cw / 2 - box[0], h / 2 - chh / 2 - box[1]), ch, fill=ink, font=font)
    dot_x, dot_r = margin + 2 * cell + gap / 2, max(1.5, h * 0.04)
    draw.ellipse((dot_x - dot_r * 1.7, h / 2 - dot_r, dot_x + dot_r * 1.7, h / 2 + dot_r), fill=ink)
    bgr = cv2.resize(np.asarray(image)[:, :, ::-1], (w, h), interpolation=cv2.INTER_AREA)
    inset = max(2, h // 25)
    thick = max(1, h // 35)
    cv2.rectangle(bgr, (inset, inset), (w - 1 - inset, h - 1 - inset), rim[::-1], thick, cv2.LINE_AA)
    return np.ascontiguousarray(bgr)


def mounted_plate(text: str, kind: PlateKind, height: int = 70) -> np.ndarray:
    """The plate inside its dark holder (BGR), as it looks screwed onto a bumper."""
    plate = render_plate(text, kind, height)
    border = max(2, height // 12)
    holder = np.full((plate.shape[0] + 2 * border, plate.shape[1] + 2 * border, 3), 25, np.uint8)
    holder[border:-border, border:-border] = plate
    return holder
