#!/bin/sh
# Rewrites action.yml in the current directory for a release: runs.image
# becomes the pushed image by digest, the version in a comment, so that the
# runner pulls it instead of building the Dockerfile in every job:
#
#   hack/release-action-yml.sh ghcr.io/knative-preview/action@sha256:<64 hex> v1.2.3
#
# The release workflow (.github/workflows/release.yml) runs it twice on the
# release's commit: in the kind end-to-end job (e2e-kind.yml), which then
# runs the action through this action.yml as users' runners will, and in
# the publish job, which commits the same action.yml on releases/vX.
set -eu
if [ "$#" -ne 2 ]; then
	echo "usage: $0 IMAGE@sha256:DIGEST vX.Y.Z" >&2
	exit 2
fi
ref=$1
version=$2
if ! printf '%s\n' "$ref" | grep -Eqx '[a-z0-9.:-]+(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}'; then
	echo "error: image $ref is not a reference by digest (registry/name@sha256:<64 hex>)" >&2
	exit 1
fi
if ! printf '%s\n' "$version" | grep -Eqx 'v[0-9]+\.[0-9]+\.[0-9]+'; then
	echo "error: version $version is not vX.Y.Z" >&2
	exit 1
fi
if ! grep -qx '  image: Dockerfile' action.yml; then
	echo "error: action.yml does not say image: Dockerfile (runs.image); run this on a commit of main" >&2
	exit 1
fi
sed -i "s|^  image: Dockerfile\$|  image: docker://$ref # $version|" action.yml
if ! grep -qxF "  image: docker://$ref # $version" action.yml; then
	echo "error: action.yml was not rewritten to docker://$ref" >&2
	exit 1
fi
echo "action.yml runs docker://$ref ($version)"
