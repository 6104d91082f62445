#!/usr/bin/env bash
# install.sh: what the compose layout's images hold, built from source so
# that the layout runs without Docker (make test-cluster):
#
#   temporal-server, temporal-sql-tool   go.temporal.io/server at the version and with the
#                                        dependencies in go.mod
#   schema/                              the admin-tools image's schema files, from that module
#                                        (the server embeds the image's config template)
#   temporal                             the official CLI (admin-tools has it too)
#   minio                                an S3 server for the store and the outputs
#   PostgreSQL                           from Debian (apt-get) when initdb is missing
#
# Each is built once per version into $PHONECHECK_CLUSTER_CACHE (default
# ~/.cache/phonecheck-cluster/<name>-<version>) and reused after. Prints
# the directories as KEY=VALUE lines for the cluster test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cli_version=v1.5.1
# MinIO tags are not semantic versions: the module proxy serves a release as
# the pseudo-version of its commit (this is RELEASE.2025-09-07T16-13-09Z).
minio_version=v0.0.0-20250907161309-07c3a429bfed

server_version=$(go list -m -f '{{.Version}}' go.temporal.io/server)
cache=${PHONECHECK_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phonecheck-cluster}
export GOFLAGS=-buildvcs=false

log() { echo "cluster install: $*" >&2; }

# build DIR PKG@VERSION NAME: go install into DIR/bin (a module of its own
# outside this repository, with the versions its go.mod pins) under NAME.
build() {
	local dir=$1 pkg=$2 name=$3
	if [ -x "$dir/bin/$name" ] && [ -f "$dir/.complete" ]; then
		return
	fi
	log "building $pkg (once; cached in $dir)"
	local start=$SECONDS tmp
	tmp=$(mktemp -d)
	GOBIN="$tmp" nice -n 10 go install "$pkg"
	mkdir -p "$dir/bin"
	mv "$tmp/$(basename "${pkg%@*}")" "$dir/bin/$name"
	rmdir "$tmp"
	log "built $name in $((SECONDS - start)) s"
}

# The server and its schema tool build inside this module, against a copy of
# its go.mod that adds only their command-line libraries: the versions are
# the ones phonecheck embeds, and the packages are already in the build cache
# from building phonecheck (seconds instead of minutes as a module of their own).
# The cache key carries go.mod's hash, since go.mod now picks the versions.
server_dir=$cache/temporal-server-$server_version-$(sha256sum go.mod | cut -c1-12)
if [ ! -f "$server_dir/.complete" ]; then
	rm -rf "$server_dir"
	log "building temporal-server and temporal-sql-tool (once; cached in $server_dir)"
	start=$SECONDS
	modtmp=$(mktemp -d)
	cp go.mod go.sum "$modtmp/"
	go get -modfile="$modtmp/go.mod" "go.temporal.io/server/cmd/server@$server_version" \
		"go.temporal.io/server/cmd/tools/sql@$server_version"
	mkdir -p "$server_dir/bin"
	nice -n 10 go build -modfile="$modtmp/go.mod" -o "$server_dir/bin/temporal-server" go.temporal.io/server/cmd/server
	nice -n 10 go build -modfile="$modtmp/go.mod" -o "$server_dir/bin/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql
	rm -rf "$modtmp"
	log "built temporal-server and temporal-sql-tool in $((SECONDS - start)) s"
	# The schema files, as admin-tools has them under /etc/temporal/schema.
	mod=$(go mod download -json "go.temporal.io/server@$server_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	mkdir -p "$server_dir/etc"
	cp -r "$mod/schema" "$server_dir/etc/schema"
	chmod -R u+w "$server_dir/etc"
	touch "$server_dir/.complete"
fi

cli_dir=$cache/temporal-cli-$cli_version
build "$cli_dir" "github.com/temporalio/cli/cmd/temporal@$cli_version" temporal
touch "$cli_dir/.complete"

if [ "${CLUSTER_MINIO:-1}" = 1 ]; then
	minio_dir=$cache/minio-$minio_version
	build "$minio_dir" "github.com/minio/minio@$minio_version" minio
	touch "$minio_dir/.complete"
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		log "PostgreSQL is missing: apt-get install postgresql (as root)"
		exit 1
	fi
	log "installing PostgreSQL from Debian"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || command -v initdb)")

echo "TEMPORAL_SERVER_DIR=$server_dir"
echo "TEMPORAL_CLI_DIR=$cli_dir"
[ -n "${minio_dir:-}" ] && echo "MINIO_DIR=$minio_dir"
echo "PG_BIN=$pg_bin"
