#!/bin/sh
# Draws the Mermaid charts of the job summary's golden files
# (internal/summary/testdata/*.golden.md) as PNG pictures with the Mermaid
# CLI: in Mermaid's light theme on white and its dark theme on GitHub's dark
# background, and under each time zone of TZS (the gantt chart must read
# the same in every one), so that a person can look at what a reader of
# the job summary sees:
#
#   hack/render-charts.sh [OUT]
#
# OUT (default: a new directory under /tmp) receives a directory for each
# time zone and theme, with charts.md (the golden files' charts, each
# replaced by a link to its picture) and the pictures; it fails when a
# picture differs between time zones. `make test` does not run this: it
# needs the CLI and a browser, which CI does not have. Without the CLI it
# says how to install it and draws nothing.
#
# MMDC      the Mermaid CLI (default: mmdc on PATH). Its version is
#           Mermaid's: @mermaid-js/mermaid-cli@10.9.1 draws with Mermaid
#           10.9, @mermaid-js/mermaid-cli@11 with Mermaid 11. Install it
#           outside the repository, with Debian's chromium as its browser:
#             apt-get install chromium
#             PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix /tmp/mmdc11 \
#               @mermaid-js/mermaid-cli@11 puppeteer
#             MMDC=/tmp/mmdc11/node_modules/.bin/mmdc hack/render-charts.sh
# CHROMIUM  the browser it drives (default: chromium on PATH)
# TZS       the time zones (default: "UTC Asia/Kolkata")
set -eu

cd "$(dirname "$0")/.."
mmdc=${MMDC:-mmdc}
if ! command -v "$mmdc" >/dev/null 2>&1; then
	echo "$0: no Mermaid CLI ($mmdc): nothing drawn; see the head of this script for how to install it" >&2
	exit 0
fi
chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ]; then
	echo "$0: no browser for the Mermaid CLI: install Debian's chromium, or set CHROMIUM" >&2
	exit 1
fi
out=${1:-$(mktemp -d /tmp/charts.XXXXXX)}
mkdir -p "$out"
version=$("$mmdc" --version)

# The browser runs as root here and needs no network.
config=$out/puppeteer.json
cat >"$config" <<EOF
{"executablePath": "$chromium", "args": ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]}
EOF

# One Markdown file with every golden chart under the name of its file, so
# that one browser draws them all.
charts=$out/charts.md
: >"$charts"
for golden in internal/summary/testdata/*.golden.md; do
	grep -q '^```mermaid$' "$golden" || continue
	printf '## %s\n\n' "$(basename "$golden")" >>"$charts"
	awk '/^```mermaid$/ { on = 1 } on { print } on && /^```$/ { on = 0; print "" }' "$golden" >>"$charts"
done

# Each chart is drawn in each zone; the first zone's pictures are the ones
# every other zone's must equal, pixel for pixel.
status=0
first=
for tz in ${TZS:-UTC Asia/Kolkata}; do
	zone=$(echo "$tz" | tr / _)
	first=${first:-$zone}
	for theme in default dark; do
		background=white
		[ "$theme" = dark ] && background='#0d1117'
		dir=$out/mermaid-cli-$version/$zone-$theme
		mkdir -p "$dir"
		TZ=$tz "$mmdc" --quiet -p "$config" -t "$theme" -b "$background" -e png -i "$charts" -o "$dir/charts.md"
		echo "$dir"
		for picture in "$dir"/*.png; do
			same=$out/mermaid-cli-$version/$first-$theme/$(basename "$picture")
			if ! cmp -s "$picture" "$same"; then
				echo "$0: $picture differs from $same: the chart depends on the time zone" >&2
				status=1
			fi
		done
	done
done
exit "$status"
