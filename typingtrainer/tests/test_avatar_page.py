"""The picture on the settings page: uploaded with the settings form, checked and re-encoded by
the same function as the API's upload, shown in the header and on the page, removable."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from typingtrainer.avatars import MAX_BYTES

pytestmark = pytest.mark.django_db

SETTINGS = {
    "display_name": "Lena",
    "keyboard_layout": "qwerty",
    "daily_goal_minutes": 10,
    "time_zone": "UTC",
    "weekly_email": "on",
}


def png(size: tuple[int, int] = (512, 512)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def test_the_settings_form_uploads_a_picture_shown_in_the_header(client, learner):
    client.force_login(learner)
    form = client.get("/accounts/settings/").content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file" name="avatar"' in form

    response = client.post("/accounts/settings/", {**SETTINGS, "avatar": png()}, follow=True)

    assert b"Your settings are saved." in response.content
    learner.refresh_from_db()
    with default_storage.open(learner.avatar.name) as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert (stored.format, stored.size) == ("WEBP", (256, 256))
    page = response.content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    assert f'src="{learner.avatar.url}"' in header
    assert 'alt="Your picture"' in page


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (SimpleUploadedFile("me.png", b"GIF89a but not really"), "is not a PNG, JPEG, WebP or GIF"),
        (SimpleUploadedFile("me.png", b"\0" * (MAX_BYTES + 1)), "larger than 2 MB"),
    ],
)
def test_a_bad_upload_is_explained_and_nothing_is_saved(client, learner, upload, says):
    client.force_login(learner)

    response = client.post(
        "/accounts/settings/", {**SETTINGS, "display_name": "New", "avatar": upload}
    )

    assert response.status_code == 200
    assert says in response.content.decode()
    learner.refresh_from_db()
    assert not learner.avatar
    assert learner.display_name == "Lena"


def test_remove_my_picture_deletes_it(client, learner):
    client.force_login(learner)
    client.post("/accounts/settings/", {**SETTINGS, "avatar": png()})
    learner.refresh_from_db()
    name = learner.avatar.name
    assert "Remove my picture" in client.get("/accounts/settings/").content.decode()

    client.post("/accounts/settings/", {**SETTINGS, "remove_avatar": "on"})

    learner.refresh_from_db()
    assert not learner.avatar
    assert not default_storage.exists(name)
    assert "<img" not in client.get("/accounts/settings/").content.decode()
