"""`srgan compare --html`: one self-contained page of before/after sliders (srgan/report.py),
for a benchmark (bicubic | models | HR, PSNR / SSIM / NIQE) and for a user's own photos
(bicubic | models, NIQE only: there is no original).

The page is read as text (nothing fetched from the network, the inline images are the
methods' pixels, the scores are the metrics') and opened in headless Chromium: no console
errors, a pointer drag moves the handle and changes the pixels shown, the arrow keys move it.
1-block, 8-channel generators on images of a few dozen pixels keep it to seconds.
"""

import base64
import io
import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import paddle
import pytest
from PIL import Image

from srgan.cli import main
from srgan.imresize import imresize
from srgan.metrics import psnr

HAVE_CHROMIUM = bool((shutil.which("chromium") or Path("/usr/bin/chromium").exists())
                     and (shutil.which("chromedriver") or Path("/usr/bin/chromedriver").exists()))
ZOOM = 4


def _benchmark(folder: Path, sizes=((32, 40),)) -> Path:
    """HR/ and LR_bicubic_x4/ with noisy images (bicubic and the random generator differ everywhere)."""
    for i, (h, w) in enumerate(sizes):
        hr = np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)
        for sub, img in (("HR", hr), ("LR_bicubic_x4", imresize(hr, scale=0.25))):
            (folder / sub).mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(folder / sub / f"{'abc'[i]}.png")
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """(page path, benchmark folder): `srgan compare --html` with a tiny generator labelled A."""
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    root = tmp_path_factory.mktemp("report")
    bench = _benchmark(root / "bench", sizes=((32, 40), (24, 24)))
    save_generator(Generator(num_blocks=1, channels=8), root / "g.safetensors")
    out = root / "report.html"
    assert main(["compare", "--weights", f"A={root / 'g.safetensors'}", "--data", str(bench), "--html", str(out),
                 "--zoom", str(ZOOM)]) == 0
    return out, bench


def _tiny_generator(path: Path, seed: int = 0) -> Path:
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    paddle.seed(seed)
    save_generator(Generator(num_blocks=1, channels=8), path)
    return path


def _photo(path: Path, h: int, w: int, seed: int, gray: bool = False) -> Path:
    """A smooth random picture with some texture (NIQE needs structure, not white noise)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 4 + 2, w // 4 + 2, 3), dtype=np.uint8)
    image = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC)).astype(int)
    image = np.clip(image + rng.integers(-12, 13, image.shape), 0, 255).astype(np.uint8)
    Image.fromarray(image[:, :, 0] if gray else image).save(path)
    return path


WINDOW = 32


@pytest.fixture(scope="module")
def photo_report(tmp_path_factory):
    """`srgan compare PHOTO... --html` with two tiny generators (A, B), good and bad inputs:
    (page path, photo folder, generator files, exit status, stderr lines)."""
    import contextlib
    import io as _io

    root = tmp_path_factory.mktemp("photos")
    photos = root / "photos"
    (photos / "more").mkdir(parents=True)
    (photos / "empty").mkdir()
    _photo(photos / "wide.png", 30, 40, seed=1)  # wider than the window: its centre 32x30 px
    _photo(photos / "gray.jpg", 20, 24, seed=2, gray=True)  # small: no NIQE (80x96 px out)
    _photo(photos / "more" / "c.png", 28, 28, seed=3)
    (photos / "broken.jpg").write_bytes(b"not an image")
    weights = {"A": _tiny_generator(root / "a.safetensors", 1), "B": _tiny_generator(root / "b.safetensors", 2)}
    out = root / "photos.html"
    stderr = _io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(stderr):
        mp.setenv("SRGAN_CACHE", str(root / "cache"))
        status = main(["compare", str(photos / "wide.png"), str(photos / "broken.jpg"), str(photos / "missing.png"),
                       str(photos / "gray.jpg"), str(photos / "more"), str(photos / "empty"),
                       "--weights", *(f"{k}={v}" for k, v in weights.items()), "--html", str(out),
                       "--window", str(WINDOW), "--zoom", str(ZOOM), "--no-progress"])
    return out, photos, weights, status, stderr.getvalue().splitlines()


def test_photo_page_shows_each_photo_by_bicubic_and_each_model_with_niqe_only(photo_report, tmp_path, monkeypatch):
    from srgan.infer import upscale
    from srgan.niqe import niqe
    from srgan.report import NO_REFERENCE_NOTE

    out, photos, weights, status, errors = photo_report
    # Three bad inputs, one line each naming it; the three good photos are in the page: exit 1.
    assert status == 1
    assert sorted(line.split(":", 2)[1].strip() for line in errors if line.startswith("error:")) == sorted(
        str(photos / name) for name in ("broken.jpg", "missing.png", "empty"))
    assert errors[-1] == "3 photo(s) in the page, 3 failed"
    page = out.read_text(encoding="utf-8")
    figures = _figures(page)
    assert len(figures) == 3
    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    tables = re.findall(r'<table class="sr-scores">(.*?)</table>', page, re.S)
    for figure, table, (name, window) in zip(figures, tables, [("wide.png", (slice(0, 30), slice(4, 36))),
                                                               ("gray.jpg", (slice(None), slice(None))),
                                                               ("more/c.png", (slice(None), slice(None)))]):
        lr = np.asarray(Image.open(photos / name).convert("RGB"))[window]
        assert list(figure) == ["bicubic", "A", "B"]  # no HR: there is none
        np.testing.assert_array_equal(figure["bicubic"], imresize(lr, scale=4))
        for label in ("A", "B"):  # what `srgan upscale` (the same Upscaler) makes of the same pixels
            np.testing.assert_array_equal(figure[label], upscale(lr, weights=weights[label]))
        # NIQE only (no PSNR / SSIM column), the metric's value where the image is large enough.
        assert "PSNR" not in table and "SSIM" not in table and "<th>NIQE</th>" in table
        for label, image in figure.items():
            big_enough = min(image.shape[:2]) - 8 >= 96
            shown = f"{niqe(image, crop_border=4):.2f}" if big_enough else "–"
            assert f"<tr><td>{label}</td><td>{shown}</td></tr>" in table
    assert "–" in tables[1] and "–" not in tables[0]  # gray.jpg is 80x96 px out: too small for NIQE
    # The captions say which part of a photo is shown; the page says why there is no PSNR / SSIM.
    assert f"wide.png: centre 32x30 px of 40x30 (--window {WINDOW}), x4" in page
    assert "gray.jpg: 24x20 px, x4" in page
    assert NO_REFERENCE_NOTE.format(scale=4) in page
    # Bicubic left against the last model at first, at the zoom asked for; nothing from the network.
    assert 'class="sr-over" alt="bicubic"' in page and 'class="sr-under" alt="B"' in page
    assert f"width: {4 * 32 * ZOOM}px; height: {4 * 30 * ZOOM}px" in page  # 128x120 px images
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "DATA", page)
    assert not re.search(r"(https?:|ftp:)?//[a-z0-9]", text, re.I) and "url(" not in text


def test_photo_page_follows_the_output_rule_and_exit_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    photo = _photo(tmp_path / "p.png", 12, 16, seed=4)
    before = photo.read_bytes()
    args = ["compare", str(photo), "--weights", f"A={_tiny_generator(tmp_path / 'g.safetensors')}", "--no-progress"]
    out = tmp_path / "r.html"
    out.write_text("mine")
    assert main(args + ["--html", str(out)]) == 2  # exists: kept, one line
    err = capsys.readouterr().err.strip().splitlines()
    assert out.read_text() == "mine" and len(err) == 1 and str(out) in err[0] and "--overwrite" in err[0]
    assert main(args + ["--html", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and len(_figures(out.read_text())) == 1
    assert main(args + ["--html", str(photo), "--overwrite"]) == 2  # an input: never replaced (not a page's name)
    assert photo.read_bytes() == before and "must end in .html" in capsys.readouterr().err
    # No photo could be shown: nothing written, exit 2 (nothing done), each input named.
    page = tmp_path / "none.html"
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert main(["compare", str(tmp_path / "bad.png"), str(tmp_path / "nope.jpg"), "--html", str(page)]) == 2
    err = capsys.readouterr().err
    assert not page.exists() and str(tmp_path / "bad.png") in err and str(tmp_path / "nope.jpg") in err
    # Flags that need a benchmark, or two sources: one line, nothing written.
    for extra in (["--out", str(tmp_path / "x.png"), "--html", str(page)], ["--images", "a.png", "--html", str(page)],
                  ["--data", str(tmp_path), "--html", str(page)], [], ["--html", str(page), "--window", "-1"]):
        assert main(args + extra) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: "), (extra, err)
    assert not page.exists() and not (tmp_path / "x.png").exists()
    assert not list(tmp_path.glob(".*.tmp"))



def test_photo_with_a_non_utf8_name_is_shown(tmp_path, capsys, monkeypatch):
    """A photo whose file name is not UTF-8 (a Latin-1 'café.png' from an old camera or
    archive) is in the page under a readable name; before, the page could not be encoded and
    the whole command ended with "error: 'utf-8' codec can't encode character '\\udce9'",
    naming no file and writing nothing."""
    import os

    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    photos = tmp_path / "photos"
    photos.mkdir()
    latin1 = os.fsdecode(bytes(photos) + b"/caf\xe9.png")
    _photo(Path(latin1), 12, 16, seed=5)
    out = tmp_path / "r.html"
    status = main(["compare", str(photos), "--weights", f"A={_tiny_generator(tmp_path / 'g.safetensors')}",
                   "--html", str(out), "--no-progress"])
    assert status == 0, capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert len(_figures(page)) == 1 and "caf\N{REPLACEMENT CHARACTER}.png" in page

def test_a_photo_and_a_link_to_it_are_one_photo_of_the_page(tmp_path, capsys, monkeypatch):
    """Hostile test of the CLI's messages, #5: `srgan compare DIR` showed a link in DIR and its
    target as two photos, where `srgan upscale DIR` upscales the file once and says so; compare
    does the same (infer.one_name_per_file)."""
    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "cache"))
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "x.png", 12, 16, seed=6)
    (photos / "b.png").symlink_to("x.png")  # listed first: still the file's own name is kept
    out = tmp_path / "r.html"
    status = main(["compare", str(photos), "--weights", f"A={_tiny_generator(tmp_path / 'g.safetensors')}",
                   "--html", str(out), "--no-progress"])
    err = capsys.readouterr().err.splitlines()
    assert status == 0 and len(_figures(out.read_text(encoding="utf-8"))) == 1, err
    assert f"warning: {photos / 'b.png'}: the same file as {photos / 'x.png'}, shown once, as x.png" in err
    assert err[-1] == "1 photo(s) in the page, 0 failed"


def test_compare_help_states_the_photo_defaults():
    import argparse

    from srgan import cli
    from srgan.report import DEFAULT_MODELS, PHOTO_WINDOW

    (sub,) = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    text = " ".join(sub.choices["compare"].format_help().split())
    assert f"default {PHOTO_WINDOW}:" in text
    assert "default: " + " ".join(f"{k}={v}" for k, v in DEFAULT_MODELS.items()) in text
    assert cli.compare_weights(None) == DEFAULT_MODELS
    assert cli.compare_weights(["srgan", "Mine=x.safetensors"]) == {"srgan": "srgan", "Mine": "x.safetensors"}
    with pytest.raises(ValueError, match="LABEL=FILE"):
        cli.compare_weights(["x.safetensors"])


def _decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def _figures(page: str) -> list[dict]:
    """Each slider's images (label -> array), from its inline JSON."""
    blocks = re.findall(r'<script type="application/json" class="sr-images">(.*?)</script>', page, re.S)
    return [{label: _decode(uri) for label, uri in json.loads(block).items()} for block in blocks]


def test_page_is_self_contained_and_carries_each_methods_pixels(report):
    out, bench = report
    page = out.read_text(encoding="utf-8")
    # Nothing fetched: no URL with a scheme or protocol-relative, no CSS import or url(), every src
    # inline (base64 has "/" in its alphabet: the data URIs are taken out before looking for "//").
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "DATA", page)
    assert not re.search(r"(https?:|ftp:)?//[a-z0-9]", text, re.I), "an external URL in the page"
    assert "@import" not in text and "url(" not in text
    sources = re.findall(r'\ssrc="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    figures = _figures(page)
    assert len(figures) == 2  # one slider per benchmark image
    for figure, name in zip(figures, ("a.png", "b.png")):
        hr = np.asarray(Image.open(bench / "HR" / name))
        lr = np.asarray(Image.open(bench / "LR_bicubic_x4" / name))
        assert list(figure) == ["bicubic", "A", "HR"]
        np.testing.assert_array_equal(figure["HR"], hr)  # lossless, the right file
        np.testing.assert_array_equal(figure["bicubic"], imresize(lr, scale=4))
        assert figure["A"].shape == hr.shape and not np.array_equal(figure["A"], figure["bicubic"])
    # The scores table: bicubic's PSNR is the metric's (paper protocol: Y, 4 px border); HR has none.
    hr = np.asarray(Image.open(bench / "HR" / "a.png"))
    bicubic_psnr = psnr(imresize(np.asarray(Image.open(bench / "LR_bicubic_x4" / "a.png")), scale=4), hr, crop_border=4)
    first_table = page.split('class="sr-scores"', 1)[1].split("</table>", 1)[0]
    assert f"<tr><td>bicubic</td><td>{bicubic_psnr:.2f}</td>" in first_table
    assert "<tr><td>HR</td><td>–</td><td>–</td>" in first_table
    # the images start at bicubic (left) against the model (right), at the zoom asked for
    assert 'class="sr-over" alt="bicubic"' in page and 'class="sr-under" alt="A"' in page
    assert f"width: {40 * ZOOM}px; height: {32 * ZOOM}px" in page
    assert 'role="slider"' in page and 'aria-valuenow="50"' in page


def test_html_output_follows_the_output_rule(tmp_path, capsys):
    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    args = ["compare", "--weights", f"A={tmp_path / 'g.safetensors'}", "--data", str(bench)]
    out = tmp_path / "r.html"
    out.write_text("mine")
    assert main(args + ["--html", str(out)]) == 2  # exists: kept
    assert out.read_text() == "mine" and "--overwrite" in capsys.readouterr().err
    assert main(args + ["--html", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    hr_file = bench / "HR" / "a.png"
    before = hr_file.read_bytes()
    assert main(args + ["--out", str(hr_file), "--overwrite"]) == 2  # an input, never replaced
    assert hr_file.read_bytes() == before and "is an input" in capsys.readouterr().err
    # --out refused (exists) => --html not written either: both are checked before any work
    png, page = tmp_path / "taken.png", tmp_path / "new.html"
    png.write_bytes(b"x")
    assert main(args + ["--out", str(png), "--html", str(page)]) == 2
    assert not page.exists() and png.read_bytes() == b"x"
    assert main(args) == 2 and "--html" in capsys.readouterr().err  # neither output: one line, nothing done
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_slider_rejects_images_of_different_sizes():
    from srgan.report import slider_figure

    a, b = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8)
    with pytest.raises(ValueError, match="one size"):
        slider_figure({"a": a, "b": b})
    with pytest.raises(ValueError, match="not one of the images"):
        slider_figure({"a": a, "b": a}, left="c")


@pytest.fixture(scope="module")
def browser():
    if not HAVE_CHROMIUM:
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev and book extras")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--force-device-scale-factor=1", "--window-size=900,900",
                     f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                                  options=options)
        try:
            yield driver
        finally:
            driver.quit()


def _shot(element) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB"))


def _check_slider_in_chromium(browser, page: Path, *, left: str, right: str, other: str, tmp_path: Path) -> None:
    """The page's first slider, shown at ZOOM:1 with `left` | `right`: loads with no console errors,
    shows the images' own pixels, follows a pointer drag and the arrow keys, and the right-hand
    menu swaps in `other`."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    figure = _figures(page.read_text(encoding="utf-8"))[0]
    height, width = figure[left].shape[:2]
    browser.get(page.as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    stage = browser.find_element(By.CSS_SELECTOR, "#" + browser.find_element(By.CSS_SELECTOR, ".sr-slider").get_attribute("id")
                                 + " .sr-stage")
    assert stage.size == {"width": width * ZOOM, "height": height * ZOOM}  # as asked
    value = lambda: int(stage.get_attribute("aria-valuenow"))  # noqa: E731
    before = _shot(stage)
    # Shown pixels are the images' pixels, each a ZOOM x ZOOM square (image-rendering: pixelated):
    # left of the handle (at 50 %) `left`, right of it `right` (the last two rows, away from the labels).
    big = lambda image: image.repeat(ZOOM, axis=0).repeat(ZOOM, axis=1)  # noqa: E731
    rows = slice((height - 2) * ZOOM, height * ZOOM)
    cut_l, cut_r = int(0.45 * width) * ZOOM, (int(0.55 * width) + 1) * ZOOM
    np.testing.assert_array_equal(before[rows, :cut_l], big(figure[left])[rows, :cut_l])
    np.testing.assert_array_equal(before[rows, cut_r:], big(figure[right])[rows, cut_r:])

    # Drag the handle from the middle to 80 % of the width.
    ActionChains(browser).move_to_element(stage).click_and_hold().move_by_offset(int(0.3 * stage.size["width"]), 0) \
        .release().perform()
    assert 78 <= value() <= 82
    after = _shot(stage)
    assert "inset(0px 2" in stage.find_element(By.CSS_SELECTOR, ".sr-over").value_of_css_property("clip-path")  # ~20 % clipped
    # Between the old and the new handle the right-hand image's pixels gave way to the left one's.
    band = (rows, slice(cut_r, int(0.75 * width) * ZOOM))
    assert not np.array_equal(before[band], after[band])
    np.testing.assert_array_equal(after[band], big(figure[left])[band])
    Image.fromarray(before).save(tmp_path / "before.png")  # kept for a look with --basetemp
    Image.fromarray(after).save(tmp_path / "after.png")

    # Keyboard: the stage has focus after the drag; arrows move by 1, Shift+arrow by 10, Home to 0.
    start = value()
    stage.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT, Keys.ARROW_LEFT)
    assert value() == start - 3
    stage.send_keys(Keys.ARROW_RIGHT)
    assert value() == start - 2
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ARROW_LEFT).key_up(Keys.SHIFT).perform()
    assert value() == start - 12
    stage.send_keys(Keys.HOME)
    assert value() == 0
    np.testing.assert_array_equal(_shot(stage)[rows, 4 * ZOOM :], big(figure[right])[rows, 4 * ZOOM :])  # all right-hand now

    # The menus swap the methods, and the images' alt text follows them (it kept the first method's: reader s23).
    browser.find_element(By.CSS_SELECTOR, f".sr-pick-right option[value='{other}']").click()
    stage.send_keys(Keys.HOME)
    np.testing.assert_array_equal(_shot(stage)[rows, 4 * ZOOM :], big(figure[other])[rows, 4 * ZOOM :])
    assert stage.find_element(By.CSS_SELECTOR, ".sr-under").get_attribute("alt") == other
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    # the console check is not blind: an error the page logs is seen
    browser.execute_script("console.error('probe')")
    assert any("probe" in e["message"] for e in browser.get_log("browser"))


def test_slider_in_chromium_drags_and_follows_the_arrow_keys(report, browser, tmp_path):
    _check_slider_in_chromium(browser, report[0], left="bicubic", right="A", other="HR", tmp_path=tmp_path)


def test_photo_slider_in_chromium_drags_and_follows_the_arrow_keys(photo_report, browser, tmp_path):
    _check_slider_in_chromium(browser, photo_report[0], left="bicubic", right="B", other="A", tmp_path=tmp_path)


def _three_images(h=12, w=20):
    rng = np.random.default_rng(3)
    return {label: rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for label in ("bicubic", "SRGAN", "HR")}


def test_notebook_slider_png_fallback_is_the_same_view():
    from srgan import viz

    images = _three_images()
    s = viz.slider(images, zoom=3, position=25)  # bicubic | SRGAN (HR is not the default right side)
    still = np.asarray(Image.open(io.BytesIO(s._repr_png_())).convert("RGB"))
    assert still.shape == (12 * 3, 20 * 3, 3)
    big = lambda image: image.repeat(3, axis=0).repeat(3, axis=1)  # noqa: E731
    rows = slice(20, 36)  # below the labels
    np.testing.assert_array_equal(still[rows, : 5 * 3 - 1], big(images["bicubic"])[rows, : 5 * 3 - 1])  # 25 % = 5 px
    np.testing.assert_array_equal(still[rows, 5 * 3 + 1 :], big(images["SRGAN"])[rows, 5 * 3 + 1 :])
    assert (still[rows, 5 * 3] == 255).all()  # the handle
    html = s._repr_html_()
    assert 'role="slider"' in html and "<script>" in html and 'aria-valuenow="25"' in html
    with pytest.raises(ValueError, match="not one of the images"):
        viz.slider(images, right="SRResNet")


def test_two_notebook_sliders_on_one_page_work_independently(browser, tmp_path):
    """A book page holds several outputs, each with its own copy of the script: every slider is
    set up once and answers on its own."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from srgan import viz

    page = tmp_path / "page.html"
    outputs = [viz.slider(_three_images(), zoom=2)._repr_html_(), viz.slider(_three_images(16, 16), zoom=2)._repr_html_()]
    page.write_text("<!DOCTYPE html><html><body>" + "<div class='output'>" + "</div><div class='output'>".join(outputs)
                    + "</div></body></html>", encoding="utf-8")
    browser.get(page.as_uri())
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    first, second = browser.find_elements(By.CSS_SELECTOR, ".sr-stage")
    first.send_keys(Keys.ARROW_RIGHT)  # one handler per slider: one step, not two
    second.send_keys(Keys.END)
    assert (first.get_attribute("aria-valuenow"), second.get_attribute("aria-valuenow")) == ("51", "100")


def test_compare_takes_the_selection_set_by_name_as_evaluate_does(tmp_path, monkeypatch, capsys):
    """`srgan compare --data selection` (as `srgan evaluate --data selection`): the held-out BSDS200
    photos, LR by the paper's degradation; the PNG of crops and the page both made, and the photos
    are inputs no output may replace."""
    from srgan.data import SELECTION_IDS

    folder = tmp_path / "datasets" / "BSDS200"
    folder.mkdir(parents=True)
    for i, name in enumerate(SELECTION_IDS):
        _photo(folder / f"{name}.png", 40, 48, seed=i)
    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path))
    weights = _tiny_generator(tmp_path / "g.safetensors")
    first_two = [f"{n}.png" for n in SELECTION_IDS[:2]]
    assert main(["compare", "--weights", f"A={weights}", "--data", "selection", "--images", *first_two,
                 "--out", str(tmp_path / "crops.png"), "--html", str(tmp_path / "page.html"), "--no-progress"]) == 0
    page = (tmp_path / "page.html").read_text()
    assert all(name in page for name in first_two) and SELECTION_IDS[2] not in page
    assert Image.open(tmp_path / "crops.png").size[0] > 0
    photo = folder / first_two[0]
    assert main(["compare", "--weights", f"A={weights}", "--data", "selection", "--out", str(photo), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "is an input of this command" in err, err
