"""The errors connectors raise. Each message names the request or setting and what to do."""

from __future__ import annotations


class ConnectorError(Exception):
    """A source could not be read; the message names the request and what to do about it."""


class RateLimitExhausted(ConnectorError):
    """The provider asked us to wait longer than the configured budget allows."""


class SourceConfigError(ConnectorError, ValueError):
    """A `[sources.<name>]` table that cannot be used; the message names the key."""
