"""Collect every translatable message id from the code and templates; update the catalogs.

python -m resim.i18n.extract          # add new ids to it/en/zh, keep translations
python -m resim.i18n.extract --check  # exit 1 if a catalog lacks an id or a translation
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from resim.i18n import LANGUAGES, LOCALE_DIR

PACKAGE = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "N_": None,
    "_N": None,
    "gettext_for": (2,),
    "translate": (2,),
    **dict.fromkeys(
        (
            "AppError",
            "NotFound",
            "Conflict",
            "Invalid",
            "Forbidden",
            "Unauthenticated",
            "RateLimited",
            "Unavailable",
        ),
        (2,),
    ),
}
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def message_ids() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE,
        METHODS,
        keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"trimmed": "false"}},
    ):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            found.add(message)
    return found


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def load(language: str) -> Catalog:
    path = catalog_path(language)
    if not path.exists():
        return Catalog(locale=language, project="resim")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def problems() -> list[str]:
    wanted = message_ids()
    out: list[str] = []
    for language in LANGUAGES:
        catalog = load(language)
        for message_id in sorted(wanted):
            entry = catalog.get(message_id)
            if entry is None:
                out.append(f"{language}: missing {message_id!r}")
            elif language != "en" and not entry.string:
                out.append(f"{language}: untranslated {message_id!r}")
    return out


def update() -> None:
    wanted = message_ids()
    for language in LANGUAGES:
        old = load(language)
        new = Catalog(locale=language, project="resim", fuzzy=False)
        for message_id in sorted(wanted):
            entry = old.get(message_id)
            new.add(message_id, entry.string if entry else "")
        path = catalog_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=0, omit_header=False, sort_output=True)


if __name__ == "__main__":
    if "--check" in sys.argv:
        issues = problems()
        print("\n".join(issues) or "catalogs complete")
        sys.exit(1 if issues else 0)
    update()
