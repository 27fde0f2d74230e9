"""VGG19 feature extractor: where phi_i,j is cut, how weights are found, and that it stays frozen.

The network is built only a few times (about 1 s each): a randomly initialised Paddle vgg19 is
saved to temporary .pdparams / .safetensors files once per module and every loading test
compares against features computed directly with that vgg19.
"""

from __future__ import annotations

import shutil

import numpy as np
import paddle
import paddle.nn as nn
import pytest
from safetensors.numpy import save_file

import srgan.vgg as vgg_module
from srgan.atomic import file_digest
from srgan.models import count_parameters
from srgan.vgg import VGGFeatureExtractor, VGGWeightsError, feature_end_index

MEAN = np.array([0.485, 0.456, 0.406], dtype="float32").reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype="float32").reshape(1, 3, 1, 1)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A random Paddle vgg19 (features only), its weights as files, and an input batch in [-1, 1]."""
    paddle.seed(1)
    vgg19 = paddle.vision.models.vgg19(pretrained=False, num_classes=0, with_pool=False)
    vgg19.eval()
    state = vgg19.state_dict()
    # An extra key like the zoo file's classifier: must be ignored by the loader.
    state["classifier.6.bias"] = paddle.zeros([1000])
    folder = tmp_path_factory.mktemp("vgg_weights")
    pdparams = folder / "vgg19_random.pdparams"
    safetensors = folder / "vgg19_random.safetensors"
    paddle.save(state, str(pdparams))
    save_file({key: value.numpy() for key, value in state.items()}, str(safetensors))
    x = np.random.RandomState(0).uniform(-1, 1, size=(2, 3, 32, 32)).astype("float32")
    return {"vgg19": vgg19, "pdparams": pdparams, "safetensors": safetensors, "x": x}


def expected_features(reference, end: int) -> np.ndarray:
    """phi computed by hand: [-1, 1] -> [0, 1] -> ImageNet normalisation -> vgg19.features[: end + 1]."""
    h = paddle.to_tensor(((reference["x"] + 1) / 2 - MEAN) / STD)
    for layer in list(reference["vgg19"].features.children())[: end + 1]:
        h = layer(h)
    return h.numpy()


def test_phi_indices_follow_the_paper(reference):
    features = reference["vgg19"].features
    # phi_2,2: ReLU after conv2_2 (128 maps), right before the 2nd max-pool.
    assert feature_end_index(features, 2, 2) == 8
    assert isinstance(features[7], nn.Conv2D) and features[7].weight.shape[0] == 128
    assert isinstance(features[9], nn.MaxPool2D)
    # phi_5,4: ReLU after conv5_4 (512 maps), right before the 5th max-pool.
    assert feature_end_index(features, 5, 4) == 35
    assert isinstance(features[34], nn.Conv2D) and features[34].weight.shape[0] == 512
    assert isinstance(features[36], nn.MaxPool2D)
    with pytest.raises(ValueError, match="phi_2,3"):
        feature_end_index(features, 2, 3)  # block 2 has only two convs


def test_bad_layer_name():
    with pytest.raises(ValueError, match="vgg54"):
        VGGFeatureExtractor(layer="conv5_4", weights="random")


@pytest.mark.parametrize("kind", ["pdparams", "safetensors"])
def test_vgg54_from_file_matches_paddle_vgg19(reference, kind):
    extractor = VGGFeatureExtractor(layer="vgg54", weights=reference[kind])
    out = extractor(paddle.to_tensor(reference["x"])).numpy()
    assert out.shape == (2, 512, 2, 2)  # 32 / 2^4
    np.testing.assert_allclose(out, expected_features(reference, 35), rtol=1e-4, atol=1e-5)
    assert extractor.weights_source == str(reference[kind])
    # Only the conv weights are state; the normalisation constants are not saved.
    assert all(key.startswith("features.") for key in extractor.state_dict())


def test_default_weights_come_from_env_var(reference, monkeypatch):
    monkeypatch.setenv("SRGAN_VGG19_WEIGHTS", str(reference["pdparams"]))
    extractor = VGGFeatureExtractor(layer="vgg22")  # weights=None -> the env var
    assert extractor.weights_source == str(reference["pdparams"])
    out = extractor(paddle.to_tensor(reference["x"])).numpy()
    assert out.shape == (2, 128, 16, 16)  # 32 / 2
    np.testing.assert_allclose(out, expected_features(reference, 8), rtol=1e-4, atol=1e-5)


def test_imagenet_uses_paddle_cache_first(reference, tmp_path, monkeypatch):
    shutil.copy(reference["pdparams"], tmp_path / "vgg19.pdparams")
    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(tmp_path))
    monkeypatch.setattr(vgg_module, "VGG19_IMAGENET_MD5", file_digest(tmp_path / "vgg19.pdparams", "md5"))

    def no_network(url, md5sum=None):
        raise AssertionError("must not download when the cache holds the file")

    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", no_network)
    extractor = VGGFeatureExtractor(layer="vgg22", weights="imagenet")
    out = extractor(paddle.to_tensor(reference["x"])).numpy()
    np.testing.assert_allclose(out, expected_features(reference, 8), rtol=1e-4, atol=1e-5)


def _offline(url, md5sum=None):
    raise RuntimeError(f"Download from {url} failed. Retry limit reached")


@pytest.mark.parametrize("weights", [None, "imagenet"])
def test_offline_imagenet_gives_clear_error(tmp_path, monkeypatch, weights):
    monkeypatch.delenv("SRGAN_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "no_shared"))  # no paper file to find
    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(tmp_path))
    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", _offline)
    with pytest.raises(VGGWeightsError) as info:
        VGGFeatureExtractor(layer="vgg54", weights=weights)
    message = str(info.value)
    assert vgg_module.VGG19_IMAGENET_URL in message  # what to fetch elsewhere
    assert vgg_module.VGG19_PAPER_URL in message  # or the paper's network
    assert str(tmp_path) in message  # where to put it
    assert "SRGAN_VGG19_WEIGHTS" in message
    assert "--content-loss mse" in message
    assert "Retry limit reached" in message  # the underlying cause is kept


def test_cached_file_with_wrong_md5_is_not_used(tmp_path, monkeypatch):
    (tmp_path / "vgg19.pdparams").write_bytes(b"half a download")
    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(tmp_path))
    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", _offline)
    with pytest.raises(VGGWeightsError, match="md5"):
        VGGFeatureExtractor(layer="vgg22", weights="imagenet")


def test_env_var_pointing_nowhere_names_the_file(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "vgg19.pdparams"
    monkeypatch.setenv("SRGAN_VGG19_WEIGHTS", str(missing))
    with pytest.raises(VGGWeightsError, match="does not exist") as info:
        VGGFeatureExtractor(layer="vgg54")
    assert str(missing) in str(info.value)


@pytest.mark.parametrize("name", ["corrupt.pdparams", "corrupt.safetensors"])
def test_corrupt_file_names_the_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00not a state dict\xff" * 64)
    with pytest.raises(VGGWeightsError) as info:
        VGGFeatureExtractor(layer="vgg22", weights=path)
    assert str(path) in str(info.value)


def test_mismatched_file_names_the_file_and_the_keys(reference, tmp_path):
    state = {key: value.numpy() for key, value in reference["vgg19"].state_dict().items()}
    state["features.0.weight"] = np.zeros((64, 3, 5, 5), dtype="float32")  # wrong kernel size
    del state["features.7.weight"]  # conv2_2 missing
    path = tmp_path / "mismatched.safetensors"
    save_file(state, str(path))
    with pytest.raises(VGGWeightsError) as info:
        VGGFeatureExtractor(layer="vgg22", weights=path)
    message = str(info.value)
    assert str(path) in message
    assert "features.0.weight has shape (64, 3, 5, 5), expected (64, 3, 3, 3)" in message
    assert "missing features.7.weight" in message


def test_random_weights_warn_and_stay_frozen_in_eval_mode():
    with pytest.warns(UserWarning, match="RANDOM"):
        extractor = VGGFeatureExtractor(layer="vgg22", weights="random")
    assert extractor.weights_source == "random"
    assert all(p.stop_gradient for p in extractor.parameters())
    assert count_parameters(extractor) == 0

    parent = nn.LayerList([nn.Conv2D(3, 3, 3), extractor])
    parent.train()  # sets `training` on every sublayer directly
    assert parent[0].training and not extractor.training
    extractor.train()
    assert not extractor.training

    x = paddle.uniform([1, 3, 16, 16], min=-1.0, max=1.0)
    x.stop_gradient = False
    extractor(x).sum().backward()
    assert x.grad is not None  # gradient passes through to the input (the generator's SR image)
    assert all(p.grad is None for p in extractor.parameters())  # but not into the VGG weights
    assert not any(layer.training for layer in extractor.sublayers())


# --- the paper's network: the Keras Applications .h5 file and the Caffe input convention ----
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype="float32").reshape(1, 3, 1, 1)


def write_keras_h5(path, vgg19, blocks=((1, 2), (2, 2))):
    """Write `vgg19`'s first convs in the Keras Applications layout (groups block{B}_conv{I},
    kernels (kh, kw, in, out)), as the paper's file stores them."""
    import h5py

    convs = [layer for layer in vgg19.features if isinstance(layer, nn.Conv2D)]
    with h5py.File(path, "w") as f:
        k = 0
        for block, n in blocks:
            for i in range(1, n + 1):
                name = f"block{block}_conv{i}"
                group = f.create_group(name)
                group[f"{name}_W_1:0"] = convs[k].weight.numpy().transpose(2, 3, 1, 0)
                group[f"{name}_b_1:0"] = convs[k].bias.numpy()
                k += 1
        f.create_group("block1_pool")  # layers without weights are skipped


def test_keras_h5_loads_with_caffe_convention(reference, tmp_path):
    path = tmp_path / "vgg19_keras_layout.h5"
    write_keras_h5(path, reference["vgg19"])
    extractor = VGGFeatureExtractor(layer="vgg22", weights=path)
    assert extractor.input_convention == "caffe" and extractor.weights_source == str(path)
    out = extractor(paddle.to_tensor(reference["x"])).numpy()
    # By hand: [-1, 1] RGB -> 0..255 BGR minus the mean pixel, no std (Caffe).
    h = paddle.to_tensor(((reference["x"] + 1) * 127.5)[:, ::-1].copy() - CAFFE_MEAN_BGR)
    for layer in list(reference["vgg19"].features.children())[:9]:
        h = layer(h)
    np.testing.assert_allclose(out, h.numpy(), rtol=1e-4, atol=1e-4)


def test_keras_h5_missing_layer_names_the_file(reference, tmp_path):
    path = tmp_path / "only_block1.h5"
    write_keras_h5(path, reference["vgg19"], blocks=((1, 2),))
    with pytest.raises(VGGWeightsError, match="missing features.5.weight") as info:
        VGGFeatureExtractor(layer="vgg22", weights=path)
    assert str(path) in str(info.value)


def test_safetensors_carry_their_input_convention(reference, tmp_path):
    state = {key: value.numpy() for key, value in reference["vgg19"].state_dict().items()}
    path = tmp_path / "caffe.safetensors"
    save_file(state, str(path), metadata={"input_convention": "caffe"})
    assert VGGFeatureExtractor(layer="vgg22", weights=path).input_convention == "caffe"
    save_file(state, str(path), metadata={"input_convention": "bogus"})
    with pytest.raises(VGGWeightsError, match="bogus"):
        VGGFeatureExtractor(layer="vgg22", weights=path)


def test_default_search_order(reference, tmp_path, monkeypatch):
    """None: $SRGAN_VGG19_WEIGHTS, then $SRGAN_SHARED/vgg19/<Keras file>, then Paddle's cache, then "imagenet"."""
    shared, cache = tmp_path / "shared", tmp_path / "cache"
    (shared / "vgg19").mkdir(parents=True)
    cache.mkdir()
    monkeypatch.setenv("SRGAN_SHARED", str(shared))
    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(cache))
    monkeypatch.delenv("SRGAN_VGG19_WEIGHTS", raising=False)
    assert vgg_module.default_weights() == "imagenet"
    write_keras_h5(cache / vgg_module.VGG19_PAPER_FILE, reference["vgg19"])
    assert vgg_module.default_weights() == str(cache / vgg_module.VGG19_PAPER_FILE)
    write_keras_h5(shared / "vgg19" / vgg_module.VGG19_PAPER_FILE, reference["vgg19"])
    assert vgg_module.default_weights() == str(shared / "vgg19" / vgg_module.VGG19_PAPER_FILE)
    monkeypatch.setenv("SRGAN_VGG19_WEIGHTS", str(reference["pdparams"]))
    assert vgg_module.default_weights() == str(reference["pdparams"])


def test_paper_weights_download_is_md5_checked(reference, tmp_path, monkeypatch):
    """"paper" asks Paddle's downloader for the Keras URL with its md5 (offline: the clear error)."""
    asked = {}

    def fake_download(url, md5sum=None):
        asked.update(url=url, md5=md5sum)
        path = tmp_path / vgg_module.VGG19_PAPER_FILE
        write_keras_h5(path, reference["vgg19"])
        return str(path)

    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(tmp_path / "empty_cache"))
    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", fake_download)
    extractor = VGGFeatureExtractor(layer="vgg22", weights="paper")
    assert asked == {"url": vgg_module.VGG19_PAPER_URL, "md5": vgg_module.VGG19_PAPER_MD5}
    assert extractor.input_convention == "caffe"
    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", _offline)
    with pytest.raises(VGGWeightsError, match="paper's VGG19"):
        VGGFeatureExtractor(layer="vgg22", weights="paper")


# --- with the real file from ../shared (the network the paper used) ------------------------
@pytest.fixture(scope="module")
def paper_vgg54():
    from srgan.config import default_shared_dir

    path = default_shared_dir() / "vgg19" / vgg_module.VGG19_PAPER_FILE
    if not path.is_file():
        pytest.skip(f"{path} is missing: put the shared data next to the repo or set SRGAN_SHARED")
    if file_digest(path, "md5") != vgg_module.VGG19_PAPER_MD5:
        pytest.fail(f"{path} is not the Keras Applications VGG19 file (md5)")
    return VGGFeatureExtractor(layer="vgg54", weights=path)


def _features(extractor, image):
    x = paddle.to_tensor(image.astype("float32").transpose(2, 0, 1)[None] / 127.5 - 1.0)
    with paddle.no_grad():
        return extractor(x).numpy()[0]


@pytest.mark.shared
def test_real_vgg54_features_are_sparse_and_tell_photos_apart(paper_vgg54):
    from skimage import data

    chelsea = _features(paper_vgg54, data.chelsea())
    assert chelsea.shape == (512, 300 // 16, 451 // 16)
    assert 0.85 < float((chelsea == 0).mean()) < 0.97  # shared README: 91% zeros (random: ~50%)
    pooled = [_features(paper_vgg54, getattr(data, name)()).mean(axis=(1, 2)) for name in ("chelsea", "astronaut", "coffee", "rocket")]
    pooled = [p / np.linalg.norm(p) for p in pooled]
    cosines = [float(a @ b) for k, a in enumerate(pooled) for b in pooled[k + 1 :]]
    assert max(cosines) < 0.6, cosines  # random weights give >= 0.99 for every pair


@pytest.mark.shared
def test_real_vgg_losses_prefer_sharp_to_blurred(paper_vgg54):
    """VGG22 and VGG54 content losses (Eq. 5) put a sharp image closer to HR than its blur."""
    from scipy.ndimage import gaussian_filter
    from skimage import data

    from srgan.losses import ContentLoss

    hr = data.astronaut()[96:288, 160:352]
    blurred = gaussian_filter(hr.astype("float32"), sigma=(1.5, 1.5, 0))
    sharp_but_noisy = np.clip(hr + np.random.RandomState(0).normal(0, 3, hr.shape), 0, 255)
    to = lambda a: paddle.to_tensor(np.asarray(a, "float32").transpose(2, 0, 1)[None] / 127.5 - 1.0)  # noqa: E731
    for kind in ("vgg22", "vgg54"):
        loss = ContentLoss(kind=kind, vgg_weights=paper_vgg54.weights_source)
        assert float(loss(to(sharp_but_noisy), to(hr))) < float(loss(to(blurred), to(hr))), kind
        assert float(loss(to(hr), to(hr))) == 0.0


def test_before_activation_ends_at_the_conv_and_keeps_negative_values(reference):
    """ESRGAN's variant: phi_5,4 taken before its ReLU is the conv output itself, signs and all,
    and the ReLU of it is the paper's phi_5,4."""
    before = VGGFeatureExtractor(layer="vgg54", weights=reference["pdparams"], before_activation=True)
    after = VGGFeatureExtractor(layer="vgg54", weights=reference["pdparams"])
    assert isinstance(list(before.features.children())[-1], nn.Conv2D)
    x = paddle.to_tensor(reference["x"])
    out_before, out_after = before(x).numpy(), after(x).numpy()
    np.testing.assert_allclose(out_before, expected_features(reference, 34), rtol=1e-4, atol=1e-5)
    assert (out_before < 0).any()
    np.testing.assert_allclose(np.maximum(out_before, 0), out_after, rtol=1e-4, atol=1e-5)


def test_before_activation_loss_agrees_between_engines(reference):
    """The Paddle Inference engine writes the VGG's backward out by hand; ending at a conv (no
    final ReLU) must give autograd's loss and gradient."""
    from srgan.losses import ContentLoss

    rng = np.random.RandomState(3)
    sr_np = rng.uniform(-1, 1, (1, 3, 32, 32)).astype("float32")
    hr = paddle.to_tensor(rng.uniform(-1, 1, (1, 3, 32, 32)).astype("float32"))
    results = []
    for engine in ("dygraph", "inference"):
        sr = paddle.to_tensor(sr_np, stop_gradient=False)
        loss = ContentLoss("vgg54", vgg_weights=reference["pdparams"], engine=engine, before_activation=True)(sr, hr)
        loss.backward()
        results.append((float(loss), sr.grad.numpy()))
    (loss_d, grad_d), (loss_i, grad_i) = results
    assert abs(loss_d - loss_i) <= 1e-4 * abs(loss_d)
    assert np.abs(grad_d - grad_i).max() <= 1e-3 * np.abs(grad_d).max()


def test_default_falls_back_to_imagenet_loudly_when_the_papers_network_cannot_be_fetched(reference, tmp_path, monkeypatch):
    """No paper file on the machine and its host unreachable (often so from AI Studio): Paddle's
    ImageNet VGG19 is used, and one warning says which network, why, and how to get the paper's."""
    shutil.copy(reference["pdparams"], tmp_path / "vgg19.pdparams")
    monkeypatch.delenv("SRGAN_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "no_shared"))
    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(tmp_path))
    monkeypatch.setattr(vgg_module, "VGG19_IMAGENET_MD5", file_digest(tmp_path / "vgg19.pdparams", "md5"))
    asked = []

    def paper_host_unreachable(url, md5sum=None):
        asked.append(url)
        raise RuntimeError(f"Download from {url} failed. Retry limit reached")

    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", paper_host_unreachable)
    with pytest.warns(vgg_module.VGGFallbackWarning) as caught:
        extractor = VGGFeatureExtractor(layer="vgg54")
    assert asked == [vgg_module.VGG19_PAPER_URL]  # the paper's network was tried first
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "paper's network could not be fetched" in message and "Retry limit reached" in message
    assert "ImageNet VGG19" in message and "differ from the paper's" in message
    assert extractor.input_convention == "imagenet"
    assert "not the paper's network" in extractor.describe() and "phi_5,4" in extractor.describe()
