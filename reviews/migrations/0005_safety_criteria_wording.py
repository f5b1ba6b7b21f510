"""The first two criteria of a residential area worded as Article 4 of Circular 124/2021/TT-BCA
words them (clauses 1 and 2), checked against the Circular's published text, and no longer marked
"to verify". The other rows stay marked: the text of clauses 3 to 5 could not be read in full
from a published copy, so their wording is still to be compared with the Circular.

Only rows whose text is still the one seeded by 0002 are changed: a commune's own edit in the
admin is kept."""

from django.db import migrations

SOURCE_0002 = "Thông tư 124/2021/TT-BCA (sửa đổi bởi Thông tư 48/2025/TT-BCA)"
SEEDED = {
    1: "Trong quý I, chi bộ ra nghị quyết, khu dân cư đăng ký xây dựng khu dân cư “An toàn về an "
    "ninh, trật tự”, 100% hộ gia đình đăng ký tham gia.",
    2: "Thực hiện có hiệu quả chủ trương của Đảng, chính sách, pháp luật của Nhà nước về bảo đảm an "
    "ninh, trật tự.",
}
CIRCULAR = {
    1: (
        "Quý I hằng năm, chi bộ có nghị quyết, khu dân cư có đăng ký phấn đấu đạt tiêu chuẩn “An "
        "toàn về an ninh, trật tự”; 100% hộ gia đình đang cư trú trên địa bàn đăng ký tham gia "
        "xây dựng khu dân cư “An toàn về an ninh, trật tự”.",
        "Khoản 1 Điều 4 Thông tư 124/2021/TT-BCA",
    ),
    2: (
        "Triển khai, thực hiện đầy đủ các chủ trương, đường lối của Đảng, chính sách, pháp luật "
        "của Nhà nước, các quy định của địa phương về công tác bảo đảm an ninh, trật tự.",
        "Khoản 2 Điều 4 Thông tư 124/2021/TT-BCA",
    ),
}


def reword(apps, schema_editor):
    SafetyCriterion = apps.get_model("reviews", "SafetyCriterion")
    for order, (text, source) in CIRCULAR.items():
        SafetyCriterion.objects.filter(order=order, text=SEEDED[order]).update(
            text=text, source=source, to_verify=False
        )


def unword(apps, schema_editor):
    SafetyCriterion = apps.get_model("reviews", "SafetyCriterion")
    for order, (text, _source) in CIRCULAR.items():
        SafetyCriterion.objects.filter(order=order, text=text).update(
            text=SEEDED[order], source=SOURCE_0002, to_verify=True
        )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_narrative_basis")]

    operations = [migrations.RunPython(reword, unword)]
