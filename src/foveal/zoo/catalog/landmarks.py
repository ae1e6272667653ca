"""MediaPipe's landmark networks (Apache-2.0), as shipped in PyPI ``mediapipe==0.10.14``.

Each pipeline is a detector (palm, pose, face: SSD anchors, weighted NMS) and a landmark network
run on a rotated crop around what it found; :mod:`foveal.tasks.landmarks` does the pre- and
post-processing and runs the files with LiteRT (:mod:`foveal.runtime.tflite`).
"""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

ASSETS = "https://storage.googleapis.com/mediapipe-assets/"
LICENCE = "Apache-2.0 (Google MediaPipe)"


def _tflite(
    name: str, role: str, file: str, sha256: str, size: int, value_range: tuple[float, float]
) -> None:
    low, high = value_range
    register(
        ModelSpec(
            name=name,
            task="landmarks",
            weights=WeightSpec(
                file=file,
                sha256=sha256,
                url=ASSETS + file,
                licence=LICENCE,
                package="mediapipe",
                format="tflite",
            ),
            # RGB scaled to low..high: (x * scale - mean) / std, scale = (high - low) / 255
            preprocess=Preprocess(
                input_size=(size, size),
                resize=None,
                crop=False,
                mean=(-low, -low, -low),
                std=(1.0, 1.0, 1.0),
                scale=(high - low) / 255.0,
                channel_order="RGB",
            ),
            description=(f"MediaPipe {role}, {size}x{size} RGB in {low:g}..{high:g}"),
            extra={"value_range": [low, high]},
        )
    )


_tflite(
    "palm_detection.full",
    "palm detector",
    "palm_detection_full.tflite",
    "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    192,
    (0.0, 1.0),
)
_tflite(
    "hand_landmark.full",
    "21 hand landmarks + handedness",
    "hand_landmark_full.tflite",
    "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    224,
    (0.0, 1.0),
)
_tflite(
    "pose_detection.v1",
    "person (pose) detector",
    "pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    224,
    (-1.0, 1.0),
)
_tflite(
    "pose_landmark.full",
    "33 body landmarks + heatmap",
    "pose_landmark_full.tflite",
    "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    256,
    (0.0, 1.0),
)
_tflite(
    "face_detection.short_range",
    "face detector (short range)",
    "face_detection_short_range.tflite",
    "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    128,
    (-1.0, 1.0),
)
_tflite(
    "face_landmark.mesh",
    "468 face-mesh landmarks",
    "face_landmark.tflite",
    "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    192,
    (0.0, 1.0),
)
