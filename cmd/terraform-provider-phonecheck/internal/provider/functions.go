package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/phonecheck/phonecheck/phone"
)

var (
	_ function.Function = (*e164Function)(nil)
	_ function.Function = (*isValidFunction)(nil)
	_ function.Function = (*parseFunction)(nil)
)

var funcParams = []function.Parameter{
	function.StringParameter{
		Name:        "number",
		Description: "The phone number as written, such as \"044 668 18 00\" or \"+41 44 668 18 00\".",
	},
	function.StringParameter{
		Name: "region",
		Description: "Default region (ISO 3166-1 alpha-2, such as CH) for a number written without a leading +. " +
			"Give \"\" when the number starts with +.",
	},
}

// checkArgs reads (number, region) and checks one number.
func checkArgs(ctx context.Context, req function.RunRequest) (phone.Result, *function.FuncError) {
	var number, region string
	if err := req.Arguments.Get(ctx, &number, &region); err != nil {
		return phone.Result{}, err
	}
	norm, rerr := phone.NormalizeRegion(region)
	if rerr != nil {
		return phone.Result{}, function.NewArgumentFuncError(1, fmt.Sprintf("%v, or \"\" for a number written with a leading +", rerr))
	}
	return phone.Check(phone.CleanLine(number), 1, norm), nil
}

type e164Function struct{}

func newE164Function() function.Function { return e164Function{} }

func (e164Function) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "e164"
}

func (e164Function) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Formats a phone number in E.164",
		Description: "Returns the number in E.164 form (such as +41446681800), read against region when it has no leading +. " +
			"The number need not be valid, only parseable: use is_valid or parse for the verdict. An unparseable number is an error.",
		Parameters: funcParams,
		Return:     function.StringReturn{},
	}
}

func (e164Function) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	r, ferr := checkArgs(ctx, req)
	if ferr != nil {
		resp.Error = ferr
		return
	}
	if r.CountryCode == "" {
		hint := ""
		if r.Reason == "INVALID_COUNTRY_CODE" {
			hint = " Give a region for numbers written without a leading +, or write the number with its country code."
		}
		resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf("number %q cannot be parsed as a phone number (%s), so it has no E.164 form.%s Use is_valid or parse to test numbers that may not parse.", r.Input, r.Reason, hint))
		return
	}
	resp.Error = resp.Result.Set(ctx, r.Number)
}

type isValidFunction struct{}

func newIsValidFunction() function.Function { return isValidFunction{} }

func (isValidFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "is_valid"
}

func (isValidFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary:     "Reports whether a phone number is valid",
		Description: "Returns true when libphonenumber considers the number valid, read against region when it has no leading +. Unparseable input is false, never an error.",
		Parameters:  funcParams,
		Return:      function.BoolReturn{},
	}
}

func (isValidFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	r, ferr := checkArgs(ctx, req)
	if ferr != nil {
		resp.Error = ferr
		return
	}
	resp.Error = resp.Result.Set(ctx, r.IsValid())
}

type parseFunction struct{}

func newParseFunction() function.Function { return parseFunction{} }

func (parseFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "parse"
}

func (parseFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Parses and validates a phone number",
		Description: "Returns an object with the number's result row: number, phone_check, valid, reason, type, country_code, region, " +
			"international, national, carrier, location and time_zones (a list). Unparseable input gives phone_check \"invalid\" with its reason, never an error.",
		Parameters: funcParams,
		Return:     function.ObjectReturn{AttributeTypes: parseAttrTypes},
	}
}

func (parseFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	r, ferr := checkArgs(ctx, req)
	if ferr != nil {
		resp.Error = ferr
		return
	}
	vals := rowValues(&r, nil)
	delete(vals, "input")
	delete(vals, "line")
	obj, diags := types.ObjectValue(parseAttrTypes, vals)
	if diags.HasError() {
		resp.Error = function.FuncErrorFromDiags(ctx, diags)
		return
	}
	resp.Error = resp.Result.Set(ctx, obj)
}
