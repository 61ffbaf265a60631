package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// The INI dialect read and written here is the one Python's configparser
// and the AWS CLI use, restricted to what RGrid needs:
//
//   - "[name]" starts a section; "key = value" or "key: value" sets a key
//     (keys are case-insensitive, whitespace around both is dropped);
//   - lines starting with '#' or ';' are comments, blank lines are kept;
//   - a UTF-8 BOM, CRLF line ends and a missing final newline are accepted.
//
// The file is kept line by line so that a write changes only the line it
// must: comments, unknown keys, other sections and the order of everything
// survive. Lines this reader does not understand are kept as they are.

type lineKind int

const (
	kindBlank lineKind = iota
	kindComment
	kindSection
	kindKey
	kindOther
)

type line struct {
	raw     string // the text as read, without its line end
	kind    lineKind
	section string // the section the line is in (its own name for a header)
	key     string // lower-case key, for kindKey
	value   string // trimmed value, for kindKey
}

// File is one parsed INI file.
type File struct {
	lines []line
	crlf  bool
}

const bom = "\xef\xbb\xbf"

// Parse reads an INI document. It never fails: a line it cannot understand
// is kept verbatim and otherwise ignored, like an unknown key.
func Parse(data []byte) *File {
	data = bytes.TrimPrefix(data, []byte(bom))
	f := &File{crlf: bytes.Contains(data, []byte("\r\n"))}
	if len(data) == 0 {
		return f
	}
	text := strings.TrimSuffix(string(data), "\n")
	section := ""
	for _, raw := range strings.Split(text, "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		l := classify(raw, section)
		if l.kind == kindSection {
			section = l.section
		}
		f.lines = append(f.lines, l)
	}
	return f
}

func classify(raw, section string) line {
	t := strings.TrimSpace(raw)
	l := line{raw: raw, section: section}
	switch {
	case t == "":
		l.kind = kindBlank
	case t[0] == '#' || t[0] == ';':
		l.kind = kindComment
	case t[0] == '[' && t[len(t)-1] == ']' && len(t) >= 2:
		l.kind = kindSection
		l.section = strings.TrimSpace(t[1 : len(t)-1])
	default:
		i := strings.IndexAny(t, "=:")
		if i <= 0 {
			l.kind = kindOther
			return l
		}
		l.kind = kindKey
		l.key = strings.ToLower(strings.TrimSpace(t[:i]))
		l.value = strings.TrimSpace(t[i+1:])
	}
	return l
}

// Get returns the value of key in section. When a key appears more than once
// the last one wins, as in configparser's non-strict mode.
func (f *File) Get(section, key string) (string, bool) {
	key = strings.ToLower(key)
	value, found := "", false
	for _, l := range f.lines {
		if l.kind == kindKey && l.section == section && l.key == key {
			value, found = l.value, true
		}
	}
	return value, found
}

// Sections returns the section names in the order they first appear.
func (f *File) Sections() []string {
	var names []string
	seen := map[string]bool{}
	for _, l := range f.lines {
		if l.kind == kindSection && !seen[l.section] {
			seen[l.section] = true
			names = append(names, l.section)
		}
	}
	return names
}

// Errors returned by Set.
var (
	ErrBadValue = errors.New("a value must fit on one line, without control characters or surrounding spaces")
)

// Set gives key the value in section, creating the section at the end of
// the file if needed. The first existing line for the key is rewritten in
// place and any later duplicates are removed; nothing else changes.
func (f *File) Set(section, key, value string) error {
	if err := ValidateProfileName(section); err != nil {
		return err
	}
	if err := checkValue(key); err != nil || key == "" || strings.ContainsAny(key, "=:[]#;") {
		return fmt.Errorf("invalid key name %q", key)
	}
	if err := checkValue(value); err != nil {
		return err
	}
	key = strings.ToLower(key)
	newLine := line{raw: key + " = " + value, kind: kindKey, section: section, key: key, value: value}

	replaced := false
	out := f.lines[:0:0]
	for _, l := range f.lines {
		if l.kind == kindKey && l.section == section && l.key == key {
			if !replaced {
				out = append(out, newLine)
				replaced = true
			}
			continue
		}
		out = append(out, l)
	}
	f.lines = out
	if replaced {
		return nil
	}

	// Insert after the last key of the section's first occurrence, or right
	// after its header when it has no keys yet.
	at := -1
	for i, l := range f.lines {
		if l.kind == kindSection && l.section == section && at < 0 {
			at = i
			continue
		}
		if at >= 0 {
			if l.kind == kindSection {
				break
			}
			if l.kind == kindKey {
				at = i
			}
		}
	}
	if at >= 0 {
		f.lines = append(f.lines[:at+1], append([]line{newLine}, f.lines[at+1:]...)...)
		return nil
	}
	if n := len(f.lines); n > 0 && f.lines[n-1].kind != kindBlank {
		f.lines = append(f.lines, line{kind: kindBlank})
	}
	f.lines = append(f.lines, line{raw: "[" + section + "]", kind: kindSection, section: section}, newLine)
	return nil
}

// Delete removes every line setting key in section and reports whether there
// was one. A section left with nothing but blank lines is removed as well;
// one that still holds comments or other keys is kept.
func (f *File) Delete(section, key string) bool {
	key = strings.ToLower(key)
	removed := false
	out := f.lines[:0:0]
	for _, l := range f.lines {
		if l.kind == kindKey && l.section == section && l.key == key {
			removed = true
			continue
		}
		out = append(out, l)
	}
	f.lines = out
	if removed {
		f.dropEmptySection(section)
	}
	return removed
}

func (f *File) dropEmptySection(section string) {
	for _, l := range f.lines {
		if l.section == section && l.kind != kindBlank && l.kind != kindSection {
			return
		}
	}
	out := f.lines[:0:0]
	for _, l := range f.lines {
		if l.section == section && (l.kind == kindSection || l.kind == kindBlank) {
			continue
		}
		out = append(out, l)
	}
	f.lines = out
}

// Bytes renders the file: no BOM, the line ending the file was read with
// (LF for a new file), and always a final line end.
func (f *File) Bytes() []byte {
	eol := "\n"
	if f.crlf {
		eol = "\r\n"
	}
	var b bytes.Buffer
	for _, l := range f.lines {
		b.WriteString(l.raw)
		b.WriteString(eol)
	}
	return b.Bytes()
}

func checkValue(v string) error {
	if v != strings.TrimSpace(v) {
		return ErrBadValue
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ErrBadValue
		}
	}
	return nil
}

// MaxProfileNameLength bounds profile names.
const MaxProfileNameLength = 64

// ErrBadProfileName is wrapped by the error ValidateProfileName returns.
var ErrBadProfileName = errors.New("invalid profile name")

// ValidateProfileName accepts names made of letters, digits, '.', '_' and
// '-', at most 64 characters. That refuses everything that would break the
// file ('[', ']', line breaks, '=') and the name DEFAULT, which configparser
// treats as defaults for every other section.
func ValidateProfileName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: the profile name is empty", ErrBadProfileName)
	case len(name) > MaxProfileNameLength:
		return fmt.Errorf("%w: a profile name has at most %d characters", ErrBadProfileName, MaxProfileNameLength)
	case name == "DEFAULT":
		return fmt.Errorf("%w: DEFAULT is reserved (configparser treats it as defaults for every profile)", ErrBadProfileName)
	}
	for _, r := range name {
		ok := r == '.' || r == '_' || r == '-' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		if !ok {
			return fmt.Errorf("%w %q: use only letters, digits, '.', '_' and '-'", ErrBadProfileName, name)
		}
	}
	return nil
}
