package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

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
