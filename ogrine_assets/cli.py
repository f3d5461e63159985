"""The ``ogrine`` command: run the graph once, or run the local stack.

``ogrine materialize`` trains, promotes and publishes (``materialize.py``); ``ogrine
refresh`` publishes a new forecast with the champion; ``ogrine up`` runs the local stack
(``local/stack.py``); ``ogrine serve`` the forecast service alone. Each command imports what it
needs only when it runs: the service's must not load the pipeline's stack.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ogrine_assets.settings import DEFAULT_PORTS, Settings, SettingsError


def serve(host: str, port: int) -> int:
    """The forecast service under uvicorn (``service/server.py``: the request head bounded);
    it imports nothing of the pipeline's stack."""
    from ogrine_assets.service.server import run

    run(host, port)
    return 0


def _exit_now(status: int) -> NoReturn:
    """End the process without the interpreter's teardown: every store is closed by then,
    and a final collection of the run's objects alone took seconds."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


# Where `ogrine soak` and `ogrine replay` work without --home, said in their help.
SCRATCH_HELP = (
    "a new folder {prefix}* in the system's temporary folder ($TMPDIR, else /tmp), kept "
    "afterwards and named at the end: delete it with rm -r"
)


def _scratch(prefix: str, home: Path | None) -> tuple[Path, Path | None]:
    """The home to work in: ``home``, else one in a new scratch folder (returned too, to be
    named at the end with the way to delete it: it holds runs worth a look)."""
    if home is not None:
        return home, None
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    return folder / "home", folder


def _kept(folder: Path | None) -> None:
    if folder is not None:
        print(f"The scratch home is kept in {folder}; delete it with: rm -r {folder}")


def date_option(text: str) -> dt.date:
    """A date option's value, YYYY-MM-DD; argparse says which option a bad one is for."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from None


def run_soak(days: int, seed: int, first_day: dt.date, home: Path | None) -> int:
    """The loop under faults, on a scratch home (never the user's); 1 on any violation."""
    from ogrine_assets.simulation.soak import soak

    home, scratch = _scratch("ogrine-soak-", home)
    print(f"Soaking {days} days from {first_day} in {home}", flush=True)
    report = soak(home, days=days, seed=seed, first_day=first_day)
    print(report.table())
    _kept(scratch)
    return 1 if report.violations else 0


def run_replay(
    settings: Settings, first_day: dt.date, last_day: dt.date, home: Path | None, rates: Path | None
) -> int:
    """The policy as of each past day on a scratch home; 1 if any run failed."""
    from ogrine_assets.simulation.replay import replay

    rows = _history(settings, rates, last_day)
    home, scratch = _scratch("ogrine-replay-", home)
    print(f"Replaying {first_day} to {last_day} in {home}", flush=True)
    report = replay(home, rows, first_day, last_day)
    print(report.table())
    print(f"Figure: {report.figure}")
    _kept(scratch)
    return 1 if report.failed else 0


def _history(settings: Settings, rates: Path | None, last_day: dt.date) -> list[dict]:
    """Every upstream row the replay may serve: a file's, the configured API's (fetched
    once), or the embedded synthetic series."""
    import msgspec

    if rates is not None:
        loaded = msgspec.json.decode(rates.read_bytes())
        return loaded["rates"] if isinstance(loaded, dict) else loaded
    if settings.api_url:
        from ogrine_assets.rates.client import fetch_rates

        return msgspec.json.decode(fetch_rates(settings.api_url).body)["rates"]
    from ogrine_assets.rates.synthetic import synthetic_payload

    return synthetic_payload(last_day + dt.timedelta(days=8))["rates"]


def show_paths(settings: Settings) -> int:
    for name in (
        "home",
        "dagster_home",
        "mlflow_tracking_uri",
        "mlflow_artifact_root",
        "storage_dir",
        "archive_dir",
        "log_dir",
        "forecast_path",
        "subscribers_file",
        "notification_records_file",
    ):
        print(f"{name}={getattr(settings, name)}")
    print(f"api_url={settings.api_url or '(unset: embedded synthetic source)'}")
    return 0


def show_subscribers(settings: Settings) -> int:
    """Each subscriber and its last delivery (redacted URLs); 1 when subscribers.toml is bad."""
    from ogrine_assets.notifications.listing import subscriber_lines
    from ogrine_assets.notifications.notifier import Notifier

    lines, problem = subscriber_lines(Notifier.from_settings(settings))
    print("\n".join(lines))
    if problem:
        print(f"ogrine subscribers: {problem}", file=sys.stderr)
    return 1 if problem else 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ogrine_assets")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ogrine",
        description="Keep a 7-day forecast of the Ogrine rate fresh: train, promote and "
        "publish it, and serve it. State lives in OGRINE_HOME (default ~/.ogrine); "
        "`ogrine paths` says where.",
        epilog="`ogrine COMMAND --help` describes a command and its options.",
    )
    parser.add_argument("--version", action="version", version=f"ogrine {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = argparse.ArgumentDefaultsHelpFormatter
    runs = {
        "materialize": "train, promote and publish the forecast once",
        "refresh": "fetch the newest rates and publish a new forecast with the champion",
    }
    for name, text in runs.items():
        run = commands.add_parser(name, help=text, description=text)
        run.add_argument("--verbose", action="store_true", help="print tracebacks of failures too")
        if name == "materialize":
            run.add_argument(
                "--retrain",
                action="store_true",
                help="train a new version even when data and code are unchanged",
            )
    up_text = "run Dagster (UI, daemon), MLflow's UI and the forecast service on 127.0.0.1"
    stack = commands.add_parser(
        "up",
        help=up_text,
        description=f"{up_text}; Ctrl-C stops them all.",
        formatter_class=defaults,
    )
    for part, what in (
        ("dagster", "the Dagster UI's port"),
        ("mlflow", "the MLflow UI's port"),
        ("service", "the forecast's port"),
    ):
        default = DEFAULT_PORTS[part]
        stack.add_argument(
            f"--{part}-port",
            type=int,
            default=argparse.SUPPRESS,  # unset: the setting, said in the help instead
            help=f"{what} (default: {default}, or OGRINE_{part.upper()}_PORT)",
        )
    serve_text = "run the forecast service alone (JSON and the chart page)"
    service = commands.add_parser(
        "serve", help=serve_text, description=serve_text, formatter_class=defaults
    )
    service.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    service.add_argument(
        "--port", type=int, default=DEFAULT_PORTS["service"], help="the port to listen on"
    )
    soak_text = "run the loop day after day on a scratch home, faults injected; a table"
    soak = commands.add_parser("soak", help=soak_text, description=soak_text)
    soak.add_argument(
        "--days", type=int, default=14, help="days to simulate (default: %(default)s)"
    )
    soak.add_argument(
        "--seed", type=int, default=1, help="the fault plan's seed (default: %(default)s)"
    )
    soak.add_argument(
        "--first-day",
        type=date_option,
        default=dt.date(2025, 1, 6),
        metavar="YYYY-MM-DD",
        help="the first simulated day (default: %(default)s)",
    )
    soak.add_argument(
        "--home",
        type=Path,
        help=f"where to soak (default: {SCRATCH_HELP.format(prefix='ogrine-soak-')})",
    )
    replay_text = (
        "run the schedules' policy as of each past day on a scratch home, then score what it "
        "published against what came after; a table and a figure"
    )
    replaying = commands.add_parser("replay", help=replay_text, description=replay_text)
    for option, name, which in (("--from", "first_day", "first"), ("--to", "last_day", "last")):
        replaying.add_argument(
            option,
            dest=name,
            type=date_option,
            required=True,
            metavar="YYYY-MM-DD",
            help=f"the {which} day replayed, as YYYY-MM-DD",
        )
    replaying.add_argument(
        "--home",
        type=Path,
        help=f"where to replay (default: {SCRATCH_HELP.format(prefix='ogrine-replay-')})",
    )
    replaying.add_argument(
        "--rates",
        type=Path,
        help="a JSON file of upstream rows (or an upstream answer) to replay instead of "
        "OGRINE_API_URL's (default: that API, fetched once, or the synthetic series)",
    )
    paths_text = "print where everything lives, as resolved from the environment"
    paths = commands.add_parser("paths", help=paths_text, description=paths_text)
    only = paths.add_mutually_exclusive_group()
    only.add_argument("--forecast", action="store_true", help="only the forecast document path")
    only.add_argument(
        "--dagster-home",
        action="store_true",
        help="only the Dagster instance folder (export it as DAGSTER_HOME for Dagster's CLI)",
    )
    subscribers_text = "list who is notified of each forecast, and each one's last delivery"
    commands.add_parser("subscribers", help=subscribers_text, description=subscribers_text)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:  # said before anything runs: one line, no traceback
        print(f"ogrine {args.command}: {exc}", file=sys.stderr)
        return 2
    if args.command in runs:
        print(f"ogrine {args.command}: home {settings.home}; loading Dagster…", flush=True)
        from ogrine_assets.local.processes import load_without_collecting

        load_without_collecting()  # before the heavy imports: a process for one run
        from ogrine_assets.model.estimators import import_the_model_format

        import_the_model_format()  # first: it costs several times as much after Dagster
        from ogrine_assets.materialize import REFRESH, TRAIN_AND_PUBLISH, run_job

        job = TRAIN_AND_PUBLISH if args.command == "materialize" else REFRESH
        retrain = getattr(args, "retrain", False)
        command = f"ogrine {args.command}"
        _exit_now(run_job(settings, job, command, verbose=args.verbose, retrain=retrain))
    if args.command == "up":
        from ogrine_assets.local.stack import up

        return up(
            settings,
            getattr(args, "dagster_port", settings.dagster_port),
            getattr(args, "mlflow_port", settings.mlflow_port),
            getattr(args, "service_port", settings.service_port),
        )
    if args.command == "serve":
        return serve(args.host, args.port)
    if args.command == "soak":
        return run_soak(args.days, args.seed, args.first_day, args.home)
    if args.command == "replay":
        return run_replay(settings, args.first_day, args.last_day, args.home, args.rates)
    if args.command == "subscribers":
        return show_subscribers(settings)
    if args.forecast:
        print(settings.forecast_path)
        return 0
    if args.dagster_home:
        from ogrine_assets.local.stores import ensure_dagster_home

        print(ensure_dagster_home(settings))  # with its dagster.yaml: Dagster's CLI needs it
        return 0
    return show_paths(settings)


if __name__ == "__main__":
    sys.exit(main())
