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
    monkeypatch.setattr(vgg_module.paddle_download, "WEIGHTS_HOME", str(tmp_path))
    monkeypatch.setattr(vgg_module.paddle_download, "get_weights_path_from_url", _offline)
    with pytest.raises(VGGWeightsError) as info:
        VGGFeatureExtractor(layer="vgg54", weights=weights)
    message = str(info.value)
    assert vgg_module.VGG19_IMAGENET_URL in message  # what to fetch elsewhere
    assert str(tmp_path / "vgg19.pdparams") in message  # where to put it
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
