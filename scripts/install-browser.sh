#!/usr/bin/env bash
# Install the browser that the end-to-end test (tests/test_e2e_browser.py) drives: Debian's
# Chromium at /usr/bin/chromium, through apt-get (with sudo when not root). Does nothing when it is
# already there, so it is safe to run before every test run (the README's test command and .ci/run do).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get here; install Chromium yourself and set GP_CHROMIUM to its path" >&2
    exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-browser: not root and no sudo: run 'apt-get install -y chromium chromium-driver' as root" >&2
        exit 1
    fi
    SUDO=(sudo)
fi
echo "install-browser: installing chromium and chromium-driver with apt-get" >&2
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
if [ ! -x /usr/bin/chromium ]; then
    echo "install-browser: apt-get finished but /usr/bin/chromium is missing" >&2
    exit 1
fi
