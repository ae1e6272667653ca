"""Where classification lived before ``foveal.tasks.classify``; kept for
``foveal.data.transforms`` and ``foveal.analyze.tasks``, which import ``preprocess``,
``softmax`` and ``topk`` from here."""

from foveal.tasks.classify.predict import Classifier, preprocess, softmax, topk

__all__ = ["Classifier", "preprocess", "softmax", "topk"]
