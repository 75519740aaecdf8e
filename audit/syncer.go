package audit

import "os"

// syncer makes the frames appended to a journal segment durable.
type syncer interface {
	sync(f *os.File) error
	close()
}

// fdatasyncer syncs with a blocking fdatasync (fsync where there is none).
type fdatasyncer struct{}

func (fdatasyncer) sync(f *os.File) error { return fdatasync(f) }
func (fdatasyncer) close()                {}
