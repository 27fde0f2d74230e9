from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srgan.data import (
    PairedImages,
    StepBatchSampler,
    TrainCrops,
    default_validation_pairs,
    hr_to_tensor,
    load_training_images,
    lr_to_tensor,
    sr_to_uint8,
    train_loader,
)
from srgan.image_io import ImageReadError
from srgan.imresize import imresize


def _images(n=3, size=(40, 52), seed=0):
    rng = np.random.default_rng(seed)
    return [(f"img{i}", rng.integers(0, 256, (*size, 3), dtype=np.uint8)) for i in range(n)]


def _write(folder, name, array):
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(folder / name)


def test_crop_pair_lines_up_with_matlab_resize_of_the_hr_crop():
    ds = TrainCrops(_images(), hr_size=16, scale=4, augment=True, seed=1)
    for i in range(5):
        lr, hr = ds.crop(i)
        assert hr.shape == (16, 16, 3) and lr.shape == (4, 4, 3)
        np.testing.assert_array_equal(lr, imresize(hr, scale=0.25))


def test_hr_crop_comes_from_a_source_image():
    images = _images(n=1, size=(24, 20))
    ds = TrainCrops(images, hr_size=16, scale=4, augment=False, seed=0)
    _, hr = ds.crop(3)
    src = images[0][1]
    found = any(np.array_equal(src[t : t + 16, l : l + 16], hr) for t in range(9) for l in range(5))
    assert found


def test_sample_is_a_function_of_seed_and_index():
    a = TrainCrops(_images(), hr_size=16, seed=5)
    b = TrainCrops(_images(), hr_size=16, seed=5)
    c = TrainCrops(_images(), hr_size=16, seed=6)
    np.testing.assert_array_equal(a[7][1], b[7][1])
    assert not all(np.array_equal(a[i][1], c[i][1]) for i in range(4))


def test_tensor_ranges():
    ds = TrainCrops(_images(), hr_size=16, seed=0)
    lr, hr = ds[0]
    assert lr.dtype == np.float32 and lr.shape == (3, 4, 4) and 0.0 <= lr.min() and lr.max() <= 1.0
    assert hr.shape == (3, 16, 16) and -1.0 <= hr.min() and hr.max() <= 1.0
    img = np.array([[[0, 128, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(hr_to_tensor(img).ravel(), [-1.0, 128 / 127.5 - 1, 1.0], atol=1e-6)
    np.testing.assert_allclose(lr_to_tensor(img).ravel(), [0.0, 128 / 255, 1.0], atol=1e-6)
    np.testing.assert_array_equal(sr_to_uint8(hr_to_tensor(img)), img)


def test_step_sampler_resumes_the_same_stream_and_splits_ranks():
    full = list(StepBatchSampler(4, 0, 6))
    assert list(StepBatchSampler(4, 3, 6)) == full[3:]
    r0, r1 = list(StepBatchSampler(2, 0, 3, rank=0, world_size=2)), list(StepBatchSampler(2, 0, 3, rank=1, world_size=2))
    assert not set(sum(r0, [])) & set(sum(r1, []))


def test_loader_batches_with_workers():
    ds = TrainCrops(_images(), hr_size=16, seed=0)
    batches = list(train_loader(ds, batch_size=3, start_step=0, end_step=2, num_workers=2))
    assert len(batches) == 2
    lr, hr = batches[1]
    assert lr.shape == [3, 3, 4, 4] and hr.shape == [3, 3, 16, 16]
    np.testing.assert_allclose(hr.numpy()[0], ds[3][1])  # step 1 starts at sample 3


def test_small_images_skipped_with_a_warning_naming_them(tmp_path):
    _write(tmp_path, "big.png", np.zeros((40, 40, 3), np.uint8))
    _write(tmp_path, "tiny.png", np.zeros((10, 50, 3), np.uint8))
    with pytest.warns(UserWarning, match="tiny.png"):
        images = load_training_images([tmp_path], min_size=32)
    assert [n.endswith("big.png") for n, _ in images] == [True]


def test_all_images_too_small_is_an_error(tmp_path):
    _write(tmp_path, "tiny.png", np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="at least 32"), pytest.warns(UserWarning):
        load_training_images([tmp_path], min_size=32)


def test_grayscale_rgba_and_16bit_training_images_become_rgb(tmp_path):
    _write(tmp_path, "gray.png", np.full((40, 40), 7, np.uint8))
    _write(tmp_path, "rgba.png", np.full((40, 40, 4), 9, np.uint8))
    Image.fromarray(np.full((40, 40), 65535, np.uint16)).save(tmp_path / "deep.png")
    with pytest.warns(UserWarning, match="16-bit"):
        images = dict(load_training_images([tmp_path], min_size=32))
    for name, img in images.items():
        assert img.shape == (40, 40, 3) and img.dtype == np.uint8, name
    assert images[str(tmp_path / "deep.png")].max() == 255


def test_unreadable_file_names_the_file(tmp_path):
    _write(tmp_path, "ok.png", np.zeros((40, 40, 3), np.uint8))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(ImageReadError, match="broken.png"):
        load_training_images([tmp_path], min_size=32)


def test_truncated_file_names_the_file(tmp_path):
    _write(tmp_path, "cut.png", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.png"):
        load_training_images([tmp_path], min_size=32)


def test_every_unreadable_training_image_is_named_in_one_run(tmp_path):
    """Hostile test s20 F11: four bad files took four runs to find, one per run."""
    _write(tmp_path, "ok.png", np.zeros((40, 40, 3), np.uint8))
    for name in ("a.png", "b.jpg", "c.png"):
        (tmp_path / name).write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"^3 of 4 training images cannot be read \(.*a\.png, .*b\.jpg, .*c\.png\); "
                                         r"the first: .*a\.png"):
        load_training_images([tmp_path], min_size=32)
    for i in range(7):  # many: five named and a count, one readable line (3,000 made 51,550 characters)
        (tmp_path / f"z{i}.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"^10 of 11 training images cannot be read \(.*a\.png, .*b\.jpg, .*c\.png, "
                                         r".*z0\.png, .*z1\.png and 5 more\); the first"):
        load_training_images([tmp_path], min_size=32)


def test_missing_and_empty_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load_training_images([tmp_path / "nope"], min_size=16)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        load_training_images([tmp_path / "empty"], min_size=16)


def test_offline_default_is_scikit_image_photos():
    images = load_training_images([], min_size=96)
    assert len(images) >= 3 and all(n.startswith("skimage:") for n, _ in images)



def test_paired_folder(tmp_path):
    hr = np.random.default_rng(0).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    _write(tmp_path / "HR", "a.png", hr)
    _write(tmp_path / "LR_bicubic_x4", "a.png", imresize(hr, scale=0.25))
    _write(tmp_path / "HR", "g.png", hr[:, :, 0])
    _write(tmp_path / "LR_bicubic_x4", "g.png", imresize(hr[:, :, 0], scale=0.25))
    triples = list(PairedImages(tmp_path))
    assert [t[0] for t in triples] == ["a.png", "g.png"]
    assert triples[0][1].shape == (4, 6, 3) and triples[1][2].shape == (16, 24)  # gray stays 2-D


def test_paired_folder_errors_name_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="HR"):
        PairedImages(tmp_path)
    _write(tmp_path / "HR", "a.png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "LR_bicubic_x4").mkdir()
    with pytest.raises(FileNotFoundError, match="a.png"):
        PairedImages(tmp_path)


def test_offline_validation_pairs_are_consistent(monkeypatch, tmp_path):
    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "absent"))
    triples = default_validation_pairs(None, scale=4, max_images=2)
    assert len(triples) == 2
    for name, lr, hr in triples:
        assert name.startswith("skimage:")
        np.testing.assert_array_equal(lr, imresize(hr, scale=0.25))


# --- issue 11: the loader ends with an error, never a hang -------------------------------------
class _Failing(TrainCrops):
    def __getitem__(self, index):
        if index >= 4:
            raise ValueError(f"sample {index}: cannot be made")
        return super().__getitem__(index)


def _consume(loader, timeout=60):
    """Iterate `loader` in a thread; return what it raised (a hang fails the test, not the suite)."""
    import threading

    outcome = {}

    def run():
        try:
            outcome["batches"] = sum(1 for _ in loader)
        except BaseException as e:  # noqa: BLE001
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the loader hung for {timeout} s"
    return outcome


def test_a_dataset_error_ends_the_in_process_loader():
    """num_workers=0: Paddle's loader made the batches in a thread whose exception left the
    training loop waiting forever (`--batch-size 0` hung that way); now the error is raised."""
    outcome = _consume(train_loader(_Failing(_images(), hr_size=16), 2, 0, 5, num_workers=0))
    assert isinstance(outcome.get("error"), ValueError) and "sample 4: cannot be made" in str(outcome["error"])


def test_a_failing_worker_ends_the_loader_with_an_error():
    from srgan.data import DataLoaderError

    outcome = _consume(train_loader(_Failing(_images(), hr_size=16), 2, 0, 5, num_workers=1))
    assert isinstance(outcome.get("error"), DataLoaderError), outcome
    assert "data-loader worker failed or died" in str(outcome["error"])


def test_in_process_batches_equal_paddle_dataloader_batches():
    import paddle

    ds = TrainCrops(_images(), hr_size=16, seed=3)
    ours = list(train_loader(ds, 2, 5, 8, num_workers=0))
    theirs = list(paddle.io.DataLoader(ds, batch_sampler=StepBatchSampler(2, 5, 8), num_workers=0))
    assert len(ours) == len(theirs) == 3
    for (lr_a, hr_a), (lr_b, hr_b) in zip(ours, theirs):
        np.testing.assert_array_equal(lr_a.numpy(), lr_b.numpy())
        np.testing.assert_array_equal(hr_a.numpy(), hr_b.numpy())


def test_degraded_pair_crops_hr_to_a_multiple_and_makes_lr_with_the_matlab_bicubic():
    from srgan.data import degraded_pair
    from srgan.imresize import imresize

    photo = np.random.default_rng(3).integers(0, 256, (23, 30, 3), dtype=np.uint8)
    lr, hr = degraded_pair(photo, scale=4)
    assert hr.shape == (20, 28, 3) and lr.shape == (5, 7, 3)
    np.testing.assert_array_equal(hr, photo[:20, :28])
    np.testing.assert_array_equal(lr, imresize(photo[:20, :28], scale=0.25))


def test_selection_photos_are_held_out_of_bsds_training_folders(tmp_path):
    """Checkpoints are chosen on the selection set: training must never see those photos."""
    from srgan.data import SELECTION_IDS, is_selection_photo

    assert len(SELECTION_IDS) == 25 == len(set(SELECTION_IDS))
    bsds, other = tmp_path / "BSDS200", tmp_path / "mine"
    for folder in (bsds, other):
        folder.mkdir()
        _write(folder, f"{SELECTION_IDS[0]}.png", np.zeros((40, 40, 3), np.uint8))
        _write(folder, "999999.png", np.zeros((40, 40, 3), np.uint8))
    assert is_selection_photo(bsds / f"{SELECTION_IDS[0]}.png") and not is_selection_photo(other / f"{SELECTION_IDS[0]}.png")
    names = sorted(Path(n).relative_to(tmp_path).as_posix() for n, _ in load_training_images([bsds, other], min_size=32))
    # A user's own folder keeps a file that happens to share a BSDS id.
    assert names == ["BSDS200/999999.png", f"mine/{SELECTION_IDS[0]}.png", "mine/999999.png"]


def test_selection_pairs_name_the_missing_photos_and_degrade_like_the_paper(tmp_path):
    from srgan.data import SELECTION_IDS, degraded_pair, selection_pairs

    with pytest.raises(FileNotFoundError, match=SELECTION_IDS[0]):
        selection_pairs(tmp_path)
    rng = np.random.default_rng(0)
    for name in SELECTION_IDS:
        _write(tmp_path, f"{name}.png", rng.integers(0, 256, (22, 18, 3), dtype=np.uint8))
    pairs = selection_pairs(tmp_path, scale=4)
    assert [n for n, _, _ in pairs] == [f"{name}.png" for name in SELECTION_IDS]
    name, lr, hr = pairs[3]
    expected_lr, expected_hr = degraded_pair(np.asarray(Image.open(tmp_path / name).convert("RGB")), 4)
    assert hr.shape == (20, 16, 3)
    np.testing.assert_array_equal(hr, expected_hr)
    np.testing.assert_array_equal(lr, expected_lr)
