"""Evaluation metrics and runners, one module per task (e.g. :mod:`foveal.evaluate.ocr`)."""
