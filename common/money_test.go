package common

import (
	"math"
	"testing"
)

func TestFormatEuros(t *testing.T) {
	tests := []struct {
		micros int64
		want   string
	}{
		{0, "€0.00"},
		{1, "€0.00"},
		{4_999, "€0.00"},
		{5_000, "€0.01"},
		{10_000, "€0.01"},
		{1_000_000, "€1.00"},
		{12_345_000, "€12.35"},
		{12_344_999, "€12.34"},
		{-1_500_000, "-€1.50"},
		{-5_000, "-€0.01"},
		{-4_999, "€0.00"},
		{999_995_000, "€1000.00"},
		{math.MaxInt64, "€9223372036854.78"},
		{math.MinInt64, "-€9223372036854.78"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatEuros(tt.micros); got != tt.want {
				t.Fatalf("FormatEuros(%d) = %q, want %q", tt.micros, got, tt.want)
			}
		})
	}
}
