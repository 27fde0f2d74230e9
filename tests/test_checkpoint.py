import json
from pathlib import Path

import numpy as np
import paddle
import pytest

from srgan.checkpoint import (
    CheckpointError,
    atomic_path,
    load_checkpoint,
    load_generator,
    save_checkpoint,
    save_generator,
)
from srgan.config import ModelConfig
from srgan.models import Generator

TINY = ModelConfig(num_blocks=1, channels=8, global_skip=True)


def _tiny_generator():
    return Generator(scale=TINY.scale, num_blocks=TINY.num_blocks, channels=TINY.channels, global_skip=TINY.global_skip)


def test_generator_safetensors_round_trip(tmp_path):
    g = _tiny_generator()
    g.train()
    g(paddle.rand([2, 3, 8, 8]))  # move BN running statistics away from their init
    g.eval()
    x = paddle.rand([1, 3, 8, 8])
    expected = g(x).numpy()
    save_generator(g, tmp_path / "g.safetensors", card={"note": "test"})
    loaded = load_generator(tmp_path / "g.safetensors")
    assert not loaded.training and loaded.global_skip
    np.testing.assert_array_equal(loaded(x).numpy(), expected)
    card = json.loads((tmp_path / "g.json").read_text())
    assert card["model"]["channels"] == 8 and card["note"] == "test"



def test_a_data_parallel_generator_is_saved_as_the_plain_network(tmp_path):
    """save_generator unwraps paddle.DataParallel (a data-parallel run's G): the file rebuilds the
    same network and gives the same image."""
    g = _tiny_generator()
    g.eval()
    x = paddle.rand([1, 3, 8, 8])
    save_generator(paddle.DataParallel(g), tmp_path / "g.safetensors", card={"note": "dp"})
    np.testing.assert_array_equal(load_generator(tmp_path / "g.safetensors")(x).numpy(), g(x).numpy())
    assert json.loads((tmp_path / "g.json").read_text())["model"] == g.config


def test_the_old_model_config_argument_warns_at_the_callers_line_and_refuses_another_network(tmp_path):
    """Code written before the generator carried its config passes model_config: it is told to drop
    it (a DeprecationWarning pointing at its own line), and a config of another network is refused
    rather than written into the file's metadata."""
    g = _tiny_generator()
    with pytest.warns(DeprecationWarning) as record:
        save_generator(g, tmp_path / "g.safetensors", model_config=TINY)
    assert [str(w.message) for w in record] == [
        "save_generator takes the architecture from the generator; drop the model_config argument"]
    # under mutation testing (ci/mutation.sh) every srgan function is reached through mutmut's
    # trampoline, one frame more: the warning then names the trampoline, still not srgan's own file
    assert record[0].filename == __file__ or Path(record[0].filename).name == "trampoline.py"
    assert load_generator(tmp_path / "g.safetensors").config == g.config
    wider = ModelConfig(num_blocks=TINY.num_blocks, channels=16, global_skip=TINY.global_skip)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError) as error:
        save_generator(g, tmp_path / "wide.safetensors", model_config=wider)
    assert str(error.value) == (f"{tmp_path / 'wide.safetensors'}: model_config differs from the generator "
                                "({'channels': 8}); the file would describe another network")
    assert not (tmp_path / "wide.safetensors").exists()

def test_corrupt_safetensors_names_the_file(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        load_generator(path)


def test_truncated_safetensors_names_the_file(tmp_path):
    save_generator(_tiny_generator(), tmp_path / "g.safetensors")
    data = (tmp_path / "g.safetensors").read_bytes()
    (tmp_path / "g.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="g.safetensors"):
        load_generator(tmp_path / "g.safetensors")


def test_weights_that_do_not_fit_the_config_are_rejected(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    save_generator(_tiny_generator(), tmp_path / "g.safetensors")
    with safe_open(str(tmp_path / "g.safetensors"), framework="numpy") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    # claim 2 blocks while the tensors hold 1
    save_file(tensors, str(tmp_path / "lie.safetensors"), metadata={"srgan_model_config": json.dumps({**TINY.__dict__, "num_blocks": 2})})
    with pytest.raises(CheckpointError, match="metadata says 2 residual blocks of 8 channels, its tensors hold 1 blocks"):
        load_generator(tmp_path / "lie.safetensors")
    # metadata that asks for a network far larger than its tensors is refused before anything is
    # built (it was built first: minutes, or a MemoryError traceback)
    for field, value in (("channels", 200_000), ("num_blocks", 10**7)):
        save_file(tensors, str(tmp_path / "huge.safetensors"),
                  metadata={"srgan_model_config": json.dumps({**TINY.__dict__, field: value})})
        with pytest.raises(CheckpointError, match="huge.safetensors: model config in metadata is invalid"):
            load_generator(tmp_path / "huge.safetensors")


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        load_generator(tmp_path / "nope.safetensors")
    with pytest.raises(FileNotFoundError, match="nope.ckpt"):
        load_checkpoint(tmp_path / "nope.ckpt")


def test_corrupt_training_checkpoint(tmp_path):
    g = _tiny_generator()
    save_checkpoint(tmp_path / "c.ckpt", {"generator": g.state_dict(), "step": 3, "phase": "pretrain", "config": {}})
    assert load_checkpoint(tmp_path / "c.ckpt")["step"] == 3
    data = (tmp_path / "c.ckpt").read_bytes()
    (tmp_path / "c.ckpt").write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match="c.ckpt"):
        load_checkpoint(tmp_path / "c.ckpt")


def test_a_checkpoint_of_the_wrong_shape_is_named_not_a_traceback(tmp_path):
    """Files that unpickle safely but are not what training_state writes (hostile test D6): one
    error naming the file, before a resume fails deep in Paddle with a traceback."""
    g = _tiny_generator()
    good = {"generator": g.state_dict(), "step": 3, "phase": "pretrain", "config": {}}
    for name, change, words in [("cfg", {"config": "x"}, "config is not a run's settings"),
                                ("model", {"config": {"model": [1]}}, "config is not a run's settings"),
                                ("lr", {"config": {"train": {"lr": "0.1"}}}, "its settings"),
                                ("stepstr", {"step": "abc"}, "step is 'abc'"),
                                ("stepneg", {"step": -5}, "step is -5"),
                                ("opt", {"opt_g": "zzz"}, "opt_g is str"),
                                ("rng", {"rng": {"python": 1}}, "rng lacks")]:
        save_checkpoint(tmp_path / f"{name}.ckpt", {**good, **change})
        with pytest.raises(CheckpointError, match=rf"{name}\.ckpt: not an srgan training checkpoint \(.*{words}"):
            load_checkpoint(tmp_path / f"{name}.ckpt")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temp file left behind


# --- the perception dial: network interpolation (ESRGAN Sec. 3.4) ---------------------------
def _two_generators(tmp_path, channels=4):
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    paths = []
    for seed, name in ((1, "start.safetensors"), (2, "end.safetensors")):
        paddle.seed(seed)
        save_generator(Generator(scale=4, num_blocks=1, channels=channels), tmp_path / name)
        paths.append(tmp_path / name)
    return paths


def test_interpolation_ends_and_midpoint(tmp_path):
    from srgan.checkpoint import interpolate_generators, read_generator_file

    start, end = _two_generators(tmp_path)
    a, b = read_generator_file(start)[0], read_generator_file(end)[0]
    for alpha, expected in ((0.0, a), (1.0, b)):
        tensors, _ = interpolate_generators(start, end, alpha)
        for key in a:
            np.testing.assert_allclose(tensors[key], expected[key], rtol=0, atol=1e-7)
    half, config = interpolate_generators(start, end, 0.5)
    assert config.channels == 4
    some_weight = next(k for k in a if a[k].ndim == 4)
    np.testing.assert_allclose(half[some_weight], (a[some_weight] + b[some_weight]) / 2, rtol=1e-6)
    assert any("_mean" in k for k in half)  # batch-norm statistics are interpolated too


def test_interpolation_refuses_bad_alpha_and_different_architectures(tmp_path):
    from srgan.checkpoint import interpolate_generators

    start, end = _two_generators(tmp_path)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        interpolate_generators(start, end, 1.5)
    (tmp_path / "wide").mkdir()
    wide, _ = _two_generators(tmp_path / "wide", channels=8)
    with pytest.raises(ValueError, match="different architectures"):
        interpolate_generators(start, wide, 0.5)


def test_interpolated_file_is_cached_and_loads(tmp_path):
    from srgan.checkpoint import interpolate_generators, interpolated_weights_file, load_generator

    start, end = _two_generators(tmp_path)
    path = interpolated_weights_file(start, end, 0.25, tmp_path / "cache")
    assert path.is_file() and interpolated_weights_file(start, end, 0.25, tmp_path / "cache") == path
    assert interpolated_weights_file(start, end, 0.75, tmp_path / "cache") != path
    generator = load_generator(path)
    expected, _ = interpolate_generators(start, end, 0.25)
    for key, value in generator.state_dict().items():
        np.testing.assert_allclose(value.numpy(), expected[key], rtol=1e-6)


# --- issue 11: half precision, NaN, odd paths --------------------------------------------------
def _tensors(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()


def _save_bf16(tensors, path, metadata):
    """bfloat16 safetensors written by hand (numpy has no bfloat16): the upper 16 bits, rounded."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, value in tensors.items():
        bits = np.ascontiguousarray(value, dtype=np.float32).view(np.uint32)
        raw = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(value.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(blobs))


def test_half_precision_weights_load_as_float32(tmp_path):
    """fp16 / bf16 safetensors, a common way to share weights, load cast to float32."""
    from safetensors.numpy import save_file

    g = _tiny_generator()
    g.eval()
    save_generator(g, tmp_path / "g.safetensors")
    tensors, metadata = _tensors(tmp_path / "g.safetensors")
    save_file({k: v.astype(np.float16) for k, v in tensors.items()}, str(tmp_path / "fp16.safetensors"), metadata=metadata)
    _save_bf16(tensors, tmp_path / "bf16.safetensors", metadata)
    x = paddle.rand([1, 3, 8, 8])
    expected = g(x).numpy()
    for name, tolerance in (("fp16", 0.01), ("bf16", 0.05)):
        loaded = load_generator(tmp_path / f"{name}.safetensors")
        assert all(v.dtype == paddle.float32 for v in loaded.state_dict().values()), name
        np.testing.assert_allclose(loaded(x).numpy(), expected, atol=tolerance, err_msg=name)


def test_weights_with_nan_or_inf_are_refused(tmp_path):
    for bad in (float("nan"), float("inf")):
        g = _tiny_generator()
        g.head.weight.set_value(g.head.weight * bad)
        save_generator(g, tmp_path / "bad.safetensors")
        with pytest.raises(CheckpointError, match=r"bad.safetensors: holds NaN or infinite values \(head.weight\)"):
            load_generator(tmp_path / "bad.safetensors")
    state = {"generator": g.state_dict(), "step": 3, "phase": "pretrain", "config": {}}
    save_checkpoint(tmp_path / "c.ckpt", state)
    with pytest.raises(CheckpointError, match="c.ckpt: holds NaN or infinite values"):
        load_checkpoint(tmp_path / "c.ckpt")


def test_odd_paths_say_what_is_wrong(tmp_path):
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.safetensors")
    (tmp_path / "folder").mkdir()
    with pytest.raises(OSError, match="loop_a: symbolic link loop"):
        load_generator(tmp_path / "loop_a")
    with pytest.raises(FileNotFoundError, match="dangling: broken symbolic link"):
        load_generator(tmp_path / "dangling")
    with pytest.raises(IsADirectoryError, match="folder: is a folder, not a weights file"):
        load_generator(tmp_path / "folder")
    with pytest.raises(OSError, match="loop_a: symbolic link loop"):
        load_checkpoint(tmp_path / "loop_a")


def test_integer_tensors_are_refused_naming_their_type(tmp_path):
    """A weights file holding an integer tensor (a converted PyTorch model's num_batches_tracked,
    say) is one clear error, not weights silently cast to float or Paddle's AssertionError."""
    from safetensors.numpy import save_file

    save_generator(_tiny_generator(), tmp_path / "g.safetensors")
    tensors, metadata = _tensors(tmp_path / "g.safetensors")
    tensors["head.weight"] = tensors["head.weight"].astype(np.int64)
    save_file(tensors, str(tmp_path / "int.safetensors"), metadata=metadata)
    with pytest.raises(CheckpointError) as error:
        load_generator(tmp_path / "int.safetensors")
    assert str(error.value) == (f"{tmp_path / 'int.safetensors'}: holds int64 tensors (head.weight); a generator's "
                                "weights are floating point")
