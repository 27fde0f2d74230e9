"""Tiled upscaling: seamless tiles, every input layout, bad files in a batch, the CLI."""

from __future__ import annotations

import numpy as np
import paddle
import pytest
from PIL import Image

from srgan.checkpoint import save_generator
from srgan.cli import main
from srgan.predict import DygraphPredictor, openvino_available
from srgan.image_io import read_image_full
from srgan.infer import Upscaler, plan_outputs, receptive_radius, tile_windows, upscale, upscale_files, upscale_tiled
from srgan.models import Generator


def tiny_generator(global_skip: bool = True) -> Generator:
    """One block, 8 channels; tail scaled down so outputs are not saturated (see test_export)."""
    g = Generator(scale=4, num_blocks=1, channels=8, global_skip=global_skip)
    g.tail.weight.set_value(g.tail.weight * 0.1)
    g.eval()
    return g


@pytest.fixture
def photo():
    """A smooth random image (so that values are mid-range, not noise)."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((37, 45), Image.BICUBIC))  # (45, 37, 3)


@pytest.fixture
def weights(tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_generator(tiny_generator(), path)
    return path


# --- receptive field and tiles ------------------------------------------------------------------
@pytest.mark.parametrize("global_skip", [False, True])
def test_receptive_radius_matches_the_network(global_skip):
    """Change one LR pixel; every HR pixel that changes must lie within the radius, and some
    pixel at exactly the radius must change (the bound is tight)."""
    g = tiny_generator(global_skip)
    r, s, n = receptive_radius(g), 4, 31
    assert r == 10  # 9x9 head (4) + one block (2) + body conv (1) + upsampling and 9x9 tail (3)
    assert receptive_radius(Generator(num_blocks=16)) == 40
    lr = np.random.default_rng(1).random((1, 3, n, n), dtype=np.float32)
    bumped = lr.copy()
    bumped[0, :, n // 2, n // 2] += 1.0
    changed = np.abs(DygraphPredictor(g)(bumped) - DygraphPredictor(g)(lr)).max(axis=(0, 1)) > 0
    rows = np.nonzero(changed.any(axis=1))[0] // s  # LR row of each changed HR row
    assert rows.min() == n // 2 - r and rows.max() == n // 2 + r


def test_tile_windows_cover_the_axis_with_context():
    assert [(s, e) for s, e, _, _ in tile_windows(540, 128, 16)] == [(0, 108), (108, 216), (216, 324), (324, 432), (432, 540)]
    for length, tile, pad in [(100, 32, 10), (33, 32, 10), (70, 16, 40), (5, 8, 2), (129, 128, 0)]:
        windows = tile_windows(length, tile, pad)
        assert windows[0][0] == 0 and windows[-1][1] == length
        assert all(a[1] == b[0] for a, b in zip(windows, windows[1:]))  # contiguous, no overlap
        assert all(end - start <= tile for start, end, _, _ in windows)
        assert len({w1 - w0 for _, _, w0, w1 in windows}) == 1  # one shape for all tiles
        for start, end, w0, w1 in windows:
            assert start - w0 >= pad or w0 == 0
            assert w1 - end >= pad or w1 == length


@pytest.mark.parametrize("global_skip", [False, True])
def test_tiled_equals_untiled(global_skip, photo):
    g = tiny_generator(global_skip)
    lr = photo.transpose(2, 0, 1).astype(np.float32) / 255
    run = DygraphPredictor(g)
    whole = upscale_tiled(run, lr, scale=4, tile=0)
    tiled = upscale_tiled(run, lr, scale=4, tile=12, tile_pad=receptive_radius(g))
    assert np.abs(tiled - whole).max() * 0.5 <= 1e-5  # [-1, 1] -> [0, 1]; far below 1/255
    seamy = upscale_tiled(run, lr, scale=4, tile=12, tile_pad=2)  # too little context: seams
    assert np.abs(seamy - whole).max() * 0.5 > 1 / 255


def test_upscaler_tiles_are_seamless_on_uint8_output(photo):
    up = Upscaler(tiny_generator(), engine="dygraph", tile=0)
    whole = up(photo)
    up.tile, up.tile_pad = 10, 10
    assert np.abs(up(photo).astype(int) - whole.astype(int)).max() <= 1


# --- layouts and dtypes --------------------------------------------------------------------------
def test_layouts_and_dtypes_are_kept(photo):
    up = Upscaler(tiny_generator(), engine="dygraph", tile=16, tile_pad=10)
    h, w = photo.shape[:2]
    gray = photo[:, :, 1]
    alpha = np.linspace(0, 255, h * w).reshape(h, w).astype(np.uint8)

    rgb_out = up(photo)
    assert rgb_out.shape == (4 * h, 4 * w, 3) and rgb_out.dtype == np.uint8
    assert 20 < rgb_out.mean() < 235  # not saturated

    gray_out = up(gray)
    assert gray_out.shape == (4 * h, 4 * w) and gray_out.dtype == np.uint8
    assert up(gray[:, :, None]).shape == (4 * h, 4 * w, 1)
    three = up(np.dstack([gray] * 3)).astype(np.float32)
    luma = three @ np.array([0.299, 0.587, 0.114], np.float32)
    inside = ((three > 0) & (three < 255)).all(axis=2)  # where no channel was clipped
    assert inside.mean() > 0.5
    assert np.abs(gray_out - luma)[inside].max() <= 1.5  # gray = luma of the colour result

    visible = np.maximum(alpha, 1)  # no pixel fully transparent: the colour is the RGB result's
    np.testing.assert_array_equal(up(np.dstack([photo, visible]))[:, :, :3], rgb_out)  # alpha does not touch colour
    rgba_out = up(np.dstack([photo, alpha]))  # (under alpha 0 the colour is bled in: see below)
    assert rgba_out.shape == (4 * h, 4 * w, 4)
    bicubic = np.asarray(Image.fromarray(alpha).resize((4 * w, 4 * h), Image.BICUBIC))
    assert np.abs(rgba_out[:, :, 3].astype(int) - bicubic).max() <= 1  # alpha is bicubic
    assert up(np.dstack([gray, alpha])).shape == (4 * h, 4 * w, 2)

    out16 = up(photo.astype(np.uint16) * 257)
    assert out16.dtype == np.uint16
    assert np.abs(out16 / 257.0 - rgb_out).max() <= 0.51  # same picture, finer steps
    out_float = up(photo.astype(np.float32) / 255)
    assert out_float.dtype == np.float32 and 0 <= out_float.min() and out_float.max() <= 1
    assert np.abs(out_float * 255 - rgb_out).max() <= 0.51


def test_bad_arrays_are_refused():
    up = Upscaler(tiny_generator(), engine="dygraph")
    for bad in (np.zeros((4, 4, 5), np.uint8), np.zeros((0, 4, 3), np.uint8), np.zeros(4, np.uint8)):
        with pytest.raises(ValueError, match="shape"):
            up(bad)
    with pytest.raises(ValueError, match="dtype"):
        up(np.zeros((4, 4, 3), np.int64))


def test_package_upscale_and_engines_agree(photo):
    g = tiny_generator()
    a = upscale(photo[:20, :20], generator=g, engine="dygraph")
    b = upscale(photo[:20, :20], generator=g, engine="inference")
    c = upscale(photo[:20, :20], generator=g)  # auto
    assert a.shape == (80, 80, 3)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert np.abs(a.astype(int) - c.astype(int)).max() <= 1


def test_auto_engine_is_the_fastest_available():
    up = Upscaler(tiny_generator(), engine="auto")
    assert up.engine == ("openvino" if openvino_available() else "inference")


def test_auto_engine_falls_back_to_dygraph_with_a_warning(monkeypatch, photo):
    import srgan.predict

    def broken(*args, **kwargs):
        raise RuntimeError("no inference library")

    monkeypatch.setattr(srgan.predict, "InferencePredictor", broken)
    with pytest.warns(UserWarning) as caught:
        up = Upscaler(tiny_generator(), engine="auto")
    messages = [str(w.message) for w in caught]
    assert any("falling back to 'dygraph' (much slower)" in m for m in messages)
    assert any("falling back to 'inference'" in m for m in messages) == openvino_available()
    assert up.engine == "dygraph" and up(photo[:8, :8]).shape == (32, 32, 3)
    with pytest.raises(RuntimeError, match="no inference library"):
        Upscaler(tiny_generator(), engine="inference")


def test_missing_or_corrupt_weights_error_names_the_file(tmp_path, weights, recwarn):
    from srgan.checkpoint import CheckpointError

    with pytest.raises(FileNotFoundError, match="nothing.safetensors"):
        Upscaler(weights=tmp_path / "nothing.safetensors")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="broken.safetensors"):
        Upscaler(weights=broken)
    assert not [w for w in recwarn if "falling back" in str(w.message)]  # no engine hopping on bad weights


@pytest.mark.parametrize("damage", ["shape", "integer"])
def test_weights_that_do_not_fit_are_one_line_without_engine_hopping(tmp_path, weights, capsys, damage):
    """A safetensors file with srgan's metadata but a tensor of another shape, or integer
    tensors: one error naming the file, exit 2; not a warning per engine blaming the engine
    ('falling back to dygraph'), nor Paddle's traceback for the integer one."""
    import json

    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(weights), framework="numpy") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    if damage == "shape":
        tensors["head.weight"] = np.zeros((3, 3), np.float32)
    else:
        tensors = {k: v.astype(np.int32) for k, v in tensors.items()}
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=metadata)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "in.png")
    status = main(["upscale", str(tmp_path / "in.png"), "-o", str(tmp_path / "out"), "--weights", str(bad), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}:"), err
    assert json.loads(metadata["srgan_model_config"])  # the file is srgan's: only its tensors are wrong


# --- files -----------------------------------------------------------------------------------------
def make_inputs(folder, photo):
    """Good and bad inputs side by side; returns the names expected to succeed."""
    folder.mkdir()
    Image.fromarray(photo[:12, :10]).save(folder / "good.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated by 90 degrees
    Image.fromarray(photo[:12, :10]).save(folder / "phone.jpg", exif=exif)
    data = (folder / "good.png").read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    (folder / "text.jpg").write_text("this is not a picture")
    (folder / "empty.png").write_bytes(b"")
    return {"good.png", "phone.png"}


def test_a_batch_completes_despite_bad_files(tmp_path, photo):
    expected = make_inputs(tmp_path / "in", photo)
    up = Upscaler(tiny_generator(), engine="dygraph", tile=8, tile_pad=10)
    report = upscale_files([tmp_path / "in", tmp_path / "missing.png"], tmp_path / "out", upscaler=up, progress=False)
    assert {p.name for p in report.written} == expected
    messages = " | ".join(m for _, m in report.failed)
    for bad in ("truncated.png", "text.jpg", "empty.png", "missing.png"):
        assert bad in messages
    assert read_image_full(tmp_path / "out" / "phone.png").shape == (40, 48, 3)  # EXIF rotation applied
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(expected)  # no temp files

    again = upscale_files([tmp_path / "in" / "good.png"], tmp_path / "out", upscaler=up, progress=False)
    assert not again.written and "exists" in again.failed[0][1]
    forced = upscale_files([tmp_path / "in" / "good.png"], tmp_path / "out", upscaler=up, overwrite=True, progress=False)
    assert [p.name for p in forced.written] == ["good.png"]


def test_broken_links_in_a_folder_are_reported_not_skipped(tmp_path, photo):
    """A folder's image-named broken link or link loop is a failed input (named, with why),
    not silently left out of '1 written, 0 failed' with exit 0."""
    (tmp_path / "in").mkdir()
    Image.fromarray(photo[:8, :8]).save(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "dangling.png").symlink_to(tmp_path / "moved-away.png")
    (tmp_path / "in" / "a.jpg").symlink_to(tmp_path / "in" / "b.jpg")
    (tmp_path / "in" / "b.jpg").symlink_to(tmp_path / "in" / "a.jpg")
    up = Upscaler(tiny_generator(), engine="dygraph")
    report = upscale_files([tmp_path / "in"], tmp_path / "out", upscaler=up, progress=False)
    assert [p.name for p in report.written] == ["good.png"]
    messages = sorted(m for _, m in report.failed)
    assert len(messages) == 3, messages
    assert messages[0].startswith(f"{tmp_path / 'in' / 'a.jpg'}: symbolic link loop")
    assert messages[2].startswith(f"{tmp_path / 'in' / 'dangling.png'}: broken symbolic link")


def test_a_file_that_appears_while_its_image_is_upscaled_is_not_replaced(tmp_path, photo):
    """The output is checked before an image is upscaled, which takes minutes for a large
    photo; a file that appears there meanwhile (the user's copy, another srgan process) is
    not replaced without --overwrite: reported, exit 1. Before, it was replaced silently."""
    Image.fromarray(photo[:8, :8]).save(tmp_path / "a.png")
    up = Upscaler(tiny_generator(), engine="dygraph")
    real_predictor = up.predictor

    def someone_writes_the_output(lr):
        (tmp_path / "out").mkdir(exist_ok=True)
        (tmp_path / "out" / "a.png").write_bytes(b"the user's own file")
        return real_predictor(lr)

    up.predictor = someone_writes_the_output
    report = upscale_files([tmp_path / "a.png"], tmp_path / "out", upscaler=up, progress=False)
    assert not report.written and report.failed[0][1] == f"{tmp_path / 'out' / 'a.png'}: exists; not replaced (add --overwrite to replace it)"
    assert (tmp_path / "out" / "a.png").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]  # no temporary file left
    forced = upscale_files([tmp_path / "a.png"], tmp_path / "out", upscaler=up, overwrite=True, progress=False)
    assert forced.written and read_image_full(tmp_path / "out" / "a.png").shape == (32, 32, 3)


def test_interrupted_batch_leaves_only_complete_files(tmp_path, photo):
    for i in range(3):
        Image.fromarray(photo[:8, :8]).save(tmp_path / f"{i}.png")
    up = Upscaler(tiny_generator(), engine="dygraph")
    calls = {"n": 0}
    real_predictor = up.predictor

    def run_then_interrupt(lr):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_predictor(lr)

    up.predictor = run_then_interrupt
    with pytest.raises(KeyboardInterrupt):
        upscale_files([tmp_path / f"{i}.png" for i in range(3)], tmp_path / "out", upscaler=up, progress=False)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["0.png"]
    assert read_image_full(tmp_path / "out" / "0.png").shape == (32, 32, 3)


def test_output_plans(tmp_path, photo):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(photo).save(tmp_path / "a" / "x.png")
    Image.fromarray(photo).save(tmp_path / "b" / "x.jpg")
    pairs, errors = plan_outputs([tmp_path / "a", tmp_path / "b"], tmp_path / "out")
    # x.png and x.jpg share a stem: each keeps its extension instead of one being refused
    assert [d.name for _, d in pairs] == ["x.png.png", "x.jpg.png"] and not errors
    (tmp_path / "c").mkdir()
    Image.fromarray(photo).save(tmp_path / "c" / "x.png")
    pairs, errors = plan_outputs([tmp_path / "a", tmp_path / "c"], tmp_path / "out")  # the same name twice
    assert [d.name for _, d in pairs] == ["x.png"] and "already the output of" in errors[0][1]
    pairs, errors = plan_outputs([tmp_path / "a" / "x.png"], tmp_path / "y.jpg")
    assert pairs == [(tmp_path / "a" / "x.png", tmp_path / "y.jpg")] and not errors
    # the same file given twice (by name, or by its folder and by name) is one input, not a name clash
    pairs, errors = plan_outputs([tmp_path / "a" / "x.png", tmp_path / "a", tmp_path / "a" / ".." / "a" / "x.png"], tmp_path / "out")
    assert [(s.name, d.name) for s, d in pairs] == [("x.png", "x.png")] and not errors
    # another name of the same file (a link in the folder): upscaled once, and said (new-user test s21)
    (tmp_path / "a" / "z.png").symlink_to(tmp_path / "a" / "x.png")
    with pytest.warns(UserWarning, match=r"z.png: the same file as .*x.png, upscaled once"):
        pairs, errors = plan_outputs([tmp_path / "a"], tmp_path / "out")
    assert [(s.name, d.name) for s, d in pairs] == [("x.png", "x.png")] and not errors
    # the link listed first ("b" < "x"): still the file's own name is kept (hostile test s21)
    (tmp_path / "a" / "b.png").symlink_to(tmp_path / "a" / "x.png")
    with pytest.warns(UserWarning, match=r"b.png: the same file as .*x.png, upscaled once"):
        pairs, errors = plan_outputs([tmp_path / "a"], tmp_path / "out")
    assert [(s.name, d.name) for s, d in pairs] == [("x.png", "x.png")] and not errors
    with pytest.raises(ValueError, match="exactly one input"):
        plan_outputs([tmp_path / "a" / "x.png", tmp_path / "b" / "x.jpg"], tmp_path / "y.jpg")


def test_cli_upscale(tmp_path, photo, weights, monkeypatch, capsys):
    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    make_inputs(tmp_path / "in", photo)
    code = main(["upscale", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--weights", str(weights), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1  # some inputs were bad
    assert f"engine {'openvino' if openvino_available() else 'inference'}" in err
    assert "2 written, 3 failed" in err and "truncated.png" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.png", "phone.png"]

    code = main(["upscale", str(tmp_path / "in" / "good.png"), "-o", str(tmp_path / "one.jpg"), "--weights", str(weights),
                 "--engine", "dygraph", "--tile", "8", "--no-progress"])
    assert code == 0 and read_image_full(tmp_path / "one.jpg").shape == (48, 40, 3)
    assert capsys.readouterr().out.strip().endswith("one.jpg")

    code = main(["upscale", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "--weights", str(tmp_path / "none.safetensors")])
    assert code == 2 and "none.safetensors: no such weights file" in capsys.readouterr().err

    # every input bad: nothing done, the exit status of a user error (2), as evaluate and compare
    code = main(["upscale", str(tmp_path / "in" / "truncated.png"), "-o", str(tmp_path / "t"), "--weights", str(weights),
                 "--no-progress"])
    assert code == 2 and "0 written, 1 failed" in capsys.readouterr().err and not (tmp_path / "t").exists()


def test_perception_dial_blends_the_two_ends(tmp_path, photo, monkeypatch):
    """Upscaler(perception=alpha) runs the interpolated weights: 0 = the SRResNet end exactly;
    other alphas give other outputs; with weights=, or a missing end: a clear error."""
    import srgan.infer as infer_module

    ends = []
    for seed, name in ((1, "srresnet_x4.safetensors"), (2, "srgan_x4.safetensors")):
        paddle.seed(seed)
        save_generator(tiny_generator(), tmp_path / name)
        ends.append(tmp_path / name)
    monkeypatch.setattr(infer_module, "PERCEPTION_ENDS", tuple(ends))
    lr = photo[:24, :24]
    at0 = Upscaler(perception=0.0, engine="dygraph", cache_dir=tmp_path / "c")(lr)
    np.testing.assert_array_equal(at0, Upscaler(weights=ends[0], engine="dygraph")(lr))
    at1 = Upscaler(perception=1.0, engine="dygraph", cache_dir=tmp_path / "c")(lr)
    np.testing.assert_array_equal(at1, Upscaler(weights=ends[1], engine="dygraph")(lr))
    assert not np.array_equal(Upscaler(perception=0.5, engine="dygraph", cache_dir=tmp_path / "c")(lr), at0)
    # the ends are the shipped files themselves: no 18 MB copy of one in the cache (new-user test s21)
    assert [p.name.endswith("_0.5.safetensors") for p in (tmp_path / "c" / "interpolated").iterdir()] == [True]
    # a cache that cannot be written (here: under a file): the blend is still made, and the warning says why
    (tmp_path / "a_file").write_text("x")
    with pytest.warns(UserWarning, match="cannot keep the perception blend in the cache"):
        blended = Upscaler(perception=0.5, engine="dygraph", cache_dir=tmp_path / "a_file" / "cache")(lr)
    np.testing.assert_array_equal(blended, Upscaler(perception=0.5, engine="dygraph", cache_dir=tmp_path / "c")(lr))
    # a damaged blend in the cache is made again, not used or refused on every run (hostile test s21)
    (cached,) = (tmp_path / "c" / "interpolated").iterdir()
    cached.write_bytes(cached.read_bytes()[:1000])
    np.testing.assert_array_equal(Upscaler(perception=0.5, engine="dygraph", cache_dir=tmp_path / "c")(lr), blended)
    with pytest.raises(ValueError, match="cannot be combined"):
        Upscaler(perception=0.5, weights=ends[0])
    ends[1].unlink()
    with pytest.raises(FileNotFoundError, match="srgan_x4.safetensors"):
        Upscaler(perception=0.5, cache_dir=tmp_path / "c2")


# --- issue 11: float ranges and dtypes, the caller's generator, half-precision weights, odd paths -------
def test_float_images_must_be_in_0_1(photo):
    up = Upscaler(tiny_generator(), engine="dygraph")
    with pytest.raises(ValueError, match=r"float image values must be in \[0, 1\], got 0 to 255 \(looks like 0-255 data"):
        up(photo.astype(np.float32))  # before: accepted, clipped to a nearly white image
    with pytest.raises(ValueError, match="NaN or infinite"):
        up(np.full((8, 8, 3), np.nan, np.float32))
    overshoot = photo[:8, :8].astype(np.float32) / 255 * 1.1 - 0.05  # resampling ringing: clipped, accepted
    assert up(overshoot).shape == (32, 32, 3)


def test_float_dtypes_come_back_as_given(photo):
    up = Upscaler(tiny_generator(), engine="dygraph")
    for dtype in (np.float16, np.float32, np.float64):
        out = up(photo[:8, :8].astype(dtype) / 255)
        assert out.dtype == dtype and 0 <= out.min() and out.max() <= 1, dtype


@pytest.mark.parametrize("engine", ["dygraph", "inference"])
def test_the_callers_generator_keeps_its_mode(photo, engine):
    g = tiny_generator()
    g.train()
    assert upscale(photo[:8, :8], generator=g, engine=engine).shape == (32, 32, 3)
    assert g.training  # a generator being trained stays in train mode
    g.eval()
    upscale(photo[:8, :8], generator=g, engine=engine)
    assert not g.training


def test_half_precision_weights_work_in_upscale_and_export(tmp_path, photo, weights, monkeypatch):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    with safe_open(str(weights), framework="numpy") as f:
        half = {k: f.get_tensor(k).astype(np.float16) for k in f.keys()}
        metadata = f.metadata()
    save_file(half, str(tmp_path / "half.safetensors"), metadata=metadata)
    Image.fromarray(photo[:12, :10]).save(tmp_path / "in.png")
    assert main(["upscale", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--weights", str(tmp_path / "half.safetensors"),
                 "--engine", "dygraph", "--no-progress"]) == 0
    full = Upscaler(weights=weights, engine="dygraph")(photo[:12, :10])
    assert np.abs(read_image_full(tmp_path / "out.png").astype(int) - full.astype(int)).max() <= 2
    assert main(["export", "--weights", str(tmp_path / "half.safetensors"), "--out", str(tmp_path / "exported")]) == 0


def test_nan_weights_are_refused_by_upscale(tmp_path, photo, capsys):
    g = tiny_generator()
    g.tail.bias.set_value(g.tail.bias * float("nan"))
    save_generator(g, tmp_path / "nan.safetensors")
    Image.fromarray(photo[:8, :8]).save(tmp_path / "in.png")
    code = main(["upscale", str(tmp_path / "in.png"), "-o", str(tmp_path / "out"), "--weights", str(tmp_path / "nan.safetensors")])
    assert code == 2 and "nan.safetensors: holds NaN or infinite values (tail.bias)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_symlink_loop_is_reported_as_such(tmp_path, photo):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    up = Upscaler(tiny_generator(), engine="dygraph")
    report = upscale_files([tmp_path / "a.png"], tmp_path / "out", upscaler=up, progress=False)
    assert report.failed == [(str(tmp_path / "a.png"), f"{tmp_path / 'a.png'}: symbolic link loop")]
    with pytest.raises(OSError, match="b.png: symbolic link loop"):
        Upscaler(weights=tmp_path / "b.png")


def test_the_colour_under_transparent_pixels_does_not_reach_the_visible_edge():
    """A logo saved over transparent black and the same logo over transparent white: the colour
    under alpha 0 is invisible, but the network and the bicubic alpha mixed it into the edge
    (up to 121 grey levels apart, a dark fringe over a light page). Now both upscale alike."""
    logo = np.zeros((20, 20, 4), np.uint8)
    logo[5:15, 5:15] = (200, 30, 30, 255)
    logo[4, 5:15, 3] = 128  # a half-transparent edge row keeps its own colour
    logo[4, 5:15, :3] = (200, 30, 30)
    over_white = logo.copy()
    over_white[logo[:, :, 3] == 0, :3] = 255
    up = Upscaler(tiny_generator(), engine="dygraph", tile=0)
    black, white = up(logo), up(over_white)
    assert np.array_equal(black, white)
    gray = np.stack([logo[:, :, 0], logo[:, :, 3]], axis=2)  # gray + alpha too
    gray_white = gray.copy()
    gray_white[gray[:, :, 1] == 0, 0] = 255
    assert np.array_equal(up(gray), up(gray_white))


def test_the_output_keeps_the_input_s_colour_profile(tmp_path):
    """A Display P3 / Adobe RGB photo's pixels are in that colour space: written without its
    profile, viewers showed the upscaled photo in sRGB (a red of (255, 0, 0) read as (240, 10, 10)).
    The input's ICC profile is embedded in the output; a CMYK file, whose pixels are converted,
    passes no profile on."""
    from PIL import ImageCms

    from srgan.image_io import read_icc_profile

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # any profile's bytes
    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).save(tmp_path / "p3.png", icc_profile=profile)
    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).save(tmp_path / "plain.png")
    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).convert("CMYK").save(tmp_path / "cmyk.jpg", icc_profile=profile)
    assert read_icc_profile(tmp_path / "p3.png") == profile and read_icc_profile(tmp_path / "cmyk.jpg") is None
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    code = main(["upscale", str(tmp_path / "p3.png"), str(tmp_path / "plain.png"), str(tmp_path / "cmyk.jpg"),
                 "-o", str(tmp_path / "out"), "--weights", str(tmp_path / "g.safetensors"), "--engine", "dygraph",
                 "--no-progress"])
    assert code == 0
    with Image.open(tmp_path / "out" / "p3.png") as out:
        assert out.info.get("icc_profile") == profile
    for name in ("plain.png", "cmyk.png"):
        with Image.open(tmp_path / "out" / name) as out:
            assert not out.info.get("icc_profile")


def test_the_output_keeps_the_photo_s_exif_made_to_fit_it(tmp_path):
    """A phone photo's camera, date and GPS were dropped from its upscaled copy without a word.
    They are carried over; the orientation tag is not (the pixels are already turned upright: a
    viewer would turn the photo again), nor the input's pixel size."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"        # Make
    exif[0x0112] = 6              # Orientation: turn 90 degrees clockwise to view
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2020:01:01 10:00:00"  # DateTimeOriginal
    sub[0xA002], sub[0xA003] = 12, 8     # PixelXDimension, PixelYDimension of the input
    exif.get_ifd(0x8825)[1] = "N"        # GPSLatitudeRef: where the photo was taken
    Image.fromarray(np.full((8, 12, 3), 120, np.uint8)).save(tmp_path / "phone.jpg", exif=exif.tobytes())
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    code = main(["upscale", str(tmp_path / "phone.jpg"), "-o", str(tmp_path / "out"), "--weights",
                 str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--no-progress"])
    assert code == 0
    with Image.open(tmp_path / "out" / "phone.png") as out:
        assert out.size == (32, 48)  # upright: 8 x 12 turned, times 4
        kept = out.getexif()
        assert kept.get(0x010F) == "Canon" and 0x0112 not in kept
        assert kept.get_ifd(0x8769).get(0x9003) == "2020:01:01 10:00:00"
        assert 0xA002 not in kept.get_ifd(0x8769) and 0xA003 not in kept.get_ifd(0x8769)
        assert not kept.get_ifd(0x8825) and 0x927C not in kept.get_ifd(0x8769)  # no GPS position, no maker notes


def test_exif_carries_no_file_layout_and_never_costs_the_photo(tmp_path, capsys):
    """Hostile test s22: a TIFF's strip offsets and sizes were written into the output's EXIF, and
    a JPEG output of a photo with more than 64 KB of EXIF failed ("EXIF data is too long")."""
    from srgan.image_io import read_exif

    tiff = tmp_path / "scan.tif"
    Image.fromarray(np.full((8, 12, 3), 90, np.uint8)).save(tiff, tiffinfo={0x010F: "Nikon", 0x013B: "me"})
    carried = Image.Exif()
    carried.load(read_exif(tiff))
    assert carried.get(0x010F) == "Nikon" and carried.get(0x013B) == "me"
    assert not {0x0100, 0x0101, 0x0111, 0x0117, 0x0103} & set(carried)  # sizes, strips, compression
    big = Image.Exif()
    big[0x010F], big[0x010E] = "Canon", "x" * 100_000  # a 100 KB description
    Image.fromarray(np.full((8, 12, 3), 120, np.uint8)).save(tmp_path / "long.png", exif=big.tobytes())
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    code = main(["upscale", str(tmp_path / "long.png"), "-o", str(tmp_path / "long.jpg"), "--weights",
                 str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    with Image.open(tmp_path / "long.jpg") as out:
        assert out.size == (48, 32) and out.getexif().get(0x010F) == "Canon" and 0x010E not in out.getexif()
    assert main(["upscale", str(tiff), "-o", str(tmp_path / "scan_x4.tif"), "--weights", str(tmp_path / "g.safetensors"),
                 "--engine", "dygraph", "--no-progress"]) == 0
    with Image.open(tmp_path / "scan_x4.tif") as out:  # a TIFF output keeps it too
        assert out.getexif().get(0x010F) == "Nikon" and out.size == (48, 32)


def test_weights_that_are_not_weights_say_what_they_are(tmp_path, capsys, monkeypatch):
    """`--weights` given a training run's folder said "srgan_export.json: missing; not written by
    srgan export", a model card "not a readable safetensors file, corrupt or truncated", and
    "SRGAN" (as `srgan info` names it) "no such weights file"."""
    from srgan.infer import resolve_weights, shipped_weights

    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "log.jsonl").write_text("")
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    (tmp_path / "g.json").write_text("{}")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    for weights, said in ((run, "a training run's folder, not weights: give its best_generator.safetensors"),
                          (tmp_path / "g.json", f"a model card; its weights are {tmp_path / 'g.safetensors'}")):
        code = main(["upscale", "x.png", "-o", "y.png", "--weights", str(weights), "--no-progress"])
        errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
        assert code == 2 and len(errors) == 1 and said in errors[0], errors
    assert resolve_weights("SRGAN") == shipped_weights("srgan") and resolve_weights("srresnet_x4") == shipped_weights("srresnet")
    assert not (tmp_path / "y.png").exists()


def test_an_output_name_with_an_unknown_extension_is_refused_not_made_a_folder(tmp_path):
    """`-o result.jgp` (a typo of .jpg) made a folder result.jgp/ holding result.png, exit 0."""
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"-o .*result\.jgp: \.jgp is not an image extension .*create it first"):
        plan_outputs([tmp_path / "x.png"], tmp_path / "result.jgp")
    assert not (tmp_path / "result.jgp").exists()
    (tmp_path / "v1.0").mkdir()  # a folder the user made, whatever its name
    pairs, errors = plan_outputs([tmp_path / "x.png"], tmp_path / "v1.0")
    assert pairs == [(tmp_path / "x.png", tmp_path / "v1.0" / "x.png")] and not errors


def test_no_progress_bars_in_a_log(tmp_path, capfd):
    """stderr redirected to a file (a log, CI): tqdm's carriage-return updates filled it unless
    --no-progress was given; bars are drawn on a terminal only."""
    for i in range(2):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / f"x{i}.png")
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    assert main(["upscale", str(tmp_path / "x0.png"), str(tmp_path / "x1.png"), "-o", str(tmp_path / "out"),
                 "--weights", str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--tile", "4"]) == 0
    err = capfd.readouterr().err
    assert "\r" not in err and "it/s" not in err and "img/s" not in err, err


def test_a_folder_whose_images_are_one_level_down_says_so(tmp_path):
    """`srgan upscale photos/ -o out/` with the photos in photos/2023/ said only "folder has no
    images": the user is told that subfolders are not searched and which one holds images."""
    (tmp_path / "photos" / "2023").mkdir(parents=True)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "photos" / "2023" / "x.png")
    pairs, errors = plan_outputs([tmp_path / "photos"], tmp_path / "out")
    assert not pairs and len(errors) == 1
    assert errors[0][1].endswith(f"its subfolders are not searched (images in {tmp_path / 'photos' / '2023'}: give that folder)")


def test_subfolders_beside_images_are_named_as_not_searched(tmp_path):
    """photos/ with images of its own and more in photos/2023/ upscaled the top ones only and said
    nothing: the user took the subfolder for done."""
    (tmp_path / "photos" / "2023").mkdir(parents=True)
    for path in (tmp_path / "photos" / "top.png", tmp_path / "photos" / "2023" / "x.png"):
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    with pytest.warns(UserWarning, match=r"photos: 1 subfolder\(s\) with images not searched \(2023\)"):
        pairs, errors = plan_outputs([tmp_path / "photos"], tmp_path / "out")
    assert [src.name for src, _ in pairs] == ["top.png"] and not errors


def test_the_start_line_says_when_nothing_is_tiled(tmp_path, capsys):
    """`--tile 0` (the whole image at once) was announced as "tile 0 + pad 16"."""
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    for tile, said in (("0", "x4, the whole image at once (receptive radius"), ("4", "x4, tile 4 + pad 16 (receptive radius")):
        assert main(["upscale", str(tmp_path / "x.png"), "-o", str(tmp_path / f"y{tile}.png"), "--weights",
                     str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--tile", tile]) == 0
        assert said in capsys.readouterr().err


def test_skip_existing_upscales_only_what_is_missing_and_exit_zero(tmp_path, capsys):
    """A batch interrupted (Ctrl-C) and run again reported every finished output as a failure
    (exit 1): --skip-existing leaves them and upscales the rest; with --overwrite it is refused."""
    for i in range(3):
        Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / f"x{i}.png")
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x1.png").write_bytes(b"finished before")
    run = ["upscale", *(str(tmp_path / f"x{i}.png") for i in range(3)), "-o", str(tmp_path / "out"),
           "--weights", str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--no-progress"]
    assert main([*run, "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "2 written, 1 skipped (already there), 0 failed" in err, err
    assert (tmp_path / "out" / "x1.png").read_bytes() == b"finished before"
    assert read_image_full(tmp_path / "out" / "x2.png").shape == (32, 32, 3)
    assert main([*run, "--skip-existing", "--overwrite"]) == 2
    assert "contradict" in capsys.readouterr().err
    assert main(run) == 2  # without the flag: every output exists, each a failure, nothing written


def test_a_batch_upscaled_in_place_and_run_again_does_not_upscale_its_own_outputs(tmp_path, capsys):
    """Hostile s23: photos/ upscaled into itself, interrupted, and finished with --skip-existing upscaled
    photo0.png (the x4 output) again to x16 and wrote photo0.jpg.png, "5 written". Its own earlier outputs
    (named as another input's output, an exact multiple of its size) are now said and left out; a photo
    of another size that happens to share a stem is still an input."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 6, 3), 40 * i, np.uint8)).save(photos / f"photo{i}.jpg")
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    run = ["upscale", str(photos), "-o", str(photos), "--weights", str(tmp_path / "g.safetensors"), "--engine", "dygraph",
           "--no-progress"]
    assert main(run) == 0
    (photos / "photo2.png").unlink()  # as if interrupted before the last one
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    assert main([*run, "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "1 written, 2 skipped (already there), 0 failed" in err, err
    assert "photo0.png: 4x the size of photo0.jpg, the output of an earlier run into this folder" in err
    assert sorted(p.name for p in photos.iterdir()) == sorted([*before, "photo2.png"])  # no photo0.jpg.png, no x16
    assert all((photos / name).read_bytes() == data for name, data in before.items())
    assert read_image_full(photos / "photo2.png").shape == (32, 24, 3)
    # --overwrite redoes the batch into the same names (srgan's own outputs, not the user's photos)
    assert main([*run, "--overwrite"]) == 0
    assert "3 written, 0 failed" in capsys.readouterr().err
    # a PNG beside a JPEG of the same stem but not a multiple of its size is the user's photo: upscaled
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(photos / "other.png")
    Image.fromarray(np.zeros((6, 6, 3), np.uint8)).save(photos / "other.jpg")
    pairs, errors = plan_outputs([photos], tmp_path / "out")
    assert {"other.png", "other.jpg"} <= {src.name for src, _ in pairs} and not errors


def test_a_path_given_to_the_upscaler_says_to_read_it_first(tmp_path):
    """New-user test s21: upscale("photo.jpg") said "unsupported image dtype <U9"."""
    up = Upscaler(tiny_generator(), engine="dygraph")
    for path in ("photo.jpg", tmp_path / "photo.jpg"):
        with pytest.raises(TypeError, match=r"takes an image array, got the path .*photo.jpg.*read_image"):
            up(path)


def test_macos_appledouble_files_are_not_images(tmp_path, photo):
    """New-user test s21: a folder copied from a Mac holds "._name.png" resource forks, which made
    an otherwise clean batch fail (exit 1)."""
    from srgan.image_io import list_images

    Image.fromarray(photo).save(tmp_path / "a.png")
    (tmp_path / "._a.png").write_bytes(b"\x00\x05\x16\x07 not an image")
    assert [p.name for p in list_images(tmp_path)] == ["a.png"]


def test_an_interrupted_batch_names_the_images_it_finished(tmp_path, photo, weights, monkeypatch, capsys):
    """Hostile test s21: after Ctrl-C the command said that the images finished before are
    complete, without naming any (they were listed only at the end of a whole batch)."""
    import srgan.infer as infer_module

    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(photo[:12, :10]).save(tmp_path / "in" / name)
    real_save, calls = infer_module.save_image, []

    def save_then_ctrl_c(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_save(*args, **kwargs)

    monkeypatch.setattr(infer_module, "save_image", save_then_ctrl_c)
    code = main(["upscale", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--weights", str(weights),
                 "--engine", "dygraph", "--no-progress"])
    stdout, err = capsys.readouterr()
    assert code == 130
    assert stdout.splitlines() == [str(tmp_path / "out" / "a.png")]
    assert "interrupted: the 1 image(s) written before this are complete" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]


def test_an_input_that_may_not_be_read_fails_alone(tmp_path, monkeypatch, capsys):
    """Hostile test s22: an input inside a folder the user may not read stopped the whole batch
    with a raw "[Errno 13] Permission denied" (exit 2), and the readable photo beside it was not
    upscaled. That input fails, named; the others are done (exit 1)."""
    import pathlib

    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).save(tmp_path / "ok.png")
    locked = tmp_path / "locked" / "c.png"
    is_dir = pathlib.Path.is_dir

    def refusing(self, *args, **kwargs):  # what a folder without read permission answers (as a user, not root)
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return is_dir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "is_dir", refusing)
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    code = main(["upscale", str(tmp_path / "ok.png"), str(locked), "-o", str(tmp_path / "out"), "--weights",
                 str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"error: {locked}: permission denied" in err and "Errno" not in err
    assert (tmp_path / "out" / "ok.png").is_file()
