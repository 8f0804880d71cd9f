#!/bin/sh
# Installs Debian packages, as root or through sudo, once apt's lists are
# fresh: what .ci/run and `make lint` use on a machine that lacks a tool.
#
#   hack/apt-install.sh shellcheck
set -eu
if [ "$#" -eq 0 ]; then
	echo "usage: $0 PACKAGE..." >&2
	exit 2
fi
echo "installing: $*"
sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "$0: $* must be installed, and $(id -un) is not root and has no sudo" >&2
		exit 1
	fi
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@"
