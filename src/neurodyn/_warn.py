"""Warnings attributed to the user's line, not to neurodyn's or its libraries' frames."""

from __future__ import annotations

import os
import sys
import warnings

import equinox
import jax

_LIBRARY_DIRS = tuple(
    os.path.dirname(m.__file__) + os.sep for m in (sys.modules["neurodyn"], equinox, jax)
)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside neurodyn,
    equinox and JAX (a model built through equinox's metaclass has several frames of it)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
