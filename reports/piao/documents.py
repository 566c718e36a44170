"""The PIAO's section 2 (or the plain Piano della performance) as PDF and as DOCX, from one PiaoData.

The PDF is the Relazione's renderer (reports.pdf: WeasyPrint, print.css, PDF/A-3b, Italian hyphenation), one
document: tens of pages for a Camera's plan, 583 pages and 110 s for the 10.000-indicator synthetic one, so the pages
ask for it as a background job (jobs.runner), never inside a request. The DOCX (python-docx) is what the planning
office merges with the PIAO sections it receives from other offices (HR, anticorruption): real Word headings (so
Word builds its own sommario), tables with a header row, the 2.1 and 2.2 tables in landscape sections.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from django.template.loader import render_to_string
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reports.pdf import html_document_pdf
from reports.piao.data import Heading, PiaoData

STYLESHEETS = ["reports/print.css", "reports/piao.css"]
FORMATS = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
BLUE = RGBColor(0x00, 0x33, 0x66)


def piao_html(data: PiaoData) -> str:
    return render_to_string("reports/piao/document.html", {"d": data})


def piao_pdf(data: PiaoData) -> tuple[bytes, int]:
    """(content, pages): cover, sommario with page numbers, the sections; wide tables on landscape pages."""
    return html_document_pdf(piao_html(data), stylesheets=STYLESHEETS)


def piao_filename(data: PiaoData, suffix: str) -> str:
    kind = "PIAO-sezione-2" if data.is_piao else "Piano-performance"
    return f"{kind}-{data.plan.ente.code}-{data.year}{suffix}"


def document_format(path: str | Path) -> str:
    """The format of an output file by its extension: «.pdf» or «.docx»; anything else is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"Formato non supportato: «{suffix or Path(path).name}» (usare .pdf o .docx).")
    return suffix


# --- DOCX --------------------------------------------------------------------------------------------------------


def piao_docx(data: PiaoData) -> bytes:
    """The same document in Word: Heading 1-3 styles, tables «Table Grid» with a repeated header row."""
    doc = Document()
    _setup(doc, data)
    _cover(doc, data)
    _sommario(doc, data)
    if data.top is not None:
        _heading(doc, data.top, page_break=True)
        doc.add_paragraph(
            f"La sezione riporta, per l'annualità {data.year} del piano «{data.plan.title}», gli impatti di valore "
            f"pubblico che l'ente intende generare ({data.section_vp.number}), gli obiettivi e gli indicatori di "
            f"performance con i target dell'anno ({data.section_perf.number}) e i riferimenti alle misure di "
            f"prevenzione della corruzione e per la trasparenza ({data.section_risk.number}), secondo il DM 24 giugno "
            "2022, n. 132."
        )
    if data.section_vp is not None:
        _landscape(doc)
        _heading(doc, data.section_vp)
        _impacts(doc, data)
    _landscape(doc, new=data.section_vp is None)
    _heading(doc, data.section_perf)
    doc.add_paragraph(
        "Aree strategiche, obiettivi strategici e operativi con i loro indicatori: pesi (relativi tra i nodi "
        "fratelli), unità di misura, baseline, risultati finali degli anni precedenti (ove registrati in perfplan) e "
        f"target dell'anno {data.year}."
    )
    _tree(doc, data)
    if data.section_risk is not None:
        _portrait(doc)
        _heading(doc, data.section_risk)
        _measures(doc, data)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _setup(doc, data: PiaoData) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = "Titillium Web"
    normal.font.size = Pt(10)
    _language(normal.element, "it-IT")
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        styles[name].font.color.rgb = BLUE
    props = doc.core_properties
    props.title = data.title
    props.author = data.ente_legal_name
    props.subject = data.subtitle
    props.language = "it-IT"
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    header = section.header.paragraphs[0]
    header.text = f"{data.ente_name}\t\t{data.title}"
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Pagina ").font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" di ").font.size = Pt(8)
    _field(footer, "NUMPAGES")


def _language(element, lang: str) -> None:
    rpr = element.get_or_add_rPr()
    node = OxmlElement("w:lang")
    node.set(qn("w:val"), lang)
    rpr.append(node)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES, TOC) that Word computes when it opens or prints the file."""
    run = paragraph.add_run()
    run.font.size = Pt(8)
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = f" {instruction} "
        else:
            node = OxmlElement("w:t")
            node.text = text
        run._r.append(node)


def _cover(doc, data: PiaoData) -> None:
    logo = data.logo_bytes
    if logo:
        doc.add_picture(BytesIO(logo), height=Cm(2.5))
    ente = doc.add_paragraph()
    run = ente.add_run(data.ente_legal_name)
    run.bold, run.font.size, run.font.color.rgb = True, Pt(15), BLUE
    doc.add_heading(data.title, level=0)
    doc.add_paragraph(data.subtitle)
    doc.add_paragraph(data.act_line)
    doc.add_paragraph(f"Documento prodotto con perfplan il {data.generated_on}.")


def _sommario(doc, data: PiaoData) -> None:
    """A Word TOC field (Word fills it with page numbers: «Aggiorna campo») over the list of the headings."""
    doc.add_page_break()
    doc.add_heading("Sommario", level=1)
    paragraph = doc.add_paragraph()
    _field(paragraph, 'TOC \\o "1-3" \\h \\z \\u')
    for heading in data.headings:
        item = doc.add_paragraph(heading.text)
        item.paragraph_format.left_indent = Cm(0.6 * (heading.level - 1))
        item.paragraph_format.space_after = Pt(2)


def _heading(doc, heading: Heading, *, page_break: bool = False) -> None:
    if page_break:
        doc.add_page_break()
    doc.add_heading(heading.text, level=heading.level)


def _new_section(doc, orientation) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    if section.orientation != orientation:
        section.orientation = orientation
        section.page_width, section.page_height = section.page_height, section.page_width


def _landscape(doc, *, new: bool = True) -> None:
    if new:
        _new_section(doc, WD_ORIENT.LANDSCAPE)


def _portrait(doc) -> None:
    _new_section(doc, WD_ORIENT.PORTRAIT)


def _table(doc, headers: list[str], rows: list[list[str]], widths: list[float], *, bold_rows: set[int] = frozenset()):
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, text in zip(head.cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(8.5)
    for index, values in enumerate(rows):
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(8.5)
            run.bold = index in bold_rows
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def _impacts(doc, data: PiaoData) -> None:
    if not data.impacts:
        doc.add_paragraph("Il piano non indica ancora impatti di valore pubblico.")
    years = [str(y) for y in data.plan_years]
    for item in data.impacts:
        doc.add_heading(item.heading.text, level=item.heading.level)
        if item.description:
            doc.add_paragraph(item.description)
        line = doc.add_paragraph()
        line.add_run("Dimensioni (DM 132/2022): ").bold = True
        line.add_run(", ".join(item.dimensions) or "nessuna indicata")
        line = doc.add_paragraph()
        line.add_run("Obiettivi strategici che lo perseguono: ").bold = True
        line.add_run("; ".join(f"{code} – {title}" for code, title in item.objectives) or "nessuno collegato")
        if not item.indicators:
            doc.add_paragraph("Nessun indicatore di impatto.")
            continue
        free = 25.7 - 2.2 - 8.5 - 1.6 - 3.5
        _table(
            doc,
            ["Codice", "Indicatore", "Unità", "Baseline", *[f"Target {y}" for y in years]],
            [
                [i.code, i.name + (f" (fonte: {i.source})" if i.source else ""), i.unit, i.baseline, *i.targets]
                for i in item.indicators
            ],
            [2.2, 8.5, 1.6, 3.5, *[free / len(years)] * len(years)],
        )


def _tree(doc, data: PiaoData) -> None:
    if not data.areas:
        doc.add_paragraph("Il piano non ha ancora obiettivi.")
    served = bool(data.impacts)  # the «Valore pubblico» column only when the plan has impatti
    for area in data.areas:
        doc.add_heading(area.heading.text, level=area.heading.level)
        rows, bold = [], set()
        for index, line in enumerate(area.lines):
            indent = "  " * line.depth
            if line.kind == "node":
                bold.add(index)
                row = [line.code, f"{indent}{line.level_label}: {line.text}", line.weight, "", "", "", line.owner]
                rows.append(row + [line.public_values] * served)
            else:
                baseline = "\n".join([line.baseline, *(["Anni precedenti:", *line.previous] if line.previous else [])])
                row = [line.code, f"{indent}{line.text}", line.weight, line.unit, baseline.strip(), line.target, ""]
                rows.append(row + [""] * served)
        headers = ["Codice", "Obiettivo / indicatore", "Peso", "Unità", "Baseline e anni precedenti"]
        headers += [f"Target {data.year}", "Struttura"]
        widths = [2.2, 9.5, 1.4, 1.4, 2.8, 3.2, 3.4] if served else [2.2, 11.3, 1.4, 1.4, 2.8, 3.2, 3.4]
        _table(doc, headers + ["Valore pubblico"] * served, rows, widths + [1.8] * served, bold_rows=bold)


def _measures(doc, data: PiaoData) -> None:
    doc.add_paragraph(
        "Le misure di prevenzione della corruzione e per la trasparenza sono definite dal Responsabile della "
        "prevenzione della corruzione e della trasparenza (RPCT) nella sottosezione 2.3; qui se ne riportano i "
        "riferimenti collegati al piano."
    )
    if not data.measures:
        doc.add_paragraph(
            "L'ufficio di pianificazione non ha ancora indicato i riferimenti alle misure della sottosezione 2.3."
        )
        return
    _table(doc, ["Codice", "Misura", "Riferimento"], [[m.code, m.title, m.link] for m in data.measures], [2.5, 9, 5.5])
