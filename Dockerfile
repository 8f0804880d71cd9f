# The action's container: the static knative-preview binary and the docker
# CLI (the kind cluster target drives Docker through it), on distroless
# static: CA certificates, /etc/passwd, /tmp, and no shell or package manager.
# GitHub runs it as root with --workdir /github/workspace, so the final stage
# sets no USER and no WORKDIR.
#
# Pins: docker:28-cli is pinned by its multi-arch index digest; golang and
# distroless are pinned by tag only (no digest for them could be checked when
# this was written). Dependabot (.github/dependabot.yml) proposes updates.

# The compiler runs on the build machine's platform and cross-compiles for
# the target one, so a multi-arch build runs no compiler under emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/knative-preview/action/internal/buildinfo.Version=${VERSION}" \
      -o /out/knative-preview ./cmd/action
# The post step (cleanup) starts the same binary under another name; the
# final stage has no shell to make the link, so it is made here and copied.
RUN ln -s knative-preview /out/knative-preview-post

# Only the docker CLI's static binary is taken from this image (of the
# target platform), not its Alpine userland.
FROM docker:28-cli@sha256:625d9431a9f54c5a2bc90f24f0e1c3d55b1349fd857dd85035f98c2c9acbdd4d AS docker-cli

FROM gcr.io/distroless/static-debian12
# The release build adds org.opencontainers.image.version and .revision.
LABEL org.opencontainers.image.title="knative-preview" \
      org.opencontainers.image.description="Knative Serving on a cluster for a pull request, a smoke check or a laptop: a GitHub Action and a CLI" \
      org.opencontainers.image.source="https://github.com/knative-preview/action" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
# /out holds the binary and the knative-preview-post link (copied as a link).
COPY --from=build /out/ /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/knative-preview"]
CMD []
