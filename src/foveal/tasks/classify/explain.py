"""Grad-CAM (Selvaraju et al., 2017): where a CNN classifier looks, as a heat map over the image.

Grad-CAM runs the network in PyTorch (seconds), so the example is not run here::

    from foveal.tasks.classify.explain import explain
    result = explain("cat.jpg", model="mobilenet_v2.imagenet", out="cat_cam.png")
    result.name, round(result.score, 2), result.heatmap.shape   # ('Egyptian cat', 0.69, (7, 7))
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.io import ImageSource, load_image
from foveal.tasks.classify.predict import preprocess
from foveal.utils.files import atomic_path
from foveal.zoo import Preprocess


@dataclass
class Explanation:
    """A Grad-CAM heat map ``(h, w)`` in [0, 1] over the network's input crop, for one class."""

    class_id: int
    name: str
    score: float
    heatmap: np.ndarray
    image: np.ndarray  # the resized, centre-cropped RGB input the network saw
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "class_id": self.class_id,
            "name": self.name,
            "score": self.score,
            "path": str(self.path) if self.path else None,
        }


@dataclass(frozen=True)
class TorchClassifier:
    """A PyTorch classifier ready for Grad-CAM: the timm-style network, its preprocessing,
    labels and a display name."""

    net: Any
    preprocess: Preprocess
    labels: tuple[str, ...]
    name: str


def load_torch_classifier(model: str | os.PathLike) -> TorchClassifier:
    """The PyTorch classifier of a zoo name or a training run folder (ONNX files have no
    gradients)."""
    p = Path(model)
    if p.suffix == ".onnx":
        raise ConfigError(
            f"{p} is an ONNX file; Grad-CAM needs gradients from the PyTorch network: pass the "
            "training run folder (it holds checkpoints/best.pt) or a zoo name"
        )
    if p.is_dir():
        from foveal.tasks.classify.network import load_trained

        wrapped, info = load_trained(p)
        return TorchClassifier(
            wrapped.net,
            Preprocess.from_dict(info["preprocess"]),
            tuple(info["classes"]),
            f"{info['arch']} ({p})",
        )
    from foveal.zoo import get
    from foveal.zoo.load import load_model

    spec = get(str(model))
    if spec.task != "classify":
        raise ConfigError(
            f"{spec.name} is a {spec.task} model; explain works with image classifiers"
        )
    return TorchClassifier(load_model(spec), spec.preprocess, spec.label_names(), spec.name)


def gradcam(net: Any, x: Any, class_id: int | None = None) -> tuple[np.ndarray, int, float]:
    """Heat map ``(h, w)`` at the last feature map's resolution, the class explained and its
    probability."""
    import torch

    net.eval()
    with torch.enable_grad():
        feats = net.forward_features(x)
        feats.retain_grad()
        logits = net.forward_head(feats)
        probs = torch.softmax(logits, 1)[0]
        cid = int(probs.argmax()) if class_id is None else int(class_id)
        if not 0 <= cid < logits.shape[1]:
            raise ConfigError(f"class index {cid} is outside 0..{logits.shape[1] - 1}")
        net.zero_grad(set_to_none=True)
        logits[0, cid].backward()
    weights = feats.grad[0].mean(dim=(1, 2))  # (C,)
    cam = torch.relu((weights[:, None, None] * feats[0]).sum(0)).detach().numpy()
    cam = cam / cam.max() if cam.max() > 0 else cam
    return cam.astype(np.float32), cid, float(probs[cid].detach())


def overlay(image: np.ndarray, heatmap: np.ndarray, *, alpha: float = 0.45) -> np.ndarray:
    """Blend a [0, 1] heat map (resized bilinearly) over an RGB image with the ``jet`` colour
    map."""
    from matplotlib import colormaps
    from PIL import Image

    h, w = image.shape[:2]
    small = Image.fromarray((heatmap * 255).astype(np.uint8))
    hm = np.asarray(small.resize((w, h), Image.BILINEAR)) / 255.0
    colour = colormaps["jet"](hm)[..., :3] * 255.0
    return np.clip((1 - alpha) * image + alpha * colour, 0, 255).astype(np.uint8)


def explain(
    image: ImageSource,
    *,
    model: str | os.PathLike = "mobilenet_v2.imagenet",
    target: str | int | None = None,
    out: str | os.PathLike | None = None,
    alpha: float = 0.45,
    loaded: TorchClassifier | None = None,
) -> Explanation:
    """Grad-CAM for the top class (or ``target``: a class name or index); writes a PNG overlay
    to ``out``. ``loaded`` (from :func:`load_torch_classifier`) replaces ``model`` when
    explaining many images."""
    import torch

    clf = loaded or load_torch_classifier(model)
    labels = clf.labels
    rgb = load_image(image)
    x = torch.from_numpy(preprocess(rgb, clf.preprocess))[None]
    cid = None
    if isinstance(target, str) and not target.isdigit():
        if target not in labels:
            raise ConfigError(
                f"class {target!r} is not one of the model's classes ({', '.join(labels[:8])} ...)"
            )
        cid = labels.index(target)
    elif target is not None:
        cid = int(target)
    cam, cid, score = gradcam(clf.net, x, cid)
    seen = input_view(rgb, clf.preprocess)
    result = Explanation(cid, labels[cid] if cid < len(labels) else str(cid), score, cam, seen)
    if out is not None:
        from PIL import Image

        path = Path(out)
        big = max(1, 224 // max(seen.shape[:2]))  # enlarge tiny inputs so the PNG is readable
        base = np.kron(seen, np.ones((big, big, 1), dtype=np.uint8)) if big > 1 else seen
        with atomic_path(path, suffix=".part.png") as tmp:
            Image.fromarray(overlay(base, cam, alpha=alpha)).save(tmp)
        result.path = path
    return result


def input_view(rgb: np.ndarray, pp: Preprocess) -> np.ndarray:
    """The RGB pixels the network sees: the same resize and centre crop, without
    normalisation."""
    ident = replace(pp, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), scale=1.0, channel_order="RGB")
    return np.clip(preprocess(rgb, ident).transpose(1, 2, 0) + 0.5, 0, 255).astype(np.uint8)
