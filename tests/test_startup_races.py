"""Two processes starting at once on a fresh checkout (gunicorn workers without preload):
both get the same secret key, and both may compile catalogues without corrupting them."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from babel.messages.mofile import read_mo

from webapp import i18n
from webapp.config import ROOT, _secret_key


def _key(folder: str) -> str:
    return _secret_key(folder)


def test_processes_starting_together_share_one_secret_key(tmp_path: Path) -> None:
    """Eight fresh processes race to make instance/secret_key: one key, in all of them and in the
    file (0600), no temporary file left."""
    import os

    assert not os.environ.get("SECRET_KEY")  # else the file is never made
    folder = str(tmp_path / "instance")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(8) as pool:
        keys = pool.map(_key, [folder] * 8)
    stored = (tmp_path / "instance" / "secret_key").read_text().strip()
    assert set(keys) == {stored} and len(stored) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]


def _compile(folder: str) -> list[str]:
    return i18n.compile_catalogues(Path(folder), force=True)


def test_catalogues_compiled_by_several_processes_at_once_are_whole(tmp_path: Path) -> None:
    """Four processes compile the same catalogues at once: every .mo reads back whole, with
    as many messages as its .po, and no temporary file is left."""
    import shutil

    shutil.copytree(ROOT / "translations", tmp_path / "translations",
                    ignore=shutil.ignore_patterns("*.mo"))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        pool.map(_compile, [str(tmp_path / "translations")] * 4)
    for loc in i18n.LOCALES:
        if loc.status == "source":
            continue
        folder = tmp_path / "translations" / loc.babel / "LC_MESSAGES"
        with (folder / "messages.mo").open("rb") as fh:
            assert len(list(read_mo(fh))) > 100
        assert sorted(p.name for p in folder.iterdir()) == ["messages.mo", "messages.po"]
