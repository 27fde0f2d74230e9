"""Reading and writing image files: layouts kept or converted, bad files named, atomic writes."""

from __future__ import annotations

import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from srgan.image_io import IMAGE_EXTENSIONS, ImageReadError, list_images, read_image, read_image_full, save_image


def write_png16(path, array: np.ndarray) -> None:
    """A 16-bit PNG written by hand (PIL cannot write 16-bit colour). array: uint16 (H, W, C)."""
    h, w, c = array.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def rgb():
    return np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)


def test_read_image_is_always_uint8_rgb(tmp_path, rgb):
    gray = rgb[:, :, 0]
    Image.fromarray(gray).save(tmp_path / "g.png")
    Image.fromarray(np.dstack([rgb, gray])).save(tmp_path / "a.png")
    for name in ("g.png", "a.png"):
        arr = read_image(tmp_path / name)
        assert arr.dtype == np.uint8 and arr.shape == (6, 10, 3)
    np.testing.assert_array_equal(read_image(tmp_path / "g.png")[:, :, 2], gray)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgb)


def test_read_image_full_keeps_gray_alpha_and_16_bit_gray(tmp_path, rgb):
    gray = rgb[:, :, 0]
    Image.fromarray(gray).save(tmp_path / "g.png")
    Image.fromarray(np.dstack([gray, rgb[:, :, 1]])).save(tmp_path / "la.png")
    Image.fromarray(np.dstack([rgb, gray])).save(tmp_path / "rgba.png")
    g16 = np.random.default_rng(1).integers(0, 65536, (5, 7), dtype=np.uint16)
    write_png16(tmp_path / "g16.png", g16[:, :, None])

    np.testing.assert_array_equal(read_image_full(tmp_path / "g.png"), gray)
    np.testing.assert_array_equal(read_image_full(tmp_path / "la.png"), np.dstack([gray, rgb[:, :, 1]]))
    np.testing.assert_array_equal(read_image_full(tmp_path / "rgba.png"), np.dstack([rgb, gray]))
    g = read_image_full(tmp_path / "g16.png")
    assert g.dtype == np.uint16
    np.testing.assert_array_equal(g, g16)
    with pytest.warns(UserWarning, match="16-bit"):
        assert read_image(tmp_path / "g16.png").dtype == np.uint8


def test_16_bit_colour_is_read_as_8_bit_with_a_warning_naming_the_file(tmp_path):
    rgb16 = np.random.default_rng(2).integers(0, 65536, (4, 5, 3), dtype=np.uint16)
    write_png16(tmp_path / "rgb16.png", rgb16)
    with pytest.warns(UserWarning, match=r"rgb16\.png: 16-bit RGB"):
        arr = read_image_full(tmp_path / "rgb16.png")
    assert arr.dtype == np.uint8
    assert np.abs(arr.astype(int) - (rgb16 >> 8)).max() <= 1


def test_palette_cmyk_and_bilevel_become_plain_modes(tmp_path, rgb):
    Image.fromarray(rgb).convert("P").save(tmp_path / "p.png")
    p_alpha = Image.fromarray(rgb).convert("P")
    p_alpha.info["transparency"] = 0
    p_alpha.save(tmp_path / "pt.png", transparency=0)
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.jpg")
    Image.fromarray(rgb[:, :, 0] > 127).save(tmp_path / "b.png")
    assert read_image_full(tmp_path / "p.png").shape == (6, 10, 3)
    assert read_image_full(tmp_path / "pt.png").shape == (6, 10, 4)
    assert read_image_full(tmp_path / "c.jpg").shape == (6, 10, 3)
    bilevel = read_image_full(tmp_path / "b.png")
    assert bilevel.shape == (6, 10) and set(np.unique(bilevel)) <= {0, 255}


def test_exif_orientation_is_applied(tmp_path, rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": phones store portrait photos like this
    Image.fromarray(rgb).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    assert read_image_full(tmp_path / "phone.jpg").shape == (10, 6, 3)
    assert read_image(tmp_path / "phone.jpg").shape == (10, 6, 3)


def test_bad_files_raise_errors_naming_the_file(tmp_path, rgb):
    Image.fromarray(rgb).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    for name in ("truncated.png", "empty.jpg", "text.png"):
        with pytest.raises(ImageReadError, match=name):
            read_image_full(tmp_path / name)
        with pytest.raises(ImageReadError, match=name):
            read_image(tmp_path / name)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        read_image_full(tmp_path / "missing.png")


def test_save_image_round_trips_layouts(tmp_path, rgb):
    g16 = np.random.default_rng(3).integers(0, 65536, (6, 10), dtype=np.uint16)
    cases = {
        "g.png": rgb[:, :, 0],
        "la.png": rgb[:, :, :2],
        "rgb.png": rgb,
        "rgba.png": np.dstack([rgb, rgb[:, :, 0]]),
        "g16.png": g16,
        "g16.tif": g16,
    }
    for name, array in cases.items():
        save_image(tmp_path / name, array)
        back = read_image_full(tmp_path / name)
        assert back.dtype == array.dtype, name
        np.testing.assert_array_equal(back, array, err_msg=name)


def test_save_image_converts_what_a_format_cannot_hold(tmp_path, rgb):
    with pytest.warns(UserWarning, match="transparency dropped"):
        save_image(tmp_path / "a.jpg", np.dstack([rgb, rgb[:, :, 0]]))
    assert read_image_full(tmp_path / "a.jpg").shape == (6, 10, 3)
    rgb16 = rgb.astype(np.uint16) * 257
    with pytest.warns(UserWarning, match="16-bit colour written as 8 bits"):
        save_image(tmp_path / "c16.png", rgb16)
    np.testing.assert_array_equal(read_image_full(tmp_path / "c16.png"), rgb)
    with pytest.raises(ValueError, match="shape"):
        save_image(tmp_path / "bad.png", np.zeros((4, 4, 5), np.uint8))


@pytest.mark.parametrize("extension", IMAGE_EXTENSIONS)
def test_every_layout_can_be_saved_in_every_format(tmp_path, rgb, extension):
    """`srgan upscale logo.png -o logo.bmp` of a gray + alpha image failed with PIL's 'cannot
    write mode LA as BMP'; an RGBA one lost its alpha in a BMP, and a gray + alpha one in a GIF,
    without a warning. Every layout upscale can produce is written in every format it offers;
    the transparency is kept where the format holds it (GIF: on/off only), else dropped, with a
    warning naming the file for what is lost."""
    import warnings

    gray, alpha = rgb[:, :, 0], rgb[:, :, 1].copy()
    alpha[0, 0], alpha[0, 1] = 0, 255  # one transparent pixel, one opaque, the others partly transparent
    layouts = {"L": gray, "LA": np.dstack([gray, alpha]), "RGB": rgb, "RGBA": np.dstack([rgb, alpha])}
    layouts.update({f"{k}16": v.astype(np.uint16) * 257 for k, v in list(layouts.items())})
    for name, array in layouts.items():
        path = tmp_path / f"{name}{extension}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            save_image(path, array)
        messages = [str(w.message) for w in caught if str(w.message).startswith(f"{path}: ")]
        back = read_image_full(path)
        assert back.shape[:2] == array.shape[:2], path
        if name.rstrip("16") not in ("LA", "RGBA"):
            continue
        if extension in (".png", ".tif", ".tiff", ".webp"):
            assert np.array_equal(back[:, :, -1], array[:, :, -1].astype(back.dtype) if back.dtype == array.dtype
                                  else alpha), path
        elif extension == ".gif":
            assert back.shape[2] == 4 and back[0, 0, 3] == 0 and back[0, 1, 3] == 255, path
            assert any("on/off transparency" in m for m in messages), (path, messages)
        else:
            assert back.ndim == 2 or back.shape[2] == 3, path
            assert any("transparency dropped" in m for m in messages), (path, messages)


def test_save_image_is_atomic(tmp_path, rgb, monkeypatch):
    target = tmp_path / "out.png"
    save_image(target, rgb)
    before = target.read_bytes()

    def interrupted_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"\x89PNG half")  # a partial file, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        save_image(target, 255 - rgb)
    assert target.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temp file left


def test_list_images(tmp_path, rgb):
    for name in ("b.png", "a.JPG", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "dir.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.JPG", "b.png"]
    with pytest.raises(FileNotFoundError, match="nope"):
        list_images(tmp_path / "nope")


def test_a_folder_lists_the_common_photo_formats(tmp_path, rgb):
    """A browser's .jfif download, an .avif phone export, a .ppm / .tga from other tools: a
    folder's listing left them out without a word (`srgan upscale DIR` said '1 written,
    0 failed', exit 0), while the same file named on the command line was upscaled."""
    for name in ("a.jfif", "b.jpe", "c.avif", "d.ppm", "e.pgm", "f.tga", "g.jp2", "h.png"):
        Image.fromarray(rgb).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "model.h5").write_bytes(b"")  # PIL registers .h5 (HDF5 stub); not an image
    listed = [p.name for p in list_images(tmp_path)]
    assert listed == ["a.jfif", "b.jpe", "c.avif", "d.ppm", "e.pgm", "f.tga", "g.jp2", "h.png"]
    for p in list_images(tmp_path):
        assert read_image(p).shape == rgb.shape, p


def test_pil_warnings_name_the_file(tmp_path, rgb):
    """PIL warns about damaged EXIF without saying which file; the warning now starts with it."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x010F, 2, 100, 0x1000) + b"\0\0\0\0"  # a tag pointing past the end
    Image.fromarray(rgb).save(tmp_path / "exif.jpg", exif=b"Exif\0\0MM\0\x2a\0\0\0\x08" + ifd)
    for read in (read_image, read_image_full):
        with pytest.warns(UserWarning) as caught:
            assert read(tmp_path / "exif.jpg").shape[:2] == rgb.shape[:2]
        assert [str(w.message) for w in caught] == [f"{tmp_path / 'exif.jpg'}: Tag data larger than file. Skipping tag 271"]


def test_netpbm_names_get_the_kind_they_name(tmp_path):
    """A colour SR saved as .pgm was a P6 (colour) file under a gray name, which other readers
    refuse: .pgm is written gray (601 luma) and .pbm black and white, each with a warning."""
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    with pytest.warns(UserWarning, match=r"a\.pgm: PGM holds gray only; the colour image written as gray"):
        save_image(tmp_path / "a.pgm", colour)
    with pytest.warns(UserWarning, match=r"b\.pbm: PBM holds black and white only"):
        save_image(tmp_path / "b.pbm", colour)
    assert (tmp_path / "a.pgm").read_bytes()[:2] == b"P5" and (tmp_path / "b.pbm").read_bytes()[:2] == b"P4"
    gray = np.asarray(Image.fromarray(colour).convert("L"))
    np.testing.assert_array_equal(read_image_full(tmp_path / "a.pgm"), gray)
    np.testing.assert_array_equal(read_image_full(tmp_path / "b.pbm") > 127, gray >= 128)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what the name holds is written as it is, silently
        save_image(tmp_path / "c.pgm", gray)
        save_image(tmp_path / "d.ppm", colour)
    np.testing.assert_array_equal(read_image_full(tmp_path / "c.pgm"), gray)
    np.testing.assert_array_equal(read_image_full(tmp_path / "d.ppm"), colour)


def test_a_gif_of_more_than_256_colours_is_said_to_be_quantised(tmp_path):
    """Hostile test of the CLI's messages, #6: `srgan upscale photo.png -o out.gif` reduced the photo to
    256 colours (a mean error of 7.7 grey levels) in silence, where .pgm and .pbm say what they lose.
    A gray image or one of few colours is written exactly, silently."""
    colour = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)  # 600 colours
    with pytest.warns(UserWarning, match=r"a\.gif: GIF holds 256 colours at most; the image written with a palette of 256"):
        save_image(tmp_path / "a.gif", colour)
    assert not np.array_equal(read_image_full(tmp_path / "a.gif"), colour)  # what the warning says: not exact
    few = colour // 64 * 64  # 64 colours
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_image(tmp_path / "b.gif", few)
        save_image(tmp_path / "c.gif", colour[:, :, 0])
    np.testing.assert_array_equal(read_image_full(tmp_path / "b.gif"), few)
    np.testing.assert_array_equal(read_image_full(tmp_path / "c.gif")[:, :, 0], colour[:, :, 0])  # read as gray RGB


def test_a_colour_key_becomes_the_alpha_it_means(tmp_path, rgb):
    """PNG's tRNS colour key on an RGB or gray image ("this colour is transparent"): read as an
    alpha channel, so `srgan upscale` keeps the transparency (it came out as solid key colour)."""
    keyed = rgb.copy()
    keyed[:2, :3] = (0, 255, 0)
    Image.fromarray(keyed).save(tmp_path / "rgb.png", transparency=(0, 255, 0))
    Image.fromarray(keyed[:, :, 1]).save(tmp_path / "gray.png", transparency=255)
    colour, gray = read_image_full(tmp_path / "rgb.png"), read_image_full(tmp_path / "gray.png")
    assert colour.shape == (6, 10, 4) and gray.shape == (6, 10, 2)
    for image, key in ((colour, keyed[:, :, :3] == (0, 255, 0)), (gray, keyed[:, :, 1] == 255)):
        transparent = key.all(axis=-1) if key.ndim == 3 else key
        assert (image[..., -1][transparent] == 0).all() and (image[..., -1][~transparent] == 255).all()


def test_an_empty_file_is_said_to_be_empty(tmp_path):
    """A zero-byte photo said only PIL's "cannot identify image file" (hostile s20)."""
    from srgan.image_io import ImageReadError, read_image, read_image_full

    (tmp_path / "zero.png").write_bytes(b"")
    for read in (read_image, read_image_full):
        with pytest.raises(ImageReadError, match=r"zero.png: cannot read image \(an empty file, 0 bytes\)"):
            read(tmp_path / "zero.png")
