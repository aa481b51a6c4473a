#!/usr/bin/env bash
# Makes sure what the tests talk to is there: Redis answering on 127.0.0.1:6379 and Debian's
# chromium at /usr/bin/chromium, and Debian's python3 with FastAPI and uvicorn (the Python agent
# example). Installs them with apt-get when missing (as root). Idempotent.
set -euo pipefail

redis_answers() {
  (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 && [[ $reply == +PONG* ]]) 2>/dev/null
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "prepare: $1 is missing; install Debian's '$1' package (apt-get install $1) and run again" >&2
    exit 1
  fi
  echo "prepare: installing Debian's $1"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

if ! redis_answers; then
  echo "prepare: Redis is not answering on 127.0.0.1:6379; starting one"
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "prepare: Redis did not start" >&2; exit 1; }
fi

# the gateway's browser test drives Debian's chromium through playwright-core (never a downloaded browser)
[ -x /usr/bin/chromium ] || apt_install chromium

# the Python agent example (examples/python-agent) and its test: FastAPI, uvicorn and pydantic for
# Debian's python3 (PyPI is not reachable from these machines; the spec fails, not skips, without them)
if ! /usr/bin/python3 -c 'import fastapi, uvicorn, pydantic' 2>/dev/null; then
  for package in python3-fastapi python3-uvicorn python3-pydantic; do apt_install "$package"; done
fi
