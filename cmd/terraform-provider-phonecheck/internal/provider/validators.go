package provider

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/phonecheck/phonecheck/phone"
)

// regionValidator accepts "" and the regions libphonenumber supports.
type regionValidator struct{}

func (regionValidator) Description(context.Context) string {
	return "value must be empty or an ISO 3166-1 alpha-2 region that libphonenumber supports, such as CH, US or GB"
}
func (v regionValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (regionValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := phone.NormalizeRegion(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid region", err.Error()+".")
	}
}

// hostPortValidator accepts host:port with a numeric port.
type hostPortValidator struct{}

func (hostPortValidator) Description(context.Context) string {
	return "value must be host:port, such as 127.0.0.1:7233 or my-ns.tmprl.cloud:7233"
}
func (v hostPortValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (hostPortValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 1 || n > 65535 {
			err = fmt.Errorf("port %q is not a number from 1 to 65535", port)
		} else if host == "" {
			err = fmt.Errorf("no host")
		}
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Temporal address",
			fmt.Sprintf("%q: %v. Give host:port, such as 127.0.0.1:7233.", s, err))
	}
}
