"""`lifecircle data-dictionary`: regenerate docs/data_dictionary.md from the feature catalogue."""

from __future__ import annotations

import argparse


def _cmd(ns: argparse.Namespace) -> int:
    from lifecircle.features.dictionary import write_data_dictionary

    print(write_data_dictionary())
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("data-dictionary", help="regenerate docs/data_dictionary.md (panorama columns)")
    p.set_defaults(func=_cmd)
