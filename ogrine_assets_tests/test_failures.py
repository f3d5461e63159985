"""Failure lines read in one glance: at most LINE_LIMIT characters before "; details in",
the step and the log's path never cut."""

from pathlib import Path

from ogrine_assets.failures import LINE_LIMIT, failure_line, shorten

LOG = Path("/home/someone/.ogrine/logs/train_and_publish_job-0b1f.log")


def before_details(line: str) -> str:
    head, _, log = line.partition("; details in ")
    assert log == str(LOG)
    return head


def test_a_short_cause_is_said_whole_with_what_did_not_run() -> None:
    line = failure_line(
        "ogrine materialize", "raw_rates", "the disk is full.", then="Nothing ran", log=LOG
    )
    assert (
        line == "ogrine materialize FAILED at raw_rates: the disk is full. Nothing ran; "
        f"details in {LOG}"
    )


def test_a_long_cause_is_cut_at_a_word_and_the_step_and_log_are_kept() -> None:
    words = " ".join(f"word{n}" for n in range(200))
    line = failure_line("ogrine refresh", "validated_rates", words, then="Nothing ran", log=LOG)
    head = before_details(line)
    assert LINE_LIMIT - 10 <= len(head) <= LINE_LIMIT
    assert head.startswith("ogrine refresh FAILED at validated_rates: word0 word1 ")
    assert head.endswith("…") and head[:-1].rsplit(" ", 1)[1].startswith("word")
    assert "Nothing ran" not in head  # said only when it fits whole
    assert words.startswith(head.split(": ", 1)[1][:-1])  # the cause's own start, unchanged


def test_a_cause_without_spaces_is_cut_at_the_limit() -> None:
    head = before_details(failure_line("ogrine materialize", "startup", "x" * 500, log=LOG))
    assert len(head) == LINE_LIMIT and head.endswith("x…")


def test_a_step_name_longer_than_the_limit_is_kept_whole() -> None:
    step = "s" * (LINE_LIMIT + 10)
    line = failure_line("ogrine materialize", step, "why", log=LOG)
    assert f"at {step}: " in line and line.endswith(f"; details in {LOG}")


def test_shorten() -> None:
    assert shorten("fits", 4) == "fits"
    assert shorten("one two three four", 15) == "one two three…"  # after a word
    assert shorten("one two three four", 12) == "one two thr…"  # no word ends late enough
    assert shorten("abcdef", 1) == "…"
    assert len(shorten("a" * 50, 10)) == 10
