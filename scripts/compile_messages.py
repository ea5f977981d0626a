"""Compile locale*/*/LC_MESSAGES/django.po into .mo files with Babel (no system gettext needed)."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted(ROOT.glob("locale*/*/LC_MESSAGES/django.po")):
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=po_path.parts[-3])
    with po_path.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog, use_fuzzy=False)
    print(f"compiled {po_path.relative_to(ROOT)}")
