#!/usr/bin/env bash
# Regenerates docs/ with tfplugindocs and validates it as the Terraform
# Registry would, offline: the provider schema comes from the local
# Terraform CLI through dev_overrides, so nothing is downloaded and no
# registry is asked. Other pages live in doc/, which tfplugindocs ignores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/cfg"
go build -o "$work/bin/terraform-provider-phonecheck" ./cmd/terraform-provider-phonecheck
printf 'provider_installation {\n  dev_overrides { "phonecheck/phonecheck" = "%s" }\n  direct {}\n}\n' "$work/bin" >"$work/rc"
printf 'terraform {\n  required_providers {\n    phonecheck = { source = "phonecheck/phonecheck" }\n  }\n}\n' >"$work/cfg/main.tf"
(cd "$work/cfg" && TF_CLI_CONFIG_FILE="$work/rc" terraform providers schema -json) >"$work/schema.json"
# tfplugindocs looks the provider up under the hashicorp namespace.
sed 's#registry.terraform.io/phonecheck/phonecheck#registry.terraform.io/hashicorp/phonecheck#' "$work/schema.json" >"$work/schema-hc.json"
tfplugindocs="$(go env GOPATH)/bin/tfplugindocs"
test -x "$tfplugindocs" || go install github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.24.0
"$tfplugindocs" generate --provider-name phonecheck --providers-schema "$work/schema-hc.json"
"$tfplugindocs" validate --provider-name phonecheck --providers-schema "$work/schema-hc.json"
