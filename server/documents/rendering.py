"""Print templates rendered in Jinja2's immutable sandbox, then to PDF by WeasyPrint.

A template sees only the view model (plain dicts, lists and strings) plus three globals,
``code128``, ``qr`` and ``ean13``. The sandbox refuses attributes starting with ``_`` (so no
``__class__`` or ``__globals__``) and any change to the view; an undefined name is an error, not an
empty string, so ``config``, ``request``, ``lipsum`` or ``os`` fail loudly. There is no loader:
``include``, ``import`` and ``extends`` are refused when the template is checked and fail at render.
Sizes are bounded: ``range`` up to ``MAX_RANGE`` items, ``*`` and ``**`` up to ``MAX_PRODUCT``,
the HTML up to ``MAX_HTML_CHARS``.

WeasyPrint fetches nothing but ``data:`` URIs: a template asking for a file or a web address gets
an error naming it (and no PDF), so a document can never carry a server file.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import tinycss2
import weasyprint
from jinja2 import BaseLoader, StrictUndefined, Template, TemplateNotFound, Undefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.filters import FILTERS
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from server.documents import barcodes
from server.errors import DomainError, InvalidInput

MAX_RANGE = 1_000
MAX_PRODUCT = 1_000_000
MAX_HTML_CHARS = 20_000_000
MAX_POWER_BITS = 256
TEMPLATE_NAME = "<template>"
_UNEXPECTED = re.compile(r"unexpected '([^']+)'")
# Filters of the view model's strings and lists; the ones that can grow text without bound
# (center, indent, wordwrap) or mark data as markup (safe) are left out.
ALLOWED_FILTERS = ("abs", "batch", "capitalize", "count", "d", "default", "dictsort", "e",
                   "escape", "filesizeformat", "first", "float", "format", "groupby", "int",
                   "items", "join", "last", "length", "list", "lower", "map", "max", "min",
                   "reject", "rejectattr", "replace", "reverse", "round", "select",
                   "selectattr", "slice", "sort", "string", "striptags", "sum", "title",
                   "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount")


class TemplateRenderError(DomainError):
    code = "TEMPLATE_RENDER_FAILED"


class _NoLoader(BaseLoader):
    def get_source(self, environment: Any, template: str) -> Any:
        raise TemplateNotFound(f"{template} (a print template cannot include, import or extend "
                               f"another template)")


def _bounded_range(*bounds: int) -> range:
    numbers = range(*bounds)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range of {len(numbers)} items is over the limit of {MAX_RANGE}")
    return numbers


class _PrintSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        # ``cycler.__init__`` when cycler is undefined: report the undefined name, not the
        # attribute of Jinja's Undefined object.
        return obj if isinstance(obj, Undefined) else super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return obj if isinstance(obj, Undefined) else super().getitem(obj, argument)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
            return operator.mul(left, right)
        _check_power(left, right)
        return operator.pow(left, right)


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, str | list | tuple) and isinstance(times, int) \
            and len(sequence) * times > MAX_PRODUCT:
        raise SecurityError(f"repeating {len(sequence)} items {times} times is over the limit "
                            f"of {MAX_PRODUCT}")


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1 \
            and exponent * math.log2(abs(base)) > MAX_POWER_BITS:
        raise SecurityError(f"{base} ** {exponent} is too large a number")


def _environment() -> _PrintSandbox:
    environment = _PrintSandbox(autoescape=True, undefined=StrictUndefined, loader=_NoLoader(),
                                auto_reload=False)
    environment.globals.clear()
    environment.globals.update(code128=barcodes.code128, qr=barcodes.qr, ean13=barcodes.ean13,
                               range=_bounded_range)
    environment.filters = {name: FILTERS[name] for name in ALLOWED_FILTERS}
    return environment


_ENVIRONMENT = _environment()


def _syntax_error(error: TemplateSyntaxError, source: str, parser: Parser | None) -> InvalidInput:
    """``line L, column C: message``. Jinja reports only the line; the column is where the
    character or token it stopped at sits on that line (the end of the template for an unclosed
    block)."""
    line_number = error.lineno or 1
    lines = source.splitlines() or [""]
    token = parser.stream.current if parser is not None else None
    if token is not None and token.type == "eof":
        line_number = len(lines)
    line = lines[min(line_number, len(lines)) - 1]
    # The lexer's errors name the character it stopped at; the parser's, the token.
    named = _UNEXPECTED.search(error.message or "")
    needle = named.group(1) if named else str(token.value) if token is not None else ""
    column = 1
    if token is not None and token.type == "eof":
        column = len(line) + 1
    elif needle and needle in line:
        first = line.find(needle)
        tag = max(line.rfind("{{", 0, first + 1), line.rfind("{%", 0, first + 1), 0)
        column = line.find(needle, tag) + 1
    elif "{" in line:
        column = line.index("{") + 1
    return InvalidInput(f"line {line_number}, column {column}: {error.message}", field="html")


def _forbidden_tags(tree: nodes.Template) -> None:
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise InvalidInput(f"line {node.lineno}: a print template cannot include, import or "
                           f"extend another template", field="html")


def _parse(html: str) -> nodes.Template:
    parser: Parser | None = None
    try:
        parser = Parser(_ENVIRONMENT, html, TEMPLATE_NAME)
        return parser.parse()
    except TemplateSyntaxError as error:
        raise _syntax_error(error, html, parser) from None


def _compile(tree: nodes.Template, html: str) -> Template:
    """The runnable template; an unknown filter or test is found here, not by the parser."""
    try:
        return _ENVIRONMENT.from_string(tree)
    except TemplateSyntaxError as error:
        raise _syntax_error(error, html, None) from None


def _check_css(css: str) -> None:
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    for rule in rules:
        parts = [rule]
        if rule.type == "qualified-rule":
            parts += tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                    skip_whitespace=True)
        for part in parts:
            if part.type == "error":
                raise InvalidInput(f"CSS line {part.source_line}, column {part.source_column}: "
                                   f"{part.message}", field="css")


def check_template(html: str, css: str) -> None:
    """Refuse a template that cannot be rendered: a Jinja syntax error or a CSS rule that cannot
    be parsed, with line and column, or an ``include``/``import``/``extends``."""
    tree = _parse(html)
    _forbidden_tags(tree)
    _compile(tree, html)
    _check_css(css)


def _template_line(traceback: TracebackType | None) -> int | None:
    """The template line a render failed on: Jinja rewrites its frames to the template's lines."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == TEMPLATE_NAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _render_failure(error: Exception) -> TemplateRenderError:
    line = _template_line(sys.exc_info()[2])
    where = f" at line {line}" if line else ""
    if isinstance(error, SecurityError):
        reason = f"not allowed in a print template: {error}"
    elif isinstance(error, DomainError):
        reason = error.problems[0].message
    else:
        reason = str(error) or type(error).__name__
    return TemplateRenderError(f"the template failed{where}: {reason}", field="html")


def render_html(html: str, view: Mapping[str, Any]) -> str:
    """The template filled with the view's keys as top-level names; ``TemplateRenderError`` with
    the template line when it fails."""
    tree = _parse(html)
    _forbidden_tags(tree)
    template = _compile(tree, html)
    try:
        return _bounded_join(template.generate(dict(view)))
    except (TemplateError, DomainError, ArithmeticError, TypeError, ValueError, LookupError,
            AttributeError, RecursionError) as error:
        raise _render_failure(error) from None


def _bounded_join(chunks: Iterator[str]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_HTML_CHARS:
            raise SecurityError(f"the document is over {MAX_HTML_CHARS} characters of HTML")
        parts.append(chunk)
    return "".join(parts)


class _DataOnlyFetcher(URLFetcher):
    """Fetches ``data:`` URIs only; remembers what else was asked for, and stops the layout."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"{url}: a print template may use data: URIs only")
        return super().fetch(url, headers)


def render_pdf(html: str, css: str, view: Mapping[str, Any]) -> bytes:
    """The PDF of the template filled with ``view``, all or nothing: ``TemplateRenderError`` when
    the template fails, refers to anything but a ``data:`` URI, or WeasyPrint cannot lay it out."""
    document = render_html(html, view)
    fetcher = _DataOnlyFetcher()
    try:
        pdf = weasyprint.HTML(string=document, url_fetcher=fetcher).write_pdf(
            stylesheets=[weasyprint.CSS(string=css, url_fetcher=fetcher)] if css else None)
    except FatalURLFetchingError:
        raise TemplateRenderError(
            f"the template refers to {', '.join(fetcher.refused)}: only data: URIs are allowed "
            f"in a print template", field="html") from None
    except Exception as error:  # WeasyPrint raises anything; the caller gets one clear error
        raise TemplateRenderError(f"the PDF could not be laid out: {error}") from None
    if not isinstance(pdf, bytes):
        raise TemplateRenderError("the PDF could not be written")
    return pdf

