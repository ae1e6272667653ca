"""The general method: convolutional backbones, necks, heads and losses, in PyTorch.

Every backbone follows one contract (:class:`foveal.nn.backbones.base.Backbone`):

* ``forward_features(x)`` -> the last feature map ``(B, C, H/32, W/32)``;
* ``feature_info`` -> one :class:`FeatureInfo` (channels, stride, module) per stage;
* ``features_only=True`` -> ``forward(x)`` returns the list of stage feature maps chosen by
  ``out_indices``, ready for a detection neck.

>>> from foveal.nn.backbones import create_backbone
>>> net = create_backbone("mobilenet_v2", features_only=True, out_indices=(2, 3, 4))
>>> [(f.num_chs, f.reduction) for f in net.feature_info]
[(32, 8), (96, 16), (1280, 32)]
"""
