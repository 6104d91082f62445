package provider

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
				Description: "The workflow id, phonecheck-<sha256 of the input file>, as `phonecheck list` shows it. Computed when file is given.",
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^phonecheck-[0-9a-f]{64}$`),
					"must be phonecheck- followed by the 64 lowercase hex digits of the input's sha256; to look a task up by its input, set file instead")},
			},
			"file": schema.StringAttribute{
				Optional:    true,
				Description: "Path of the input file as it was submitted (any copy with the same content): its sha256 names the workflow.",
				Validators:  []validator.String{stringvalidator.LengthAtLeast(1)},
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
				NestedObject: schema.NestedAttributeObject{Attributes: rowAttributes()},
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

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

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
	id := m.WorkflowID.ValueString()
	if !m.File.IsNull() {
		sum, err := fileSHA256(m.File.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("file"), "Cannot read the input file",
				fmt.Sprintf("%v. file must be the input file as it was submitted (or a copy with the same content): its sha256 names the workflow. Use workflow_id if the file is gone.", err))
			return
		}
		id = workflows.WorkflowID(sum)
	}
	m.WorkflowID = types.StringValue(id)
	timeout, diags := m.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c, err := d.data.temporal()
	if err != nil {
		resp.Diagnostics.AddError("Cannot reach Temporal", err.Error()+". Set temporal_address (and namespace, TLS settings) in the provider block, or TEMPORAL_ADDRESS.")
		return
	}
	where := fmt.Sprintf("in namespace %s at %s", d.data.opts.Namespace, d.data.opts.Address)
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		resp.Diagnostics.AddError("No such phonecheck task",
			fmt.Sprintf("There is no workflow %s %s. This data source never starts one: submit the file first with 'phonecheck submit FILE' or drop it into a watched inbox, and check that the provider points at the cluster the workers use.", id, where))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot describe the phonecheck task", fmt.Sprintf("DescribeWorkflowExecution %s %s: %v", id, where, err))
		return
	}
	status := desc.GetWorkflowExecutionInfo().GetStatus()
	empty(&m)
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && !m.Wait.ValueBool() {
		m.Status = types.StringValue(statusName(status))
		var p workflows.Progress
		// A query needs a worker; without one it would wait out the read timeout.
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		v, qerr := c.QueryWorkflow(qctx, id, "", "progress")
		qcancel()
		if qerr != nil || v.Get(&p) != nil {
			resp.Diagnostics.AddWarning("phonecheck task not finished",
				fmt.Sprintf("Workflow %s is still running, and its progress is unavailable (%v): is a worker running? numbers stays empty until it completes; set wait = true to wait up to timeouts.read.", id, qerr))
		} else {
			setProgress(&m, p)
			resp.Diagnostics.AddWarning("phonecheck task not finished",
				fmt.Sprintf("Workflow %s is at stage %s (checked %d of %d, %d polls). numbers stays empty until it completes; run again later, or set wait = true to wait up to timeouts.read (now %s).",
					id, p.Stage, p.Success+p.Failure, p.Total, p.Polls, timeout))
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	// Wait by describing the workflow every second until it closes: the
	// read timeout is then this context's own deadline. A long poll for the
	// result can end with its own deadline error first, which would read as
	// a failed workflow.
	for status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			if desc, derr := c.DescribeWorkflowExecution(ctx, id, ""); derr == nil {
				status = desc.GetWorkflowExecutionInfo().GetStatus()
			}
		}
	}
	var res workflows.Result
	if err = ctx.Err(); err == nil {
		err = c.GetWorkflow(ctx, id, "").Get(ctx, &res)
	}
	if err != nil && ctx.Err() != nil {
		stage := "unknown"
		var p workflows.Progress
		qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
		if v, qerr := c.QueryWorkflow(qctx, id, "", "progress"); qerr == nil && v.Get(&p) == nil {
			stage = p.Stage
		}
		qcancel()
		resp.Diagnostics.AddError("Timed out waiting for the phonecheck task",
			fmt.Sprintf("Workflow %s was still running at stage %s after %s. Raise timeouts.read (such as timeouts = { read = \"1h\" }), or remove wait to read its progress without waiting.", id, stage, timeout))
		return
	}
	if desc, derr := c.DescribeWorkflowExecution(ctx, id, ""); derr == nil {
		status = desc.GetWorkflowExecutionInfo().GetStatus()
	}
	m.Status = types.StringValue(statusName(status))
	if err != nil {
		resp.Diagnostics.AddError("phonecheck task "+statusName(status),
			fmt.Sprintf("Workflow %s ended without results: %v. The input was moved to the failed/ folder with a .reason file; fix the input and submit it again.", id, err))
		return
	}
	setProgress(&m, res.Progress)
	m.OutputDir = types.StringValue(res.OutputDir)
	m.Summary = types.StringValue(res.Summary)
	m.RowCount, m.ValidCount, m.InvalidCount = types.Int64Value(int64(res.Rows)), types.Int64Value(int64(res.Valid)), types.Int64Value(int64(res.Invalid))
	outputs, diags := types.MapValueFrom(ctx, types.StringType, res.Outputs)
	resp.Diagnostics.Append(diags...)
	m.Outputs = outputs
	csvPath, ok := res.Outputs["csv"]
	if !ok {
		resp.Diagnostics.AddError("phonecheck task has no CSV output",
			fmt.Sprintf("Workflow %s wrote only %v. This data source reads the CSV output: submit files with a csv format (the default, --formats csv,xlsx).", id, keys(res.Outputs)))
		return
	}
	f, err := d.openOutput(csvPath, res.OutputDir)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the task's CSV output",
			fmt.Sprintf("%v. The workers wrote it on their machine; if their results directory is mounted at another path here, set output_dir in the provider block (or PHONECHECK_OUT).", err))
		return
	}
	defer f.Close()
	flt, diags := newFilter(ctx, &m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	col := newTFCollector(res.Rows)
	if err := readRows(f, func(r *phone.Result) {
		if flt.keep(r) {
			col.add(r)
		}
	}); err != nil {
		resp.Diagnostics.AddError("Cannot read the task's CSV output", fmt.Sprintf("%s: %v. The file may have been changed or truncated; restore it or submit the input again.", f.Name(), err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...) // with empty lists
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
	m.Numbers = types.ListValueMust(rowObjectType, []attr.Value{})
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

// readRows streams a results CSV (the result schema's header, matched by
// name and case-insensitively) into fn, one row at a time.
func readRows(r io.Reader, fn func(*phone.Result)) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("no header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff"))] = i
	}
	for _, need := range []string{"number", "phonecheck"} {
		if _, ok := idx[need]; !ok {
			return fmt.Errorf("header %q has no %s column", strings.Join(header, ","), need)
		}
	}
	col := func(rec []string, name string) string {
		if i, ok := idx[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := strconv.Atoi(col(rec, "line"))
		row := phone.Result{
			Number: col(rec, "number"), PhoneCheck: strings.ToLower(col(rec, "phonecheck")), Input: col(rec, "input"), Line: line,
			Reason: col(rec, "reason"), Type: col(rec, "type"), CountryCode: col(rec, "countrycode"), Region: col(rec, "region"),
			International: col(rec, "international"), National: col(rec, "national"), Carrier: col(rec, "carrier"),
			Location: col(rec, "location"), TimeZones: col(rec, "timezones"),
		}
		fn(&row)
	}
}
