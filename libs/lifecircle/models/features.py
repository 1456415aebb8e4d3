"""Feature handling for any feature table: which columns are features (numeric, boolean, low-cardinality
strings, numeric strings with blanks), the label as 0/1, class weights, and the MLlib preprocessing
stages (SQL casts with try semantics, imputation, string indexing, one-hot encoding, assembly) that
travel inside the saved PipelineModel so scoring applies exactly the same preparation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from pyspark.ml.feature import (
    Imputer,
    OneHotEncoder,
    QuantileDiscretizer,
    SQLTransformer,
    StringIndexer,
    VectorAssembler,
)
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lifecircle.core.errors import InputError

LABEL = "label"
WEIGHT = "weight"
FEATURES = "features"
MISSING = "__missing__"
POSITIVE_WORDS = ("1", "1.0", "yes", "y", "true", "t", "churn", "churned")
NEGATIVE_WORDS = ("0", "0.0", "no", "n", "false", "f", "stay", "retained")
_NUMERIC_TYPES = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType)


def safe_name(col: str) -> str:
    """A column name usable as an MLlib column and in SQL without quoting ("Account length" -> Account_length)."""
    return re.sub(r"[^0-9A-Za-z_]", "_", col)


@dataclass
class FeatureSpec:
    """The features a model uses: numeric (incl. parsed numeric strings), boolean and categorical source columns."""

    numeric: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # column -> why it is not a feature

    @property
    def numeric_like(self) -> list[str]:
        return self.numeric + self.boolean

    def num_col(self, col: str) -> str:
        return f"n__{safe_name(col)}"

    def imp_col(self, col: str) -> str:
        return f"i__{safe_name(col)}"

    def cat_col(self, col: str) -> str:
        return f"k__{safe_name(col)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureSpec:
        return cls(**d)


def _q(col: str) -> str:
    return "`" + col.replace("`", "``") + "`"


def infer_features(df: DataFrame, exclude: list[str] | tuple[str, ...], max_categories: int = 50,
                   deny_patterns: list[str] | tuple[str, ...] = ()) -> FeatureSpec:
    """Any table in, its feature columns out (one aggregation): numbers and booleans; strings that all parse
    as numbers (blanks allowed) are numeric; other strings with at most `max_categories` values are
    categorical; dates, arrays, ids, all-null and high-cardinality columns are dropped with a reason."""
    excluded = {c.lower() for c in exclude}
    patterns = [re.compile(p) for p in deny_patterns]
    spec = FeatureSpec()
    candidates: list[tuple[str, T.DataType]] = []
    for f in df.schema.fields:
        if f.name.lower() in excluded or any(p.search(f.name) for p in patterns):
            continue
        if isinstance(f.dataType, _NUMERIC_TYPES + (T.BooleanType, T.StringType)):
            candidates.append((f.name, f.dataType))
        else:
            spec.dropped[f.name] = f"type {f.dataType.simpleString()} is not used as a feature"
    if not candidates:
        return spec
    aggs: list[Column] = []
    for i, (name, dtype) in enumerate(candidates):
        c = F.col(_q(name))
        if isinstance(dtype, T.StringType):
            trimmed = F.trim(c)
            aggs += [
                F.count(F.when(trimmed != "", 1)).alias(f"c{i}_nonblank"),
                F.count(F.expr(f"try_cast(trim({_q(name)}) AS DOUBLE)")).alias(f"c{i}_numeric"),
                F.approx_count_distinct(F.when(trimmed != "", trimmed)).alias(f"c{i}_distinct"),
            ]
        else:
            aggs.append(F.count(c).alias(f"c{i}_nonblank"))
    row = df.agg(*aggs).first()
    stats = row.asDict() if row is not None else {}
    for i, (name, dtype) in enumerate(candidates):
        nonblank = stats.get(f"c{i}_nonblank") or 0
        if nonblank == 0:
            spec.dropped[name] = "no values"
            continue
        if isinstance(dtype, T.BooleanType):
            spec.boolean.append(name)
        elif isinstance(dtype, T.StringType):
            if stats[f"c{i}_numeric"] == nonblank:
                spec.numeric.append(name)
            elif (distinct := stats[f"c{i}_distinct"]) <= max_categories:
                spec.categorical.append(name)
            else:
                spec.dropped[name] = f"about {distinct} distinct values (> {max_categories})"
        else:
            spec.numeric.append(name)
    return spec


def prepare_sql(spec: FeatureSpec) -> str:
    """The SQLTransformer statement: numeric strings parsed with try_cast (blanks -> null), booleans as 0/1,
    categories trimmed with blanks/nulls as an explicit `__missing__` value."""
    exprs = []
    for c in spec.numeric:
        exprs.append(f"try_cast(trim(CAST({_q(c)} AS STRING)) AS DOUBLE) AS {spec.num_col(c)}")
    for c in spec.boolean:
        exprs.append(f"CAST(try_cast(trim(CAST({_q(c)} AS STRING)) AS BOOLEAN) AS DOUBLE) AS {spec.num_col(c)}")
    for c in spec.categorical:
        exprs.append(f"coalesce(nullif(trim(CAST({_q(c)} AS STRING)), ''), '{MISSING}') AS {spec.cat_col(c)}")
    return "SELECT *, " + ", ".join(exprs) + " FROM __THIS__"


def preprocessing_stages(spec: FeatureSpec, numeric_bins: int = 0) -> list[Any]:
    """The MLlib stages before the classifier: casts, median imputation, indexing (unseen -> kept), one-hot, assembly.

    With `numeric_bins` > 1 every numeric column also enters as one-hot quantile buckets beside its value, so a
    linear model can follow non-linear effects (churn falls steeply over the first months of tenure)."""
    if not spec.numeric_like and not spec.categorical:
        raise InputError("no usable feature columns (every column is an id, the label, denied, empty or unusable)")
    stages: list[Any] = [SQLTransformer(statement=prepare_sql(spec))]
    inputs: list[str] = []
    if spec.numeric_like:
        num = [spec.num_col(c) for c in spec.numeric_like]
        imp = [spec.imp_col(c) for c in spec.numeric_like]
        stages.append(Imputer(inputCols=num, outputCols=imp, strategy="median"))
        inputs += imp
        if numeric_bins > 1 and spec.numeric:
            src = [spec.imp_col(c) for c in spec.numeric]
            bins = [f"q__{safe_name(c)}" for c in spec.numeric]
            bin_ohe = [f"b__{safe_name(c)}" for c in spec.numeric]
            stages.append(QuantileDiscretizer(inputCols=src, outputCols=bins, numBuckets=numeric_bins,
                                              handleInvalid="keep", relativeError=0.001))
            stages.append(OneHotEncoder(inputCols=bins, outputCols=bin_ohe, handleInvalid="keep", dropLast=True))
            inputs += bin_ohe
    if spec.categorical:
        cats = [spec.cat_col(c) for c in spec.categorical]
        idx = [f"x__{safe_name(c)}" for c in spec.categorical]
        ohe = [f"o__{safe_name(c)}" for c in spec.categorical]
        stages.append(StringIndexer(inputCols=cats, outputCols=idx, handleInvalid="keep",
                                    stringOrderType="frequencyDesc"))
        stages.append(OneHotEncoder(inputCols=idx, outputCols=ohe, handleInvalid="keep", dropLast=True))
        inputs += ohe
    stages.append(VectorAssembler(inputCols=inputs, outputCol=FEATURES, handleInvalid="keep"))
    return stages


def label_values(df: DataFrame, label: str) -> list[str]:
    """The distinct non-blank label values as strings (at most 3 are fetched: more than 2 is already an error)."""
    norm = F.trim(F.col(_q(label)).cast("string"))
    rows = df.select(norm.alias("v")).where(F.col("v").isNotNull() & (F.col("v") != "")).distinct().limit(3).collect()  # ok: three sample values
    return sorted(r["v"] for r in rows)


def resolve_positive(values: list[str], label: str, positive: str | None = None) -> str:
    """Which label value means churn: the given one, else the obvious one of yes/no, true/false, 1/0."""
    if len(values) > 2:
        raise InputError(f"label column '{label}' has more than two values ({', '.join(values)}, ...)")
    if len(values) < 2:
        raise InputError(f"label column '{label}' has {len(values)} distinct value(s) {values}: need two classes")
    if positive is not None:
        if positive not in values:
            raise InputError(f"positive value '{positive}' is not one of label '{label}' values {values}")
        return positive
    pos = [v for v in values if v.lower() in POSITIVE_WORDS]
    neg = [v for v in values if v.lower() in NEGATIVE_WORDS]
    if len(pos) == 1 and len(neg) == 1:
        return pos[0]
    raise InputError(f"cannot tell which of label '{label}' values {values} is churn: pass --positive VALUE")


def with_label(df: DataFrame, label: str, positive: str) -> DataFrame:
    """Rows with a non-blank label, plus `label` = 1.0 where the label equals `positive`, else 0.0."""
    norm = F.trim(F.col(_q(label)).cast("string"))
    return df.where(norm.isNotNull() & (norm != "")).withColumn(
        LABEL, F.when(norm == F.lit(positive), 1.0).otherwise(0.0))


def class_counts(df: DataFrame) -> tuple[int, int]:
    """(positives, negatives) of `label` in one aggregation."""
    row = df.agg(F.sum(LABEL).alias("p"), F.count(F.lit(1)).alias("n")).first()
    pos = int(row["p"] or 0) if row else 0
    n = int(row["n"] or 0) if row else 0
    return pos, n - pos


def with_class_weights(df: DataFrame, positives: int, negatives: int, enabled: bool = True) -> DataFrame:
    """`weight` so both classes weigh half the total (n / (2 n_class)); 1.0 everywhere when disabled."""
    if not enabled or positives == 0 or negatives == 0:
        return df.withColumn(WEIGHT, F.lit(1.0))
    n = positives + negatives
    return df.withColumn(WEIGHT, F.when(F.col(LABEL) == 1.0, n / (2.0 * positives))
                         .otherwise(n / (2.0 * negatives)))
