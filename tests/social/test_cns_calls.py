"""The engine on the real Copenhagen Networks Study call + SMS network, checked against NetworkX."""

from __future__ import annotations

import networkx as nx
from pyspark.sql import functions as F

from lifecircle.social.graph import Graph


def test_cns_graph_statistics_match_networkx(spark, shared_data):
    folder = shared_data / "cns_calls"
    calls = spark.read.csv(str(folder / "calls.csv"), sep=";", header=True)
    sms = spark.read.csv(str(folder / "sms.csv"), sep=";", header=True)
    edges = calls.select(F.col("Source").alias("src"), F.col("Target").alias("dst")).unionByName(
        sms.select(F.col("Source").alias("src"), F.col("Target").alias("dst"))).cache()
    vertices = edges.select(F.explode(F.array("src", "dst")).alias("id")).distinct()
    g = Graph(vertices, edges, backend="native", local_checkpoints=True)

    n_vertices = vertices.count()
    n_edges = g.canonical().count()
    sizes = sorted((r[0] for r in g.connected_components().groupBy("component").count().select("count").collect()),
                   reverse=True)
    triangles = g.triangle_count().agg(F.sum("triangle_count")).first()[0] // 3
    communities = g.label_propagation(max_iter=5, include_self=True).select("label").distinct().count()

    # independent reference: NetworkX on the same files read with the csv module
    import csv

    ref = nx.Graph()
    for name in ("calls.csv", "sms.csv"):
        with open(folder / name, newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                ref.add_node(row["Source"])
                ref.add_node(row["Target"])
                if row["Source"] != row["Target"]:
                    ref.add_edge(row["Source"], row["Target"])
    ref_sizes = sorted((len(c) for c in nx.connected_components(ref)), reverse=True)
    ref_triangles = sum(nx.triangles(ref).values()) // 3

    print(f"CNS calls+SMS: vertices={n_vertices} edges={n_edges} components={len(sizes)} "
          f"largest={sizes[0]} triangles={triangles} label-propagation communities={communities}")
    assert n_vertices == ref.number_of_nodes()
    assert n_edges == ref.number_of_edges()
    assert sizes == ref_sizes
    assert triangles == ref_triangles
    assert len(sizes) <= communities <= n_vertices  # labels never cross components
