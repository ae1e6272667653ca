"""Multi-process data parallel helpers (``torchrun``; gloo on CPU, NCCL on CUDA)."""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist


def env_world_size() -> int:
    """Processes started by ``torchrun`` (1 without it)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def setup(device: torch.device) -> tuple[int, int]:
    """Join the process group when started by ``torchrun``; returns ``(rank, world_size)``."""
    world = env_world_size()
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def broadcast(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every rank (any picklable object)."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def mean_over_ranks(values: dict[str, float], weight: float) -> dict[str, float]:
    """Weighted mean of per-rank averages (weights = samples seen by each rank)."""
    if not is_distributed() or not values:
        return values
    keys = list(values)  # same recipe on every rank: same keys, same order
    t = torch.tensor([values[k] * weight for k in keys] + [weight], dtype=torch.float64)
    dist.all_reduce(t)
    total = float(t[-1]) or 1.0
    return {k: float(t[i]) / total for i, k in enumerate(keys)}


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around ``model`` when running under torchrun; ``model`` otherwise."""
    if not is_distributed():
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP

    ids = [device.index] if device.type == "cuda" else None
    return DDP(model, device_ids=ids)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The bare network inside a DDP wrapper (or ``model`` itself).

    >>> model = torch.nn.Linear(4, 2)
    >>> unwrap(wrap(model, torch.device("cpu"))) is model  # outside torchrun: no wrapper
    True
    """
    return (
        getattr(model, "module", model)
        if type(model).__name__ == "DistributedDataParallel"
        else model
    )


def cleanup() -> None:
    """Leave the process group: every rank first waits for the others (a rank that tears its
    connections down while another is still using them can abort that one at exit)."""
    if dist.is_available() and dist.is_initialized():
        if dist.get_world_size() > 1:
            dist.barrier()
        dist.destroy_process_group()
