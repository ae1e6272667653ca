"""Feature extraction: learned (any zoo classifier backbone) and hand-crafted, one interface.

>>> from foveal.features import get_extractor, list_extractors
>>> list_extractors()
['color_hist', 'gabor', 'hog', 'lbp', 'sift_bovw', ...]
>>> ex = get_extractor("mobilenet_v2.imagenet")            # pooled, 1280-d, L2-normalised
>>> feats = ex.extract(["cat.jpg", "coffee.png"])
>>> feats.shape, round(float(feats[0] @ feats[1]), 2)      # cosine similarity
((2, 1280), 0.41)

Names: a zoo classifier (``mobilenet_v2.imagenet``) gives its pooled features; ``NAME@K`` gives the
pooled output of backbone stage ``K`` (``mobilenet_v2.imagenet@3``). Hand-crafted: ``hog``,
``sift_bovw``, ``gabor``, ``lbp``, ``color_hist``.
"""

from __future__ import annotations

from typing import Any

from foveal.features.base import Extractor, l2_normalize

HANDCRAFTED = {
    "hog": "foveal.classic.descriptors:HOG",
    "gabor": "foveal.classic.descriptors:Gabor",
    "lbp": "foveal.classic.descriptors:LBP",
    "color_hist": "foveal.classic.descriptors:ColorHistogram",
    "sift_bovw": "foveal.classic.bovw:SiftBoVW",
}


def list_extractors() -> list[str]:
    """Hand-crafted extractor names, then every zoo classifier (each also takes ``@stage``)."""
    from foveal.zoo import list_models

    return sorted(HANDCRAFTED) + list_models("classify")


def get_extractor(name: str, **kwargs: Any) -> Extractor:
    """Build an extractor by name; keyword arguments go to its constructor.

    Raises:
        UnknownModelError: no hand-crafted extractor or zoo classifier has that name.
        ConfigError: the stage suffix is not a number, or the model is not a classifier.
    """
    import importlib

    from foveal.errors import ConfigError

    if name in HANDCRAFTED:
        module, _, attr = HANDCRAFTED[name].partition(":")
        return getattr(importlib.import_module(module), attr)(**kwargs)
    from foveal.features.learned import CNNExtractor

    model, sep, stage = name.partition("@")
    if sep:
        try:
            kwargs["stage"] = int(stage)
        except ValueError as exc:
            raise ConfigError(
                f"extractor {name!r}: the part after '@' must be a stage number, e.g. {model}@3"
            ) from exc
    from foveal.errors import UnknownModelError

    try:
        return CNNExtractor(model, **kwargs)
    except UnknownModelError as exc:
        raise UnknownModelError(
            f"no extractor named {name!r}; choose one of {', '.join(list_extractors())} "
            "(a zoo classifier also takes @STAGE, e.g. mobilenet_v2.imagenet@3)"
        ) from exc


__all__ = ["HANDCRAFTED", "Extractor", "get_extractor", "l2_normalize", "list_extractors"]
