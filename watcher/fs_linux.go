//go:build linux

package watcher

import "syscall"

// remoteFS names the file system under dir when inotify cannot be trusted
// there: changes made by other hosts (NFS, SMB, Ceph...) or by the FUSE
// daemon itself are not reported. It returns "" for local file systems.
func remoteFS(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return ""
	}
	switch uint32(st.Type) {
	case 0x6969:
		return "nfs"
	case 0x517B:
		return "smb"
	case 0xFF534D42:
		return "cifs"
	case 0xFE534D42:
		return "smb2"
	case 0x65735546:
		return "fuse"
	case 0x01021997:
		return "9p"
	case 0x00C36400:
		return "ceph"
	case 0x5346414F:
		return "afs"
	case 0x0BD00BD0:
		return "lustre"
	case 0x01161970:
		return "gfs2"
	case 0x7461636F:
		return "ocfs2"
	case 0x6A656A63:
		return "virtiofs"
	}
	return ""
}
