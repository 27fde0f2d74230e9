"""srgan.checkpoint, what mutation testing (benchmarks/mutation.md) found untested: NaN anywhere
in a checkpoint's networks or optimizer states, the exact messages for weights that do not fit
or files of the wrong kind, an invalid architecture in a file's metadata, the training state
that resuming depends on (RNG streams, optimizer moments under renumbered parameter names),
and the interpolation's checks. Files are written with safetensors / paddle.save directly, so
that the tests do not depend on save_generator's signature."""

from __future__ import annotations

import dataclasses
import json
import random
import re

import numpy as np
import paddle
import pytest
from safetensors.numpy import save_file

from srgan.checkpoint import (
    CONFIG_KEY,
    CheckpointError,
    card_and_log_paths,
    generator_from_checkpoint,
    interpolate_generators,
    load_checkpoint,
    load_generator,
    load_optimizer_state,
    load_state_dict_checked,
    non_finite,
    optimizer_state,
    read_generator_file,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from srgan.config import Config, ModelConfig
from srgan.models import Generator

TINY = ModelConfig(num_blocks=1, channels=8)


def _tensors(seed: int = 0, config: ModelConfig = TINY) -> dict[str, np.ndarray]:
    paddle.seed(seed)
    generator = Generator(scale=config.scale, num_blocks=config.num_blocks, channels=config.channels,
                          global_skip=config.global_skip)
    return {k: v.numpy() for k, v in generator.state_dict().items()}


def _write(path, tensors, config: ModelConfig | dict | None = TINY):
    metadata = {} if config is None else {
        CONFIG_KEY: json.dumps(config if isinstance(config, dict) else dataclasses.asdict(config))}
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path), metadata=metadata)
    return path


# --- non-finite values ----------------------------------------------------------------------
def test_non_finite_names_every_bad_tensor_in_nested_dicts():
    state = {
        "generator": {"head.weight": paddle.to_tensor([1.0, float("nan")]), "tail.bias": np.zeros(2, np.float32)},
        "opt_g": {"head.weight_moment1_0": np.array([np.inf], np.float32),
                  "LR_Scheduler": {"last_epoch": 3, "last_lr": 1e-4},  # numbers, not tensors: not examined
                  "master_weights": {"tail.weight": np.array([-np.inf], np.float64)}},
        "note": "text",
        "counts": np.array([7], np.int64),  # not floating point
        "discriminator": {"x": paddle.to_tensor([float("inf")], dtype="float16")},
    }
    assert non_finite(state) == ["generator.head.weight", "opt_g.head.weight_moment1_0",
                                 "opt_g.master_weights.tail.weight", "discriminator.x"]
    assert non_finite({"a": {"b": np.ones(2, np.float32)}, "c": 1.5, "d": float("nan")}) == []


@pytest.mark.parametrize("part", ["generator", "discriminator", "opt_g", "opt_d"])
def test_a_checkpoint_with_nan_in_any_network_or_optimizer_state_is_refused(tmp_path, part):
    state = {"generator": {"w": np.ones(2, np.float32)}, "step": 3, "phase": "gan", "config": {},
             "discriminator": {"w": np.ones(2, np.float32)}, "opt_g": {"w_moment1_0": np.ones(2, np.float32)},
             "opt_d": {"w_moment1_0": np.ones(2, np.float32)}}
    first = next(iter(state[part]))
    state[part][first] = np.array([1.0, np.nan], np.float32)
    save_checkpoint(tmp_path / "c.ckpt", state)
    with pytest.raises(CheckpointError, match=rf"c\.ckpt: holds NaN or infinite values \({part}\.{first}\); the run had diverged"):
        load_checkpoint(tmp_path / "c.ckpt")


def test_many_bad_tensors_are_summarised_as_three_and_a_count(tmp_path):
    for count, summary in ((3, r"\)"), (4, r" and 1 more\)"), (6, r" and 3 more\)")):
        tensors = _tensors()
        bad = sorted(tensors)[:count]
        for name in bad:
            tensors[name] = tensors[name] * np.nan
        _write(tmp_path / f"bad{count}.safetensors", tensors)
        with pytest.raises(CheckpointError) as caught:
            read_generator_file(tmp_path / f"bad{count}.safetensors")
        shown = re.search(r"holds NaN or infinite values \(([^()]*?)" + summary + "; these weights cannot give an image",
                          str(caught.value))
        assert shown, str(caught.value)
        names = shown.group(1).split(", ")
        assert len(names) == 3 and set(names) <= set(bad), str(caught.value)


# --- what a checkpoint must be --------------------------------------------------------------
def test_load_checkpoint_messages_name_the_file_and_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.ckpt: no such checkpoint$"):
        load_checkpoint(tmp_path / "nope.ckpt")
    save_checkpoint(tmp_path / "partial.ckpt", {"generator": {}, "step": 1})
    with pytest.raises(CheckpointError, match=r"partial\.ckpt: not an srgan training checkpoint \(missing \['config', 'phase'\]\)"):
        load_checkpoint(tmp_path / "partial.ckpt")
    for name, value in (("list.ckpt", ["generator", "step"]), ("number.ckpt", 7)):  # not a dict at all
        paddle.save(value, str(tmp_path / name))
        with pytest.raises(CheckpointError, match=rf"{name}: not an srgan training checkpoint \(missing \['config', 'generator', 'phase', 'step'\]\)"):
            load_checkpoint(tmp_path / name)
    (tmp_path / "text.ckpt").write_text("not a pickle")
    with pytest.raises(CheckpointError, match=r"text\.ckpt: cannot read checkpoint, the file is corrupt or truncated \(\w+Error: "):
        load_checkpoint(tmp_path / "text.ckpt")


def test_a_pickle_naming_other_code_is_refused_with_the_file_named(tmp_path):
    import pickle

    (tmp_path / "evil.ckpt").write_bytes(pickle.dumps({"generator": {}, "step": 0, "phase": "pretrain",
                                                       "config": {}, "x": random.Random}))
    with pytest.raises(CheckpointError, match=r"evil\.ckpt: not an srgan training checkpoint: "):
        load_checkpoint(tmp_path / "evil.ckpt")


# --- generator weights ---------------------------------------------------------------------------
def test_weights_that_do_not_fit_are_named_by_kind(tmp_path):
    generator = Generator(num_blocks=1, channels=8)
    good = {k: v.numpy() for k, v in generator.state_dict().items()}
    extra = {**good, "spare.weight": np.zeros(3, np.float32)}
    with pytest.raises(CheckpointError, match=r"^src: weights do not fit the model \(unexpected: \['spare.weight'\]\)$"):
        load_state_dict_checked(generator, extra, "src")
    wrong = {**good, "tail.bias": np.zeros(5, np.float32)}
    with pytest.raises(CheckpointError, match=r"^src: weights do not fit the model \(shape mismatch: \['tail.bias'\]\)$"):
        load_state_dict_checked(generator, wrong, "src")
    fewer = {k: v for k, v in good.items() if not k.startswith("body.")}
    missing = sorted(set(good) - set(fewer))
    assert len(missing) > 5
    with pytest.raises(CheckpointError) as caught:
        load_state_dict_checked(generator, {**fewer, "spare.weight": np.zeros(3, np.float32)}, "src")
    assert str(caught.value) == f"src: weights do not fit the model (missing: {missing[:5]} ...; unexpected: ['spare.weight'])"
    for count, more in ((5, ""), (6, " ...")):  # five names are all shown; from six on, five and "..."
        fewer = {k: v for k, v in good.items() if k not in missing[:count]}
        with pytest.raises(CheckpointError) as caught:
            load_state_dict_checked(generator, fewer, "src")
        assert str(caught.value) == f"src: weights do not fit the model (missing: {missing[:5]}{more})"


def test_load_generator_names_the_file_whose_weights_do_not_fit(tmp_path):
    tensors = _tensors()
    tensors["tail.bias"] = np.zeros(5, np.float32)
    _write(tmp_path / "odd.safetensors", tensors)
    with pytest.raises(CheckpointError, match=rf"^{tmp_path / 'odd.safetensors'}: weights do not fit the model \(shape mismatch"):
        load_generator(tmp_path / "odd.safetensors")


@pytest.mark.parametrize("suffix", [".pdparams", ".pdopt", ".pdmodel", ".pth", ".pt", ".PT"])
def test_pickle_based_weight_formats_are_refused_by_name(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(CheckpointError) as caught:
        read_generator_file(path)
    assert str(caught.value) == (f"{path}: a {suffix} file, not safetensors; srgan reads generator weights from "
                                 ".safetensors files (pickle-based formats can run code when loaded)")


def test_a_training_checkpoint_given_as_weights_points_to_srgan_release(tmp_path):
    (tmp_path / "ckpt_00000100.ckpt").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(CheckpointError, match=r"ckpt_00000100\.ckpt: a training checkpoint \(use `srgan release` to turn it "
                                              r"into weights\); srgan reads generator weights from \.safetensors files"):
        read_generator_file(tmp_path / "ckpt_00000100.ckpt")


def test_metadata_problems_are_named(tmp_path):
    _write(tmp_path / "bare.safetensors", _tensors(), config=None)
    with pytest.raises(CheckpointError, match=rf"bare\.safetensors: no '{CONFIG_KEY}' metadata; not a generator saved by srgan"):
        read_generator_file(tmp_path / "bare.safetensors")
    _write(tmp_path / "unknown.safetensors", _tensors(), config={**dataclasses.asdict(TINY), "colour": "blue"})
    with pytest.raises(CheckpointError, match=r"unknown\.safetensors: model config in metadata is invalid \(.*colour"):
        read_generator_file(tmp_path / "unknown.safetensors")
    # scale 3: a network the file describes but the package cannot build (sub-pixel x2 stages)
    _write(tmp_path / "x3.safetensors", _tensors(), config={**dataclasses.asdict(TINY), "scale": 3})
    with pytest.raises(CheckpointError) as caught:
        read_generator_file(tmp_path / "x3.safetensors")
    assert str(caught.value) == (f"{tmp_path / 'x3.safetensors'}: model config in metadata is invalid "
                                 "(scale must be a power of two (2, 4, 8), got 3)")
    _write(tmp_path / "two.safetensors", _tensors(), config={**dataclasses.asdict(TINY), "scale": 3, "channels": 0})
    with pytest.raises(CheckpointError) as caught:
        read_generator_file(tmp_path / "two.safetensors")
    assert str(caught.value).endswith("is invalid (scale must be a power of two (2, 4, 8), got 3; "
                                      "channels must be an integer >= 1 and <= 4,096, got 0)")


def test_a_switch_in_metadata_must_be_a_boolean(tmp_path):
    """global_skip "false" (a string, as a hand-written or converted file may have it) is
    truthy: the file's network would silently get the bicubic skip its weights were not
    trained with, and every image come out wrong. It is refused, naming the field."""
    _write(tmp_path / "s.safetensors", _tensors(), config={**dataclasses.asdict(TINY), "global_skip": "false"})
    with pytest.raises(CheckpointError, match=r"s\.safetensors: model config in metadata is invalid "
                                              r"\(global_skip must be true or false, got 'false'\)"):
        load_generator(tmp_path / "s.safetensors")


def test_half_precision_tensors_are_returned_as_float32(tmp_path):
    tensors = _tensors()
    _write(tmp_path / "fp16.safetensors", {k: v.astype(np.float16) for k, v in tensors.items()})
    read, _ = read_generator_file(tmp_path / "fp16.safetensors")
    assert {v.dtype for v in read.values()} == {np.dtype(np.float32)}
    np.testing.assert_array_equal(read["tail.bias"], tensors["tail.bias"].astype(np.float16).astype(np.float32))


def test_card_and_log_sit_beside_the_weights():
    card, log = card_and_log_paths("weights/srgan_x4.safetensors")
    assert (str(card), str(log)) == ("weights/srgan_x4.json", "weights/srgan_x4_log.jsonl")


# --- what resuming rests on ------------------------------------------------------------------
def test_rng_state_restores_all_three_streams():
    random.seed(1), np.random.seed(1), paddle.seed(1)
    saved = rng_state()
    first = (random.random(), np.random.rand(), paddle.rand([1]).item())
    random.seed(2), np.random.seed(2), paddle.seed(2)
    set_rng_state(saved)
    assert (random.random(), np.random.rand(), paddle.rand([1]).item()) == first


def _adam_after_one_step(seed: int, layers_before: int):
    """A tiny generator and Adam with a learning-rate schedule, as the trainer builds them;
    `layers_before` throw-away layers created first shift Paddle's unique parameter names
    (conv2d_3 vs conv2d_30), as in a resumed process."""
    for _ in range(layers_before):
        paddle.nn.Conv2D(1, 1, 1)
    paddle.seed(seed)
    generator = Generator(num_blocks=1, channels=8)
    schedule = paddle.optimizer.lr.MultiStepDecay(learning_rate=1e-3, milestones=[1], gamma=0.1)
    optimizer = paddle.optimizer.Adam(learning_rate=schedule, parameters=generator.parameters())
    return generator, optimizer


def test_optimizer_moments_follow_their_parameters_across_renumbered_names(tmp_path):
    generator, optimizer = _adam_after_one_step(seed=0, layers_before=0)
    generator(paddle.rand([1, 3, 6, 6])).mean().backward()
    optimizer.step()
    optimizer.clear_grad()
    optimizer._learning_rate.step()  # past the milestone: the next update uses 1e-4
    saved = optimizer_state(optimizer, generator)
    assert saved["LR_Scheduler"]["last_lr"] == pytest.approx(1e-4)  # the schedule's state rides along
    # structured names ("head.weight_moment1_0"), not the process's unique ones
    structured = {name for name, _ in generator.named_parameters()}
    moment_keys = [k for k in saved if k != "LR_Scheduler" and not isinstance(saved[k], dict)]
    assert moment_keys and all(any(k.startswith(name + "_") for name in structured) for k in moment_keys)

    # through a checkpoint file, as a resumed run reads it (state dicts hold live tensors)
    save_checkpoint(tmp_path / "c.ckpt", {"generator": generator.state_dict(), "opt_g": saved, "step": 1,
                                         "phase": "pretrain", "config": {}})
    state = load_checkpoint(tmp_path / "c.ckpt")
    # a "resumed process": other unique names, the same weights, the saved optimizer state
    other, other_optimizer = _adam_after_one_step(seed=1, layers_before=27)
    assert {p.name for p in other.parameters()} != {p.name for p in generator.parameters()}
    load_state_dict_checked(other, state["generator"], "c.ckpt")
    load_optimizer_state(other_optimizer, other, state["opt_g"])
    fresh, fresh_optimizer = _adam_after_one_step(seed=2, layers_before=0)  # same weights, no saved state
    load_state_dict_checked(fresh, state["generator"], "c.ckpt")
    # the next update is the same only if every moment reached its own parameter
    x = paddle.rand([1, 3, 6, 6])
    for net, opt in ((generator, optimizer), (other, other_optimizer), (fresh, fresh_optimizer)):
        net(x).mean().backward()
        opt.step()
    theirs, fresh_parameters = dict(other.named_parameters()), dict(fresh.named_parameters())
    for name, parameter in generator.named_parameters():
        np.testing.assert_allclose(theirs[name].numpy(), parameter.numpy(), rtol=0, atol=1e-7, err_msg=name)
    assert not np.allclose(fresh_parameters["head.weight"].numpy(), generator.head.weight.numpy(), rtol=0, atol=1e-7)


def test_generator_from_checkpoint_is_the_checkpoints_network(tmp_path):
    cfg = Config()
    cfg.model.num_blocks, cfg.model.channels, cfg.model.global_skip = 1, 8, True
    tensors = _tensors(seed=5, config=cfg.model)
    save_checkpoint(tmp_path / "c.ckpt", {"generator": tensors, "step": 9, "phase": "pretrain", "config": cfg.to_dict()})
    generator = generator_from_checkpoint(load_checkpoint(tmp_path / "c.ckpt"), "c.ckpt")
    assert generator.global_skip and len(generator.body) == 1
    for k, v in generator.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), tensors[k])
    cfg.model.num_blocks = 2  # a config that does not match the tensors: the checkpoint is named
    with pytest.raises(CheckpointError, match=r"^run/ckpt_9\.ckpt: its config says 2 residual blocks of 8 channels, "
                                              r"its tensors hold 1 blocks of 8"):
        generator_from_checkpoint({"generator": tensors, "config": cfg.to_dict()}, "run/ckpt_9.ckpt")


def test_a_small_checkpoint_cannot_make_release_or_resume_build_a_huge_network(tmp_path, monkeypatch):
    """A 100 KB checkpoint whose config asks for 1000 blocks of 4096 channels (10^11 parameters)
    was built before its tensors were compared (minutes, then out of memory): refused first."""
    import srgan.checkpoint as ckpt
    from srgan.cli import main

    cfg = Config()
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    state = {"generator": _tensors(seed=5, config=cfg.model), "step": 9, "phase": "gan"}
    cfg.model.num_blocks, cfg.model.channels = 1000, 4096
    save_checkpoint(tmp_path / "big.ckpt", {**state, "config": cfg.to_dict()})
    monkeypatch.setattr(ckpt, "build_generator", lambda *a: pytest.fail("a network was built"))
    with pytest.raises(CheckpointError, match="1000 residual blocks of 4096 channels, its tensors hold 1 blocks of 8"):
        generator_from_checkpoint(load_checkpoint(tmp_path / "big.ckpt"), "big.ckpt")
    with pytest.raises(CheckpointError, match="1000 residual blocks"):
        ckpt.read_generator_weights(tmp_path / "big.ckpt")  # --init-generator
    assert main(["train", "--resume", str(tmp_path / "big.ckpt"), "--out", str(tmp_path / "on")]) != 0
    assert not (tmp_path / "on").exists()
    # the discriminator's size is checked too: its first convolution and the paper D's dense layer
    from srgan.checkpoint import discriminator_size_problem
    from srgan.models import build_discriminator

    cfg = Config()
    cfg.model.d_channels, cfg.model.d_image_size = 8, 32
    d_tensors = {k: v.numpy() for k, v in build_discriminator(cfg.model).state_dict().items()}
    assert discriminator_size_problem(d_tensors, cfg.model) is None
    assert "discriminator of 19,311,286,273 values, its tensors hold 338,729" in discriminator_size_problem(
        d_tensors, dataclasses.replace(cfg.model, d_channels=4096))
    assert "its tensors hold 338,729" in discriminator_size_problem(d_tensors, dataclasses.replace(cfg.model, d_image_size=2048))
    # a GAN checkpoint without its D: a paper-size one is not built on nothing (a tiny one is, then named missing)
    assert "its tensors hold 0" in discriminator_size_problem(None, dataclasses.replace(cfg.model, d_channels=64))


def test_names_that_look_right_on_too_few_values_do_not_pass_the_size_check(tmp_path, monkeypatch):
    """A 4 MB file with a 4096-channel head.weight and 1024 dummy body.<i> tensors passed the
    blocks/channels check and had srgan build 3 * 10^11 parameters (hostile round s24 #1)."""
    import srgan.checkpoint as ckpt
    from srgan.checkpoint import write_generator_file

    tensors = {"head.weight": np.zeros((4096, 3, 1, 1), np.float32)}
    tensors |= {f"body.{i}.x": np.zeros(1, np.float32) for i in range(1024)}
    config = dataclasses.replace(TINY, num_blocks=1024, channels=4096)
    write_generator_file(tensors, tmp_path / "fake.safetensors", dataclasses.asdict(config))
    monkeypatch.setattr(ckpt, "build_generator", lambda *a: pytest.fail("a network was built"))
    with pytest.raises(CheckpointError, match="describes a generator of 310,644,797,443 values, its tensors hold 13,312"):
        ckpt.read_generator_file(tmp_path / "fake.safetensors")


# --- the perception dial's checks ------------------------------------------------------------
def test_interpolation_refuses_files_that_differ_only_where_no_weight_shows(tmp_path):
    """global_skip adds the bicubic image and has no weights: same tensors, another network."""
    tensors = _tensors()
    a = _write(tmp_path / "a.safetensors", tensors, TINY)
    b = _write(tmp_path / "b.safetensors", tensors, dataclasses.replace(TINY, global_skip=True))
    with pytest.raises(ValueError, match="different architectures"):
        interpolate_generators(a, b, 0.5)


def test_interpolation_refuses_same_config_but_other_tensors(tmp_path):
    tensors = _tensors()
    a = _write(tmp_path / "a.safetensors", tensors)
    reshaped = {**tensors, "tail.bias": np.zeros(6, np.float32)}
    b = _write(tmp_path / "b.safetensors", reshaped)
    renamed = {("tail.b" if k == "tail.bias" else k): v for k, v in tensors.items()}
    c = _write(tmp_path / "c.safetensors", renamed)
    for other in (b, c):
        with pytest.raises(ValueError, match="different architectures"):
            interpolate_generators(a, other, 0.5)


def test_interpolated_tensors_stay_float32(tmp_path):
    a = _write(tmp_path / "a.safetensors", _tensors(seed=1))
    b = _write(tmp_path / "b.safetensors", _tensors(seed=2))
    tensors, config = interpolate_generators(a, b, 0.3)
    assert {v.dtype for v in tensors.values()} == {np.dtype(np.float32)} and config.channels == 8


def test_healthy_files_of_another_kind_are_named_not_called_corrupt(tmp_path):
    """Hostile s23 #8: weights named A.SAFETENSORS or w.st given as --init-generator, and weights or a
    card given where a checkpoint was expected, were "corrupt or truncated": a user told so may delete a
    good file. Weights are read by their content; the others say what they are."""
    from srgan.checkpoint import CheckpointError, load_checkpoint, read_generator_weights, save_generator
    from srgan.models import Generator

    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    for name in ("A.SAFETENSORS", "w.st"):
        (tmp_path / name).write_bytes((tmp_path / "g.safetensors").read_bytes())
        tensors, model = read_generator_weights(tmp_path / name)
        assert model.num_blocks == 1 and tensors
    (tmp_path / "card.json").write_text('{"name": "g", "step": 3}')
    for name, kind in (("g.safetensors", "generator weights (a safetensors file"), ("card.json", "a JSON file")):
        with pytest.raises(CheckpointError) as raised:
            load_checkpoint(tmp_path / name)
        assert str(raised.value).startswith(f"{tmp_path / name}: {kind}") and "corrupt" not in str(raised.value)


def test_a_bare_resume_does_not_build_what_an_edited_config_json_asks_for(tmp_path, monkeypatch, capsys):
    """`srgan train --resume --out RUN` builds from RUN/config.json: an edited one asked for a 5 GB
    network before anything was compared (hostile round s24 #3); its newest checkpoint bounds it."""
    import json

    import srgan.checkpoint as ckpt
    from srgan.cli import main
    from srgan.train import Trainer
    from tiny import config as tiny_config, images, val_pairs

    out = tmp_path / "run"
    Trainer(tiny_config(out, steps=2, ckpt_every=2, val_every=100), images=images(), val_pairs=val_pairs(),
            progress=False).fit()
    info = json.loads((out / "config.json").read_text())
    info["config"]["model"]["num_blocks"], info["config"]["model"]["channels"] = 1000, 4096
    info["config"]["train"]["steps"] = 4
    (out / "config.json").write_text(json.dumps(info))
    monkeypatch.setattr(ckpt, "build_generator", lambda *a: pytest.fail("a network was built"))
    capsys.readouterr()
    assert main(["train", "--resume", "--out", str(out), "--no-progress"]) != 0
    assert "ckpt_00000002.ckpt: its config says 1000 residual blocks of 4096 channels" in capsys.readouterr().err
