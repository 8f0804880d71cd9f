# The action's container: the knative-preview binary on a small image that
# also has the docker CLI (the kind cluster target drives Docker through it).
# GitHub runs it as root with --workdir /github/workspace, so the final stage
# sets no USER and no WORKDIR.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/knative-preview/action/internal/buildinfo.Version=${VERSION}" \
      -o /out/knative-preview ./cmd/action

FROM docker:28-cli
COPY --from=build /out/knative-preview /usr/local/bin/knative-preview
# The post step (cleanup) starts the same binary under another name.
RUN ln -s knative-preview /usr/local/bin/knative-preview-post
ENTRYPOINT ["/usr/local/bin/knative-preview"]
CMD []
