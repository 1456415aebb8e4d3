"""Typed errors whose message is the one line a job prints when it fails."""

from __future__ import annotations


class LifecircleError(Exception):
    """Base class: the message is shown to the user as is, without a stack trace."""


class ConfigError(LifecircleError):
    """A configuration file, key or value is wrong; the message names the key and the file."""


class InputError(LifecircleError):
    """An input file or table is missing, unreadable or malformed; the message names it."""


class QualityGateError(LifecircleError):
    """A data-quality rule of severity `error` failed; the message names the rule and the count."""
