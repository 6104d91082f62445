package metrics

import (
	"io"
	"log/slog"
	"time"

	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalHandler is the Temporal SDK's metrics handler, reporting the SDK's
// own series (temporal_request, temporal_activity_execution_latency, …) into
// the registry through tally's Prometheus reporter, as the SDK's tally
// contrib module does (that module is not on this project's proxy, and is
// ~50 lines). Close the returned closer when the process stops.
func (m *Metrics) TemporalHandler(log *slog.Logger) (client.MetricsHandler, io.Closer) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       m.Registry,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			// A metric name reused with other tags: that series is dropped,
			// the rest keep working.
			log.Debug("temporal metric not registered", "error", err)
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sanitize,
	}, time.Second)
	return tallyHandler{scope}, closer
}

// sanitize keeps names and tags to Prometheus' alphabet.
var sanitize = tally.SanitizeOptions{
	NameCharacters:       tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: tally.UnderscoreCharacters},
	KeyCharacters:        tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: tally.UnderscoreCharacters},
	ValueCharacters:      tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: tally.UnderscoreDashDotCharacters},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}

// tallyHandler adapts a tally scope to client.MetricsHandler.
type tallyHandler struct{ scope tally.Scope }

func (h tallyHandler) WithTags(tags map[string]string) client.MetricsHandler {
	return tallyHandler{h.scope.Tagged(tags)}
}

func (h tallyHandler) Counter(name string) client.MetricsCounter { return h.scope.Counter(name) }

func (h tallyHandler) Gauge(name string) client.MetricsGauge { return h.scope.Gauge(name) }

func (h tallyHandler) Timer(name string) client.MetricsTimer { return h.scope.Timer(name) }
