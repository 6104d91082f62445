package cli

import (
	"fmt"
	"time"

	"github.com/phonecheck/phonecheck/taskapi"
)

// newAPIClient is the v1 task API client for the worker; the key stays here,
// in the worker's configuration, and never reaches a workflow payload.
func newAPIClient(url, key string, timeout time.Duration) (*taskapi.Client, error) {
	if url == "" {
		return nil, fmt.Errorf("no API URL: give --api-url (or PHONECHECK_API_URL), or run 'phonecheck up' for the offline server")
	}
	if key == "" {
		return nil, fmt.Errorf("no API key for %s: give --api-key or set PHONECHECK_API_KEY", url)
	}
	if Version != "" { // a release build names itself in the User-Agent
		taskapi.Version = Version
	}
	var opts []taskapi.Option
	if timeout > 0 {
		opts = append(opts, taskapi.WithTimeout(timeout))
	}
	return taskapi.New(url, key, opts...)
}
