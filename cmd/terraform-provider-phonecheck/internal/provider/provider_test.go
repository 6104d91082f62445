package provider

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

const terraformPath = "/usr/local/bin/terraform"

var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"phonecheck": providerserver.NewProtocol6WithError(New("test")()),
}

// acc sets up the environment terraform-plugin-testing needs to run the real
// Terraform CLI with this provider in process, with no downloads.
func acc(t *testing.T) {
	t.Helper()
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		path = terraformPath
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the Terraform CLI is needed at %s (or TF_ACC_TERRAFORM_PATH): %v; install it with 'go install github.com/hashicorp/terraform@v1.11.4'", path, err)
	}
	t.Setenv("TF_ACC", "1")
	t.Setenv("TF_ACC_TERRAFORM_PATH", path)
	t.Setenv("CHECKPOINT_DISABLE", "1")
	// The CLI config of the machine (dev_overrides, mirrors) must not matter.
	cfg := t.TempDir() + "/terraformrc"
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_CLI_CONFIG_FILE", cfg)
	for _, v := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_TLS", "TEMPORAL_TLS_CLIENT_CERT_PATH",
		"TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_SERVER_NAME", "PHONECHECK_REGION", "PHONECHECK_OUT"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

var terraform18 = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}

// re matches an error text across Terraform's line wrapping: a space in
// the pattern matches any white space.
func re(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(pattern, " ", `\s+`))
}

func str(s string) knownvalue.Check { return knownvalue.StringExact(s) }

func TestProviderConfigErrors(t *testing.T) {
	acc(t)
	ds := `data "phonecheck_numbers" "x" { numbers = ["+41446681800"] }`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{Config: `provider "phonecheck" { region = "XX" }` + "\n" + ds, ExpectError: re(`Invalid region.*unknown region "XX"`)},
			{Config: `provider "phonecheck" { temporal_address = "localhost" }` + "\n" + ds, ExpectError: re(`Invalid Temporal address.*host:port`)},
			{Config: `provider "phonecheck" { tls_cert_file = "/tmp/c.pem" }` + "\n" + ds, ExpectError: re(`tls_key_file`)},
			{Config: `data "phonecheck_numbers" "x" {
  numbers = ["1"]
  region  = "Mars"
}`, ExpectError: re(`Invalid region.*unknown region "MARS"`)},
		},
	})
}

func TestProviderRegionFromEnvironment(t *testing.T) {
	acc(t)
	t.Setenv("PHONECHECK_REGION", "ch")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: `data "phonecheck_numbers" "x" { numbers = ["044 668 18 00"] }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.phonecheck_numbers.x", tfjsonpath.New("valid_numbers"), knownvalue.ListExact([]knownvalue.Check{str("+41446681800")})),
				},
			},
		},
	})
}
