"""subscribers.toml read whole, refused in one line that names the file and never a URL."""

import hashlib
from pathlib import Path

import pytest

from ogrine_assets.notifications.subscribers import (
    FROM_SETTING,
    Subscription,
    subscription,
)

SECRET = "https://discord.com/api/webhooks/123456789012345678/s3cr3t-t0ken-that-must-not-show"
OTHER = "https://discord.com/api/webhooks/876543210987654321/an0ther-t0ken-that-must-not-show"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "subscribers.toml"
    path.write_text(text)
    return path


def test_each_subscriber_with_its_language_threshold_and_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
[[subscriber]]
name = "guild-fr"
url = "{SECRET}"
language = "fr-FR"
min_move_percent = 2.5

[[subscriber]]
url = "{OTHER}"
""",
    )
    read = subscription(path, "en")
    assert read.problem is None
    assert read.fingerprint == hashlib.sha256(path.read_bytes()).hexdigest()
    first, second = read.subscribers
    assert (first.name, first.language, first.min_move_percent) == ("guild-fr", "fr", 2.5)
    # Defaults: the page's language, every publication, named by its redacted URL.
    assert (second.language, second.min_move_percent, second.label) == (
        "en",
        0.0,
        "https://discord.com/…/show",
    )
    assert first.described == "guild-fr (https://discord.com/…/show)"
    assert SECRET not in repr(first) and first.key != second.key


def test_no_file_is_no_subscriber(tmp_path: Path) -> None:
    assert subscription(tmp_path / "subscribers.toml", "en") == Subscription(
        [], hashlib.sha256(b"").hexdigest()
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f'[[subscriber]]\nurl = "{SECRET}"\nurl = "x"\n', "is not valid TOML: "),
        (f'[subscriber]\nurl = "{SECRET}"\n', "write each webhook as a [[subscriber]] table"),
        (f'[[webhook]]\nurl = "{SECRET}"\n', "unknown key 'webhook'"),
        (
            f'[[subscriber]]\nurl = "{SECRET}"\nmin_move = 2\n',
            "subscriber 1 has an unknown key 'min_move'",
        ),
        ('[[subscriber]]\nlanguage = "fr"\n', "subscriber 1 has no url"),
        (
            f'[[subscriber]]\nurl = "ftp{SECRET[5:]}"\n',
            "subscriber 1's url is not an http:// or https:// URL",
        ),
        (
            '[[subscriber]]\nurl = "http://[::1/api/webhooks/1/secret"\n',  # urlsplit raises
            "subscriber 1's url is not an http:// or https:// URL",
        ),
        (
            f'[[subscriber]]\nurl = "{SECRET}"\nlanguage = "de"\n',
            "subscriber 1's language 'de' is not one of en, fr",
        ),
        (
            f'[[subscriber]]\nurl = "{SECRET}"\nmin_move_percent = -1\n',
            "min_move_percent -1 is below 0",
        ),
        (
            f'[[subscriber]]\nurl = "{SECRET}"\nmin_move_percent = "2"\n',
            "min_move_percent '2' is not a number",
        ),
        (
            f'[[subscriber]]\nurl = "{SECRET}"\nmin_move_percent = nan\n',
            "min_move_percent nan is not a number",
        ),
        (
            f'[[subscriber]]\nurl = "{SECRET}"\n[[subscriber]]\nurl = "{SECRET}"\n',
            "subscribers 1 and 2 have the same url",
        ),
    ],
)
def test_a_bad_file_is_one_line_naming_it_and_the_problem_not_the_url(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    refused = subscription(path, "en")
    said = refused.problem
    assert refused.subscribers == [] and said is not None
    assert said.startswith(str(path)) and problem in said and "\n" not in said
    assert "s3cr3t" not in said


def test_the_setting_is_one_more_subscriber_even_when_the_file_is_bad(tmp_path: Path) -> None:
    path = write(tmp_path, f'[[subscriber]]\nurl = "{SECRET}"\n')
    both = subscription(path, "en", notify_url=OTHER, notify_language="fr")
    assert [(s.source, s.language) for s in both.subscribers] == [
        ("subscribers.toml", "en"),
        (FROM_SETTING, "fr"),
    ]
    # The same URL in both places is one subscriber: the file's.
    assert len(subscription(path, "en", notify_url=SECRET).subscribers) == 1
    write(tmp_path, "[[subscriber]\n")
    broken = subscription(path, "en", notify_url=OTHER, notify_language="fr")
    assert broken.problem is not None and str(path) in broken.problem
    assert [s.source for s in broken.subscribers] == [FROM_SETTING]
    # The fingerprint follows the file's bytes: what a gone webhook's mark is tied to.
    assert broken.fingerprint != both.fingerprint
    assert subscription(path, "en").fingerprint == broken.fingerprint
