"""SIGTERM ends a command like Ctrl-C (srgan.interrupt): upscale at once, training at a step boundary."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
from PIL import Image

from srgan.interrupt import StopOnSigterm


def _sigterm_self():
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)  # Python runs the handler at the next bytecode; be sure it had the chance


def test_sigterm_raises_keyboard_interrupt_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with StopOnSigterm():
            _sigterm_self()
    assert signal.getsignal(signal.SIGTERM) == before


def test_graceful_first_sigterm_is_a_request_the_second_interrupts(monkeypatch):
    monkeypatch.setattr(StopOnSigterm, "REPEAT_SECONDS", 0.5)
    with StopOnSigterm(graceful=True) as stop:
        assert not stop.requested
        _sigterm_self()
        assert stop.requested  # asked to stop at the next clean point, nothing raised
        _sigterm_self()  # 0.2 s later: Paddle's launcher repeating its SIGTERM, still the same request
        time.sleep(0.4)
        with pytest.raises(KeyboardInterrupt):  # a second request: the step never ends
            _sigterm_self()


def test_a_sigterm_after_a_request_is_the_first_signal_not_a_second(monkeypatch):
    """max_minutes (or another rank) asked to stop: a SIGTERM then is a first request, not the
    second SIGTERM that stops a stuck step at once."""
    with StopOnSigterm(graceful=True) as stop:
        stop.request()
        _sigterm_self()  # nothing raised
        assert stop.requested and stop.signalled


def test_request_sets_the_same_flag_and_outside_the_main_thread_nothing_is_installed():
    stop = StopOnSigterm(graceful=True)
    stop.request()
    assert stop.requested
    seen = {}

    def enter_in_a_thread():
        with StopOnSigterm() as inner:
            seen["installed"] = inner._installed

    thread = threading.Thread(target=enter_in_a_thread)
    thread.start()
    thread.join()
    assert seen == {"installed": False}  # signal.signal would raise off the main thread


def test_trainer_stops_after_the_step_with_a_checkpoint_on_the_first_sigterm(tmp_path):
    from srgan.runs import checkpoints
    from test_runs import _cfg, _log_steps, _trainer

    trainer = _trainer(_cfg(tmp_path / "run", steps=100, ckpt_every=50, val_every=50))
    real_step = trainer.train_step

    def step_then_sigterm(lr, hr):
        losses = real_step(lr, hr)
        if trainer.step == 2:  # during the third step
            _sigterm_self()
        return losses

    trainer.train_step = step_then_sigterm
    trainer.fit()
    assert trainer.step == 3  # the step that was running when SIGTERM came was finished
    assert [p.name for p in checkpoints(tmp_path / "run")] == ["ckpt_00000003.ckpt"]
    assert _log_steps(tmp_path / "run") == [1, 2, 3]


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interruption_during_a_checkpoint_steps_validation_keeps_that_step(tmp_path, caplog, how):
    """New-user test s21: a Ctrl-C during the validation of a checkpoint step came before that
    step's save, and the stop then skipped saving it (the step was a multiple of ckpt_every):
    exit 130 with the previous checkpoint, up to ckpt_every steps lost, and no "stopped at" line
    (with SIGTERM: saved, but no line either)."""
    import logging

    from srgan.runs import checkpoints
    from test_runs import _cfg, _trainer

    trainer = _trainer(_cfg(tmp_path / "run", steps=100, ckpt_every=2, val_every=2))
    real_validate = trainer._validate_and_keep_best

    def validate_then_interrupt():
        if trainer.step == 4:
            if how == "ctrl-c":
                raise KeyboardInterrupt
            _sigterm_self()
        return real_validate()

    trainer._validate_and_keep_best = validate_then_interrupt
    with caplog.at_level(logging.INFO):
        trainer.fit()
    assert trainer.interrupted and trainer.step == 4
    assert [p.name for p in checkpoints(tmp_path / "run")][-1] == "ckpt_00000004.ckpt"
    assert "stopped at step 4; checkpoint" in caplog.text and "continue with --resume" in caplog.text


def test_a_first_ctrl_c_in_training_finishes_the_step_and_saves_it(tmp_path, capsys):
    """Hostile test s21 #3: a Ctrl-C inside a step (after G's update, before the step was counted)
    saved weights half a step ahead of the step the checkpoint was named for, and --resume then
    applied that batch twice. In training the first Ctrl-C is a request, like SIGTERM."""
    from srgan.runs import checkpoints
    from test_runs import _cfg, _log_steps, _trainer

    trainer = _trainer(_cfg(tmp_path / "run", steps=100, ckpt_every=50, val_every=50))
    real_step = trainer.train_step

    def step_then_ctrl_c(lr, hr):
        losses = real_step(lr, hr)
        if trainer.step == 2:  # during the third step, after its update
            os.kill(os.getpid(), signal.SIGINT)
        return losses

    trainer.train_step = step_then_ctrl_c
    trainer.fit()
    assert trainer.interrupted and trainer.step == 3
    assert [p.name for p in checkpoints(tmp_path / "run")] == ["ckpt_00000003.ckpt"]
    assert _log_steps(tmp_path / "run") == [1, 2, 3]
    assert "stopping after this step (Ctrl-C again to stop at once)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back


def test_a_ctrl_c_during_the_last_steps_validation_still_saves_the_run(tmp_path):
    """Hostile test s21 #1: a Ctrl-C during the last step's validation ended with exit 0 (the run
    counts as complete) but without the last step's checkpoint."""
    from srgan.runs import checkpoints
    from test_runs import _cfg, _trainer

    trainer = _trainer(_cfg(tmp_path / "run", steps=4, ckpt_every=50, val_every=50))
    real_validate = trainer._validate_and_keep_best

    def validate_then_interrupt():
        if trainer.step == 4:
            raise KeyboardInterrupt  # a second Ctrl-C, or one from a thread that is not main
        return real_validate()

    trainer._validate_and_keep_best = validate_then_interrupt
    trainer.fit()
    assert not trainer.interrupted and trainer.step == 4
    assert [p.name for p in checkpoints(tmp_path / "run")][-1] == "ckpt_00000004.ckpt"


def test_a_sigterm_during_the_last_step_ends_a_complete_run(tmp_path):
    """Hostile test s20 round 2 (N9): a SIGTERM during the last step said "stopped at step N; continue
    with --resume" and the run counted as interrupted (exit 130), though it was complete and saved."""
    from srgan.runs import checkpoints
    from test_runs import _cfg, _trainer

    trainer = _trainer(_cfg(tmp_path / "run", steps=3, ckpt_every=50, val_every=50))
    real_step = trainer.train_step

    def step_then_sigterm(lr, hr):
        losses = real_step(lr, hr)
        if trainer.step == 2:  # during the third and last step
            _sigterm_self()
        return losses

    trainer.train_step = step_then_sigterm
    trainer.fit()
    assert trainer.step == 3 and not trainer.interrupted
    assert [p.name for p in checkpoints(tmp_path / "run")] == ["ckpt_00000003.ckpt"]  # the end's, once


def test_sigterms_during_the_stop_checkpoint_do_not_lose_it(tmp_path):
    """paddle.distributed.launch repeats its SIGTERM 0.2 s apart, and a phase-2 checkpoint takes a
    second or more to write: the repeats arriving while the stop checkpoint is written must not
    kill the process (they did: the graceful handler was gone by then, exit 143, no checkpoint)."""
    from srgan.runs import checkpoints
    from test_runs import _cfg, _trainer

    trainer = _trainer(_cfg(tmp_path / "run", steps=100, ckpt_every=50, val_every=50))
    real_step, real_save = trainer.train_step, trainer.save

    def step_then_sigterm(lr, hr):
        losses = real_step(lr, hr)
        if trainer.step == 2:
            _sigterm_self()
        return losses

    def slow_save():
        for _ in range(2):  # the launcher's repeats, while the checkpoint is being written
            _sigterm_self()
        return real_save()

    trainer.train_step, trainer.save = step_then_sigterm, slow_save
    trainer.fit()
    assert trainer.interrupted and trainer.step == 3
    assert [p.name for p in checkpoints(tmp_path / "run")] == ["ckpt_00000003.ckpt"]


def test_cli_upscale_exits_130_on_sigterm_and_leaves_no_temp_file(tmp_path, monkeypatch, capsys):
    import srgan.infer
    from srgan.checkpoint import save_generator
    from srgan.cli import main
    from srgan.models import Generator

    weights = tmp_path / "tiny.safetensors"
    save_generator(Generator(scale=4, num_blocks=1, channels=8), weights)
    (tmp_path / "in").mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / "in" / f"{i}.png")
    real_tiled, calls = srgan.infer.upscale_tiled, []

    def tiled_then_sigterm(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # while the second image is being upscaled
            _sigterm_self()
        return real_tiled(*args, **kwargs)

    monkeypatch.setattr(srgan.infer, "upscale_tiled", tiled_then_sigterm)
    code = main(["upscale", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--weights", str(weights),
                 "--engine", "dygraph", "--no-progress"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.png"]  # complete files only, no temp file


def test_sigterm_to_the_trainer_and_its_loader_workers_stops_with_a_checkpoint(tmp_path):
    """`pkill -f <run folder>` signals the data-loader workers too (their command line is the
    trainer's). The run must still stop as on a SIGTERM to the trainer alone: a checkpoint, exit
    130, no traceback, no process left behind (a worker that died of it ended the run with
    Paddle's "DataLoader process ... killed by signal" traceback and exit 1)."""
    import subprocess
    import sys

    from srgan.image_io import save_image
    from srgan.runs import checkpoints

    data, out = tmp_path / "data", tmp_path / "run"
    rng = np.random.default_rng(0)
    for i in range(4):
        save_image(data / f"{i}.png", (rng.random((48, 48, 3)) * 255).astype(np.uint8))
    cmd = [sys.executable, "-m", "srgan", "train", "--quick", "--num-blocks", "1", "--channels", "8", "--hr-size", "16",
           "--batch-size", "4", "--steps", "100000", "--val-every", "100000", "--ckpt-every", "100000", "--log-every", "1",
           "--no-visualdl", "--device", "cpu", "--num-workers", "2", "--data", str(data), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 120
        while not ((out / "log.jsonl").exists() and (out / "log.jsonl").read_text().count("\n") >= 3):
            assert proc.poll() is None and time.time() < deadline, proc.communicate()[1].decode()[-2000:]
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGTERM)  # the trainer and its workers, as pkill -f does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    err = err.decode(errors="replace")
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "killed by signal" not in err, err[-2000:]
    assert len(checkpoints(out)) == 1 and "stopped at step" in err
    with pytest.raises(ProcessLookupError):  # nothing of the run's process group is left
        os.killpg(proc.pid, 0)


def _train_process(tmp_path, *extra):
    import subprocess
    import sys

    from srgan.image_io import save_image

    data = tmp_path / "data"
    rng = np.random.default_rng(0)
    for i in range(2):
        save_image(data / f"{i}.png", (rng.random((32, 32, 3)) * 255).astype(np.uint8))
    cmd = [sys.executable, "-m", "srgan", "train", "--quick", "--num-blocks", "1", "--channels", "8", "--hr-size", "16",
           "--batch-size", "2", "--steps", "1000000", "--val-every", "1000000", "--ckpt-every", "1000000",
           "--no-visualdl", "--no-progress", "--device", "cpu", "--num-workers", "0", "--data", str(data),
           "--out", str(tmp_path / "run"), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_launchers_repeated_sigterms_end_the_run_with_130_not_143(tmp_path):
    """Hostile test s20 F5: three SIGTERMs 0.05 s apart (paddle.distributed.launch's pattern). The
    checkpoint was written, but a repeat arriving after the command's own handlers were gone, while
    Python and Paddle shut down, killed the process: status 143, which reads as an unclean kill."""
    from srgan.runs import checkpoints

    proc = _train_process(tmp_path)
    try:
        deadline = time.time() + 120
        while not ((tmp_path / "run" / "log.jsonl").exists() and (tmp_path / "run" / "log.jsonl").stat().st_size):
            assert proc.poll() is None and time.time() < deadline, proc.communicate()[1].decode()[-2000:]
            time.sleep(0.2)
        for _ in range(3):
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err.decode(errors="replace")
    assert proc.returncode == 130, err[-2000:]
    assert len(checkpoints(tmp_path / "run")) == 1 and "stopped at step" in err


def test_a_sigterm_while_paddle_is_imported_waits_for_the_commands_handler(tmp_path):
    """Hostile test s20 F4: a SIGTERM in the second in which Paddle is imported met Paddle's own
    handler: a C++ "FatalError: Termination signal" dump and status 143. It is held back until the
    command's handler is set, then ends the command as any SIGTERM does (130, one line)."""
    import subprocess
    import sys

    code = ("import os, signal, sys\n"
            "import srgan.cli as cli\n"
            "import srgan.interrupt as interrupt\n"
            "hold = interrupt.hold_sigterm\n"
            "def hold_then_signal():\n"  # the SIGTERM arrives at the worst moment: just before `import paddle`
            "    held = hold()\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    return held\n"
            "interrupt.hold_sigterm = hold_then_signal\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", code, "info"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == "interrupted" and "FatalError" not in proc.stderr


def test_a_ctrl_c_while_paddle_is_imported_ends_the_command_as_interrupted():
    """A Ctrl-C in the second in which Paddle is imported raised inside Paddle's C++ module
    initialisation, which turned it into "ImportError: initialization failed": a traceback and
    status 1. Here a stand-in for Paddle's module does what that initialisation does."""
    import subprocess
    import sys

    code = ("import importlib.abc, importlib.util, os, signal, sys, time\n"
            "import srgan.cli as cli\n"
            "class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):\n"
            "    def find_spec(self, name, path, target=None):\n"
            "        return importlib.util.spec_from_loader(name, self) if name == 'paddle' else None\n"
            "    def create_module(self, spec):\n"
            "        return None\n"
            "    def exec_module(self, module):\n"
            "        try:\n"  # C++ initialisation that a KeyboardInterrupt interrupts fails as a whole
            "            os.kill(os.getpid(), signal.SIGINT)\n"
            "            time.sleep(0.2)\n"
            "        except KeyboardInterrupt:\n"
            "            raise ImportError('initialization failed')\n"
            "sys.meta_path.insert(0, Finder())\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", code, "info"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == "interrupted" and "ImportError" not in proc.stderr


@pytest.mark.parametrize("entry", ["console", "python -m srgan"])
def test_a_sigterm_after_the_command_finished_leaves_its_status(tmp_path, entry):
    """Hostile test s20 N7: a SIGTERM in the fraction of a second in which Python and Paddle shut
    down, after the command's work was done, ended it with status 143 (killed). An atexit hook
    sends it here, so it lands in the shutdown every time."""
    import subprocess
    import sys

    start = "import srgan.cli as cli; cli.console()" if entry == "console" else "import runpy; runpy.run_module('srgan', run_name='__main__')"
    code = ("import atexit, os, signal, sys\n"
            "atexit.register(lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
            "sys.argv = ['srgan', 'info']\n"
            f"{start}\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert "FatalError" not in proc.stderr and "generator" in proc.stdout.lower()


def test_interrupts_during_a_deferred_block_arrive_after_it():
    """srgan.export holds Ctrl-C and SIGTERM back during paddle.jit.save (hostile test s21: one in
    the middle gave tracebacks, Paddle errors or a segmentation fault); they arrive after it."""
    from srgan.interrupt import deferred_interrupts

    finished = False
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            finished = True  # the block ran to its end
    assert finished
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # unblocked again
