"""OCR layout blocks through the service (issue 13): ``/v1/analyze`` and ``/v1/ocr`` with
``blocks=true`` return them, and the web page draws them on the canvas (type-coloured, numbered)
and lists the text block by block in reading order (headless Chromium, as test_web_page.py)."""

from __future__ import annotations

from pathlib import Path


def test_analyze_endpoint_returns_blocks_when_asked(client, two_columns: Path) -> None:
    image = ("cols2.png", two_columns.read_bytes(), "image/png")
    r = client.post("/v1/analyze", files={"file": image}, data={"tasks": "ocr", "blocks": "true"})
    assert r.status_code == 200, r.text
    ocr = r.json()["ocr"]
    assert len(ocr["blocks"]) >= 8 and ocr["blocks"][0]["type"] == "header"
    assert [b["order"] for b in ocr["blocks"]] == list(range(len(ocr["blocks"])))
    assert all(line["block"] >= -1 for line in ocr["lines"])
    plain = client.post("/v1/analyze", files={"file": image}, data={"tasks": "ocr"})
    assert plain.status_code == 200 and "blocks" not in plain.json()["ocr"]


def test_ocr_endpoint_returns_blocks_when_asked(client, two_columns: Path) -> None:
    image = ("cols2.png", two_columns.read_bytes(), "image/png")
    r = client.post("/v1/ocr", files={"file": image}, data={"blocks": "true"})
    assert r.status_code == 200, r.text
    ocr = r.json()["ocr"]
    assert len(ocr["blocks"]) >= 8 and ocr["blocks"][0]["type"] == "header"
    assert ocr["text"].index(ocr["lines"][0]["text"]) == 0
    plain = client.post("/v1/ocr", files={"file": image})
    assert plain.status_code == 200 and "blocks" not in plain.json()["ocr"]
    bad = client.post("/v1/ocr", files={"file": image}, data={"blocks": "maybe"})
    assert bad.status_code == 422 and "blocks" in bad.json()["error"]
    spec = client.get("/openapi.json").json()["paths"]["/v1/ocr"]["post"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    body = spec["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].split("/")[-1]
    assert "blocks" in schema[body]["properties"]
    (listed,) = [t for t in client.get("/v1/models").json()["tasks"] if t["name"] == "ocr"]
    assert listed["options"]["blocks"] is False


def test_web_page_draws_and_lists_blocks(web_page, two_columns: Path) -> None:
    with web_page("ocr") as page:
        page.check("#blocks")
        page.set_input_files("#file", str(two_columns))
        page.wait_for_function("document.getElementById('canvas').width === 1275")
        page.locator("#run").focus()
        page.wait_for_timeout(300)
        page.click("#run")
        page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('done')"
            " || document.getElementById('status').className === 'error'",
            timeout=120_000,
        )
        status = page.inner_text("#status")
        blocks_drawn = int(page.get_attribute("#canvas", "data-blocks"))
        items = page.locator("#results li.block").all_inner_texts()
        ids = [
            int(x)
            for x in page.eval_on_selector_all(
                "#results li.block", "(els) => els.map((e) => e.dataset.block)"
            )
        ]
        # the header block's colour (as foveal.viz.text.BLOCK_COLORS) is on the canvas
        teal = page.evaluate(
            "() => { const d = document.getElementById('canvas').getContext('2d')"
            ".getImageData(0, 0, 1275, 1650).data; let n = 0;"
            " for (let i = 0; i < d.length; i += 4)"
            " if (d[i] < 30 && Math.abs(d[i + 1] - 150) < 30 && Math.abs(d[i + 2] - 150) < 30)"
            "     n++;"
            " return n; }"
        )
    assert status.startswith("done"), status
    assert blocks_drawn >= 8
    assert items[0].startswith("block 1 header: ") and items[-1].startswith("block ")
    assert "footer: " in items[-1]
    known = [i for i in ids if i >= 0]
    assert known == sorted(known) and len(set(ids)) == len(ids)  # reading order, block by block
    assert any("Rivers, Clocks and Bread" in t or "Quiet Quarterly" in t for t in items[:2])
    assert teal > 200
