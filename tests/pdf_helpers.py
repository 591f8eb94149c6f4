"""Reading a printed PDF back as a person would: its QR codes decoded with zbar from pages
rasterised by pdftoppm, its words with pdftotext; and the pdf_tools fixture that requires them.
conftest.py registers this module as a plugin (pytest_plugins), so pdf_tools is a fixture to
every test module that asks for it with `pytest.mark.usefixtures("pdf_tools")`."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import missing


@pytest.fixture(scope="module")
def pdf_tools() -> None:
    """poppler and zbar are real requirements: missing in CI is a failure."""
    for tool in ("pdftoppm", "pdftotext", "pdffonts"):
        if shutil.which(tool) is None:
            missing(f"{tool} (apt-get install poppler-utils)")
    try:
        import pyzbar.pyzbar  # noqa: F401 - only to learn whether zbar's library loads
    except (ImportError, OSError):
        missing("zbar (apt-get install libzbar0; pip install pyzbar)")


def plain(text: str) -> str:
    """Text for comparison: NFKC, no marks, no spaces, no bidi controls."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)
                   not in ("Mn", "Cf"))


def read_back(pdf: bytes, tmp: Path) -> tuple[list[str], str]:
    """(decoded QR payloads of every page at 150 dpi, pdftotext output)."""
    # Imported here, not at the top: without zbar, pdf_tools says so instead of an ImportError.
    from PIL import Image
    from pyzbar.pyzbar import decode

    src = tmp / "p.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(src), str(tmp / "page")], check=True)
    found: list[str] = []
    for page in sorted(tmp.glob("page*.png")):
        with Image.open(page) as img:
            found += [d.data.decode() for d in decode(img)]
    text = subprocess.run(["pdftotext", str(src), "-"], check=True, capture_output=True,
                          text=True).stdout
    return found, text


def has_words(sentence: str, text: str) -> bool:
    """Every word of the sentence is in the extracted text. pdftotext may reorder the words
    of a wrapped right-to-left line, and moves its full stop, though the page is right."""
    flat = plain(text)
    return all(plain(w).strip(".,?!؟،") in flat for w in sentence.split())
