"""The Lambda deploy path fits together: the stack template, the ASK CLI project, the build hook, the code.

cfn-lint (which moto[server] brings) checks the CloudFormation template offline; the rest checks
that what the template grants, configures and names is what the code needs and has.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from alexa_requests import launch, to_model
from dynamodb_fixtures import dynamodb_url
from test_skill_package import differences, smapi_round_trip

from deploy.package import (LAMBDA_HANDLER, RESOURCES_FILE, STACK_TEMPLATE, ask_resources, build_manifest,
                            current_target, package_files)
from skill.persistence import VERSION_KEY, make_store
from skill.persistence.dynamodb import PARTITION_KEY, DynamoStore
from skill.persistence.dynamodb_table import settings_from_url

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_FILE = ROOT / STACK_TEMPLATE
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:ask-footcoach-default-SkillFunction-abc"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt) read as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        return {name: value.split(".", 1) if suffix == "GetAtt" else value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}   # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)
TEMPLATE = yaml.load(TEMPLATE_FILE.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)  # noqa: S506
RESOURCES = TEMPLATE["Resources"]


def test_cfn_lint_finds_nothing_in_the_template() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"   # installed beside this Python, with moto[server]
    done = subprocess.run([str(cfn_lint), str(TEMPLATE_FILE)], capture_output=True, text=True, timeout=300,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, f"cfn-lint:\n{done.stdout}{done.stderr}"


def test_the_stack_has_the_table_the_function_and_the_alexa_trigger_for_this_skill_only() -> None:
    table = RESOURCES["ProgressTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": PARTITION_KEY, "AttributeType": "S"}]
    assert RESOURCES["ProgressTable"]["DeletionPolicy"] == "Retain"      # every user's progress outlives the stack
    trigger = RESOURCES["AlexaSkillTrigger"]["Properties"]
    assert trigger["Principal"] == "alexa-appkit.amazon.com" and trigger["EventSourceToken"] == {"Ref": "SkillId"}
    function = RESOURCES["SkillFunction"]["Properties"]
    assert function["Environment"]["Variables"]["SKILL_ID"] == {"Ref": "SkillId"}
    assert function["Timeout"] <= 8                                      # Alexa stops waiting after about 8 s
    # The six parameters the ASK CLI's cfn-deployer passes, and no other without a default.
    required = {name for name, spec in TEMPLATE["Parameters"].items() if "Default" not in spec}
    assert required == {"SkillId", "LambdaRuntime", "LambdaHandler", "CodeBucket", "CodeKey", "CodeVersion"}
    assert TEMPLATE["Outputs"]["SkillEndpoint"]["Value"] == {"Fn::GetAtt": ["SkillFunction", "Arn"]}


def test_the_functions_database_url_names_the_stacks_table_and_never_creates_one() -> None:
    url = RESOURCES["SkillFunction"]["Properties"]["Environment"]["Variables"]["DATABASE_URL"]["Fn::Sub"]
    settings = settings_from_url(url.replace("${ProgressTable}", "ask-footcoach-ProgressTable-X1")
                                    .replace("${AWS::Region}", "eu-west-1"))
    assert settings == {"table": "ask-footcoach-ProgressTable-X1", "region": "eu-west-1", "endpoint": None,
                        "create": False}


def test_the_role_allows_exactly_the_dynamodb_calls_the_store_makes(moto_endpoint: str) -> None:
    """Every call a turn, /healthz and "forget me" make, on a table the stack made (create=0), and no more."""
    made = make_store(dynamodb_url(moto_endpoint, "stack-table"))
    made.ensure_schema()
    store = DynamoStore.from_url(dynamodb_url(moto_endpoint, "stack-table", create="0"))
    calls: set[str] = set()
    real = store._client.request

    def recorded(operation: str, params: Any, kind: str | None) -> dict[str, Any]:
        calls.add("dynamodb:" + "".join(word.title() for word in operation.split("_")))
        return real(operation, params, kind)

    store._client.request = recorded  # type: ignore[method-assign]
    envelope = to_model(launch())
    read = store.get_attributes(envelope)
    store.update_attributes(envelope, lambda stored: {**stored, "n": 1}, read=read)
    store.save_attributes(envelope, {"n": 2, VERSION_KEY: 1})
    store.ping()
    store.delete_attributes(envelope)
    statement, = RESOURCES["SkillFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert set(statement["Action"]) == calls
    assert statement["Resource"] == {"Fn::GetAtt": ["ProgressTable", "Arn"]}
    store.close()
    made.close()


def test_ask_resources_for_lambda_builds_with_the_hook_and_deploys_the_stack() -> None:
    resources = ask_resources("lambda", "eu-west-1")["profiles"]["default"]
    python = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert resources["skillInfrastructure"] == {"type": "@ask-cli/cfn-deployer", "userConfig": {
        "runtime": f"python{python}", "handler": LAMBDA_HANDLER, "templatePath": STACK_TEMPLATE,
        "awsRegion": "eu-west-1"}}
    assert (ROOT / resources["code"]["default"]["src"]).is_dir()
    assert (ROOT / resources["skillInfrastructure"]["userConfig"]["templatePath"]).is_file()
    hook = ROOT / "hooks" / "build.sh"   # the ASK CLI runs it, when present, to build the code's zip
    assert os.access(hook, os.X_OK) and "./dev lambda-zip --output" in hook.read_text(encoding="utf-8")
    module, function = LAMBDA_HANDLER.split(".")
    tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
    assert function in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_committed_package_is_the_webhooks_and_switching_targets_changes_only_resources_and_endpoint() -> None:
    assert current_target() == ("webhook", "us-east-1")
    assert json.loads(RESOURCES_FILE.read_text(encoding="utf-8")) == ask_resources("webhook")
    webhook = package_files("https://foot-coach.example.com/", "Trusted")
    on_lambda = package_files(None, None, target="lambda")
    changed = sorted(path.name for path in webhook if webhook[path] != on_lambda[path])
    assert changed == ["ask-resources.json", "skill.json"]


@pytest.mark.parametrize("endpoint", [None, FUNCTION_ARN], ids=["before-first-deploy", "function-arn"])
def test_the_lambda_manifest_is_a_valid_smapi_skill_manifest(endpoint: str | None) -> None:
    """Before the first deploy it has no endpoint; the ASK CLI then writes the function's ARN in."""
    text = json.dumps(build_manifest(endpoint, None))
    assert not differences(json.loads(text), smapi_round_trip(text), "")
    custom = json.loads(text)["manifest"]["apis"]["custom"]
    assert custom.get("endpoint") == (None if endpoint is None else {"uri": FUNCTION_ARN})
