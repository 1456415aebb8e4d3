"""`evaluate-file` on a hand-made randomized e-mail experiment (Hillstrom-like columns), numbers checked by hand."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats as st

from lifecircle.campaigns.cli import main as campaign_cli_main
from lifecircle.campaigns.evaluate_file import evaluate_file
from lifecircle.core.errors import InputError

MENS, WOMENS, NONE = "Mens E-Mail", "Womens E-Mail", "No E-Mail"
# visit: Mens 4/10, Womens 5/10, control 2/10; spend: Mens 1..5 then five 0, control 1,1,1,1,6 then five 0.
ROWS = (
    [(f"m{i}", MENS, v, s) for i, (v, s) in enumerate(zip([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 0, 0, 0, 0, 0], strict=True))]
    + [(f"w{i}", WOMENS, v, 0) for i, v in enumerate([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])]
    + [(f"n{i}", NONE, v, s) for i, (v, s) in enumerate(zip([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 6, 0, 0, 0, 0, 0], strict=True))]
)


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "hillstrom_mini.csv"
    path.write_text("id,segment,visit,spend\n" + "\n".join(f"{a},{b},{c},{d}" for a, b, c, d in ROWS) + "\n")
    return path


def _row(result, outcome, group):
    return next(r for r in result["results"] if r["outcome"] == outcome and r["group"] == group)


def test_two_proportion_by_hand(spark, csv_path, tmp_path):
    res = evaluate_file(spark, str(csv_path), "segment", NONE, ["visit", "spend"], str(tmp_path / "out"), id_col="id")
    r = _row(res, "visit", MENS)
    assert (r["n_group"], r["n_control"], r["kind"]) == (10, 10, "binary")
    assert r["value_group"] == pytest.approx(0.4) and r["value_control"] == pytest.approx(0.2)
    assert r["difference"] == pytest.approx(0.2)
    se = math.sqrt(0.4 * 0.6 / 10 + 0.2 * 0.8 / 10)  # = 0.2
    assert se == pytest.approx(0.2)
    assert r["ci_low"] == pytest.approx(0.2 - 1.959964 * 0.2, abs=1e-5)
    assert r["ci_high"] == pytest.approx(0.2 + 1.959964 * 0.2, abs=1e-5)
    z = 0.2 / math.sqrt(0.3 * 0.7 * (1 / 10 + 1 / 10))  # pooled p = 0.3
    assert r["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert r["p_value"] == pytest.approx(0.32913, abs=1e-4)
    w = _row(res, "visit", WOMENS)
    assert w["difference"] == pytest.approx(0.3)
    assert res["groups"] == {MENS: 10, NONE: 10, WOMENS: 10}
    assert res["duplicate_ids"] == 0


def test_welch_by_hand(spark, csv_path, tmp_path):
    res = evaluate_file(spark, str(csv_path), "segment", NONE, ["spend"], str(tmp_path / "out"))
    r = _row(res, "spend", MENS)
    assert r["kind"] == "continuous"
    assert r["value_group"] == pytest.approx(1.5) and r["value_control"] == pytest.approx(1.0)
    m = [1, 2, 3, 4, 5, 0, 0, 0, 0, 0]
    c = [1, 1, 1, 1, 6, 0, 0, 0, 0, 0]
    ref = st.ttest_ind(m, c, equal_var=False)
    assert r["difference"] == pytest.approx(0.5)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    vm, vc = 32.5 / 9, 30 / 9  # sample variances by hand: (sum of squares 55 - 10*1.5^2) / 9 and (40 - 10*1^2) / 9
    se = math.sqrt(vm / 10 + vc / 10)
    dof = (vm / 10 + vc / 10) ** 2 / ((vm / 10) ** 2 / 9 + (vc / 10) ** 2 / 9)
    q = st.t.ppf(0.975, dof)
    assert r["ci_low"] == pytest.approx(0.5 - q * se) and r["ci_high"] == pytest.approx(0.5 + q * se)
    assert r["statistic"] == pytest.approx(0.5 / se)


def test_writes_json_and_html_with_chart(spark, csv_path, tmp_path):
    out = tmp_path / "report"
    rc = campaign_cli_main(["evaluate-file", "--input", str(csv_path), "--id", "id", "--group", "segment",
                            "--control", NONE, "--outcome", "visit", "--outcome", "spend", "--out", str(out)],
                           spark=spark)
    assert rc == 0
    data = json.loads((out / "evaluation.json").read_text())
    assert {(r["outcome"], r["group"]) for r in data["results"]} == {
        ("visit", MENS), ("visit", WOMENS), ("spend", MENS), ("spend", WOMENS)}
    page = (out / "evaluation.html").read_text()
    assert "data:image/png;base64," in page and "Womens E-Mail" in page


def test_bad_input_names_the_problem(spark, csv_path, tmp_path):
    with pytest.raises(InputError, match="control value 'Nobody'"):
        evaluate_file(spark, str(csv_path), "segment", "Nobody", ["visit"], str(tmp_path / "o"))
    with pytest.raises(InputError, match="conversion"):
        evaluate_file(spark, str(csv_path), "segment", NONE, ["conversion"], str(tmp_path / "o"))
    bad = tmp_path / "bad.csv"
    bad.write_text("segment,visit\nA,1\nB,yes\n")
    with pytest.raises(InputError, match="non-numeric"):
        evaluate_file(spark, str(bad), "segment", "A", ["visit"], str(tmp_path / "o"))
    with pytest.raises(InputError, match="not found"):
        evaluate_file(spark, str(tmp_path / "missing.csv"), "segment", "A", ["visit"], str(tmp_path / "o"))
