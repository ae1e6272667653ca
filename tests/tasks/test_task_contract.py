"""The task contract with a small real task (brightness_task.py, the task of docs/adding-a-task.md):
one register_task row makes it appear in the API, ``foveal analyze`` and the service."""

from __future__ import annotations

import io
import json
import re
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from brightness_task import Brightness, BrightnessPredictor
from PIL import Image

import foveal
from foveal.cli import main
from foveal.errors import ConfigError
from foveal.tasks import TASKS, TaskSpec, all_tasks, register_task, unregister_task

ROOT = Path(__file__).resolve().parents[2]


class CountingBrightness(BrightnessPredictor):
    """The brightness task, counting the images its ``run`` sees (to show work is done once)."""

    seen: list[int] = []

    def run(self, prepared: list[float], options: object) -> list[Brightness]:
        self.seen.append(len(prepared))
        return super().run(prepared, options)  # type: ignore[arg-type]


def _spec(name: str, predictor: str) -> TaskSpec:
    return TaskSpec(
        name,
        predictor,
        "brightness_task:Brightness",
        "mean brightness, and whether it is at least a threshold",
        init_options=(),
        in_all=False,
    )


@pytest.fixture()
def brightness() -> Iterator[TaskSpec]:
    spec = register_task(_spec("brightness", "brightness_task:BrightnessPredictor"))
    yield spec
    unregister_task("brightness")


@pytest.fixture()
def counted() -> Iterator[TaskSpec]:
    spec = register_task(_spec("counted", "test_task_contract:CountingBrightness"))
    CountingBrightness.seen.clear()
    yield spec
    unregister_task("counted")


def _grey(level: int, size: tuple[int, int] = (24, 32)) -> np.ndarray:
    return np.full((*size, 3), level, np.uint8)


def _png(level: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_grey(level)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i, level in enumerate((0, 64, 128, 255)):
        Image.fromarray(_grey(level)).save(d / f"{i}.png")
    return d


def test_the_registered_task_is_in_the_table_and_the_api(brightness: TaskSpec) -> None:
    assert TASKS["brightness"] is brightness and "brightness" not in all_tasks()
    res = foveal.run("brightness", _grey(200), threshold=0.7)
    assert res == Brightness(200 / 255, True)
    assert foveal.run("brightness", _grey(100)).to_dict() == {"mean": 0.3922, "bright": False}
    with pytest.raises(ConfigError, match="threshold must be within 0..1"):
        foveal.run("brightness", _grey(100), threshold=2.0)
    with pytest.raises(ConfigError, match="no option"):
        foveal.run("brightness", _grey(100), conf=0.5)
    assert brightness.load() is brightness.load()  # one shared predictor


def test_the_task_runs_in_foveal_analyze(
    brightness: TaskSpec, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    assert "brightness" in capsys.readouterr().out
    out = tmp_path / "out"
    rc = main(
        [
            "analyze",
            str(folder),
            "--tasks",
            "brightness",
            "--out",
            str(out),
            "--no-progress",
            "--option",
            "brightness.threshold=0.4",
            "--batch-size",
            "3",
        ]
    )
    assert rc == 0
    recs = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert [Path(r["source"]).name for r in recs] == ["0.png", "1.png", "2.png", "3.png"]
    assert [r["brightness"]["bright"] for r in recs] == [False, False, True, True]
    assert (
        main(
            [
                "analyze",
                str(folder),
                "--tasks",
                "brightness",
                "--out",
                str(out),
                "--overwrite",
                "--option",
                "brightness.threshold=lots",
            ]
        )
        == 2
    )
    assert "expected a number, got 'lots'" in capsys.readouterr().err


def test_the_task_is_served(brightness: TaskSpec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette: "use httpx2"
        from fastapi.testclient import TestClient

    from foveal.serve.app import create_app

    with TestClient(create_app(), base_url="http://localhost") as client:
        tasks = {t["name"]: t for t in client.get("/v1/models").json()["tasks"]}
        assert tasks["brightness"]["options"] == {"threshold": 0.5}
        assert tasks["brightness"]["available"] is True
        r = client.post(
            "/v1/brightness", files={"file": ("g.png", _png(200))}, data={"threshold": "0.9"}
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "width": 32,
            "height": 24,
            "brightness": {"mean": 0.7843, "bright": False},
        }
        r = client.post(
            "/v1/analyze", files={"file": ("g.png", _png(200))}, data={"tasks": "brightness"}
        )
        assert r.json()["brightness"]["bright"] is True
        for value, words in (("high", "expected a number, got 'high'"), ("3", "within 0..1")):
            r = client.post(
                "/v1/brightness", files={"file": ("g.png", _png(200))}, data={"threshold": value}
            )
            assert r.status_code == 422 and words in r.json()["error"], r.text
        assert "/v1/brightness" in client.get("/openapi.json").json()["paths"]


def test_the_service_analyses_each_request_once(counted: TaskSpec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette: "use httpx2"
        from fastapi.testclient import TestClient

    from foveal.serve.app import create_app

    with TestClient(create_app(), base_url="http://localhost") as client:
        for _ in range(3):
            assert client.post("/v1/counted", files={"file": ("g.png", _png(9))}).status_code == 200
    assert CountingBrightness.seen == [1, 1, 1]  # the first request too


def test_one_shared_predictor_in_two_threads_with_different_thresholds(
    brightness: TaskSpec,
) -> None:
    predictor = brightness.load()
    image = _grey(128)  # mean 0.502
    results: dict[float, list[bool]] = {0.3: [], 0.7: []}
    start = threading.Barrier(2)

    def work(threshold: float) -> None:
        start.wait()
        for _ in range(300):
            results[threshold].append(predictor(image, threshold=threshold).bright)

    threads = [threading.Thread(target=work, args=(t,)) for t in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0.3] == [True] * 300 and results[0.7] == [False] * 300


def test_every_source_shape(brightness: TaskSpec, folder: Path) -> None:
    predictor = brightness.load()
    images = [_grey(0), _grey(255), _grey(128)]
    listed = predictor(images, threshold=0.6)
    assert isinstance(listed, list) and [r.bright for r in listed] == [False, True, False]
    per_file = foveal.run("brightness", folder)
    assert [r.mean for r in per_file] == pytest.approx([0, 64 / 255, 128 / 255, 1])
    stream = predictor(str(folder / "*.png"), stream=True)
    assert isinstance(stream, Iterator) and not isinstance(stream, list)
    assert [r.bright for r in stream] == [False, False, True, True]
    assert predictor(folder / "3.png").bright is True
    items = list(predictor.predict_batch(folder, batch_size=3))
    assert [item.name for item, _ in items] == [str(folder / f"{i}.png") for i in range(4)]


def test_the_guide_holds_the_code_that_runs() -> None:
    """docs/adding-a-task.md shows brightness_task.py verbatim, so the guide's code is tested."""
    guide = (ROOT / "docs" / "adding-a-task.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    code = (Path(__file__).parent / "brightness_task.py").read_text(encoding="utf-8")
    assert code in blocks


def test_results_carry_their_source_and_frame_index(photos, tmp_path: Path) -> None:
    import cv2

    video = tmp_path / "clip.avi"
    scene = cv2.cvtColor(foveal.load_image(photos["chelsea"]), cv2.COLOR_RGB2BGR)
    h, w = scene.shape[:2]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 5, (w, h))
    for _ in range(3):
        writer.write(scene)
    writer.release()
    stream = foveal.detect(video, stream=True)
    assert isinstance(stream, Iterator)
    frames = list(stream)
    assert [(d.source, d.index) for d in frames] == [(str(video), i) for i in range(3)]
    assert all("cat" in d.names for d in frames)
    rec = frames[2].to_dict()
    assert (rec["source"], rec["index"]) == (str(video), 2) and rec["detections"]
    # a list of paths: each result names its file, no index; filtering keeps the source
    paths = [photos["chelsea"], photos["coffee"]]
    listed = foveal.classify(paths)
    assert [(c.source, c.index) for c in listed] == [(str(p), None) for p in paths]
    assert listed[0][[0]].source == str(photos["chelsea"])
    assert "index" not in listed[0].to_dict() and listed[1].to_dict()["source"] == str(paths[1])
    # one image from a path names it; one image in memory has no source
    assert foveal.detect(photos["chelsea"]).source == str(photos["chelsea"])
    in_memory = foveal.detect(foveal.load_image(photos["chelsea"]))
    assert in_memory.source is None and "source" not in in_memory.to_dict()


def test_pdf_pages_carry_their_page_number(shared, tmp_path: Path) -> None:
    scans = shared / "data" / "ocr" / "pages"
    pdf = tmp_path / "scan.pdf"
    first = Image.open(scans / "phototest.tif").convert("RGB")
    blank = Image.fromarray(np.full((200, 300, 3), 255, np.uint8))
    first.save(pdf, save_all=True, append_images=[blank, blank], resolution=200)
    pages = foveal.read_text(pdf)
    assert [(p.source, p.index) for p in pages] == [(str(pdf), n) for n in (1, 2, 3)]
    assert "quick brown" in pages[0].text.lower() and len(pages[1]) == 0
    assert [p.to_dict()["index"] for p in pages] == [1, 2, 3]


def test_results_without_those_fields_come_back_unchanged(
    brightness: TaskSpec, folder: Path
) -> None:
    """A task's own result type need not have ``source`` / ``index`` (the brightness task's has
    neither): the base leaves such results as the task made them."""
    results = foveal.run("brightness", folder)
    assert all(type(r) is Brightness and not hasattr(r, "source") for r in results)
    assert [r.to_dict() for r in results][0] == {"mean": 0.0, "bright": False}
