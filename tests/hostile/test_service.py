"""Hostile requests to a real service on loopback: every one gets a clear 4xx (never a 500), no
answer reveals a path of the server or whether a file exists, and 20 clients mixing valid and
hostile requests for 30 s get no 5xx."""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from foveal.serve.app import ServeSettings
from foveal.serve.background import serve_in_thread

LOAD_SECONDS = 30.0
LOAD_CLIENTS = 20


def _png(w: int, h: int, colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return buf.getvalue()


def _header_bomb(w: int, h: int) -> bytes:
    """A valid PNG of a few hundred bytes whose header claims ``w x h`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (3 * min(w, 4096) + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def model_file(shared: Path) -> Path:
    """A real ONNX file on the server's disk (a zoo weights file without foveal metadata)."""
    return shared / "weights" / "yolox_nano.onnx"


@pytest.fixture(scope="module")
def service(model_file: Path) -> Iterator[str]:
    settings = ServeSettings(
        max_bytes=1024 * 1024,
        max_pixels=4_000_000,
        timeout_s=120,
        workers=2,
        models=["mobilenet_v2.imagenet", "yolox_nano.coco", str(model_file)],
    )
    with serve_in_thread(settings) as url:
        yield url


@pytest.fixture(scope="module")
def client(service: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service, timeout=120) as c:
        yield c


def _error(r: httpx.Response, status: int, *words: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"], body
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    for w in words:
        assert w in body["error"], body["error"]
    return body["error"]


def _no_server_path(text: str) -> None:
    for path in (os.environ["FOVEAL_HOME"], os.environ["FOVEAL_WEIGHTS_PATH"], os.getcwd()):
        assert path not in text, text
    assert str(Path.home()) + "/" not in text, text


def test_garbage_and_empty_uploads(client: httpx.Client) -> None:
    for data in (b"just some text", os.urandom(4096), b"\x89PNG\r\n\x1a\n" + os.urandom(200)):
        r = client.post("/v1/classify", files={"file": ("x.jpg", data, "image/jpeg")})
        assert r.status_code in (400, 415), r.text
        _no_server_path(r.text)
    _error(client.post("/v1/classify", files={"file": ("e.png", b"", "image/png")}), 400, "empty")
    png = _png(64, 48)
    _error(
        client.post("/v1/classify", files={"file": ("t.png", png[: len(png) // 2])}), 400, "upload"
    )


@pytest.mark.parametrize("size", [(30000, 30000), (20000, 10000), (3000, 3000)])
def test_header_bombs_are_413(client: httpx.Client, size: tuple[int, int]) -> None:
    bomb = _header_bomb(*size)
    assert len(bomb) < 20_000
    _error(client.post("/v1/classify", files={"file": ("b.png", bomb)}), 413, "limit", "pixels")
    r = client.post("/v1/analyze", files={"file": ("b.png", bomb)}, data={"tasks": "all"})
    _error(r, 413, "limit")


def test_wrong_content_types(client: httpx.Client) -> None:
    png = _png(64, 48)
    r = client.post("/v1/classify", files={"file": ("x.txt", png, "text/plain")})
    assert r.status_code == 200 and r.json()["width"] == 64  # the bytes decide, not the label
    for ctype, body in (
        ("text/plain", b"hello"),
        ("application/json", b'{"file": "x"}'),
        ("image/png", png),
        ("application/x-www-form-urlencoded", b"file=abc&top_k=3"),
        ("multipart/form-data", png),
    ):
        r = client.post("/v1/classify", content=body, headers={"content-type": ctype})
        assert 400 <= r.status_code < 500 and r.json()["status"] == r.status_code, (ctype, r.text)


@pytest.mark.parametrize(
    "path,field,value",
    [
        ("/v1/classify", "top_k", "abc"),
        ("/v1/classify", "top_k", "0"),
        ("/v1/classify", "top_k", "-5"),
        ("/v1/classify", "top_k", "1e400"),
        ("/v1/detect", "conf", "nan"),
        ("/v1/detect", "conf", "inf"),
        ("/v1/detect", "conf", "2"),
        ("/v1/detect", "iou", "much"),
        ("/v1/detect", "max_det", "-1"),
        ("/v1/analyze", "top_k", "0"),
        ("/v1/analyze", "tasks", "classify,,colour"),
        ("/v1/analyze", "tasks", ",,,"),
    ],
)
def test_bad_option_values_are_4xx(client: httpx.Client, path: str, field: str, value: str) -> None:
    r = client.post(path, files={"file": ("x.png", _png(32, 32))}, data={field: value})
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"] and "\n" not in r.json()["error"]


def test_unknown_task(client: httpx.Client) -> None:
    img = {"file": ("x.png", _png(32, 32))}
    _error(client.post("/v1/analyze", files=img, data={"tasks": "colour"}), 400, "unknown task")
    _error(client.post("/v1/colour", files=img), 404)
    _error(client.post("/v1/../etc/passwd", files=img), 404)


def test_a_model_not_served_gets_one_answer(
    client: httpx.Client, model_file: Path, tmp_path: Path
) -> None:
    """An existing file, a missing one, a run folder, a zoo model not served, a bad name: the
    same status and text, which say nothing of the file."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.onnx").write_bytes(model_file.read_bytes())
    values = [
        str(model_file.parent / "face_detection_yunet_2023mar.onnx"),  # exists
        "/nonexistent/model.onnx",
        str(run),
        "../../etc/passwd",
        "resnet50.imagenet",  # a zoo name this service does not serve
        "no-such-model",
        "yolox_nano.coco",  # served, for another task
    ]
    answers = set()
    for value in values:
        r = client.post(
            "/v1/classify", files={"file": ("x.png", _png(32, 32))}, data={"model": value}
        )
        answers.add((r.status_code, r.text))
        _no_server_path(r.text)
    assert len(answers) == 1, answers
    status, text = answers.pop()
    assert status == 422 and "does not serve that model" in text
    assert "mobilenet_v2.imagenet" in text  # what a client may send instead


def test_a_served_file_is_named_without_its_folder(client: httpx.Client) -> None:
    body = client.get("/v1/models").json()
    assert {"name": "yolox_nano", "task": "file"} in body["models"]
    _no_server_path(str(body))
    # served, but it has no foveal metadata: the error names it by its public name only
    r = client.post(
        "/v1/detect", files={"file": ("x.png", _png(32, 32))}, data={"model": "yolox_nano"}
    )
    message = _error(r, 422, "yolox_nano", "metadata")
    _no_server_path(message)
    assert "/" not in message.split("metadata")[0]


def test_errors_do_not_show_foveal_home(client: httpx.Client, tmp_path: Path) -> None:
    from foveal.serve.models import ServedModels

    served = ServedModels.from_list(None)
    home = os.environ["FOVEAL_HOME"]
    text = served.redact(f"{home}/gallery.db is not a gallery; also /srv/x/y.onnx, /v1/detect")
    assert text == "$FOVEAL_HOME/gallery.db is not a gallery; also <server path>, /v1/detect"
    for path in ("/v1/identify", "/v1/faces/identify"):
        r = client.post(path, files={"file": ("x.png", _png(64, 64))})
        assert r.status_code < 500, r.text
        _no_server_path(r.text)


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", "localhost.evil.example", ""]
)
def test_a_foreign_host_is_refused(service: str, host: str) -> None:
    r = httpx.post(
        service + "/v1/classify",
        files={"file": ("x.png", _png(32, 32))},
        headers={"host": host},
    )
    _error(r, 421, "--allow-host")
    r = httpx.get(service + "/", headers={"host": host})  # the page too: DNS rebinding
    _error(r, 421)


def test_localhost_names_are_answered(service: str) -> None:
    port = service.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"LOCALHOST.:{port}", f"app.localhost:{port}", "[::1]"):
        r = httpx.get(service + "/health", headers={"host": host})
        assert r.status_code == 200, (host, r.text)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1.evil.example"},
        {"sec-fetch-site": "cross-site"},
    ],
)
def test_cross_site_posts_are_403(service: str, headers: dict[str, str]) -> None:
    form = '--XyZ\r\nContent-Disposition: form-data; name="tasks"\r\n\r\nclassify\r\n--XyZ--\r\n'
    r = httpx.post(
        service + "/v1/analyze",
        content=form.encode(),
        headers={**headers, "content-type": "multipart/form-data; boundary=XyZ"},
    )
    _error(r, 403, "cross-site")


def test_same_origin_requests_are_served(service: str) -> None:
    img = {"file": ("x.png", _png(32, 32))}
    port = service.rsplit(":", 1)[1]
    for origin in (service, f"http://localhost:{port}"):
        headers = {"origin": origin, "sec-fetch-site": "same-origin"}
        r = httpx.post(service + "/v1/classify", files=img, headers=headers, timeout=120)
        assert r.status_code == 200, r.text
    r = httpx.get(service + "/", headers={"sec-fetch-site": "cross-site"})  # a link: allowed
    assert r.status_code == 200


@pytest.mark.parametrize(
    "models,words",
    [
        ("no-such.model", "--models no-such.model: no model named"),
        ("/nonexistent/x.onnx", "no such model file"),
        ("/etc", "expected a zoo name"),
        (",", "--models is empty"),
    ],
)
def test_serve_refuses_bad_models_at_start(
    models: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from foveal.cli import main

    assert main(["serve", "--port", "1", "--models", models]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err, err


def _requests(url: str) -> list[tuple[str, Callable[[httpx.Client], httpx.Response], set[int]]]:
    """(kind, request, acceptable statuses): valid ones must be 200, hostile ones 4xx."""
    small, tiny = _png(96, 64), _png(32, 32, (10, 200, 10))
    port = url.rsplit(":", 1)[1]
    return [
        ("valid", lambda c: c.post("/v1/classify", files={"file": ("a.png", small)}), {200}),
        (
            "valid",
            lambda c: c.post("/v1/classify", files={"file": ("b.png", tiny)}, data={"top_k": "2"}),
            {200},
        ),
        ("valid", lambda c: c.post("/v1/detect", files={"file": ("c.png", small)}), {200}),
        ("valid", lambda c: c.get("/health"), {200}),
        ("valid", lambda c: c.get("/v1/models"), {200}),
        (
            "valid",
            lambda c: c.post(
                "/v1/classify",
                files={"file": ("d.png", tiny)},
                headers={"origin": f"http://localhost:{port}"},
            ),
            {200},
        ),
        ("hostile", lambda c: c.post("/v1/classify", files={"file": ("g", b"\0garbage")}), {415}),
        ("hostile", lambda c: c.post("/v1/classify", files={"file": ("e", b"")}), {400}),
        (
            "hostile",
            lambda c: c.post("/v1/classify", files={"file": ("b.png", _header_bomb(30000, 30000))}),
            {413},
        ),
        (
            "hostile",
            lambda c: c.post("/v1/classify", content=b"\0" * (1024 * 1024 + 10)),
            {413},
        ),
        (
            "hostile",
            lambda c: c.post(
                "/v1/classify", files={"file": ("x.png", tiny)}, data={"model": "/etc/passwd"}
            ),
            {422},
        ),
        (
            "hostile",
            lambda c: c.post("/v1/classify", files={"file": ("x.png", tiny)}, data={"top_k": "x"}),
            {422},
        ),
        (
            "hostile",
            lambda c: c.post(
                "/v1/classify", files={"file": ("x.png", tiny)}, headers={"host": "evil.example"}
            ),
            {421},
        ),
        (
            "hostile",
            lambda c: c.post(
                "/v1/classify",
                files={"file": ("x.png", tiny)},
                headers={"origin": "https://evil.example"},
            ),
            {403},
        ),
        (
            "hostile",
            lambda c: c.post(
                "/v1/analyze", files={"file": ("x.png", tiny)}, data={"tasks": "colour"}
            ),
            {400},
        ),
        (
            "hostile",
            lambda c: c.post(
                "/v1/classify",
                content=b"x",
                headers={"content-type": "multipart/form-data; boundary=Q"},
            ),
            {400, 422},
        ),
    ]


@pytest.mark.slow
def test_load_20_clients_30_s_no_5xx(service: str) -> None:
    requests = _requests(service)
    deadline = time.monotonic() + LOAD_SECONDS
    counts: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def client_loop(seed: int) -> None:
        with httpx.Client(base_url=service, timeout=120) as c:
            i = seed
            while time.monotonic() < deadline:
                kind, send, ok = requests[i % len(requests)]
                i += 7  # each client walks the list in another order
                try:
                    r = send(c)
                    status, text = r.status_code, r.text[:200]
                except httpx.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"
                with lock:
                    counts[(kind, status)] += 1
                    if status not in ok:
                        failures.append(f"{kind} #{i % len(requests)}: {status} {text}")

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(LOAD_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=LOAD_SECONDS + 180)
    assert not any(t.is_alive() for t in threads), "a client is still waiting for an answer"
    assert not failures, failures[:10]
    assert not [k for k in counts if k[1] >= 500], counts
    valid = sum(n for (kind, _), n in counts.items() if kind == "valid")
    hostile = sum(n for (kind, _), n in counts.items() if kind == "hostile")
    assert valid >= LOAD_CLIENTS and hostile >= LOAD_CLIENTS, counts
    print(f"load: {valid} valid and {hostile} hostile requests answered: {sorted(counts.items())}")


def test_a_served_file_is_offered_for_its_own_task_only(tmp_path: Path) -> None:
    """A foveal file says its task: a classifier is no model for segment (a raw file without
    metadata, like yolox_nano.onnx above, stays offered everywhere and is checked on load)."""
    import shutil

    from foveal.runtime import open_model
    from foveal.serve.models import ServedModels
    from foveal.tasks import TASKS

    cls7 = tmp_path / "cls7.onnx"
    shutil.copy(open_model("mobilenet_v2.imagenet", tasks={"classify"}).path, cls7)
    served = ServedModels.from_list(["selfie.mediapipe", "mobilenet_v2.imagenet", str(cls7)])
    assert served.for_task(TASKS["classify"]) == ["mobilenet_v2.imagenet", "cls7"]
    assert served.for_task(TASKS["segment"]) == ["selfie.mediapipe"]
