"""The body is shown marked safe: whatever hostile HTML goes in, nothing active comes out."""

from __future__ import annotations

import re

import pytest

from bulletins.sanitize import body_html, body_text, clean_html, zalo_text_from_html

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


# --- typed text: paragraphs and lists as typed, the same cleaning -------------------------------

TYPED = (
    "Bà con lưu ý:\n"
    "- Không chuyển tiền cho người lạ\n"
    "- Gọi 113 khi cần 📞\n"
    "\n"
    "Đoạn hai, dòng một\n"
    "dòng hai: https://dichvucong.gov.vn. Giá <3 & rẻ\n"
    "1. Đến Công an xã\n"
    "   mang theo CCCD\n"
    "2. Nhận giấy hẹn <b>đúng giờ</b>"
)
TYPED_HTML = (
    "<p>Bà con lưu ý:</p>"
    "<ul><li>Không chuyển tiền cho người lạ</li><li>Gọi 113 khi cần 📞</li></ul>"
    "<p>Đoạn hai, dòng một<br>dòng hai: "
    '<a href="https://dichvucong.gov.vn" rel="noopener noreferrer nofollow">'
    "https://dichvucong.gov.vn</a>. Giá &lt;3 &amp; rẻ</p>"
    "<ol><li>Đến Công an xã<br>mang theo CCCD</li><li>Nhận giấy hẹn <b>đúng giờ</b></li></ol>"
)


def test_typed_text_keeps_its_paragraphs_line_breaks_and_lists() -> None:
    assert body_html(TYPED) == TYPED_HTML
    assert body_html(TYPED.replace("\n", "\r\n")) == TYPED_HTML  # as a browser posts it
    assert body_html(TYPED.replace("\n1. ", "\n \n1. ")) == TYPED_HTML  # a blank line before


def test_typed_text_reads_the_same_in_zalo() -> None:
    assert zalo_text_from_html(body_html(TYPED)) == (
        "Bà con lưu ý:\n\n"
        "• Không chuyển tiền cho người lạ\n• Gọi 113 khi cần 📞\n\n"
        "Đoạn hai, dòng một\ndòng hai: https://dichvucong.gov.vn. Giá <3 & rẻ\n\n"
        "1. Đến Công an xã\nmang theo CCCD\n2. Nhận giấy hẹn đúng giờ"
    )


def test_the_edit_form_shows_the_body_as_it_was_typed() -> None:
    assert body_text(body_html(TYPED)) == TYPED
    assert body_text(TYPED_HTML) == TYPED


@pytest.mark.parametrize("hostile", HOSTILE)
def test_typed_text_is_cleaned_like_html(hostile: str) -> None:
    cleaned = body_html(f"Trước\n\n{hostile}\n\nSau")
    assert not ACTIVE.search(cleaned), cleaned
    assert "Trước" in cleaned and "Sau" in cleaned


def test_html_is_kept_as_html_and_cleaned() -> None:
    """Older bodies, the guides and API clients give HTML: its own line breaks mean nothing."""
    body = '<p>Một\ndòng</p><p onclick="x()">Hai</p><h3>Ba</h3><script>alert(1)</script>'
    assert body_html(body) == "<p>Một\ndòng</p><p>Hai</p><h3>Ba</h3>"


def test_html_that_text_cannot_say_is_edited_as_html() -> None:
    for body in (
        "<h3>Tiêu đề</h3><p>Chữ</p>",
        "<blockquote>Trích</blockquote>",
        "<ul><li>Một<ul><li>Con</li></ul></li></ul>",
        "<p>- không phải danh sách</p>",
    ):
        assert body_text(body) == body
        assert body_html(body_text(body)) == clean_html(body)


def test_every_guide_and_demo_body_comes_back_from_its_text() -> None:
    from bulletins.demo import SAMPLES
    from bulletins.guide_texts import GUIDES

    bodies = [guide["body"] for guide in GUIDES] + [body for _, body in SAMPLES.values()]
    for body in map(clean_html, bodies):
        assert "<" not in body_text(body).replace("<strong>", "").replace("</strong>", "")
        assert body_html(body_text(body)) == body


def test_a_link_with_its_own_text_stays_a_tag_and_entities_read_as_letters() -> None:
    body = clean_html(
        '<p>Xem <a href="https://a.vn/?x=1&amp;y=2" title="Cổng">cổng</a> &amp; '
        "&lt;b&gt; không đậm</p>"
    )
    text = body_text(body)
    assert (
        text == 'Xem <a href="https://a.vn/?x=1&amp;y=2" title="Cổng">cổng</a> & &lt;b> không đậm'
    )
    assert body_html(text) == body
