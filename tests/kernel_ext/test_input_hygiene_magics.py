"""``%%qrp_run`` input hygiene (issue 11, part 6): the cell path parses the TOML itself when the
magic binds ``--name``/``--dataset``, so its deep nesting, byte order mark, ranges and user-code
interrupts are checked here too: one-line UsageError, nothing recorded.
"""

from __future__ import annotations

from kshell import assert_one_line_usage_error, run

from test_run_magic import RUN_CELL, SIGNAL, USER_CELL


def test_deep_nesting_in_a_cell_is_one_line_and_records_nothing(ip, world, counts):
    before = counts(world.store)
    for line in ("", "named", "--dataset edge"):
        for body in ("a = " + "[" * 100_000, "a = " + "{x=" * 100_000, "[" * 100_000):
            cell = run(ip, f"%%qrp_run {line}\n{body}\n")
            msg = assert_one_line_usage_error(cell, "<cell>")
            assert "nests tables or arrays" in msg or "not valid TOML" in msg, msg
    assert counts(world.store) == before


def test_a_cell_with_a_byte_order_mark_runs(ip, world, counts):
    before = counts(world.store)["run_instances"]
    cell = run(ip, "%%qrp_run bom\n\ufeff" + RUN_CELL)
    assert cell.error is None, cell.error
    assert counts(world.store)["run_instances"] == before + 1


def test_out_of_range_values_in_a_cell_name_the_key_line_and_range(ip, world, counts):
    before = counts(world.store)
    body = RUN_CELL.replace("[data]\n", "[data]\nperiods_per_year = 1e-300\n")
    for line in ("", "--dataset edge"):
        cell = run(ip, f"%%qrp_run {line}\n{body}")
        assert_one_line_usage_error(cell, "data.periods_per_year = 1e-300 is below 1",
                                    "allowed: [1, 31,622,400]", "<cell>:5")
    body = RUN_CELL.replace("reps = 49\n[nulls.pbo]", "reps = 49\nsize = 0.001\n[nulls.pbo]")
    cell = run(ip, f"%%qrp_run\n{body}")
    assert_one_line_usage_error(cell, "StepM could never reject a model")
    assert counts(world.store) == before


def test_a_keyboard_interrupt_in_a_notebook_strategy_is_a_usage_error(ip, world, counts):
    run(ip, SIGNAL.replace("out = np.zeros_like(close)",
                           "raise KeyboardInterrupt\n    out = np.zeros_like(close)"))
    before = counts(world.store)
    cell = run(ip, "%%qrp_run\n" + USER_CELL)
    assert_one_line_usage_error(cell, "the strategy function 'my_signal' was interrupted",
                                "nothing was recorded")
    assert counts(world.store) == before


def test_a_run_over_the_memory_budget_is_refused_before_any_work(ip, world, counts):
    # The budget comes from --memory-budget, else the memory_budget setting; either way the
    # refusal names the estimate and the budget, and nothing is recorded.
    before = counts(world.store)
    cell = run(ip, "%%qrp_run --memory-budget 1MiB\n" + RUN_CELL)
    assert_one_line_usage_error(cell, "memory budget is 1.0 MiB", "from memory_budget")
    ip.run_line_magic("config", "QrpMagics.memory_budget = '1MiB'")
    try:
        cell = run(ip, "%%qrp_run\n" + RUN_CELL)
        assert_one_line_usage_error(cell, "memory budget is 1.0 MiB")
        cell = run(ip, "%%qrp_run --memory-budget lots\n" + RUN_CELL)
        assert_one_line_usage_error(cell, "'lots' is not a size")
        assert counts(world.store) == before
        cell = run(ip, "%%qrp_run --memory-budget off\n" + RUN_CELL)  # the option wins
        assert cell.error is None, cell.error
    finally:
        ip.run_line_magic("config", "QrpMagics.memory_budget = ''")
    assert counts(world.store)["run_instances"] == before["run_instances"] + 1
