"""Evaluation: metrics for every task (classification accuracy, detection mAP, ...), reports and
plots."""
