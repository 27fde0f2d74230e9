"""What a resumed or initialised run takes from a checkpoint, and what it says when it cannot
(srgan.checkpoint.restore_training_state, check_architecture, initial_generator); written
for the mutation survivors of issue 26 (benchmarks/mutation.md)."""

import math

import numpy as np
import paddle
import pytest

from srgan.checkpoint import CheckpointError, check_architecture, save_checkpoint, save_generator
from srgan.models import Generator
from srgan.runs import checkpoints
from srgan.train import Trainer
from tiny import config as tiny_config
from tiny import images, val_pairs


def _trainer(out, phase="pretrain", **train):
    return Trainer(tiny_config(out, phase, **train), images=images(), val_pairs=val_pairs(), progress=False)


def _weights(layer):
    return {k: v.numpy().copy() for k, v in layer.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _moved(trainer):
    """A trainer whose G (and average) differ from a freshly built one's (same seed, same init)."""
    for layer in [trainer.generator] + ([trainer.ema.network] if trainer.ema is not None else []):
        layer.head.weight.set_value(layer.head.weight * 2.0 + 0.5)
    return trainer


# --- check_architecture: the refusal names every differing field and the flags to use ------
def test_other_network_sizes_are_refused_naming_each_field_and_its_flag():
    own = {"channels": 8, "num_blocks": 1, "global_skip": False, "d_norm": "batch"}
    with pytest.raises(CheckpointError) as error:
        check_architecture(own, {"channels": 16, "num_blocks": 2, "global_skip": False}, "runs/a/ckpt_00000002.ckpt")
    assert str(error.value) == ("runs/a/ckpt_00000002.ckpt: made with channels=16, num_blocks=2, this run has "
                                "channels=8, num_blocks=1; resume with the same --channels --num-blocks")


def test_a_checkpoint_from_before_d_norm_counts_as_batch_norm():
    """Checkpoints written before --d-norm existed hold no d_norm: they had the paper's BN D, so a
    BN run resumes them and a spectral run is told which flag to use."""
    old = {"channels": 8, "d_channels": 8}
    check_architecture({"channels": 8, "d_channels": 8, "d_norm": "batch"}, old, "old.ckpt")  # no error
    with pytest.raises(CheckpointError, match=r"^old\.ckpt: made with d_norm=batch, this run has d_norm=spectral; "
                                              r"resume with the same --d-norm$"):
        check_architecture({"channels": 8, "d_channels": 8, "d_norm": "spectral"}, old, "old.ckpt")


def test_resuming_a_checkpoint_of_other_sizes_names_the_checkpoint(tmp_path):
    _trainer(tmp_path / "a", steps=1, ckpt_every=1, val_every=100).fit()
    source = checkpoints(tmp_path / "a")[-1]
    wide = tiny_config(tmp_path / "b", "pretrain")
    wide.model.channels = 16
    with pytest.raises(CheckpointError, match=rf"^{source}: made with channels=8, this run has channels=16"):
        Trainer(wide, images=images(), val_pairs=val_pairs(), progress=False).resume(source)


# --- restore_training_state ----------------------------------------------------------------
@pytest.mark.parametrize("part", ["generator", "generator_ema", "discriminator"])
def test_a_checkpoint_whose_weights_do_not_fit_names_the_file(tmp_path, part):
    state = _trainer(tmp_path / "a", "gan", ema_decay=0.9).state_dict()
    del state[part]["head.weight" if part != "discriminator" else next(iter(state[part]))]
    with pytest.raises(CheckpointError, match=r"^runs/x/ckpt_00000007\.ckpt: weights do not fit the model \(missing"):
        _trainer(tmp_path / "b", "gan", ema_decay=0.9).load_state_dict(state, "runs/x/ckpt_00000007.ckpt")


def test_a_run_with_an_average_resuming_a_checkpoint_without_one_starts_the_average_there(tmp_path, capsys):
    state = _moved(_trainer(tmp_path / "a")).state_dict()
    assert "generator_ema" not in state
    resumed = _trainer(tmp_path / "b", ema_decay=0.99)
    capsys.readouterr()
    resumed.load_state_dict(state, "a.ckpt")
    checkpoint_g = {k: np.asarray(v) for k, v in state["generator"].items()}
    assert _same(_weights(resumed.generator), checkpoint_g)
    assert _same(_weights(resumed.ema.network), checkpoint_g)  # not the fresh G the average was built from
    assert ("a.ckpt: holds no weight average; the average (ema_decay 0.99) starts from its generator"
            in capsys.readouterr().err)


def test_a_run_without_an_average_resumes_a_checkpoint_that_has_one(tmp_path):
    """Continuing an averaged run's checkpoint in another folder without --ema-decay: G is the
    checkpoint's G (the average is left out), no error."""
    state = _moved(_trainer(tmp_path / "a", ema_decay=0.9)).state_dict()
    resumed = _trainer(tmp_path / "b")
    resumed.load_state_dict(state, "a.ckpt")
    assert resumed.ema is None
    assert _same(_weights(resumed.generator), {k: np.asarray(v) for k, v in state["generator"].items()})


def test_the_best_psnr_comes_back_and_a_checkpoint_without_one_starts_from_minus_infinity(tmp_path):
    """The best validation PSNR decides whether a resumed run's next validation replaces
    best_generator.safetensors: it must come back as saved, and a checkpoint from before it was
    kept lets the next validation write the file (-inf), not never (+inf) or a crash."""
    trainer = _trainer(tmp_path / "a")
    trainer.best_psnr = 25.5
    state = trainer.state_dict()
    resumed = _trainer(tmp_path / "b")
    resumed.load_state_dict(state, "a.ckpt")
    assert resumed.best_psnr == 25.5
    del state["best_psnr"]
    resumed.load_state_dict(state, "a.ckpt")
    assert resumed.best_psnr == -math.inf


def test_when_no_checkpoint_is_readable_the_error_gives_each_ones_reason(tmp_path):
    out = tmp_path / "run"
    _trainer(out, steps=2, ckpt_every=1, val_every=100).fit()
    older, newer = checkpoints(out)
    for path in (older, newer):
        path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError) as error:
        _trainer(out).resume()
    message = str(error.value)
    assert message.startswith(f"{out}: no readable checkpoint to resume from: {newer}: cannot read checkpoint")
    assert f"; {older}: cannot read checkpoint" in message


# --- initial_generator / read_generator_weights (--init-generator) --------------------------
def test_a_gan_run_starts_from_a_training_checkpoint_s_released_weights_and_sizes(tmp_path):
    """--init-generator accepts a pretrain checkpoint: the GAN starts from the weights that run
    validated and released (its average when it kept one) and with its network sizes."""
    pretrain = _moved(_trainer(tmp_path / "a", ema_decay=0.9))
    pretrain.ema.network.tail.weight.set_value(pretrain.ema.network.tail.weight + 1.0)  # average != G
    save_checkpoint(tmp_path / "pre.ckpt", pretrain.state_dict())
    cfg = tiny_config(tmp_path / "b", "gan", init_generator=str(tmp_path / "pre.ckpt"))
    cfg.model.num_blocks = 2
    gan = Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False)
    assert cfg.model.num_blocks == 1 and len(gan.generator.body) == 1
    assert _same(_weights(gan.generator), _weights(pretrain.ema.network))


def test_initial_weights_that_do_not_fit_name_the_file_and_a_size_taken_from_the_file_is_noted(tmp_path, capsys):
    from srgan.checkpoint import read_generator_file, write_generator_file

    save_generator(Generator(num_blocks=2, channels=8), tmp_path / "g.safetensors")
    cfg = tiny_config(tmp_path / "a", "gan", init_generator=str(tmp_path / "g.safetensors"))
    capsys.readouterr()
    Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False)
    assert f"init_generator {tmp_path / 'g.safetensors'}: num_blocks = 2 (from the file, not 1)" in capsys.readouterr().err
    tensors, config = read_generator_file(tmp_path / "g.safetensors")
    del tensors["tail.weight"]
    write_generator_file(tensors, tmp_path / "lie.safetensors", {**Generator(num_blocks=2, channels=8).config})
    cfg = tiny_config(tmp_path / "b", "gan", init_generator=str(tmp_path / "lie.safetensors"))
    with pytest.raises(CheckpointError, match=rf"^{tmp_path / 'lie.safetensors'}: weights do not fit the model \(missing"):
        Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False)


def test_refusals_to_continue_a_run_in_place_name_the_checkpoint_and_the_way_to_branch(tmp_path):
    from srgan.runs import RunFolderError

    out = tmp_path / "run"
    _trainer(out, steps=4, ckpt_every=2, val_every=100, keep_last=None).fit()
    early, newest = checkpoints(out)
    with pytest.raises(RunFolderError) as error:
        _trainer(out, steps=6, lr=1e-3).fit(resume=True)
    assert str(error.value).startswith(f"{newest}: this run was trained with other settings (lr ")
    assert f"(--out NEW --resume {newest})" in str(error.value)
    with pytest.raises(RunFolderError, match=rf"^{newest}: this run was trained with other settings \(lr "):
        _trainer(out, steps=6, lr=1e-3).resume()  # the library's resume(): the same check
    with pytest.raises(RunFolderError) as error:
        _trainer(out, steps=6).resume(early)
    assert str(error.value).startswith(f"{early}: {out} holds later checkpoints (ckpt_00000004.ckpt)")
    assert f"(--out NEW --resume {early})" in str(error.value)


def test_a_checkpoint_of_the_other_phase_is_refused_naming_it(tmp_path):
    state = _trainer(tmp_path / "a", "gan").state_dict()
    with pytest.raises(CheckpointError, match=r"^checkpoint: is a 'gan' checkpoint, this run is 'pretrain'$"):
        _trainer(tmp_path / "b").load_state_dict(state)  # no source given: "checkpoint"
    with pytest.raises(CheckpointError, match=r"^runs/g/ckpt_00000003\.ckpt: is a 'gan' checkpoint"):
        _trainer(tmp_path / "b").load_state_dict(state, "runs/g/ckpt_00000003.ckpt")


def test_a_diverged_save_names_the_first_three_non_finite_tensors(tmp_path):
    from srgan.train import TrainingDiverged

    trainer = _trainer(tmp_path / "a")
    for value in trainer.generator.state_dict().values():
        value.set_value(paddle.full_like(value, float("nan")))
    bad = list(trainer.generator.state_dict())[:3]
    with pytest.raises(TrainingDiverged) as error:
        trainer.save()
    assert f"the weights hold NaN or infinite values (generator.{bad[0]}, generator.{bad[1]}, generator.{bad[2]}); " \
        in str(error.value)
    assert not checkpoints(tmp_path / "a")


class _LossScaler:
    """The two methods the trainer uses of paddle.amp.GradScaler. On a CPU a real scaler is
    disabled (its state is {}), so the AMP state of a GPU run is played by this stand-in."""

    def __init__(self, state):
        self.state = state

    def state_dict(self):
        return dict(self.state)

    def load_state_dict(self, state):
        self.state = dict(state)


def test_a_gpu_runs_amp_loss_scale_is_kept_across_a_resume(tmp_path):
    """A resumed AMP run goes on with the loss scale it had reached, not 2**16 again (which would
    skip steps on overflow until the scale has come down once more)."""
    saved = {"scale": 1024.0, "incr_count": 3, "decr_count": 0, "use_dynamic_loss_scaling": True}
    trainer = _trainer(tmp_path / "a")
    trainer.scaler = _LossScaler(saved)
    state = trainer.state_dict()
    resumed = _trainer(tmp_path / "b")
    resumed.scaler = _LossScaler({"scale": 65536.0, "incr_count": 0, "decr_count": 0, "use_dynamic_loss_scaling": True})
    resumed.load_state_dict(state, "a.ckpt")
    assert resumed.scaler.state == saved


def test_a_checkpoint_s_random_state_is_read_only_where_a_run_resumes_it(tmp_path):
    """Hostile s23 #7: Paddle 2.6 cannot read the RNG state Paddle 3.x writes, and building it while
    unpickling made a healthy 3.x checkpoint "corrupt or truncated" on 2.6 for release and
    --init-generator, which never use it. It is kept as saved and built only when a run resumes;
    one this Paddle cannot read stops the resume with one line naming the file and the way on."""
    from srgan.checkpoint import load_checkpoint
    from srgan.safeload import SavedGeneratorState

    trainer = _trainer(tmp_path / "a")
    save_checkpoint(tmp_path / "c.ckpt", trainer.state_dict())
    from srgan.safeload import safe_load

    saved = safe_load(tmp_path / "c.ckpt", return_numpy=True)["rng"]["paddle"]  # as read, Paddle's object not built
    assert saved and all(isinstance(s, SavedGeneratorState) for s in saved)
    draw = lambda: paddle.rand([4]).numpy()  # noqa: E731
    paddle.set_rng_state([s.restore() for s in saved])
    expected = draw()
    paddle.seed(12345)
    _trainer(tmp_path / "b").load_state_dict(load_checkpoint(tmp_path / "c.ckpt"), "c.ckpt")
    assert np.array_equal(draw(), expected)  # the stream continues where the checkpoint left it
    # a state another Paddle wrote (here: one this Paddle's GeneratorState rejects)
    broken = load_checkpoint(tmp_path / "c.ckpt")
    unreadable = SavedGeneratorState()
    unreadable.__setstate__(("not", "a", "state"))
    broken["rng"]["paddle"] = [unreadable]
    with pytest.raises(CheckpointError, match=r"c\.ckpt: its random state was written by another Paddle version.*"
                                              r"--init-generator"):
        _trainer(tmp_path / "c").load_state_dict(broken, "c.ckpt")
