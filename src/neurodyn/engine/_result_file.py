"""Opening a results file safely: HDF5 checks made before xarray reads anything.

A NetCDF4 file is HDF5, and HDF5 can make a dataset read another file's bytes (external
storage, virtual datasets, external links) or declare far more data than it stores (a fill
value, unwritten chunks, a compressed stream), which a reader allocates in full. A file
is read only when it is one HDF5 root group of plain numeric datasets, each stored inside
the file, declaring no more than it stores (times :data:`MAX_COMPRESSION` when compressed),
and carrying neurodyn's attributes. The same open file is then handed to xarray.
"""

from __future__ import annotations

import contextlib
import math
import os

#: largest compression ratio accepted; deflate, the filter NetCDF4 writes, stays below 1032:1
MAX_COMPRESSION = 1100
#: bytes a file may declare beyond what it stores in all (fill values of small variables)
SLACK = 1 << 20
#: attributes every neurodyn result carries (:meth:`Result.to_xarray`)
REQUIRED_ATTRS = ("duration", "dt", "populations", "sizes")
_PHONY = "This is a netCDF dimension but not a netCDF variable"


class ResultFileError(ValueError):
    """A file that is not a neurodyn result, is damaged, or asks to read outside itself."""


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000


@contextlib.contextmanager
def open_result(path):
    """Yield the result at ``path`` as a lazy ``xarray.Dataset``, after :func:`check`.

    Raises :class:`ResultFileError` for anything that is not a safe neurodyn result.
    """
    import h5netcdf
    import h5py
    import xarray as xr

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        reason = str(exc).split("(")[0].strip().rstrip(",") or type(exc).__name__
        raise ResultFileError(f"{path} is not a neurodyn result: not a readable NetCDF4/HDF5 file ({reason})") from None
    with f:
        try:
            on_disk = os.fstat(f.id.get_vfd_handle()).st_size  # the file opened, not a path
        except (TypeError, ValueError, OSError):
            on_disk = os.path.getsize(path)
        try:
            check(f, path, on_disk)
            _check_global_heaps(f, path)
            ds = xr.open_dataset(xr.backends.H5NetCDFStore(h5netcdf.File(f, "r")))
        except ResultFileError:
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:  # damaged metadata
            raise ResultFileError(f"{path} is not a readable neurodyn result ({type(exc).__name__}: {exc})") from None
        with ds:
            yield ds


def check(f, path, on_disk: int) -> None:
    """Refuse (:class:`ResultFileError`) an open ``h5py.File`` that is unsafe or not a result."""
    import h5py

    def refuse(problem):
        raise ResultFileError(f"{path}: {problem}; refusing to read it")

    datasets = []
    for name in f:
        link = f.get(name, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            refuse(f"{name!r} is a link to another file ({link.filename})")
        if not isinstance(link, h5py.HardLink):
            refuse(f"{name!r} is a {type(link).__name__}, which neurodyn never writes")
        obj = f[name]
        if not isinstance(obj, h5py.Dataset):
            refuse(f"{name!r} is a {type(obj).__name__}; a neurodyn result holds only variables")
        if h5py.h5o.get_info(obj.id).rc != 1:
            refuse(f"variable {name!r} is stored under several names")
        if obj.is_virtual:
            refuse(f"variable {name!r} is a virtual dataset (its data would come from other files)")
        if obj.id.get_create_plist().get_external_count():
            refuse(f"variable {name!r} keeps its data in external files")
        if obj.dtype.kind not in "biuf":
            refuse(f"variable {name!r} has type {obj.dtype}, expected numbers")
        datasets.append((name, obj))
    for obj in (f, *(obj for _, obj in datasets)):
        for attr in obj.attrs:  # attribute values live in the file: none can exceed it
            aid = obj.attrs.get_id(attr)
            if math.prod(aid.shape or ()) * aid.dtype.itemsize > on_disk:
                refuse(f"attribute {attr!r} declares more data than the file holds")

    stored_total = unbacked = 0
    for name, obj in datasets:
        elements = math.prod(obj.shape or ())  # Python integers: no overflow
        if _phony(obj):  # a dimension without values: xarray may build an int64 index over it
            declared, allowed = elements * 8, on_disk * MAX_COMPRESSION
        else:
            declared = elements * obj.dtype.itemsize
            if obj.chunks:
                declared = max(declared, math.prod(obj.chunks) * obj.dtype.itemsize)
            stored = obj.id.get_storage_size()
            stored_total += stored
            filtered = obj.id.get_create_plist().get_nfilters() > 0
            allowed = stored * (MAX_COMPRESSION if filtered else 1)
        unbacked += max(0, declared - allowed)
        if unbacked > SLACK or stored_total > on_disk:
            shape = " x ".join(str(n) for n in obj.shape)
            refuse(f"variable {name!r} declares {_size(declared)} ({shape} {obj.dtype}) but the file is "
                   f"{_size(on_disk)} on disk (damaged, or crafted to exhaust memory)")

    missing = [f"attribute {a!r}" for a in REQUIRED_ATTRS if a not in f.attrs]
    if "time" not in dict(datasets) or _phony(f["time"]) or f["time"].ndim != 1:
        missing.append("variable 'time'")
    if missing:
        raise ResultFileError(f"{path} is not a neurodyn result (no {', '.join(missing)}); expected a file "
                              "written by 'neurodyn run' or Result.save")


def _check_global_heaps(f, path) -> None:
    """Refuse global heap collections whose objects do not tile them.

    Variable-length values (strings, NetCDF's dimension lists) live in global heap
    collections, and libhdf5 (2.0 included) loops forever on one whose free-space object
    has size 0 or whose objects run past its end: one flipped or zeroed byte in a genuine
    result. Collections are found by their signature and size field in the raw file.
    """
    import mmap

    size_len = f.id.get_create_plist().get_sizes()[1]  # bytes of a "length" field in this file
    header = 8 + size_len  # an object: index (2), references (2), reserved (4), size
    with os.fdopen(os.dup(f.id.get_vfd_handle()), "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as raw:
            at = raw.find(b"GCOL\x01\x00\x00\x00")
            while at >= 0:
                end = at + int.from_bytes(raw[at + 8:at + 8 + size_len], "little")
                p = at + 8 + size_len
                while end <= len(raw) and p + header <= end:  # a shorter tail is free space
                    index = int.from_bytes(raw[p:p + 2], "little")
                    size = int.from_bytes(raw[p + 8:p + header], "little")
                    need = size if index == 0 else header + (size + 7) // 8 * 8
                    if need < header or p + need > end:
                        break
                    p += need
                if end > len(raw) or p + header <= end:
                    raise ResultFileError(f"{path}: damaged HDF5 global heap at byte {at}; refusing to read it")
                at = raw.find(b"GCOL\x01\x00\x00\x00", at + 8)


def _phony(obj) -> bool:
    """True for a NetCDF dimension without values (a dataset of the dimension's length, never stored)."""
    return _PHONY in str(obj.attrs.get("NAME", ""))
