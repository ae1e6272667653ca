"""The model zoo: named pretrained models (``arch.tag``), their weights as data, and a resolver.

>>> from foveal import zoo
>>> spec = zoo.get("mobilenet_v2.imagenet")
>>> spec.preprocess.input_size
(224, 224)
>>> zoo.resolve_weights(spec).name              # offline: cache, path, package
'mobilenet_v2-b0353104.pth'

Weights are found, in order, at: an explicit path, the user cache (``$FOVEAL_HOME/weights``,
default ``~/.cache/foveal/weights``), each folder on ``FOVEAL_WEIGHTS_PATH``, an installed package
that ships the file, and only then the public URL (announced, sha256-checked, never when
``FOVEAL_OFFLINE=1``).
"""

from foveal.zoo.meta import ModelMeta, Preprocess
from foveal.zoo.registry import (
    ModelSpec,
    WeightSpec,
    all_specs,
    get,
    list_models,
    load_callable,
    register,
)
from foveal.zoo.resolve import cache_dir, import_weights, resolve_weights, sha256_file

__all__ = [
    "ModelMeta",
    "ModelSpec",
    "Preprocess",
    "WeightSpec",
    "all_specs",
    "cache_dir",
    "get",
    "import_weights",
    "list_models",
    "load_callable",
    "register",
    "resolve_weights",
    "sha256_file",
]
