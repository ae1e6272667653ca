"""The training loop: one :class:`Trainer` for every task's recipe."""

from __future__ import annotations

import json
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from foveal.errors import ConfigError, FovealError
from foveal.train import checkpoint as ckpt_io
from foveal.train import distributed
from foveal.train.config import RESUMABLE_CHANGES, TrainConfig, read_run_config
from foveal.train.data import batch_len, move_to, prepare_loader, set_epoch
from foveal.train.optim import Schedule, build_optimizer, lr_factor
from foveal.train.plots import plot_history
from foveal.train.recipe import check_recipe
from foveal.train.runlog import next_run_dir, write_json, write_metrics_csv
from foveal.train.seeding import derive_seed, rng_state, seed_everything, set_rng_state
from foveal.utils.term import stderr_is_terminal

PLOT_EVERY_S = 60.0


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns (also saved as ``summary.json`` in the run folder)."""

    run_dir: Path
    main_metric: str
    best_metric: float
    best_epoch: int
    final: dict[str, float]
    history: list[dict[str, Any]] = field(default_factory=list)
    epochs_run: int = 0
    stopped_early: bool = False
    export_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "main_metric": self.main_metric,
            "best_metric": self.best_metric,
            "best_epoch": self.best_epoch,
            "final": self.final,
            "epochs_run": self.epochs_run,
            "stopped_early": self.stopped_early,
            "export": str(self.export_path) if self.export_path else None,
            **self.extra,
        }


class Trainer:
    """Train a recipe (see :mod:`foveal.train.recipe`) with a :class:`TrainConfig`.

    Every epoch writes ``checkpoints/last.pt`` atomically (and ``best.pt`` when the main metric
    improves), ``metrics.csv`` and ``loss.png``/``metrics.png``. Under ``torchrun`` the same code
    runs data parallel (gloo on CPU); only rank 0 writes.

    With a task's recipe (training takes minutes, so this is not run here)::

        result = Trainer(recipe, TrainConfig(epochs=3, run_dir="runs/x")).fit()
        config = TrainConfig(epochs=3, run_dir="runs/x", resume=True)  # after a crash
        Trainer(recipe, config).fit()
    """

    def __init__(self, recipe: Any, config: TrainConfig | None = None) -> None:
        check_recipe(recipe)
        self.recipe = recipe
        self.config = config if config is not None else TrainConfig()
        self.config.validate()

    # -- setup -------------------------------------------------------------------------------
    def _device(self) -> torch.device:
        want = self.config.device
        if want == "auto":
            want = "cuda" if torch.cuda.is_available() else "cpu"
        if want == "cuda":
            if not torch.cuda.is_available():
                raise ConfigError(
                    "device='cuda' was asked for, but PyTorch sees no CUDA GPU; use device='cpu'"
                )
            import os

            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        return torch.device("cpu")

    def _describe(self) -> dict[str, Any]:
        fn = getattr(self.recipe, "describe", None)
        return json.loads(json.dumps(fn() if callable(fn) else {}, default=str))

    def _resolve_run_dir(self, rank: int) -> Path:
        cfg = self.config
        if rank == 0:
            if cfg.run_dir:
                run_dir = Path(cfg.run_dir)
            elif cfg.resume:
                raise ConfigError(
                    "resume needs the run folder of the interrupted run (run_dir / --run-dir)"
                )
            else:
                run_dir = next_run_dir(Path("runs") / str(getattr(self.recipe, "name", "train")))
            last = run_dir / "checkpoints" / "last.pt"
            if cfg.resume and not run_dir.is_dir():
                raise ConfigError(f"cannot resume: the run folder {run_dir} does not exist")
            if not cfg.resume and last.exists():
                raise ConfigError(
                    f"{run_dir} already holds a training run ({last}); pass --resume to continue "
                    "it "
                    "or choose another --run-dir"
                )
            run_dir.mkdir(parents=True, exist_ok=True)
        else:
            run_dir = None
        return Path(distributed.broadcast(str(run_dir) if run_dir else None))

    def _check_resume_config(self, saved: dict[str, Any], describe: dict[str, Any]) -> None:
        old = TrainConfig.from_dict(saved["train"])
        diffs = {
            k: v for k, v in self.config.differences(old).items() if k not in RESUMABLE_CHANGES
        }
        if diffs:
            what = ", ".join(f"{k}: {b!r} then, {a!r} now" for k, (a, b) in diffs.items())
            raise ConfigError(
                f"cannot resume with different training options ({what}); use the original ones"
            )
        old_recipe = saved.get("recipe", {})
        rdiff = sorted(
            k for k in set(old_recipe) | set(describe) if old_recipe.get(k) != describe.get(k)
        )
        if rdiff:
            what = ", ".join(
                f"{k}: {old_recipe.get(k)!r} then, {describe.get(k)!r} now" for k in rdiff[:4]
            )
            raise ConfigError(
                f"cannot resume: the task settings changed ({what}); use the original ones"
            )

    # -- the loop ----------------------------------------------------------------------------
    def fit(self) -> FitResult:
        """Train (or resume), keep the best epoch, run the recipe's ``finalize`` and ``export``."""
        device = self._device()
        started_dist = distributed.env_world_size() > 1 and not distributed.is_distributed()
        rank, world = distributed.setup(device)
        threads = torch.get_num_threads()
        try:
            return self._fit(device, rank, world)
        finally:
            torch.set_num_threads(threads)
            if started_dist:
                distributed.cleanup()

    def _fit(self, device: torch.device, rank: int, world: int) -> FitResult:
        cfg, recipe = self.config, self.recipe
        t_start = time.perf_counter()
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        elif world > 1 and device.type == "cpu":
            import os

            torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // world))
        run_dir = self._resolve_run_dir(rank)
        describe = self._describe()
        last_path = run_dir / "checkpoints" / "last.pt"
        best_path = run_dir / "checkpoints" / "best.pt"
        resuming = cfg.resume and last_path.is_file()
        if cfg.resume and not resuming:
            self._log(rank, f"foveal: no checkpoint in {run_dir} yet; starting from epoch 1")
        if resuming and (run_dir / "config.json").is_file():
            self._check_resume_config(read_run_config(run_dir / "config.json"), describe)
        if rank == 0 and not resuming:
            write_json(
                run_dir / "config.json",
                {
                    "train": cfg.to_dict(),
                    "recipe": describe,
                    "world_size": world,
                    "torch": torch.__version__,
                    "main_metric": recipe.main_metric,
                    "mode": recipe.mode,
                },
            )

        seed_everything(derive_seed(cfg.seed, "init"))
        model = recipe.build_model().to(device)
        arch = describe.get("arch") if isinstance(describe.get("arch"), str) else None
        fp = ckpt_io.fingerprint(model, arch)
        if cfg.init_from and not resuming:
            init = ckpt_io.load(cfg.init_from)
            ckpt_io.check_compatible(init, fp, what=f"--init-from for {fp['arch']}")
            model.load_state_dict(init["model"])
            self._log(rank, f"foveal: initialised from {init['path']} (epoch {init.get('epoch')})")

        train_loader = prepare_loader(recipe.train_loader(), cfg.seed, train=True)
        val_loader = recipe.val_loader()
        try:
            steps = len(train_loader)
        except TypeError as exc:
            raise ConfigError(
                "the training loader has no len(); the schedule needs the steps per epoch"
            ) from exc
        if steps == 0:
            raise ConfigError(
                "the training loader yields no batches (empty dataset, or drop_last with too few "
                "samples)"
            )
        optimizer = build_optimizer(model, recipe, cfg)
        schedule = Schedule(optimizer, lr_factor(cfg, steps))

        history: list[dict[str, Any]] = []
        best_metric, best_epoch, bad_epochs, stopped = None, 0, 0, False
        best_seen: float | None = None  # the best main metric so far (best_metric: the kept one)
        start = 0
        if resuming:
            state = ckpt_io.load(last_path)
            ckpt_io.check_compatible(state, fp, what=f"the resumed run ({fp['arch']})")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            set_rng_state(state["rng"])
            start, history = int(state["epoch"]), list(state["history"])
            best_metric, best_epoch = state["best_metric"], int(state["best_epoch"])
            bad_epochs, stopped = int(state["bad_epochs"]), bool(state["stopped_early"])
            seen_metrics = [r[f"val_{recipe.main_metric}"] for r in history]
            if seen_metrics:
                best_seen = max(seen_metrics) if recipe.mode == "max" else min(seen_metrics)
            self._log(rank, f"foveal: resuming {run_dir} after epoch {start}/{cfg.epochs}")

        train_model = distributed.wrap(model, device)
        sign = 1.0 if recipe.mode == "max" else -1.0
        last_plot = time.perf_counter()
        # class-count-aware plots (no top-5 curve for 5 classes or fewer), for recipes with classes
        classes = getattr(recipe, "classes", None)
        n_classes = len(classes) if classes else None
        for epoch in range(start, cfg.epochs):
            if stopped:
                break
            t0 = time.perf_counter()
            seed_everything(derive_seed(cfg.seed, "epoch", epoch, "rank", rank))
            set_epoch(train_loader, epoch)
            train_model.train()
            stats, seen = self._train_epoch(
                train_model, train_loader, optimizer, schedule, device, epoch, rank
            )
            stats = distributed.mean_over_ranks(stats, float(seen))
            train_time = time.perf_counter() - t0
            val = self._evaluate(model, val_loader, rank)
            metric = float(val[recipe.main_metric])
            better = best_seen is None or sign * (metric - best_seen) > cfg.min_delta
            best_seen = metric if better else best_seen
            # a recipe may keep the last epoch (fixed schedule) instead of trusting its val split;
            # the epoch line still says "(best)" only where the metric improved
            improved = better or getattr(recipe, "select", "best") == "last"
            if improved:
                best_metric, best_epoch, bad_epochs = metric, epoch + 1, 0
            else:
                bad_epochs += 1
            stopped = bool(cfg.patience and bad_epochs >= cfg.patience)
            row: dict[str, Any] = {"epoch": epoch + 1, "lr": schedule.last_lr()}
            row.update({f"train_{k}": v for k, v in stats.items()})
            row.update({f"val_{k}": v for k, v in val.items()})
            row["train_samples_per_s"] = seen * world / max(train_time, 1e-9)
            row["epoch_time_s"] = time.perf_counter() - t0
            history.append(row)
            if rank == 0:
                if improved:
                    ckpt_io.save_atomic(
                        {
                            "format": ckpt_io.FORMAT,
                            "epoch": epoch + 1,
                            "model": model.state_dict(),
                            "fingerprint": fp,
                            "recipe": describe,
                            "metrics": val,
                            "config": cfg.to_dict(),
                        },
                        best_path,
                    )
                ckpt_io.save_atomic(
                    {
                        "format": ckpt_io.FORMAT,
                        "epoch": epoch + 1,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(),
                        "rng": rng_state(),
                        "best_metric": best_metric,
                        "best_epoch": best_epoch,
                        "bad_epochs": bad_epochs,
                        "stopped_early": stopped,
                        "history": history,
                        "fingerprint": fp,
                        "recipe": describe,
                        "config": cfg.to_dict(),
                        "world_size": world,
                    },
                    last_path,
                )
                write_metrics_csv(run_dir / "metrics.csv", history)
                # Plots cost ~1 s on a busy CPU: redraw at most every PLOT_EVERY_S seconds, and at
                # the end.
                if time.perf_counter() - last_plot >= PLOT_EVERY_S:
                    plot_history(history, run_dir, recipe.main_metric, num_classes=n_classes)
                    last_plot = time.perf_counter()
            self._log(rank, self._epoch_line(row, better, stopped), always=True)
            distributed.barrier()

        if best_metric is None:
            raise FovealError("training ended without a single evaluated epoch")
        export_path, extra = None, {}
        if rank == 0:
            plot_history(history, run_dir, recipe.main_metric, num_classes=n_classes)
            best = ckpt_io.load(best_path)
            model.load_state_dict(best["model"])
            model.eval()
            fin = getattr(recipe, "finalize", None)
            if callable(fin):
                with torch.no_grad():
                    extra = dict(fin(model, run_dir, val_loader) or {})
            export_path = recipe.export(model, run_dir)
        best_row = next(r for r in history if r["epoch"] == best_epoch)
        final = {k[4:]: v for k, v in best_row.items() if k.startswith("val_")}
        result = FitResult(
            run_dir=run_dir,
            main_metric=recipe.main_metric,
            best_metric=float(best_metric),
            best_epoch=best_epoch,
            final=final,
            history=history,
            epochs_run=len(history),
            stopped_early=stopped,
            export_path=Path(export_path) if export_path else None,
            extra=extra,
        )
        if rank == 0:
            summary = result.to_dict()
            summary["wall_time_s"] = time.perf_counter() - t_start
            summary["world_size"] = world
            write_json(run_dir / "summary.json", summary)
        distributed.barrier()
        exp = distributed.broadcast(str(export_path) if export_path else None)
        result.export_path = Path(exp) if exp else None
        return result

    def _train_epoch(
        self,
        model: torch.nn.Module,
        loader: Any,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule,
        device: torch.device,
        epoch: int,
        rank: int,
    ) -> tuple[dict[str, float], int]:
        from tqdm import tqdm

        cfg, recipe = self.config, self.recipe
        amp = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.amp else nullcontext()
        params = [p for g in optimizer.param_groups for p in g["params"]]
        sums: dict[str, float] = {}
        seen = 0
        bar = tqdm(
            total=len(loader),
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            unit="batch",
            file=sys.stderr,
            # on a terminal only: a log file gets the one line per epoch of _log, never bars
            disable=not (cfg.progress and rank == 0 and stderr_is_terminal()),
            leave=False,
            dynamic_ncols=True,
            mininterval=0.5,
        )
        for step, batch in enumerate(loader):
            batch = move_to(batch, device)
            with amp:
                out = recipe.training_step(model, batch)
            loss = out["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            lossf = float(loss.detach())
            if not math.isfinite(lossf):
                bar.close()
                raise FovealError(
                    f"the loss became {lossf} at epoch {epoch + 1}, step {step + 1}; lower the "
                    "learning rate "
                    f"(now {schedule.last_lr():.3g}) or set grad_clip (--grad-clip 1.0)"
                )
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            optimizer.step()
            schedule.step()
            n = int(out.get("batch_size") or batch_len(batch))
            seen += n
            sums["loss"] = sums.get("loss", 0.0) + lossf * n
            for k, v in out.items():
                if k in ("loss", "batch_size"):
                    continue
                sums[k] = sums.get(k, 0.0) + float(v) * n
            bar.update(1)
            if step % 10 == 0 or step == len(loader) - 1:
                bar.set_postfix(
                    loss=f"{sums['loss'] / seen:.4f}", lr=f"{schedule.last_lr():.2e}", refresh=False
                )
        bar.close()
        return {k: v / max(seen, 1) for k, v in sums.items()}, seen

    def _evaluate(self, model: torch.nn.Module, loader: Any, rank: int) -> dict[str, float]:
        val: dict[str, float] | None = None
        if rank == 0:
            model.eval()
            with torch.no_grad():
                val = {k: float(v) for k, v in self.recipe.evaluate(model, loader).items()}
            if self.recipe.main_metric not in val:
                raise ConfigError(
                    f"{type(self.recipe).__name__}.evaluate returned {sorted(val)}, without the "
                    "main metric "
                    f"{self.recipe.main_metric!r}"
                )
        return distributed.broadcast(val)

    def _epoch_line(self, row: dict[str, Any], improved: bool, stopped: bool) -> str:
        cfg = self.config
        parts = [f"epoch {row['epoch']}/{cfg.epochs}"]
        for k, v in row.items():
            if k.startswith(("train_", "val_")) and k != "train_samples_per_s":
                parts.append(f"{k} {v:.4g}")
        parts.append(f"lr {row['lr']:.2e}")
        parts.append(f"{row['train_samples_per_s']:.0f} img/s")
        parts.append(f"{row['epoch_time_s']:.1f}s")
        if improved:
            parts.append("(best)")
        if stopped:
            parts.append(f"- early stop: no improvement for {cfg.patience} epochs")
        return "  ".join(parts)

    def _log(self, rank: int, msg: str, *, always: bool = False) -> None:
        if rank == 0 and (always or self.config.progress):
            print(msg, file=sys.stderr, flush=True)
