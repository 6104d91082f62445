//go:build !linux

package watcher

// remoteFS is only known on Linux; elsewhere choose Poll for network folders.
func remoteFS(string) string { return "" }
