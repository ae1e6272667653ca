"""OCR: text detection (DB), recognition (CTC), orientation and layout, on ONNX Runtime.

>>> from foveal.tasks.ocr import TextReader
>>> lines = TextReader().read("page.png")                  # doctest: +SKIP
>>> lines.text                                             # doctest: +SKIP
"""

from foveal.tasks.ocr.pipeline import PageInfo, TextReader

__all__ = ["PageInfo", "TextReader"]
