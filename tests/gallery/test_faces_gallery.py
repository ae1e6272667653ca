"""The SQLite face gallery: enrol/match/remove, duplicates, concurrency across processes,
crash safety."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time

import numpy as np
import pytest

from foveal.gallery import Gallery, GalleryError, build_index, cluster_embeddings

DIM = 128


def _vecs(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, (n, DIM)).astype(np.float32)


def test_enroll_match_list_remove(tmp_path):
    people = _vecs(3, 0) * 5
    with Gallery(tmp_path / "g.db") as g:
        assert len(g) == 0 and g.embedder is None
        assert g.match(people, threshold=0.6)[0] == ["unknown"] * 3  # empty gallery
        for i, name in enumerate(["ada", "bob", "cy"]):
            g.enroll(
                name, people[i] + _vecs(2, 10 + i) * 0.1, embedder="e", sources=["a.jpg", "b.jpg"]
            )
        assert [p.name for p in g.people()] == ["ada", "bob", "cy"] and len(g) == 6
        assert g.embedder == {"name": "e", "dim": DIM, "metric": "euclidean"}
        queries = np.vstack([people[1], people[2] + 0.01, _vecs(1, 99) * 5])
        names, dists = g.match(queries, threshold=0.6, embedder="e")
        assert names == ["bob", "cy", "unknown"]
        assert dists[0] < 0.6 and dists[2] > 0.6
        assert g.remove("bob") == 2 and "bob" not in g
        assert g.match(people[1], threshold=0.6)[0] == ["unknown"]
        with pytest.raises(GalleryError, match="Did you mean"):
            g.remove("ad")
        g.check()


def test_duplicate_names_and_refusals(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        g.enroll("ada", _vecs(1, 1), embedder="e")
        p = g.enroll("ada", _vecs(2, 2), embedder="e")  # adds to the same person
        assert p.faces == 3 and len(g.people()) == 1
        with pytest.raises(GalleryError, match="already enrolled"):
            g.enroll("ada", _vecs(1, 3), embedder="e", new=True)
        with pytest.raises(GalleryError, match="reserved"):
            g.enroll("Unknown", _vecs(1, 3), embedder="e")
        with pytest.raises(GalleryError, match="128-d"):
            g.enroll("bob", np.ones((1, 512), np.float32), embedder="e")
        with pytest.raises(GalleryError, match="same embedder"):
            g.match(_vecs(1, 4), threshold=0.6, embedder="other")
        with pytest.raises(GalleryError, match="NaN"):
            g.enroll("bob", np.full((1, DIM), np.nan, np.float32), embedder="e")
        assert len(g) == 3


def test_not_a_gallery(tmp_path):
    bad = tmp_path / "x.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(GalleryError, match="not a foveal gallery"):
        Gallery(bad)


def _writer(path: str, name: str, n: int, seed: int) -> None:
    g = Gallery(path)
    rng = np.random.default_rng(seed)
    for i in range(n):
        g.enroll(
            name if i % 2 else "shared", rng.normal(size=(1, DIM)).astype(np.float32), embedder="e"
        )
    g.close()


def test_concurrent_enrolls_from_two_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "g.db")
    Gallery(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, f"p{k}", 60, k)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Gallery(path) as g:
        assert len(g) == 120
        counts = {p.name: p.faces for p in g.people()}
        assert counts == {"shared": 60, "p0": 30, "p1": 30}
        g.check()


def _crashing_enroller(path: str, flag: str) -> None:
    g = Gallery(path)
    with g.transaction():
        g.enroll("ghost", np.ones((3, DIM), np.float32), embedder="e")
        g.enroll("ada", np.ones((2, DIM), np.float32), embedder="e")
        with open(flag, "w") as fh:
            fh.write("inside")
        time.sleep(120)  # killed here, mid-transaction


def test_kill_mid_enrol_leaves_database_consistent(tmp_path):
    path = str(tmp_path / "g.db")
    with Gallery(path) as g:
        g.enroll("ada", _vecs(1, 0), embedder="e")
    flag = tmp_path / "flag"
    proc = mp.get_context("spawn").Process(target=_crashing_enroller, args=(path, str(flag)))
    proc.start()
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert flag.exists(), "child never reached the middle of its transaction"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    with Gallery(path) as g:
        g.check()
        assert "ghost" not in g and len(g) == 1
        assert {p.name: p.faces for p in g.people()} == {"ada": 1}
        g.enroll("bob", _vecs(1, 5), embedder="e")  # the writer lock was released by the kill
        assert len(g) == 2
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_index_backends_agree_and_ten_thousand_faces(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(10_000, DIM)).astype(np.float32)
    q = base[[5, 77, 9_999]] + rng.normal(0, 0.01, (3, DIM)).astype(np.float32)
    for metric in ("euclidean", "cosine"):
        exact = build_index(base, metric=metric, backend="numpy")
        d, i = exact.search(q, k=3)
        assert i[:, 0].tolist() == [5, 77, 9_999] and (np.diff(d, axis=1) >= 0).all()
        fi = build_index(base, metric=metric, backend="faiss")
        assert fi.kind == "faiss"
        d2, i2 = fi.search(q, k=3)
        assert (i2 == i).all()
        np.testing.assert_allclose(d2, d, atol=1e-3)
    with Gallery(tmp_path / "big.db") as g:
        with g.transaction():
            for k in range(100):
                g.enroll(f"person{k:03d}", base[k * 100 : (k + 1) * 100], embedder="e")
        names, dists = g.match(q, threshold=0.6, embedder="e")
        assert names == ["person000", "person000", "person099"]


def test_cluster_embeddings():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 1, (3, DIM)).astype(np.float32)
    v = np.vstack([c + rng.normal(0, 0.01, (4, DIM)) for c in centres])
    perm = rng.permutation(len(v))
    labels = cluster_embeddings(v[perm], threshold=0.6)
    truth = np.repeat(np.arange(3), 4)[perm]
    assert len(set(labels.tolist())) == 3
    for lab in set(labels.tolist()):
        assert len(set(truth[labels == lab].tolist())) == 1
    assert labels[0] == 0
    assert cluster_embeddings(np.zeros((0, DIM)), threshold=0.6).shape == (0,)


def test_threads_share_one_gallery(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    g = Gallery(tmp_path / "t.db")
    g.enroll("seed", _vecs(1, 0), embedder="e")

    def work(k: int) -> str:
        g.enroll(f"t{k % 4}", _vecs(1, 100 + k), embedder="e")
        return g.match(_vecs(1, 100 + k), threshold=0.6, embedder="e")[0][0]

    with ThreadPoolExecutor(4) as pool:
        names = list(pool.map(work, range(40)))
    assert len(g) == 41 and all(n.startswith(("t", "seed")) for n in names)
    g.check()
    g.close()
