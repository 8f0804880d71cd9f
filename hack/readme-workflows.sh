#!/bin/sh
# Writes each YAML example of README.md that uses the action into its own
# workflow file in DIR, so that actionlint checks the examples users copy:
#
#   hack/readme-workflows.sh README.md .testbin/readme-workflows
#
# `uses: knative-preview/action@...` becomes `uses: ./`, so actionlint reads
# this checkout's action.yml and checks the example's inputs and outputs
# against it. A block of steps (indented list items) is put in a job, and a
# block without `on:` gets `on: pull_request`.
set -eu
if [ "$#" -ne 2 ]; then
	echo "usage: $0 README DIR" >&2
	exit 2
fi
readme=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
awk -v dir="$dir" '
	function flush(   file, header) {
		if (block !~ /uses: knative-preview\/action@/) return
		n++
		file = sprintf("%s/readme-example-%02d.yml", dir, n)
		gsub(/uses: knative-preview\/action@[^ \n]*/, "uses: ./", block)
		header = "# README.md example " n " (line " start ")\n"
		if (block !~ /(^|\n)on:/) header = header "on: pull_request\n"
		if (block ~ /^ +- /) header = header "jobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n"
		printf "%s%s", header, block > file
		close(file)
	}
	/^```yaml[[:space:]]*$/ { inblock = 1; block = ""; start = NR + 1; next }
	inblock && /^```[[:space:]]*$/ { inblock = 0; flush(); next }
	inblock { block = block $0 "\n" }
	END {
		if (n == 0) { print "no README example uses knative-preview/action" > "/dev/stderr"; exit 1 }
	}
' "$readme"
