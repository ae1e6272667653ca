"""The face fine-tuning recipe, driven by a tiny local loop (the engine drives it the same way)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from foveal.errors import ConfigError
from foveal.tasks.faces import FaceDetector, OnnxEmbedder
from foveal.tasks.faces.train import FaceRecipe


@pytest.fixture
def one_thread():
    """Tiny batches gain nothing from intra-op threads, and lose a lot on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_recipe_trains_exports_and_embeds(shared, tmp_path, one_thread):
    torch.manual_seed(0)
    recipe = FaceRecipe(
        shared / "data/faces/people/train", batch_size=8, image_size=64, pretrained=False, dim=32
    )
    assert recipe.report.ok == 9 and len(recipe.people) == 5
    model = recipe.build_model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for _ in range(1):
        for batch in recipe.train_loader():
            out = recipe.training_step(model, batch)
            opt.zero_grad()
            out["loss"].backward()
            opt.step()
            losses.append(float(out["loss"].detach()))
    assert np.isfinite(losses).all()
    model.eval()
    with torch.no_grad():
        metrics = recipe.evaluate(model, recipe.val_loader())
    assert recipe.main_metric in metrics
    path = recipe.export(model, tmp_path)
    emb = OnnxEmbedder(path)
    assert emb.dim == 32 and emb.metric == "cosine" and emb.size == 64
    img = shared / "data/faces/people/obama.jpg"
    from foveal.io import load_image

    image = load_image(img)
    v = emb.embed(image, FaceDetector()(image))
    assert v.shape == (1, 32) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)

    # the same data with the triplet loss: one step runs and gives gradients
    recipe.loss_name = "triplet"
    model = recipe.build_model().train()
    out = recipe.training_step(model, next(iter(recipe.train_loader())))
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and model.embedder.head[1].weight.grad is not None


def test_recipe_refuses_bad_folders(tmp_path):
    with pytest.raises(ConfigError, match="sub-folder"):
        FaceRecipe(tmp_path)
    with pytest.raises(ConfigError, match="loss"):
        FaceRecipe(tmp_path, loss="contrastive")


def test_train_faces_on_the_engine(shared, tmp_path, one_thread):
    from foveal.train import TrainConfig, Trainer

    recipe = FaceRecipe(
        shared / "data/faces/people/train", batch_size=8, image_size=64, pretrained=False, dim=16
    )
    result = Trainer(
        recipe, TrainConfig(epochs=1, run_dir=str(tmp_path / "run"), progress=False)
    ).fit()
    assert result.export_path is not None and result.export_path.is_file()
    emb = OnnxEmbedder(result.export_path)
    assert emb.dim == 16 and 0 < emb.threshold <= 2
