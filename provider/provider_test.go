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

func TestFunctions(t *testing.T) {
	acc(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		TerraformVersionChecks:   terraform18,
		Steps: []resource.TestStep{{
			Config: `
provider "phonecheck" {}
output "e164" { value = provider::phonecheck::e164("044 668 18 00", "ch") }
output "e164_plus" { value = provider::phonecheck::e164("+1 650-253-0000", "") }
output "valid" { value = provider::phonecheck::is_valid("+41 44 668 18 00", "") }
output "invalid" { value = provider::phonecheck::is_valid("12", "CH") }
output "garbage" { value = provider::phonecheck::is_valid("hello", "") }
output "parsed" { value = provider::phonecheck::parse("044 668 18 00", "CH") }
output "bad" { value = provider::phonecheck::parse("nope", "") }
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("e164", str("+41446681800")),
				statecheck.ExpectKnownOutputValue("e164_plus", str("+16502530000")),
				statecheck.ExpectKnownOutputValue("valid", knownvalue.Bool(true)),
				statecheck.ExpectKnownOutputValue("invalid", knownvalue.Bool(false)),
				statecheck.ExpectKnownOutputValue("garbage", knownvalue.Bool(false)),
				statecheck.ExpectKnownOutputValue("parsed", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"number": str("+41446681800"), "phone_check": str("valid"), "valid": knownvalue.Bool(true), "reason": str("VALID"),
					"type": str("fixed_line"), "country_code": str("41"), "region": str("CH"), "international": str("+41 44 668 18 00"),
					"national": str("044 668 18 00"), "carrier": str(""), "location": str("Zurich"),
					"time_zones": knownvalue.ListExact([]knownvalue.Check{str("Europe/Zurich")}),
				})),
				statecheck.ExpectKnownOutputValueAtPath("bad", tfjsonpath.New("phone_check"), str("invalid")),
				statecheck.ExpectKnownOutputValueAtPath("bad", tfjsonpath.New("reason"), str("NOT_A_NUMBER")),
				statecheck.ExpectKnownOutputValueAtPath("bad", tfjsonpath.New("time_zones"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
}

func TestFunctionErrors(t *testing.T) {
	acc(t)
	step := func(expr string, want string) resource.TestStep {
		return resource.TestStep{
			Config:      `output "x" { value = ` + expr + ` }`,
			ExpectError: re(want),
		}
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		TerraformVersionChecks:   terraform18,
		Steps: []resource.TestStep{
			step(`provider::phonecheck::e164("044 668 18 00", "ZZ")`, `region.*unknown region "ZZ".*ISO 3166-1`),
			step(`provider::phonecheck::is_valid("044 668 18 00", "Switzerland")`, `region.*unknown region`),
			step(`provider::phonecheck::parse("1", "XX")`, `region.*unknown region "XX"`),
			step(`provider::phonecheck::e164("not a number", "CH")`, `cannot be parsed.*NOT_A_NUMBER`),
			step(`provider::phonecheck::e164("044 668 18 00", "")`, `cannot be parsed.*INVALID_COUNTRY_CODE.*Give a region`),
		},
	})
}

func TestNumbersDataSource(t *testing.T) {
	acc(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: `
provider "phonecheck" { region = "CH" }
data "phonecheck_numbers" "ch" {
  numbers = ["044 668 18 00", "+41 44 668 18 00", "", "12", "+1 650-253-0000", "079 123 45 67"]
}
data "phonecheck_numbers" "none" {
  numbers = ["044 668 18 00"]
  region  = ""
}
data "phonecheck_numbers" "us" {
  numbers = ["650-253-0000"]
  region  = "us"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results"), knownvalue.ListSizeExact(6)),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results").AtSliceIndex(0).AtMapKey("number"), str("+41446681800")),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results").AtSliceIndex(0).AtMapKey("line"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results").AtSliceIndex(2).AtMapKey("reason"), str("NOT_A_NUMBER")),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results").AtSliceIndex(2).AtMapKey("valid"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results").AtSliceIndex(3).AtMapKey("phone_check"), str("invalid")),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("results").AtSliceIndex(5).AtMapKey("type"), str("mobile")),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.ch", tfjsonpath.New("valid_numbers"),
					knownvalue.ListExact([]knownvalue.Check{str("+41446681800"), str("+16502530000"), str("+41791234567")})),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.none", tfjsonpath.New("results").AtSliceIndex(0).AtMapKey("reason"), str("INVALID_COUNTRY_CODE")),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.none", tfjsonpath.New("valid_numbers"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue("data.phonecheck_numbers.us", tfjsonpath.New("valid_numbers"), knownvalue.ListExact([]knownvalue.Check{str("+16502530000")})),
			},
		}},
	})
}

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
