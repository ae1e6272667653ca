"""Restoration models that foveal trains and ships inside the package (``foveal/zoo/files``)."""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

register(
    ModelSpec(
        name="restore_unet.gaussian",
        task="restore",
        builder="foveal.nn.restore:RestoreUNet",
        weights=WeightSpec(
            file="restore_unet_gaussian.onnx",
            sha256="fbe191a9c1e117baa673cda3cd2ca31dfa8a0d3c4384c7a53410272004224633",
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
