"""OCR: text detection (DB), recognition (CTC), orientation and layout, on ONNX Runtime.

``predict`` holds the task's predictor, ``train`` the CRNN recognizer's recipe, ``export`` its
ONNX export.

>>> from foveal.tasks.ocr import TextReader
>>> TextReader()("page.png").text.splitlines()[0]
'foveal reads text offline'
"""

from foveal.tasks.ocr.predict import PageInfo, ReadOptions, TextReader

__all__ = ["PageInfo", "ReadOptions", "TextReader"]
