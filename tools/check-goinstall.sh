#!/usr/bin/env bash
# Checks that the provider installs from the Go module proxy as users do:
#   go install github.com/phonecheck/phonecheck/cmd/terraform-provider-phonecheck@VERSION
# It packs the committed tree (HEAD, or the commit given) as the proxy would serve it (a module zip, with
# the proxy's rules on file names, sizes and nested modules), serves it from
# a file:// proxy in front of the real one for the dependencies, installs
# from it outside any module, and checks the binary names its version.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mod=github.com/phonecheck/phonecheck
ref=${1:-HEAD} # the commit to pack
# A version of its own per run: the module cache keeps what it fetched.
version=v0.0.0-check.$(date +%s).$(git rev-parse --short=12 "$ref")
work=$(mktemp -d)
cache=$(go env GOMODCACHE)
cleanup() {
	chmod -R u+w "$work" "$cache/$mod@$version" 2>/dev/null || true
	rm -rf "$work" "$cache/$mod@$version" "$cache/cache/download/$mod/@v/$version".* "$cache/cache/download/$mod/@v/list"
}
trap cleanup EXIT

mkdir "$work/tree"
git archive "$ref" | tar -x -C "$work/tree"
mkdir -p "$work/pack" "$work/proxy/$mod/@v"
cat >"$work/pack/go.mod" <<MOD
module pack
go 1.26
require golang.org/x/mod v0.32.0
MOD
cat >"$work/pack/main.go" <<'GO'
// Command pack writes the module zip the proxy would serve for a directory.
package main

import (
	"log"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	f, err := os.Create(os.Args[4])
	if err != nil {
		log.Fatal(err)
	}
	if err := zip.CreateFromDir(f, module.Version{Path: os.Args[1], Version: os.Args[2]}, os.Args[3]); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
GO
(cd "$work/pack" && go mod tidy >/dev/null 2>&1 && go run . "$mod" "$version" "$work/tree" "$work/proxy/$mod/@v/$version.zip")
cp "$work/tree/go.mod" "$work/proxy/$mod/@v/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/proxy/$mod/@v/$version.info"
echo "$version" >"$work/proxy/$mod/@v/list"
echo "module zip: $(du -k "$work/proxy/$mod/@v/$version.zip" | cut -f1) KiB"

upstream=$(go env GOPROXY)
(cd "$work" && GOPROXY="file://$work/proxy,$upstream" GONOSUMDB="$mod" GOFLAGS= GOWORK=off GOBIN="$work/bin" \
	go install "$mod/cmd/terraform-provider-phonecheck@$version")
go version -m "$work/bin/terraform-provider-phonecheck" | grep -q "mod[[:space:]]*$mod[[:space:]]*$version" || {
	echo "check-goinstall: the installed binary does not record $mod $version" >&2
	go version -m "$work/bin/terraform-provider-phonecheck" >&2
	exit 1
}
echo "go install $mod/cmd/terraform-provider-phonecheck@$version: ok"
