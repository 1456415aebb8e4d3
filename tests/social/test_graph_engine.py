"""The graph engine on hand-made graphs with known answers, natively and (when its JVM package is present)
through real GraphFrames."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from lifecircle.core.errors import InputError
from lifecircle.social.graph import Graph, graphframes_available
from tests.fixtures import graphs as G


def _as_dict(df, key, value):
    return {r[key]: r[value] for r in df.collect()}


def _pagerank_reference(edges, vertices, reset=0.15, iters=10):
    """Plain-Python GraphX static PageRank on the symmetrised graph, normalised to sum = number of vertices."""
    nbrs = {v: set() for v in vertices}
    for s, d, _ in edges:
        if s != d:
            nbrs[s].add(d)
            nbrs[d].add(s)
    rank = dict.fromkeys(vertices, 1.0)
    for _ in range(iters):
        incoming = dict.fromkeys(vertices, 0.0)
        for u, ns in nbrs.items():
            for v in ns:
                incoming[v] += rank[u] / len(ns)
        rank = {v: reset + (1 - reset) * incoming[v] for v in vertices}
    total = sum(rank.values())
    return {v: r * len(vertices) / total for v, r in rank.items()}


@pytest.fixture(scope="module")
def three(spark):
    v, e = G.all_three(spark)
    return Graph(v, e, weight_col="weight", backend="native")


def test_connected_components_and_degrees(spark, three):
    cc = three.connected_components()
    expected = {**dict.fromkeys(G.CLIQUE_A + G.CLIQUE_B, "a1"), **dict.fromkeys((G.STAR_CENTRE,) + G.STAR_LEAVES, "h"),
                **dict.fromkeys(G.TRIANGLE, "t1"), "z": "z"}
    assert _as_dict(cc, "id", "component") == expected
    deg = three.degrees()
    assert _as_dict(deg, "id", "degree") == {
        "a1": 3, "a2": 3, "a3": 3, "a4": 4, "b1": 4, "b2": 3, "b3": 3, "b4": 3,
        "h": 5, "l1": 1, "l2": 1, "l3": 1, "l4": 1, "l5": 1, "t1": 2, "t2": 2, "t3": 2, "z": 0,
    }
    assert _as_dict(deg, "id", "weighted_degree")["a4"] == 16.0


def test_triangles_and_clustering(three):
    cc = three.clustering_coefficient()
    tri = _as_dict(cc, "id", "triangle_count")
    assert tri == {**dict.fromkeys(G.CLIQUE_A + G.CLIQUE_B, 3), **dict.fromkeys(G.TRIANGLE, 1),
                   **dict.fromkeys((G.STAR_CENTRE, "z") + G.STAR_LEAVES, 0)}
    coef = _as_dict(cc, "id", "clustering_coefficient")
    assert coef["a1"] == 1.0 and coef["a4"] == 0.5 and coef["b1"] == 0.5 and coef["t2"] == 1.0
    assert coef["h"] == 0.0 and coef["l1"] == 0.0 and coef["z"] == 0.0


def test_label_propagation_finds_the_two_communities(spark):
    v, e = G.two_communities(spark)
    lp = Graph(v, e, backend="native", checkpoint_interval=2).label_propagation(max_iter=4)
    assert _as_dict(lp, "id", "label") == {**dict.fromkeys(G.CLIQUE_A, "a1"), **dict.fromkeys(G.CLIQUE_B, "b1")}


def test_label_propagation_star_oscillates_without_self_vote_and_settles_with_it(spark):
    v, e = G.star(spark)
    g = Graph(v, e, backend="native")
    # GraphX semantics: centre and leaves swap labels every step, so after an odd count they differ
    plain = _as_dict(g.label_propagation(max_iter=3), "id", "label")
    assert plain == {"h": "h", **dict.fromkeys(G.STAR_LEAVES, "l1")}
    settled = _as_dict(g.label_propagation(max_iter=3, include_self=True), "id", "label")
    assert settled == dict.fromkeys((G.STAR_CENTRE,) + G.STAR_LEAVES, "h")


def test_pagerank_matches_reference_and_sums_to_vertex_count(spark):
    edges = G.star_edges() + G.triangle_edges()
    v, e = G.frames(spark, edges, extra_vertices=("z",))
    pr = _as_dict(Graph(v, e, backend="native").page_rank(max_iter=6), "id", "pagerank")
    ref = _pagerank_reference(edges, sorted(pr), iters=6)
    assert pr.keys() == ref.keys()
    for k in ref:
        assert pr[k] == pytest.approx(ref[k], rel=1e-9), k
    assert sum(pr.values()) == pytest.approx(len(pr))
    assert pr["t1"] == pytest.approx(pr["t2"]) and pr["h"] > pr["l1"] > pr["z"]


def test_pagerank_needs_exactly_one_stopping_rule(three):
    with pytest.raises(ValueError):
        three.page_rank(max_iter=None, tol=None)


def test_bad_input_names_the_missing_column(spark):
    v, e = G.triangle(spark)
    with pytest.raises(InputError, match="dst"):
        Graph(v, e.withColumnRenamed("dst", "to"))
    with pytest.raises(ValueError):
        Graph(v, e, backend="igraph")


def test_real_graphframes_agrees_with_native(spark):
    if not graphframes_available(spark):
        pytest.skip("GraphFrames JVM package (io.graphframes:graphframes-spark4_2.13) is not on the classpath; "
                    "it is not served by the Maven registry reachable here")
    v, e = G.all_three(spark)
    native = Graph(v, e, backend="native")
    real = Graph(v, e, backend="graphframes")
    assertDataFrameEqual(real.connected_components(), native.connected_components())
    assertDataFrameEqual(real.triangle_count(), native.triangle_count())
    pr_n, pr_r = (_as_dict(g.page_rank(max_iter=5), "id", "pagerank") for g in (native, real))
    assert pr_r == pytest.approx(pr_n, rel=1e-6)
    v2, e2 = G.two_communities(spark)
    lp = Graph(v2, e2, backend="graphframes").label_propagation(max_iter=4)
    groups = lp.groupBy("label").agg(F.sort_array(F.collect_list("id")).alias("m")).collect()
    assert sorted(tuple(r["m"]) for r in groups) == [G.CLIQUE_A, G.CLIQUE_B]
