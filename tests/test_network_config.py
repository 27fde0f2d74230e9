"""Networks carry their config: Generator.config / from_config, Discriminator.config / from_config;
save_generator takes the architecture from the model, and the discriminator's fields stay out of a
generator file (issue 24). Files written before still load."""

import dataclasses
import json

import numpy as np
import paddle
import pytest
from safetensors.numpy import save_file

from srgan.checkpoint import CONFIG_KEY, load_generator, read_generator_file, save_generator
from srgan.config import ModelConfig
from srgan.models import Discriminator, Generator


def test_each_network_rebuilds_from_its_config():
    g = Generator(scale=2, num_blocks=2, channels=8, global_skip=True)
    assert g.config == {"scale": 2, "num_blocks": 2, "channels": 8, "global_skip": True}
    assert Generator.from_config(g.config).config == g.config
    model = ModelConfig(scale=2, num_blocks=2, channels=8, global_skip=True, d_channels=16, d_image_size=None)
    assert Generator.from_config(model).config == g.config
    d = Discriminator.from_config(model)
    assert d.config == {"d_channels": 16, "d_image_size": None, "d_norm": "batch", "d_arch": "paper"}
    assert all(getattr(model, name) == value for name, value in d.config.items())  # ModelConfig's own names


def test_a_generator_file_holds_the_generators_config_only(tmp_path):
    g = Generator(num_blocks=1, channels=8, global_skip=True)
    save_generator(g, tmp_path / "g.safetensors", card={"note": "n"})
    from safetensors import safe_open

    with safe_open(str(tmp_path / "g.safetensors"), framework="numpy") as f:
        assert json.loads(f.metadata()[CONFIG_KEY]) == g.config  # no d_channels / d_image_size
    assert json.loads((tmp_path / "g.json").read_text())["model"] == g.config
    assert load_generator(tmp_path / "g.safetensors").config == g.config


def test_a_file_written_with_the_discriminators_fields_still_loads(tmp_path):
    g = Generator(num_blocks=1, channels=8)
    old = dataclasses.asdict(ModelConfig(num_blocks=1, channels=8, d_channels=16, d_image_size=48))
    save_file({k: v.numpy() for k, v in g.state_dict().items()}, str(tmp_path / "old.safetensors"),
              metadata={CONFIG_KEY: json.dumps(old)})
    _, config = read_generator_file(tmp_path / "old.safetensors")
    assert (config.num_blocks, config.channels, config.d_channels) == (1, 8, 16)
    loaded = load_generator(tmp_path / "old.safetensors")
    x = paddle.rand([1, 3, 8, 8])
    g.eval()
    np.testing.assert_array_equal(loaded(x).numpy(), g(x).numpy())


def test_an_explicit_model_config_is_deprecated_and_must_describe_the_generator(tmp_path):
    g = Generator(num_blocks=1, channels=8)
    with pytest.warns(DeprecationWarning, match="drop the model_config argument"):
        save_generator(g, tmp_path / "same.safetensors", ModelConfig(num_blocks=1, channels=8))
    assert load_generator(tmp_path / "same.safetensors").config == g.config
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="model_config differs from the generator"):
        save_generator(g, tmp_path / "other.safetensors", ModelConfig(num_blocks=2, channels=8))
    assert not (tmp_path / "other.safetensors").exists()
