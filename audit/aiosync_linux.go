//go:build linux && (amd64 || arm64)

package audit

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// aioSyncer makes a journal segment's written data durable as fdatasync
// does, but through Linux AIO (IOCB_CMD_FDSYNC): the kernel flushes in a
// worker and signals an eventfd, on which the journal's goroutine waits in
// Go's network poller. A plain fdatasync is a blocking system call, and the
// Go processor (P) that makes it stays with it until it returns, 0.2–0.4 ms
// per commit on the machines measured, several hundred times a second under
// load; with GOMAXPROCS 2 that is half the server for that long. Waiting in
// the poller leaves the processor to the requests. Where the kernel or the
// file system does not offer AIO fsync, it falls back to fdatasync.
type aioSyncer struct {
	mu    sync.Mutex
	ctx   uintptr  // aio_context_t; 0 after a fallback
	efd   int      // the eventfd's descriptor
	event *os.File // the eventfd, in the poller
	cb    iocb     // the request in flight; the kernel reads it until completion
	buf   [8]byte
}

// iocb is struct iocb of <linux/aio_abi.h> on little-endian machines.
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

// ioEvent is struct io_event of <linux/aio_abi.h>.
type ioEvent struct {
	data, obj uint64
	res, res2 int64
}

const (
	iocbCmdFdsync = 3      // IOCB_CMD_FDSYNC
	iocbFlagResfd = 1 << 0 // IOCB_FLAG_RESFD: signal aio_resfd on completion
	efdNonblock   = syscall.O_NONBLOCK
	efdCloexec    = syscall.O_CLOEXEC
)

// newSyncer returns the journal's data sync: AIO where it can be set up,
// else fdatasync.
func newSyncer() syncer {
	a := &aioSyncer{}
	if _, _, e := syscall.Syscall(syscall.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&a.ctx)), 0); e != 0 {
		return fdatasyncer{}
	}
	fd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdNonblock|efdCloexec, 0)
	if e != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
		return fdatasyncer{}
	}
	a.efd = int(fd)
	// A non-blocking descriptor gets a File in the poller: reads park the
	// goroutine, not the processor.
	a.event = os.NewFile(fd, "audit-journal-eventfd")
	return a
}

// sync makes f's written data durable.
func (a *aioSyncer) sync(f *os.File) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == 0 {
		return fdatasync(f)
	}
	a.cb = iocb{opcode: iocbCmdFdsync, fildes: uint32(f.Fd()), flags: iocbFlagResfd, resfd: uint32(a.efd)}
	cbs := [1]*iocb{&a.cb}
	for {
		_, _, e := syscall.Syscall(syscall.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
		if e == 0 {
			break
		}
		if e == syscall.EINTR || e == syscall.EAGAIN {
			continue
		}
		if e == syscall.EINVAL || e == syscall.ENOSYS || e == syscall.EPERM {
			// No AIO fsync here (kernels before 4.18, some file
			// systems): fdatasync from now on.
			a.release()
			return fdatasync(f)
		}
		return e
	}
	if _, err := a.event.Read(a.buf[:]); err != nil {
		return err
	}
	var ev ioEvent
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		if n != 1 {
			return errors.New("io_getevents: no completion after the eventfd fired")
		}
		break
	}
	if ev.res < 0 {
		return syscall.Errno(-ev.res)
	}
	return nil
}

// close releases the AIO context and the eventfd.
func (a *aioSyncer) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.release()
}

func (a *aioSyncer) release() {
	if a.ctx != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0)
		a.ctx = 0
		a.event.Close()
	}
}
