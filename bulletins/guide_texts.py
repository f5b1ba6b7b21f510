"""Reference text of the guide library, one guide per procedure (loaded by migration 0002).

Written from the public channels as of 2026; every guide is marked for the commune police to
check against the rules in force (`needs_verification`) before it is posted. The texts point to
the official online channels rather than restating fees or deadlines, which change.
"""

from __future__ import annotations

from typing import Any

VNEID = "Ứng dụng định danh điện tử VNeID (Bộ Công an)"
NATIONAL_PORTAL = "Cổng Dịch vụ công quốc gia: https://dichvucong.gov.vn"
MPS_PORTAL = "Cổng dịch vụ công Bộ Công an: https://dichvucong.bocongan.gov.vn"

GUIDES: list[dict[str, Any]] = [
    {
        "procedure": "id_card",
        "title": "Hướng dẫn làm thẻ căn cước",
        "body": (
            "<p>🪪 <strong>Làm thẻ căn cước</strong>: công dân đến <strong>Công an xã</strong> "
            "(hoặc nơi Công an hướng dẫn) để được thu nhận thông tin, ảnh chân dung và vân tay.</p>"
            "<ul><li>Có thể đặt lịch hẹn trước trên ứng dụng VNeID hoặc Cổng dịch vụ công.</li>"
            "<li>Mang theo thẻ cũ (nếu có) khi đi cấp đổi, cấp lại.</li>"
            "<li>Trẻ em dưới 14 tuổi: cha, mẹ hoặc người giám hộ làm thủ tục cùng.</li>"
            "<li>Nhận thẻ tại nơi làm thủ tục hoặc đăng ký nhận qua bưu điện.</li></ul>"
            "<p>Thắc mắc xin liên hệ Công an xã hoặc Cảnh sát khu vực phụ trách ấp.</p>"
        ),
        "channels": [VNEID, NATIONAL_PORTAL, MPS_PORTAL],
    },
    {
        "procedure": "passport",
        "title": "Hướng dẫn làm hộ chiếu phổ thông trực tuyến",
        "body": (
            "<p>🛂 <strong>Hộ chiếu phổ thông</strong> có thể đề nghị cấp "
            "<strong>trực tuyến</strong>, "
            "không phải đi lại nhiều lần.</p>"
            "<ul><li>Đăng nhập Cổng dịch vụ công Bộ Công an hoặc Cổng Dịch vụ công quốc gia bằng "
            "tài khoản định danh điện tử (VNeID).</li>"
            "<li>Khai tờ khai, tải ảnh theo hướng dẫn, nộp lệ phí trực tuyến.</li>"
            "<li>Chọn nhận hộ chiếu qua bưu điện hoặc tại cơ quan Quản lý xuất nhập cảnh.</li></ul>"
            '<p>⚠️ Không nhờ người lạ "làm hộ", không chuyển tiền cho trang web giả mạo.</p>'
        ),
        "channels": [MPS_PORTAL, NATIONAL_PORTAL, VNEID],
    },
    {
        "procedure": "security_certificate",
        "title": "Giấy chứng nhận đủ điều kiện về an ninh, trật tự",
        "body": (
            "<p>🏪 Cơ sở kinh doanh <strong>ngành, nghề đầu tư kinh doanh có điều kiện về an ninh, "
            "trật tự</strong> (ví dụ: cầm đồ, karaoke, dịch vụ lưu trú, kinh doanh con dấu…) phải "
            "có Giấy chứng nhận đủ điều kiện trước khi hoạt động.</p>"
            "<ul><li>Nộp hồ sơ trực tuyến trên Cổng dịch vụ công Bộ Công an "
            "hoặc tại cơ quan Công an "
            "có thẩm quyền.</li>"
            "<li>Chuẩn bị hồ sơ theo danh mục hướng dẫn trên Cổng dịch vụ công.</li>"
            "<li>Cơ sở đang hoạt động: thông báo khi thay đổi địa điểm, người đứng đầu.</li></ul>"
            "<p>Cơ sở nào chưa rõ thuộc diện phải cấp, xin hỏi Công an xã.</p>"
        ),
        "channels": [MPS_PORTAL, NATIONAL_PORTAL],
    },
    {
        "procedure": "residence",
        "title": "Đăng ký thường trú, tạm trú, thông báo lưu trú",
        "body": (
            "<p>🏠 <strong>Đăng ký cư trú</strong> (thường trú, tạm trú, tạm vắng, thông báo lưu "
            "trú) làm được <strong>trực tuyến</strong> trên ứng dụng VNeID "
            "hoặc Cổng dịch vụ công.</p>"
            "<ul><li>Chuyển đến nơi ở mới: đăng ký thường trú hoặc tạm trú đúng thời hạn.</li>"
            "<li>Có người thân, khách đến ở qua đêm: thông báo lưu trú với Công an xã (qua VNeID, "
            "điện thoại hoặc trực tiếp).</li>"
            "<li>Kiểm tra thông tin cư trú của mình trên VNeID.</li></ul>"
            "<p>Cần hỗ trợ xin liên hệ Cảnh sát khu vực phụ trách ấp.</p>"
        ),
        "channels": [VNEID, NATIONAL_PORTAL, MPS_PORTAL],
    },
    {
        "procedure": "vehicle",
        "title": "Đăng ký xe mô tô, xe gắn máy, ô tô",
        "body": (
            "<p>🏍️ <strong>Đăng ký xe</strong> (xe mới, sang tên, thu hồi đăng ký) có thể nộp hồ "
            "sơ <strong>trực tuyến</strong> trên Cổng dịch vụ công; nhiều trường hợp xe mô tô, xe "
            "gắn máy được đăng ký tại Công an xã.</p>"
            "<ul><li>Mua bán, cho tặng xe: làm thủ tục sang tên đúng thời hạn, người bán làm thủ "
            "tục thu hồi đăng ký.</li>"
            "<li>Đưa xe đến kiểm tra khi được hướng dẫn, mang giấy tờ xe và căn cước.</li>"
            "<li>Nhận biển số và chứng nhận đăng ký theo lịch hẹn hoặc qua bưu điện.</li></ul>"
            "<p>⚠️ Không mua bán xe không giấy tờ, không rõ nguồn gốc.</p>"
        ),
        "channels": [NATIONAL_PORTAL, MPS_PORTAL, VNEID],
    },
]


def seed_guides(guide_model: Any) -> int:
    """Create the guides that do not exist yet (a commune's edits are never overwritten)."""
    from .sanitize import clean_html, zalo_text_from_html

    created = 0
    for guide in GUIDES:
        body = clean_html(guide["body"])
        channels = "\n".join(guide["channels"])
        zalo = zalo_text_from_html(body) + "\n\n" + "\n".join(f"👉 {c}" for c in guide["channels"])
        _obj, new = guide_model.objects.get_or_create(
            procedure=guide["procedure"],
            defaults={
                "title": guide["title"],
                "body": body,
                "zalo_text": zalo,
                "official_channels": channels,
                "needs_verification": True,
            },
        )
        created += new
    return created
