"""Core services every job shares: config, Spark session, table and pipeline registries, Delta I/O.

`core` imports nothing else of ours, so every other package can depend on it.
"""
