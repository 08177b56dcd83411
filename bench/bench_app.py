"""Benchmark: the clinic app in a real browser (Playwright driving Debian's Chromium).

    .venv/bin/python bench/bench_app.py                        # 5 starts, 20 presses of the button
    .venv/bin/python bench/bench_app.py --repeat 3 --presses 10

Two figures of issue #6, measured the way a doctor meets them:

- **first page shown**: from starting ``gp-assistant app --port P --data D`` (a fresh data folder,
  seeded from ``data_samples/`` on the first run) to the sign-in form visible in the browser;
  ``--repeat`` fresh starts. Target <= 5 s.
- **suggestion shown**: on the consultation page (doctor1, a patient found, a complaint typed),
  from the click on the assess button to the first ranked suggestion painted, timed inside the
  page (``performance.now()`` at the click event, then at the first animation frame after the
  suggestion's table row is in the document); ``--presses`` presses. Target <= 300 ms.

Prints each value, then the median and p90 of each. Needs Chromium at ``/usr/bin/chromium`` (or
``$GP_CHROMIUM``): ``bash scripts/install-browser.sh``. The browser test
``tests/test_e2e_browser.py`` drives the app with the helpers of this module.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("GP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
"""Headless, and quiet on the network: without the background-networking flags Chromium keeps
trying to reach Google's services."""
INSTALL_HINT = (
    "install it with `bash scripts/install-browser.sh` (Debian/Ubuntu: "
    "`sudo apt-get install -y chromium chromium-driver`), or point $GP_CHROMIUM at a Chromium binary"
)
DOCTOR = ("doctor1", "doctor-demo-2026")  # the demo village doctor of 李家村
HEALTH = ("health", "health-demo-2026")  # the demo public-health staff of the township
PATIENT = "P00005"  # a hypertensive man of 李家村 in data_samples/village
COMPLAINT = "发热咳嗽3天，咳黄痰，无胸痛"

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "COMPLAINT",
    "DOCTOR",
    "HEALTH",
    "INSTALL_HINT",
    "PATIENT",
    "RunningApp",
    "choose",
    "chromium_problem",
    "find_patient",
    "gp_assistant_command",
    "launch_chromium",
    "login",
    "open_page",
    "press_assess",
    "start_app",
    "stop_app",
    "summary",
    "type_complaint",
    "wait_for_login_form",
    "wait_for_value",
    "wait_idle",
]


# ---------------------------------------------------------------------- the server
@dataclass
class RunningApp:
    """``gp-assistant app`` started by :func:`start_app` (its own process group)."""

    process: subprocess.Popen[bytes]
    port: int
    data: Path
    log: Path
    started: float  # time.perf_counter() just before the process was started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gp_assistant_command() -> list[str]:
    """``gp-assistant`` of this interpreter's environment (the console script of the package)."""
    script = Path(sys.executable).with_name("gp-assistant")
    if script.exists():
        return [str(script)]
    found = shutil.which("gp-assistant")
    return [found] if found else [sys.executable, "-m", "assistant.cli"]


def start_app(data: Path, port: int | None = None, log: Path | None = None) -> RunningApp:
    """Start ``gp-assistant app --port P --data DATA`` (127.0.0.1 only) and return at once."""
    port = port or free_port()
    log = log or data.with_name(data.name + "-app.log")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*gp_assistant_command(), "app", "--port", str(port), "--data", str(data)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # streamlit runs as a child: stop the whole group
        )  # fmt: skip
    return RunningApp(process, port, data, log, started)


def stop_app(app: RunningApp, timeout: float = 10.0) -> None:
    """Stop the app's process group: SIGTERM, then SIGKILL if it has not ended in ``timeout``."""
    if app.process.poll() is None:
        try:
            os.killpg(app.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            app.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(app.process.pid, signal.SIGKILL)
            app.process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):  # streamlit (the child) may outlive its parent
        os.killpg(app.process.pid, signal.SIGKILL)


def _wait_listening(app: RunningApp, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"gp-assistant app exited with {app.process.returncode}:\n{app.log_tail()}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", app.port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(
        f"gp-assistant app did not listen on port {app.port} in {timeout:.0f} s:\n{app.log_tail()}"
    )


# ---------------------------------------------------------------------- the browser
def chromium_problem() -> str | None:
    """Why the browser test cannot run here (None when it can)."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is missing: .venv/bin/pip install -r requirements/all.lock -e ."
    return None


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, without Playwright's own browser downloads."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def wait_idle(page: Any, timeout_ms: float = 30_000) -> None:
    """Wait until the app's script is not running (call it after waiting for what a run shows)."""
    page.locator('[data-test-script-state="notRunning"]').first.wait_for(state="attached", timeout=timeout_ms)


def wait_for_login_form(page: Any, app: RunningApp, timeout: float = 60.0) -> float:
    """Open the app once it listens and wait for the sign-in form; seconds since the app's start."""
    _wait_listening(app, timeout)
    page.goto(app.url, timeout=timeout * 1000)
    page.locator(".st-key-login_username input").wait_for(state="visible", timeout=timeout * 1000)
    page.locator(".st-key-login_password input").wait_for(state="visible", timeout=timeout * 1000)
    return time.perf_counter() - app.started


def login(page: Any, username: str, password: str, landing: str = ".st-key-cx_query") -> None:
    """Sign in on the sign-in form and wait for the first page of the account."""
    page.locator(".st-key-login_username input").fill(username)
    page.locator(".st-key-login_password input").fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.locator(".st-key-logout button").wait_for(state="visible", timeout=60_000)
    page.locator(landing).first.wait_for(state="visible", timeout=60_000)


def open_page(page: Any, url_path: str, ready: str) -> None:
    """Go to another page with the sidebar's navigation (a new URL would start a new session,
    signed out) and wait for ``ready`` (a CSS selector) to show."""
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').click()
    page.locator(ready).first.wait_for(state="visible", timeout=60_000)


def wait_for_value(page: Any, selector: str, prefix: str, timeout_ms: float = 30_000) -> None:
    """Wait until an input matching ``selector`` holds a value starting with ``prefix`` (a
    selectbox shows its choice as the value of its input)."""
    page.wait_for_function(
        "([sel, prefix]) => [...document.querySelectorAll(sel)].some((e) => e.value.startsWith(prefix))",
        arg=[selector, prefix], timeout=timeout_ms,
    )  # fmt: skip


def choose(page: Any, key: str, option: str) -> None:
    """Choose the option starting with ``option`` in the selectbox of widget key ``key``."""
    box = page.locator(f".st-key-{key} input")
    if str(box.input_value()).startswith(option):
        return
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_for_value(page, f".st-key-{key} input", option)


def find_patient(page: Any, patient_id: str) -> None:
    """Search the consultation page's patients for ``patient_id`` and wait until it is chosen."""
    box = page.locator(".st-key-cx_query input")
    box.fill(patient_id)
    box.press("Enter")
    wait_for_value(page, '[class*="st-key-cx_patient_"] input', patient_id)
    page.locator(".st-key-cx_patient_card").filter(has_text=patient_id).wait_for(timeout=30_000)
    wait_idle(page)


def type_complaint(page: Any, text: str, expect: str) -> str:
    """Type the complaint and wait until the findings understood mention ``expect``; their text."""
    area = page.locator(".st-key-complaint textarea")
    area.fill(text)
    area.press("Control+Enter")
    summary = page.locator(".st-key-cx_findings_summary")
    summary.filter(has_text=expect).wait_for(timeout=30_000)
    wait_idle(page)
    return str(summary.inner_text())


_ARM = """(n) => {
  const sel = `.st-key-cx_result_${n} .st-key-cx_suggestions table tbody tr`;
  const m = {t0: null, t1: null};
  if (window.__gpAssessOff) window.__gpAssessOff();
  window.__gpAssess = m;
  const onClick = (e) => {
    if (m.t0 === null && e.target.closest('.st-key-assess')) m.t0 = performance.now();
  };
  const obs = new MutationObserver(() => {
    if (m.t0 !== null && m.t1 === null && document.querySelector(sel)) {
      window.__gpAssessOff();
      requestAnimationFrame(() => { m.t1 = performance.now(); });
    }
  });
  window.__gpAssessOff = () => { obs.disconnect(); document.removeEventListener('click', onClick, true); };
  document.addEventListener('click', onClick, true);
  obs.observe(document.body, {childList: true, subtree: true});
}"""


def press_assess(page: Any, n: int, timeout_ms: float = 30_000) -> float:
    """Press the assess button for the ``n``-th time of the session and wait for the suggestions;
    milliseconds from the click to the first suggestion painted, measured in the page."""
    page.evaluate(_ARM, n)
    page.locator(".st-key-assess button").click()
    page.wait_for_function("() => window.__gpAssess && window.__gpAssess.t1 !== null", timeout=timeout_ms)
    elapsed = page.evaluate("() => window.__gpAssess.t1 - window.__gpAssess.t0")
    wait_idle(page)
    return float(elapsed)


# ---------------------------------------------------------------------- the benchmark
def summary(values: Sequence[float]) -> tuple[float, float]:
    """(median, p90) of ``values`` (p90 by the nearest-rank method)."""
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # ceil(0.9 n)
    return statistics.median(ordered), ordered[rank - 1]


def _startup(playwright: Any, workdir: Path, repeat: int) -> list[float]:
    times = []
    browser = launch_chromium(playwright)
    try:
        for i in range(repeat):
            app = start_app(workdir / f"start-{i}")
            try:
                page = browser.new_page()
                seconds = wait_for_login_form(page, app)
                page.close()
            finally:
                stop_app(app)
            times.append(seconds)
            print(f"  start {i + 1}: sign-in form after {seconds:.2f} s", flush=True)
    finally:
        browser.close()
    return times


def _presses(playwright: Any, workdir: Path, presses: int) -> list[float]:
    app = start_app(workdir / "presses")
    browser = launch_chromium(playwright)
    times = []
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        wait_for_login_form(page, app)
        login(page, *DOCTOR)
        find_patient(page, PATIENT)
        type_complaint(page, COMPLAINT, "发热")
        first = press_assess(page, 1)
        print(f"  first press (not counted): {first:.0f} ms", flush=True)
        for i in range(presses):
            ms = press_assess(page, i + 2)
            times.append(ms)
            print(f"  press {i + 1}: suggestion after {ms:.0f} ms", flush=True)
    finally:
        browser.close()
        stop_app(app)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="fresh starts of the app (default 5)")
    ap.add_argument("--presses", type=int, default=20, help="presses of the assess button (default 20)")
    ap.add_argument("--workdir", type=Path, default=None, help="data folders go here (default: a temp dir)")
    args = ap.parse_args(argv)
    problem = chromium_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            print(f"first page shown ({args.repeat} fresh starts of gp-assistant app):", flush=True)
            starts = _startup(pw, workdir, args.repeat)
            print(f"suggestion shown ({args.presses} presses of the assess button):", flush=True)
            presses = _presses(pw, workdir, args.presses)
    s_med, s_p90 = summary(starts)
    p_med, p_p90 = summary(presses)
    print(f"first page shown:  median {s_med:.2f} s, p90 {s_p90:.2f} s  (target <= 5 s, n={len(starts)})")
    print(
        f"suggestion shown:  median {p_med:.0f} ms, p90 {p_p90:.0f} ms  (target <= 300 ms, n={len(presses)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
