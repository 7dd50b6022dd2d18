"""The pack's disclosures: MRR by original currency with the rates used, constant
currency against the month-end rates, what the revenue checks left out (in rows, as the
data-quality gauge counts them, and in money), and the past_due share of MRR.

The March 2026 data set (Europe/London) plus foreign-currency rows whose figures are
computed here again in Python from the rows themselves, and compared with the PDF read
back as text and with ``collect --at`` the month end.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from exporter.history.report.build import build
from exporter.history.report.formats import money, percent
from exporter.history.report.month import Month
from tests import support as S
from tests.conftest import require_tool
from tests.datasets import NOW, march_2026
from tests.instants import ts
from tests.test_report import _evaluation_of_collect

MARCH = Month(2026, 3)
END = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # 1 April 00:00 BST

RATES = [
    S.rate("EUR", "2025-01-01", "0.85"),
    S.rate("EUR", "2026-02-01", "0"),  # not a rate: ignored, fx_rate_invalid
    S.rate("EUR", "2026-03-01", "0.86"),
    S.rate("EUR", "2026-03-31", "0.90"),  # the month-end rate
    S.rate("EUR", "2026-04-01", "0.95"),  # in force from T's own date: not March's
    S.rate("USD", "2025-01-01", "0.78"),
    S.rate("USD", "2026-03-31", "0.75"),
]
# (id, supplier, amount_minor, start, end, currency, interval, status)
ROWS = [
    (101, 5, 5000, "2025-06-01 00:00", None, "EUR", 1, "active"),
    (102, 5, 12000, "2026-03-05 00:00", None, "EUR", 12, "active"),
    (103, 6, 4000, "2025-09-01 00:00", None, "USD", 1, "past_due"),
    (104, 7, 3000, "2025-10-01 00:00", None, "CHF", 1, "active"),  # no CHF rate
    (105, 7, 1000, "2025-08-01 00:00", "2026-02-01 00:00", "CHF", 1, "canceled"),
    (106, 8, -500, "2025-08-01 00:00", None, "GBP", 1, "active"),  # negative
    (107, 8, 1000, "2026-02-01 00:00", "2026-01-01 00:00", "GBP", 1, "active"),
    (108, 6, 1500, "2025-12-01 00:00", None, "GBP", 1, "past_due"),
]


def _load(url: str) -> S.Any:
    cfg = march_2026(url)
    S.load(
        url,
        suppliers=[
            S.supplier(i, ts("2025-01-01 00:00"), category="caterers") for i in (5, 6, 7, 8)
        ],
        fx_rates=RATES,
        subscriptions=[
            S.sub(
                i,
                x,
                a,
                ts(b),
                None if e is None else ts(e),
                currency=c,
                interval_months=n,
                status=st,
            )
            for i, x, a, b, e, c, n, st in ROWS
        ],
    )
    return cfg


def _rate(currency: str, on: str) -> Decimal | None:
    """The latest positive rate with valid_from on or before ``on`` (independent of the SQL)."""
    found = [r for r in RATES if r["currency"] == currency and str(r["valid_from"]) <= on]
    found = [r for r in found if r["rate"] > 0]
    return max(found, key=lambda r: r["valid_from"])["rate"] if found else None


def _pdf_text(body: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(body)
    return subprocess.run(
        [require_tool("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_disclosures_match_the_rows_and_collect(db_url: str, tmp_path: Path) -> None:
    cfg = _load(db_url)
    built = build(db_url, cfg, MARCH, "pdf", now=NOW)
    d = built.data.disclosures
    assert d is not None and d.rate_date == "2026-03-31"
    ev = _evaluation_of_collect(db_url, cfg, END)

    # By currency, from the rows: the start-date rate (local date of started_at), live at T.
    eur = [Decimal(5000) * Decimal("0.85") / 100, Decimal(12000) / 12 * Decimal("0.86") / 100]
    usd = Decimal(4000) * Decimal("0.78") / 100
    by = {c.currency: c for c in d.currencies}
    assert set(by) == {"GBP", "EUR", "USD"}
    assert by["EUR"].mrr == sum(eur) == Decimal("51.10")
    assert by["EUR"].amount == Decimal("60.00")
    assert (by["EUR"].min_rate, by["EUR"].max_rate) == (Decimal("0.85"), Decimal("0.86"))
    assert by["EUR"].closing_rate == _rate("EUR", "2026-03-31") == Decimal("0.90")
    assert by["EUR"].mrr_at_closing_rate == Decimal("54.00")
    assert by["USD"].mrr == usd == Decimal("31.20")
    assert by["USD"].mrr_at_closing_rate == Decimal("30.00")
    # The GBP rows: March's 74.99 plus row 108's 15.00 (106 is negative: left out).
    assert by["GBP"].mrr == Decimal("89.99")
    # The currencies add up to the MRR the exporter exports at the month end.
    assert float(d.mrr) == ev.value("execmetrics_mrr", currency="GBP") == 172.29
    assert d.foreign_mrr == Decimal("82.30")
    assert d.foreign_mrr_at_closing_rates == Decimal("84.00")

    # Left out: rows per check equal the data-quality gauge at T; money of the live ones.
    for check in (
        "subscription_negative_amount",
        "subscription_missing_fx_rate",
        "subscription_ended_before_started",
        "subscription_invalid_interval",
    ):
        gauge = ev.value("execmetrics_data_quality_issues", check=check)
        assert d.rows_left_out(check) == gauge, check
    out = {(x.check, x.currency): x for x in d.left_out}
    chf = out[("subscription_missing_fx_rate", "CHF")]
    assert (chf.periods, chf.live_periods, chf.monthly_amount) == (2, 1, Decimal("30.00"))
    neg = out[("subscription_negative_amount", "GBP")]
    assert (neg.periods, neg.live_periods, neg.monthly_amount) == (1, 1, Decimal("-5.00"))
    ebs = out[("subscription_ended_before_started", "GBP")]
    assert (ebs.periods, ebs.live_periods, ebs.monthly_amount) == (1, 0, None)

    # past_due: rows 103 and 108 are live at T, so they are in MRR.
    pd = d.past_due
    assert (pd.periods, pd.suppliers, pd.mrr) == (2, 1, usd + Decimal("15.00"))

    text = _pdf_text(built.body, tmp_path)
    page = next(
        p for p in text.split("\f") if "Disclosures" in p and "MRR by original currency" in p
    )
    lines = page.splitlines()
    eur_line = next(ln for ln in lines if ln.strip().startswith("EUR "))
    share = percent(float(Decimal("51.10") / Decimal("172.29")))
    for cell in ("£51.10", share, "€60.00", "0.8500–0.8600", "0.8517", "0.9000", "£54.00"):
        assert cell in eur_line, (cell, eur_line)
    usd_line = next(ln for ln in lines if ln.strip().startswith("USD "))
    for cell in ("£31.20", "$40.00", "0.7800", "0.7500", "£30.00"):
        assert cell in usd_line, (cell, usd_line)
    flat = " ".join(page.split())
    foreign_share = percent(float(Decimal("82.30") / Decimal("172.29")))
    assert f"{foreign_share} of MRR is EUR/USD: £82.30 at start-date rates vs £84.00" in flat
    chf_line = next(ln for ln in lines if "subscription_missing_fx_rate" in ln and "CHF" in ln)
    assert chf_line.split()[-4:] == ["2", "1", "CHF", "30.00"]
    past_share = percent(float((usd + 15) / Decimal("172.29")))
    assert (
        f"Past due: 2 subscriptions, {money(46.2, 'GBP', pence=True)}, {past_share} of MRR" in flat
    )


def _cells(line: str) -> list[str]:
    return line.split()


def test_segments_match_collect_at_the_month_ends(db_url: str, tmp_path: Path) -> None:
    cfg = _load(db_url)
    built = build(db_url, cfg, MARCH, "pdf", now=NOW)
    ev = _evaluation_of_collect(db_url, cfg, END)
    text = _pdf_text(built.body, tmp_path)
    page = next(p for p in text.split("\f") if "Cohort logo retention" in p)
    lines = page.splitlines()
    mrr = ev.value("execmetrics_mrr", currency="GBP")
    assert mrr is not None

    def line(label: str, after: str = "") -> str:
        """The text from ``label`` (a cell that starts a row, in either column) onwards."""
        start = next(i for i, ln in enumerate(lines) if after in ln) if after else 0
        found = (re.search(rf"(^|\s){re.escape(label)}\s.*", ln) for ln in lines[start:])
        return next(m for m in found if m).group(0).strip()

    # The bounded breakdowns, as exported at the month end (and summing to MRR).
    plans = ev.series("execmetrics_mrr_by_plan")
    assert len(plans) == 3 and sum(plans.values()) == pytest.approx(mrr)
    for labels, value in plans.items():
        plan = dict(labels)["plan"]
        paying = ev.value("execmetrics_paying_suppliers_by_plan", plan=plan)
        row = _cells(line(plan, "MRR by plan"))
        assert row[1:4] == [money(value, "GBP", pence=True), percent(value / mrr), f"{paying:,.0f}"]
    for dim in ("category", "country"):
        series = ev.series(f"execmetrics_mrr_by_{dim}")
        assert sum(series.values()) == pytest.approx(mrr)
        for labels, value in series.items():
            row = line(dict(labels)[dim], f"MRR by {dim}")
            assert money(value, "GBP", pence=True) in row and percent(value / mrr) in row

    # Growth accounting: net new MRR and the quick ratio from the exported movements.
    move = {
        m: ev.value("execmetrics_mrr_movement", currency="GBP", movement=m)
        for m in ("new", "reactivation", "expansion", "contraction", "churn")
    }
    up = move["new"] + move["reactivation"] + move["expansion"]  # type: ignore[operator]
    down = move["contraction"] + move["churn"]  # type: ignore[operator]
    start = _evaluation_of_collect(db_url, cfg, built.data.previous_at)
    assert up - down == pytest.approx(mrr - start.value("execmetrics_mrr", currency="GBP"))
    assert money(up - down, "GBP", pence=True) in line("Net new MRR")
    assert f"{up / down:.2f}" in line("Quick ratio")
    assert money(ev.value("execmetrics_ltv", currency="GBP"), "GBP", pence=True) in line("LTV")
    assert ev.value("execmetrics_trial_conversion_ratio") is None  # no trial ended in March
    assert "–" in line("Trial conversion")
    risk = ev.value("execmetrics_mrr_at_risk", currency="GBP")
    assert money(risk, "GBP", pence=True) in line("MRR at risk")

    # Cohorts: each row's last cell is the ratio exported at the month end; an inner cell
    # is the one exported at the end of the cohort's month + age.
    for metric, title in (
        ("execmetrics_cohort_logo_retention_ratio", "Cohort logo retention"),
        ("execmetrics_cohort_mrr_retention_ratio", "Cohort MRR retention"),
    ):
        series = {dict(k)["cohort"]: v for k, v in ev.series(metric).items()}
        assert sorted(series) == ["2025-06", "2025-09", "2026-03"]
        for cohort, value in series.items():
            row = _cells(line(cohort, title))
            age = (2026 - int(cohort[:4])) * 12 + 3 - int(cohort[5:])
            assert len(row) == 1 + age + 1 and row[-1] == percent(value), (cohort, row)
        november = _evaluation_of_collect(db_url, cfg, datetime(2025, 12, 1, tzinfo=UTC))
        inner = november.value(metric, cohort="2025-09")
        assert _cells(line("2025-09", title))[3] == percent(inner)
    mrr_row = _cells(line("2025-09", "Cohort MRR retention"))
    assert mrr_row[3] == "148.1%"  # supplier 6 added row 108 in December: (31.20 + 15) / 31.20


def test_csv_carries_the_disclosures_and_segments(db_url: str) -> None:
    cfg = _load(db_url)
    body = build(db_url, cfg, MARCH, "csv", now=NOW).body
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(body.decode()))}
    ev = _evaluation_of_collect(db_url, cfg, END)

    def value(metric: str) -> str:
        return rows[metric]["value"]

    assert value("mrr_by_currency_EUR") == "51.10"
    # Money's unit is its currency: the reporting one, or the original one for _in_ rows.
    assert rows["mrr_by_currency_EUR"]["unit"] == rows["net_new_mrr"]["unit"] == "GBP"
    assert rows["mrr_by_currency_EUR_in_EUR"]["unit"] == "EUR"
    assert rows["left_out_subscription_missing_fx_rate_CHF_monthly_in_CHF"]["unit"] == "CHF"
    assert rows["quick_ratio"]["unit"] == "ratio"
    assert "currency" not in {r["unit"] for r in rows.values()}
    assert value("mrr_by_currency_EUR_in_EUR") == "60.00"
    assert value("fx_rate_weighted_average_EUR") == f"{51.10 / 60:.6f}"
    assert value("mrr_foreign_at_start_date_rates") == "82.30"
    assert value("mrr_foreign_at_month_end_rates") == "84.00"
    assert value("left_out_subscription_missing_fx_rate_CHF_rows") == "2"
    assert value("left_out_subscription_missing_fx_rate_CHF_monthly_in_CHF") == "30.00"
    assert value("mrr_status_past_due") == "46.20"
    for labels, v in ev.series("execmetrics_mrr_by_plan").items():
        assert float(value(f"mrr_by_plan_{dict(labels)['plan']}")) == pytest.approx(v, abs=0.006)
    assert float(value("ltv")) == pytest.approx(
        ev.value("execmetrics_ltv", currency="GBP"), abs=0.006
    )
    logo = ev.value("execmetrics_cohort_logo_retention_ratio", cohort="2025-06")
    assert float(value("cohort_logo_retention_2025-06_age_9")) == pytest.approx(logo, abs=1e-6)
    assert "cohort_logo_retention_2025-06_age_10" not in rows  # after the report's month
