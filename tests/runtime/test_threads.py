"""Thread count and spinning: the load rule, the user's overrides, and what reaches ONNX Runtime."""

from __future__ import annotations

import subprocess
import sys

import pytest

from foveal.cli import main
from foveal.errors import ConfigError
from foveal.runtime import threads as threads_module
from foveal.runtime.onnx import OnnxModel
from foveal.runtime.threads import own_load, parse_spin, plan_threads, running_now
from foveal.zoo import get, resolve_weights

SPIN_KEY = "session.intra_op.allow_spinning"


@pytest.fixture
def clean_env(monkeypatch):
    """No thread settings from the caller's shell; the CLI's settings are undone after each test."""
    for name in ("FOVEAL_THREADS", "FOVEAL_SPIN", "FOVEAL_DEVICE"):
        monkeypatch.setenv(name, "")  # records the caller's value, restored after the test
        monkeypatch.delenv(name)


def yolox() -> str:
    return str(resolve_weights(get("yolox_nano.coco")))


def session_settings(model: OnnxModel) -> tuple[int, str]:
    opts = model.session.get_session_options()
    return opts.intra_op_num_threads, opts.get_session_config_entry(SPIN_KEY)


def test_idle_machine_gets_every_cpu_and_spinning(clean_env) -> None:
    plan = plan_threads(cpus=4, load=0.3)
    assert (plan.threads, plan.spin) == (4, True)
    assert "idle" in plan.why


def test_busy_machine_gets_the_free_cpus_and_no_spinning(clean_env) -> None:
    assert (plan_threads(cpus=4, load=2.2).threads, plan_threads(cpus=4, load=2.2).spin) == (
        2,
        True,
    )
    busy = plan_threads(cpus=2, load=6.0)
    assert (busy.threads, busy.spin) == (1, False)
    # a thread count the user forces on a busy machine: it runs, but does not spin
    forced = plan_threads(2, cpus=2, load=1.5)
    assert (forced.threads, forced.spin) == (2, False)


def test_environment_overrides_the_rule(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("FOVEAL_THREADS", "3")
    monkeypatch.setenv("FOVEAL_SPIN", "0")
    plan = plan_threads(cpus=8, load=0.0)
    assert (plan.threads, plan.spin) == (3, False)
    monkeypatch.setenv("FOVEAL_SPIN", "on")
    assert plan_threads(1, cpus=8, load=7.9).spin is True
    monkeypatch.setenv("FOVEAL_THREADS", "auto")
    monkeypatch.setenv("FOVEAL_SPIN", "auto")
    assert plan_threads(cpus=2, load=0.0) == plan_threads(cpus=2, load=0.0, threads=None)
    assert plan_threads(cpus=2, load=0.0).threads == 2


def test_own_cpu_use_is_not_counted_as_a_busy_machine(clean_env) -> None:
    # a process that kept one CPU busy for its whole (long) life holds about one CPU of the
    # 1-minute load average itself: on 2 CPUs at load 1.1 the other processes use only ~0.1
    assert own_load(cpu_seconds=300.0, age=300.0) == pytest.approx(1.0, abs=0.01)
    assert own_load(cpu_seconds=0.5, age=1.0) < 0.01  # a fresh CLI process holds almost none
    # a real process that burns 1 s of CPU early in its life holds about 1/60 of a CPU of the
    # moving average (cpu / age * (1 - exp(-age / 60)) ~ cpu / 60 while age << 60 s)
    burn = (
        "import time\nfrom foveal.runtime.threads import own_load, process_age\n"
        "while time.process_time() < 1.0: pass\nprint(own_load(), process_age())"
    )
    out = subprocess.run([sys.executable, "-c", burn], capture_output=True, text=True, check=True)
    share, age = map(float, out.stdout.split())
    assert 0.0 < age < 60.0
    assert 0.012 < share < 0.02


def test_other_processes_running_now_are_counted(clean_env) -> None:
    # two processes that spin on the CPU for as long as the test needs them
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        import time

        time.sleep(0.3)
        assert running_now(samples=20) >= 1.0  # both are runnable (other load only adds)
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def test_a_lagging_load_average_does_not_stop_spinning(clean_env, monkeypatch) -> None:
    # a command that ended seconds ago leaves ~1.2 in the 1-minute average; nothing runs now
    monkeypatch.setattr(threads_module, "machine_load", lambda: 1.2)
    monkeypatch.setattr(threads_module, "own_load", lambda: 0.0)
    monkeypatch.setattr(threads_module, "running_now", lambda: 0.0)
    plan = plan_threads(cpus=2)
    assert (plan.threads, plan.spin) == (2, True)
    assert "load 1.20, 0.00 running now" in plan.why
    # busy now as well: 1 thread, no spinning
    monkeypatch.setattr(threads_module, "running_now", lambda: 1.5)
    assert (plan_threads(cpus=2).threads, plan_threads(cpus=2).spin) == (1, False)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("FOVEAL_THREADS", "two", "FOVEAL_THREADS='two' is not a thread count"),
        ("FOVEAL_THREADS", "0", "whole number >= 1"),
        ("FOVEAL_SPIN", "maybe", "FOVEAL_SPIN='maybe' is not a spin setting; use 0, 1 or auto"),
    ],
)
def test_bad_environment_is_a_clear_error(clean_env, monkeypatch, name, value, words) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=words):
        plan_threads()
    with pytest.raises(ConfigError):
        plan_threads(0)
    for bad in ("abc", 1.5, True):
        with pytest.raises(ConfigError, match="threads must be a whole number >= 1"):
            plan_threads(bad)  # type: ignore[arg-type]
    assert parse_spin("1") is True and parse_spin("false") is False and parse_spin(None) is None


def test_plan_reaches_the_onnx_runtime_session(clean_env, monkeypatch) -> None:
    assert session_settings(OnnxModel(yolox(), threads=2, spin=True)) == (2, "1")
    assert session_settings(OnnxModel(yolox(), threads=1, spin=False)) == (1, "0")
    monkeypatch.setenv("FOVEAL_THREADS", "1")
    monkeypatch.setenv("FOVEAL_SPIN", "1")
    model = OnnxModel(yolox())
    assert session_settings(model) == (1, "1") and model.plan.why == "threads given, spin given"


def test_cli_spin_and_threads_reach_the_session(clean_env, photos, capsys) -> None:
    from foveal.tasks import TASKS, forget_predictors

    forget_predictors("classify")
    rc = main(["classify", str(photos["coffee"]), "--threads", "1", "--spin", "1", "--json"])
    assert rc == 0 and '"espresso"' in capsys.readouterr().out
    runner = TASKS["classify"].load(model="mobilenet_v2.imagenet", threads=1).model.runner
    assert session_settings(runner) == (1, "1")
    forget_predictors("classify")


def test_threads_auto_returns_to_the_plan_over_the_environment(clean_env, photos, capsys) -> None:
    import os

    os.environ["FOVEAL_THREADS"] = "1"  # undone by clean_env
    assert main(["classify", str(photos["coffee"]), "--threads", "auto", "--json"]) == 0
    assert '"espresso"' in capsys.readouterr().out
    assert os.environ["FOVEAL_THREADS"] == "auto" and not plan_threads().why.startswith("threads")
    with pytest.raises(SystemExit):
        main(["classify", str(photos["coffee"]), "--threads", "many"])
    assert "expected a whole number >= 1 or 'auto'" in capsys.readouterr().err


def test_verbs_and_analyze_take_threads(clean_env, photos) -> None:
    import foveal
    from foveal.tasks import TASKS, forget_predictors

    forget_predictors()
    assert foveal.classify(photos["coffee"], top_k=1, threads=1).names == ["espresso"]
    assert foveal.run("detect", photos["coffee"], threads=1).names[:1] == ["cup"]
    loaded = [TASKS[t].load(model=m, threads=1) for t, m in [("classify", None), ("detect", None)]]
    assert [p.model.runner.plan.threads for p in loaded] == [1, 1]
    from foveal.analyze.tasks import coerce_options

    assert coerce_options(TASKS["ocr"], {"threads": "2"}) == {"threads": 2}
    forget_predictors()


def test_serve_checks_thread_settings_before_it_starts(clean_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FOVEAL_SPIN", "maybe")
    assert main(["serve", "--preload", "classify", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "FOVEAL_SPIN='maybe'" in err


def test_cli_bad_environment_is_one_line(clean_env, photos, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FOVEAL_SPIN", "yes please")
    assert main(["detect", str(photos["coffee"])]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and err.count("\n") == 0
    assert err.startswith("foveal: error:") and "FOVEAL_SPIN='yes please'" in err
    with pytest.raises(SystemExit):
        main(["detect", str(photos["coffee"]), "--spin", "sometimes"])


def test_a_session_spinning_on_every_cpu_turns_opencv_threads_off(clean_env) -> None:
    import cv2

    from foveal.runtime.threads import usable_cpus

    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        OnnxModel(yolox(), threads=usable_cpus(), spin=False)  # not spinning: OpenCV keeps its pool
        assert cv2.getNumThreads() == 2
        OnnxModel(yolox(), threads=usable_cpus(), spin=True)
        assert cv2.getNumThreads() == 1  # its pool would only fight the spinning threads
    finally:
        cv2.setNumThreads(before)
