"""Feature inference, preparation SQL, labels and bad input for any feature table."""

from __future__ import annotations

import pytest
from pyspark.ml import Pipeline
from pyspark.sql import types as T

from lifecircle.cli import main
from lifecircle.core.errors import InputError
from lifecircle.models.features import infer_features, label_values, preprocessing_stages, resolve_positive

SCHEMA = T.StructType([
    T.StructField("cust", T.StringType()), T.StructField("charges", T.StringType()),
    T.StructField("plan", T.StringType()), T.StructField("vip", T.BooleanType()),
    T.StructField("calls", T.IntegerType()), T.StructField("joined", T.DateType()),
    T.StructField("empty", T.StringType()), T.StructField("churn", T.StringType()),
])
ROWS = [("a", "10.5", "gold", True, 3, None, None, "Yes"), ("b", " ", "silver", False, None, None, "", "No"),
        ("c", "7", None, None, 5, None, None, "No"), ("d", "", " ", True, 1, None, None, "Yes")]


def test_infer_and_prepare(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    spec = infer_features(df, ["cust", "churn"], max_categories=1)
    assert spec.numeric == ["charges", "calls"] and spec.boolean == ["vip"]
    assert spec.categorical == []  # plan has 2 values: above max_categories=1
    assert set(spec.dropped) == {"plan", "joined", "empty"}
    assert infer_features(df, ["cust", "churn"], max_categories=2).categorical == ["plan"]


def test_prepare_values(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    spec = infer_features(df, ["cust", "churn"], max_categories=5)
    assert spec.categorical == ["plan"] and set(spec.dropped) == {"joined", "empty"}
    model = Pipeline(stages=preprocessing_stages(spec)).fit(df)
    out = model.transform(df).select("cust", "i__charges", "i__calls", "i__vip", "k__plan")
    # the median of two values is one of them (Spark's approximate quantile picks an observed value)
    got = {r["cust"]: r for r in out.collect()}
    assert got["a"]["i__charges"] == 10.5 and got["c"]["i__charges"] == 7.0
    assert got["b"]["i__charges"] == got["d"]["i__charges"] in (7.0, 10.5)
    assert got["b"]["i__calls"] == 3.0 and got["c"]["i__vip"] == 1.0
    assert [got[c]["k__plan"] for c in "abcd"] == ["gold", "silver", "__missing__", "__missing__"]
    # unseen category and a blank numeric at scoring time do not fail
    new = spark.createDataFrame([("e", "x1", "platinum", None, None, None, None, None)], SCHEMA)
    # 3 numeric slots + plan one-hot: 3 seen values and the indexer's unseen bucket, each kept, last dropped
    assert model.transform(new).select("features").first()[0].size == 3 + 4


def test_labels(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    assert label_values(df, "churn") == ["No", "Yes"]
    assert resolve_positive(["No", "Yes"], "churn") == "Yes"
    assert resolve_positive(["False", "True"], "Churn") == "True"
    assert resolve_positive(["A", "B"], "x", "B") == "B"
    with pytest.raises(InputError, match="more than two values"):
        resolve_positive(label_values(df, "plan") + ["x"], "plan")
    with pytest.raises(InputError, match="pass --positive"):
        resolve_positive(["A", "B"], "x")
    with pytest.raises(InputError, match="need two classes"):
        resolve_positive(["Yes"], "churn")


def test_cli_bad_input_one_line(spark, tmp_path, capsys):
    conf = ["--env", "test", "--set", f"paths.data_root={tmp_path / 'data'}"]
    good = tmp_path / "t.csv"
    good.write_text("id,x,churn\n1,2,Yes\n2,3,No\n3,4,Maybe\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,x,churn\n")
    cases = [
        (["--input", str(good), "--id", "nope", "--label", "churn"], "has no column 'nope'"),
        (["--input", str(good), "--id", "id", "--label", "missing"], "has no column 'missing'"),
        (["--input", str(good), "--id", "id", "--label", "churn"], "more than two values"),
        (["--input", str(empty), "--id", "id", "--label", "churn"], "is empty"),
        (["--input", str(header_only), "--id", "id", "--label", "churn"], "is empty"),
        (["--input", str(tmp_path / "absent.csv"), "--id", "id", "--label", "churn"], "not found"),
    ]
    for args, message in cases:
        rc = main(["churn", "fit", *args, "--model-out", str(tmp_path / "m"), *conf])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and message in err[0], (args, err)
