"""ci/full_mode.py's checks of a chapter's full-mode run (the script itself executes the chapters:
minutes, run by .ci/run). Here: a run folder written as the chapters write it passes, and each way
of not being the paper's full-mode configuration is named."""

import json
import sys
from pathlib import Path

from srgan.config import paper

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "ci"))

import full_mode  # noqa: E402


def _run_folder(tmp_path: Path, phase: str, change=None, logged=(1, 2), vgg="the paper's VGG19, phi_5,4: /x.h5") -> Path:
    """A run folder as chapter 5 (pretrain) or 6 (gan) leaves it in full mode with steps=2."""
    cfg = paper(phase)
    cfg.data.train_dirs = ["/data/T91", "/data/BSDS200"]
    cfg.train.steps, cfg.train.out_dir, cfg.train.device, cfg.train.visualdl = 2, str(tmp_path / "run"), "auto", False
    if phase == "pretrain":
        cfg.model.global_skip, cfg.train.pixel_loss = True, "l1"
        cfg.train.val_every = cfg.train.ckpt_every = cfg.train.log_every = 1
    else:
        cfg.train.init_generator, cfg.model.global_skip, cfg.train.lattice_weight = "/w/srresnet_x4.safetensors", True, 1000.0
    if change:
        change(cfg)
    run = tmp_path / "run"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"config": cfg.to_dict(), "vgg": vgg if phase == "gan" else None}))
    (run / "log.jsonl").write_text("".join(json.dumps({"kind": "train", "step": s, "loss": 0.1}) + "\n" for s in logged))
    return run


def test_the_chapters_full_mode_runs_pass(tmp_path, capsys):
    assert full_mode.check_run(_run_folder(tmp_path / "a", "pretrain"), "pretrain") == []
    assert full_mode.check_run(_run_folder(tmp_path / "b", "gan"), "gan") == []
    out = capsys.readouterr().out
    assert "generator 16 blocks x 64 channels" in out and "batch 16 x 96 px" in out and "VGG: the paper's VGG19" in out


def test_a_smaller_network_or_batch_is_not_full_mode(tmp_path):
    def smaller(cfg):
        cfg.model.num_blocks, cfg.data.batch_size = 2, 4

    problems = full_mode.check_run(_run_folder(tmp_path, "pretrain", smaller), "pretrain")
    assert any("model.num_blocks = 2, not the paper's 16" in p for p in problems)
    assert any("data.batch_size = 4, not the paper's 16" in p for p in problems)


def test_steps_data_log_and_vgg_record_are_checked(tmp_path):
    def no_data(cfg):
        cfg.data.train_dirs = []

    assert any("no training folders" in p for p in full_mode.check_run(_run_folder(tmp_path / "a", "pretrain", no_data), "pretrain"))
    assert any("last training step is 1, not 2" in p
               for p in full_mode.check_run(_run_folder(tmp_path / "b", "pretrain", logged=(1,)), "pretrain"))
    assert any("does not record which VGG19" in p for p in full_mode.check_run(_run_folder(tmp_path / "c", "gan", vgg=None), "gan"))
    assert any("no config.json" in p for p in full_mode.check_run(tmp_path / "missing", "gan"))


def test_chapters_whose_code_never_reads_quick_are_not_run_twice():
    reads = {p.stem: full_mode.reads_quick(p) for p in sorted((REPO / "book").glob("[0-9][0-9]_*.ipynb"))}
    assert reads["05_srresnet"] and reads["06_srgan"] and reads["03_discriminator"]  # they train: full mode differs
    assert not reads["00_intro"]  # only runs the shipped models


def test_ci_runs_full_mode_with_the_book_jobs_venv_and_counts_it():
    """.ci/run calls ci/full_mode.py after the book job, with the venv that job created (it has the
    book extra), and a failure fails CI."""
    run = (REPO / ".ci" / "run").read_text()
    book, full, tests = run.index("bash ci/book.sh"), run.index("ci/full_mode.py\n"), run.index("bash ci/test.sh")
    assert book < full < tests
    assert 'book_python="$fresh_home/venv-book/bin/python"' in run and 'BOOK_VENV="$fresh_home/venv-book"' in run
    assert run.rstrip().splitlines()[-1] == "[[ $book -eq 0 && $full -eq 0 && $tests -eq 0 ]]"
    assert "run it by hand" not in run  # the note from when chapter 8 ran out of memory in full mode
