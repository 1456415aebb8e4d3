"""A GraphFrame-like graph engine over DataFrames: vertices (`id`), edges (`src`, `dst`), undirected algorithms.

Social graphs here are undirected, so every algorithm works on the symmetrised edge set without
self-loops or duplicate pairs. When the GraphFrames JVM package is on the session's classpath the
unweighted algorithms run through `graphframes.GraphFrame`; otherwise (and for the weighted or
self-voting label propagation, which GraphFrames lacks) native DataFrame implementations run. Both
return the same columns, and community / component ids are normalised to the smallest member id, so
results do not depend on the backend. Iterative loops checkpoint every few iterations to cut the
lineage; nothing collects edges to the driver (only scalar convergence checks and counts).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lifecircle.core.errors import InputError

ID = "id"
SRC = "src"
DST = "dst"

BACKENDS = ("auto", "native", "graphframes")
# PageRank is rounded to 1e-10: its sums run in partition order, and last-bit differences between two physical
# plans would otherwise break exact ties (symmetric vertices) differently in rank-based scores downstream
PAGERANK_DIGITS = 10


def graphframes_available(spark: SparkSession) -> bool:
    """True when the JVM class org.graphframes.GraphFrame can be loaded in this (classic) session."""
    try:
        jvm = spark._jvm  # type: ignore[attr-defined]
        if jvm is None:
            return False
        name = "org.graphframes.GraphFrame"
        try:  # jars passed by spark.jars live in the context class loader, not the system one
            jvm.java.lang.Thread.currentThread().getContextClassLoader().loadClass(name)
        except Exception:
            jvm.java.lang.Class.forName(name)
        return True
    except Exception:
        return False


def _checkpoint(df: DataFrame, local: bool) -> DataFrame:
    return df.localCheckpoint(eager=True) if local else df.checkpoint(eager=True)


def _require(df: DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{what} lacks column(s) {', '.join(missing)} (has {', '.join(df.columns)})")


def _min_member_ids(assign: DataFrame, col: str) -> DataFrame:
    """Rename each group label in `col` to the smallest vertex id carrying it (backend-independent ids)."""
    root = assign.groupBy(col).agg(F.min(ID).alias("_root"))
    return assign.join(root, col).select(ID, F.col("_root").alias(col))


def _rescaled(ranks: DataFrame, group: Column) -> DataFrame:
    """PageRanks rescaled to sum to the number of vertices in each group, rounded to PAGERANK_DIGITS."""
    ranks = ranks.withColumn("_g", group)
    totals = ranks.groupBy("_g").agg(F.count("*").alias("_n"), F.sum("pagerank").alias("_s"))
    return ranks.join(F.broadcast(totals), "_g").select(
        ID, F.round(F.col("pagerank") * F.col("_n") / F.col("_s"), PAGERANK_DIGITS).alias("pagerank")
    )


class Graph:
    """Vertices with `id` and edges with `src`, `dst` (optional weight column); algorithms treat it as undirected."""

    ID = ID
    SRC = SRC
    DST = DST

    def __init__(
        self,
        vertices: DataFrame,
        edges: DataFrame,
        weight_col: str | None = None,
        backend: str = "auto",
        checkpoint_interval: int = 2,
        local_checkpoints: bool = False,
    ) -> None:
        _require(vertices, [ID], "graph vertices")
        _require(edges, [SRC, DST] + ([weight_col] if weight_col else []), "graph edges")
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} not in {BACKENDS}")
        if checkpoint_interval < 1:
            raise ValueError("checkpoint_interval must be >= 1")
        self.vertices = vertices
        self.edges = edges
        self.weight_col = weight_col
        self.checkpoint_interval = checkpoint_interval
        self.local_checkpoints = local_checkpoints
        self.spark = vertices.sparkSession
        if backend == "graphframes" and not graphframes_available(self.spark):
            raise InputError("backend 'graphframes' asked for, but org.graphframes.GraphFrame is not on the classpath")
        self.backend = (
            ("graphframes" if graphframes_available(self.spark) else "native") if backend == "auto" else backend
        )

    # ------------------------------------------------------------------ edge views
    def undirected(self) -> DataFrame:
        """Both directions of every distinct non-loop pair: src, dst, weight (summed over duplicates, 1.0 if none)."""
        w = F.col(self.weight_col).cast("double") if self.weight_col else F.lit(1.0)
        e = self.edges.select(F.col(SRC).alias("_a"), F.col(DST).alias("_b"), w.alias("_w")).where(
            F.col("_a") != F.col("_b")
        )
        canon = e.select(
            F.least("_a", "_b").alias(SRC), F.greatest("_a", "_b").alias(DST), "_w"
        ).groupBy(SRC, DST).agg(F.sum("_w").alias("weight"))
        return canon.unionByName(canon.select(F.col(DST).alias(SRC), F.col(SRC).alias(DST), "weight"))

    def canonical(self) -> DataFrame:
        """Each undirected pair once with src < dst."""
        return self.undirected().where(F.col(SRC) < F.col(DST)).select(SRC, DST)

    def _graphframe(self):
        from graphframes import GraphFrame

        return GraphFrame(self.vertices.select(ID), self.undirected().select(SRC, DST))

    # ------------------------------------------------------------------ degrees
    def degrees(self) -> DataFrame:
        """id, degree (distinct neighbours, 0 for isolated vertices), weighted_degree (sum of edge weights)."""
        d = self.undirected().groupBy(F.col(SRC).alias(ID)).agg(
            F.count("*").alias("degree"), F.sum("weight").alias("weighted_degree")
        )
        return (
            self.vertices.select(ID).join(d, ID, "left")
            .select(ID, F.coalesce("degree", F.lit(0)).cast("long").alias("degree"),
                    F.coalesce("weighted_degree", F.lit(0.0)).alias("weighted_degree"))
        )

    # ------------------------------------------------------------------ connected components
    def connected_components(self, max_iter: int = 100) -> DataFrame:
        """id, component (the smallest vertex id of its connected component)."""
        if self.backend == "graphframes":
            cc = self._graphframe().connectedComponents(checkpointInterval=self.checkpoint_interval)
            return _min_member_ids(cc.select(ID, "component"), "component")
        return self._components_native(max_iter)

    def _components_native(self, max_iter: int) -> DataFrame:
        # Large-star / small-star (Kiveris et al. 2014), as GraphFrames' two-phase algorithm: edges are
        # kept oriented (big, small); at the fixed point every vertex points at its component's minimum.
        big, small = "big", "small"
        # materialised once: every iteration reads the edge set several times (self-joins), and an
        # unmaterialised start multiplies the plan of the symmetrise/dedupe steps into each of them
        ee = _checkpoint(self.canonical().select(F.col(DST).alias(big), F.col(SRC).alias(small)), self.local_checkpoints)
        previous: tuple[int, int] | None = None
        for i in range(max_iter):
            # large-star: each u links every strictly larger neighbour to min(u, N(u))
            sym = ee.select(F.col(big).alias("u"), F.col(small).alias("v")).unionByName(
                ee.select(F.col(small).alias("u"), F.col(big).alias("v"))
            )
            mins = sym.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
            ee = (
                sym.where(F.col("v") > F.col("u")).join(mins, "u")
                .select(F.col("v").alias(big), F.col("m").alias(small)).distinct()
            )
            # small-star: each u links itself and its smaller neighbours to the smallest of them
            mins2 = ee.groupBy(big).agg(F.min(small).alias("m"))
            ee = (
                ee.join(mins2, big).select(F.col(small).alias(big), F.col("m").alias(small))
                .where(F.col(big) != F.col(small))
                .unionByName(mins2.select(F.col(big), F.col("m").alias(small)))
                .distinct()
            )
            if (i + 1) % self.checkpoint_interval == 0:
                ee = _checkpoint(ee, self.local_checkpoints)
            row = ee.agg(F.count("*").alias("n"), F.sum(F.xxhash64(big, small).cast("decimal(38,0)")).alias("h")).first()
            state = (int(row["n"]), int(row["h"] or 0))
            if state == previous:
                break
            previous = state
        roots = ee.groupBy(F.col(big).alias(ID)).agg(F.min(small).alias("_root"))
        return self.vertices.select(ID).join(roots, ID, "left").select(
            ID, F.coalesce("_root", F.col(ID)).alias("component")
        )

    # ------------------------------------------------------------------ label propagation
    def label_propagation(self, max_iter: int = 5, weighted: bool = False, include_self: bool = False) -> DataFrame:
        """id, label: static label propagation (GraphX semantics: each vertex takes its neighbours' most frequent
        label, ties to the smallest label); `weighted` sums edge weights instead of counting, `include_self` adds
        the vertex's own label as a vote weighing as much as its strongest tie (stops star/pair oscillation). Labels are renamed to the smallest
        member id."""
        if max_iter < 1:
            raise ValueError("label propagation needs max_iter >= 1")
        if self.backend == "graphframes" and not weighted and not include_self:
            lp = self._graphframe().labelPropagation(maxIter=max_iter)
            return _min_member_ids(lp.select(ID, "label"), "label")
        und = self.undirected()
        vote = F.col("weight") if weighted else F.lit(1.0)
        # materialised once: otherwise every iteration re-runs the symmetrise/dedupe shuffles of the edge set
        msgs_edges = _checkpoint(und.select(F.col(SRC), F.col(DST), vote.alias("_w")), self.local_checkpoints)
        labels = self.vertices.select(ID, F.col(ID).alias("label"))
        # the own label weighs as much as the strongest tie: a hub keeps its label against any single
        # neighbour, which stops the synchronous swap on stars and pairs (1.0 when unweighted)
        self_weight = msgs_edges.groupBy(F.col(SRC).alias(ID)).agg(F.max("_w").alias("_sw"))
        if include_self:
            self_weight = _checkpoint(self_weight, self.local_checkpoints)
        for i in range(max_iter):
            msgs = msgs_edges.join(labels.withColumnRenamed(ID, SRC), SRC).select(
                F.col(DST).alias(ID), "label", "_w"
            )
            if include_self:
                own = labels.join(self_weight, ID, "left")
                msgs = msgs.unionByName(own.select(ID, "label", F.coalesce("_sw", F.lit(1.0)).alias("_w")))
            best = (
                msgs.groupBy(ID, "label").agg(F.sum("_w").alias("_score"))
                .groupBy(ID).agg(F.min(F.struct((-F.col("_score")).alias("s"), F.col("label").alias("l"))).alias("_b"))
                .select(ID, F.col("_b.l").alias("_new"))
            )
            labels = labels.join(best, ID, "left").select(ID, F.coalesce("_new", "label").alias("label"))
            if (i + 1) % self.checkpoint_interval == 0:
                labels = _checkpoint(labels, self.local_checkpoints)
        return _min_member_ids(labels, "label")

    # ------------------------------------------------------------------ PageRank
    def page_rank(self, reset_probability: float = 0.15, max_iter: int | None = 10, tol: float | None = None,
                  normalise_within: Column | None = None) -> DataFrame:
        """id, pagerank on the symmetrised graph with GraphX semantics (damping 1 - reset, start 1.0,
        rank = reset + (1 - reset) * sum(rank_u / outdeg_u)); dangling / isolated vertices lose their mass each
        step and the result is rescaled so that ranks sum to the number of vertices (as GraphX/GraphFrames do), then
        rounded to PAGERANK_DIGITS decimals. `normalise_within` (an expression over `id`) rescales each group of
        vertices on its own: graphs of several months side by side, each as if alone."""
        if (max_iter is None) == (tol is None):
            raise ValueError("set exactly one of max_iter or tol")
        if self.backend == "graphframes":
            pr = self._graphframe().pageRank(resetProbability=reset_probability, maxIter=max_iter, tol=tol)
            ranks = pr.vertices.select(ID, "pagerank")
            if normalise_within is None:
                return ranks.select(ID, F.round("pagerank", PAGERANK_DIGITS).alias("pagerank"))
            return _rescaled(ranks, normalise_within)
        und = self.undirected().select(SRC, DST)
        out = und.groupBy(SRC).agg((1.0 / F.count("*")).alias("_share"))
        # materialised once, as in label propagation: each iteration then joins ranks to a plain scan
        edges = _checkpoint(und.join(out, SRC), self.local_checkpoints)
        ranks = self.vertices.select(ID, F.lit(1.0).alias("pagerank"))
        limit = max_iter if max_iter is not None else 10_000
        for i in range(limit):
            contrib = edges.join(ranks.withColumnRenamed(ID, SRC), SRC).groupBy(F.col(DST).alias(ID)).agg(
                F.sum(F.col("pagerank") * F.col("_share")).alias("_in")
            )
            new = ranks.join(contrib, ID, "left").select(
                ID,
                F.col("pagerank").alias("_old"),
                (F.lit(reset_probability) + F.lit(1.0 - reset_probability) * F.coalesce("_in", F.lit(0.0))).alias(
                    "pagerank"
                ),
            )
            if (i + 1) % self.checkpoint_interval == 0 or tol is not None:
                new = _checkpoint(new, self.local_checkpoints)
            if tol is not None:
                delta = new.agg(F.max(F.abs(F.col("pagerank") - F.col("_old")))).first()[0]
                ranks = new.select(ID, "pagerank")
                if delta is None or delta < tol:
                    break
            else:
                ranks = new.select(ID, "pagerank")
        return _rescaled(ranks, normalise_within if normalise_within is not None else F.lit(0))

    # ------------------------------------------------------------------ triangles and clustering
    def triangle_count(self) -> DataFrame:
        """id, triangle_count: triangles through each vertex (undirected, loops and duplicate pairs ignored)."""
        if self.backend == "graphframes":
            from pyspark import StorageLevel

            tc = self._graphframe().triangleCount(storage_level=StorageLevel.MEMORY_AND_DISK)
            return tc.select(ID, F.col("count").cast("long").alias("triangle_count"))
        canon = self.canonical()
        deg = self.undirected().groupBy(F.col(SRC).alias("_v")).agg(F.count("*").alias("_d"))
        # orient every edge from the lower (degree, id) end to the higher one: hubs get few out-edges
        e = (
            canon.join(deg.select(F.col("_v").alias(SRC), F.col("_d").alias("_ds")), SRC)
            .join(deg.select(F.col("_v").alias(DST), F.col("_d").alias("_dd")), DST)
        )
        low_first = (F.col("_ds") < F.col("_dd")) | ((F.col("_ds") == F.col("_dd")) & (F.col(SRC) < F.col(DST)))
        o = e.select(
            F.when(low_first, F.col(SRC)).otherwise(F.col(DST)).alias("lo"),
            F.when(low_first, F.col(DST)).otherwise(F.col(SRC)).alias("hi"),
        )
        a, b = o.alias("a"), o.alias("b")
        wedges = a.join(b, (F.col("a.lo") == F.col("b.lo")) & (F.col("a.hi") < F.col("b.hi"))).select(
            F.col("a.lo").alias("x"), F.col("a.hi").alias("y"), F.col("b.hi").alias("z")
        )
        tri = wedges.join(
            canon, (F.least("y", "z") == F.col(SRC)) & (F.greatest("y", "z") == F.col(DST))
        ).select("x", "y", "z")
        per_vertex = tri.select(F.explode(F.array("x", "y", "z")).alias(ID)).groupBy(ID).agg(
            F.count("*").alias("triangle_count")
        )
        return self.vertices.select(ID).join(per_vertex, ID, "left").select(
            ID, F.coalesce("triangle_count", F.lit(0)).cast("long").alias("triangle_count")
        )

    def clustering_coefficient(self) -> DataFrame:
        """id, degree, triangle_count, clustering_coefficient = 2T / (d (d - 1)), 0 when d < 2 (as NetworkX)."""
        d = self.degrees().select(ID, "degree")
        t = self.triangle_count()
        cc: Column = F.when(
            F.col("degree") >= 2, 2.0 * F.col("triangle_count") / (F.col("degree") * (F.col("degree") - 1))
        ).otherwise(F.lit(0.0))
        return d.join(t, ID).select(ID, "degree", "triangle_count", cc.alias("clustering_coefficient"))
