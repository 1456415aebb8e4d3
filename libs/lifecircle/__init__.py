"""Lifecircle: telecom customer retention and precision marketing on Apache Spark."""

__version__ = "0.1.0"
