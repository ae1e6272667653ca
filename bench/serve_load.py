"""Bounded loopback load test of `foveal serve`: N concurrent clients for D seconds on /v1/classify.

    python bench/serve_load.py [--clients 20] [--duration 60]

Starts the service in a subprocess on a free 127.0.0.1 port (nothing else is contacted), warms it
up with one request, then runs the clients. Prints p50/p95/max latency, requests/s and the error
count, beside the same image classified in-process with foveal.classify (no HTTP) for reference.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from PIL import Image


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2, help="the service's inference threads")
    args = ap.parse_args()
    if not (1 <= args.clients <= 64 and 1 <= args.duration <= 300):
        ap.error("bounded on purpose: 1..64 clients, 1..300 s")

    from foveal.samples import sample_photos

    buf = io.BytesIO()
    Image.open(sample_photos()["chelsea"]).convert("RGB").save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()

    port = free_port()
    env = {**os.environ, "FOVEAL_OFFLINE": "1"}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "foveal",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--preload",
            "classify",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                print("the service did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        files = {"file": ("chelsea.jpg", jpeg, "image/jpeg")}
        assert (
            httpx.post(url + "/v1/classify", files=files, timeout=120).status_code == 200
        )  # warm-up

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.duration

        def client() -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                while time.monotonic() < stop_at:
                    t0 = time.perf_counter()
                    try:
                        r = c.post("/v1/classify", files=files)
                        ok = r.status_code == 200 and r.json()["classify"]["top"]
                        err = None if ok else f"HTTP {r.status_code}: {r.text[:100]}"
                    except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                        err = f"{type(exc).__name__}: {exc}"
                    dt = time.perf_counter() - t0
                    with lock:
                        (errors.append(err) if err else latencies.append(dt))

        t_start = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t_start
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    import foveal

    foveal.classify(jpeg)
    n_direct, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 5:
        foveal.classify(jpeg)
        n_direct += 1
    direct = (time.perf_counter() - t0) / n_direct

    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    rps = len(latencies) / wall
    print(
        f"\nloopback load test: {args.clients} clients x {args.duration:.0f} s, POST /v1/classify "
        f"(451x300 JPEG), service inference threads {args.workers}, {os.cpu_count()} CPUs"
    )
    print(f"{'':24}{'service (HTTP)':>16}{'in-process':>14}{'ratio':>8}")
    print(f"{'requests ok':24}{len(latencies):>16}")
    print(f"{'errors':24}{len(errors):>16}")
    print(f"{'throughput (img/s)':24}{rps:>16.1f}{1 / direct:>14.1f}{rps * direct:>8.2f}")
    print(
        f"{'latency p50 (ms)':24}{q[49] * 1000:>16.0f}{direct * 1000:>14.0f}{q[49] / direct:>8.1f}"
    )
    print(f"{'latency p95 (ms)':24}{q[94] * 1000:>16.0f}")
    print(f"{'latency max (ms)':24}{max(latencies, default=float('nan')) * 1000:>16.0f}")
    for e in errors[:5]:
        print("error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
