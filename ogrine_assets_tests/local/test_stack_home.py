"""One stack per home: a second is refused naming the first; what a killed stack left running
is ended by the next, and nothing else; a port another program holds is named."""

import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ogrine_assets.local.keeper import marked
from ogrine_assets.local.stack_home import (
    StackRunning,
    claim_home,
    end_leftovers,
    record_stack,
    taken_ports,
)
from ogrine_assets_tests.local.test_keeper import orphans

PORTS = {"Dagster UI": 3000, "MLflow UI": 5000, "forecast": 8080}
CLAIM = (
    "import sys, time; from pathlib import Path; from ogrine_assets.local.stack_home import "
    "claim_home; claim_home(Path(sys.argv[1]), {'Dagster UI': 3000, 'MLflow UI': 5000, "
    "'forecast': 8080}); print('claimed', flush=True); time.sleep(600)"
)


def test_a_second_stack_on_a_home_is_refused_naming_the_first_until_it_is_gone(
    tmp_path: Path,
) -> None:
    first = subprocess.Popen(
        [sys.executable, "-c", CLAIM, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout is not None and first.stdout.readline() == "claimed\n"
        with pytest.raises(StackRunning) as refused:
            claim_home(tmp_path, {"Dagster UI": 3001})
        assert str(refused.value).startswith(
            f"another ogrine up runs on this home (PID {first.pid}: ogrine up on ports "
            "3000 (Dagster UI), 5000 (MLflow UI), 8080 (forecast), since "
        )
        assert str(refused.value).endswith(
            f"stop it first (Ctrl-C in its terminal, or kill {first.pid})"
        )
    finally:
        first.kill()  # SIGKILL: the kernel releases its claim
        first.wait()
    claim_home(tmp_path, PORTS).release()


def test_the_leftovers_of_a_killed_stack_are_ended_and_nothing_else(tmp_path: Path) -> None:
    mark, other = uuid.uuid4().hex, uuid.uuid4().hex
    assert end_leftovers(tmp_path) == set()  # no stack ever ran here
    with orphans(mark, mark, other) as (first, second, elsewhere):
        record_stack(tmp_path, mark, PORTS)
        assert end_leftovers(tmp_path, grace_seconds=5) == {first, second}
        assert marked(mark) == set()
        assert marked(other) == {elsewhere}
    (tmp_path / "up.json").write_text("{")  # a record cut short: nothing to end, no error
    assert end_leftovers(tmp_path) == set()


def test_a_port_another_program_listens_on_is_named() -> None:
    with socket.socket() as held, socket.socket() as free:
        held.bind(("127.0.0.1", 0))
        held.listen()
        free.bind(("127.0.0.1", 0))
        ports = {"Dagster UI": held.getsockname()[1], "forecast": free.getsockname()[1]}
        free.close()
        assert taken_ports(ports) == [f"Dagster UI (port {ports['Dagster UI']})"]
