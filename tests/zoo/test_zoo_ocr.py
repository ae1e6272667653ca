"""The OCR zoo entries agree with rapidocr's own model list and resolve offline from the package."""

from __future__ import annotations

import hashlib
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from foveal.zoo import get, resolve_weights

NAMES = ["ppocr_det.v6_small", "ppocr_rec.v6_small", "ppocr_cls.mobile_v2"]


def _rapidocr_models() -> dict[str, dict[str, str]]:
    """url -> {SHA256, model_dir} from the onnxruntime section of rapidocr's default_models.yaml."""
    root = Path(find_spec("rapidocr").origin).parent
    data = yaml.safe_load((root / "default_models.yaml").read_text(encoding="utf-8"))
    out = {}

    def walk(node):
        if isinstance(node, dict):
            if "model_dir" in node and "SHA256" in node:
                out[node["model_dir"]] = node
            for v in node.values():
                walk(v)

    walk(data["onnxruntime"])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_zoo_entry_matches_rapidocr_model_list(name) -> None:
    spec = get(name)
    listed = _rapidocr_models()
    assert spec.weights.url in listed, f"{spec.weights.url} is not in rapidocr's model list"
    assert listed[spec.weights.url]["SHA256"] == spec.weights.sha256
    assert spec.weights.url.endswith("/" + spec.weights.file)


@pytest.mark.parametrize("name", NAMES)
def test_weights_resolve_offline_from_the_package(name) -> None:
    spec = get(name)
    path = resolve_weights(spec)
    assert "rapidocr" in str(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.weights.sha256


def test_recognizer_charset_comes_from_onnx_metadata() -> None:
    from foveal.tasks.ocr.rec import TextRecognizer

    rec = TextRecognizer()
    assert rec.charset[0] == "<blank>" and rec.charset[-1] == " "
    assert len(rec.charset) == 18710  # the model's output classes
    assert rec.model.runner.session.get_outputs()[0].shape[-1] == len(rec.charset)
    assert rec.height == 48 and not rec.pad_background  # PP-OCR: bilinear, zero padding
