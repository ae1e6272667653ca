"""Training losses: YOLOX detection losses with SimOTA assignment; metric-learning losses for
embedders (faces, re-identification).

>>> from foveal.nn.losses import ArcFaceLoss, TripletLoss
"""

from foveal.nn.losses.arcface import ArcFaceLoss
from foveal.nn.losses.segmentation import segmentation_loss
from foveal.nn.losses.triplet import TripletLoss

__all__ = ["ArcFaceLoss", "TripletLoss", "segmentation_loss"]
