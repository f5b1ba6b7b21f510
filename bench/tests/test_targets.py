"""Every figure `make bench` prints states its target and whether it was met, in the table
and in the results JSON."""

from bench.province import NO_TARGET, Table, at_most, ratio_at_least, ratio_at_most


def test_each_row_carries_its_verdict(capsys) -> None:
    table = Table()
    table.add("floor: SQL queries per request", 2, "", at_most(2))
    table.add("floor errors", 3, "", at_most(0))
    table.add("triage queue throughput", 90.0, "req/s", ratio_at_least(0.6, "floor"), 0.61)
    table.add("roster throughput", 50.0, "req/s", ratio_at_least(0.6, "floor"), 0.31)
    table.add("member import", 4.0, "s", ratio_at_most(3, "bare COPY"), 8.2)
    table.add("reminder run", 1.0, "s", NO_TARGET)
    assert [row["verdict"] for row in table.rows] == [
        "met",
        "missed",
        "met",
        "missed",
        "missed",
        "",
    ]
    assert table.rows[2]["target"] == "≥ 0.6 floor"
    table.print()
    out = capsys.readouterr().out
    assert "2 targets met, 3 missed: floor errors; roster throughput; member import" in out
