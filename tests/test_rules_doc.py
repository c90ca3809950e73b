"""The rules reference page and the README's rule table are written from the rule files and kept current."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from backlog_health.cli import main
from backlog_health.rules import load_rules
from backlog_health.rules_doc import reference, summary_table

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules().rules
UPDATE = "run `backlog-health rules docs > docs/rules.md` and `python tests/test_rules_doc.py` to update"


def _readme_table(text: str) -> str:
    found = re.search(r"<!-- rules:start -->\n(.*?)\n?<!-- rules:end -->", text, re.DOTALL)
    assert found, "README.md lacks the <!-- rules:start --> … <!-- rules:end --> markers"
    return found.group(1).strip()


def test_docs_page_matches_the_rule_files():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == reference(RULES), UPDATE


def test_readme_table_matches_the_rule_files():
    assert _readme_table((ROOT / "README.md").read_text(encoding="utf-8")) == summary_table(RULES), UPDATE


def test_docs_page_documents_every_rule_with_its_sections():
    page = reference(RULES)
    for rule in RULES:
        section = page.split(f"\n## {rule.id}\n", 1)[1].split("\n## ", 1)[0]
        for heading in ("**Message:**", "**Why it matters:**", "**How to fix:**", "**Flags:**", "**Accepts:**"):
            assert heading in section, f"{rule.id}: no {heading} section"
        assert section.count("- ✗ ") == len(rule.examples_fail), rule.id


def test_rules_docs_command_prints_the_page():
    result = CliRunner().invoke(main, ["rules", "docs"])
    assert result.exit_code == 0, result.output
    assert result.output == reference(RULES)


if __name__ == "__main__":  # rewrite the README table from the rule files
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    table = f"<!-- rules:start -->\n{summary_table(RULES)}\n<!-- rules:end -->"
    readme.write_text(re.sub(r"<!-- rules:start -->.*?<!-- rules:end -->", lambda _: table, text, flags=re.DOTALL))
