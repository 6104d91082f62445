// Package provider is the phonecheck Terraform provider: offline validation
// functions, the phonecheck_numbers data source (no network) and the
// phonecheck_task data source, which reads a file's workflow from Temporal.
package provider

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/temporalx"
)

// Address is the provider's registry address.
const Address = "registry.terraform.io/phonecheck/phonecheck"

var (
	_ provider.Provider              = (*phonecheckProvider)(nil)
	_ provider.ProviderWithFunctions = (*phonecheckProvider)(nil)
)

type phonecheckProvider struct{ version string }

// New returns the provider factory for a build version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &phonecheckProvider{version: version} }
}

type providerModel struct {
	TemporalAddress types.String `tfsdk:"temporal_address"`
	Namespace       types.String `tfsdk:"namespace"`
	TemporalAPIKey  types.String `tfsdk:"temporal_api_key"`
	TLS             types.Bool   `tfsdk:"tls"`
	TLSCertFile     types.String `tfsdk:"tls_cert_file"`
	TLSKeyFile      types.String `tfsdk:"tls_key_file"`
	TLSCAFile       types.String `tfsdk:"tls_ca_file"`
	TLSServerName   types.String `tfsdk:"tls_server_name"`
	Region          types.String `tfsdk:"region"`
	OutputDir       types.String `tfsdk:"output_dir"`
}

// providerData is what data sources receive. The Temporal client is dialed
// on first use, so configurations that never read a task never need Temporal.
type providerData struct {
	opts      temporalx.ClientOptions // already filled from the environment
	region    string
	outputDir string

	mu     sync.Mutex
	client client.Client
}

func (d *providerData) temporal() (client.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client != nil {
		return d.client, nil
	}
	c, err := temporalx.Dial(d.opts)
	if err != nil {
		return nil, err
	}
	d.client = c
	return c, nil
}

func (p *phonecheckProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "phonecheck"
	resp.Version = p.version
}

func (p *phonecheckProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	resp.Schema = schema.Schema{
		Description: "Validates phone numbers offline with libphonenumber's exact answers, and reads the results of phonecheck's " +
			"durable file pipeline from Temporal. Every setting is optional: an empty provider block is enough for the " +
			"functions and the phonecheck_numbers data source, and Temporal is dialed only when a phonecheck_task data source is read.",
		Attributes: map[string]schema.Attribute{
			"temporal_address": schema.StringAttribute{
				Optional:    true,
				Description: "host:port of the Temporal frontend that runs the phonecheck workflows. Falls back to TEMPORAL_ADDRESS, then 127.0.0.1:7233 (the embedded server of `phonecheck up`).",
				Validators:  []validator.String{hostPortValidator{}},
			},
			"namespace": schema.StringAttribute{
				Optional:    true,
				Description: "Temporal namespace. Falls back to TEMPORAL_NAMESPACE, then \"default\".",
				Validators:  []validator.String{stringvalidator.LengthBetween(1, 255)},
			},
			"temporal_api_key": schema.StringAttribute{
				Optional:    true,
				Sensitive:   true,
				Description: "API key for Temporal Cloud, sent as a bearer token (implies TLS). Falls back to TEMPORAL_API_KEY.",
				Validators:  nonEmpty,
			},
			"tls": schema.BoolAttribute{
				Optional:    true,
				Description: "Connect to Temporal over TLS. Falls back to TEMPORAL_TLS; implied by temporal_api_key, tls_cert_file and tls_ca_file.",
			},
			"tls_cert_file": schema.StringAttribute{
				Optional:    true,
				Description: "Path of a PEM client certificate for mutual TLS; needs tls_key_file. Falls back to TEMPORAL_TLS_CLIENT_CERT_PATH.",
				Validators:  append([]validator.String{stringvalidator.AlsoRequires(path.MatchRoot("tls_key_file"))}, nonEmpty...),
			},
			"tls_key_file": schema.StringAttribute{
				Optional:    true,
				Description: "Path of the PEM private key of tls_cert_file. Falls back to TEMPORAL_TLS_CLIENT_KEY_PATH.",
				Validators:  append([]validator.String{stringvalidator.AlsoRequires(path.MatchRoot("tls_cert_file"))}, nonEmpty...),
			},
			"tls_ca_file": schema.StringAttribute{
				Optional:    true,
				Description: "Path of PEM CA certificates that sign the server's certificate (default: the system roots). Falls back to TEMPORAL_TLS_SERVER_CA_CERT_PATH.",
				Validators:  nonEmpty,
			},
			"tls_server_name": schema.StringAttribute{
				Optional:    true,
				Description: "Server name to verify in the server's certificate, when it differs from the address's host. Falls back to TEMPORAL_TLS_SERVER_NAME.",
				Validators:  nonEmpty,
			},
			"region": schema.StringAttribute{
				Optional: true,
				Description: "Default region (ISO 3166-1 alpha-2, such as CH or US) for numbers written without a leading + in phonecheck_numbers. " +
					"Falls back to PHONECHECK_REGION. Without one, such numbers are invalid with reason INVALID_COUNTRY_CODE.",
				Validators: []validator.String{regionValidator{}},
			},
			"output_dir": schema.StringAttribute{
				Optional: true,
				Description: "Where this machine sees the workers' results directory (their --out), when it is mounted at another path. " +
					"A task's output file that does not exist at the recorded path is looked up under this directory. Falls back to PHONECHECK_OUT.",
				Validators: nonEmpty,
			},
		},
	}
}

func (p *phonecheckProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"temporal_address": m.TemporalAddress, "namespace": m.Namespace, "temporal_api_key": m.TemporalAPIKey,
		"tls_cert_file": m.TLSCertFile, "tls_key_file": m.TLSKeyFile, "tls_ca_file": m.TLSCAFile, "tls_server_name": m.TLSServerName,
		"region": m.Region, "output_dir": m.OutputDir} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Provider setting not known yet",
				fmt.Sprintf("%s depends on a value that is known only after apply. Set it from a variable or a literal, or apply the resources it depends on first (terraform apply -target=...).", name))
		}
	}
	if m.TLS.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("tls"), "Provider setting not known yet", "tls depends on a value known only after apply; set it from a variable or a literal.")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	data := &providerData{
		opts: temporalx.ClientOptions{
			Address: m.TemporalAddress.ValueString(), Namespace: m.Namespace.ValueString(), APIKey: m.TemporalAPIKey.ValueString(),
			TLS: m.TLS.ValueBool(), TLSCertFile: m.TLSCertFile.ValueString(), TLSKeyFile: m.TLSKeyFile.ValueString(),
			TLSCAFile: m.TLSCAFile.ValueString(), TLSServerName: m.TLSServerName.ValueString(),
		}.FromEnv(),
		outputDir: m.OutputDir.ValueString(),
	}
	if data.outputDir == "" {
		data.outputDir = os.Getenv("PHONECHECK_OUT")
	}
	region, source := m.Region.ValueString(), "region"
	if region == "" {
		region, source = os.Getenv("PHONECHECK_REGION"), "the PHONECHECK_REGION environment variable"
	}
	norm, err := phone.NormalizeRegion(region)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("region"), "Invalid default region", fmt.Sprintf("%s: %v.", source, err))
		return
	}
	data.region = norm
	if _, err := data.opts.TLSConfig(); err != nil {
		resp.Diagnostics.AddError("Invalid Temporal TLS settings", err.Error()+". Check tls_cert_file, tls_key_file and tls_ca_file (or the TEMPORAL_TLS_* environment variables).")
		return
	}
	resp.DataSourceData = data
	resp.ResourceData = data
}

func (p *phonecheckProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newNumbersDataSource, newTaskDataSource}
}

func (p *phonecheckProvider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *phonecheckProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{newE164Function, newIsValidFunction, newParseFunction}
}

// configured extracts the provider data in a data source's Configure.
func configured(data any, diags interface {
	AddError(string, string)
}) *providerData {
	if data == nil {
		return nil
	}
	d, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider, please report it", data))
	}
	return d
}
