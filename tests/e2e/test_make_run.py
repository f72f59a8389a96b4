"""`make run` from nothing: install, then `massdm demo`, then `massdm serve`, and the demo answers.

The install step itself is what CI's `make test` runs on a clean clone; here we check that
`make run` would run it first, then execute the remaining steps exactly as make prints them,
in an empty directory, and call the served demo with the key it printed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _plan() -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "pyproject.toml", "run"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def test_make_run_installs_first_then_demo_then_serve():
    plan = _plan()
    install = next(i for i, line in enumerate(plan) if "pip install" in line and "-e" in line)
    demo = next(i for i, line in enumerate(plan) if line.endswith("massdm demo"))
    serve = next(i for i, line in enumerate(plan) if "massdm serve" in line)
    assert plan[0].endswith("-m venv .venv")
    assert install < demo < serve


def _command(line: str) -> list[str]:
    """A make step as argv, run with this interpreter's massdm (the one `make install` built)."""
    argv = shlex.split(line)
    assert argv[0].endswith("massdm")
    return [sys.executable, "-m", "massdm", *argv[1:]]


def test_make_run_steps_serve_the_demo_in_an_empty_directory(tmp_path):
    plan = _plan()
    demo_step = _command(next(line for line in plan if line.endswith("massdm demo")))
    serve_step = _command(next(line for line in plan if "massdm serve" in line))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSDM_")}
    env.update({"MASSDM_PORT": str(port), "COLUMNS": "200"})

    demo = subprocess.run(demo_step, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    account = re.search(r"account:\s+(acct_[0-9a-f]{32})", demo.stderr).group(1)
    api_key = re.search(r"api key:\s+(massdm_\S+)", demo.stderr).group(1)
    assert f"http://127.0.0.1:{port}" in demo.stderr
    console_url = re.search(r"console:\s+(\S+)", demo.stderr).group(1)
    assert console_url == f"http://127.0.0.1:{port}/console"
    assert (tmp_path / "massdm.db").exists()  # the embedded default, in the working directory

    server = subprocess.Popen(serve_step, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {api_key}"}
        assert httpx.get(f"{base}/api/whoami", headers=headers).json()["team"]["slug"] == "demo"
        fans = httpx.get(f"{base}/api/{account}/fans/all?limit=50", headers=headers).json()
        assert len(fans["data"]["list"]) == 50 and fans["data"]["hasMore"] is True
        # the sandbox lets webhooks reach a receiver on this machine (`massdm webhooks listen`)
        local = httpx.post(f"{base}/api/webhooks", headers=headers, json={
            "endpoint_url": "http://127.0.0.1:8787/", "events": ["chat_queue.updated"], "account_scope": "global"})
        assert local.status_code == 201, local.text
        # the console the demo printed signs in with the key it printed
        with httpx.Client(base_url=base) as browser:
            form = browser.get("/console/sign-in").text
            token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            signed = browser.post("/console/sign-in", data={"api_key": api_key, "csrf": token})
            assert signed.status_code == 303 and signed.headers["location"] == "/console"
            home = browser.get(console_url)
            assert home.status_code == 200 and "Demo" in home.text and api_key not in home.text
    finally:
        server.terminate()
        server.wait(10)
