"""The production files agree with the app: the Terraform parses, the containers it, the
Dockerfile and compose.yaml run are real CLI commands, and every ACME_* variable they set is a
Settings field (so renaming a setting or a command breaks this test, not a deployment)."""

from __future__ import annotations

import importlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import hcl2
import pytest
import typer
import yaml
from hcl2 import SerializationOptions

from acme.entrypoints import cli
from acme.entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
OTHER_VARIABLES = {"AWS_REGION", "AWS_DEFAULT_REGION", "FORWARDED_ALLOW_IPS"}
SETTINGS = {f"ACME_{name.upper()}" for name in Settings.model_fields}
PRODUCTION_SETTINGS = {"ACME_DATABASE_URL", "ACME_BROKER_URL", "ACME_STORAGE_URL", "ACME_API_TOKEN"}


def load_tf(path: Path) -> dict[str, Any]:
    options = SerializationOptions(strip_string_quotes=True, with_comments=False)
    with path.open() as f:
        parsed: dict[str, Any] = hcl2.load(f, serialization_options=options)
    return parsed


def terraform() -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        for kind, blocks in load_tf(path).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: body
        for block in terraform().get("resource", [])
        for name, body in block.get(kind, {}).items()
    }


def tf_locals() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in terraform()["locals"]:
        merged.update(block)
    return merged


def check_command(argv: list[str]) -> None:
    """``argv`` must be accepted by the real CLI (or the real ``python -m`` module)."""
    if argv[:2] == ["python", "-m"]:
        module = importlib.import_module(argv[2])
        args = [a if not a.startswith("${") else "x" for a in argv[3:]]
        module.build_parser().parse_args(args)
        return
    assert argv[0] == "acme", argv
    command: Any = typer.main.get_command(cli.app)  # typer vendors its own click
    args = argv[1:]
    while getattr(command, "commands", None) is not None:  # a group: descend
        assert args and args[0] in command.commands, f"no `acme` command {argv[1:]}"
        command, args = command.commands[args[0]], args[1:]
    try:
        command.make_context("acme", list(args))
    except Exception as exc:  # an unknown option or a bad value
        raise AssertionError(f"`{' '.join(argv)}` is refused by the CLI: {exc}") from exc


def test_every_terraform_file_parses_and_variables_are_described() -> None:
    files = sorted(TERRAFORM.glob("*.tf"))
    assert {p.name for p in files} >= {"variables.tf", "outputs.tf", "ecs.tf", "network.tf"}
    for block in terraform()["variable"]:
        for name, body in block.items():
            assert body.get("description"), f"variable {name} has no description"
    outputs = {name for block in terraform()["output"] for name in block}
    assert "url" in outputs


def test_task_definitions_run_real_cli_commands() -> None:
    commands = tf_locals()["commands"]
    for argv in commands.values():
        check_command(argv)
    tasks = resources("aws_ecs_task_definition")
    assert set(tasks) == {"web", "worker", "migrate"}
    used = {}
    for name, task in tasks.items():
        definitions = task["container_definitions"]
        containers = definitions.count("merge(local.container_common")
        referenced = re.findall(r"command\s*=\s*local\.commands\.(\w+)", definitions)
        assert containers == len(referenced) >= 1, name
        used[name] = referenced
    assert used == {"web": ["web", "queue_metric"], "worker": ["worker"], "migrate": ["migrate"]}
    assert commands["web"][1] == "serve" and commands["web"][
        commands["web"].index("--host") + 1
    ] == ("0.0.0.0")
    assert commands["migrate"] == ["acme", "db", "upgrade"]


def test_task_environment_names_are_real_settings() -> None:
    local = tf_locals()
    names = [e["name"] for e in local["app_environment"]] + [
        s["name"] for s in local["app_secrets"]
    ]
    acme = {n for n in names if n.startswith("ACME_")}
    assert acme <= SETTINGS, acme - SETTINGS
    assert set(names) - acme <= OTHER_VARIABLES
    assert acme >= PRODUCTION_SETTINGS
    secrets = {s["name"] for s in local["app_secrets"]}
    assert {"ACME_DATABASE_URL", "ACME_API_TOKEN", "ACME_BROKER_URL"} <= secrets
    storage = next(e["value"] for e in local["app_environment"] if e["name"] == "ACME_STORAGE_URL")
    assert storage.startswith("s3://")
    common = local["container_common"]
    assert common["environment"] == "${local.app_environment}"
    assert common["secrets"] == "${local.app_secrets}"


def test_load_balancer_and_health_checks_use_healthz() -> None:
    group = resources("aws_lb_target_group")["web"]
    assert group["health_check"][0]["path"] == "/healthz"
    assert "/healthz" in resources("aws_ecs_task_definition")["web"]["container_definitions"]
    assert "/healthz" in (ROOT / "Dockerfile").read_text()


def dockerfile_cmd() -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    cmd = [line for line in lines if line.startswith("CMD ")]
    assert len(cmd) == 1
    argv: list[str] = json.loads(cmd[0].removeprefix("CMD "))
    return argv


def test_dockerfile_runs_serve_on_all_interfaces_as_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    argv = dockerfile_cmd()
    check_command(argv)
    assert argv[:2] == ["acme", "serve"] and argv[argv.index("--host") + 1] == "0.0.0.0"
    assert text.count("FROM python:3.11-slim") == 2
    user = [line for line in text.splitlines() if line.startswith("USER ")][-1]
    assert user.split()[1].split(":")[0] not in ("0", "root")
    assert "HEALTHCHECK" in text


def test_compose_stack_runs_real_commands_with_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "web", "worker"}
    for name in ("migrate", "web", "worker"):
        service = services[name]
        argv = service["command"]
        argv = shlex.split(argv) if isinstance(argv, str) else argv
        check_command(argv)
        names = set(service["environment"])
        assert {n for n in names if n.startswith("ACME_")} <= SETTINGS
    assert services["migrate"]["command"] == ["acme", "db", "upgrade"]
    assert services["worker"]["command"] == ["acme", "worker"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


@pytest.mark.parametrize(
    "argv", [["acme", "no-such-command"], ["acme", "serve", "--no-such-option"]]
)
def test_the_command_check_catches_a_wrong_command(argv: list[str]) -> None:
    with pytest.raises(AssertionError):
        check_command(argv)
