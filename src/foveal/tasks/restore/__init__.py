"""Image restoration (image-to-image): denoising and artifact removal with a small residual U-Net.

``predict`` holds the predictor (tiled inference, bounded memory), ``degrade`` the on-the-fly
degradations used for training, ``train`` the recipe for the shared trainer, ``evaluate`` PSNR/SSIM
against clean references.
"""
