"""A print template sees the view model and nothing else: Python internals, the environment,
files, other templates and the database are out of reach, and each attempt fails with a clear
error instead of rendering something or hanging."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import TemplateNotFound

from server.documents import rendering
from server.documents.models import DocumentKind
from server.documents.rendering import TemplateRenderError, check_template, render_html, render_pdf
from server.documents.samples import sample_view
from server.errors import InvalidInput

VIEW: dict[str, Any] = sample_view(DocumentKind.PICK_LIST, "zh")

REFUSED_AT_RENDER = [
    ("{{ ''.__class__ }}", "__class__"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__"),
    ("{{ document.__class__.__subclasses__() }}", "__class__"),
    ("{{ code128.__globals__ }}", "__globals__"),
    ("{{ qr.__globals__['os'].environ }}", "__globals__"),
    ("{{ cycler.__init__.__globals__.os.environ }}", "'cycler' is undefined"),
    ("{{ joiner.__init__.__globals__ }}", "'joiner' is undefined"),
    ("{{ lipsum() }}", "'lipsum' is undefined"),
    ("{{ os.environ }}", "'os' is undefined"),
    ("{{ config }}", "'config' is undefined"),
    ("{{ request }}", "'request' is undefined"),
    ("{{ settings }}", "'settings' is undefined"),
    ("{{ session }}", "'session' is undefined"),
    ("{{ range(10**9) | list }}", "over the limit of 1000"),
    ("{% for i in range(10**9) %}x{% endfor %}", "over the limit of 1000"),
    ("{{ 'x' * 10**9 }}", "over the limit"),
    ("{{ lines * 10**8 }}", "over the limit"),
    ("{{ 9 ** 9 ** 9 }}", "too large"),
    ("{{ '{0.__class__}'.format(document) }}", "__class__"),
    ("{{ lines.append(1) }}", "append"),
    ("{{ document.update({'number': 'X'}) }}", "update"),
    ("{{ document.missing }}", "missing"),
]


@pytest.mark.parametrize(("source", "reason"), REFUSED_AT_RENDER)
def test_attempts_to_leave_the_view_model_are_refused(source: str, reason: str) -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render_html(f"<p>\n{source}\n</p>", VIEW)
    message = str(caught.value)
    assert caught.value.problems[0].code == "TEMPLATE_RENDER_FAILED"
    assert reason in message
    assert "line 2" in message


def test_the_view_is_not_changed_by_a_refused_template() -> None:
    view = sample_view(DocumentKind.PICK_LIST, "zh")
    with pytest.raises(TemplateRenderError):
        render_html("{{ lines.clear() }}{{ extra.groups.pop() }}", view)
    assert view == sample_view(DocumentKind.PICK_LIST, "zh")


def test_self_is_inert() -> None:
    # Jinja's reference to the template's own blocks: no path from it to anything else.
    assert render_html("{{ self }}", VIEW) == "&lt;TemplateReference None&gt;"
    with pytest.raises(TemplateRenderError, match="_TemplateReference__context"):
        render_html("{{ self._TemplateReference__context }}", VIEW)


@pytest.mark.parametrize("source", [
    "{% include '/etc/passwd' %}",
    "{% import 'macros.html' as m %}",
    "{% from 'macros.html' import row %}",
    "{% extends 'base.html' %}",
])
def test_other_templates_and_files_cannot_be_included(source: str) -> None:
    with pytest.raises(InvalidInput, match="cannot include, import or extend"):
        check_template(f"<p>\n{source}", "")
    with pytest.raises(InvalidInput, match="line 2"):
        render_html(f"<p>\n{source}", VIEW)


def test_the_environment_has_no_loader_behind_it() -> None:
    # Even a template compiled without the check cannot reach the file system.
    template = rendering._ENVIRONMENT.from_string("{% include name %}")
    with pytest.raises(TemplateNotFound, match="cannot include"):
        template.render(name="/etc/passwd")


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="file:///etc/passwd">',
    '<link rel="attachment" href="file:///etc/passwd">',
    '<style>body { background: url(file:///etc/passwd) }</style>',
    '<style>@import url("file:///etc/passwd");</style>',
    '<img src="http://169.254.169.254/latest/meta-data/">',
    '<img src="{{ \'file:///etc/\' ~ \'passwd\' }}">',
])
def test_files_and_web_addresses_are_not_fetched(html: str) -> None:
    with pytest.raises(TemplateRenderError, match="only data: URIs are allowed"):
        render_pdf(f"<p>ok</p>{html}", "", VIEW)


def test_css_cannot_fetch_files_either() -> None:
    with pytest.raises(TemplateRenderError, match="file:///etc/passwd"):
        render_pdf("<p>ok</p>", "p { background: url(file:///etc/passwd) }", VIEW)


def test_data_uris_are_allowed() -> None:
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
             "mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
    assert render_pdf(f'<img src="{pixel}"><p>{{{{ document.number }}}}</p>', "",
                      VIEW).startswith(b"%PDF")


def test_a_relative_path_is_inert() -> None:
    # No base URL: WeasyPrint cannot resolve it and asks the fetcher for nothing.
    pdf = render_pdf('<p>ok</p><img src="/etc/passwd">', "", VIEW)
    assert b"root:" not in pdf


def test_values_are_escaped() -> None:
    view = {**VIEW, "document": {**VIEW["document"], "notes": "<img src=file:///etc/passwd>"}}
    assert render_html("{{ document.notes }}", view) == "&lt;img src=file:///etc/passwd&gt;"
    with pytest.raises(InvalidInput, match="No filter named 'safe'"):
        render_html("{{ document.notes | safe }}", view)


@pytest.mark.parametrize(("html", "css", "where"), [
    ("<p>\n\n  {{ foo( }}</p>", "", "line 3, column 11"),
    ("<table>\n{% for line in lines %}\n<tr></tr>\n", "", "line 3, column 10"),
    ("{{ document.number }}\n<p>{% endif %}</p>", "", "line 2, column 7"),
    ("<p>{{ x | no_such_filter }}</p>", "", "line 1, column 4"),
    ("<p>{{ 'unclosed }}</p>", "", "line 1"),
    ("<p></p>", "p { color: red; }\nh1 { color red; }", "CSS line 2, column 15"),
])
def test_syntax_errors_are_refused_with_line_and_column(html: str, css: str, where: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_template(html, css)
    assert str(caught.value).startswith(where), str(caught.value)
    assert caught.value.problems[0].field == ("css" if css else "html")


def test_a_good_template_checks_and_renders() -> None:
    html = ("<h1>{{ document.title }} {{ document.number }}</h1>{{ code128(document.number) }}"
            "{% for group in extra.groups %}<h2>{{ group.bin }}</h2>{% endfor %}")
    check_template(html, "h1 { font-family: 'Noto Sans CJK SC'; }")
    text = render_html(html, VIEW)
    assert "拣货单 PK-2026-000001" in text
    assert "<svg" in text


def test_a_barcode_of_bad_text_is_a_clear_error() -> None:
    with pytest.raises(TemplateRenderError, match="line 1: Code 128 takes printable ASCII"):
        render_html("{{ code128('拣货单') }}", VIEW)
    with pytest.raises(TemplateRenderError, match="must be a CSS length"):
        render_html("{{ qr(document.number, size='1;background:url(x)') }}", VIEW)
    with pytest.raises(TemplateRenderError, match="wrong EAN-13 check digit"):
        render_html("{{ ean13('4006381333932') }}", VIEW)


def test_templates_see_no_orm_and_no_database() -> None:
    names = set(rendering._ENVIRONMENT.globals)
    assert names == {"code128", "qr", "ean13", "range"}
    # The view model itself is plain data all the way down.
    assert _plain(sample_view(DocumentKind.RECEIPT, "en"))


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return value is None or isinstance(value, str | int | bool)
