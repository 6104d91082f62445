package workflows

import (
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/temporalx"
)

// NewWorker returns a worker on TaskQueue with the workflow and the
// activities registered.
func NewWorker(c client.Client, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(c, TaskQueue, withDefaults(opts))
	w.RegisterWorkflow(ProcessFile)
	w.RegisterWorkflow(NotifyFile)
	w.RegisterActivity(acts)
	return w
}

// FilesQueue is the task queue of a watcher's files: the watcher serves the
// archive step on it, since only its host can move the files it claimed.
// id is the watcher's identity (its setting, by default the host name): a
// watcher recreated with the same id takes up the archives left waiting.
func FilesQueue(id string) string { return filesQueuePrefix + id }

const filesQueuePrefix = TaskQueue + "-files-"

// FilesQueueOwner is the watcher id a files queue belongs to ("" if it is
// not one).
func FilesQueueOwner(queue string) string {
	id, ok := strings.CutPrefix(queue, filesQueuePrefix)
	if !ok {
		return ""
	}
	return id
}

// NewFilesWorker returns a worker that runs only the archive step, on the
// files queue of the watcher id.
func NewFilesWorker(c client.Client, acts *activities.Activities, id string) worker.Worker {
	w := worker.New(c, FilesQueue(id), withDefaults(worker.Options{}))
	w.RegisterActivityWithOptions(acts.Archive, activity.RegisterOptions{Name: "Archive"})
	return w
}

// withDefaults sends the activities' heartbeats at least every
// heartbeatThrottle: the SDK holds them back for up to 80% of the heartbeat
// timeout otherwise, which would leave a live attempt 4 s to spare. And it
// names the build (temporalx.BuildID).
func withDefaults(opts worker.Options) worker.Options {
	if opts.MaxHeartbeatThrottleInterval == 0 {
		opts.MaxHeartbeatThrottleInterval = heartbeatThrottle
	}
	if opts.BuildID == "" && !opts.DeploymentOptions.UseVersioning {
		opts.BuildID = temporalx.BuildID() //nolint:staticcheck // an identifier only: no versioning is asked for
	}
	return opts
}
