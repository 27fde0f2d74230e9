import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import paddle
import pytest

from srgan.checkpoint import load_generator
from srgan.config import Config
from srgan.runs import checkpoints
from srgan.train import Trainer, vgg_engine_for
from tiny import config as tiny_config
from tiny import images as _images
from tiny import val_pairs as _val_pairs

REPO = Path(__file__).resolve().parents[1]


def _cfg(tmp_path, phase="pretrain", **train):
    return tiny_config(tmp_path / phase, phase, **train)


def _params(layer):
    return {k: v.numpy().copy() for k, v in layer.state_dict().items()}


def _changed(before, layer):
    after = _params(layer)
    return {k for k in before if not np.array_equal(before[k], after[k])}


def _batch(trainer, step=0):
    from srgan.data import TrainCrops

    ds = TrainCrops(_images(), hr_size=16, seed=0)
    lr, hr = zip(*(ds[step * 2 + i] for i in range(2)))
    return paddle.to_tensor(np.stack(lr)), paddle.to_tensor(np.stack(hr))


def test_pretrain_step_changes_every_generator_parameter(tmp_path):
    trainer = Trainer(_cfg(tmp_path), images=_images(), val_pairs=_val_pairs(), progress=False)
    before = _params(trainer.generator)
    losses = trainer.train_step(*_batch(trainer))
    trainable = {p.name for p in trainer.generator.parameters()}
    changed = _changed(before, trainer.generator)
    names = {k for k, v in trainer.generator.state_dict().items() if v.name in trainable}
    assert names <= changed, names - changed
    assert np.isfinite(losses["loss"]) and trainer.discriminator is None


@pytest.mark.parametrize("content", ["vgg22", "vgg-multi"])
def test_gan_step_updates_g_and_d_but_never_the_vgg(tmp_path, content):
    cfg = _cfg(tmp_path, "gan", content_loss=content, vgg_weights="random")
    with pytest.warns(UserWarning, match="(?i)random"):
        trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    if content == "vgg-multi":  # five layers' features, through the same engine as one layer's
        assert trainer.vgg_engine == vgg_engine_for(trainer.device, "auto")
        assert (trainer.content_loss.engine is None) == (trainer.vgg_engine == "dygraph")
    g0, d0, v0 = _params(trainer.generator), _params(trainer.discriminator), _params(trainer.content_loss.vgg)
    losses = trainer.train_step(*_batch(trainer))
    assert _changed(g0, trainer.generator) and _changed(d0, trainer.discriminator)
    assert not _changed(v0, trainer.content_loss.vgg)
    assert set(losses) >= {"loss_g", "content", "adversarial", "loss_d", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in losses.values())


def test_gan_step_adds_the_optional_terms_it_is_given(tmp_path):
    cfg = _cfg(tmp_path, "gan", lattice_weight=1000.0, lowfreq_weight=1.0, chroma_weight=1.0, lr_consistency_weight=1.0,
               artifact_weight=1.0, texture_weight=1.0, texture_direction_weight=1.0, ema_decay=0.9)
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    losses = trainer.train_step(*_batch(trainer))
    optional = {"lattice", "lowfreq", "chroma", "lr_consistency", "artifacts", "texture", "direction"}
    assert optional <= set(losses) and all(np.isfinite(v) for v in losses.values())
    plain = Trainer(_cfg(tmp_path / "plain", "gan"), images=_images(), val_pairs=_val_pairs(), progress=False)
    assert not optional & set(plain.train_step(*_batch(plain)))


def test_generator_update_leaves_no_gradient_on_d(tmp_path):
    trainer = Trainer(_cfg(tmp_path, "gan"), images=_images(), val_pairs=_val_pairs(), progress=False)
    trainer.train_step(*_batch(trainer))
    assert all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in trainer.discriminator.parameters())
    assert all(not p.stop_gradient for p in trainer.d_parameters)  # D is trainable again ...
    bn_stats = [p for n, p in trainer.discriminator.named_parameters() if n.endswith(("_mean", "_variance"))]
    assert bn_stats and all(p.stop_gradient for p in bn_stats)  # ... but its BN statistics never are


def test_fit_writes_log_checkpoints_weights_and_grid(tmp_path):
    cfg = _cfg(tmp_path, steps=4, log_every=1, val_every=2, ckpt_every=2, keep_last=1)
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    metrics = trainer.fit()
    out = Path(cfg.train.out_dir)
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 2, 3, 4]
    assert [r["step"] for r in records if r["kind"] == "val"] == [2, 4]
    assert [p.name for p in checkpoints(out)] == ["ckpt_00000004.ckpt"]  # keep_last=1
    assert metrics["psnr"] > 0 and sorted(p.name for p in (out / "images").iterdir()) == ["val_00000002.png", "val_00000004.png"]
    assert load_generator(out / "best_generator.safetensors").training is False
    assert Config.from_dict(json.loads((out / "config.json").read_text())["config"]) == cfg


@pytest.mark.parametrize("content", ["mse", "vgg22"])
def test_resume_continues_the_same_trajectory(tmp_path, content):
    """Interrupted after step 3 and resumed == uninterrupted, loss for loss (vgg22: the VGG loss
    through Paddle Inference, the CPU default, srgan.vgg_inference)."""
    extra = dict(content_loss=content, vgg_weights="random") if content != "mse" else {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*RANDOM.*")
        full = Trainer(_cfg(tmp_path / "a", "gan", steps=6, log_every=1, ckpt_every=3, val_every=100, **extra),
                       images=_images(), val_pairs=_val_pairs(), progress=False)
        assert full.vgg_engine == vgg_engine_for("cpu")  # the CPU default: inference, in bf16 where the CPU has it
        full.fit()
        part_cfg = _cfg(tmp_path / "b", "gan", steps=3, log_every=1, ckpt_every=3, val_every=100, **extra)
        Trainer(part_cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
        part_cfg.train.steps = 6
        resumed = Trainer(part_cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
        resumed.fit(resume=True)

    def losses(run_dir):
        lines = (Path(run_dir) / "gan" / "log.jsonl").read_text().splitlines()
        return {r["step"]: r["loss_g"] for r in map(json.loads, lines) if r["kind"] == "train"}

    a, b = losses(tmp_path / "a"), losses(tmp_path / "b")
    assert sorted(b) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose([b[s] for s in range(1, 7)], [a[s] for s in range(1, 7)], rtol=1e-5)
    for k, v in full.generator.state_dict().items():
        np.testing.assert_allclose(resumed.generator.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


def test_resume_refuses_a_checkpoint_of_the_other_phase(tmp_path):
    from srgan.checkpoint import CheckpointError

    cfg = _cfg(tmp_path, steps=1, ckpt_every=1, val_every=100)
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    ckpt = checkpoints(cfg.train.out_dir)[-1]
    gan = Trainer(_cfg(tmp_path / "g", "gan"), images=_images(), val_pairs=_val_pairs(), progress=False)
    with pytest.raises(CheckpointError, match="pretrain"):
        gan.resume(ckpt)


@pytest.mark.slow
def test_killed_cli_run_resumes_from_its_last_checkpoint(tmp_path):
    """SIGKILL a real `srgan train` process mid-run, resume it, and compare with an uninterrupted run."""
    flags = ["--quick", "--num-blocks", "1", "--channels", "8", "--hr-size", "16", "--batch-size", "2",
             "--log-every", "1", "--ckpt-every", "5", "--val-every", "100000", "--no-visualdl", "--lr-milestones"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "srgan", "train", *flags]
    killed = subprocess.Popen([*cmd, "--steps", "100000", "--out", str(tmp_path / "k")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not any(int(p.stem[5:]) >= 10 for p in checkpoints(tmp_path / "k")):
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    start = int(checkpoints(tmp_path / "k")[-1].stem[5:])
    assert start >= 10
    subprocess.run([*cmd, "--steps", str(start + 5), "--out", str(tmp_path / "k"), "--resume"], env=env, check=True,
                   capture_output=True)
    subprocess.run([*cmd, "--steps", str(start + 5), "--out", str(tmp_path / "u")], env=env, check=True, capture_output=True)

    def losses(run_dir):
        records = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
        return [(r["step"], r["loss"]) for r in records if r["kind"] == "train"]

    resumed = [x for x in losses(tmp_path / "k") if x[0] > start][-5:]
    uninterrupted = [x for x in losses(tmp_path / "u") if x[0] > start]
    assert [s for s, _ in resumed] == list(range(start + 1, start + 6))
    np.testing.assert_allclose([l for _, l in resumed], [l for _, l in uninterrupted], rtol=1e-5)


def test_gan_phase_takes_the_architecture_of_its_initial_generator(tmp_path):
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    source = Generator(num_blocks=2, channels=8, global_skip=True)
    save_generator(source, tmp_path / "g.safetensors")
    cfg = _cfg(tmp_path, "gan", init_generator=str(tmp_path / "g.safetensors"))
    assert (cfg.model.num_blocks, cfg.model.global_skip) == (1, False)
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    assert trainer.generator.global_skip and len(trainer.generator.body) == 2
    assert (trainer.cfg.model.num_blocks, trainer.cfg.model.global_skip) == (2, True)
    x = paddle.rand([1, 3, 8, 8])
    source.eval(), trainer.generator.eval()
    np.testing.assert_allclose(trainer.generator(x).numpy(), source(x).numpy(), atol=1e-6)


def test_pretrain_can_continue_from_released_weights(tmp_path):
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    source = Generator(num_blocks=1, channels=8)
    save_generator(source, tmp_path / "g.safetensors")
    trainer = Trainer(_cfg(tmp_path, init_generator=str(tmp_path / "g.safetensors")), images=_images(),
                      val_pairs=_val_pairs(), progress=False)
    for k, v in source.state_dict().items():
        np.testing.assert_array_equal(trainer.generator.state_dict()[k].numpy(), v.numpy())


def test_d_warmup_updates_only_d_then_both(tmp_path):
    """d_warmup_steps: the first steps of phase 2 train D alone; G (BN statistics included) stays exactly as loaded."""
    trainer = Trainer(_cfg(tmp_path, "gan", d_warmup_steps=1), images=_images(), val_pairs=_val_pairs(), progress=False)
    g0, d0 = _params(trainer.generator), _params(trainer.discriminator)
    losses = trainer.train_step(*_batch(trainer))
    assert not _changed(g0, trainer.generator)
    assert _changed(d0, trainer.discriminator)
    assert "loss_g" not in losses and np.isfinite(losses["loss_d"])
    trainer.step = 1  # warm-up over: the usual G then D step
    losses = trainer.train_step(*_batch(trainer, step=1))
    assert _changed(g0, trainer.generator) and "loss_g" in losses


def test_d_renew_every_replaces_d_and_warms_it_up_alone(tmp_path):
    """d_renew_every: at each multiple of it D starts afresh (the same new weights wherever it happens,
    e.g. after a resume) and trains alone for d_warmup_steps; G's random stream is left as it was."""
    trainer = Trainer(_cfg(tmp_path, "gan", d_warmup_steps=1, d_renew_every=3), images=_images(), val_pairs=_val_pairs(),
                      progress=False)
    trainer.step = 2  # a step with G: the usual G then D step
    assert "loss_g" in trainer.train_step(*_batch(trainer, step=2))
    trainer.step = 3
    g0, d0 = _params(trainer.generator), _params(trainer.discriminator)
    rng = paddle.get_rng_state()
    trainer._renew_discriminator()
    renewed = _params(trainer.discriminator)
    assert _changed(d0, trainer.discriminator)  # a new D, not the trained one
    drawn = paddle.rand([8]).numpy()
    paddle.set_rng_state(rng)
    np.testing.assert_array_equal(drawn, paddle.rand([8]).numpy())  # the run's random stream untouched

    other = Trainer(_cfg(tmp_path / "other", "gan", d_warmup_steps=1, d_renew_every=3), images=_images(),
                    val_pairs=_val_pairs(), progress=False)
    other.step = 3
    other._renew_discriminator()
    assert not _changed(renewed, other.discriminator)  # the same new D in another process at the same step

    # Inside train_step, from the trained D: renewal, then a warm-up step (D alone), as in `other`.
    trainer.discriminator.set_state_dict({k: paddle.to_tensor(v) for k, v in d0.items()})
    other.generator.set_state_dict(trainer.generator.state_dict())
    losses = trainer.train_step(*_batch(trainer, step=3))
    assert "loss_g" not in losses and not _changed(g0, trainer.generator)
    other.train_step(*_batch(other, step=3))
    for k, v in _params(other.discriminator).items():
        np.testing.assert_allclose(trainer.discriminator.state_dict()[k].numpy(), v, rtol=1e-5, atol=1e-6)
    trainer.step = 4
    assert "loss_g" in trainer.train_step(*_batch(trainer, step=4))


def test_gan_pixel_weight_adds_the_pixel_loss_to_the_content_loss(tmp_path):
    cfg = _cfg(tmp_path, "gan", content_loss="mse", gan_pixel_weight=0.5, pixel_loss="l1")
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    lr, hr = _batch(trainer)
    state = {k: v.numpy().copy() for k, v in trainer.generator.state_dict().items()}
    trainer.generator.train()
    with paddle.no_grad():
        sr = trainer.generator(lr)
        expected = float(paddle.nn.functional.mse_loss(sr, hr) + 0.5 * paddle.nn.functional.l1_loss(sr, hr))
    trainer.generator.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})
    losses = trainer.train_step(lr, hr)
    assert losses["content"] == pytest.approx(expected, rel=1e-4)


def test_lattice_weight_adds_the_lattice_penalty_to_the_generator_loss(tmp_path):
    from srgan.losses import generator_adversarial_loss, lattice_penalty

    cfg = _cfg(tmp_path, "gan", content_loss="mse", lattice_weight=100.0)
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    lr, hr = _batch(trainer)
    g0 = _params(trainer.generator)
    trainer.generator.train()
    trainer.discriminator.train()
    with paddle.no_grad():
        sr = trainer.generator(lr)
        lattice = float(lattice_penalty(sr, hr))
        adversarial = float(generator_adversarial_loss(trainer.discriminator(sr)))
        content = float(paddle.nn.functional.mse_loss(sr, hr))
    trainer.generator.set_state_dict({k: paddle.to_tensor(v) for k, v in g0.items()})
    losses = trainer.train_step(lr, hr)
    assert lattice > 0 and losses["lattice"] == pytest.approx(lattice, rel=1e-4)
    assert losses["loss_g"] == pytest.approx(content + cfg.train.adv_weight * adversarial + 100.0 * lattice, rel=1e-4)
    assert losses["content"] == pytest.approx(content, rel=1e-4)  # logged apart from the content loss


def test_lattice_penalty_period_is_the_models_scale(tmp_path, monkeypatch):
    """The pixel-shuffle lattice repeats every `scale` pixels: a x2 model is penalised at period 2."""
    import srgan.train as train_module

    periods = []
    real = train_module.lattice_penalty

    def recording(sr, hr, period=4, window=32):
        periods.append(period)
        return real(sr, hr, period=period, window=window)

    monkeypatch.setattr(train_module, "lattice_penalty", recording)
    cfg = _cfg(tmp_path, "gan", content_loss="mse", lattice_weight=10.0)
    cfg.model.scale = 2
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    from srgan.data import TrainCrops

    lr, hr = zip(*(TrainCrops(_images(), hr_size=16, scale=2, seed=0)[i] for i in range(2)))
    losses = trainer.train_step(paddle.to_tensor(np.stack(lr)), paddle.to_tensor(np.stack(hr)))
    assert periods == [2] and np.isfinite(losses["lattice"])


def test_relativistic_gan_step_updates_g_and_d_and_its_losses_differ_from_the_standard_ones(tmp_path):
    standard = Trainer(_cfg(tmp_path / "standard", "gan"), images=_images(), val_pairs=_val_pairs(), progress=False)
    relativistic = Trainer(_cfg(tmp_path / "relativistic", "gan", gan_loss="relativistic"), images=_images(),
                           val_pairs=_val_pairs(), progress=False)
    g0, d0 = _params(relativistic.generator), _params(relativistic.discriminator)
    assert g0.keys() == _params(standard.generator).keys()
    a, b = standard.train_step(*_batch(standard)), relativistic.train_step(*_batch(relativistic))
    assert _changed(g0, relativistic.generator) and _changed(d0, relativistic.discriminator)
    assert all(np.isfinite(v) for v in b.values())
    # Same seed, same start, same batch: the content loss agrees, the adversarial terms do not.
    assert a["content"] == pytest.approx(b["content"], rel=1e-5)
    assert a["adversarial"] != pytest.approx(b["adversarial"], rel=1e-3)
    assert all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in relativistic.discriminator.parameters())


def test_unknown_gan_loss_is_refused_by_the_config_check(tmp_path):
    with pytest.raises(ValueError, match="gan_loss must be 'standard' or 'relativistic'"):
        _cfg(tmp_path, "gan", gan_loss="wgan").validate()


def test_the_run_records_which_vgg19_its_content_loss_used(tmp_path):
    from srgan.runs import read_info

    cfg = _cfg(tmp_path, "gan", content_loss="vgg22", vgg_weights="random", steps=1, val_every=1, ckpt_every=1)
    with pytest.warns(UserWarning, match="(?i)random"):
        trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    trainer.fit()
    assert read_info(cfg.train.out_dir)["vgg"].startswith("a RANDOM VGG19 (tests only), phi_2,2")


def test_cli_resume_from_a_checkpoint_needs_no_flag_repeated(tmp_path):
    """`srgan train --resume CKPT --out NEW` continues the checkpoint's run with its own settings
    (phase, architecture, losses): before, the paper's phase-1 preset was taken and the GAN
    checkpoint refused as "a 'gan' checkpoint, this run is 'pretrain'"."""
    import json
    from pathlib import Path

    from srgan.cli import main
    from srgan.runs import checkpoints

    photos, bench = _photo_folder_and_benchmark(tmp_path)
    cfg = _cfg(tmp_path / "a", "gan", steps=2, log_every=1, ckpt_every=2, val_every=100)
    cfg.data.train_dirs, cfg.train.adv_weight, cfg.train.chroma_weight = [str(photos)], 0.05, 7.0
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    first = Path(cfg.train.out_dir)
    ckpt = checkpoints(first)[-1]

    assert main(["train", "--resume", str(ckpt), "--out-dir", str(tmp_path / "b"), "--steps", "3", "--val-every", "100",
                 "--val-dir", str(bench), "--device", "cpu"]) == 0
    got = json.loads((tmp_path / "b" / "config.json").read_text())["config"]
    assert got["train"]["phase"] == "gan" and got["train"]["steps"] == 3
    assert (got["train"]["adv_weight"], got["train"]["chroma_weight"]) == (0.05, 7.0)
    assert got["model"] == json.loads((first / "config.json").read_text())["config"]["model"]
    assert [int(p.stem.split("_")[-1]) for p in checkpoints(tmp_path / "b")][-1] == 3


def _photo_folder_and_benchmark(tmp_path):
    """_images() as PNG files in tmp_path/photos, and a one-pair benchmark folder tmp_path/bench."""
    from PIL import Image
    from srgan.imresize import imresize

    photos, bench = tmp_path / "photos", tmp_path / "bench"
    for folder in (photos, bench / "HR", bench / "LR_bicubic_x4"):
        folder.mkdir(parents=True)
    for name, img in _images():
        Image.fromarray(img).save(photos / f"{name}.png")
    Image.fromarray(_images()[0][1][:32, :32]).save(bench / "HR" / "a.png")
    Image.fromarray(imresize(_images()[0][1][:32, :32], scale=0.25)).save(bench / "LR_bicubic_x4" / "a.png")
    return photos, bench


def test_train_writes_plain_validation_lines_to_a_log_not_a_progress_bar(tmp_path, capfd):
    """`srgan train ... > log 2>&1` (nohup, a scheduler) filled the log with the bar's
    carriage-return updates and showed no validation at all: a log gets one line per validation."""
    from srgan.cli import main

    photos, bench = _photo_folder_and_benchmark(tmp_path)
    assert main(["train", "--quick", "--phase", "pretrain", "--num-blocks", "1", "--channels", "8", "--hr-size", "16",
                 "--batch-size", "2", "--steps", "4", "--val-every", "2", "--data", str(photos), "--val-dir", str(bench),
                 "--out", str(tmp_path / "run"), "--device", "cpu"]) == 0
    err = capfd.readouterr().err
    assert "\r" not in err and "it/s" not in err, err
    lines = [line for line in err.splitlines() if ": val PSNR " in line]
    assert [line.split(":")[0] for line in lines] == ["step 2", "step 4"], err
    assert all(line.endswith(" s/step)") and "/4 steps" in line for line in lines), lines
    # 16 px crops are too small for NIQE and the grid: said as the tables say it, not "nan" (hostile test s22)
    assert all("NIQE -, grid contrast -" in line and "nan" not in line for line in lines), lines


def test_vgg_weights_that_no_loss_uses_are_said_to_be_unused(tmp_path):
    """Hostile test s20: --vgg-weights with phase 1 (or an MSE content loss) was accepted in silence."""
    cfg = _cfg(tmp_path, "pretrain", vgg_weights="random")
    with pytest.warns(UserWarning, match=r"--vgg-weights random is not used: no VGG loss in this run \(phase pretrain"):
        Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)


def test_phase_2_terms_in_a_phase_1_run_are_said_to_do_nothing(tmp_path):
    """`srgan train --phase pretrain --texture-weight 5` was accepted in silence (hostile round s24 #10)."""
    with pytest.warns(UserWarning, match="--chroma-weight, --texture-weight: not used in phase pretrain"):
        Trainer(_cfg(tmp_path, "pretrain", texture_weight=5.0, chroma_weight=1.0), images=_images(), val_pairs=_val_pairs(),
                progress=False)
