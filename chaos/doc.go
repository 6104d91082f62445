// Package chaos is the reliability and security suite: it builds the
// phonecheck binary, runs `serve`, `up` and `worker` as child processes on
// free ports with their own data directories, and kills, restarts and
// misleads them while real files go through the pipeline. Every case
// asserts that nothing is lost, nothing is charged twice, and no secret
// leaks. The tests carry the build tag chaos:
//
//	make chaos                     # CHAOS_KILLS=20, the full form
//	make chaos CHAOS_KILLS=5       # the bounded form CI runs
//	CHAOS_SEED=123 make chaos      # replay the kill points of a logged seed
//
// At the end the suite writes a report (chaos-report.md, path logged) with
// the table the README's "Reliability" section shows.
package chaos
