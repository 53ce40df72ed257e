"""./dev package: the ASK CLI skill package, generated from the project's own sources.

    SKILL_ENDPOINT=https://foot-coach.example.org/ ./dev package      # then: ask deploy
    ./dev package --target lambda --aws-region eu-west-1               # then: ask deploy (AWS Lambda)

writes

    skill-package/skill.json                            the manifest
    skill-package/interactionModels/custom/<locale>.json  the models, exactly interaction_model/<locale>.json
    ask-resources.json                                  the ASK CLI project: for a webhook, skill metadata only;
                                                        for --target lambda also the code (built by hooks/build.sh,
                                                        which runs ./dev lambda-zip) and the CloudFormation stack
                                                        infrastructure/cfn-deployer/skill-stack.yaml (function,
                                                        DynamoDB table, Alexa trigger), whose function's ARN the
                                                        ASK CLI then writes into skill.json as the endpoint

from deploy/manifest.json (skill-wide: category, privacy and compliance, the APL interface,
permissions, countries), skill/content/locales/<locale>/publishing.json (name, summary,
description, example phrases, keywords: en-US in full, other locales only what they say
differently) and the locale models (deploy/models.py). The endpoint comes from --endpoint or
SKILL_ENDPOINT, else stays what skill-package/skill.json has; so does the certificate type
(--ssl-certificate-type or SKILL_SSL_CERTIFICATE_TYPE: Trusted, Wildcard or SelfSigned).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from deploy.models import expected_files
from skill.content.catalog import BASE_LOCALE, LOCALES_DIR, SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "skill-package"
MANIFEST_FILE = PACKAGE_DIR / "skill.json"
RESOURCES_FILE = ROOT / "ask-resources.json"
SKILL_WIDE = Path(__file__).resolve().parent / "manifest.json"
PUBLISHING_KEYS = ("name", "summary", "description", "examplePhrases", "keywords", "smallIconUri", "largeIconUri",
                   "updatesDescription")
SSL_CERTIFICATE_TYPES = ("Trusted", "Wildcard", "SelfSigned")
TARGETS = ("webhook", "lambda")
ASK_RESOURCES = {"askcliResourcesVersion": "2020-03-31",
                 "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}}}
STACK_TEMPLATE = "./infrastructure/cfn-deployer/skill-stack.yaml"
LAMBDA_HANDLER = "lambda_function.lambda_handler"
DEFAULT_AWS_REGION = "us-east-1"   # the ASK CLI's own default for Alexa's North America region
LAMBDA_ARN = "arn:aws:lambda:"


def ask_resources(target: str = "webhook", aws_region: str = DEFAULT_AWS_REGION) -> dict[str, Any]:
    """ask-resources.json: the skill package only (a webhook), or also Lambda code and its CloudFormation stack."""
    resources = copy.deepcopy(ASK_RESOURCES)
    if target == "lambda":
        python = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
        resources["profiles"]["default"].update({
            # The CLI copies src to its build folder, then runs hooks/build.sh, which writes the zip.
            "code": {"default": {"src": "./skill"}},
            "skillInfrastructure": {"type": "@ask-cli/cfn-deployer", "userConfig": {
                "runtime": f"python{python}", "handler": LAMBDA_HANDLER, "templatePath": STACK_TEMPLATE,
                "awsRegion": aws_region}},
        })
    return resources


class PackageError(ValueError):
    """A source or an option the package cannot be built from; the message says which and why."""


def publishing(locale: str, locales_dir: Path = LOCALES_DIR) -> dict[str, Any]:
    """The locale's store texts: en-US's publishing.json with the locale's own keys over it.

    Raises:
        PackageError: a file is missing or has a key the manifest has no place for.
    """
    texts: dict[str, Any] = {}
    for source in dict.fromkeys((BASE_LOCALE, locale)):
        path = locales_dir / source / "publishing.json"
        if not path.exists():
            raise PackageError(f"{source}/publishing.json is missing: add it, {{}} if {source} says nothing differently")
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = sorted(set(data) - set(PUBLISHING_KEYS))
        if unknown:
            raise PackageError(f"{source}/publishing.json: {unknown} are not store texts; use {list(PUBLISHING_KEYS)}")
        texts.update(data)
    missing = [k for k in PUBLISHING_KEYS[:5] if not texts.get(k)]
    if missing:
        raise PackageError(f"{BASE_LOCALE}/publishing.json must give {missing}")
    return texts


def build_manifest(endpoint: str | None, ssl_certificate_type: str | None) -> dict[str, Any]:
    """skill.json: the skill-wide declarations, every locale's store texts, and the endpoint.

    The endpoint is an HTTPS URL with its certificate type (a webhook), or a Lambda function's ARN,
    or None: a Lambda skill before its first ``ask deploy``, which writes the function's ARN in.

    Raises:
        PackageError: the endpoint is not an https URL or the certificate type is not one Alexa knows.
    """
    envelope = json.loads(SKILL_WIDE.read_text(encoding="utf-8"))
    manifest = copy.deepcopy(envelope["manifest"])
    manifest["publishingInformation"]["locales"] = {locale: publishing(locale) for locale in SUPPORTED_LOCALES}
    if endpoint is None:
        return {"manifest": manifest}
    if endpoint.startswith(LAMBDA_ARN):
        manifest["apis"]["custom"] = {"endpoint": {"uri": endpoint}, **manifest["apis"]["custom"]}
        return {"manifest": manifest}
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise PackageError(f"the endpoint must be an https:// URL without query or fragment, not {endpoint!r} "
                           "(Alexa calls only HTTPS; set SKILL_ENDPOINT or --endpoint)")
    if ssl_certificate_type not in SSL_CERTIFICATE_TYPES:
        raise PackageError(f"ssl certificate type must be one of {SSL_CERTIFICATE_TYPES}, not {ssl_certificate_type!r}")
    custom = manifest["apis"]["custom"]
    manifest["apis"]["custom"] = {"endpoint": {"uri": endpoint, "sslCertificateType": ssl_certificate_type}, **custom}
    return {"manifest": manifest}


def package_files(endpoint: str | None, ssl_certificate_type: str | None, *, target: str = "webhook",
                  aws_region: str = DEFAULT_AWS_REGION) -> dict[Path, str]:
    """Every file of the package and its text."""
    files = {MANIFEST_FILE: _json(build_manifest(endpoint, ssl_certificate_type)),
             RESOURCES_FILE: _json(ask_resources(target, aws_region))}
    for model_file, text in expected_files().items():
        files[PACKAGE_DIR / "interactionModels" / "custom" / model_file.name] = text
    return files


def current_endpoint() -> tuple[str | None, str | None]:
    """The endpoint and certificate type skill-package/skill.json has now (None when there is none)."""
    if not MANIFEST_FILE.exists():
        return None, None
    endpoint = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))["manifest"]["apis"]["custom"].get("endpoint", {})
    return endpoint.get("uri"), endpoint.get("sslCertificateType")


def current_target() -> tuple[str, str]:
    """The target and AWS region ask-resources.json is set up for now (webhook when it deploys no code)."""
    if not RESOURCES_FILE.exists():
        return "webhook", DEFAULT_AWS_REGION
    profile = json.loads(RESOURCES_FILE.read_text(encoding="utf-8"))["profiles"]["default"]
    infrastructure = profile.get("skillInfrastructure")
    if not infrastructure:
        return "webhook", DEFAULT_AWS_REGION
    return "lambda", infrastructure.get("userConfig", {}).get("awsRegion", DEFAULT_AWS_REGION)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) the skill package; returns the exit status."""
    parser = argparse.ArgumentParser(prog="./dev package", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=os.environ.get("SKILL_ENDPOINT"),
                        help="the skill's public HTTPS URL (default $SKILL_ENDPOINT, else the one in skill.json)")
    parser.add_argument("--ssl-certificate-type", choices=SSL_CERTIFICATE_TYPES,
                        default=os.environ.get("SKILL_SSL_CERTIFICATE_TYPE"),
                        help="Trusted (a certificate from a trusted authority), Wildcard, or SelfSigned")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a file is out of date")
    target_now, region_now = current_target()
    parser.add_argument("--target", choices=TARGETS, default=target_now,
                        help=f"webhook (your HTTPS server) or lambda (AWS Lambda + DynamoDB; default: {target_now}, "
                             "what ask-resources.json has now)")
    parser.add_argument("--aws-region", default=region_now, help="for --target lambda: where the stack goes")
    args = parser.parse_args(argv)
    endpoint_now, ssl_now = current_endpoint()
    endpoint = args.endpoint or endpoint_now
    if args.target == "lambda":
        # The ASK CLI writes the function's ARN in after deploying the stack; keep one it wrote.
        endpoint = endpoint if endpoint and endpoint.startswith(LAMBDA_ARN) else None
    elif not endpoint or endpoint.startswith(LAMBDA_ARN):
        print("No endpoint: run SKILL_ENDPOINT=https://your.host/ ./dev package", file=sys.stderr)
        return 2
    try:
        ssl_type = None if args.target == "lambda" else args.ssl_certificate_type or ssl_now or "Trusted"
        files = package_files(endpoint, ssl_type, target=args.target, aws_region=args.aws_region)
    except PackageError as err:
        print(f"./dev package: {err}", file=sys.stderr)
        return 2
    stale = sorted(str(p.relative_to(ROOT)) for p, text in files.items()
                   if not p.exists() or p.read_text(encoding="utf-8") != text)
    models_dir = PACKAGE_DIR / "interactionModels" / "custom"
    strays = sorted(str(p.relative_to(ROOT)) for p in models_dir.glob("*.json") if p not in files)
    if args.check:
        if stale or strays:
            print(f"out of date: {stale}, not from any locale: {strays}; run ./dev package", file=sys.stderr)
            return 1
        print(f"skill-package/ is current (endpoint {endpoint})")
        return 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name in strays:
        (ROOT / name).unlink()
    print(f"wrote skill-package/ and ask-resources.json for {endpoint or 'AWS Lambda in ' + args.aws_region}"
          + (f" (changed: {', '.join(stale)})" if stale else " (no changes)"))
    print("next: ask deploy   (first time: ask configure; the ASK CLI then creates the skill and builds its models"
          + (", builds the Lambda zip and deploys the stack)" if args.target == "lambda" else ")"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
