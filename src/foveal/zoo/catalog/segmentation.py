"""Segmentation models: MediaPipe's selfie (person) segmentation."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="selfie.mediapipe",
        task="segment",
        weights=WeightSpec(
            file="selfie_segmentation.tflite",
            sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
            url=("https://storage.googleapis.com/mediapipe-assets/selfie_segmentation.tflite"),
            licence="Apache-2.0 (MediaPipe)",
            package="mediapipe",
            format="tflite",
        ),
        preprocess=Preprocess(
            input_size=(256, 256),
            resize=None,
            crop=False,
            mean=(0.0, 0.0, 0.0),
            std=(1.0, 1.0, 1.0),
            scale=1.0 / 255.0,
        ),
        labels=("background", "person"),
        metrics={"params_m": 0.106},
        description="MediaPipe selfie segmentation (general, 256x256), person vs background; "
        "the mediapipe 0.10.14 wheel ships it (pip install --no-deps mediapipe==0.10.14)",
        # the whole image is stretched to 256x256 (no letterbox), the mask stretched back
        extra={"fixed_size": [256, 256], "output": "sigmoid", "mask_values": [0, 255]},
    )
)
