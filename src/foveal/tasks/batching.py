"""Ordered, bounded parallel map used to decode and preprocess images while the network runs."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except AttributeError:  # pragma: no cover
        return 2


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = None,
    prefetch: int = 32,
    size_of: Callable[[T], int] | None = None,
    max_bytes: int = 256 << 20,
) -> Iterator[tuple[T, R | BaseException]]:
    """Yield ``(item, fn(item))`` in input order, computing up to ``prefetch`` ahead in threads.

    Exceptions are yielded in place of results, so one bad item never stops the stream. Memory stays
    bounded whatever the number of items: with ``size_of`` (bytes an item holds, such as a decoded
    PDF page), no more items are taken ahead once the waiting ones hold ``max_bytes``.

    >>> [r for _, r in map_ordered(lambda x: x * 2, range(5), workers=2, prefetch=2)]
    [0, 2, 4, 6, 8]
    """
    workers = workers or default_workers()
    if workers <= 1:
        for it in items:
            try:
                yield it, fn(it)
            except Exception as exc:  # noqa: BLE001
                yield it, exc
        return
    pending: deque[tuple[T, Future[R], int]] = deque()
    held = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for it in items:
            size = size_of(it) if size_of is not None else 0
            pending.append((it, pool.submit(fn, it), size))
            held += size
            while pending and (len(pending) >= prefetch or held >= max_bytes):
                first, fut, first_size = pending.popleft()
                held -= first_size
                yield _resolve(first, fut)
        while pending:
            first, fut, _ = pending.popleft()
            yield _resolve(first, fut)


def _resolve(item: T, fut: Future[R]) -> tuple[T, R | BaseException]:
    try:
        return item, fut.result()
    except Exception as exc:  # noqa: BLE001
        return item, exc


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    buf: list[T] = []
    for it in items:
        buf.append(it)
        if len(buf) == size:
            yield buf
            buf = []
    if buf:
        yield buf
