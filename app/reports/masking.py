"""The one masking step for pictures in printed and exported reports.

Report builders take a ``mask_image`` callable (:data:`MaskImage`) so a permitted, audited unmasked
print can swap it for :func:`no_mask` without touching them. The default is vision's face masking
(:func:`app.vision.privacy.mask_faces`: BlazeFace, the detector the wall, snapshots and exports use),
so a bystander's face is blurred the same way wherever a picture leaves Wardroom. It is shared
between threads (one interpreter under a lock), so pictures may be masked in parallel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MaskImage = Callable[[np.ndarray], np.ndarray]
"""BGR image in, masked BGR image out (a new array; the input is left as it was)."""


def blur_faces(image_bgr: np.ndarray) -> np.ndarray:
    """A copy of the picture with every detected face blurred beyond recognition."""
    from app.vision.privacy import mask_faces

    return mask_faces(image_bgr)


def no_mask(image_bgr: np.ndarray) -> np.ndarray:
    """The picture unchanged: only for an unmasked print that was permitted and audited."""
    return np.array(image_bgr, copy=True)


DEFAULT_MASK: MaskImage = blur_faces
