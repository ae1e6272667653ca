"""foveal faces detect|enroll|identify|verify|list|remove|cluster — face detection and
recognition."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from foveal.cli.media import add_frame_options
from foveal.cli.output import add_precision_options, add_runtime_options

EPILOG = """examples:
  foveal faces enroll ada photos/ada/*.jpg          # one face per photo (else --largest/--index N)
  foveal faces identify party.jpg                   # #1 ada (0.312), #2 unknown (0.804)
  foveal faces identify party.jpg --json            # names or "unknown", with distances
  foveal faces verify a.jpg b.jpg                   # same person? distance vs threshold
  foveal faces cluster unsorted_photos/             # group unknown faces by person
The gallery is faces.db in the user-data folder ($FOVEAL_HOME, else $XDG_DATA_HOME/foveal)
unless --gallery PATH is given."""


def _common(
    p: argparse.ArgumentParser, *, gallery: bool = True, models: bool = True, embeds: bool = True
) -> None:
    if gallery:
        p.add_argument(
            "--gallery", help="gallery database file (default faces.db in the user-data folder)"
        )
    if models:
        p.add_argument(
            "--detector",
            default="yunet.2023mar",
            help="yunet.2023mar (default) or centerface.wider",
        )
        p.add_argument(
            "--embedder", default="dlib_resnet.v1", help="zoo name or ArcFace-style .onnx file"
        )
        p.add_argument(
            "--conf",
            type=float,
            help="face detection score threshold (default: the detector's, 0.8 for YuNet, "
            "0.6 for CenterFace)",
        )
        add_runtime_options(p)
        if embeds:  # int8 applies to the embedder
            add_precision_options(p)
    p.add_argument("--json", action="store_true", help="JSON output")


def _progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )


def _choice(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--largest", action="store_true", help="if a photo has several faces, take the biggest"
    )
    g.add_argument(
        "--index",
        type=int,
        metavar="N",
        help="if a photo has several faces, take face #N (numbered from 1, best score first, "
        "as errors and 'faces identify' list them)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "faces",
        help="detect, enrol, identify, verify and cluster faces",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    fsub = p.add_subparsers(dest="faces_command", metavar="ACTION")
    fsub.required = True

    d = fsub.add_parser("detect", help="face boxes and 5 landmarks")
    d.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    add_frame_options(d)
    _common(d, gallery=False, embeds=False)
    _progress_option(d)
    d.set_defaults(func=_detect)

    e = fsub.add_parser("enroll", help="add a person's photos (one face each) to the gallery")
    e.add_argument("name")
    e.add_argument("images", nargs="+", help="photos of this person (files, folders or globs)")
    _choice(e)
    e.add_argument(
        "--new",
        action="store_true",
        help="refuse if NAME is already enrolled (default: add faces to it)",
    )
    _common(e)
    _progress_option(e)
    e.set_defaults(func=_enroll)

    i = fsub.add_parser("identify", help="name every face in images (1:N)")
    i.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    add_frame_options(i)
    i.add_argument(
        "--threshold", type=float, help="match distance (default: the embedder's, 0.6 for dlib)"
    )
    _common(i)
    _progress_option(i)
    i.set_defaults(func=_identify)

    v = fsub.add_parser("verify", help="are two photos the same person? (1:1)")
    v.add_argument("a")
    v.add_argument("b")
    v.add_argument(
        "--threshold", type=float, help="match distance (default: the embedder's, 0.6 for dlib)"
    )
    _choice(v)
    _common(v, gallery=False)
    v.set_defaults(func=_verify)

    ls = fsub.add_parser("list", help="people in the gallery")
    _common(ls, models=False)
    ls.set_defaults(func=_list)

    rm = fsub.add_parser("remove", help="delete a person and their faces from the gallery")
    rm.add_argument("name")
    _common(rm, models=False)
    rm.set_defaults(func=_remove)

    c = fsub.add_parser("cluster", help="group the faces of a folder by person (no gallery needed)")
    c.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    c.add_argument(
        "--threshold", type=float, help="merge distance (default: the embedder's, 0.6 for dlib)"
    )
    c.add_argument("--linkage", choices=("average", "complete", "single"), default="average")
    _common(c, gallery=False)
    _progress_option(c)
    c.set_defaults(func=_cluster)


def _detector(args: argparse.Namespace) -> Any:
    """The face detector of ``--detector``, on ``--threads``/``--device`` (checked first)."""
    from foveal.cli.output import use_runtime_options
    from foveal.tasks.faces import FaceDetector

    use_runtime_options(args)
    return FaceDetector(args.detector, threads=args.threads)


def _recognizer(args: argparse.Namespace) -> Any:
    from foveal.tasks.faces import FaceRecognizer
    from foveal.tasks.faces.embed import load_embedder

    detector = _detector(args)
    embedder = load_embedder(args.embedder, threads=args.threads)
    return FaceRecognizer(detector, embedder, precision=args.precision, calibrate=args.calibrate)


def _bar(args: argparse.Namespace, items: Any, files: list, desc: str) -> Any:
    """A progress bar over ``files`` (videos count their sampled frames, on a terminal only)."""
    from foveal.cli.media import media_total
    from foveal.cli.output import progress, stderr_is_terminal

    shown = not args.no_progress and stderr_is_terminal()
    every, fps = getattr(args, "every", 1), getattr(args, "fps", None)
    total, unit = media_total(files, every, fps) if shown else (None, "img")
    return progress(items, total=total, desc=desc, unit=unit, enabled=shown)


def _gallery(args: argparse.Namespace) -> Any:
    from foveal.gallery import Gallery

    return Gallery(args.gallery)


def _choose(args: argparse.Namespace) -> str | int | None:
    """--largest, or --index N (face #N, from 1) as the 0-based index the API takes."""
    from foveal.errors import ConfigError

    if args.largest:
        return "largest"
    if args.index is None:
        return None
    if args.index < 1:
        raise ConfigError(
            f"--index {args.index}: faces are numbered from 1 (#1 has the best score); "
            "pass --index 1 or higher"
        )
    return args.index - 1


def _detect(args: argparse.Namespace) -> int:
    from foveal.cli.media import check_frame_options
    from foveal.cli.output import report_bad, write_jsonl
    from foveal.io import BatchReport, expand_sources

    check_frame_options(args)
    det = _detector(args)
    report = BatchReport()
    files = expand_sources(args.inputs, media=True)
    found = det.predict_batch(files, report=report, every=args.every, fps=args.fps, conf=args.conf)
    for item, faces in _bar(args, found, files, "faces detect"):
        if args.json:
            write_jsonl({"source": item.name, **faces.to_dict()}, sys.stdout)
        else:
            boxes = "; ".join(
                f"{[round(float(x)) for x in b]} ({s:.2f})"
                for b, s in zip(faces.xyxy, faces.scores, strict=True)
            )
            print(f"{item.name}: {len(faces)} face(s) {boxes}", flush=True)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0


def _enroll(args: argparse.Namespace) -> int:
    from foveal.cli.output import write_jsonl
    from foveal.io import expand_sources
    from foveal.tasks.faces import enroll_images

    files = expand_sources(args.images)
    rec = _recognizer(args)
    with _gallery(args) as g:
        person = enroll_images(
            g,
            rec,
            args.name,
            _bar(args, files, files, "faces enroll"),
            choose=_choose(args),
            new=args.new,
            conf=args.conf,
        )
        if args.json:
            write_jsonl(
                {
                    "enrolled": person.name,
                    "added": len(files),
                    "faces": person.faces,
                    "gallery": str(g.path),
                },
                sys.stdout,
            )
        else:
            print(
                f"enrolled {len(files)} face(s) for {person.name} ({person.faces} in total) "
                f"in {g.path}"
            )
    return 0


def _identify(args: argparse.Namespace) -> int:
    from foveal.cli.media import check_frame_options
    from foveal.cli.output import report_bad, write_jsonl
    from foveal.io import BatchReport, expand_sources
    from foveal.tasks.faces import FaceIdentifier

    check_frame_options(args)
    report = BatchReport()
    rec = _recognizer(args)
    with _gallery(args) as g:
        ident = FaceIdentifier(g, detector=rec.detector, embedder=rec.embedder)
        if not len(g):
            print(
                f"warning: the gallery {g.path} is empty; every face will be 'unknown' "
                "(enrol people with 'foveal faces enroll NAME PHOTOS...')",
                file=sys.stderr,
            )
        files = expand_sources(args.inputs, media=True)
        found = ident.predict_batch(
            files,
            report=report,
            every=args.every,
            fps=args.fps,
            threshold=args.threshold,
            conf=args.conf,
        )
        for item, faces in _bar(args, found, files, "faces identify"):
            if args.json:
                write_jsonl({"source": item.name, **faces.to_dict()}, sys.stdout)
            else:
                dists = faces.distances if faces.distances is not None else []
                who = ", ".join(
                    f"#{i} {n} ({d:.3f})"
                    for i, (n, d) in enumerate(zip(faces.names or [], dists, strict=True), 1)
                )
                print(f"{item.name}: {who or 'no face'}", flush=True)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0


def _verify(args: argparse.Namespace) -> int:
    from foveal.cli.output import write_jsonl
    from foveal.tasks.faces import verify_images

    res = verify_images(
        _recognizer(args),
        args.a,
        args.b,
        threshold=args.threshold,
        choose=_choose(args),
        conf=args.conf,
    )
    if args.json:
        write_jsonl(res.to_dict(), sys.stdout)
    else:
        verdict = "same person" if res.same else "different people"
        print(f"{verdict}: distance {res.distance:.3f} ({res.metric}), threshold {res.threshold:g}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from foveal.cli.output import write_jsonl

    with _gallery(args) as g:
        people = g.people()
        if args.json:
            write_jsonl(
                {
                    "gallery": str(g.path),
                    "embedder": g.embedder,
                    "people": [p.to_dict() for p in people],
                },
                sys.stdout,
            )
            return 0
        print(f"{g.path}: {len(people)} people, {len(g)} faces")
        for p in people:
            print(f"  {p.name}: {p.faces} face(s)")
    return 0


def _remove(args: argparse.Namespace) -> int:
    with _gallery(args) as g:
        n = g.remove(args.name)
        print(f"removed {args.name} ({n} face(s)) from {g.path}")
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from foveal.cli.output import report_bad, write_jsonl
    from foveal.io import BatchReport, expand_sources
    from foveal.tasks.faces import cluster_images

    report = BatchReport()
    files = expand_sources(args.inputs, media=True)
    clusters = cluster_images(
        _recognizer(args),
        files,
        threshold=args.threshold,
        linkage=args.linkage,
        report=report,
        progress=lambda found: _bar(args, found, files, "faces cluster"),
        conf=args.conf,
    )
    for c in clusters:
        if args.json:
            write_jsonl(c.to_dict(), sys.stdout)
        else:
            print(f"person {c.label}: {len(c.members)} face(s)")
            for src, box in c.members:
                print(f"  {src} {box}")
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
