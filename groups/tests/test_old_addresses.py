"""Addresses from before the 2025 merger -> 2025 communes, and hamlets by their former names."""

import pytest

from groups.models import Hamlet
from groups.old_addresses import (
    OldAddress,
    commune_hamlets,
    hamlet_key,
    match_hamlets,
    parse_old_address,
    unit_key,
)

THUAN_LOI = ("25387", "Xã Thuận Lợi")


@pytest.mark.parametrize(
    "text",
    [
        "ấp 3, xã Thuận Phú, huyện Đồng Phú, tỉnh Bình Phước",
        "ấp 3, X. Thuận Phú, H. Đồng Phú, T. Bình Phước",
        "ap 3, xa Thuan Phu, huyen Dong Phu, tinh Binh Phuoc",  # no diacritics
        "ap 3 xa Thuan Phu huyen Dong Phu tinh Binh Phuoc",  # nor commas
        "ấp 3 xã Thuận Phú huyện Đồng Phú tỉnh Bình Phước",
        "ấp 3, Thuận Phú, Đồng Phú, Bình Phước",  # no type words
        "ấp 3, xã Thuận Phú, huyện Đồng Phú, tỉnh Đồng Nai",  # the new province
        "ấp 3; xã Thuận Phú - huyện Đồng Phú",
    ],
)
def test_an_old_commune_merged_into_one(text):
    address = parse_old_address(text)
    assert address == OldAddress(
        hamlet_text=address.hamlet_text,
        old_commune="Xã Thuận Phú",
        old_district="Huyện Đồng Phú",
        old_province="Tỉnh Bình Phước",
        successors=[THUAN_LOI],
    )
    assert hamlet_key(address.hamlet_text) == "3"
    assert not address.needs_choice


@pytest.mark.parametrize(
    ("text", "successor"),
    [
        ("KP 1, P. Tiến Thành, TP Đồng Xoài, Bình Phước", "Phường Đồng Xoài"),
        ("ấp 2, TT Tân Phú, H. Đồng Phú, T. Bình Phước", "Xã Đồng Phú"),
        ("ấp 1, xã Lộc Thịnh, huyện Lộc Ninh, tỉnh Bình Phước", "Xã Lộc Thành"),
        ("ấp 1, xã Lộc Hòa, huyện Lộc Ninh, tỉnh Bình Phước", "Xã Lộc Thạnh"),
        ("khu phố 5, phường Thanh Bình, TP. Biên Hòa, Đồng Nai", "Phường Trấn Biên"),
    ],
)
def test_other_old_units_of_dong_nai_and_binh_phuoc(text, successor):
    address = parse_old_address(text)
    assert [name for _, name in address.successors] == [successor]
    assert all(len(code) == 5 and code.isdigit() for code, _ in address.successors)


@pytest.mark.parametrize(
    ("text", "successors"),
    [
        # Split between two 2025 communes: both offered, none chosen.
        ("ấp 4, xã Nam Cát Tiên, huyện Tân Phú, tỉnh Đồng Nai", {"Xã Tà Lài", "Xã Nam Cát Tiên"}),
        ("ấp 4, xã Xuân Tâm, huyện Xuân Lộc, tỉnh Đồng Nai", {"Xã Xuân Hòa", "Xã Xuân Đông"}),
        # Without diacritics "Lộc Thành" and "Lộc Thạnh" are one name: both are candidates.
        ("ap 1, xa Loc Thanh, huyen Loc Ninh", {"Xã Lộc Thành", "Xã Lộc Thạnh"}),
    ],
)
def test_a_split_or_ambiguous_unit_offers_every_candidate(text, successors):
    address = parse_old_address(text)
    assert {name for _, name in address.successors} == successors
    assert address.needs_choice


def test_with_diacritics_the_look_alike_is_told_apart():
    address = parse_old_address("ấp 1, xã Lộc Thạnh, huyện Lộc Ninh")
    assert address.successors == [("25280", "Xã Lộc Thạnh")]


def test_an_address_already_in_the_2025_form():
    address = parse_old_address("KP 2, phường Trấn Biên, tỉnh Đồng Nai")
    assert address.successors == [("26041", "Phường Trấn Biên")]
    assert address.hamlet_text == "KP 2"


@pytest.mark.parametrize("text", ["Nguyễn Văn Đức", "123 Main Street, Springfield", "", "ấp 3"])
def test_text_without_a_commune_is_none(text):
    assert parse_old_address(text) is None


def test_an_unknown_commune_has_no_successor():
    address = parse_old_address("ấp 1, xã Không Có Thật, huyện Đồng Phú")
    assert address.successors == []
    assert address.old_commune == "xã Không Có Thật"


@pytest.mark.parametrize(
    ("name", "key"),
    [("Xã Thuận Lợi", "thuan loi"), ("X. Thuận Lợi", "thuan loi"), ("thi tran Tan Phu", "tan phu")],
)
def test_unit_key(name, key):
    assert unit_key(name) == key


# --- Hamlets ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_match_hamlets_by_name_and_former_name(commune, hamlet_a, hamlet_b):
    """hamlet_a is "Ấp Thuận Hòa", hamlet_b "Ấp Thuận Phú 1"."""
    hamlet_b.former_names = "Ấp 3\n  \nẤp Cây Điệp\n"
    hamlet_b.save()
    assert hamlet_b.former_name_list() == ["Ấp 3", "Ấp Cây Điệp"]
    assert commune_hamlets(commune, "ấp Thuận Phú 1") == [hamlet_b]
    assert commune_hamlets(commune, "ap thuan phu 1") == [hamlet_b]
    assert commune_hamlets(commune, "Thuận Hòa") == [hamlet_a]
    assert commune_hamlets(commune, "ap 3") == [hamlet_b]  # its former name
    assert commune_hamlets(commune, "AP CAY DIEP") == [hamlet_b]
    assert commune_hamlets(commune, "ấp 9") == []
    assert commune_hamlets(commune, "") == []


@pytest.mark.django_db
def test_match_hamlets_prefers_the_diacritics_as_typed(commune):
    thanh = Hamlet.objects.create(commune=commune, code="T1", name="Ấp Lộc Thành")
    thanh_dot = Hamlet.objects.create(commune=commune, code="T2", name="Ấp Lộc Thạnh")
    hamlets = list(commune.hamlets.all())
    assert match_hamlets("ấp Lộc Thạnh", hamlets) == [thanh_dot]
    assert set(match_hamlets("ap Loc Thanh", hamlets)) == {thanh, thanh_dot}  # to choose


@pytest.mark.django_db
def test_old_address_to_a_hamlet_of_the_new_commune(commune, hamlet_b):
    """The whole path: an old address, its 2025 commune, then the hamlet by a former name."""
    hamlet_b.former_names = "Ấp 3"
    hamlet_b.save()
    address = parse_old_address("ấp 3, xã Thuận Phú, huyện Đồng Phú, tỉnh Bình Phước")
    assert address.successors == [(commune.code, commune.name)]
    assert commune_hamlets(commune, address.hamlet_text) == [hamlet_b]


@pytest.mark.django_db
def test_former_names_are_edited_and_searched_in_the_admin(client, police, hamlet_b):
    hamlet_b.former_names = "Ấp Cây Điệp"
    hamlet_b.save()
    client.force_login(police)
    change = client.get(f"/admin/groups/hamlet/{hamlet_b.pk}/change/").content.decode()
    assert 'name="former_names"' in change
    found = client.get("/admin/groups/hamlet/", {"q": "Cây Điệp"})
    assert [h.pk for h in found.context["cl"].result_list] == [hamlet_b.pk]
