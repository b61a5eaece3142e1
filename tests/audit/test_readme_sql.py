"""The plain-SQL audit path printed in the README runs against a real store."""

from __future__ import annotations

from pathlib import Path

import insider

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_sql() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text[text.index("```sql") + len("```sql"):]
    block = block[:block.index("```")]
    stmts = []
    for raw in block.split(";"):
        sql = "\n".join(ln for ln in raw.splitlines() if not ln.strip().startswith("--"))
        if sql.strip():
            stmts.append(sql.strip())
    return stmts


def test_readme_sql_statements_all_run(world):
    from qrp_jupyter.governance import create_candidate, promote
    c = create_candidate(world.store, world.edge.run_instance_id)
    promote(world.store, c["candidate_id"], "candidate")
    stmts = readme_sql()
    assert len(stmts) >= 6
    for sql in stmts:
        insider.rows(world.store, sql)
    # And the views say what the README says they say.
    chain = insider.row(world.store, "SELECT status, report_level, report_passed, family "
                                     "FROM v_candidate_chain")
    assert tuple(chain) == ("candidate", "candidate", 1, "t-trend")
    log = insider.rows(world.store, "SELECT kind, prev_hash, event_hash FROM v_governance_log")
    assert [r["kind"] for r in log] == ["candidate_created", "promoted"]
    assert log[1]["prev_hash"] == log[0]["event_hash"]
