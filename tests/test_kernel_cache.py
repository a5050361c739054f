"""The kernel cache only ever loads libraries this user compiled (neurodyn._native).

Every test points the cache at a temporary folder (``NEURODYN_KERNEL_CACHE``). A "planted"
library is a shared object whose constructor writes a marker file when it is loaded: the
marker's absence proves it never ran. Recompilations are faked by copying the library
compiled once per module, to keep the file fast.
"""

import hashlib
import os
import shutil
import stat
import subprocess
import warnings

import jax
import numpy as np
import pytest

from neurodyn import _native
from neurodyn.engine._random import uniform

CXX = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
CC = shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")
pytestmark = [pytest.mark.skipif(CXX is None, reason="no C++ compiler"), pytest.mark.usefixtures("on_cpu")]

PLANTED_C = """
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen("%s", "w");
    if (f) { fputs("planted code ran", f); fclose(f); }
}
"""


def _fresh_state(mp, cache):
    mp.setenv("NEURODYN_KERNEL_CACHE", str(cache))
    mp.delenv("NEURODYN_NO_KERNEL", raising=False)
    mp.setattr(_native, "_state", {})
    if hasattr(_native, "_warned"):
        mp.setattr(_native, "_warned", set())


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    """The random kernel compiled and loaded the normal way into a new nested cache folder."""
    root = tmp_path_factory.mktemp("genuine")
    cache = root / "a" / "b" / "kernels"
    with pytest.MonkeyPatch.context() as mp:
        _fresh_state(mp, cache)
        ok = _native.available("random")
        reason = _native.unavailable_reason("random")
        u = np.asarray(uniform(jax.random.key(1), (20_000,)))
    (lib,) = cache.glob("neurodyn_random_*.so")
    return {"root": root, "cache": cache, "lib": lib, "ok": ok, "reason": reason, "uniform": u}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A new private cache folder holding nothing."""
    path = tmp_path / "kernels"
    path.mkdir(mode=0o700)
    _fresh_state(monkeypatch, path)
    return path


@pytest.fixture
def planted(tmp_path):
    """Build a library whose constructor writes ``marker``; returns (library path, marker path)."""
    if CC is None:
        pytest.skip("no C compiler to build the planted library")
    marker = tmp_path / "planted-code-ran"
    src = tmp_path / "planted.c"
    src.write_text(PLANTED_C % marker)
    lib = tmp_path / "planted.so"
    subprocess.run([CC, "-shared", "-fPIC", str(src), "-o", str(lib)], check=True, capture_output=True)
    return lib, marker


@pytest.fixture
def fake_compiler(genuine, monkeypatch):
    """Recompiling copies the genuine library (same bytes as a real compile); counts the calls."""
    calls = []

    def build(compiler, name, source, out, native):
        calls.append(name)
        shutil.copyfile(genuine["lib"], out)
        return subprocess.CompletedProcess([], 0, "", "")

    monkeypatch.setattr(_native, "_build", build)
    return calls


def _copy_genuine(genuine, cache):
    for f in genuine["cache"].iterdir():
        shutil.copy2(f, cache / f.name)
    return cache / genuine["lib"].name


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _available_with_warnings(*names):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ok = [_native.available(n) for n in names]
    return ok, [str(w.message) for w in caught if "neurodyn" in str(w.message)]


def test_normal_path_compiles_into_private_folders_records_the_hash_and_works(genuine):
    assert genuine["ok"], genuine["reason"]
    assert genuine["reason"] == ""
    for folder in (genuine["root"] / "a", genuine["root"] / "a" / "b", genuine["cache"]):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder
    record = genuine["lib"].with_name(genuine["lib"].name + ".sha256")
    assert record.read_text().strip() == _sha(genuine["lib"])
    assert not [p for p in genuine["cache"].iterdir() if p.name.startswith(".")]  # no temporaries left
    u = genuine["uniform"]
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)


def test_a_verified_library_is_loaded_without_compiling(genuine, cache, fake_compiler):
    _copy_genuine(genuine, cache)
    ok, warned = _available_with_warnings("random")
    assert ok == [True], _native.unavailable_reason("random")
    assert warned == [] and fake_compiler == []


def test_planted_library_with_the_predictable_name_is_never_loaded(genuine, cache, planted, fake_compiler):
    lib, marker = planted
    target = cache / genuine["lib"].name
    shutil.copyfile(lib, target)  # no record: neurodyn did not compile it
    ok, _ = _available_with_warnings("random")
    assert not marker.exists(), "the planted library was loaded"
    assert ok == [True] and fake_compiler == ["random"]
    assert _sha(target) == _sha(genuine["lib"])  # replaced by a real compile


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702], ids=oct)
def test_cache_folder_writable_by_others_is_refused_with_one_warning(genuine, cache, planted, fake_compiler, mode):
    lib, marker = planted
    target = cache / genuine["lib"].name
    shutil.copyfile(lib, target)
    # a record matching the planted bytes: anyone who can write the folder can write that too
    target.with_name(target.name + ".sha256").write_text(_sha(target))
    cache.chmod(mode)
    ok, warned = _available_with_warnings("random", "propagate", "population", "random")
    assert not marker.exists(), "the planted library was loaded"
    assert ok == [False] * 4 and fake_compiler == []
    assert len(warned) == 1
    reason = _native.unavailable_reason("random")
    assert f"kernel cache folder {cache} is writable by group or others (mode {mode:04o})" in reason
    assert reason in warned[0] and "pure JAX" in reason


def test_folder_above_the_cache_writable_by_others_is_refused(genuine, tmp_path, monkeypatch, planted):
    lib, marker = planted
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # not sticky: anyone may rename the cache folder inside it
    cache = shared / "kernels"
    cache.mkdir(mode=0o700)
    _fresh_state(monkeypatch, cache)
    shutil.copyfile(lib, cache / genuine["lib"].name)
    (cache / (genuine["lib"].name + ".sha256")).write_text(_sha(lib))
    ok, warned = _available_with_warnings("random")
    assert ok == [False] and len(warned) == 1 and not marker.exists()
    assert f"folder {shared} above the kernel cache is writable by group or others (mode 0777)" in (
        _native.unavailable_reason("random"))


def test_sticky_shared_folder_above_the_cache_is_accepted(genuine, tmp_path, monkeypatch, fake_compiler):
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: others cannot rename what this user created there
    cache = shared / "kernels"
    _fresh_state(monkeypatch, cache)
    ok, warned = _available_with_warnings("random")
    assert ok == [True] and warned == [] and fake_compiler == ["random"]
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_cache_folder_of_another_user_is_refused(genuine, cache, monkeypatch, fake_compiler):
    _copy_genuine(genuine, cache)
    me = os.geteuid()
    monkeypatch.setattr(_native, "_uid", lambda: me + 1)  # as seen by another user
    ok, warned = _available_with_warnings("random")
    assert ok == [False] and len(warned) == 1 and fake_compiler == []
    assert f"kernel cache folder {cache} is owned by uid {me}, not by this user (uid {me + 1})" in (
        _native.unavailable_reason("random"))


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
@pytest.mark.parametrize("which", ["library", "record"])
def test_cache_file_of_another_user_is_refused(genuine, cache, planted, fake_compiler, which):
    lib, marker = planted
    target = cache / genuine["lib"].name
    shutil.copyfile(lib, target)
    record = target.with_name(target.name + ".sha256")
    record.write_text(_sha(target))
    os.chown(target if which == "library" else record, 65534, 65534)
    ok, warned = _available_with_warnings("random")
    assert ok == [False] and len(warned) == 1 and not marker.exists() and fake_compiler == []
    name = target.name if which == "library" else record.name
    assert f"kernel cache file {name} is owned by uid 65534" in _native.unavailable_reason("random")


def test_writable_library_file_is_refused(genuine, cache, fake_compiler):
    target = _copy_genuine(genuine, cache)
    target.chmod(0o666)
    ok, warned = _available_with_warnings("random")
    assert ok == [False] and len(warned) == 1 and fake_compiler == []
    assert f"kernel cache file {target.name} is writable by group or others (mode 0666)" in (
        _native.unavailable_reason("random"))


def test_library_replaced_after_compilation_is_refused_and_compiled_again(genuine, cache, planted, fake_compiler):
    lib, marker = planted
    target = _copy_genuine(genuine, cache)
    shutil.copyfile(lib, target)  # the record still holds the compiled library's hash
    ok, warned = _available_with_warnings("random")
    assert not marker.exists(), "the replaced library was loaded"
    assert ok == [True] and fake_compiler == ["random"]
    assert len(warned) == 1 and "does not match the SHA-256 recorded when it was compiled" in warned[0]
    assert _sha(target) == _sha(genuine["lib"])


def test_symbolic_link_in_the_cache_is_refused(genuine, cache, planted, fake_compiler):
    lib, marker = planted
    target = cache / genuine["lib"].name
    target.symlink_to(lib)
    target.with_name(target.name + ".sha256").write_text(_sha(lib))
    ok, warned = _available_with_warnings("random")
    assert ok == [False] and len(warned) == 1 and not marker.exists() and fake_compiler == []
    assert f"kernel cache entry {target.name} cannot be opened safely" in _native.unavailable_reason("random")


def test_library_swapped_after_verification_is_not_the_one_loaded(genuine, cache, planted, monkeypatch):
    lib, marker = planted
    target = _copy_genuine(genuine, cache)
    verify = _native._read_verified

    def verify_then_swap(dir_fd, name):
        found = verify(dir_fd, name)
        swap = cache / "swap.tmp"
        shutil.copyfile(lib, swap)
        os.replace(swap, target)  # the compile-rename-load race: a new file under the checked name
        return found

    monkeypatch.setattr(_native, "_read_verified", verify_then_swap)
    assert _native.available("random")
    assert not marker.exists(), "the file swapped in after the check was loaded"
    np.testing.assert_array_equal(np.asarray(uniform(jax.random.key(1), (20_000,))), genuine["uniform"])
