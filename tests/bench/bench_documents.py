"""Benchmark: a 500-line pick list rendered to PDF with the built-in pick list template.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_documents.py [--lines 500] [--runs 3] [--language zh]

What it measures: ``render_pdf`` of ``server/documents/defaults/pick_list.html`` with the shared
``base.css`` on the made-up pick list of ``server.documents.samples`` (``--lines`` lines over
bins in walking order, Chinese product names, a Code 128 of the number), the way printing does
it minus the database read: Jinja2 in the sandbox, then WeasyPrint's layout and PDF writing, in
this process. One untimed render first loads the fonts (fontconfig and the CJK font files are
read once per process, as in a running server), then ``--runs`` timed renders; the median is
the result. Wall time by ``time.perf_counter``, and this process's CPU time by
``time.process_time`` (rendering is single-threaded: on a busy machine wall time exceeds it by
the time others held the cores); the HTML step is also timed on its own. The PDF
is checked: its page count, and that its text (pypdf) holds the number and every line's SKU.

Goal: under 3 s for 500 lines.
"""

from __future__ import annotations

import argparse
import statistics
import time
from io import BytesIO

from pypdf import PdfReader

from server.documents.models import DocumentKind
from server.documents.rendering import render_html, render_pdf
from server.documents.samples import sample_view
from server.documents.templates import DEFAULTS_DIR

GOAL_SECONDS = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--language", choices=("zh", "en"), default="zh")
    args = parser.parse_args()

    html = (DEFAULTS_DIR / "pick_list.html").read_text("utf-8")
    css = (DEFAULTS_DIR / "base.css").read_text("utf-8")
    view = sample_view(DocumentKind.PICK_LIST, args.language, line_count=args.lines)

    started = time.perf_counter()
    pdf = render_pdf(html, css, view)
    print(f"first render (loads fonts): {time.perf_counter() - started:.2f} s")

    html_times, pdf_times, cpu_times = [], [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        render_html(html, view)
        html_times.append(time.perf_counter() - started)
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf = render_pdf(html, css, view)
        pdf_times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)

    reader = PdfReader(BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    missing = [line["sku"] for line in view["lines"] if line["sku"] not in text]
    if view["document"]["number"] not in text or missing:
        raise SystemExit(f"the PDF lacks the number or {len(missing)} lines' SKUs")

    median = statistics.median(pdf_times)
    print(f"{args.lines}-line pick list, {len(view['extra']['groups'])} bins, "
          f"{len(reader.pages)} pages, {len(pdf) / 1024:.0f} KiB")
    print(f"render_pdf: median {median:.2f} s of {args.runs} "
          f"({', '.join(f'{t:.2f}' for t in pdf_times)}); of which Jinja2 HTML: median "
          f"{statistics.median(html_times) * 1000:.0f} ms")
    print(f"CPU time of this process per render: median {statistics.median(cpu_times):.2f} s "
          f"(wall above CPU means other processes had the cores)")
    print(f"goal < {GOAL_SECONDS:.0f} s: {'met' if median < GOAL_SECONDS else 'NOT MET'}")


if __name__ == "__main__":
    main()
