"""Restoration models that foveal trains and ships inside the package (``foveal/zoo/files``)."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="restore_unet.gaussian",
        task="restore",
        builder="foveal.nn.restore:RestoreUNet",
        weights=WeightSpec(
            file="restore_unet_gaussian.onnx",
            sha256="00d83d4a66bbab12939b517064d0d9ee4d352e62d01d22c90e3d9aa0875bb256",
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
