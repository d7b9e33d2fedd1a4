#!/bin/sh
# Makes sure the plugin and desk tests (tests/plugin) have a browser: Debian's chromium and
# chromedriver. `make test` runs this first. When they are missing and this runs as root on
# Debian, it installs them with apt-get (no browser is downloaded from anywhere else);
# otherwise it says what to install and exits non-zero, and `make test` stops there.
# FACTCHECK_CHROMIUM and FACTCHECK_CHROMEDRIVER point the tests at another Chromium build.
set -eu

chromium="${FACTCHECK_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
driver="${FACTCHECK_CHROMEDRIVER:-$(command -v chromedriver || true)}"
if [ -z "$driver" ] && [ -x /usr/bin/chromedriver ]; then
    driver=/usr/bin/chromedriver
fi
if [ -n "$chromium" ] && [ -n "$driver" ]; then
    exit 0
fi

if [ "$(id -u)" = 0 ] && [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: installing Debian's chromium and chromium-driver for tests/plugin"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && exit 0
    echo "ensure-browser: apt-get ran, but chromium or chromedriver is still missing" >&2
    exit 1
fi

cat >&2 <<'MSG'
ensure-browser: the plugin and desk tests (tests/plugin) need Chromium and chromedriver,
and this machine has no chromium or no chromedriver. Install them, then run make test again:
    Debian:   sudo apt-get install chromium chromium-driver
    Ubuntu:   sudo apt-get install chromium-browser chromium-chromedriver
              (or set FACTCHECK_CHROMIUM and FACTCHECK_CHROMEDRIVER to a Chromium and its driver)
MSG
exit 1
