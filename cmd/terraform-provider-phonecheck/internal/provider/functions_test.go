package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

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
