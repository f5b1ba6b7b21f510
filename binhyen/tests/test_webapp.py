"""The portal installs as a web app: manifest, service worker from the root, offline page and
icons; the tip pages leave nothing of it on a tipster's phone."""

from __future__ import annotations

import io
import json

import pytest
from django.templatetags.static import static
from django.test import Client
from PIL import Image

pytestmark = pytest.mark.django_db


def manifest(client: Client) -> dict:
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    assert "private" in response["Cache-Control"]
    return json.loads(response.content)


def test_the_manifest_is_vietnamese_with_icons_that_exist(client) -> None:
    data = manifest(client)
    assert data["short_name"] == "Bình Yên" and data["lang"] == "vi"
    assert data["display"] == "standalone" and data["scope"] == "/"
    assert "Quản lý mô hình" in data["description"]
    sizes = set()
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add((image.width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes
    assert client.get("/icons/180.png").status_code == 200  # iOS's home screen
    assert client.get("/icons/100.png").status_code == 404


@pytest.mark.parametrize(
    ("who", "start"),
    [("head_b", "/reports/"), ("officer_a", "/checklist/"), ("police", "/"), ("leader", "/")],
)
def test_the_app_opens_on_each_roles_daily_page(client, personas, who, start) -> None:
    client.force_login(personas[who])
    assert manifest(client)["start_url"] == start


def test_the_service_worker_comes_from_the_root_and_keeps_no_page(client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200 and response["Content-Type"] == "text/javascript"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    kept = json.loads(script.split("const KEPT = ")[1].split(";")[0])
    assert kept[0] == "/offline/" and all(url.startswith("/static/") for url in kept[1:])
    # the drafts' store the pages use (static/js/draft-store.js), by its static address
    assert f'importScripts("{static("js/draft-store.js")}")' in script


def test_the_offline_page_names_nobody(client, police) -> None:
    client.force_login(police)
    page = client.get("/offline/").content.decode()
    assert "Không có kết nối" in page and str(police) not in page and "113" in page


def test_signed_in_pages_link_the_app_and_tip_pages_do_not(client, commune, police) -> None:
    client.force_login(police)
    assert 'rel="manifest"' in client.get("/password/change/").text
    tip = Client().get(f"/tip/{commune.code}/").text
    assert 'rel="manifest"' not in tip and "js/app" not in tip
