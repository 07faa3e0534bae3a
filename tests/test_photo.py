"""The shared photo preprocessing (core/photo.py) of both photo experiments: every
mode, size and EXIF orientation becomes an upright RGB picture, bad files a clear error."""

import io
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from core import ROOT
from core import photo as photos
from core.errors import BadInput
from ui.shared import photo_input

COFFEE = ROOT / "ui" / "examples" / "photos" / "coffee.jpg"
ORIENTATION = 0x0112  # the EXIF tag


@pytest.fixture(scope="module")
def coffee() -> Image.Image:
    return Image.open(COFFEE).convert("RGB")


def saved(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


@pytest.mark.parametrize(
    "mode", ["RGB", "RGBA", "LA", "L", "1", "P", "CMYK", "I;16", "I", "F", "YCbCr"]
)
def test_every_pillow_mode_becomes_rgb_of_the_same_size(coffee, mode, tmp_path):
    image = coffee.convert(mode) if mode not in ("I;16", "I", "F") else grey(coffee, mode)
    fmt = {"CMYK": "JPEG", "YCbCr": "JPEG", "F": "TIFF", "I": "TIFF"}.get(mode, "PNG")
    path = saved(image, tmp_path / f"photo.{fmt.lower()}", format=fmt)
    out = photos.open_photo(path)
    assert out.mode == "RGB" and out.size == coffee.size


def grey(image: Image.Image, mode: str) -> Image.Image:
    values = np.asarray(image.convert("L"), np.float64)
    if mode == "F":
        return Image.fromarray((values / 255).astype(np.float32), "F")
    return Image.fromarray((values * 257).astype(np.uint16 if mode == "I;16" else np.int32))


def test_sixteen_bit_grey_keeps_its_contrast(coffee, tmp_path):
    path = saved(grey(coffee, "I;16"), tmp_path / "deep.png")
    out = np.asarray(photos.open_photo(path))[..., 0].astype(int)
    expected = np.asarray(coffee.convert("L")).astype(int)
    assert np.abs(out - expected).max() <= 1


def test_transparent_pixels_are_laid_over_white(tmp_path):
    image = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    image.paste((200, 10, 10, 255), (0, 0, 32, 48))
    out = np.asarray(photos.open_photo(saved(image, tmp_path / "alpha.png")))
    assert tuple(out[0, 0]) == (200, 10, 10) and tuple(out[0, -1]) == (255, 255, 255)


@pytest.mark.parametrize("orientation, turn", [(3, 180), (6, 90), (8, 270)])
def test_exif_orientation_turns_the_photo_upright(coffee, orientation, turn, tmp_path):
    # A camera stores the pixels turned and says in EXIF how to turn them back.
    stored = coffee.rotate(turn, expand=True)  # Pillow turns counter-clockwise
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    path = saved(stored, tmp_path / "camera.jpg", exif=exif, quality=95)
    out = photos.open_photo(path)
    assert out.size == coffee.size
    difference = np.abs(np.asarray(out, int) - np.asarray(coffee, int)).mean()
    assert difference < 4  # only JPEG noise is left


def test_numpy_frames_from_the_webcam_are_accepted(coffee):
    frame = np.asarray(coffee)
    assert np.array_equal(np.asarray(photos.open_photo(frame)), frame)
    assert photos.open_photo(frame.astype(np.float32) / 255).size == coffee.size


def test_huge_photo_is_shrunk_and_over_the_limit_is_refused(tmp_path):
    big = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    out = photos.open_photo(saved(big, tmp_path / "big.jpg", quality=70))
    assert max(out.size) <= photos.WORK_SIDE and out.size[0] > out.size[1]
    giant = Image.new("1", (12_000, 10_000))
    giant.paste(1, (0, 0, 6_000, 10_000))
    with pytest.raises(BadInput, match="megapixels"):
        photos.open_photo(saved(giant, tmp_path / "giant.png"))


def test_non_images_truncated_tiny_and_blank_files_get_a_clear_error(coffee, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    with pytest.raises(BadInput, match="not an image"):
        photos.open_photo(text)
    data = io.BytesIO()
    coffee.save(data, format="JPEG")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data.getvalue()[: len(data.getvalue()) // 3])
    with pytest.raises(BadInput, match="damaged or truncated"):
        photos.open_photo(truncated)
    with pytest.raises(BadInput, match="too small"):
        photos.open_photo(coffee.resize((12, 8)))
    with pytest.raises(BadInput, match="blank"):
        photos.open_photo(Image.new("RGB", (300, 200), (30, 90, 160)))
    with pytest.raises(BadInput, match="No photo"):
        photos.open_photo(None)


def test_square_crops_the_centre_or_resizes_the_whole_photo():
    image = Image.new("RGB", (300, 100), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 80, 100))  # black on the left, outside the centre
    cropped, resized = photos.square(image, 50, crop=True), photos.square(image, 50, crop=False)
    assert cropped.shape == resized.shape == (50, 50, 3)
    assert cropped.min() == 255  # the centre square is all white
    assert resized[:, :10].max() == 0  # the black part is still there, squeezed


def test_photo_input_turns_an_unreadable_upload_into_a_clear_error():
    import shutil

    from gradio.data_classes import ImageData
    from gradio.utils import get_upload_folder

    uploads = Path(get_upload_folder()) / "test_photo"  # only uploads are ever opened
    uploads.mkdir(parents=True, exist_ok=True)
    text = uploads / "notes.txt"
    text.write_text("not a photo")
    coffee = Path(shutil.copy(COFFEE, uploads / "coffee.jpg"))
    component = photo_input()
    with pytest.raises(gr.Error, match="`notes.txt` is not an image"):
        component.preprocess(ImageData(path=str(text), orig_name="notes.txt"))
    photo = component.preprocess(ImageData(path=str(coffee), orig_name="coffee.jpg"))
    assert photo == str(coffee)  # the file as sent, for open_photo
    with pytest.raises(gr.Error, match="not uploaded to this server"):
        component.preprocess(ImageData(path=str(COFFEE), orig_name="coffee.jpg"))
