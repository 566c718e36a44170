"""Reading a rendered Relazione back with pypdf, for the tests."""

from __future__ import annotations

import re
from io import BytesIO

from pypdf import PdfReader

TOC_LINE = re.compile(r"^(?P<title>.+?)\s*\.{4,}\s*(?P<page>\d+)$")


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages]


HYPHEN_BREAK = re.compile("[\u2010\u00ad-]\n(?=[a-zàèéìòù])")  # a word hyphenated at a line end (pyphen)


def flat(text: str) -> str:
    """The extracted text on one line: hyphenated words joined again, line ends as spaces."""
    return " ".join(HYPHEN_BREAK.sub("", text).split())


def sommario_entries(pages: list[str]) -> list[tuple[str, int]]:
    sommario = next(i for i, text in enumerate(pages) if "Sommario" in text.splitlines()[:3] or "\nSommario\n" in text)
    return [
        (m["title"].strip(), int(m["page"])) for line in pages[sommario].splitlines() if (m := TOC_LINE.match(line))
    ]


def first_page_with_heading(pages: list[str], title: str, after: int) -> int | None:
    """1-based number of the first page after `after` with a line starting with the heading."""
    for number, text in enumerate(pages, start=1):
        if number > after and any(line.strip().startswith(title) for line in text.splitlines()):
            return number
    return None


def pdftotext(content: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it (what a reader copying from the page gets), on one line."""
    import subprocess

    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True)
    return flat(out.stdout.decode())


def link_targets(content: bytes) -> list[tuple[int, str]]:
    """(1-based page, URI) of every page with a link annotation opening that URI, in page order (a link wrapped on
    two lines has an annotation per line: counted once)."""
    targets = []
    for number, page in enumerate(PdfReader(BytesIO(content)).pages, start=1):
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A")
            if action is not None and action.get("/URI") and (number, str(action["/URI"])) not in targets:
                targets.append((number, str(action["/URI"])))
    return targets
