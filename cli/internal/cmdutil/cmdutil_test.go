package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/rgrid/rgrid/cli/internal/prompt"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("x"), 1},
		{fmt.Errorf("wrapped: %w", UsageErrorf("bad")), 2},
		{prompt.ErrCancelled, 130},
		{fmt.Errorf("validate: %w", context.Canceled), 130},
		{cli.Exit("No help topic", 3), 2},
		{cli.Exit("", 0), 0},
		{NotAvailable("run"), 1},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if !errors.Is(NotAvailable("run"), ErrNotAvailable) {
		t.Fatal("NotAvailable does not wrap ErrNotAvailable")
	}
}

func TestTruthy(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, "YES": true, " on ": true, "": false, "0": false, "false": false, "no": false} {
		if truthy(v) != want {
			t.Errorf("truthy(%q) != %v", v, want)
		}
	}
}

func TestNewSystem(t *testing.T) {
	f := NewSystem()
	if f.IO == nil || f.Getenv == nil {
		t.Fatal("incomplete factory")
	}
	if !f.IO.CanPrompt() && f.Prompter != nil {
		t.Fatal("a prompter without a terminal")
	}
}

func TestSharedFlagsAreFresh(t *testing.T) {
	a, b := SharedFlags(), SharedFlags()
	if len(a) != 4 || a[0] == b[0] {
		t.Fatal("SharedFlags must return new flag instances each time")
	}
}
