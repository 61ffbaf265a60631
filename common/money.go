package common

import "fmt"

// MicrosPerEuro is how many micros make one euro; every amount of money in
// RGrid is stored as an integer number of micros.
const MicrosPerEuro = 1_000_000

// FormatEuros renders micros as euros with two decimals, rounding half away
// from zero: 12_345_000 -> "€12.35", -1_500_000 -> "-€1.50".
func FormatEuros(micros int64) string {
	sign := ""
	// Work in uint64 so the most negative int64 does not overflow.
	var abs uint64
	if micros < 0 {
		sign = "-"
		abs = uint64(-(micros + 1)) + 1 //nolint:gosec // -(micros+1) >= 0 here, so the conversion is exact
	} else {
		abs = uint64(micros) //nolint:gosec // micros >= 0 here, so the conversion is exact
	}
	cents := (abs + 5_000) / 10_000
	if cents == 0 {
		sign = "" // an amount that rounds to zero is shown as "€0.00", never "-€0.00"
	}
	return fmt.Sprintf("%s€%d.%02d", sign, cents/100, cents%100)
}
