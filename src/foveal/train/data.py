"""Data order that depends only on ``(seed, epoch)``, sharded across DDP processes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import (
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    WeightedRandomSampler,
)

from foveal.train import distributed
from foveal.train.seeding import derive_seed


class EpochSampler(Sampler[int]):
    """Indices for one epoch: shuffled (or weighted draws) from a generator seeded by
    ``(seed, epoch)``.

    Under DDP each rank takes every ``world``-th index of the same order (padded to a multiple of
    the number of processes, like ``DistributedSampler``), so the union of ranks covers the epoch.

    Args:
        n: dataset length.
        shuffle: random order (else 0..n-1).
        weights: per-sample weights; draws ``num_samples`` indices with replacement (class
            balancing).
        num_samples: indices per epoch (default ``n``).
        seed: set by the :class:`~foveal.train.Trainer` to the run seed.

    >>> s = EpochSampler(5, seed=1); s.set_epoch(0); sorted(s)
    [0, 1, 2, 3, 4]
    """

    def __init__(
        self,
        n: int,
        *,
        shuffle: bool = True,
        weights: Sequence[float] | None = None,
        num_samples: int | None = None,
        seed: int = 0,
    ) -> None:
        self.n = int(n)
        self.shuffle = shuffle
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        if self.weights is not None and len(self.weights) != self.n:
            raise ValueError(f"{len(self.weights)} weights for {self.n} samples")
        self.num_samples = int(num_samples) if num_samples is not None else self.n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _order(self) -> list[int]:
        gen = torch.Generator().manual_seed(derive_seed(self.seed, "data", self.epoch))
        if self.weights is not None:
            return torch.multinomial(
                self.weights, self.num_samples, replacement=True, generator=gen
            ).tolist()
        if self.shuffle:
            return torch.randperm(self.n, generator=gen).tolist()[: self.num_samples]
        return list(range(self.n))[: self.num_samples]

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        world, rank = distributed.world_size(), distributed.rank()
        if world > 1 and order:
            total = math.ceil(len(order) / world) * world
            order = (order * math.ceil(total / len(order)))[:total]
            order = order[rank::world]
        return iter(order)

    def __len__(self) -> int:
        return math.ceil(self.num_samples / distributed.world_size())


class LengthGroupedBatchSampler(Sampler[list[int]]):
    """Batches of similar length (padding wasted on short samples costs time), order from
    ``(seed, epoch)``.

    Each epoch: shuffle the indices, cut them into groups of ``batch_size * group`` indices, sort
        each
    group by length and cut it into batches, then shuffle the batches. Text lines padded to the
    widest in a batch train 1.5-1.8x faster this way. Without ``shuffle`` the batches are simply
    sorted by length (validation). Under DDP each rank takes every ``world``-th batch (padded by
    repetition).

    Args:
        lengths: ``lengths(epoch)`` -> one length per sample of that epoch (datasets whose samples
            change every epoch, like synthetic text, render them here).
        n: number of samples.
        batch_size: samples per batch.
        shuffle: random order (training) or sorted by length (validation).
        group: batches per sorted group; larger groups pad less but mix lengths less across batches.
        seed: set by the :class:`~foveal.train.Trainer` to the run seed.

    >>> s = LengthGroupedBatchSampler(lambda epoch: [5, 1, 4, 2], n=4, batch_size=2, shuffle=False)
    >>> list(s)
    [[1, 3], [2, 0]]
    """

    def __init__(
        self,
        lengths: Callable[[int], Sequence[int]],
        *,
        n: int,
        batch_size: int,
        shuffle: bool = True,
        group: int = 16,
        seed: int = 0,
    ) -> None:
        if batch_size < 1 or group < 1:
            raise ValueError(
                f"batch_size and group must be at least 1, got {batch_size} and {group}"
            )
        self.lengths, self.n, self.batch_size = lengths, int(n), int(batch_size)
        self.shuffle, self.group, self.seed = shuffle, int(group), seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _batches(self) -> list[list[int]]:
        lengths = list(self.lengths(self.epoch))
        if len(lengths) != self.n:
            raise ValueError(f"lengths() gave {len(lengths)} lengths for {self.n} samples")
        if not self.shuffle:
            order = sorted(range(self.n), key=lambda i: lengths[i])
            return [order[i : i + self.batch_size] for i in range(0, self.n, self.batch_size)]
        gen = torch.Generator().manual_seed(derive_seed(self.seed, "data", self.epoch))
        order = torch.randperm(self.n, generator=gen).tolist()
        size = self.batch_size * self.group
        batches = []
        for g in range(0, self.n, size):
            chunk = sorted(order[g : g + size], key=lambda i: lengths[i])
            batches += [
                chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
            ]
        return [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._batches()
        world, rank = distributed.world_size(), distributed.rank()
        if world > 1 and batches:
            total = math.ceil(len(batches) / world) * world
            batches = (batches * math.ceil(total / len(batches)))[:total][rank::world]
        return iter(batches)

    def __len__(self) -> int:
        return math.ceil(math.ceil(self.n / self.batch_size) / distributed.world_size())


def prepare_loader(loader: Any, seed: int, *, train: bool) -> Any:
    """Give a training DataLoader the engine's :class:`EpochSampler` (order from ``(seed, epoch)``).

    Loaders with a custom batch sampler or an iterable dataset are returned as they are (their
    sampler should have ``set_epoch``); an :class:`EpochSampler` or
    :class:`LengthGroupedBatchSampler`
    gets the run seed. Validation loaders are left unchanged.
    """
    if not train or not isinstance(loader, DataLoader):
        return loader
    sampler = loader.sampler
    if isinstance(sampler, EpochSampler):
        sampler.seed = seed
        return loader
    if isinstance(loader.batch_sampler, LengthGroupedBatchSampler):
        loader.batch_sampler.seed = seed
        return loader
    if loader.batch_sampler is None or type(loader.batch_sampler).__name__ != "BatchSampler":
        return loader
    n = len(loader.dataset)  # type: ignore[arg-type]
    if isinstance(sampler, WeightedRandomSampler):
        if not sampler.replacement:
            raise ValueError(
                "WeightedRandomSampler(replacement=False) is not supported; use replacement=True"
            )
        new = EpochSampler(
            n, weights=sampler.weights.tolist(), num_samples=sampler.num_samples, seed=seed
        )
    elif isinstance(sampler, RandomSampler):
        new = EpochSampler(n, shuffle=True, num_samples=sampler.num_samples, seed=seed)
    elif isinstance(sampler, SequentialSampler):
        new = EpochSampler(n, shuffle=False, seed=seed)
    else:
        return loader
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        sampler=new,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        drop_last=loader.drop_last,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        multiprocessing_context=loader.multiprocessing_context,
        prefetch_factor=loader.prefetch_factor if loader.num_workers > 0 else None,
        persistent_workers=False,  # workers re-seeded from (seed, epoch) every epoch
    )


def set_epoch(loader: Any, epoch: int) -> None:
    """Tell the loader's sampler (or batch sampler) which epoch is starting."""
    for obj in (getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
        if obj is not None and hasattr(obj, "set_epoch"):
            obj.set_epoch(epoch)
    if hasattr(loader, "set_epoch") and not isinstance(loader, DataLoader):
        loader.set_epoch(epoch)


def move_to(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) batch to ``device``."""
    if device.type == "cpu":
        return batch
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        moved = [move_to(v, device) for v in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else type(batch)(moved)
    return batch


def batch_len(batch: Any) -> int:
    """Samples in a batch: the length of its first tensor (or list)."""
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.ndim else 1
    if isinstance(batch, dict):
        return batch_len(next(iter(batch.values()))) if batch else 0
    if isinstance(batch, (list, tuple)) and batch:
        first = batch[0]
        return (
            batch_len(first) if isinstance(first, (torch.Tensor, dict, list, tuple)) else len(batch)
        )
    return 1
