"""Everything about docker/ that can be proven without a Docker engine, proven for real."""

import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import dagster as dg
import httpx
import yaml

from ogrine_assets.local.stores import DAGSTER_YAML
from ogrine_assets.settings import environment_without_ours
from ogrine_assets_tests.net import free_port, stop, wait_until_ok
from ogrine_assets_tests.support import document_bytes

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
VENV_BIN = Path(sys.executable).parent


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_compose_services_are_complete() -> None:
    assert set(SERVICES) == {
        "postgres",
        "mlflow",
        "dagster-code",
        "dagster-webserver",
        "dagster-daemon",
        "service",
    }
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name
        assert service["healthcheck"]["test"], name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in SERVICES, (name, dependency)
            assert condition["condition"] == "service_healthy", (name, dependency)
    assert set(COMPOSE["volumes"]) == {
        "postgres-data",
        "mlflow-artifacts",
        "ogrine-data",
        "forecast",
    }


def test_only_documented_variables_and_no_secrets() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    documented = env_example()
    assert used <= set(documented), used - set(documented)
    assert documented["POSTGRES_PASSWORD"] == "change-me"
    assert "docker/.env" in (ROOT / ".gitignore").read_text().split()


def test_ports_bind_to_loopback_and_match_the_deploy_doc() -> None:
    doc = (ROOT / "docs" / "deploy.md").read_text()
    published = {}
    for name, service in SERVICES.items():
        for mapping in service.get("ports", []):
            match = re.fullmatch(r"127\.0\.0\.1:\$\{\w+:-(\d+)\}:(\d+)", mapping)
            assert match, f"{name} publishes {mapping}, not on 127.0.0.1"
            published[name] = match.groups()
    assert published == {
        "mlflow": ("5000", "5000"),
        "dagster-webserver": ("3000", "3000"),
        "service": ("8080", "8080"),
    }
    deploy = doc.split("\n## ", 1)[0]  # up to the first section: the services table
    for port, variable in (
        ("3000", "DAGSTER_PORT"),
        ("5000", "MLFLOW_PORT"),
        ("8080", "SERVICE_PORT"),
    ):
        assert f"http://127.0.0.1:{port} (`{variable}`)" in deploy


def test_shared_forecast_volume_is_read_only_for_the_service() -> None:
    assert "forecast:/var/lib/ogrine/forecast" in SERVICES["dagster-code"]["volumes"]
    assert "forecast:/var/lib/ogrine/forecast:ro" in SERVICES["service"]["volumes"]
    assert SERVICES["service"]["read_only"] is True


def test_dagster_yaml_keeps_every_store_on_postgres_and_one_run_at_a_time() -> None:
    # Dagster loads this very file against a live Postgres in test_postgres.py (which its
    # schema validates); here, what it says.
    config = yaml.safe_load((DOCKER / "dagster.yaml").read_text())
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert config["run_launcher"]["class"] == "DefaultRunLauncher"
    # One run at a time, and runs that never start or hang are failed, not left in progress.
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] == 1
    assert config["run_monitoring"]["enabled"] is True
    # No MLflow job-queue workers: this project submits no MLflow jobs.
    mlflow = SERVICES["mlflow"]["environment"]
    assert mlflow["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    environment = SERVICES["dagster-code"]["environment"]
    assert {
        "DAGSTER_POSTGRES_USER",
        "DAGSTER_POSTGRES_PASSWORD",
        "DAGSTER_POSTGRES_HOST",
        "DAGSTER_POSTGRES_DB",
    } <= set(environment)


def test_the_local_dagster_yaml_loads_and_keeps_one_run_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(DAGSTER_YAML)
    dg.DagsterInstance.from_config(str(tmp_path)).dispose()  # Dagster validates it as it loads
    config = yaml.safe_load(DAGSTER_YAML)
    assert "storage" not in config  # Dagster's own SQLite storage, in DAGSTER_HOME
    assert config["run_queue"]["max_concurrent_runs"] == 1
    assert config["run_monitoring"]["enabled"] is True
    assert config["telemetry"]["enabled"] is False


def test_dockerfile_installs_from_the_lock_as_a_non_root_user() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.MULTILINE)
    assert [stage for _, stage in stages] == ["build", "runtime"]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", dockerfile, re.MULTILINE).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base)  # pinned, never :latest
    assert "pip install --require-hashes -r /tmp/requirements.lock" in dockerfile
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "pip install" not in runtime and "apt-get" not in runtime  # nothing built there
    assert re.search(r"^USER ogrine$", runtime, re.MULTILINE)
    assert "pytest" not in (ROOT / "requirements.lock").read_text()  # the image gets no dev tools
    # No telemetry from any container, `mlflow server` included.
    assert re.search(r"^\s+MLFLOW_DISABLE_TELEMETRY=true", runtime, re.MULTILINE)
    assert re.search(r"^\s+DO_NOT_TRACK=true", runtime, re.MULTILINE)


def test_the_image_installs_every_file_the_package_reads(tmp_path: Path) -> None:
    """The Dockerfile installs the package from a copy (not editable, as here): its wheel must
    carry the files that are not Python (the page's template), or the image lacks them."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):  # what the Dockerfile copies, and no more
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "ogrine_assets",
        source / "ogrine_assets",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path / "wheel"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    data = {
        path.relative_to(source).as_posix()
        for path in (source / "ogrine_assets").rglob("*")
        if path.is_file() and path.suffix != ".py"
    }
    assert "ogrine_assets/service/templates/page.html.jinja" in data
    assert data <= packaged, sorted(data - packaged)


def test_hadolint_passes() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "hadolint"), "--failure-threshold", "warning", str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _command(service: str, host: str, port: int) -> list[str]:
    """The compose command of ``service``, bound to loopback on a free port instead."""
    command = [str(part) for part in SERVICES[service]["command"]]
    command[command.index("--host") + 1] = host
    command[command.index("--port") + 1] = str(port)
    return [str(VENV_BIN / command[0]), *command[1:]]


def _environment(service: str, **extra: str) -> dict[str, str]:
    environment = environment_without_ours()
    for key, value in SERVICES[service]["environment"].items():
        environment[key] = re.sub(r"\$\{[^}]*\}", "", str(value))
    environment.update(extra)
    return environment


def test_the_service_image_command_serves(tmp_path: Path) -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert 'CMD ["ogrine", "serve", "--host", "0.0.0.0", "--port", "8080"]' in dockerfile
    assert SERVICES["service"]["command"] == [
        "ogrine",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    document = tmp_path / "forecast.json"
    document.write_bytes(document_bytes(version="9"))
    port = free_port()
    process = subprocess.Popen(
        _command("service", "127.0.0.1", port),
        env=_environment("service", OGRINE_FORECAST_PATH=str(document)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        healthcheck = SERVICES["service"]["healthcheck"]["test"]
        wait_until_ok(
            f"http://127.0.0.1:{port}/schema", timeout=30, alive=lambda: process.poll() is None
        )
        probe = [
            sys.executable if part == "python" else part.replace(":8080", f":{port}")
            for part in healthcheck[1:]
        ]
        assert subprocess.run(probe, timeout=30).returncode == 0
        assert httpx.get(f"http://127.0.0.1:{port}/health").json()["model_version"] == "9"
    finally:
        stop(process)


def _grpc_health(port: int) -> str:
    """What the code server on ``port`` says of its health, as compose's healthcheck command
    asks it (the same request, with a deadline of its own), or why it could not say."""
    import grpc  # gRPC's client: only this test
    from grpc_health.v1 import health_pb2
    from grpc_health.v1.health_pb2_grpc import HealthStub

    request = health_pb2.HealthCheckRequest(service="DagsterApi")
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            answer = HealthStub(channel).Check(request, timeout=5)
        except grpc.RpcError as error:
            return f"unreachable: {error.code()}"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)


def test_the_code_server_command_serves_the_code_location(tmp_path: Path) -> None:
    port = free_port()
    environment = _environment(
        "dagster-code", OGRINE_HOME=str(tmp_path), DAGSTER_HOME=str(tmp_path)
    )
    process = subprocess.Popen(
        _command("dagster-code", "127.0.0.1", port),
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Waited on here with the request compose's healthcheck command makes (each run of
        # that command is a Dagster CLI process, ~1.3 s of imports)...
        deadline = time.monotonic() + 60  # bounded: the code location loads in seconds
        while (health := _grpc_health(port)) != "SERVING":
            assert process.poll() is None, "the code server exited"
            assert time.monotonic() < deadline, f"the code server never became healthy: {health}"
            time.sleep(0.2)
        # ...then that command itself, as compose runs it, once, on this server's port.
        kind, program, *arguments = SERVICES["dagster-code"]["healthcheck"]["test"]
        assert kind == "CMD"
        arguments[arguments.index("--port") + 1] = str(port)
        probe = [str(VENV_BIN / program), *arguments]
        checked = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # The webserver's and the daemon's workspace, on this server's address: Dagster's
        # own check loads the code location through it.
        workspace = yaml.safe_load((DOCKER / "workspace.yaml").read_text())
        [target] = workspace["load_from"]
        served = SERVICES["dagster-code"]["command"]
        assert target["grpc_server"] == {
            "host": "dagster-code",
            "port": int(served[served.index("--port") + 1]),
            "location_name": "ogrine_assets",
        }
        target["grpc_server"].update(host="127.0.0.1", port=port)
        (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(workspace))
        validate = [str(VENV_BIN / "dagster"), "definitions", "validate", "-w"]
        validated = subprocess.run(
            [*validate, str(tmp_path / "workspace.yaml")],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert validated.returncode == 0, validated.stdout + validated.stderr
        assert "All code locations passed validation." in validated.stdout + validated.stderr
    finally:
        stop(process)
