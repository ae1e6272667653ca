"""Safe input loading: images (paths, bytes, arrays, PIL), folders, globs, videos and PDFs.

Every image comes back as an RGB ``uint8`` numpy array of shape ``(H, W, 3)``:

* EXIF orientation is applied, so a phone photo comes out the way it was taken;
* grayscale, palette, CMYK, 16-bit and float images are converted to 8-bit RGB;
* transparent pixels (RGBA, LA, palette with transparency) are composited on white;
* images with more than ``max_pixels`` pixels are refused *before* decoding (decompression bombs);
* a corrupt, truncated, empty or non-image file raises :class:`foveal.errors.ImageError` naming it.

>>> from foveal.io import load_image
>>> img = load_image("cat.jpg")
>>> img.shape, img.dtype
((300, 451, 3), dtype('uint8'))

For many inputs use :func:`iter_sources` (files, folders, globs, videos per frame, PDFs per page),
which a :class:`BatchReport` keeps going past bad files.
"""

from foveal.io.image import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    ImageSource,
    default_max_pixels,
    describe_source,
    load_image,
)
from foveal.io.pdf import is_pdf, render_pdf
from foveal.io.sources import (
    BadItem,
    BatchReport,
    Item,
    Sources,
    expand_sources,
    is_image_file,
    is_single_source,
    item_count,
    iter_images,
    iter_sources,
    single_item,
)
from foveal.io.video import VIDEO_EXTENSIONS, is_video_file, iter_video

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "BadItem",
    "BatchReport",
    "ImageSource",
    "Item",
    "Sources",
    "default_max_pixels",
    "describe_source",
    "expand_sources",
    "is_image_file",
    "is_pdf",
    "is_single_source",
    "is_video_file",
    "item_count",
    "iter_images",
    "iter_sources",
    "iter_video",
    "load_image",
    "render_pdf",
    "single_item",
]
