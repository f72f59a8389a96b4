"""Runs pytest in a subprocess on a small test file, as an integrator's suite would: the plugin is found by
its entry point (massdm installed in this environment), nothing of massdm's own suite is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str

    def section(self, test: str) -> str:
        """The failure report of `test`, from its header to the next one."""
        start = self.output.index(f"_ {test} _")
        following = [i for i in (self.output.find("\n____", start + 1), self.output.find("\n====", start + 1))
                     if i != -1]
        return self.output[start:min(following, default=len(self.output))]


def run_pytest(directory: Path, tests: str, *args: str, timeout: float = 300) -> Run:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pytest.ini").write_text("[pytest]\n")  # the rootdir: no configuration from above it
    (directory / "test_integrator.py").write_text(textwrap.dedent(tests))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MASSDM_TEST"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--basetemp", str(directory / "tmp"),
         *args, "test_integrator.py"],
        cwd=directory, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return Run(result.returncode, result.stdout + result.stderr)
