"""The training plots read well: no hidden curves, no top-5 for few classes, titles inside the
figure, markers and whole-epoch ticks for a one-epoch run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from foveal.train import plots


def _history(epochs: int, top5: float = 1.0) -> list[dict[str, float]]:
    return [
        {
            "epoch": e,
            "loss": 1.0 / e,
            "val_loss": 1.1 / e,
            "val_accuracy": 1 - 0.5 / e,
            "val_balanced_accuracy": 1 - 0.5 / e,  # identical: a balanced validation set
            "val_top5": top5,
        }
        for e in range(1, epochs + 1)
    ]


def _axes_of(monkeypatch) -> list:
    """Record every figure plot_history draws."""
    figures: list = []
    make = plots.figure

    def spy(size):
        fig, ax = make(size)
        figures.append(fig)
        return fig, ax

    monkeypatch.setattr(plots, "figure", spy)
    return figures


def test_no_top5_for_three_classes(tmp_path: Path, monkeypatch) -> None:
    figures = _axes_of(monkeypatch)
    paths = plots.plot_history(_history(4), tmp_path, "accuracy", num_classes=3)
    assert [p.name for p in paths] == ["loss.png", "metrics.png"]
    labels = [t.get_text() for t in figures[1].axes[0].get_legend().get_texts()]
    assert labels == ["val_accuracy (main)", "val_balanced_accuracy"]
    # class count unknown: a top-5 of 1.0 at every epoch says nothing and is left out too
    figures.clear()
    plots.plot_history(_history(4), tmp_path, "accuracy")
    assert not any("top5" in t.get_text() for t in figures[1].axes[0].get_legend().get_texts())
    figures.clear()
    plots.plot_history(_history(4, top5=0.97), tmp_path, "accuracy", num_classes=10)
    assert any("top5" in t.get_text() for t in figures[1].axes[0].get_legend().get_texts())


def test_coinciding_curves_stay_distinct(tmp_path: Path, monkeypatch) -> None:
    figures = _axes_of(monkeypatch)
    plots.plot_history(_history(6), tmp_path, "balanced_accuracy", num_classes=10)
    lines = figures[1].axes[0].get_lines()
    acc, bal = lines[0], lines[1]
    np.testing.assert_allclose(acc.get_ydata(), bal.get_ydata())  # same values...
    assert acc.get_marker() != bal.get_marker()  # ...drawn with different markers,
    assert acc.get_linestyle() != bal.get_linestyle()  # dashes,
    assert acc.get_markersize() > bal.get_markersize()  # and the one below shows its outline
    assert acc.get_markerfacecolor() == "none"


def test_one_epoch_run_shows_a_marked_point(tmp_path: Path, monkeypatch) -> None:
    figures = _axes_of(monkeypatch)
    paths = plots.plot_history(_history(1), tmp_path, "accuracy", num_classes=3)
    ax = figures[1].axes[0]
    assert all(line.get_marker() not in ("", "None", None) for line in ax.get_lines())
    assert list(ax.get_xticks()) == [1]  # one tick, at the whole epoch
    lo, hi = ax.get_xlim()
    assert lo < 1 < hi and hi - lo >= 1  # the point sits inside the axes, with room around it
    assert "0.5" in [t.get_text() for t in ax.texts]  # its value is written next to it
    # the marker is really drawn: the image has the curve's colour where the point is
    rgb = np.asarray(Image.open(paths[1]).convert("RGB")).astype(int)
    blue = np.array([31, 119, 180])  # matplotlib's first colour
    assert (np.abs(rgb - blue).sum(axis=2) < 40).sum() > 30


def test_many_epochs_ticks_are_whole(tmp_path: Path, monkeypatch) -> None:
    figures = _axes_of(monkeypatch)
    plots.plot_history(_history(25), tmp_path, "accuracy", num_classes=3)
    ticks = [t for t in figures[0].axes[0].get_xticks() if 1 <= t <= 25]
    assert ticks and all(float(t).is_integer() for t in ticks)
    figures.clear()
    plots.plot_history(_history(3), tmp_path, "accuracy", num_classes=3)
    assert list(figures[0].axes[0].get_xticks()) == [1, 2, 3]
    lo, hi = figures[0].axes[0].get_xlim()
    assert lo <= 0.7 and hi >= 3.3  # the end markers are drawn whole, not cut by the frame


def _inside(fig) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    w, h = fig.bbox.width, fig.bbox.height
    texts = [t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]
    texts += [t for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()]
    if fig.get_suptitle():
        texts.append(fig._suptitle)
    for t in texts:
        if not t.get_text():
            continue
        box = t.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= w + 1 and box.y1 <= h + 1, (
            t.get_text(),
            box,
            (w, h),
        )


def test_titles_and_labels_fit_in_the_figure(tmp_path: Path, monkeypatch) -> None:
    figures = _axes_of(monkeypatch)
    long_metric = "balanced_accuracy_over_all_the_validation_classes_of_the_set"
    history = [dict(r, **{f"val_{long_metric}": 0.5}) for r in _history(3)]
    plots.plot_history(history, tmp_path, long_metric)
    plots.plot_confusion_matrix(
        np.array([[5, 1, 0], [0, 4, 2], [1, 0, 7]]),
        ["cat", "dog", "a_rather_long_class_name"],
        tmp_path / "cm.png",
        title="confusion matrix (validation, best epoch, with a title longer than the figure)",
    )
    assert len(figures) == 3
    for fig in figures:
        _inside(fig)
    assert "\n" in figures[2].get_suptitle()  # the long title was wrapped
