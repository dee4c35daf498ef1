"""Every importer against spreadsheets from other projects' test suites (../shared/corpus:
files made by Excel, LibreOffice, WPS, Google Sheets, Numbers and old writers, broken,
encrypted, empty, with hidden and chart sheets). None is a roster: each must get exit 0,
1 or 2 and a Chinese message, never a traceback."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

# CI clones the repository next to a copy of shared/
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FILES = sorted(
    path.name
    for path in (CORPUS.iterdir() if CORPUS.is_dir() else ())
    if path.is_file() and path.suffix.lower() not in (".md", ".txt")
)
COMMANDS = {
    "import_roster": (),
    "import_payments": ("--year", "2026"),
    "import_bureau_results": ("--year", "2026"),
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not FILES, reason=f"the corpus of spreadsheets is not at {CORPUS}"),
]


def run(command: str, path: Path) -> tuple[int, str]:
    """Exit code and what the staff would read, as a shell would see them."""
    out, err = StringIO(), StringIO()
    try:
        call_command(command, str(path), *COMMANDS[command], stdout=out, stderr=err)
    except CommandError as refused:
        return refused.returncode, str(refused)
    except SystemExit as exit_:
        return exit_.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", FILES)
def test_every_importer_answers_every_file_in_chinese(command, name, shanghai_2026):
    code, message = run(command, CORPUS / name)

    assert code in (0, 1, 2), message
    assert CHINESE.search(message), message
    if code == 2:  # refused: the message names the file and says why
        assert message.startswith(f"{name}："), message


def test_the_corpus_holds_the_files_its_sources_list():
    listed = {
        line.split("\t")[0] for line in (CORPUS / "SOURCES.txt").read_text().splitlines() if line
    }

    assert listed == set(FILES)
