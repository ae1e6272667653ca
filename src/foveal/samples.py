"""Real sample photos that install offline with scikit-image, and the README's main job.

>>> from foveal.samples import sample_photos
>>> sorted(sample_photos())                                 # doctest: +SKIP
['astronaut', 'chelsea', 'coffee', 'rocket']

``python -m foveal.samples`` classifies them with the pretrained MobileNetV2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from foveal.errors import FovealError

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut")


def skimage_data_dir() -> Path:
    try:
        import skimage.data
    except ImportError as exc:
        raise FovealError("scikit-image is not installed: pip install 'foveal[samples]'") from exc
    return Path(skimage.data.__file__).parent


def sample_photos(names: tuple[str, ...] = PHOTOS) -> dict[str, Path]:
    """Paths of scikit-image's sample photos (chelsea the cat, coffee, rocket, astronaut)."""
    root = skimage_data_dir()
    out = {}
    for name in names:
        matches = sorted(root.glob(f"{name}.*"))
        if not matches:
            raise FovealError(f"scikit-image sample {name!r} not found in {root}")
        out[name] = matches[0]
    return out


def main() -> int:
    from foveal.tasks.classification import Classifier

    clf = Classifier("mobilenet_v2.imagenet")
    print(f"foveal main job: {clf!r} on scikit-image sample photos")
    for name, path in sample_photos().items():
        result = clf.predict(path, top_k=3)
        top = ", ".join(f"{n} {s:.1%}" for n, s in zip(result.names, result.scores, strict=True))
        print(f"  {name:<10} -> {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
