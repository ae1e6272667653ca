"""Semantic segmentation: a class for every pixel (U-Net, trainable; sliding-window inference)."""
