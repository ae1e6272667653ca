"""Evaluation: metrics for every task (detection mAP, classification accuracy ...)."""
