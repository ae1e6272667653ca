"""`foveal models pack` copies MediaPipe's .tflite landmark files as they are (LiteRT reads them;
there is nothing to export)."""

from __future__ import annotations

from foveal import zoo
from foveal.runtime.pack import pack_models
from foveal.zoo.resolve import sha256_file


def test_pack_copies_tflite_files_and_keeps_them(tmp_path) -> None:
    spec = zoo.get("face_detection.short_range")
    dest = tmp_path / "pack"
    (done,) = pack_models(dest, lambda s: None, [spec])
    assert done.path == dest / "face_detection_short_range.tflite"
    assert sha256_file(done.path) == spec.weights.sha256
    assert pack_models(dest, lambda s: None, [spec])[0].action == "kept"
