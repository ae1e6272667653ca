"""The HTTP service over real loopback HTTP: endpoints, limits, bad uploads, token."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

import foveal
from foveal.analyze.tasks import check_task
from foveal.tasks import TASKS


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def _check_error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == status and isinstance(body["error"], str)
    for w in words:
        assert w in body["error"], body["error"]


def test_health_page_and_openapi(server: str) -> None:
    assert httpx.get(server + "/health").json()["status"] == "ok"
    page = httpx.get(server + "/")
    assert page.status_code == 200 and '<canvas id="canvas"' in page.text
    spec = httpx.get(server + "/openapi.json").json()
    for path in (
        "/v1/classify",
        "/v1/detect",
        "/v1/faces/detect",
        "/v1/faces/identify",
        "/v1/ocr",
        "/v1/faces",
        "/v1/identify",
        "/v1/analyze",
    ):
        assert "post" in spec["paths"][path]
    docs = httpx.get(server + "/docs")
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text  # nothing from a CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        r = httpx.get(f"{server}/docs/assets/{asset}")
        assert r.status_code == 200 and len(r.content) > 500, asset
    assert httpx.get(server + "/docs/assets/..%2F__init__.py").status_code == 404
    assert httpx.get(server + "/redoc").status_code == 404


def test_models_lists_tasks(client: httpx.Client) -> None:
    body = client.get("/v1/models").json()
    tasks = {t["name"]: t for t in body["tasks"]}
    assert set(tasks) == {
        "classify",
        "detect",
        "faces",
        "identify",
        "ocr",
        "landmarks",
        "segment",
        "restore",
    }
    assert tasks["landmarks"]["options"]["parts"] == "hands,pose,face"
    assert tasks["classify"]["available"] is True and tasks["classify"]["options"]["top_k"] == 5
    assert tasks["detect"]["in_all"] is True and tasks["identify"]["in_all"] is False
    served = {m["name"]: m["task"] for m in body["models"]}  # the zoo defaults, nothing else
    assert served == {
        "mobilenet_v2.imagenet": "classify",
        "yolox_nano.coco": "detect",
        "yunet.2023mar": "face_detect",
        "ppocr_rec.v6_small": "ocr_rec",
        "selfie.mediapipe": "segment",
        "restore_unet.gaussian": "restore",
    }
    assert tasks["classify"]["models"] == ["mobilenet_v2.imagenet"]
    assert tasks["classify"]["default_model"] == "mobilenet_v2.imagenet"
    assert body["limits"]["max_pixels"] == 4_000_000


def test_classify_matches_the_verb(client: httpx.Client, photos: dict[str, Path]) -> None:
    r = client.post(
        "/v1/classify",
        files={"file": ("coffee.png", photos["coffee"].read_bytes(), "image/png")},
        data={"top_k": "3"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == (600, 400)
    assert body["classify"]["top"][0]["name"] == "espresso"
    want = foveal.classify(photos["coffee"], top_k=3).to_dict()
    assert [t["name"] for t in body["classify"]["top"]] == [t["name"] for t in want["top"]]
    np.testing.assert_allclose(
        [t["score"] for t in body["classify"]["top"]], [t["score"] for t in want["top"]], atol=1e-5
    )


def test_analyze_endpoint(client: httpx.Client, photos: dict[str, Path]) -> None:
    r = client.post(
        "/v1/analyze",
        files={"file": ("c.png", photos["chelsea"].read_bytes())},
        data={"tasks": "classify", "top_k": "2"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["classify"]["top"][0]["name"] in {"Egyptian cat", "tabby", "tiger cat"}
    assert len(r.json()["classify"]["top"]) == 2
    _check_error(
        client.post("/v1/analyze", files={"file": ("c.png", _png(8, 8))}, data={"tasks": "colour"}),
        400,
        "unknown task 'colour'",
    )


@pytest.mark.parametrize(
    "path,task",
    [
        ("/v1/detect", "detect"),
        ("/v1/faces/detect", "faces"),
        ("/v1/faces", "faces"),
        ("/v1/faces/identify", "identify"),
        ("/v1/identify", "identify"),
        ("/v1/ocr", "ocr"),
    ],
)
def test_other_endpoints_answer_json(client: httpx.Client, path: str, task: str) -> None:
    """A task that loads answers 200 with a record; one whose code does not import here, 501
    naming it; one whose model is missing, 422 saying why."""
    r = client.post(path, files={"file": ("x.png", _png(64, 48))})
    reason = check_task(task)
    if reason is None and task == "identify" and r.status_code == 422:
        assert "error" in r.json()  # e.g. no enrolled gallery yet: a clear 4xx, never a 500
    elif reason is None:
        assert r.status_code == 200, r.text
        assert r.json()["width"] == 64 and task in r.json()
    elif "does not import" in reason:
        _check_error(r, 501, TASKS[task].predictor)
    else:
        _check_error(r, 422)


def test_bad_uploads_get_4xx_json(client: httpx.Client, photos: dict[str, Path]) -> None:
    jpeg = photos["rocket"].read_bytes()
    _check_error(
        client.post("/v1/classify", files={"file": ("a.txt", b"just some text", "text/plain")}),
        415,
        "not an image",
    )
    _check_error(
        client.post(
            "/v1/classify", files={"file": ("t.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")}
        ),
        400,
        "truncated",
    )
    _check_error(
        client.post("/v1/classify", files={"file": ("e.jpg", b"", "image/jpeg")}), 400, "empty"
    )
    _check_error(
        client.post("/v1/classify", files={"file": ("big.png", _png(2100, 2000))}), 413, "pixels"
    )
    _check_error(
        client.post("/v1/classify", files={"file": ("huge.bin", b"\0" * (3 * 1024 * 1024))}),
        413,
        "limit",
    )
    _check_error(client.post("/v1/classify", data={"top_k": "3"}), 422, "file")
    _check_error(
        client.post("/v1/classify", files={"file": ("x.png", _png(8, 8))}, data={"top_k": "0"}), 422
    )
    _check_error(
        client.post(
            "/v1/classify", files={"file": ("x.png", _png(8, 8))}, data={"model": "nope.x"}
        ),
        422,
        "does not serve that model",
        "mobilenet_v2.imagenet",
    )
    # settings of the server (threads, int8) are never silently ignored when a client sends them
    _check_error(
        client.post(
            "/v1/classify",
            files={"file": ("x.png", _png(8, 8))},
            data={"precision": "int8", "threads": "1"},
        ),
        422,
        "has no field(s) precision, threads; it takes file, model, top_k, tta",
    )


def test_malformed_multipart_gets_400(client: httpx.Client) -> None:
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    broken = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; '
        b'filename="a.png"\r\n\r\nabc'
    )  # no end
    r = client.post("/v1/classify", content=broken, headers=headers)
    assert 400 <= r.status_code < 500 and r.json()["status"] == r.status_code
    r = client.post(
        "/v1/classify", content=b"garbage", headers={"content-type": "multipart/form-data"}
    )
    assert 400 <= r.status_code < 500 and "error" in r.json()
    r = client.post("/v1/classify", content=b"{}", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and "error" in r.json()


def test_streamed_body_over_the_limit_gets_413(server: str) -> None:
    def chunks():  # a valid multipart start, then a file part that never ends (no Content-Length)
        yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        for _ in range(40):
            yield b"\0" * (100 * 1024)

    r = httpx.post(
        server + "/v1/classify",
        content=chunks(),
        timeout=60,
        headers={
            "content-type": "multipart/form-data; boundary=XyZ",
            "authorization": "Bearer test-token-123",
        },
    )
    _check_error(r, 413, "limit")


def test_token_is_enforced(server: str) -> None:
    img = {"file": ("x.png", _png(8, 8))}
    _check_error(httpx.post(server + "/v1/classify", files=img), 401, "token")
    _check_error(
        httpx.post(server + "/v1/classify", files=img, headers={"Authorization": "Bearer wrong"}),
        401,
    )
    _check_error(httpx.get(server + "/v1/models", headers={"Authorization": "Basic dGVzdA=="}), 401)
    r = httpx.post(
        server + "/v1/classify",
        files=img,
        headers={"Authorization": "Bearer test-token-123"},
        timeout=60,
    )
    assert r.status_code == 200


def test_models_load_once_and_timeout_gives_504(photos: dict[str, Path]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from foveal.serve.app import ServeSettings
    from foveal.serve.background import serve_in_thread
    from foveal.tasks import forget_predictors

    img = {"file": ("c.png", photos["chelsea"].read_bytes())}
    forget_predictors("classify")
    with serve_in_thread(ServeSettings(preload=["classify"], workers=2)) as url:
        assert TASKS["classify"].is_loaded()  # loaded at start-up
        first = TASKS["classify"].load()
        assert {t["name"]: t["loaded"] for t in httpx.get(url + "/v1/models").json()["tasks"]}[
            "classify"
        ]
        with ThreadPoolExecutor(8) as pool:
            codes = list(
                pool.map(
                    lambda _: httpx.post(url + "/v1/classify", files=img, timeout=120).status_code,
                    range(8),
                )
            )
    assert codes == [200] * 8
    assert TASKS["classify"].load() is first  # one model, shared by every request
    with serve_in_thread(ServeSettings(timeout_s=0.001)) as url:
        _check_error(httpx.post(url + "/v1/classify", files=img), 504, "limit")


def test_cli_serve_binds_loopback_and_reads_the_token_from_the_environment(tmp_path: Path) -> None:
    import os

    from foveal.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "FOVEAL_API_TOKEN": "from-env",
        "PYTHONPATH": str(Path(foveal.__file__).parents[1]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "foveal", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    "foveal serve did not start"
                )
                time.sleep(0.1)
        _check_error(httpx.get(url + "/v1/models"), 401)
        assert (
            httpx.get(url + "/v1/models", headers={"Authorization": "Bearer from-env"}).status_code
            == 200
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
