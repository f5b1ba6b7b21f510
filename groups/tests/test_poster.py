"""The A4 join poster of a Zalo group: what it says, that its QR code reads, and who may get it."""

import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.roles import Role
from conftest import make_user, skip_or_fail
from groups.models import ZaloGroup
from groups.poster import RULES_SUMMARY_CHARS, poster_filename, rules_summary
from groups.tests.factories import PeopleGroupFactory, ZaloGroupFactory

pytestmark = pytest.mark.django_db

LINK = "https://zalo.me/g/abcd1234efgh"
NAME = "Zalo kết nối bình yên – Tổ 3 Ấp Thuận Hòa"
DPI = 200


@pytest.fixture
def pdf_tools() -> None:
    """Rendering needs Pango (WeasyPrint) and reading needs poppler-utils."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # WeasyPrint raises OSError when Pango's libraries are missing
        skip_or_fail(f"WeasyPrint cannot load Pango: {exc}")
    for tool in ("pdftotext", "pdftoppm"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed (Debian package poppler-utils)")


@pytest.fixture
def group(hamlet_a, officer_a) -> ZaloGroup:
    officer_a.full_name = "Nguyễn Văn Đức"
    officer_a.phone = "0912345678"
    officer_a.save()
    return ZaloGroupFactory(
        hamlet=hamlet_a,
        people_group=PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 3"),
        name=NAME,
        invite_link=LINK,
        admin_officer=officer_a,
    )


def url(group: ZaloGroup) -> str:
    return reverse("groups:group-poster", args=[group.pk])


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return unicodedata.normalize("NFC", out.stdout.decode())


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(next(line for line in out.stdout.splitlines() if line.startswith("Pages:"))[6:])


def page_image(pdf: bytes, tmp_path: Path):
    from PIL import Image

    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    return Image.open(tmp_path / "page.png")


def get_poster(client, user, group: ZaloGroup):
    client.force_login(user)
    response = client.get(url(group))
    assert response.status_code == 200
    return response


def test_poster_is_an_a4_pdf_download(client, police, group, tmp_path, pdf_tools) -> None:
    response = get_poster(client, police, group)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response["Content-Disposition"]
    assert disposition == (
        'attachment; filename="poster-zalo-ket-noi-binh-yen-to-3-ap-thuan-hoa.pdf"'
    )
    assert disposition.isascii()
    path = tmp_path / "a4.pdf"
    path.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    assert "(A4)" in info.stdout and "Pages:           1" in info.stdout


def test_poster_names_the_group_hamlet_officer_and_link(client, police, group, tmp_path, pdf_tools):
    text = pdf_text(get_poster(client, police, group).content, tmp_path)
    assert NAME in text  # every diacritic survives: fonts with Vietnamese glyphs are embedded
    assert "Ấp Thuận Hòa" in text and "Xã Thuận Lợi" in text
    assert LINK in text
    assert "Nguyễn Văn Đức" in text and "0912 345 678" in text


def test_qr_code_decodes_to_the_invite_link(client, police, group, tmp_path, pdf_tools) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the printed QR code")
    image = page_image(get_poster(client, police, group).content, tmp_path)
    [found] = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == LINK
    # Printed at least 5 cm wide (without its quiet zone), so a phone reads it from a wall.
    width_px = found.position.top_right.x - found.position.top_left.x
    assert width_px / DPI * 2.54 >= 5.0


def test_without_officer_or_link_the_poster_says_whom_to_ask(
    client, police, hamlet_a, tmp_path, pdf_tools
):
    bare = ZaloGroupFactory(hamlet=hamlet_a, name="Nhóm chưa có đường dẫn", invite_link="")
    pdf = get_poster(client, police, bare).content
    text = pdf_text(pdf, tmp_path)
    assert "Nhóm chưa có đường dẫn" in text
    assert "zalo.me" not in text and "None" not in text
    zxingcpp = pytest.importorskip("zxingcpp")
    assert zxingcpp.read_barcodes(page_image(pdf, tmp_path)) == []


def test_officer_without_full_name_or_phone_is_not_shown_by_username(
    client, police, group, officer_a, tmp_path, pdf_tools
) -> None:
    officer_a.full_name = ""
    officer_a.phone = ""
    officer_a.save()
    text = pdf_text(get_poster(client, police, group).content, tmp_path)
    assert officer_a.username not in text and "None" not in text


def test_longest_name_link_and_rules_fit_on_one_page(client, police, group, tmp_path, pdf_tools):
    group.rules = "Điều 1. Không đăng tin sai sự thật.\n" * 40 + "ĐIỀU CUỐI"
    group.name = ("Nhóm có tên rất dài " * 10)[:200]
    group.invite_link = "https://zalo.me/g/" + "A" * 64
    group.full_clean()
    group.save()
    pdf = get_poster(client, police, group).content
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Điều 1. Không đăng tin sai sự thật." in text
    assert "ĐIỀU CUỐI" not in text
    assert pdf_pages(pdf, tmp_path) == 1
    zxingcpp = pytest.importorskip("zxingcpp")
    [found] = zxingcpp.read_barcodes(page_image(pdf, tmp_path))
    assert found.text == group.invite_link


def test_rules_summary_is_cut_at_a_word(hamlet_a) -> None:
    group = ZaloGroupFactory.build(hamlet=hamlet_a, rules="Một quy định dài. " * 100)
    summary = rules_summary(group)
    assert len(summary) <= RULES_SUMMARY_CHARS + 1 and summary.endswith("…")
    assert summary[:-1].split()[-1] in {"Một", "quy", "định", "dài"}
    short = ZaloGroupFactory.build(hamlet=hamlet_a, rules="  Tôn trọng nhau.\n\nKhông quảng cáo. ")
    assert rules_summary(short) == "Tôn trọng nhau.\nKhông quảng cáo."
    assert rules_summary(ZaloGroupFactory.build(hamlet=hamlet_a, rules=""))  # a default text


def test_filename_is_ascii_even_for_dj(hamlet_a) -> None:
    group = ZaloGroupFactory.build(hamlet=hamlet_a, name="Đội Đồng Tâm", pk=7)
    assert poster_filename(group) == "poster-doi-dong-tam.pdf"
    assert poster_filename(ZaloGroupFactory.build(hamlet=hamlet_a, name="★", pk=7)) == (
        "poster-group-7.pdf"
    )


# --- Who may get it -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["police", "officer_a", "party_office", "leader"])
def test_roles_in_scope_get_the_poster(client, personas, group, persona, pdf_tools) -> None:
    get_poster(client, personas[persona], group)


@pytest.mark.parametrize("persona", ["head_b", "outsider"])
def test_out_of_scope_is_missing(client, personas, group, persona) -> None:
    client.force_login(personas[persona])
    assert client.get(url(group)).status_code == 404


def test_missing_group_is_404(client, police) -> None:
    client.force_login(police)
    assert client.get(reverse("groups:group-poster", args=[999999])).status_code == 404


def test_in_scope_without_permission_is_403(client, commune, hamlet_a, group) -> None:
    client.force_login(make_user("nobody", None, commune, [hamlet_a]))
    assert client.get(url(group)).status_code == 403


def test_hamlet_head_of_the_groups_hamlet_gets_it(client, commune, hamlet_b, pdf_tools) -> None:
    head = make_user("head_b2", Role.HAMLET_HEAD, commune, [hamlet_b])
    get_poster(client, head, ZaloGroupFactory(hamlet=hamlet_b))


def test_anonymous_is_sent_to_login(client, group) -> None:
    response = client.get(url(group))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url(group)}"


def test_web_process_does_not_import_weasyprint() -> None:
    """WeasyPrint needs Pango: the portal must start without it and import it only to render."""
    code = (
        "import django, sys; django.setup(); import binhyen.urls, groups.views; "
        "sys.exit('weasyprint' in sys.modules)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "binhyen.settings", "SECRET_KEY": settings.SECRET_KEY,
           "DATA_DIR": "var/test", "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR)
    assert result.returncode == 0
