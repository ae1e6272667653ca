"""Evaluation of trained models on labelled data (metrics, reports, plots)."""
