"""Datasets on disk: ImageFolder trees (scan, split, check) and converters (Fashion-MNIST)."""
