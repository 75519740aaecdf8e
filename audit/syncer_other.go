//go:build !linux || !(amd64 || arm64)

package audit

// newSyncer returns the journal's data sync: fdatasync on this platform.
func newSyncer() syncer { return fdatasyncer{} }
