// Command histcount reads the histories of the workflows a Temporal server
// holds and prints how many events a run has and how many of its workflow
// tasks timed out (a task that waited past its sticky queue's timeout).
// tools/bench-up.sh runs it with HISTORY=1.
//
//	go run ./tools/histcount -address 127.0.0.1:7233
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

func main() {
	address := flag.String("address", "127.0.0.1:7233", "Temporal frontend HOST:PORT")
	namespace := flag.String("namespace", "default", "Temporal namespace")
	flag.Parse()
	c, err := client.Dial(client.Options{HostPort: *address, Namespace: *namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))})
	if err != nil {
		fmt.Fprintln(os.Stderr, "histcount:", err)
		os.Exit(1)
	}
	defer c.Close()
	ctx := context.Background()
	runs, events, timedOut, runsTimedOut := 0, 0, 0, 0
	var token []byte
	for {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: *namespace, NextPageToken: token})
		if err != nil {
			fmt.Fprintln(os.Stderr, "histcount:", err)
			os.Exit(1)
		}
		for _, e := range page.GetExecutions() {
			runs++
			n := 0
			for it := c.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, 0); it.HasNext(); {
				ev, err := it.Next()
				if err != nil {
					fmt.Fprintln(os.Stderr, "histcount:", err)
					os.Exit(1)
				}
				events++
				if ev.GetWorkflowTaskTimedOutEventAttributes() != nil {
					n++
				}
			}
			timedOut += n
			if n > 0 {
				runsTimedOut++
			}
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if runs == 0 {
		fmt.Println("no workflow runs")
		return
	}
	fmt.Printf("%d runs, %.1f history events a run, %d workflow tasks timed out (in %d runs)\n",
		runs, float64(events)/float64(runs), timedOut, runsTimedOut)
}
