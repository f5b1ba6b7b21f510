"""The criteria of "An toàn về an ninh, trật tự" for a residential area, as summarised in
DOMAIN.md from Circular 124/2021/TT-BCA (amended by 48/2025/TT-BCA). Every row is marked
"to verify": the commune compares the wording with the official text and edits it in the admin."""

from django.db import migrations

SOURCE = "Thông tư 124/2021/TT-BCA (sửa đổi bởi Thông tư 48/2025/TT-BCA)"
CRITERIA = [
    "Trong quý I, chi bộ ra nghị quyết, khu dân cư đăng ký xây dựng khu dân cư “An toàn về an "
    "ninh, trật tự”, 100% hộ gia đình đăng ký tham gia.",
    "Thực hiện có hiệu quả chủ trương của Đảng, chính sách, pháp luật của Nhà nước về bảo đảm an "
    "ninh, trật tự.",
    "Không xảy ra hoạt động chống Đảng, chống chính quyền, phá hoại khối đại đoàn kết toàn dân "
    "tộc; không xảy ra hoạt động phá hoại.",
    "Không xảy ra hoạt động tôn giáo trái pháp luật; không có hoạt động lợi dụng tôn giáo, dân "
    "tộc, tranh chấp, khiếu kiện để gây mất an ninh, trật tự.",
    "Không xảy ra hoạt động ly khai, tự quản.",
    "Không xảy ra tranh chấp, mâu thuẫn kéo dài trong nội bộ Nhân dân.",
]


def seed(apps, schema_editor):
    SafetyCriterion = apps.get_model("reviews", "SafetyCriterion")
    if SafetyCriterion.objects.exists():
        return
    SafetyCriterion.objects.bulk_create(
        SafetyCriterion(order=index, text=text, source=SOURCE, to_verify=True)
        for index, text in enumerate(CRITERIA, start=1)
    )


def unseed(apps, schema_editor):
    apps.get_model("reviews", "SafetyCriterion").objects.filter(text__in=CRITERIA).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_annual_reviews")]

    operations = [migrations.RunPython(seed, unseed)]
