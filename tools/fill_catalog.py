"""Fill a catalogue's untranslated entries from a plain list (one msgstr per line, in order).

Used to add machine translations in bulk: `python tools/fill_catalog.py es /tmp/es.txt`.
Plural entries take `form0||form1||...` (the last form repeats when the locale needs more).
Refuses a list whose length or placeholders do not match, so nothing is filled half-way.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def main(babel_id: str, source: str) -> None:
    """Fill, after checking every line."""
    path = ROOT / "translations" / babel_id / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path))
    todo = [e for e in po if not e.obsolete and not e.translated()]
    lines = [ln.rstrip("\n") for ln in Path(source).read_text("utf-8").splitlines() if ln.strip()]
    if len(lines) != len(todo):
        sys.exit(f"{babel_id}: {len(lines)} lines for {len(todo)} entries")
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))  # type: ignore[union-attr]
    for entry, line in zip(todo, lines, strict=True):
        forms = line.split("||")
        want = sorted(set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or ""))))
        for form in forms:
            got = sorted(set(PLACEHOLDER.findall(form)))
            if entry.msgid_plural:
                ok = set(got) <= set(want)
            else:
                ok = got == want
            if not ok:
                sys.exit(f"{babel_id}: placeholders differ for {entry.msgid!r}: {form!r}")
        if entry.msgid_plural:
            entry.msgstr_plural = {i: forms[min(i, len(forms) - 1)] for i in range(nplurals)}
        else:
            entry.msgstr = line
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save(str(path))
    print(f"{babel_id}: filled {len(todo)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
