"""The Chinese labels are complete and the committed catalogue is compiled from them:
a fresh machine shows Chinese with no gettext tools installed."""

import ast
import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(
    r'^(#, fuzzy\n)?(?:#.*\n)*(?:msgctxt (".*")\n)?msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?'
    r'(?:msgstr|msgstr\[0\]) ((?:".*"\n)+)',
    re.MULTILINE,
)


def entries():
    for fuzzy, context, msgid, msgstr in ENTRY.findall(PO.read_text(encoding="utf-8")):
        msgid = "".join(ast.literal_eval(line) for line in msgid.splitlines())
        context = ast.literal_eval(context) if context else None
        if msgid:  # skip the header
            msgstr = "".join(ast.literal_eval(line) for line in msgstr.splitlines())
            yield fuzzy, context, msgid, msgstr


def test_every_label_is_translated_and_none_is_fuzzy():
    found = list(entries())

    assert len(found) > 100
    assert [msgid for fuzzy, _, msgid, msgstr in found if fuzzy or not msgstr] == []


def test_the_compiled_catalogue_matches_the_source():
    with translation.override("zh-hans"):
        stale = [
            msgid
            for _, context, msgid, msgstr in entries()
            if "%(" not in msgid
            and (translation.pgettext(context, msgid) if context else translation.gettext(msgid))
            != msgstr
        ]

    assert stale == []
