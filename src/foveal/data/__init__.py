"""Datasets: reading, writing, converting, splitting and checking training data (no heavy imports
here).

ImageFolder trees for classification (scan, split, check-images, Fashion-MNIST converter) and
detection datasets (COCO JSON, YOLO txt, Pascal VOC XML: read, write, convert, check).
"""
