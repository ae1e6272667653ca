"""Learned features: any zoo classifier backbone, pooled (ONNX Runtime) or from a chosen stage.

>>> from foveal.features.learned import CNNExtractor
>>> ex = CNNExtractor("mobilenet_v2.imagenet")            # pooled 1280-d, ONNX Runtime
>>> ex.dim
1280
>>> stage = CNNExtractor("mobilenet_v2.imagenet", stage=3)  # 96-d, stride-16 stage, PyTorch
>>> stage.name
'mobilenet_v2.imagenet@3'

The pooled extractor reuses :class:`foveal.tasks.classify.Classifier` (its ONNX graph
returns logits and the pooled embedding). A stage extractor builds the backbone with
``features_only=True, out_indices=(stage,)`` and global-average-pools that map.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.features.base import Extractor
from foveal.tasks.classify import preprocess
from foveal.zoo import get


class CNNExtractor(Extractor):
    """Pooled CNN features of a zoo classifier, L2-normalised.

    Args:
        model: a zoo classification model (``mobilenet_v2.imagenet``,
            ``efficientnet_lite0.imagenet``).
        stage: ``None`` for the pooled penultimate features (ONNX Runtime by default), or a stage
            index of the backbone contract (``feature_info``; negative counts from the end).
        backend: ``"onnx"`` or ``"torch"`` (stages always run in PyTorch).
        input_size: run at this (h, w) instead of the model's default crop, e.g. (64, 64) for
            tiny images; the whole image is resized (no crop). With ONNX Runtime a pooled graph for
            that size is exported once into the cache.
        threads: CPU threads.
    """

    kind = "learned"

    def __init__(
        self,
        model: str = "mobilenet_v2.imagenet",
        *,
        stage: int | None = None,
        backend: str = "onnx",
        input_size: tuple[int, int] | None = None,
        threads: int | None = None,
    ) -> None:
        spec = get(model)
        if spec.task != "classify":
            raise ConfigError(
                f"{spec.name} is a {spec.task} model; learned extractors take a zoo classifier "
                "backbone "
                "such as mobilenet_v2.imagenet or efficientnet_lite0.imagenet"
            )
        self.spec = spec
        self.model = spec.name
        self.stage = stage
        self.input_size = tuple(input_size) if input_size else None
        if stage is not None:
            backend = "torch"
        self.backend = backend
        self.threads = threads
        pp = spec.preprocess
        if self.input_size:
            pp = replace(pp, input_size=self.input_size, resize=None, crop=False)
        self.pp = pp
        self._net: Any = None
        self._clf: Any = None
        self.name = spec.name if stage is None else f"{spec.name}@{stage}"
        self.dim = self._infer_dim()

    def _infer_dim(self) -> int:
        if self.stage is None:
            return int(self.spec.build().num_features)
        n = len(self.spec.build().feature_info)
        if not -n <= int(self.stage) < n:
            raise ConfigError(f"{self.model} has {n} stages (0..{n - 1}); got stage={self.stage}")
        net = self.spec.build(features_only=True, out_indices=(self.stage,))
        return int(net.feature_info[0].num_chs)

    def params(self) -> dict[str, Any]:
        return {"model": self.model, "stage": self.stage, "input_size": self.input_size}

    def _runner(self) -> Any:
        if self._clf is not None or self._net is not None:
            return self._clf or self._net
        if self.stage is None and self.input_size is None:
            from foveal.tasks.classify import Classifier

            self._clf = Classifier(self.model, backend=self.backend, threads=self.threads)
            return self._clf
        if self.stage is None and self.backend == "onnx":
            from foveal.runtime import open_model

            opened = open_model(self._sized_onnx(), tasks={"embed"}, threads=self.threads)
            self._net = _OnnxPooled(opened.runner)
            return self._net
        import torch

        from foveal.tasks.classify.export import pooled_zoo_classifier

        if self.threads:
            torch.set_num_threads(self.threads)
        if self.stage is None:
            self._net = pooled_zoo_classifier(self.spec)
        else:
            self._net = _load_stage(self.spec, self.stage)
        self._net.eval()
        return self._net

    def _sized_onnx(self) -> Any:
        """The pooled-features ONNX graph at ``input_size``, exported once into
        ``$FOVEAL_HOME/onnx``."""
        from foveal.zoo import ModelMeta
        from foveal.zoo.resolve import foveal_home, resolve_weights, sha256_file

        h, w = self.pp.input_size
        wpath = resolve_weights(self.spec)
        path = foveal_home() / "onnx" / f"{self.model}-{sha256_file(wpath)[:10]}-{h}x{w}.onnx"
        if not path.is_file():
            from foveal.tasks.classify.export import export_pooled
            from foveal.zoo.load import load_model

            meta = ModelMeta(self.model, "embed", self.spec.label_names(), self.pp)
            export_pooled(load_model(self.spec, weights=wpath), meta, path)
        return path

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        return preprocess(image, self.pp)

    def _compute(self, items: list[np.ndarray]) -> np.ndarray:
        runner = self._runner()
        batch = np.stack(items).astype(np.float32, copy=False)
        if self._clf is not None:
            return self._clf.logits_and_embeddings(batch)[1]
        if isinstance(runner, _OnnxPooled):
            return runner(batch)
        import torch

        with torch.inference_mode():
            out = runner(torch.from_numpy(batch))
            # pooled: (logits, embedding); a stage: a list holding its feature map
            out = out[1] if self.stage is None else out[0]
            if out.ndim == 4:
                out = out.mean(dim=(2, 3))
        return out.numpy()


class _OnnxPooled:
    """Call an exported ``(logits, embedding)`` graph, keep the embedding."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.model.run(batch)[1]

    def eval(self) -> _OnnxPooled:
        return self


def _load_stage(spec: Any, stage: int) -> Any:
    """The pretrained backbone with ``features_only=True, out_indices=(stage,)`` (no classifier)."""
    from foveal.zoo.load import load_state_dict
    from foveal.zoo.registry import load_callable
    from foveal.zoo.resolve import resolve_weights

    net = spec.build(features_only=True, out_indices=(stage,))
    sd = load_state_dict(resolve_weights(spec))
    convert = spec.extra.get("convert_state_dict")
    if convert:
        sd = load_callable(convert)(sd)
    missing, _unexpected = net.load_state_dict(sd, strict=False)  # unexpected: the classifier head
    if missing:
        raise FovealError(
            f"weights for {spec.name} do not fit its features-only backbone: missing {missing[:5]}"
        )
    return net.eval()
