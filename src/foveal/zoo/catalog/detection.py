"""Object detectors (COCO-pretrained, fine-tunable with ``foveal train detect``)."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="yolox_nano.coco",
        task="detect",
        builder="foveal.nn.detectors.yolox:yolox_nano",
        weights=WeightSpec(
            file="yolox_nano.onnx",
            sha256="695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14",
            url=(
                "https://raw.githubusercontent.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/"
                "3d4f1119d0694200671c08069ecb847aa0d8495a/model/yolox_nano.onnx"
            ),
            licence="Apache-2.0 (Megvii YOLOX weights)",
            format="onnx",
        ),
        # Letterbox to the top-left corner, pad 114, BGR 0-255, no mean/std.
        preprocess=Preprocess(
            input_size=(416, 416),
            resize=None,
            crop=False,
            mean=(0.0, 0.0, 0.0),
            std=(1.0, 1.0, 1.0),
            scale=1.0,
            interpolation="bilinear",
            channel_order="BGR",
        ),
        labels="foveal.zoo.labels.coco:coco80",
        metrics={"coco_map_50_95": 25.8, "params_m": 0.91, "gflops": 1.08},
        description=(
            "YOLOX-Nano (Megvii), COCO 80 classes, 416x416, anchor-free; ONNX with Conv+BN fused"
        ),
        extra={
            "pad": 114,
            "strides": (8, 16, 32),
            "load_weights": "foveal.nn.detectors.yolox:load_onnx_weights",
        },
    )
)
