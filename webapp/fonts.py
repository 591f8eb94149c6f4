"""Fonts found at run time from system packages (Debian fonts-noto-core, fonts-noto-cjk).

No font file is committed. Each shipped locale needs one script's font; when it
is missing, callers say so before rendering anything.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

DEFAULT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")

# script -> (regular, bold) file names, first found wins.
SCRIPT_FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "latin": (("NotoSans-Regular.ttf",), ("NotoSans-Bold.ttf",)),
    "arabic": (("NotoNaskhArabic-Regular.ttf", "NotoSansArabic-Regular.ttf"),
               ("NotoNaskhArabic-Bold.ttf", "NotoSansArabic-Bold.ttf")),
    "devanagari": (("NotoSansDevanagari-Regular.ttf",), ("NotoSansDevanagari-Bold.ttf",)),
    "ethiopic": (("NotoSansEthiopic-Regular.ttf",), ("NotoSansEthiopic-Bold.ttf",)),
    "cjk": (("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"),
            ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf")),
}
# Debian package that provides each script's font (for the message when it is missing).
PACKAGES = {"latin": "fonts-noto-core", "arabic": "fonts-noto-core",
            "devanagari": "fonts-noto-core", "ethiopic": "fonts-noto-core", "cjk": "fonts-noto-cjk"}
LOCALE_SCRIPT = {"ar": "arabic", "fa": "arabic", "hi": "devanagari", "ti": "ethiopic",
                 "zh-Hans": "cjk"}


class MissingFont(LookupError):
    """No font for a script on this server; names the package that provides one."""

    def __init__(self, script: str) -> None:
        super().__init__(f"no {script} font installed (apt-get install {PACKAGES[script]})")
        self.script = script


def script_for(locale_tag: str) -> str:
    """The script a locale is written in (as far as fonts are concerned)."""
    return LOCALE_SCRIPT.get(locale_tag, "latin")


@functools.cache
def _index(dirs: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base in dirs:
        root = Path(base)
        if root.is_dir():
            for path in root.rglob("*"):
                if path.suffix.lower() in (".ttf", ".otf", ".ttc"):
                    found.setdefault(path.name, path)
    return found


def search_dirs() -> tuple[str, ...]:
    """HAVEN_FONT_DIRS (colon-separated) first, then the system font folders."""
    extra = tuple(d for d in os.environ.get("HAVEN_FONT_DIRS", "").split(":") if d)
    return extra + DEFAULT_DIRS


def font_files(script: str) -> tuple[Path, Path]:
    """(regular, bold) for a script, or MissingFont. Bold falls back to regular."""
    index = _index(search_dirs())
    regular_names, bold_names = SCRIPT_FILES[script]
    regular = next((index[n] for n in regular_names if n in index), None)
    if regular is None:
        raise MissingFont(script)
    bold = next((index[n] for n in bold_names if n in index), regular)
    return regular, bold


def missing_scripts(locale_tags: list[str]) -> list[str]:
    """Scripts (of these locales, plus Latin for numbers) with no font on this server."""
    out = []
    for script in dict.fromkeys(["latin", *(script_for(t) for t in locale_tags)]):
        try:
            font_files(script)
        except MissingFont:
            out.append(script)
    return out


@functools.cache
def _cmap(path: str) -> frozenset[int]:
    # fontTools (several MB) loads when a poster or booklet is first drawn, not in every worker.
    from fontTools.ttLib import TTFont

    kwargs = {"fontNumber": 0} if path.endswith(".ttc") else {}
    with TTFont(path, lazy=True, **kwargs) as font:  # type: ignore[arg-type]
        return frozenset(font.getBestCmap() or {})


IGNORABLE = {0x200C, 0x200D, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}


def uncovered(text: str, scripts: list[str]) -> list[str]:
    """Characters of text that none of these scripts' fonts can draw (as U+XXXX)."""
    maps = [_cmap(str(font_files(s)[0])) for s in scripts]
    out = []
    for ch in dict.fromkeys(text):
        cp = ord(ch)
        if ch.isspace() or cp in IGNORABLE:
            continue
        if not any(cp in m for m in maps):
            out.append(f"U+{cp:04X}")
    return out
