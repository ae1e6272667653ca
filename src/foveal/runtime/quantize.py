"""int8: static QDQ quantisation of a foveal ONNX file, calibrated on real images.

ONNX Runtime's ``quantize_static`` (QDQ format, per-channel int8 weights, uint8 activations,
percentile calibration: 1.9x faster than int8 activations on a VNNI CPU, and closer to fp32 than
MinMax) on the tensors a task's own ``preprocess`` makes of calibration images. The
quantised file is cached under ``$FOVEAL_HOME/int8``, keyed by the sha256 of the fp32 file and of
the calibration set, so a second run with the same files loads it at once. Dynamic quantisation
is never used: for CNNs it runs ConvInteger, slower than fp32 on CPU.

>>> from pathlib import Path
>>> from foveal.runtime import open_model
>>> fp32 = open_model("yolox_nano.coco", tasks={"detect"}).path
>>> int8_file(fp32, [Path("cat.jpg"), Path("coffee.png")]).name   # where it is cached
'yolox_nano-695e750a5d-cal-...-qdq3.onnx'

Quantising calibrates on the images (seconds to minutes), so this example is not run here::

    from foveal.tasks.classify import Classifier
    clf = Classifier(precision="int8", calibrate="photos/")
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ExportError, ImageError
from foveal.runtime.onnx import META_KEY
from foveal.utils.files import atomic_path
from foveal.zoo.meta import ModelMeta
from foveal.zoo.resolve import foveal_home, sha256_file

PRECISIONS = ("fp32", "int8")
"""Inference precisions: ``fp32`` (the model as trained) or ``int8`` (static QDQ quantisation)."""

RECIPE = "qdq3"
"""The quantisation settings' version, part of the cache key: a new recipe writes new files
(qdq3: every file carries foveal's metadata, also when its fp32 source is a raw zoo file)."""

MAX_CALIBRATION_IMAGES = 200
"""Calibration reads at most this many images of a folder (sorted by name): MinMax ranges settle
long before, and memory stays bounded."""


def check_precision(precision: str, calibrate: object = None) -> str:
    """``precision`` when it is one of :data:`PRECISIONS` (and calibration images come only
    with int8, which is the one precision that uses them).

    >>> check_precision("int8", "photos/")
    'int8'

    Raises:
        ConfigError: any other value, or ``calibrate`` given with fp32.
    """
    if precision not in PRECISIONS:
        raise ConfigError(
            f"precision {precision!r} is not known; choose one of {', '.join(PRECISIONS)} "
            "(--precision or precision=)"
        )
    if calibrate is not None and precision != "int8":
        raise ConfigError(
            f"calibration images ({calibrate}) go with int8; add --precision int8 "
            "(precision='int8') or drop --calibrate (calibrate=)"
        )
    return precision


WEIGHTED_OPS = frozenset({"Conv", "Gemm", "MatMul", "ConvTranspose"})


@dataclass(frozen=True)
class Int8Recipe:
    """How a task's network is quantised, besides the fixed settings of :func:`quantize_int8`.

    Attributes:
        percentile: the calibration percentile of activation ranges (ONNX Runtime's default
            99.999); lower clips rare outliers for finer steps on the common values.
        keep_first: the first this many weighted layers, and every node before the next one,
            stay in fp32 (networks whose early, wide-range activations lose most in 8 bits).
        float_tail: every node between the last weighted layers and the outputs stays in fp32
            (decoders that concatenate boxes and probabilities into one output).
    """

    percentile: float = 99.999
    keep_first: int = 0
    float_tail: bool = False

    @property
    def key(self) -> str:
        """A short name of the non-default settings, part of the cache file name."""
        parts = []
        if self.percentile != 99.999:
            parts.append(f"p{self.percentile:g}")
        if self.keep_first:
            parts.append(f"f{self.keep_first}")
        if self.float_tail:
            parts.append("t")
        return "-".join(parts)


DEFAULT_RECIPE = Int8Recipe()


Calibration = str | os.PathLike | Sequence[str | os.PathLike] | None
"""A folder of images, a list of image files, or ``None`` for the default set."""


def calibration_files(calibrate: Calibration) -> list[Path]:
    """The images to calibrate on: the image files of a folder (recursive, sorted, at most
    :data:`MAX_CALIBRATION_IMAGES`), a list of files, or ``None`` for the default set (the
    sample photos that ship with scikit-image: :func:`foveal.samples.sample_photos`).

    Raises:
        ConfigError: a folder without images, or a path that does not exist.
    """
    from foveal.io.image import IMAGE_EXTENSIONS

    if calibrate is None:
        from foveal.samples import sample_photos

        return sorted(sample_photos().values())
    if isinstance(calibrate, (str, os.PathLike)):
        folder = Path(calibrate)
        if not folder.exists():
            raise ConfigError(
                f"calibration folder {folder} does not exist; give a folder of images like the "
                "ones the model will see (--calibrate DIR)"
            )
        if folder.is_file():
            files = [folder]
        else:
            files = sorted(
                p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
            )[:MAX_CALIBRATION_IMAGES]
    else:
        files = [Path(p) for p in calibrate]
    if not files:
        raise ConfigError(
            f"{calibrate} holds no images (.jpg, .png, ...); int8 calibration needs a few dozen "
            "images like the ones the model will see"
        )
    return files


def calibration_key(files: Sequence[Path]) -> str:
    """A digest of the calibration set's contents (names do not matter, order does not either)."""
    h = hashlib.sha256()
    for digest in sorted(sha256_file(p) for p in files):
        h.update(digest.encode())
    return h.hexdigest()


def int8_file(
    model: str | os.PathLike, files: Sequence[Path], recipe: Int8Recipe = DEFAULT_RECIPE
) -> Path:
    """Where the int8 version of ``model`` calibrated on ``files`` is cached."""
    path = Path(model)
    settings = "-".join(filter(None, (RECIPE, recipe.key)))
    name = f"{path.stem}-{sha256_file(path)[:10]}-cal-{calibration_key(files)[:10]}-{settings}.onnx"
    return foveal_home() / "int8" / name


PER_CHANNEL_OPSET = 13
"""Per-channel ``DequantizeLinear`` (its ``axis``) needs opset 13; older files are converted."""


def at_least_opset(path: Path, opset: int) -> None:
    """Convert the ONNX file at ``path`` in place to ``opset`` when its default domain is older."""
    import onnx
    from onnx import version_converter

    model = onnx.load(str(path))
    current = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if current < opset:
        onnx.save(version_converter.convert_version(model, opset), str(path))


def head_nodes(graph, keep_first: int) -> list[str]:  # noqa: ANN001 - an onnx GraphProto
    """Names of the nodes before the ``keep_first + 1``-th weighted layer (graph order)."""
    names: list[str] = []
    seen = 0
    if keep_first <= 0:
        return names
    for node in graph.node:
        if node.op_type in WEIGHTED_OPS:
            seen += 1
            if seen > keep_first:
                break
        names.append(node.name)
    return names


def tail_nodes(graph) -> list[str]:  # noqa: ANN001 - an onnx GraphProto
    """Names of the nodes from the last weighted layers to the outputs (those layers included)."""
    producer = {out: node for node in graph.node for out in node.output}
    names: list[str] = []
    seen: set[str] = set()
    stack = [o.name for o in graph.output]
    while stack:
        node = producer.get(stack.pop())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        names.append(node.name)
        if node.op_type not in WEIGHTED_OPS:
            stack.extend(node.input)
    return names


def edge_layers(path: Path) -> list[str]:
    """The weighted layers kept in fp32: those that read the image and those that write an
    output (first conv, classifier head). Measured on MobileNetV2 (bench/int8_accuracy.py): top-1
    on held-out photos 81.3% -> 82.4% (fp32 83.0%), agreement with fp32 94.0% -> 96.7%, at the
    same speed."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    inputs = {i.name for i in graph.input}
    outputs = {o.name for o in graph.output}
    return [
        n.name
        for n in graph.node
        if n.name
        and n.op_type in WEIGHTED_OPS
        and (inputs.intersection(n.input) or outputs.intersection(n.output))
    ]


def nothing_to_calibrate(model: str) -> ConfigError:
    """The one-line error for calibration images that gave a network no input at all."""
    return ConfigError(
        f"the calibration images gave {model or 'the model'} nothing to calibrate on (no text "
        "lines for OCR, no faces for a face embedder); give images like the ones it will read"
    )


QUANTISED_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "QLinearConv", "ConvInteger"})


def is_quantised(path: str | os.PathLike) -> bool:
    """True when the ONNX file at ``path`` already holds quantised (int8) operators.

    >>> from foveal.runtime import open_model
    >>> is_quantised(open_model("yolox_nano.coco", tasks={"detect"}).path)
    False
    """
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return any(node.op_type in QUANTISED_OPS for node in graph.node)


class TensorReader:
    """ONNX Runtime's ``CalibrationDataReader``: one preprocessed image per ``get_next``."""

    def __init__(self, input_name: str, tensors: Iterable[np.ndarray]) -> None:
        self.input_name = input_name
        self.tensors = iter(tensors)

    def get_next(self) -> dict[str, np.ndarray] | None:
        tensor = next(self.tensors, None)
        if tensor is None:
            return None
        return {self.input_name: np.ascontiguousarray(tensor[None], dtype=np.float32)}


class OneByOneReader:
    """A ``CalibrationDataReader`` that ONNX Runtime's strided calibration (``CalibStridedMinMax``
    = 1) reads one tensor per ``collect_data`` call: inputs of different shapes (text lines of
    any width, pages of any size) are fine, and only one input's activations are held at a time
    (the calibrators otherwise keep every intermediate output of the whole set, then stack
    them). The inputs themselves are all held.

    Raises:
        ConfigError: no tensors at all (e.g. calibration pages without text lines).
    """

    def __init__(self, input_name: str, tensors: Iterable[np.ndarray], model: str = "") -> None:
        self.input_name = input_name
        self.tensors = [np.ascontiguousarray(t[None], dtype=np.float32) for t in tensors]
        self.start = self.end = 0
        if not self.tensors:
            raise nothing_to_calibrate(model)

    def __len__(self) -> int:
        return len(self.tensors)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.start, self.end = start_index, min(end_index, len(self.tensors))

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.start >= self.end:
            return None
        self.start += 1
        return {self.input_name: self.tensors[self.start - 1]}


def quantize_int8(
    model: str | os.PathLike,
    tensors: Iterable[np.ndarray],
    out: str | os.PathLike,
    *,
    exclude: Sequence[str] = (),
    recipe: Int8Recipe = DEFAULT_RECIPE,
    varying_shapes: bool = False,
    meta: ModelMeta | None = None,
) -> Path:
    """Write the static QDQ int8 version of ``model`` at ``out`` (atomically; only a file that
    ONNX Runtime loads is written).

    Args:
        model: an fp32 ONNX file with one image input.
        tensors: calibration inputs, one ``(C, H, W)`` float32 tensor per image (the task's own
            preprocessing of real images).
        exclude: names of nodes kept in fp32 besides :func:`edge_layers`.
        recipe: the task's settings (:class:`Int8Recipe`).
        varying_shapes: the tensors differ in shape (OCR lines and pages): calibrate on one at
            a time (:class:`OneByOneReader`).
        meta: the model's :class:`ModelMeta`, stored on the int8 file when ``model`` has none
            (a raw zoo file): the written file then opens like any foveal export.

    Raises:
        ExportError: ONNX Runtime could not quantise the file, or not into a file it loads.
        ConfigError: no tensors at all.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    src = Path(model)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    input_name = onnx.load(str(src), load_external_data=False).graph.input[0].name
    if varying_shapes:
        reader: TensorReader | OneByOneReader = OneByOneReader(input_name, tensors, src.name)
        strided = {"CalibStridedMinMax": 1}  # one input per collect_data call (any calibrator)
    else:
        stream = iter(tensors)
        first = next(stream, None)
        if first is None:
            raise nothing_to_calibrate(src.name)
        reader, strided = TensorReader(input_name, itertools.chain([first], stream)), {}
    with tempfile.TemporaryDirectory(dir=target.parent) as work, atomic_path(target) as tmp:
        pre = Path(work) / "pre.onnx"
        try:
            quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
            at_least_opset(pre, PER_CHANNEL_OPSET)
            graph = onnx.load(str(pre), load_external_data=False).graph
            keep = [*edge_layers(pre), *exclude, *head_nodes(graph, recipe.keep_first)]
            if recipe.float_tail:
                keep += tail_nodes(graph)
            # ONNX Runtime's calibrators print progress on stdout, where commands write results
            with contextlib.redirect_stdout(io.StringIO()):
                quantize_static(
                    str(pre),
                    str(tmp),
                    reader,
                    quant_format=QuantFormat.QDQ,
                    per_channel=True,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.Percentile,
                    nodes_to_exclude=sorted(set(keep)),
                    extra_options={"CalibPercentile": recipe.percentile, **strided},
                )
        except Exception as exc:  # noqa: BLE001 - ORT and onnx raise many types
            raise ExportError(f"int8 quantisation of {src} failed: {exc}") from exc
        # keep foveal's metadata (task, labels, preprocessing) on the quantised file
        fp32 = onnx.load(str(src), load_external_data=False)
        q = onnx.load(str(tmp))
        del q.metadata_props[:]
        q.metadata_props.extend(fp32.metadata_props)
        if meta is not None and not any(p.key == META_KEY for p in q.metadata_props):
            q.metadata_props.add(key=META_KEY, value=meta.to_json())
        onnx.save(q, str(tmp))
        check_loads(tmp, src)
    return target


def check_loads(path: Path, source: Path) -> None:
    """Raise :class:`ExportError` unless ONNX Runtime opens the quantised file at ``path``."""
    import onnxruntime as ort

    try:
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - ORT raises its own exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(
            f"int8 quantisation of {source} wrote a file ONNX Runtime cannot load ({first}); "
            "nothing was kept"
        ) from exc


def readable_images(files: Sequence[Path]) -> Iterable[np.ndarray]:
    """The calibration images as RGB arrays, one at a time; a file that cannot be read is left
    out with one line on stderr (one bad photo in a folder does not stop the quantisation)."""
    from foveal.io import load_image

    for path in files:
        try:
            yield load_image(path)
        except ImageError as exc:
            print(f"foveal: calibration skips {exc}", file=sys.stderr)


def cached_int8(
    model: str | os.PathLike,
    preprocess: Callable[[np.ndarray], np.ndarray],
    calibrate: Calibration = None,
    *,
    exclude: Sequence[str] = (),
    recipe: Int8Recipe = DEFAULT_RECIPE,
    varying_shapes: bool = False,
    meta: ModelMeta | None = None,
) -> Path:
    """The int8 file of ``model`` calibrated on ``calibrate`` (see :func:`calibration_files`):
    from the cache, else quantised now (announced on stderr) with ``preprocess`` (RGB uint8 image
    -> one ``(C, H, W)`` tensor, or ``(N, C, H, W)`` for several, e.g. one per face) on the
    calibration images. With ``varying_shapes``, ``preprocess`` gives a list of ``(C, H, W)``
    tensors of any shapes (e.g. one per text line: :func:`quantize_int8`). ``meta`` goes on the
    int8 file when ``model`` carries none. A ``model`` that is already int8 comes back as it is.
    """

    if is_quantised(model):
        return Path(model)
    files = calibration_files(calibrate)
    out = int8_file(model, files, recipe)
    if out.is_file():
        return out
    print(
        f"foveal: quantising {Path(model).name} to int8 once, on {len(files)} calibration "
        f"image(s) ({out})",
        file=sys.stderr,
    )
    prepared = (preprocess(image) for image in readable_images(files))
    tensors = (t for x in prepared for t in (x if isinstance(x, list) or x.ndim == 4 else x[None]))
    return quantize_int8(
        model,
        tensors,
        out,
        exclude=exclude,
        recipe=recipe,
        varying_shapes=varying_shapes,
        meta=meta,
    )
