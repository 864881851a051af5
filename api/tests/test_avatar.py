"""POST and DELETE /users/me/avatar: only real pictures, at most 2 MB, stored re-encoded and
small; the same rules as the settings page's upload (typingtrainer/tests/test_avatar_page.py)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import PASSWORD
from typingtrainer.avatars import MAX_BYTES

from .test_users import delete_me

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/avatar"


def picture(fmt: str = "PNG", size: tuple[int, int] = (600, 400), **save: object) -> bytes:
    image = Image.new("RGB", size, (200, 40, 90))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored(learner) -> Image.Image:
    learner.refresh_from_db()
    with default_storage.open(learner.avatar.name) as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming width×height pixels, with a tiny compressed body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    body = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_a_picture_is_stored_re_encoded_and_at_most_256_pixels(
    api, learner, settings, fmt, content_type
):
    response = api.upload(URL, {"avatar": upload(f"me.{fmt.lower()}", picture(fmt), content_type)})

    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    learner.refresh_from_db()
    assert url == settings.SITE_URL + learner.avatar.url  # absolute, for an app
    assert learner.avatar.name.endswith(".webp")
    image = stored(learner)
    assert image.format == "WEBP"
    assert image.size == (256, 171)  # 600×400 scaled to fit, proportions kept


def test_metadata_is_stripped(api, learner):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x010E] = "Lena at home, 12 Example Street"  # ImageDescription
    data = picture("JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif()  # the upload has it

    api.upload(URL, {"avatar": upload("me.jpg", data, "image/jpeg")})

    image = stored(learner)
    assert not image.getexif()
    assert "exif" not in image.info
    assert "icc_profile" not in image.info


def test_a_small_picture_is_not_enlarged(api, learner):
    api.upload(URL, {"avatar": upload("me.png", picture(size=(40, 30)))})
    assert stored(learner).size == (40, 30)


def test_a_new_picture_replaces_the_old_file(api, learner):
    api.upload(URL, {"avatar": upload("a.png", picture())})
    learner.refresh_from_db()
    first = learner.avatar.name

    response = api.upload(URL, {"avatar": upload("b.png", picture(size=(100, 100)))})

    learner.refresh_from_db()
    assert learner.avatar.name != first
    assert not default_storage.exists(first)
    assert response.json()["avatar_url"].endswith(learner.avatar.url)


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(api, learner):
    fake = upload("me.png", b"<?php system($_GET['c']); ?>" + b"x" * 200)

    response = api.upload(URL, {"avatar": fake})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_image"
    assert error["message"] == "The file is not a PNG, JPEG, WebP or GIF image."
    assert error["fields"] == {"avatar": [error["message"]]}
    learner.refresh_from_db()
    assert not learner.avatar


def test_another_image_format_is_refused(api):
    data = picture("BMP")
    response = api.upload(URL, {"avatar": upload("me.bmp", data, "image/bmp")})
    assert response.status_code == 422
    assert "not a PNG, JPEG, WebP or GIF" in response.json()["error"]["message"]


def test_a_truncated_image_is_refused(api, learner):
    out = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(out, format="PNG")  # incompressible
    cut = out.getvalue()[: len(out.getvalue()) // 2]

    response = api.upload(URL, {"avatar": upload("me.png", cut)})

    assert response.status_code == 422
    assert "damaged or incomplete" in response.json()["error"]["message"]
    learner.refresh_from_db()
    assert not learner.avatar


@pytest.mark.parametrize(
    "size",
    [
        (100_000, 100_000),  # ten gigapixels: Pillow itself refuses to open it
        (10_000, 8_000),  # 80 megapixels: opens, but more than any avatar needs
    ],
)
def test_a_decompression_bomb_is_refused_without_decoding_it(api, learner, size):
    bomb = png_bomb(*size)
    assert len(bomb) < 2000

    response = api.upload(URL, {"avatar": upload("bomb.png", bomb)})

    assert response.status_code == 422
    assert "up to 50 megapixels" in response.json()["error"]["message"]
    learner.refresh_from_db()
    assert not learner.avatar


def test_a_file_over_2_mb_is_a_413_before_it_is_decoded(api, learner):
    big = picture("PNG", size=(10, 10)) + b"\0" * MAX_BYTES  # a valid image, padded

    response = api.upload(URL, {"avatar": upload("big.png", big)})

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert "larger than 2 MB" in error["message"]
    learner.refresh_from_db()
    assert not learner.avatar


def test_an_empty_file_or_no_file_is_a_422(api):
    empty = api.upload(URL, {"avatar": upload("me.png", b"")})
    missing = api.upload(URL, {})

    assert empty.status_code == 422
    assert missing.status_code == 422
    assert any(name.endswith("avatar") for name in missing.json()["error"]["fields"])


def test_delete_removes_the_picture_and_its_file(api, learner):
    api.upload(URL, {"avatar": upload("me.png", picture())})
    learner.refresh_from_db()
    name = learner.avatar.name

    response = api.delete(URL)

    assert response.status_code == 204
    learner.refresh_from_db()
    assert not learner.avatar
    assert not default_storage.exists(name)
    assert api.get("/api/v1/users/me").json()["avatar_url"] is None
    assert api.delete(URL).status_code == 204  # nothing to remove is fine


def test_the_avatar_needs_a_token(anonymous_api):
    assert anonymous_api.upload(URL, {"avatar": upload("me.png", picture())}).status_code == 401
    assert anonymous_api.delete(URL).status_code == 401


def test_deleting_the_account_deletes_the_picture(api, learner):
    api.upload(URL, {"avatar": upload("me.png", picture())})
    learner.refresh_from_db()
    name = learner.avatar.name

    assert delete_me(api, {"password": PASSWORD}).status_code == 204
    assert not default_storage.exists(name)


def test_the_header_and_the_settings_page_show_the_picture(api, learner, client):
    api.upload(URL, {"avatar": upload("me.png", picture())})
    learner.refresh_from_db()
    client.force_login(learner)

    page = client.get("/accounts/settings/").content.decode()

    header = page[page.index("<header") : page.index("</header>")]
    assert f'<img class="avatar" src="{learner.avatar.url}"' in header
    assert f'src="{learner.avatar.url}"' in page[page.index("<h1>Settings") :]
