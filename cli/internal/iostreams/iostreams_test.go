package iostreams

import (
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestColor(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		tty     bool
		colored bool
	}{
		{"terminal", nil, true, true},
		{"not a terminal", nil, false, false},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, true, false},
		{"NO_COLOR empty means unset", map[string]string{"NO_COLOR": ""}, true, true},
		{"dumb terminal", map[string]string{"TERM": "dumb"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := System(env(tt.env))
			s.SetTTY(false, false, tt.tty)
			if got := s.ColorEnabled(); got != tt.colored {
				t.Fatalf("ColorEnabled() = %v, want %v", got, tt.colored)
			}
			success := s.Success("done")
			if tt.colored && success != "\x1b[32m✓\x1b[0m done" {
				t.Fatalf("Success = %q", success)
			}
			if !tt.colored && success != "✓ done" {
				t.Fatalf("Success = %q", success)
			}
		})
	}
}

func TestDecorationsPlain(t *testing.T) {
	s, _, _, _ := Test()
	if got := s.Warning("w"); got != "! w" {
		t.Fatalf("Warning = %q", got)
	}
	if got := s.Failure("f"); got != "Error: f" {
		t.Fatalf("Failure = %q", got)
	}
	s.SetTTY(true, true, true)
	s.SetColor(true)
	if got := s.Failure("f"); got != "\x1b[31mError:\x1b[0m f" {
		t.Fatalf("Failure = %q", got)
	}
}

func TestTTYFlags(t *testing.T) {
	s, _, _, _ := Test()
	if s.CanPrompt() || s.IsStdinTTY() || s.IsStdoutTTY() || s.IsStderrTTY() {
		t.Fatal("test streams must not be terminals")
	}
	s.SetTTY(true, false, true)
	if !s.CanPrompt() || !s.IsStdinTTY() || s.IsStdoutTTY() || !s.IsStderrTTY() {
		t.Fatal("SetTTY not applied")
	}
	s.SetTTY(true, true, false)
	if s.CanPrompt() {
		t.Fatal("cannot prompt without a terminal on stderr")
	}
}
