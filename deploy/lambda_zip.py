"""./dev lambda-zip: the AWS Lambda deployment package, built from the lock (requirements.txt).

    ./dev lambda-zip                             # dist/foot-coach-lambda.zip for Lambda's python3.11 on x86_64
    ./dev lambda-zip --arch arm64 --output my.zip
    ./dev lambda-zip --offline                   # only from wheels downloaded before (./dev does it)

The zip holds lambda_function.py (the handler Lambda calls), the skill/ package with its content
files, and every locked distribution, installed for Lambda's platform (manylinux2014, the CPython of
.python-version) from hash-checked wheels. Bytecode is compiled in (unchecked-hash .pyc files): Lambda's
/var/task is read-only, so without them every cold start would compile every module it imports.
Entries are sorted and dated 1980-01-01, so the same lock and sources give the same files.
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.txt"
DEFAULT_OUTPUT = ROOT / "dist" / "foot-coach-lambda.zip"
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
ENTRY_POINT = "lambda_function.py"
UNZIPPED_LIMIT = 250 * 1024 * 1024        # Lambda's limit for a function's unzipped code
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024    # a larger zip must go through S3 (as the ASK CLI does anyway)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def python_version() -> str:
    """The Python the lock and the Lambda runtime are for (.python-version: 3.11 means runtime python3.11)."""
    return (ROOT / ".python-version").read_text(encoding="utf-8").strip()


def wheelhouse(arch: str) -> Path:
    """Where the Lambda platform's wheels are kept between builds."""
    return ROOT / ".venv" / f"wheelhouse-lambda-{arch}"


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args], check=True)


def _platform_args(arch: str) -> list[str]:
    return ["--only-binary=:all:", "--platform", PLATFORMS[arch], "--python-version", python_version(),
            "--implementation", "cp", "--require-hashes"]


def download(arch: str) -> Path:
    """Fetch (or find cached) every locked wheel for Lambda's platform, hashes checked; return the folder."""
    folder = wheelhouse(arch)
    _pip("download", "--no-deps", *_platform_args(arch), "-r", str(LOCK), "-d", str(folder))
    return folder


def build(output: Path, *, arch: str = "x86_64", offline: bool = False) -> Path:
    """Write the zip to ``output``; return it.

    Raises:
        subprocess.CalledProcessError: a wheel is missing (offline) or fails its hash.
        ValueError: the package is over Lambda's size limit.
    """
    folder = wheelhouse(arch) if offline else download(arch)
    with tempfile.TemporaryDirectory(prefix="foot-coach-lambda-") as scratch:
        package = Path(scratch) / "package"
        _pip("install", "--no-deps", "--no-index", "--find-links", str(folder), *_platform_args(arch),
             "--target", str(package), "--no-compile", "-r", str(LOCK))
        shutil.rmtree(package / "bin", ignore_errors=True)   # console scripts (gunicorn, flask): no use on Lambda
        shutil.copy2(ROOT / ENTRY_POINT, package / ENTRY_POINT)
        shutil.copytree(ROOT / "skill", package / "skill", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _compile(package)
        size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
        if size > UNZIPPED_LIMIT:
            raise ValueError(f"{size / 2**20:.0f} MiB unzipped is over Lambda's 250 MiB limit")
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name in sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()):
                path = package / name
                entry = zipfile.ZipInfo(name, ZIP_DATE)
                entry.external_attr = 0o644 << 16   # readable by Lambda's user, whatever the umask here
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, path.read_bytes())
    return output


def _compile(package: Path) -> None:
    """Compile every module to .pyc (when this Python is the runtime's); what cannot compile is never imported."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" != python_version():
        print(f"warning: Python {sys.version.split()[0]} is not the runtime's {python_version()}: no .pyc in the zip, "
              "so each cold start compiles what it imports", file=sys.stderr)
        return
    compileall.compile_dir(package, quiet=2, workers=0, ddir="/var/task",
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the zip (or, with --download-only, fetch the wheels); returns the exit status."""
    parser = argparse.ArgumentParser(prog="./dev lambda-zip", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default {DEFAULT_OUTPUT.relative_to(ROOT)}")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64", help="the function's architecture")
    parser.add_argument("--offline", action="store_true", help="use only wheels downloaded before")
    parser.add_argument("--download-only", action="store_true", help="fetch the wheels for a later --offline build")
    args = parser.parse_args(argv)
    if args.download_only:
        print(f"Lambda wheels in {download(args.arch)}")
        return 0
    output = build(args.output.resolve(), arch=args.arch, offline=args.offline)
    size = output.stat().st_size
    print(f"wrote {output} ({size / 2**20:.1f} MiB; handler lambda_function.lambda_handler, runtime "
          f"python{python_version()}, {args.arch})")
    if size > DIRECT_UPLOAD_LIMIT:
        print("over 50 MiB: upload it through S3 (the ASK CLI and CloudFormation do)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
