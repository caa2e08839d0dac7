"""Runs the installed ml-metadata package's own test module against our server, per backend.

The module is run where pip installed it (site-packages), never copied. For each backend a
fresh database and a fresh server are used; the result is reported, not gated:

    <backend>: N passed, M failed[, K skipped]
      FAILED <test id>
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlmd_server import BACKENDS, BackendUnavailable, start_server  # noqa: E402


def official_test_module() -> Path:
    import ml_metadata.metadata_store as package

    module = Path(package.__file__).resolve().parent / "metadata_store_test.py"
    if not module.exists():
        raise SystemExit(f"{module} is not installed; run scripts/setup-python.sh")
    return module


# Four gRPC-only tests in 1.17.1's module cannot pass against any server, upstream's included:
# they call _get_metadata_store() without its cli_args argument, or read `self.self`. They are
# recognised by those errors (not by name), so a different failure still reads as ours.
TEST_MODULE_DEFECTS = (
    "_get_metadata_store() missing 1 required positional argument",
    "object has no attribute 'self'",
)


def summarize(junit_xml: Path) -> tuple[int, int, int, list[str]]:
    passed = failed = skipped = 0
    failing: list[str] = []
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        outcome = {child.tag for child in case}
        if outcome & {"failure", "error"}:
            failed += 1
            node = case.find("failure")
            if node is None:
                node = case.find("error")
            message = (node.get("message") or "").splitlines()[0][:160] if node is not None else ""
            if any(defect in message for defect in TEST_MODULE_DEFECTS):
                message = f"[defect in the test module itself] {message}"
            failing.append(f"{test_id}  -- {message}" if message else test_id)
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, failing


def run_backend(backend: str, module: Path, pytest_args: list[str], out_dir: Path) -> str:
    try:
        server = start_server(backend)
    except BackendUnavailable as reason:
        return f"{backend}: not run ({reason})"
    except RuntimeError as error:
        return f"{backend}: not run (our server did not start)\n{error}"
    junit = out_dir / f"{backend}.xml"
    log = out_dir / f"{backend}.log"
    with server, tempfile.TemporaryDirectory(prefix="mlmd-official-") as cwd, open(log, "w") as log_file:
        # The module writes SQLite files into the working directory in a few tests.
        subprocess.run(
            [
                sys.executable, "-m", "pytest", str(module),
                "--use_grpc_backend", f"--grpc_host={server.host}", f"--grpc_port={server.port}",
                "-p", "no:cacheprovider", f"--junitxml={junit}", "-q", *pytest_args,
            ],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not junit.exists():
        return f"{backend}: pytest produced no report; see {log}"
    passed, failed, skipped, failing = summarize(junit)
    line = f"{backend}: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
    return "\n".join([line, *(f"  FAILED {name}" for name in failing)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated subset of sqlite,mariadb,postgres")
    parser.add_argument("--out", default=None, help="directory for junit XML and pytest logs (default: a temp dir)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments after --, e.g. -- -k filter_query")
    args = parser.parse_args()
    module = official_test_module()
    out_dir = Path(args.out or tempfile.mkdtemp(prefix="mlmd-official-report-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"official suite: {module}", flush=True)
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(run_backend(backend, module, args.pytest_args, out_dir), flush=True)
    print(f"reports and logs: {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
