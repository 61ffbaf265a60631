//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package prompt

import "golang.org/x/term"

// readPassword is term.ReadPassword where there is no Unix terminal.
func readPassword(fd int) ([]byte, error) { return term.ReadPassword(fd) }
