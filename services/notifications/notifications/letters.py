"""Letters rendered to PDF by the service (fpdf2, core fonts: no font files to ship)."""
from __future__ import annotations

from fpdf import FPDF


def _latin1(text: str) -> str:
    # Core PDF fonts are Latin-1; anything else is replaced rather than failing the letter.
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(*, sender: str, address: dict, subject: str | None, body: str, date: str,
               registered: bool) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(80, 5, _latin1(sender), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(110, 50)  # window envelope position (DIN 5008 type B, near enough for C5/6)
    lines = [address["name"], *address["lines"], f"{address['postal_code']} {address['city']}", address["country"]]
    pdf.multi_cell(85, 5, _latin1("\n".join(lines)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(95)
    pdf.cell(0, 5, _latin1(date), align="R", new_x="LMARGIN", new_y="NEXT")
    if registered:
        pdf.cell(0, 5, "Registered letter", new_x="LMARGIN", new_y="NEXT")
    if subject:
        pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.multi_cell(0, 6, _latin1(subject), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
    pdf.ln(4)
    pdf.multi_cell(0, 5, _latin1(body), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
