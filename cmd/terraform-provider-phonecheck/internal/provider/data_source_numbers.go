package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/phonecheck/phonecheck/phone"
)

var (
	_ datasource.DataSource              = (*numbersDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*numbersDataSource)(nil)
)

type numbersDataSource struct{ data *providerData }

func newNumbersDataSource() datasource.DataSource { return &numbersDataSource{} }

type numbersModel struct {
	Numbers      types.List   `tfsdk:"numbers"`
	Region       types.String `tfsdk:"region"`
	Results      types.List   `tfsdk:"results"`
	ValidNumbers types.List   `tfsdk:"valid_numbers"`
}

func (d *numbersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_numbers"
}

// rowAttributes is the nested schema of a result row (numbers of
// phonecheck_task, results of phonecheck_numbers).
func rowAttributes() map[string]schema.Attribute {
	m := map[string]schema.Attribute{}
	for name, t := range rowAttrTypes {
		d := rowDescriptions[name]
		switch t {
		case types.BoolType:
			m[name] = schema.BoolAttribute{Computed: true, Description: d}
		case types.Int64Type:
			m[name] = schema.Int64Attribute{Computed: true, Description: d}
		case types.StringType:
			m[name] = schema.StringAttribute{Computed: true, Description: d}
		default:
			m[name] = schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: d}
		}
	}
	return m
}

// taskRowAttributes is the nested schema of a task's row.
func taskRowAttributes() map[string]schema.Attribute {
	m := rowAttributes()
	m["columns"] = schema.MapAttribute{Computed: true, ElementType: types.StringType, Description: columnsDescription}
	return m
}

func (d *numbersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Validates a list of phone numbers offline with the phonecheck engine (libphonenumber's exact answers). " +
			"Pure computation: no network, no Temporal, no charge. One result per input, in input order.",
		Attributes: map[string]schema.Attribute{
			"numbers": schema.ListAttribute{
				Required:    true,
				ElementType: types.StringType,
				Description: "The phone numbers to check, as written. A blank entry gives an invalid NOT_A_NUMBER result.",
				Validators: []validator.List{
					listvalidator.NoNullValues(),
					listvalidator.SizeAtMost(1_000_000),
					listvalidator.ValueStringsAre(stringvalidator.LengthAtMost(65536)),
				},
			},
			"region": schema.StringAttribute{
				Optional: true,
				Description: "Default region (ISO 3166-1 alpha-2, such as CH) for numbers written without a leading +. " +
					"Defaults to the provider's region (or PHONECHECK_REGION); set \"\" explicitly for none.",
				Validators: []validator.String{regionValidator{}},
			},
			"results": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "One result row per entry of numbers, in the same order.",
				NestedObject: schema.NestedAttributeObject{Attributes: rowAttributes()},
			},
			"valid_numbers": schema.ListAttribute{
				Computed:    true,
				ElementType: types.StringType,
				Description: "The distinct E.164 forms of the valid results, in first-seen order.",
			},
		},
	}
}

func (d *numbersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configured(req.ProviderData, &resp.Diagnostics)
}

func (d *numbersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m numbersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var numbers []string
	resp.Diagnostics.Append(m.Numbers.ElementsAs(ctx, &numbers, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region := ""
	if !m.Region.IsNull() {
		region, _ = phone.NormalizeRegion(m.Region.ValueString()) // validated
	} else if d.data != nil {
		region = d.data.region
	}
	checker := phone.NewChecker(region, 4096)
	c := newCollector(len(numbers))
	for i, n := range numbers {
		r := checker.Check(phone.CleanLine(n), i+1)
		c.add(&r)
	}
	m.Results, m.ValidNumbers = c.lists()
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
