"""Running a trained sequence classifier (ONNX Runtime, no PyTorch)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ModelFileError
from foveal.results import SequencePredictions
from foveal.tasks.sequence.data import read_sequence_csv


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax.

    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SequenceModel:
    """A sequence classifier written by ``foveal train sequence`` (a run folder or its
    ``model.onnx``). It keeps no per-call state.

    Attributes:
        steps, step_dims: the sequence shape it takes, ``(steps, step_dims)``.
        classes: its class names.
        features: how its steps were made (``csv``, ``cnn``, ``hands`` ...).
    """

    def __init__(self, model: str | os.PathLike) -> None:
        from foveal.runtime.open import open_model

        opened = open_model(model, tasks=("sequence",))
        self.runner = opened.runner
        self.meta = opened.meta
        params = self.meta.params
        if "steps" not in params or "step_dims" not in params:
            raise ModelFileError(
                f"{model}: its metadata gives no sequence shape (steps, step_dims); use a model "
                "written by 'foveal train sequence'"
            )
        self.steps = int(params["steps"])
        self.step_dims = int(params["step_dims"])
        self.features = str(params.get("features", "csv"))
        self.backbone = str(params.get("backbone", "mobilenet_v2.imagenet"))
        self.classes = list(self.meta.labels)

    def probabilities(self, x: np.ndarray, *, batch: int = 512) -> np.ndarray:
        """``(N, K)`` class probabilities of ``(N, steps, step_dims)`` sequences."""
        x = np.asarray(x, np.float32)
        if x.ndim != 3 or x.shape[1:] != (self.steps, self.step_dims):
            raise ConfigError(
                f"sequences of shape {x.shape}; {self.meta.name} takes (N, {self.steps}, "
                f"{self.step_dims})"
            )
        if not len(x):
            return np.zeros((0, len(self.classes)), np.float32)
        out = [softmax(self.runner.run(x[i : i + batch])[0]) for i in range(0, len(x), batch)]
        return np.concatenate(out).astype(np.float32)

    def predict(self, x: np.ndarray, sources: list[str]) -> SequencePredictions:
        """The best class of each sequence, as :class:`~foveal.results.SequencePredictions`."""
        probs = self.probabilities(x)
        ids = probs.argmax(axis=1) if len(probs) else np.zeros(0, np.int64)
        return SequencePredictions(
            class_ids=ids,
            scores=probs[np.arange(len(ids)), ids] if len(ids) else np.zeros(0, np.float32),
            labels=[self.classes[i] for i in ids],
            probs=probs if len(probs) else np.zeros((0, len(self.classes)), np.float32),
            sources=sources,
            model=self.meta.name,
        )

    def predict_csv(self, path: str | os.PathLike) -> tuple[SequencePredictions, list[str]]:
        """Predict every row of a CSV (with or without a label column); returns the predictions
        and one line per skipped row."""
        if self.features != "csv":
            raise ConfigError(
                f"{self.meta.name} was trained on clip features ({self.features}); give it clips "
                "(a video or a folder of videos), not a CSV"
            )
        rows = read_sequence_csv(
            path, step_dims=self.step_dims, steps=self.steps, label_column=None
        )
        name = Path(path).name
        return self.predict(rows.x, [f"{name}:{n}" for n in rows.lines]), rows.problems

    def predict_clips(self, clips: list[Path]) -> tuple[SequencePredictions, list[str]]:
        """Predict each clip (``steps`` frames sampled evenly); too short or unreadable clips are
        skipped with one line each."""
        from foveal.errors import FovealError
        from foveal.tasks.sequence.clips import clip_sequence

        if self.features == "csv":
            raise ConfigError(
                f"{self.meta.name} was trained on CSV rows; give it a CSV with --step-dims "
                f"{self.step_dims}"
            )
        xs, names, problems = [], [], []
        for clip in clips:
            try:
                xs.append(
                    clip_sequence(clip, self.features, frames=self.steps, backbone=self.backbone)
                )
            except (FovealError, OSError) as exc:
                problems.append(str(exc))
                continue
            names.append(str(clip))
        x = np.stack(xs) if xs else np.zeros((0, self.steps, self.step_dims), np.float32)
        return self.predict(x, names), problems


def check_step_dims(model: SequenceModel, step_dims: int | None) -> None:
    """``--step-dims`` must match the model's when given."""
    if step_dims is not None and step_dims != model.step_dims:
        raise ConfigError(
            f"--step-dims {step_dims}, but {model.meta.name} takes {model.step_dims} numbers per "
            f"step; use --step-dims {model.step_dims}"
        )
