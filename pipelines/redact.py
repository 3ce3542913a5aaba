"""The one redaction layer: secrets become `***` before any text leaves paved.

Two kinds of secret are removed:
- the configured ones: the value of every environment variable that a `*_env` key of the
  configuration names (`token_env`, `slack_webhook_env`, `smtp_password_env`, ...), registered
  when a run or a delivery starts (`register_config`), before any request is made;
- anything that looks like a credential whatever its origin (a provider echoing a token in its
  error body, a redirect carrying `?access_token=`): `Bearer xxx`, `token xxx`, PagerDuty's
  `Token token=xxx`, `GenieKey xxx`, `Authorization: ...` and other auth headers, GitHub
  (`ghp_`, `github_pat_`), GitLab (`glpat-`) and Slack (`xox?-`, webhook) tokens, the password
  of a URL (`https://user:pass@host`) and secret-looking query parameters (`token=`,
  `access_token=`, `private_token=`, `api_key=`, `key=`, ...).

It is applied where an exception or a message becomes text (connector error messages, the
source-run recorder, the runner's failure message and `last_run.json`, delivery outcomes, the
CLI's last line of defence) and to every log record (`install_logging`). Redact *before*
truncating: a cut token no longer matches.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; no real token is this short

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None  # the registered values, longest first

# A credential after an auth scheme: 8+ token characters with a digit or one of `_+/=`, or 20+ of
# them: "Bearer ghp_x1..." is one, "Bearer tokens" and "token per second" are not.
_CRED = r"(?:(?=[A-Za-z0-9._~+/=-]*[0-9_+/=])[A-Za-z0-9._~+/=-]{8,}|[A-Za-z0-9._~+/=-]{20,})"
_SECRET_PARAM = (
    r"access_token|refresh_token|id_token|private_token|auth_token|client_secret|api_key|"
    r"apikey|api-key|token|key|secret|password|passwd|signature|sig"
)
_AUTH_HEADER = (
    r"proxy-authorization|authorization|private-token|x-api-key|x-auth-token|cookie|set-cookie"
)

# (pattern, replacement); applied in order after the registered values.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # `Authorization: Bearer x`, `PRIVATE-TOKEN: x`, `"authorization": "Token token=x"`: the value
    (re.compile(
        rf"(?i)\b({_AUTH_HEADER})([\"']?\s*[:=]\s*[\"']?)"
        r"(?:(?:bearer|token|basic|geniekey|digest)\s+)?[^\s'\",;}}\]]+"
    ), rf"\1\2{MASK}"),
    # URL userinfo password: https://user:pass@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@"), rf"\1:{MASK}@"),
    # query parameters and key=value pairs (`Token token=x`, `?access_token=x`, `api_key=x`)
    (re.compile(rf"(?i)(?<![A-Za-z0-9_-])({_SECRET_PARAM})=[^&\s'\",;)}}\]]+"), rf"\1={MASK}"),
    # JSON / dict forms: "access_token": "x"
    (re.compile(rf"(?i)([\"'])({_SECRET_PARAM})\1(\s*:\s*)([\"'])[^\"']+\4"),
     rf"\1\2\1\3\4{MASK}\4"),
    # auth schemes followed by a credential
    (re.compile(rf"(?i)\b(bearer|token|geniekey|basic)(\s+){_CRED}"), rf"\1\2{MASK}"),
    # provider token formats, wherever they appear
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"), MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"(?i)(hooks\.slack\.com/services/)[^\s'\"<>]+"), rf"\1{MASK}"),
]


# --- registering the configured secrets ---------------------------------------------------------


def register(values: Iterable[str | None]) -> None:
    """Add secret values (and their URL-encoded forms) to what `redact` masks."""
    global _pattern
    added = False
    with _lock:
        for value in values:
            value = (value or "").strip()
            if len(value) < MIN_SECRET_LENGTH:
                continue
            for form in {value, quote(value, safe=""), quote_plus(value, safe="")}:
                if form not in _secrets:
                    _secrets.add(form)
                    added = True
        if added:
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def env_names(config: Any) -> list[str]:
    """The environment variable names every `*_env` key of a configuration (any depth) holds."""
    names: list[str] = []
    if isinstance(config, Mapping):
        for key, value in config.items():
            if str(key).endswith("_env") and isinstance(value, str) and value:
                names.append(value)
            else:
                names.extend(env_names(value))
    elif isinstance(config, list | tuple):
        for item in config:
            names.extend(env_names(item))
    return names


def register_config(config: Any, env: Mapping[str, str] | None = None) -> list[str]:
    """Register the values of the variables named by the configuration's `*_env` keys (a parsed
    `paved.toml`, a section of it, or a `Config`); returns the names. Reads no other variable."""
    raw = getattr(config, "raw", config)
    env = os.environ if env is None else env
    names = env_names(raw)
    register(env.get(name) for name in names)
    return names


def clear() -> None:
    """Forget the registered values (tests)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


# --- redacting ----------------------------------------------------------------------------------


def redact(text: Any) -> str:
    """`text` (made a string) with every registered secret and credential-looking part masked."""
    text = "" if text is None else str(text)
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for rx, replacement in PATTERNS:
        text = rx.sub(replacement, text)
    return text


def redact_obj(value: Any) -> Any:
    """A JSON-like value with every string in it (keys included) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact_obj(k): redact_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_obj(v) for v in value]
    return value


def redact_exception(exc: BaseException) -> str:
    """An exception's message, redacted."""
    return redact(str(exc))


# --- logging ------------------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and its traceback text) with secrets masked; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_paved_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string: leave it to logging's own report
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._paved_redacted = True
    return record


_FILTER = RedactingFilter()
# Loggers paved uses or whose records it can show: Dagster's, the progress logger, httpx (which
# logs request URLs at INFO; it never logs headers), the connectors.
LOGGERS = ("", "dagster", "paved", "paved.dagster", "pipelines", "httpx", "httpcore")
_installed = False


def install_logging(extra: Iterable[str] = ()) -> None:
    """Redact every log record: a record factory (records from every logger, including those
    that only propagate to the root's handlers, which a root-logger filter never sees), plus the
    filter on the root logger, paved's and Dagster's loggers, their handlers and logging's
    last-resort stderr handler. Idempotent; call it again to cover handlers added since."""
    global _installed
    with _lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                return scrub_record(previous(*args, **kwargs))

            logging.setLogRecordFactory(factory)
            _installed = True
    handlers: list[logging.Handler] = []
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for name in (*LOGGERS, *extra):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        handlers.extend(logger.handlers)
    for handler in handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
