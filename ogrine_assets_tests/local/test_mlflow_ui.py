"""MLflow's UI as a new user first opens it: ``mlflow server`` started as ``ogrine up`` starts
it, on the store of the session's real pipeline run (its experiment created and tagged by the
training), and a headless Chromium with nothing stored (a fresh context: no local storage)."""

import subprocess
import time
from pathlib import Path

import pytest

from ogrine_assets.local.mlflow_ui import landing_url
from ogrine_assets.local.parts import service_commands, stack_environment
from ogrine_assets.names import EXPERIMENT_NAME, REGISTERED_MODEL_NAME
from ogrine_assets_tests.browser import ARTIFACTS, CHROMIUM_ARGS, browser_home, chromium_or_skip
from ogrine_assets_tests.net import free_port, stop, wait_until_ok
from ogrine_assets_tests.support import Deployment, ogrine_env

pytestmark = pytest.mark.integration

# How long the UI gets to route and draw a page (it loads ~20 MB of scripts on a cold start).
PAGE_SECONDS = 60


def test_a_fresh_browser_opens_the_experiment_on_its_training_runs_and_finds_the_model(
    materialized: Deployment, tmp_path: Path
) -> None:
    """The address ``ogrine up`` prints lands on the training runs, the registered model a
    click away. The experiment's own address without it lands in MLflow 3.17's GenAI view,
    whatever the experiment's tag says: why the address carries the view
    (docs/libraries.md). The "MLflow collects usage data" notice cannot be hidden from the
    server (same page), so it is not asserted here."""
    chromium = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    settings = materialized.settings
    experiment = materialized.client().get_experiment_by_name(EXPERIMENT_NAME)
    assert experiment is not None
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    [run] = materialized.client().search_runs([experiment.experiment_id])
    port = free_port()
    command = service_commands(settings, port, free_port())["mlflow"]
    environment = {**stack_environment(settings, port), **ogrine_env(settings.home)}
    log = (tmp_path / "mlflow.log").open("w")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{base}/health", alive=lambda: server.poll() is None)
        landing = landing_url(base, EXPERIMENT_NAME)
        assert landing == (
            f"{base}/#/experiments/{experiment.experiment_id}?workflowType=machine_learning"
        )
        assert landing_url(base, "no such experiment") == base  # before the first training
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_ARGS, env=browser_home(tmp_path)
            )
            try:
                started = time.monotonic()
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.route(lambda url: not url.startswith(base), lambda route: route.abort())
                page = context.new_page()
                page.set_default_timeout(PAGE_SECONDS * 1000)
                page.goto(landing)
                runs = (
                    f"#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning"
                )
                page.wait_for_url(f"{base}/{runs}*")
                expect(page.get_by_role("link", name=run.info.run_name)).to_be_visible(
                    timeout=PAGE_SECONDS * 1000
                )
                page.screenshot(path=str(ARTIFACTS / "mlflow-landing.png"))
                # The registered model and its champion, from the sidebar's model registry
                # (which the GenAI view's sidebar does not offer).
                page.get_by_role("link", name="Model registry").click()
                page.wait_for_url(f"{base}/#/models*")
                models = page.get_by_test_id("model-list-table")
                model = models.locator(f'a[href="#/models/{REGISTERED_MODEL_NAME}"]')
                expect(model).to_be_visible(timeout=PAGE_SECONDS * 1000)
                expect(models).to_contain_text("champion")
                opened = time.monotonic() - started
                context.close()

                # Without the view in the address, a fresh browser lands in the GenAI view.
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.route(lambda url: not url.startswith(base), lambda route: route.abort())
                page = context.new_page()
                page.set_default_timeout(PAGE_SECONDS * 1000)
                page.goto(f"{base}/#/experiments/{experiment.experiment_id}")
                page.wait_for_url(f"{base}/#/experiments/*/overview/**workflowType=genai*")
                context.close()
            finally:
                browser.close()
    finally:
        stop(server)
        log.close()
    print(f"landing, runs and the registered model in {opened:.1f} s")
