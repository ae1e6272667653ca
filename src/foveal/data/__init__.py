"""Datasets: reading, writing, converting and checking training data (no heavy imports here)."""
