"""Restoration models that foveal trains and ships inside the package (``foveal/zoo/files``)."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="restore_unet.gaussian",
        task="restore",
        builder="foveal.nn.restore:RestoreUNet",
        weights=WeightSpec(
            file="restore_unet_gaussian.onnx",
            sha256="d02f57e0d12e54be3b85ffe4b8161f14f3d5f363244168f6138986c1bdcf141c",
            url=None,
            licence="Apache-2.0 (trained by foveal: bench/restore_train_default.py)",
            package="foveal",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(0, 0), resize=None, crop=False, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)
        ),
        description=(
            "small residual U-Net (pixel-unshuffle + 3 levels), colour Gaussian denoiser for "
            "sigma 10-40 (0-255 scale); trained by foveal on photos the benchmark never sees"
        ),
        extra={"channels": 3, "width": 48},
    )
)
