// Package metrics holds phonecheck's Prometheus series (prefixed
// phonecheck_) and the Temporal SDK's own (temporal_…) in one registry, and
// the pieces that feed them from the outside of the code they measure: a
// Temporal worker interceptor for activities, a wrapper of the task API
// client, an HTTP middleware for the API server, and collectors that read
// the watcher's counters and Temporal's visibility.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's registry and phonecheck's series in it.
type Metrics struct {
	Registry *prometheus.Registry

	workflowsStarted *prometheus.CounterVec   // result: started, existing, error
	apiRequests      *prometheus.CounterVec   // endpoint, outcome
	apiBilled        *prometheus.CounterVec   // endpoint
	apiSeconds       *prometheus.HistogramVec // endpoint
	polls            prometheus.Counter
	rows             *prometheus.CounterVec   // verdict
	activitySeconds  *prometheus.HistogramVec // activity, outcome
	httpRequests     *prometheus.CounterVec   // endpoint, code
	httpSeconds      *prometheus.HistogramVec // endpoint
}

// Namespace prefixes phonecheck's own series.
const Namespace = "phonecheck"

// Buckets from 5 ms to about 20 min: activities range from a poll to a
// million-row export.
var buckets = prometheus.ExponentialBuckets(0.005, 2.5, 14)

// New creates a registry with the Go runtime and process collectors and
// phonecheck's series.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{Registry: reg}
	m.workflowsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "workflows_started_total",
		Help: "Start calls for a file's workflow, by result: started (new), existing (same content already ran or runs), error."}, []string{"result"})
	m.apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "api_requests_total",
		Help: "Calls of the v1 task API by the worker, by endpoint (tasks, gettasks, download) and outcome."}, []string{"endpoint", "outcome"})
	m.apiBilled = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "api_billed_calls_total",
		Help: "Task API calls answered 200 and so charged (tasks, gettasks)."}, []string{"endpoint"})
	m.apiSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "api_request_duration_seconds",
		Help: "Duration of task API calls by endpoint.", Buckets: buckets}, []string{"endpoint"})
	m.polls = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "polls_total",
		Help: "gettasks polls of remote tasks, whatever their answer."})
	m.rows = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "rows_validated_total",
		Help: "Result rows joined, by verdict (valid, invalid)."}, []string{"verdict"})
	m.activitySeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "activity_duration_seconds",
		Help: "Duration of pipeline activity attempts by activity and outcome (ok, error).", Buckets: buckets}, []string{"activity", "outcome"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
		Help: "Requests to the offline API server by endpoint and status code."}, []string{"endpoint", "code"})
	m.httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help: "Duration of requests to the offline API server by endpoint.", Buckets: buckets}, []string{"endpoint"})
	for _, c := range []prometheus.Collector{m.workflowsStarted, m.apiRequests, m.apiBilled, m.apiSeconds, m.polls, m.rows,
		m.activitySeconds, m.httpRequests, m.httpSeconds} {
		f(c)
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }
