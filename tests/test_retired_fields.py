"""d_shift and vgg_shift are retired (issue 24): configs, run folders and checkpoints written with
them off still load; one that used them is refused by name instead of silently training otherwise."""

import json

import pytest

from srgan.config import RETIRED, Config, TrainConfig


def _old_config(**train) -> dict:
    config = Config().to_dict()
    config["train"].update(train)
    return config


def test_an_old_config_with_the_retired_fields_off_loads():
    cfg = Config.from_dict(_old_config(d_shift=0, vgg_shift=0))
    assert cfg == Config()
    assert not {"d_shift", "vgg_shift"} & set(cfg.to_dict()["train"])
    assert set(RETIRED["train"]) == {"d_shift", "vgg_shift"}
    assert not set(RETIRED["train"]) & {f for f in TrainConfig.__dataclass_fields__}


@pytest.mark.parametrize("field, value", [("d_shift", 8), ("vgg_shift", 15)])
def test_a_config_that_used_a_retired_field_is_refused_by_name(field, value):
    with pytest.raises(ValueError, match=f"{field} {value}: a retired experiment"):
        Config.from_dict(_old_config(**{field: value}))


def test_an_old_run_folder_config_json_still_resumes(tmp_path):
    """A run whose config.json and checkpoint hold d_shift 0 (every run before the retirement)
    is continued with --resume: the settings check sees no change."""
    import numpy as np

    from srgan.checkpoint import load_checkpoint, save_checkpoint
    from srgan.runs import CONFIG, checkpoints
    from srgan.train import Trainer
    from tiny import config as tiny_config
    from tiny import images, val_pairs

    out = tmp_path / "run"
    Trainer(tiny_config(out, steps=2, ckpt_every=2, val_every=2), images=images(), val_pairs=val_pairs(), progress=False).fit()
    info = json.loads((out / CONFIG).read_text())
    info["config"]["train"].update(d_shift=0, vgg_shift=0)
    (out / CONFIG).write_text(json.dumps(info))
    state = load_checkpoint(checkpoints(out)[-1])
    state["config"]["train"].update(d_shift=0, vgg_shift=0)
    save_checkpoint(checkpoints(out)[-1], state)
    resumed = Trainer(tiny_config(out, steps=4, ckpt_every=2, val_every=2), images=images(), val_pairs=val_pairs(),
                      progress=False)
    resumed.fit(resume=True)
    assert resumed.step == 4 and np.isfinite(resumed.best_psnr)
