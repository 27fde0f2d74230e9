"""The book job's configuration helpers (ci/execute_book.py, ci/check_book.py): the repository
address in one place, buttons that never point to a placeholder, Paddle's notices kept out of the pages."""

import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "ci"))

from check_book import button_problems  # noqa: E402
from execute_book import quiet_environment, repository_config  # noqa: E402


def test_config_has_no_repository_address_and_no_buttons():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["repository"]["url"] == "" and not config["html"]["use_repository_button"]
    assert not config["launch_buttons"]["colab_url"]


def test_repository_address_is_set_in_the_build_copy_only():
    text = (REPO / "_config.yml").read_text()
    off = yaml.safe_load(repository_config(text, None))
    assert off["repository"]["url"] == "" and not off["html"]["use_repository_button"] and not off["launch_buttons"]["colab_url"]
    on = yaml.safe_load(repository_config(text, "https://github.com/someone/srgan/", "dev"))
    assert on["repository"] == {**off["repository"], "url": "https://github.com/someone/srgan", "branch": "dev"}
    assert on["html"]["use_repository_button"] and on["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert on["title"] == off["title"] == yaml.safe_load(text)["title"]  # the rest is untouched


def test_buttons_must_point_to_the_configured_repository():
    repo = "https://github.com/someone/srgan"
    good = [f"{repo}/blob/main/book/05_srresnet.ipynb", "https://colab.research.google.com/github/someone/srgan/blob/main/book/05_srresnet.ipynb",
            "http://127.0.0.1:8000/book/06_srgan.html"]
    assert button_problems(good, repo) == []
    assert button_problems(["https://github.com/other/repo"], repo)
    assert button_problems(["https://github.com/srgan-paddle/srgan-paddle"], None)  # the old placeholder
    assert button_problems([f"{repo}/issues"], None)  # buttons while no address is configured
    assert button_problems([], "https://github.com/srgan-paddle/srgan-paddle")  # a placeholder as the address
    assert button_problems(["http://127.0.0.1:8000/index.html"], None) == []


def test_quiet_environment_adds_filters_and_keeps_the_users_log_level():
    env = quiet_environment({"PYTHONWARNINGS": "error::DeprecationWarning"})
    filters = env["PYTHONWARNINGS"].split(",")
    assert filters[0] == "error::DeprecationWarning" and "ignore:When training:UserWarning:paddle.nn.layer.norm" in filters
    assert all("," not in f for f in filters) and env["GLOG_minloglevel"] == "2"
    assert quiet_environment({"GLOG_minloglevel": "0"})["GLOG_minloglevel"] == "0"
