package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ScrapeMetric reads GET /metrics and returns the sum of every sample of the
// metric name (all label sets). A counter with labels appears only once a
// label set was used, so a missing metric counts as 0.
func ScrapeMetric(tb testing.TB, c *http.Client, baseURL, name string) float64 {
	tb.Helper()
	v, err := scrapeMetric(c, baseURL, name)
	if err != nil {
		tb.Fatalf("scrape %s: %v", name, err)
	}
	return v
}

// ScrapeMetricErr is ScrapeMetric for programs that are not tests.
func ScrapeMetricErr(c *http.Client, baseURL, name string) (float64, error) {
	return scrapeMetric(c, baseURL, name)
}

// ErrMetricAbsent is returned when the metric has no sample yet.
var ErrMetricAbsent = errors.New("metric not exposed")

func scrapeMetric(c *http.Client, baseURL, name string) (float64, error) {
	resp, err := get(c, baseURL+"/metrics")
	if err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics answered %d", resp.StatusCode)
	}
	v, err := sumMetric(resp.Body, name)
	if errors.Is(err, ErrMetricAbsent) {
		return 0, nil
	}
	return v, err
}

func sumMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	found := false
	var sum float64
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "{") {
			continue // a longer name with the same prefix
		}
		if i := strings.LastIndex(rest, "}"); i >= 0 {
			rest = rest[i+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("sample %q: %w", line, err)
		}
		sum += v
		found = true
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	if !found {
		return 0, fmt.Errorf("%w: %s", ErrMetricAbsent, name)
	}
	return sum, nil
}
