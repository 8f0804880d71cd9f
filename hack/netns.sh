#!/bin/sh
# Runs a command inside a new network namespace whose only interface is
# loopback, so a test API server can never dial another host: a webhook
# ClusterIP or a node address is either on this loopback or unreachable.
#
#   hack/netns.sh go test ./...
#
# In the namespace, the test service range (10.96.0.0/24) and the API
# server's advertise address (10.200.0.1) are loopback addresses; see
# internal/testenv. Root runs unshare directly; other users get a user
# namespace that maps them to root inside.
set -eu
if [ "$#" -eq 0 ]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi
for tool in unshare ip; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$0: $tool is missing: install util-linux and iproute2 (apt-get install util-linux iproute2)" >&2
		exit 1
	fi
done
userns=""
if [ "$(id -u)" != 0 ]; then
	userns="--user --map-root-user"
	if ! unshare --user --map-root-user --net true 2>/dev/null; then
		echo "$0: cannot make a network namespace as $(id -un): run as root, or allow unprivileged user namespaces (on Ubuntu 23.10 and later: sysctl kernel.apparmor_restrict_unprivileged_userns=0)" >&2
		exit 1
	fi
fi
# shellcheck disable=SC2086 # userns is a list of flags
exec unshare $userns --net -- sh -eu -c '
	ip link set lo up
	ip addr add 10.96.0.1/24 dev lo
	ip addr add 10.200.0.1/32 dev lo
	exec "$@"
' netns "$@"
