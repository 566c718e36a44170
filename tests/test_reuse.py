"""Reuse by other bodies (issue 15, item 9): the EUPL-1.2 licence and the publiccode.yml of Developers Italia."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_licence_is_the_whole_eupl_1_2():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    articles = re.findall(r"^(\d+)\. ", text, re.MULTILINE)
    assert articles == [str(n) for n in range(1, 16)]
    for phrase in ("Copyleft clause", "Compatibility clause", "Disclaimer of Liability", "Applicable Law"):
        assert phrase in text
    assert "‘Compatible Licences’ according to Article 5 EUPL are:" in text


def _folded(text: str, key: str) -> str:
    """The text of a `key: >-` block, joined as YAML folds it (enough for the length rules)."""
    match = re.search(rf"^(\s+){key}: >-\n((?:\1  .*\n|\n)+)", text, re.MULTILINE)
    assert match, key
    return " ".join(line.strip() for line in match.group(2).splitlines() if line.strip())


def test_publiccode_yml_describes_perfplan_for_the_catalogue():
    text = (ROOT / "publiccode.yml").read_text()
    top = dict(re.findall(r'^([a-zA-Z]+):\s*"?([^"\n]*)"?$', text, re.MULTILINE))
    assert top["publiccodeYmlVersion"] == "0.4"
    assert top["name"] == "perfplan" and top["url"].startswith("https://")
    assert top["softwareType"] == "standalone/web"
    assert top["developmentStatus"] in {"concept", "development", "beta", "stable", "obsolete"}
    assert re.search(r"^platforms:\n  - web$", text, re.MULTILINE)
    assert re.search(r"^legal:\n  license: EUPL-1.2$", text, re.MULTILINE)
    assert re.search(r"^maintenance:\n  type: (internal|contract|community|none)\n  contacts:\n", text, re.MULTILINE)
    assert re.search(r"^dependsOn:\n  open:\n    - name: PostgreSQL$", text, re.MULTILINE)
    assert re.search(r"^description:\n  it:\n", text, re.MULTILINE)
    assert len(_folded(text, "shortDescription")) <= 150
    assert 150 <= len(_folded(text, "longDescription")) <= 10000
    assert "D.Lgs. 150/2009" in _folded(text, "longDescription")


def test_the_readme_names_both():
    readme = (ROOT / "README.md").read_text()
    assert "[`LICENSE`](LICENSE)" in readme and "[`publiccode.yml`](publiccode.yml)" in readme
