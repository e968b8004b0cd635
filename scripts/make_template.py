"""Regenerate templates/prospects.xlsx, the starter workbook (`sheetsync init` writes the same).

Usage: python scripts/make_template.py [OUTPUT]   (default: templates/prospects.xlsx)
Run it after changing sheetsync/template.py, sheetsync/choices.py or the schema's headers.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sheetsync.template import write_starter_workbook

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "templates" / "prospects.xlsx"


def main(argv: list[str]) -> int:
    """Write the starter workbook to ``argv[0]`` or the default path; print where it went."""
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    write_starter_workbook(output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
