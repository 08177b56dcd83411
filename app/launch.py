"""``gp-assistant app``: start the Streamlit app on 127.0.0.1, offline, usage statistics off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.facade import DATA_ENV

__all__ = ["MAIN", "launch", "streamlit_command"]

MAIN = Path(__file__).resolve().parent / "main.py"


def streamlit_command(port: int) -> list[str]:
    """The command that runs the app: local address only, headless, no usage statistics, no
    development mode, no external resources."""
    return [
        sys.executable, "-m", "streamlit", "run", str(MAIN),
        "--server.address", "127.0.0.1",
        "--server.port", str(int(port)),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
        "--client.showSidebarNavigation", "true",
        "--theme.base", "light",
    ]  # fmt: skip


def launch(port: int = 8501, data_dir: str | Path = "data") -> int:
    """Run the app until it stops; returns its exit code. ``data_dir`` holds the embedded store
    (created and seeded with the demo accounts and sample village on the first run)."""
    env = {
        **os.environ,
        DATA_ENV: str(Path(data_dir).resolve()),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    try:
        return subprocess.call(streamlit_command(port), env=env, cwd=str(MAIN.parents[1]))
    except KeyboardInterrupt:
        return 0
