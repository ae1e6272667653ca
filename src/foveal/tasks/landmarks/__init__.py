"""Landmarks: MediaPipe's hand (21 points + handedness), body-pose (33) and face-mesh (468)
networks, run with foveal's own pre- and post-processing (:mod:`.geometry`, :mod:`.pipelines`)
and followed from frame to frame in videos (:class:`.predict.LandmarkTracker`)."""
