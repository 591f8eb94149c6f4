"""Reading a spreadsheet within fixed limits: cells, characters in one cell, characters in all,
and time. A 700 KB .xlsx can unpack to gigabytes of text and a CSV line can be endless, so
both are read as streams and refused, with the limit named, as soon as one is passed.

An .xlsx is scanned first (every worksheet and the shared strings, through expat, a chunk at
a time) before openpyxl opens it: openpyxl would hold a whole cell's text in memory before
anything could look at its length.
"""

from __future__ import annotations

import csv
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.parsers import expat

from webapp.exchange.sources import ImportError_

MAX_CELLS = 500_000  # 20,000 rows of 22 columns, and room to spare
MAX_CELL_CHARS = 10_000  # a description is the longest cell; the tip form allows 5,000
MAX_TEXT_CHARS = 20_000_000  # characters in the whole sheet
MAX_SECONDS = 20.0  # to read the sheet, before any row is checked
CHUNK = 64 * 1024
CLOCK_EVERY = 1000  # CSV lines between two looks at the clock


class Budget:
    """What one sheet has used so far; refuses the read (ImportError_) once a limit is passed."""

    def __init__(self, name: str, seconds: float | None = None) -> None:
        self.name = name
        self.cells = 0
        self.text = 0
        self.seconds = MAX_SECONDS if seconds is None else seconds
        self.deadline = time.monotonic() + self.seconds

    def refuse(self, what: str, limit: str) -> ImportError_:
        """The error naming the file, what went over and the limit's name."""
        return ImportError_([f"{self.name}: {what} (limit: {limit}); nothing was imported"])

    def cell(self, count: int = 1) -> None:
        """Count cells."""
        self.cells += count
        if self.cells > MAX_CELLS:
            raise self.refuse(f"more than {MAX_CELLS:,} cells", "cells")

    def chars(self, run: int, added: int) -> None:
        """Count `added` characters of text, `run` of them so far in the current cell."""
        self.text += added
        if run > MAX_CELL_CHARS:
            raise self.refuse(f"a cell holds more than {MAX_CELL_CHARS:,} characters",
                              "cell length")
        if self.text > MAX_TEXT_CHARS:
            raise self.refuse(f"more than {MAX_TEXT_CHARS:,} characters of text in all",
                              "total text")

    def clock(self) -> None:
        """Refuse once reading has taken too long."""
        if time.monotonic() > self.deadline:
            raise self.refuse(f"reading took more than {self.seconds:g} seconds", "time")


def _scanned_members(book: zipfile.ZipFile) -> list[str]:
    return [n for n in book.namelist() if n.lower() == "xl/sharedstrings.xml"
            or (n.lower().startswith("xl/worksheets/") and n.lower().endswith(".xml"))]


def scan_xlsx(path: Path, budget: Budget) -> None:
    """Stream every worksheet and the shared strings of a workbook through the budget."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportError_([f"{budget.name}: not a readable .xlsx workbook ({exc})"]) from exc
    with book:
        for member in _scanned_members(book):
            try:
                with book.open(member) as fh:
                    _scan_xml(fh, budget)
            except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ImportError_([f"{budget.name}: not a readable .xlsx workbook "
                                    f"({member}: {exc})"]) from exc


def _scan_xml(fh: IO[bytes], budget: Budget) -> None:
    parser = expat.ParserCreate()
    run = 0  # characters of text since the last tag: one cell's text, or one string's

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal run
        run = 0
        if name == "c" or name.endswith(":c"):
            budget.cell()

    def end(_name: str) -> None:
        nonlocal run
        run = 0

    def text(data: str) -> None:
        nonlocal run
        run += len(data)
        budget.chars(run, len(data))

    def no_dtd(*_args: object) -> None:
        # A workbook never declares a DTD; one here could only expand entities.
        raise ImportError_([f"{budget.name}: not a readable .xlsx workbook (a DTD)"])

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    while chunk := fh.read(CHUNK):
        parser.Parse(chunk, False)
        budget.clock()
    parser.Parse(b"", True)


def csv_rows(path: Path, budget: Budget) -> list[list[str]]:
    """The cells of a UTF-8 CSV file (comma or semicolon), read a line at a time within the
    budget; a line may hold at most one full cell per column of the contract, and a bit."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline(CHUNK)
            fh.seek(0)
            delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel's locales
            out = []
            for row in csv.reader(_lines(fh, budget), delimiter=delimiter):
                budget.cell(len(row))
                for value in row:
                    budget.chars(len(value), 0)
                out.append([v.strip() for v in row])
            return out
    except UnicodeDecodeError as exc:
        raise ImportError_([f"{budget.name}: not UTF-8 text; save the sheet as “CSV UTF-8”"]) \
            from exc
    except csv.Error as exc:  # a field past csv's own limit (128 Ki), or a stray NUL
        if "field larger than field limit" in str(exc):
            raise budget.refuse(f"a cell holds more than {MAX_CELL_CHARS:,} characters",
                                "cell length") from exc
        raise ImportError_([f"{budget.name}: not a readable CSV file ({exc})"]) from exc


MAX_LINE_CHARS = 32 * MAX_CELL_CHARS


def _lines(fh: IO[str], budget: Budget) -> Iterator[str]:
    """The file's lines, each counted against the budget, none longer than MAX_LINE_CHARS."""
    number = 0
    while line := fh.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise budget.refuse(f"file line {number} holds more than {MAX_LINE_CHARS:,} "
                                "characters", "cell length")
        budget.chars(0, len(line))
        if number % CLOCK_EVERY == 0:
            budget.clock()
        yield line
