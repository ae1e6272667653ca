"""foveal models list|info|pull|import|pack — the model zoo."""

from __future__ import annotations

import argparse
import json
import re


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, inspect, fetch and import pretrained models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    msub.required = True

    ls = msub.add_parser(
        "list", help="list the models in the zoo and whether their weights are here"
    )
    ls.add_argument("--task", help="only models of this task (classify, detect, face_detect, ...)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    info = msub.add_parser(
        "info", help="everything about one model (weights, licence, metadata, metrics)"
    )
    info.add_argument("name")
    info.set_defaults(func=_info)

    pull = msub.add_parser(
        "pull", help="make a model's weights available locally (downloads only if needed)"
    )
    pull.add_argument("name")
    pull.set_defaults(func=_pull)

    imp = msub.add_parser("import", help="check a weights file's sha256 and copy it into the cache")
    imp.add_argument("file")
    imp.add_argument("--name", help="the model it belongs to (default: found by sha256)")
    imp.set_defaults(func=_import)

    pack = msub.add_parser(
        "pack",
        help="write every zoo model's inference file into DIR (needs PyTorch), for installs "
        "without it: FOVEAL_WEIGHTS_PATH=DIR",
    )
    pack.add_argument("dir", help="the folder to write (created when missing)")
    pack.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="NAME",
        help="only this model (repeat for several; default: the whole zoo)",
    )
    pack.set_defaults(func=_pack)


def _where(spec) -> str:
    from foveal.runtime.open import packed_onnx
    from foveal.zoo.resolve import candidates

    packed = packed_onnx(spec)
    if packed is not None:
        return f"packed ONNX in {packed.parent}"
    for where, path in candidates(spec.weights):
        if path.is_file():
            return where
    return "missing (foveal models pull NAME)"


HEADLINE_METRICS = (
    ("imagenet_top1", "ImageNet top-1 {:.1f} %"),
    ("coco_map_50_95", "COCO mAP {:.1f}"),
    ("wider_hard_ap", "WIDER hard AP {:.3f}"),
    ("lfw_accuracy", "LFW {:.2f} %"),
)
"""The published figure ``models list`` shows for a model, first one it has."""


def _metric(spec) -> str:
    for key, fmt in HEADLINE_METRICS:
        if key in spec.metrics:
            return fmt.format(spec.metrics[key])
    return "-"


def _where_short(spec) -> str:
    """The WHERE column: package, shared file (FOVEAL_WEIGHTS_PATH), cache, packed ONNX,
    download (fetched on first use; not with FOVEAL_OFFLINE=1) or missing."""
    from foveal.runtime.open import packed_onnx
    from foveal.zoo.resolve import cache_dir, candidates, offline, search_path

    if packed_onnx(spec) is not None:
        return "packed ONNX"
    for _, path in candidates(spec.weights):
        if path.is_file():
            if path.parent == cache_dir():
                return "cache"
            return "shared file" if path.parent in search_path() else "package"
    return "download" if spec.weights.url and not offline() else "missing"


def _licence(spec) -> str:
    """The licence names without their remarks: ``MIT (libfacedetection.train) / Apache-2.0
    (OpenCV zoo)`` -> ``MIT / Apache-2.0``."""
    return re.sub(r"\s*\([^)]*\)", "", spec.weights.licence).strip() or spec.weights.licence


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Rows under a header, each column as wide as its widest cell.

    >>> print(table(("NAME", "TASK"), [("yolox_nano", "detect")]))
    NAME        TASK
    yolox_nano  detect
    """
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    from foveal.zoo import get, list_models

    rows = [get(n) for n in list_models(args.task)]
    if args.json:
        print(json.dumps([{**s.to_dict(), "available": _where(s)} for s in rows], indent=2))
        return 0
    header = ("NAME", "TASK", "LICENCE", "WHERE", "METRIC")
    cells = [(s.name, s.task, _licence(s), _where_short(s), _metric(s)) for s in rows]
    print(table(header, cells))
    return 0


def _info(args: argparse.Namespace) -> int:
    from foveal.zoo import get

    spec = get(args.name)
    facts = {**spec.to_dict(), "meta": spec.meta.to_dict(), "available": _where(spec)}
    print(json.dumps(facts, indent=2))
    return 0


def _pull(args: argparse.Namespace) -> int:
    from foveal.zoo import get, resolve_weights

    path = resolve_weights(get(args.name))
    print(path)
    return 0


def _import(args: argparse.Namespace) -> int:
    from foveal.zoo import import_weights

    name, path = import_weights(args.file, args.name)
    print(f"imported {args.file} as {name}: {path}")
    return 0


EXPORTING_TASK = {"classify": "classify", "face_embed": "faces", "segment": "segment"}
"""The task (of :data:`foveal.tasks.TASKS`) whose exporter writes a zoo model of this model task."""


def _exporter(spec):
    from foveal.tasks import TASKS
    from foveal.zoo import load_callable

    task = TASKS.get(EXPORTING_TASK.get(spec.task, ""))
    if task is None or task.export is None:
        return None
    fn = load_callable(task.export)
    return lambda s, out, weights: fn(s, out, weights=weights)


def _pack(args: argparse.Namespace) -> int:
    from foveal.runtime.pack import pack_models
    from foveal.zoo import get

    specs = [get(n) for n in args.models] if args.models else None
    done = pack_models(args.dir, _exporter, specs)
    width = max((len(p.model) for p in done), default=10)
    for p in done:
        print(f"{p.model:<{width}}  {p.action:<8}  {p.path}")
    print(
        f"packed {len(done)} model(s) into {args.dir}; run them with FOVEAL_WEIGHTS_PATH={args.dir}"
    )
    return 0
