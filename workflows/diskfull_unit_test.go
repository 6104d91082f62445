package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/activities"
)

// A failed file whose failed/ is full stays in processing/; its failure
// (what status prints) says so and what to do, and the archive is not
// retried for minutes first.
func TestFullFailedIsNamedInTheFailure(t *testing.T) { bothSizes(t, testFullFailedIsNamedInTheFailure) }

func testFullFailedIsNamedInTheFailure(t *testing.T, in Input) {
	env := newEnv(t)
	env.OnActivity(a.Prepare, mock.Anything, mock.Anything).Return(activities.PrepareResult{},
		temporal.NewNonRetryableApplicationError("numbers.txt holds no phone numbers", activities.ErrBadInput, nil)).Once()
	full := "the folder /in/failed is full (no space left on device): the input stays at /in/processing/numbers.txt; make room there"
	env.OnActivity(a.Archive, mock.Anything, mock.Anything).Return("", temporal.NewNonRetryableApplicationError(full, activities.ErrDiskFull, nil)).Once()
	env.ExecuteWorkflow(ProcessFile, in)
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "holds no phone numbers")
	require.Contains(t, err.Error(), full)
	env.AssertNumberOfCalls(t, "Archive", 1)
}
