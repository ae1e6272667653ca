"""A self-contained HTML report from a JSON lines file: per-task summaries, then one row per record
with an annotated thumbnail (embedded as a data URI; the page loads nothing from anywhere).

Built by streaming the records twice (summary, then rows written to a temporary file that is renamed
at the end), so memory stays flat; rows beyond ``max_rows`` are counted in the summary only.

>>> from foveal.analyze.report import write_html
>>> from foveal.analyze.run import AnalyzeConfig, run_analyze
>>> config = AnalyzeConfig(inputs=["cat.jpg"], tasks="classify", out="out", progress=False)
>>> run_analyze(config)["records"]
1
>>> write_html("out/records.jsonl", "out/report.html")
PosixPath('out/report.html')
>>> "Egyptian cat" in open("out/report.html", encoding="utf-8").read()
True
"""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from foveal.analyze.draw import annotate, thumbnail
from foveal.analyze.records import iter_records
from foveal.analyze.sources import read_frame
from foveal.analyze.xmp import default_mode
from foveal.errors import FovealError
from foveal.io import is_pdf, is_video_file, load_image
from foveal.io.pdf import read_pdf_page

THUMB = 200  # thumbnail size in pixels; results are drawn at this size, so labels stay legible
PAGE = 480  # pages read with layout blocks: drawn larger, so the numbered blocks can be told apart
CSS = """
body{font:15px/1.4 system-ui,sans-serif;margin:1.5em;color:#111;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1em 0 .4em}
table{border-collapse:collapse;width:100%;table-layout:auto}
th{position:sticky;top:0;background:#f0f0f0;font-size:14px;color:#111;z-index:1}
td,th{border-bottom:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
tr:nth-child(even) td{background:#f8f8f8}
td.img{width:1px;padding:3px}td.src{max-width:16em;overflow-wrap:anywhere;font-size:13px}
td.task{min-width:8em}td pre{margin:0;white-space:pre-wrap;font-size:13px}
.sum{display:flex;flex-wrap:wrap;gap:.6em}\
.card{border:1px solid #bbb;border-radius:6px;padding:.4em .8em;min-width:11em;font-size:14px}
.err{color:#a00}img{display:block;max-width:THUMBpx;max-height:THUMBpx}code{font-size:13px}
img.page{max-width:PAGEpx;max-height:PAGEpx}.block b{font-size:13px}
""".replace("THUMB", str(THUMB)).replace("PAGE", str(PAGE))


class Summary:
    """Per-task counts, updated one record at a time."""

    def __init__(self) -> None:
        self.records = 0
        self.errors = 0
        self.tasks: dict[str, Counter[str]] = {}
        self.task_errors: Counter[str] = Counter()

    def add(self, rec: dict[str, Any]) -> None:
        self.records += 1
        if "error" in rec:
            self.errors += 1
            return
        for task, res in rec.items():
            if not isinstance(res, dict):
                continue
            c = self.tasks.setdefault(task, Counter())
            if "error" in res:
                self.task_errors[task] += 1
                continue
            c["images"] += 1
            if task == "classify" and res.get("top"):
                c["label:" + res["top"][0]["name"]] += 1
            elif task == "detect":
                dets = res.get("detections", [])
                c["with objects"] += bool(dets)
                c["objects"] += len(dets)
                for d in dets:
                    c["label:" + d["name"]] += 1
            elif task in ("faces", "identify"):
                faces = res.get("faces", [])
                c["with faces"] += bool(faces)
                c["faces"] += len(faces)
                for f in faces:
                    if f.get("name"):
                        c["label:" + f["name"]] += 1
            elif task == "ocr":
                lines = res.get("lines", [])
                c["with text"] += bool(lines)
                c["lines"] += len(lines)
                c["characters"] += len(res.get("text", ""))
                if "blocks" in res:
                    c["blocks"] += len(res["blocks"])
                    for b in res["blocks"]:
                        c["label:" + b["type"]] += 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"records": self.records, "unreadable": self.errors}
        for task, c in self.tasks.items():
            labels = Counter({k[6:]: v for k, v in c.items() if k.startswith("label:")})
            out[task] = {k: v for k, v in c.items() if not k.startswith("label:")}
            out[task]["errors"] = self.task_errors[task]
            if labels:
                out[task]["top_labels"] = dict(labels.most_common(15))
        return out


def _short(task: str, res: dict[str, Any]) -> str:
    if "error" in res:
        return f'<span class="err">{html.escape(res["error"])}</span>'
    if task == "classify":
        return "<br>".join(
            f"{html.escape(t['name'])} {t['score']:.2f}" for t in res.get("top", [])[:3]
        )
    if task == "detect":
        c = Counter(d["name"] for d in res.get("detections", []))
        return ", ".join(f"{n} &times;{k}" for n, k in c.most_common()) or "no objects"
    if task in ("faces", "identify"):
        faces = res.get("faces", [])
        names = [f["name"] for f in faces if f.get("name")]
        return f"{len(faces)} face(s)" + (": " + html.escape(", ".join(names)) if names else "")
    if task == "ocr":
        if "blocks" in res:
            return ocr_blocks_html(res)
        text = res.get("text", "")
        return f"<pre>{html.escape(text[:500])}</pre>" if text else "no text"
    if task == "segment":  # each class's share of the image, largest first
        classes = sorted(res.get("classes", []), key=lambda c: -c["fraction"])
        return "<br>".join(f"{html.escape(c['name'])} {100 * c['fraction']:.1f}%" for c in classes)
    if task == "restore":
        return f"mean change {res.get('change', 0.0):.1f} / 255"
    return html.escape(str(res)[:200])


def ocr_blocks_html(res: dict[str, Any], max_chars: int = 4000) -> str:
    """An OCR record's text block by block, in reading order: each run of lines of one layout
    block under its number and type, in the block's outline colour (lines outside every block
    under "no block"); at most ``max_chars`` characters of text.

    >>> res = {"lines": [{"text": "Title", "block": 0}, {"text": "Body", "block": 1}],
    ...        "blocks": [{"type": "title", "order": 0}, {"type": "text", "order": 1}]}
    >>> print(ocr_blocks_html(res))
    <div class='blocks'>2 lines, 2 blocks</div>...
    """
    from foveal.viz.text import block_color

    blocks = {b["order"]: b["type"] for b in res.get("blocks", [])}
    lines = res.get("lines", [])
    parts = [f"<div class='blocks'>{len(lines)} lines, {len(blocks)} blocks</div>"]
    shown, run, current = 0, [], None

    def flush() -> None:
        if not run:
            return
        if current is None or current < 0:
            head, colour = "no block", (90, 90, 90)
        else:
            head, colour = f"{current + 1} {blocks.get(current, '?')}", block_color(blocks[current])
        parts.append(
            f"<div class='block' data-block='{current}'><b style='color:rgb{colour}'>"
            f"{html.escape(head)}</b><pre>{html.escape(chr(10).join(run))}</pre></div>"
        )

    for line in lines:
        b = line.get("block", -1)
        if run and b != current:
            flush()
            run = []
        current = b
        text = line.get("text", "")
        if shown + len(text) > max_chars:
            run.append("...")
            break
        run.append(text)
        shown += len(text)
    flush()
    return "".join(parts)


GEOMETRY = ("box", "landmarks", "polygon", "keypoints")  # image coordinates in a record


def scaled(value: Any, factor: float, key: str = "") -> Any:
    """A copy of a record with every coordinate (boxes, landmarks, polygons, keypoints) times
    ``factor``.

    >>> scaled({"detect": {"detections": [{"box": [10, 20, 30, 40], "score": 0.5}]}}, 0.5)
    {'detect': {'detections': [{'box': [5.0, 10.0, 15.0, 20.0], 'score': 0.5}]}}
    """
    if isinstance(value, dict):
        return {k: scaled(v, factor, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scaled(v, factor, key) for v in value]
    if key in GEOMETRY and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    return value


def has_blocks(rec: dict[str, Any]) -> bool:
    """Whether the record holds OCR with layout blocks."""
    return isinstance(rec.get("ocr"), dict) and bool(rec["ocr"].get("blocks"))


def _thumb_uri(rec: dict[str, Any]) -> str:
    src = rec["source"]
    if "frame" in rec and is_video_file(src):
        image = read_frame(src, rec["frame"])
    elif "page" in rec and is_pdf(src):
        image = read_pdf_page(src, rec["page"])
    else:
        image = load_image(src)
    small = thumbnail(image, PAGE if has_blocks(rec) else THUMB)
    factor = small.width / image.shape[1]
    pil = annotate(np.asarray(small), scaled(rec, factor))
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def write_html(
    records: str | os.PathLike | Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    title: str = "foveal analyze report",
    max_rows: int = 1000,
) -> Path:
    """Write the HTML report of one or more JSON lines files to ``out`` (atomically)."""
    files = [records] if isinstance(records, (str, os.PathLike)) else list(records)
    out = Path(out)
    summary = Summary()
    for f in files:
        for rec in iter_records(f):
            summary.add(rec)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(
                f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            )
            fh.write(_summary_html(summary, max_rows))
            fh.write(
                "<h2>Images</h2><table><tr><th>image</th><th>source</th>"
                + "".join(f"<th>{html.escape(t)}</th>" for t in summary.tasks)
                + "</tr>"
            )
            rows = 0
            for f in files:
                for rec in iter_records(f):
                    if rows >= max_rows:
                        break
                    rows += 1
                    fh.write(_row(rec, list(summary.tasks)))
            fh.write("</table></body></html>\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, default_mode())
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out


def _summary_html(summary: Summary, max_rows: int) -> str:
    d = summary.to_dict()
    cards = [
        f"<div class='card'><b>records</b><br>{d['records']} ({d['unreadable']} unreadable)"
        + (f"<br>first {max_rows} shown below" if d["records"] > max_rows else "")
        + "</div>"
    ]
    for task in summary.tasks:
        info = d[task]
        body = "<br>".join(f"{html.escape(k)}: {v}" for k, v in info.items() if k != "top_labels")
        if "top_labels" in info:
            body += (
                "<br><i>"
                + ", ".join(f"{html.escape(k)} {v}" for k, v in info["top_labels"].items())
                + "</i>"
            )
        cards.append(f"<div class='card'><b>{html.escape(task)}</b><br>{body}</div>")
    return "<h2>Summary</h2><div class='sum'>" + "".join(cards) + "</div>"


def _row(rec: dict[str, Any], tasks: list[str]) -> str:
    name = rec["source"] + (f" #{rec['frame']} ({rec['time']} s)" if "frame" in rec else "")
    name += f" page {rec['page']}" if "page" in rec else ""
    if "error" in rec:
        return (
            f"<tr><td class='img'></td><td class='src'><code>{html.escape(name)}</code></td>"
            f"<td colspan='{max(1, len(tasks))}' class='err'>{html.escape(rec['error'])}</td></tr>"
        )
    try:
        kind = " class='page'" if has_blocks(rec) else ""
        img = f"<img{kind} src='{_thumb_uri(rec)}' alt='{html.escape(name, quote=True)}'>"
    except (FovealError, OSError) as exc:
        img = f"<span class='err'>no thumbnail: {html.escape(str(exc))}</span>"
    cells = "".join(f"<td class='task'>{_short(t, rec[t]) if t in rec else ''}</td>" for t in tasks)
    return (
        f"<tr><td class='img'>{img}</td><td class='src'><code>{html.escape(name)}</code></td>"
        f"{cells}</tr>"
    )
