package cli

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/workflows"
)

// temporalOptions are the client options of resolved temporal.* settings
// (config.TemporalKeys).
func temporalOptions(cfg *config.Resolved) temporalx.ClientOptions {
	return temporalx.ClientOptions{
		Address: cfg.String("temporal.address"), Namespace: cfg.String("temporal.namespace"),
		APIKey: cfg.String("temporal.api_key"), TLS: cfg.Bool("temporal.tls"),
		TLSCertFile: cfg.String("temporal.tls_cert"), TLSKeyFile: cfg.String("temporal.tls_key"),
		TLSCAFile: cfg.String("temporal.tls_ca"), TLSServerName: cfg.String("temporal.tls_server_name"),
	}.FromEnv()
}

// dialTemporal connects with the temporal.* settings.
func dialTemporal(cfg *config.Resolved) (client.Client, error) {
	return temporalx.Dial(temporalOptions(cfg))
}

// workflowTarget is the shared start of status and results: the one
// ID|FILE argument turned into a workflow id (a file or sha256 with the
// region setting), the client and the workflow's description; code is -1
// when the command goes on.
func workflowTarget(ctx context.Context, x *call) (id string, c client.Client, desc *workflowservice.DescribeWorkflowExecutionResponse, code int) {
	stdio, name, pos := x.stdio, x.name, x.args
	if len(pos) != 1 {
		return "", nil, nil, usageError(stdio, name, "give one workflow id or file")
	}
	// A file is named with the region (and --split) it was submitted
	// with: the same content with other options is another workflow.
	reg, err := phone.NormalizeRegion(x.cfg.String("region"))
	if err != nil {
		return "", nil, nil, usageError(stdio, name, "--region: %v", err)
	}
	if _, err := workflows.IDsForArg(pos[0], workflows.Options{}); err != nil {
		return "", nil, nil, runError(stdio, name, err, "")
	}
	if c, err = dialTemporal(x.cfg); err != nil {
		return "", nil, nil, runError(stdio, name, err, "")
	}
	if id, err = workflows.FindWorkflow(ctx, c, pos[0], workflows.Options{Region: reg, Split: x.cfg.Bool("split")}); err != nil {
		c.Close()
		return "", nil, nil, runError(stdio, name, err, "")
	}
	if desc, err = describe(ctx, c, id); err != nil {
		c.Close()
		return "", nil, nil, runError(stdio, name, err, "")
	}
	return id, c, desc, -1
}

// describe is DescribeWorkflowExecution with a message for an unknown id.
func describe(ctx context.Context, c client.Client, id string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("no workflow %s: submit the file first, or check --temporal-address", id)
	}
	return desc, err
}
