#!/usr/bin/env bash
# Install Debian packages when we can (root or passwordless sudo); otherwise say what to install.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "please install the Debian packages: $* (e.g. sudo apt-get install -y $*)" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
