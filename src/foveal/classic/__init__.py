"""Hand-crafted computer vision: the classical baselines that learned features are measured against.

* :mod:`foveal.classic.descriptors` — HOG, Gabor filter bank, LBP histograms, colour histograms;
* :mod:`foveal.classic.bovw` — SIFT bag of visual words;
* :mod:`foveal.classic.faces` — Haar cascade and dlib HOG face detectors, LBPH and Eigenfaces
  recognisers.

Every descriptor is a :class:`foveal.features.Extractor` (see
:func:`foveal.features.get_extractor`).
"""
