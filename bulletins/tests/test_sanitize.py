"""The body is shown marked safe: whatever hostile HTML goes in, nothing active comes out."""

from __future__ import annotations

import re

import pytest

from bulletins.sanitize import clean_html, zalo_text_from_html

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<p onclick=alert(1)>bấm</p>",
    '<a href="javascript:alert(1)">link</a>',
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    '<a href="&#106;avascript:alert(1)">link</a>',
    '<a href=" javascript:alert(1)">link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<a href="vbscript:msgbox(1)">v</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<p style="background:url(javascript:alert(1))">s</p>',
    "<style>body{display:none}</style><p>x</p>",
    '<div style="position:fixed;inset:0">phủ kín</div>',
    "<link rel=stylesheet href=//evil.example/x.css>",
    '<meta http-equiv=refresh content="0;url=https://evil.example">',
    "<form action=//evil.example><input name=p></form>",
    '<base href="https://evil.example/">',
    '<p class="d-none" id="x">ẩn</p>',
    '<a href="https://ok.example" onmouseover="alert(1)" target="_blank">ok</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    "<!--<script>alert(1)</script>-->",
    "<scr<script>ipt>alert(1)</script>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<template><script>alert(1)</script></template>",
]

ACTIVE = re.compile(
    r"<\s*(script|iframe|object|embed|svg|math|style|link|meta|form|input|base|img|video|"
    r"source|template|details)\b|\son\w+\s*=|javascript:|vbscript:|data:|style\s*=|class\s*=",
    re.IGNORECASE,
)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_nothing_active_survives(hostile: str) -> None:
    cleaned = clean_html(f"<p>Trước</p>{hostile}<p>Sau</p>")
    assert not ACTIVE.search(cleaned), cleaned
    assert "<p>Trước</p>" in cleaned and "<p>Sau</p>" in cleaned


def test_the_allowed_subset_stays() -> None:
    body = (
        "<h3>Tiêu đề</h3><p><strong>Đậm</strong> <em>nghiêng</em> <u>gạch</u><br>dòng</p>"
        "<ul><li>Một</li></ul><ol><li>Hai</li></ol><blockquote>Trích</blockquote>"
        '<p><a href="https://dichvucong.gov.vn">Cổng</a> <a href="tel:0912345678">Gọi</a></p>'
    )
    cleaned = clean_html(body)
    for tag in ("<h3>", "<strong>", "<em>", "<u>", "<br>", "<ul>", "<ol>", "<blockquote>"):
        assert tag in cleaned
    assert 'href="https://dichvucong.gov.vn"' in cleaned
    assert 'href="tel:0912345678"' in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_zalo_text_keeps_lines_emoji_and_links() -> None:
    body = (
        "<p>⚠️ <b>Cảnh giác</b> lừa đảo &amp; mạo danh</p>"
        "<ul><li>Không chuyển tiền</li><li>Gọi 113 📞</li></ul>"
        '<p>Xem <a href="https://dichvucong.gov.vn">Cổng DVC</a><br>Cảm ơn bà con 🙏</p>'
        "<script>alert(1)</script>"
    )
    assert zalo_text_from_html(body) == (
        "⚠️ Cảnh giác lừa đảo & mạo danh\n\n"
        "• Không chuyển tiền\n• Gọi 113 📞\n\n"
        "Xem Cổng DVC (https://dichvucong.gov.vn)\nCảm ơn bà con 🙏"
    )


def test_zalo_text_of_plain_text_is_the_text() -> None:
    assert zalo_text_from_html("Chỉ là chữ <3 & vui") == "Chỉ là chữ <3 & vui"
