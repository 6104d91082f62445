#!/bin/sh
# Registers the namespace phonecheck uses and its search attribute
# PhonecheckStage (workflows set it; 'phonecheck list' filters by it).
set -eu
: "${TEMPORAL_ADDRESS:?}"
ns="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do sleep 1; done
temporal operator namespace describe --namespace "$ns" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention 7d --address "$TEMPORAL_ADDRESS"
if ! temporal operator search-attribute list --namespace "$ns" --address "$TEMPORAL_ADDRESS" | grep -q PhonecheckStage; then
  temporal operator search-attribute create --namespace "$ns" --name PhonecheckStage --type Keyword --address "$TEMPORAL_ADDRESS"
fi
echo "namespace $ns ready"
