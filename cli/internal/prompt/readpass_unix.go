//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package prompt

import (
	"io"

	"golang.org/x/sys/unix"
)

// readPassword reads a line from the terminal fd with echo off, like
// term.ReadPassword, except that end of input (Ctrl-D on an empty line) ends
// the read with io.EOF. term.ReadPassword treats the terminal's zero-byte
// read as "no data yet" and waits on, so Ctrl-D did nothing at all.
func readPassword(fd int) ([]byte, error) {
	saved, err := unix.IoctlGetTermios(fd, ioctlReadTermios)
	if err != nil {
		return nil, err
	}
	hidden := *saved
	hidden.Lflag &^= unix.ECHO
	hidden.Lflag |= unix.ICANON | unix.ISIG
	hidden.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlWriteTermios, &hidden); err != nil {
		return nil, err
	}
	defer func() { _ = unix.IoctlSetTermios(fd, ioctlWriteTermios, saved) }()
	return readSecretLine(fdReader(fd))
}

// fdReader reads a file descriptor; a zero-byte read is end of input.
type fdReader int

func (r fdReader) Read(b []byte) (int, error) {
	n, err := unix.Read(int(r), b)
	if n < 0 {
		n = 0
	}
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}
