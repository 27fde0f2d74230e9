"""`srgan compare --html`: one self-contained page of before/after sliders (srgan/report.py).

The page is read as text (nothing fetched from the network, the inline images are the
methods' pixels, the scores are the metrics') and opened in headless Chromium: no console
errors, a pointer drag moves the handle and changes the pixels shown, the arrow keys move it.
A 1-block, 8-channel generator on 32x40 px images keeps it to seconds.
"""

import base64
import io
import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
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
    from srgan.config import ModelConfig
    from srgan.models import Generator

    root = tmp_path_factory.mktemp("report")
    bench = _benchmark(root / "bench", sizes=((32, 40), (24, 24)))
    save_generator(Generator(num_blocks=1, channels=8), root / "g.safetensors", ModelConfig(num_blocks=1, channels=8))
    out = root / "report.html"
    assert main(["compare", "--weights", f"A={root / 'g.safetensors'}", "--data", str(bench), "--html", str(out),
                 "--zoom", str(ZOOM)]) == 0
    return out, bench


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
    from srgan.config import ModelConfig
    from srgan.models import Generator

    bench = _benchmark(tmp_path / "bench")
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors", ModelConfig(num_blocks=1, channels=8))
    args = ["compare", "--weights", f"A={tmp_path / 'g.safetensors'}", "--data", str(bench)]
    out = tmp_path / "r.html"
    out.write_text("mine")
    assert main(args + ["--html", str(out)]) == 2  # exists: kept
    assert out.read_text() == "mine" and "--overwrite" in capsys.readouterr().err
    assert main(args + ["--html", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    hr_file = bench / "HR" / "a.png"
    before = hr_file.read_bytes()
    assert main(args + ["--html", str(hr_file), "--overwrite"]) == 2  # an input, never replaced
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


def test_slider_in_chromium_drags_and_follows_the_arrow_keys(report, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out, _ = report
    figure = _figures(out.read_text(encoding="utf-8"))[0]
    browser.get(out.as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    stage = browser.find_element(By.CSS_SELECTOR, "#" + browser.find_element(By.CSS_SELECTOR, ".sr-slider").get_attribute("id")
                                 + " .sr-stage")
    assert stage.size == {"width": 40 * ZOOM, "height": 32 * ZOOM}  # 4:1, as asked
    value = lambda: int(stage.get_attribute("aria-valuenow"))  # noqa: E731
    before = _shot(stage)
    # Shown pixels are the images' pixels, each a ZOOM x ZOOM square (image-rendering: pixelated):
    # left of the handle bicubic, right of it the model (rows 30-31 at 1:1, away from the labels).
    big = lambda image: image.repeat(ZOOM, axis=0).repeat(ZOOM, axis=1)  # noqa: E731
    rows = slice(30 * ZOOM, 32 * ZOOM)
    np.testing.assert_array_equal(before[rows, : 18 * ZOOM], big(figure["bicubic"])[rows, : 18 * ZOOM])
    np.testing.assert_array_equal(before[rows, 22 * ZOOM :], big(figure["A"])[rows, 22 * ZOOM :])

    # Drag the handle from the middle to 80 % of the width.
    width = stage.size["width"]
    ActionChains(browser).move_to_element(stage).click_and_hold().move_by_offset(int(0.3 * width), 0).release().perform()
    assert 78 <= value() <= 82
    after = _shot(stage)
    assert "inset(0px 2" in stage.find_element(By.CSS_SELECTOR, ".sr-over").value_of_css_property("clip-path")  # ~20 % clipped
    # Between the old and the new handle the model's pixels gave way to bicubic's.
    band = (slice(30 * ZOOM, 32 * ZOOM), slice(22 * ZOOM, 30 * ZOOM))
    assert not np.array_equal(before[band], after[band])
    np.testing.assert_array_equal(after[band], big(figure["bicubic"])[band])
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
    np.testing.assert_array_equal(_shot(stage)[rows, 4 * ZOOM :], big(figure["A"])[rows, 4 * ZOOM :])  # all model now

    # The menus swap the methods: HR on the right.
    browser.find_element(By.CSS_SELECTOR, ".sr-pick-right option[value='HR']").click()
    stage.send_keys(Keys.HOME)
    np.testing.assert_array_equal(_shot(stage)[rows, 4 * ZOOM :], big(figure["HR"])[rows, 4 * ZOOM :])
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    # the console check is not blind: an error the page logs is seen
    browser.execute_script("console.error('probe')")
    assert any("probe" in e["message"] for e in browser.get_log("browser"))


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
