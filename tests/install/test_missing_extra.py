"""A command whose extra is not installed fails with one line naming the extra, not a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from foveal.cli import main


def test_export_without_torch_names_the_train_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    # as in an install without foveal[train]: torch cannot be imported, nor what imports it
    monkeypatch.setitem(sys.modules, "torch", None)
    for name in [
        m for m in sys.modules if m.startswith(("foveal.tasks.classify.export", "foveal.nn"))
    ]:
        monkeypatch.delitem(sys.modules, name)
    out = tmp_path / "m.onnx"
    assert main(["export", "mobilenet_v2.imagenet", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("foveal: error: this command needs torch, which is not installed here")
    assert "pip install 'foveal[train]'" in err
    assert not out.exists()


def test_other_missing_modules_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args):
        import foveal_no_such_module  # noqa: F401

    from foveal import cli

    parser = cli.build_parser()
    args = parser.parse_args(["models", "list"])
    args.func = broken
    monkeypatch.setattr(cli, "parse", lambda parser, argv: args)
    with pytest.raises(ModuleNotFoundError, match="foveal_no_such_module"):
        main(["models", "list"])
