"""Image classification: :class:`Classifier` (predict), ``train``, ``export`` and ``explain``
(Grad-CAM).

>>> from foveal.tasks.classify import Classifier
>>> Classifier.default_model
'mobilenet_v2.imagenet'
"""

from foveal.tasks.classify.predict import Classifier, preprocess, softmax, topk

__all__ = ["Classifier", "preprocess", "softmax", "topk"]
