terraform {
  required_providers {
    phonecheck = { source = "phonecheck/phonecheck" }
  }
}

# Every setting is optional and falls back to the environment
# (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
# PHONECHECK_REGION, PHONECHECK_OUT). Temporal is dialed only when a
# phonecheck_task data source is read.
provider "phonecheck" {
  temporal_address = "127.0.0.1:7233"
  namespace        = "default"
  region           = "CH"
}
