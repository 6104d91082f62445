package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/workflows"
)

var (
	_ datasource.DataSource                     = (*taskDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*taskDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*taskDataSource)(nil)
)

const defaultReadTimeout = 20 * time.Minute

var numberTypes = []string{"mobile", "fixed_line", "fixed_line_or_mobile", "toll_free", "premium_rate", "shared_cost", "voip",
	"personal_number", "pager", "uan", "voicemail", "unknown", ""}

type taskDataSource struct{ data *providerData }

func newTaskDataSource() datasource.DataSource { return &taskDataSource{} }

type taskModel struct {
	WorkflowID types.String   `tfsdk:"workflow_id"`
	File       types.String   `tfsdk:"file"`
	Region     types.String   `tfsdk:"region"`
	Wait       types.Bool     `tfsdk:"wait"`
	OnlyValid  types.Bool     `tfsdk:"only_valid"`
	Types      types.Set      `tfsdk:"types"`
	Regions    types.Set      `tfsdk:"regions"`
	Timeouts   timeouts.Value `tfsdk:"timeouts"`

	Status       types.String `tfsdk:"status"`
	Stage        types.String `tfsdk:"stage"`
	RemoteStatus types.String `tfsdk:"remote_status"`
	TaskID       types.String `tfsdk:"task_id"`
	Error        types.String `tfsdk:"error"`
	Lines        types.Int64  `tfsdk:"lines"`
	Uploaded     types.Int64  `tfsdk:"uploaded"`
	Folded       types.Int64  `tfsdk:"folded"`
	SetAside     types.Int64  `tfsdk:"set_aside"`
	Total        types.Int64  `tfsdk:"total"`
	Success      types.Int64  `tfsdk:"success"`
	Failure      types.Int64  `tfsdk:"failure"`
	Polls        types.Int64  `tfsdk:"polls"`
	OutputDir    types.String `tfsdk:"output_dir"`
	Outputs      types.Map    `tfsdk:"outputs"`
	Summary      types.String `tfsdk:"summary"`
	RowCount     types.Int64  `tfsdk:"row_count"`
	ValidCount   types.Int64  `tfsdk:"valid_count"`
	InvalidCount types.Int64  `tfsdk:"invalid_count"`
	Numbers      types.List   `tfsdk:"numbers"`
	ValidNumbers types.List   `tfsdk:"valid_numbers"`
}

func (d *taskDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_task"
}

func (d *taskDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computedString := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc}
	}
	computedInt := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Reads the state and results of one file's phonecheck workflow from Temporal: its status and progress and, once it " +
			"has completed, the rows of its CSV output. It never starts a workflow or uploads anything: submit files with " +
			"`phonecheck submit` or a watched inbox. Give exactly one of workflow_id and file.",
		Attributes: map[string]schema.Attribute{
			"workflow_id": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Description: "The workflow id, phonecheck-<sha256 of the input file>-<digest of its options>, as `phonecheck list` shows it. Computed when file is given.",
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^phonecheck-[0-9a-f]{64}(-[0-9a-f]{12})?$`),
					"must be phonecheck- followed by the 64 lowercase hex digits of the input's sha256 (and, for files submitted with options, - and 12 more); to look a task up by its input, set file instead")},
			},
			"file": schema.StringAttribute{
				Optional:    true,
				Description: "Path of the input file as it was submitted (any copy with the same content): its sha256 and region name the workflow.",
				Validators:  []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"region": schema.StringAttribute{
				Optional: true,
				Description: "With file: the default region the file was submitted with (the same content with another region is another task). " +
					"Default: the provider's region.",
			},
			"wait": schema.BoolAttribute{
				Optional: true,
				Description: "Wait until the workflow finishes, up to timeouts.read (default 20m). Without it, an unfinished task " +
					"gives a warning with its stage and empty numbers.",
			},
			"only_valid": schema.BoolAttribute{
				Optional:    true,
				Description: "Keep only valid rows in numbers.",
			},
			"types": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Description: "Keep only rows of these types (" + strings.Join(numberTypes[:len(numberTypes)-1], ", ") + `, or "" for unparseable rows).`,
				Validators:  []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.OneOf(numberTypes...))},
			},
			"regions": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Description: `Keep only rows of these regions: upper-case ISO 3166-1 alpha-2 codes such as CH, 001 for non-geographic numbers, or "" for rows without a region.`,
				Validators: []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.RegexMatches(
					regexp.MustCompile(`^([A-Z]{2}|001)?$`), `must be an upper-case region code such as CH, 001, or ""`))},
			},
			"timeouts": timeouts.Attributes(ctx),

			"status":        computedString("Temporal's status of the workflow: running, completed, failed, canceled, terminated, continued_as_new or timed_out."),
			"stage":         computedString("The file's stage: preparing, uploading, polling, downloading, joining, exporting, archiving, done or failed; empty when no worker answers the progress query."),
			"remote_status": computedString("The remote task's last status (pending, processing, exported)."),
			"task_id":       computedString("The remote task's id."),
			"error":         computedString("Why the file failed, if it did."),
			"lines":         computedInt("Non-blank input lines."),
			"uploaded":      computedInt("Distinct numbers uploaded (and billed)."),
			"folded":        computedInt("Repeated numbers folded into one upload."),
			"set_aside":     computedInt("Lines that do not parse, answered locally."),
			"total":         computedInt("The remote task's total."),
			"success":       computedInt("The remote task's success counter."),
			"failure":       computedInt("The remote task's failure counter."),
			"polls":         computedInt("Charged status polls so far."),
			"output_dir":    computedString("Directory of the outputs (when completed)."),
			"outputs": schema.MapAttribute{
				Computed: true, ElementType: types.StringType,
				Description: "Output paths by format (csv, xlsx, jsonl), when completed.",
			},
			"summary":       computedString("Path of summary.json, when completed."),
			"row_count":     computedInt("Rows of the whole result (before the filters)."),
			"valid_count":   computedInt("Valid rows of the whole result."),
			"invalid_count": computedInt("Invalid rows of the whole result."),
			"numbers": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "The result rows that pass only_valid, types and regions, in input order; empty until the workflow completes.",
				NestedObject: schema.NestedAttributeObject{Attributes: taskRowAttributes()},
			},
			"valid_numbers": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				Description: "Distinct E.164 forms of the valid rows in numbers, in first-seen order.",
			},
		},
	}
}

func (d *taskDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("workflow_id"), path.MatchRoot("file"))}
}

func (d *taskDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configured(req.ProviderData, &resp.Diagnostics)
}

// Read is resolve (which workflow), await (its result, or its progress
// when it runs and wait is off) and load (the rows of its CSV output).
func (d *taskDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m taskModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.data == nil {
		resp.Diagnostics.AddError("Provider not configured", "The phonecheck provider was not configured; this is a bug, please report it.")
		return
	}
	timeout, diags := m.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := d.resolve(ctx, &m, &resp.Diagnostics)
	if t == nil {
		return
	}
	t.timeout = timeout
	empty(&m)
	res, finished := t.await(ctx, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !finished { // its progress, with a warning
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	d.load(ctx, t, res, &m, resp)
}

// task is the workflow a read is about, as resolve found it.
type task struct {
	c       client.Client
	id      string
	where   string // the namespace and address, for messages
	status  enumspb.WorkflowExecutionStatus
	timeout time.Duration // the read timeout
}

// resolve checks file and region, finds the workflow (by workflow_id, or
// by file and region) and describes it; it sets m.WorkflowID. It returns
// nil with the diagnostics on error.
func (d *taskDataSource) resolve(ctx context.Context, m *taskModel, diags *diag.Diagnostics) *task {
	id := m.WorkflowID.ValueString()
	if !m.File.IsNull() {
		if _, _, err := workflows.HashFile(m.File.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("file"), "Cannot read the input file",
				fmt.Sprintf("%v. file must be the input file as it was submitted (or a copy with the same content): its sha256 names the workflow. Use workflow_id if the file is gone.", err))
			return nil
		}
	}
	region := d.data.region
	if !m.Region.IsNull() {
		norm, err := phone.NormalizeRegion(m.Region.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("region"), "Invalid region", err.Error()+".")
			return nil
		}
		region = norm
	}
	c, err := d.data.temporal()
	if err != nil {
		diags.AddError("Cannot reach Temporal", err.Error()+". Set temporal_address (and namespace, TLS settings) in the provider block, or TEMPORAL_ADDRESS.")
		return nil
	}
	where := fmt.Sprintf("in namespace %s at %s", d.data.opts.Namespace, d.data.opts.Address)
	if !m.File.IsNull() {
		var none *workflows.NoWorkflowError
		if id, err = workflows.FindWorkflow(ctx, c, m.File.ValueString(), workflows.Options{Region: region}); errors.As(err, &none) {
			diags.AddError("No such phonecheck task",
				fmt.Sprintf("There is %s %s. This data source never starts one: submit the file first with 'phonecheck submit FILE' or drop it into a watched inbox, set region to the one it was submitted with, and check that the provider points at the cluster the workers use.", err, where))
			return nil
		} else if err != nil {
			diags.AddError("Cannot look the phonecheck task up", fmt.Sprintf("%v (%s)", err, where))
			return nil
		}
	}
	m.WorkflowID = types.StringValue(id)
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		diags.AddError("No such phonecheck task",
			fmt.Sprintf("There is no workflow %s %s. This data source never starts one: submit the file first with 'phonecheck submit FILE' or drop it into a watched inbox, and check that the provider points at the cluster the workers use.", id, where))
		return nil
	}
	if err != nil {
		diags.AddError("Cannot describe the phonecheck task", fmt.Sprintf("DescribeWorkflowExecution %s %s: %v", id, where, err))
		return nil
	}
	return &task{c: c, id: id, where: where, status: desc.GetWorkflowExecutionInfo().GetStatus()}
}

// await returns the workflow's result once it has closed. A running
// workflow without wait is not waited for: finished is false, m holds its
// progress and a warning says so. With wait it waits up to the read
// timeout (ctx's deadline).
func (t *task) await(ctx context.Context, m *taskModel, diags *diag.Diagnostics) (res workflows.Result, finished bool) {
	if t.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && !m.Wait.ValueBool() {
		m.Status = types.StringValue(workflows.StatusName(t.status))
		// A query needs a worker; without one it would wait out the read timeout.
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		p, qerr := workflows.GetProgress(qctx, t.c, t.id)
		qcancel()
		if qerr != nil {
			diags.AddWarning("phonecheck task not finished",
				fmt.Sprintf("Workflow %s is still running, and its progress is unavailable (%v): is a worker running? numbers stays empty until it completes; set wait = true to wait up to timeouts.read.", t.id, qerr))
		} else {
			setProgress(m, p)
			diags.AddWarning("phonecheck task not finished",
				fmt.Sprintf("Workflow %s is at stage %s (checked %d of %d, %d polls). numbers stays empty until it completes; run again later, or set wait = true to wait up to timeouts.read (now %s).",
					t.id, p.Stage, p.Success+p.Failure, p.Total, p.Polls, t.timeout))
		}
		return res, false
	}
	// Wait by describing the workflow every second until it closes: the
	// read timeout is then this context's own deadline. A long poll for the
	// result can end with its own deadline error first, which would read as
	// a failed workflow.
	for t.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			if desc, derr := t.c.DescribeWorkflowExecution(ctx, t.id, ""); derr == nil {
				t.status = desc.GetWorkflowExecutionInfo().GetStatus()
			}
		}
	}
	err := ctx.Err()
	if err == nil {
		err = t.c.GetWorkflow(ctx, t.id, "").Get(ctx, &res)
	}
	if err != nil && ctx.Err() != nil {
		stage := "unknown"
		qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
		if p, qerr := workflows.GetProgress(qctx, t.c, t.id); qerr == nil {
			stage = p.Stage
		}
		qcancel()
		diags.AddError("Timed out waiting for the phonecheck task",
			fmt.Sprintf("Workflow %s was still running at stage %s after %s. Raise timeouts.read (such as timeouts = { read = \"1h\" }), or remove wait to read its progress without waiting.", t.id, stage, t.timeout))
		return res, false
	}
	if desc, derr := t.c.DescribeWorkflowExecution(ctx, t.id, ""); derr == nil {
		t.status = desc.GetWorkflowExecutionInfo().GetStatus()
	}
	m.Status = types.StringValue(workflows.StatusName(t.status))
	if err != nil {
		diags.AddError("phonecheck task "+workflows.StatusName(t.status),
			fmt.Sprintf("Workflow %s ended without results: %v. The input was moved to the failed/ folder with a .reason file; fix the input and submit it again.", t.id, err))
		return res, false
	}
	return res, true
}

// load fills the state from a completed workflow's result: counts and
// paths, and the rows of its CSV output that pass the filters.
func (d *taskDataSource) load(ctx context.Context, t *task, res workflows.Result, m *taskModel, resp *datasource.ReadResponse) {
	setProgress(m, res.Progress)
	m.OutputDir = types.StringValue(res.OutputDir)
	m.Summary = types.StringValue(res.Summary)
	m.RowCount, m.ValidCount, m.InvalidCount = types.Int64Value(int64(res.Rows)), types.Int64Value(int64(res.Valid)), types.Int64Value(int64(res.Invalid))
	outputs, diags := types.MapValueFrom(ctx, types.StringType, res.Outputs)
	resp.Diagnostics.Append(diags...)
	m.Outputs = outputs
	csvPath, ok := res.Outputs["csv"]
	if !ok {
		resp.Diagnostics.AddError("phonecheck task has no CSV output",
			fmt.Sprintf("Workflow %s wrote only %v. This data source reads the CSV output: submit files with a csv format (the default, --formats csv,xlsx).", t.id, keys(res.Outputs)))
		return
	}
	f, err := d.openOutput(csvPath, res.OutputDir)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the task's CSV output",
			fmt.Sprintf("%v. The workers wrote it on their machine; if their results directory is mounted at another path here, set output_dir in the provider block (or PHONECHECK_OUT).", err))
		return
	}
	defer f.Close()
	flt, diags := newFilter(ctx, m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	col := newTFCollector(res.Rows)
	if err := readRows(f, f.Name(), func(r *phone.Result, cols map[string]string) {
		if flt.keep(r) {
			col.add(r, cols)
		}
	}); err != nil {
		resp.Diagnostics.AddError("Cannot read the task's CSV output", fmt.Sprintf("%v. The file may have been changed or truncated; restore it or submit the input again.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...) // with empty lists
	if resp.Diagnostics.HasError() {
		return
	}
	raw, err := col.patch(resp.State.Raw, "numbers", "valid_numbers")
	if err != nil {
		resp.Diagnostics.AddError("Cannot build the task's rows", err.Error()+"; this is a bug in the provider, please report it.")
		return
	}
	resp.State.Raw = raw
}

// openOutput opens an output at its recorded path or, failing that, at the
// same place relative to the provider's output_dir.
func (d *taskDataSource) openOutput(p, outputDir string) (*os.File, error) {
	f, err := os.Open(p)
	if err == nil || d.data.outputDir == "" {
		return f, err
	}
	alt := filepath.Join(d.data.outputDir, filepath.Base(outputDir), filepath.Base(p))
	f, err2 := os.Open(alt)
	if err2 != nil {
		return nil, fmt.Errorf("%v, nor at %s under output_dir", err, alt)
	}
	return f, nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func empty(m *taskModel) {
	for _, s := range []*types.String{&m.Status, &m.Stage, &m.RemoteStatus, &m.TaskID, &m.Error, &m.OutputDir, &m.Summary} {
		*s = types.StringValue("")
	}
	for _, n := range []*types.Int64{&m.Lines, &m.Uploaded, &m.Folded, &m.SetAside, &m.Total, &m.Success, &m.Failure, &m.Polls, &m.RowCount, &m.ValidCount, &m.InvalidCount} {
		*n = types.Int64Value(0)
	}
	m.Outputs = types.MapValueMust(types.StringType, map[string]attr.Value{})
	m.Numbers = types.ListValueMust(taskRowObjectType, []attr.Value{})
	m.ValidNumbers = types.ListValueMust(types.StringType, []attr.Value{})
}

func setProgress(m *taskModel, p workflows.Progress) {
	m.Stage, m.RemoteStatus, m.TaskID, m.Error = types.StringValue(p.Stage), types.StringValue(p.RemoteStatus), types.StringValue(p.TaskID), types.StringValue(p.Error)
	m.Lines, m.Uploaded, m.Folded, m.SetAside = types.Int64Value(int64(p.Lines)), types.Int64Value(int64(p.Uploaded)), types.Int64Value(int64(p.Folded)), types.Int64Value(int64(p.SetAside))
	m.Total, m.Success, m.Failure, m.Polls = types.Int64Value(int64(p.Total)), types.Int64Value(int64(p.Success)), types.Int64Value(int64(p.Failure)), types.Int64Value(int64(p.Polls))
}

type rowFilter struct {
	onlyValid bool
	types     map[string]bool
	regions   map[string]bool
}

func newFilter(ctx context.Context, m *taskModel) (rowFilter, diag.Diagnostics) {
	f := rowFilter{onlyValid: m.OnlyValid.ValueBool()}
	var diags diag.Diagnostics
	set := func(s types.Set) map[string]bool {
		if s.IsNull() || s.IsUnknown() {
			return nil
		}
		var vals []string
		diags.Append(s.ElementsAs(ctx, &vals, false)...)
		out := map[string]bool{}
		for _, v := range vals {
			out[v] = true
		}
		return out
	}
	f.types, f.regions = set(m.Types), set(m.Regions)
	return f, diags
}

func (f rowFilter) keep(r *phone.Result) bool {
	return (!f.onlyValid || r.IsValid()) && (f.types == nil || f.types[r.Type]) && (f.regions == nil || f.regions[r.Region])
}
