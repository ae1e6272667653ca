"""int8 OCR: the quantised detector and recognizer read a real scan about as well as fp32, the
files are made once (cached by content), and bad settings are one clear line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import onnx
import pytest

from foveal.cli import main
from foveal.errors import ConfigError
from foveal.evaluate.ocr import cer
from foveal.tasks.ocr import TextReader
from foveal.tasks.ocr.int8 import default_calibration


@pytest.fixture(scope="module")
def pages(shared) -> Path:
    return shared / "data" / "ocr" / "pages"


@pytest.fixture(scope="module")
def fp32() -> TextReader:
    return TextReader()


@pytest.fixture(scope="module")
def int8() -> TextReader:
    return TextReader(precision="int8")  # default calibration: scikit-image's page and text


def test_int8_quantises_detector_and_recognizer_only(int8, fp32) -> None:
    home = Path(os.environ["FOVEAL_HOME"]) / "int8"
    for part in (int8.detector, int8.recognizer):
        assert part.model.path.parent == home
        graph = onnx.load(str(part.model.path)).graph
        ops = {n.op_type for n in graph.node}
        assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
        assert "ConvInteger" not in ops  # static, never dynamic
        assert sum(t.data_type == onnx.TensorProto.INT8 for t in graph.initializer) >= 40
    assert int8.classifier.model.path == fp32.classifier.model.path  # stays fp32 (measured)
    assert int8.precision == "int8" and fp32.precision == "fp32"


def test_int8_reads_a_scan_it_was_not_calibrated_on_like_fp32(int8, fp32, pages) -> None:
    gold = (pages / "phototest.gold.txt").read_text(encoding="utf-8")
    for name in ("phototest.tif", "phototest-rotated-180.png"):
        a = cer(fp32.predict(pages / name).text, gold)
        b = cer(int8.predict(pages / name).text, gold)
        assert b <= a + 0.01 and b <= 0.02, (name, a, b)
    lines = int8.predict(pages / "eurotext.tif")
    truth = (pages / "eurotext.txt").read_text(encoding="utf-8")
    assert cer(lines.text, truth) <= cer(fp32.predict(pages / "eurotext.tif").text, truth) + 0.01


def test_int8_files_are_reused_and_keyed_by_content(int8, tmp_path, capsys) -> None:
    stamps = {
        p: p.stat().st_mtime_ns for p in (int8.detector.model.path, int8.recognizer.model.path)
    }
    capsys.readouterr()
    # the same pages under other names, given as a folder: the same files, nothing quantised
    for p in default_calibration():
        shutil.copy(p, tmp_path / f"copy-{p.name}")
    again = TextReader(precision="int8", calibrate=tmp_path)
    assert "quantising" not in capsys.readouterr().err
    assert again.detector.model.path == int8.detector.model.path
    assert again.recognizer.model.path == int8.recognizer.model.path
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_bad_precision_and_pages_without_text_are_one_line(tmp_path) -> None:
    with pytest.raises(ConfigError, match="precision 'fp16' is not known; choose one of fp32"):
        TextReader(precision="fp16")
    with pytest.raises(ConfigError, match="does not exist"):
        TextReader(precision="int8", calibrate=tmp_path / "nowhere")
    import numpy as np
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((300, 400, 3), 255, np.uint8)).save(blank)
    with pytest.raises(ConfigError, match="nothing to calibrate on .*no text lines"):
        TextReader(precision="int8", calibrate=[blank])


def test_cli_and_verb_read_in_int8(int8, pages, tmp_path, capsys) -> None:
    import foveal

    gold = (pages / "phototest.gold.txt").read_text(encoding="utf-8")
    assert cer(foveal.read_text(pages / "phototest.tif", precision="int8").text, gold) <= 0.02
    capsys.readouterr()
    assert main(["read", str(pages / "phototest.tif"), "--precision", "int8", "--json"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert cer(record["text"], gold) <= 0.02
    argv = ["read", str(pages / "phototest.tif"), "--calibrate", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--calibrate goes with --precision int8" in err
    with pytest.raises(SystemExit) as exit_info:  # argparse's own one-line error
        main(["read", str(pages / "phototest.tif"), "--precision", "fp16"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fp16'" in capsys.readouterr().err
    capsys.readouterr()
    argv = ["export", "ppocr_rec.v6_small", "-o", str(tmp_path / "r8.onnx"), "--int8"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'foveal read --precision int8" in err
