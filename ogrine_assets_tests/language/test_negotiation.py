"""Which language a reader asked for: ?lang=, then Accept-Language (q-values), then the
setting."""

from __future__ import annotations

import pytest

from ogrine_assets.language.negotiation import accepted, choose


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),  # a regional variant is its language
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),  # Chromium's, started with --lang=fr
        ("en-GB,en;q=0.9", "en"),
        ("de, fr-CA;q=0.8, en;q=0.5", "fr"),  # the first of ours by preference
        ("en;q=0.4, fr;q=0.9", "fr"),  # q-values, not the order written, decide
        ("fr;q=0.2, en", "en"),  # no q is q=1
        ("en; q=0.5, fr; q=0.5", "en"),  # a tie keeps the order written
        ("EN-us", "en"),
        ("zh-Hant-TW, fr-ca;q=0.1", "fr"),
        ("en;q=abc, fr", "fr"),  # an unreadable q-value is never chosen
        ("en;q=2, fr;q=0.5", "fr"),  # nor one out of range
        ("fr;q=0, en;q=0.1", "en"),  # q=0: not acceptable
        ("de", None),
        ("*", None),  # anything: left to the setting
        ("fr;q=0", None),
        ("", None),
        (None, None),
        (",;,q=1;;", None),
    ],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert accepted(header) == expected


@pytest.mark.parametrize(
    ("query", "header", "default", "expected"),
    [
        ("fr", "en", "en", "fr"),  # ?lang= first
        ("en", "fr-FR,fr;q=0.9", "fr", "en"),
        ("FR", None, "en", "fr"),
        ("de", "fr", "en", "fr"),  # an unknown ?lang is ignored: the header decides
        ("", "fr", "en", "fr"),
        ("xx-1", None, "fr", "fr"),  # then the setting
        (None, "de, es;q=0.5", "fr", "fr"),
        (None, None, "en", "en"),
    ],
)
def test_choose(query: str | None, header: str | None, default: str, expected: str) -> None:
    assert choose(query, header, default) == expected  # type: ignore[arg-type]
