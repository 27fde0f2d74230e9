"""Phone photos come out the way the phone shows them.

A phone stores a portrait or upside-down photo as the sensor's landscape pixels plus an EXIF
Orientation tag (0x0112) saying how to turn them for display. The tag's values (EXIF 2.3,
Table of TIFF tag 274): 3 = the stored image is upside down (turn it 180 degrees), 6 = its
first row is the right edge of the scene (turn it 90 degrees clockwise), 8 = its first row is
the left edge (turn it 90 degrees counter-clockwise). A marker in the stored top-left corner
therefore shows at the bottom right (3), top right (6) or bottom left (8). Reading 6 and 8 the
wrong way round would hand the network, and the user, an upside-down photo.
"""

import numpy as np
import pytest
from PIL import Image

from srgan.image_io import read_image, read_image_full, read_native

ORIENTATION = 0x0112
H, W, M = 24, 40, 8  # stored size (landscape) and the marker's side
# Where the stored top-left marker is seen: (top rows?, left columns?) of the displayed image.
SHOWN_AT = {1: ("top", "left"), 3: ("bottom", "right"), 6: ("top", "right"), 8: ("bottom", "left")}


def _phone_photo(path, orientation: int) -> None:
    """A dark landscape JPEG with a bright red square in its stored top-left corner."""
    pixels = np.full((H, W, 3), 30, dtype=np.uint8)
    pixels[:M, :M] = (250, 20, 20)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    Image.fromarray(pixels).save(path, exif=exif, quality=95)


def _corner(image: np.ndarray, vertical: str, horizontal: str) -> np.ndarray:
    rows = slice(0, M) if vertical == "top" else slice(image.shape[0] - M, image.shape[0])
    cols = slice(0, M) if horizontal == "left" else slice(image.shape[1] - M, image.shape[1])
    return image[rows, cols]


@pytest.mark.parametrize("read", [read_image, read_image_full, read_native], ids=lambda f: f.__name__)
@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_marker_lands_where_a_phone_shows_it(tmp_path, read, orientation):
    _phone_photo(tmp_path / "phone.jpg", orientation)
    image = read(tmp_path / "phone.jpg")
    portrait = orientation in (6, 8)
    assert image.shape == ((W, H, 3) if portrait else (H, W, 3))
    where = SHOWN_AT[orientation]
    corners = {(v, h): _corner(image, v, h).reshape(-1, 3).mean(axis=0) for v in ("top", "bottom") for h in ("left", "right")}
    red = corners.pop(where)
    assert red[0] > 200 and red[1] < 70 and red[2] < 70, (where, red)  # the marker, red
    for place, colour in corners.items():  # the other three corners stay dark
        assert colour.max() < 60, (place, colour)


@pytest.mark.parametrize("orientation, turn", [(3, 2), (6, -1), (8, 1)])  # np.rot90's k: +1 = counter-clockwise
def test_rotation_is_lossless_and_the_right_way_round(tmp_path, orientation, turn):
    """The displayed pixels are exactly the decoded stored pixels turned as the tag says."""
    _phone_photo(tmp_path / "phone.jpg", orientation)
    with Image.open(tmp_path / "phone.jpg") as im:
        stored = np.asarray(im.convert("RGB"))  # PIL's plain decode ignores the tag
    np.testing.assert_array_equal(read_image(tmp_path / "phone.jpg"), np.rot90(stored, k=turn))
