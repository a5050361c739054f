"""The run configs bundled with neurodyn.

``neurodyn run NAME`` runs one (``NAME`` or ``NAME.toml``; a file of that name in the
working directory wins), ``neurodyn configs`` lists them and ``neurodyn configs NAME``
prints one, to copy and edit. Importing this module does not import JAX.
"""

from __future__ import annotations

import difflib
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def names() -> list[str]:
    """Names of the bundled configs (file names without ``.toml``)."""
    return sorted(p.stem for p in FOLDER.glob("*.toml"))


def path(name: str) -> Path:
    """The bundled config called ``name`` (with or without ``.toml``)."""
    stem = name[:-5] if name.endswith(".toml") else name
    if stem not in names():
        close = difflib.get_close_matches(stem, names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FileNotFoundError(
            f"config: no such file or bundled config: {name!r}{hint}; `neurodyn configs` lists the bundled ones"
        )
    return FOLDER / f"{stem}.toml"


def describe(name: str) -> str:
    """The first line of a bundled config's header comment."""
    for line in path(name).read_text().splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""
