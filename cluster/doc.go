// Package cluster runs the production layout of docker-compose.yml without
// Docker: PostgreSQL from the distribution's packages, Temporal's frontend,
// history, matching and worker services as four processes of the server
// built from its module, the compose file's own setup scripts, and the
// phonecheck services with the commands, flags and variables the compose
// file gives them (read from it, so that the tests fail when it drifts).
// Files then go through the watcher while the test kills and restarts
// Temporal's services, the workers, the watcher and MinIO. The tests carry
// the build tag cluster:
//
//	make test-cluster                    # the full form
//	make test-cluster CLUSTER_LINES=...  # see the Makefile for the bounded form CI runs
//	make bench-cluster                   # 1,000 small files on the cluster and through up
//
// tools/cluster/install.sh builds what the images would hold (the server,
// its SQL schema tool, the temporal CLI, MinIO) once per version into a
// cache directory.
package cluster
