from __future__ import annotations

from resim.i18n import gettext_for, negotiate
from resim.i18n.extract import message_ids, problems


def test_every_message_is_in_every_catalog_and_translated() -> None:
    assert problems() == []


def test_the_catalogs_cover_a_real_number_of_messages() -> None:
    ids = message_ids()
    assert len(ids) > 100
    assert "Suspend the line" in ids  # from a template
    assert "This is not a valid ICCID (19 or 20 digits starting with 89)." in ids  # from kit


def test_placeholders_survive_translation() -> None:
    for language in ("it", "en", "zh"):
        text = gettext_for(language, "Too many attempts. Try again in %(minutes)d minutes.")
        assert text % {"minutes": 3}


def test_accept_language_negotiation() -> None:
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert negotiate("de-DE,en;q=0.5,it;q=0.9") == "it"
    assert negotiate("fr, de") is None
    assert negotiate("en;q=0, it;q=0.1") == "it"
    assert negotiate("garbage;q=x") is None
    assert negotiate(None) is None
