// Command bench is `make bench`: a load benchmark of rgrid-api on real
// PostgreSQL and MinIO, driven by vegeta. It measures GET /health, validate
// with a verified key and validate with never-verified keys (cold: one bcrypt
// each), at 1, 10 and 50 concurrent clients, counts bcrypt verifications
// from /metrics around each scenario, and adds the server's idle memory and
// the CLI's start-up time. It prints a Markdown table, writes it to
// bench/results/latest.md and exits non-zero if any request failed.
//
// Run from tests/: go run ./bench [-duration 5s] [-out bench/results/latest.md]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/internal/harness"
)

const bcryptMetric = "rgrid_bcrypt_verifications_total"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	duration  time.Duration
	levels    []int
	coldCount map[int]int
	out       string
	cliRuns   int
}

func parseFlags() (options, error) {
	o := options{coldCount: map[int]int{1: 8, 10: 30, 50: 100}}
	levels := flag.String("levels", "1,10,50", "concurrent clients, comma-separated")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each /health and warm validate scenario")
	flag.StringVar(&o.out, "out", filepath.Join("bench", "results", "latest.md"), "where to write the table")
	flag.IntVar(&o.cliRuns, "cli-runs", 50, "runs of `rgrid --version` to average")
	flag.Parse()
	for _, f := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-levels: %q is not a positive number", f)
		}
		o.levels = append(o.levels, n)
		if _, ok := o.coldCount[n]; !ok {
			o.coldCount[n] = max(8, 2*n)
		}
	}
	return o, nil
}

// row is one line of the results table.
type row struct {
	scenario    string
	clients     int
	requests    uint64
	rps         float64
	p50         time.Duration
	p95         time.Duration
	p99         time.Duration
	errors      int
	bcryptDelta float64
}

func run() error {
	opts, err := parseFlags()
	if err != nil {
		return err
	}
	tb := harness.NewProgramTB("bench")
	defer tb.Close()

	fmt.Fprintln(os.Stderr, "bench: building binaries and starting rgrid-api on PostgreSQL + MinIO")
	s := harness.StartServer(tb, harness.ServerOptions{Env: []string{"RGRID_LOG_LEVEL=warn"}})
	admin := s.Admin()
	acct := admin.CreateAccount(tb, fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano()))
	warm := admin.CreateKey(tb, acct.ID, "bench-warm")
	plain := &http.Client{Timeout: 10 * time.Second}

	// A few requests, then the idle footprint.
	for i := 0; i < 5; i++ {
		if st := validateOnce(plain, s.URL, warm.Key); st != http.StatusOK {
			return fmt.Errorf("warm-up validate answered %d", st)
		}
	}
	time.Sleep(2 * time.Second)
	idleRSS, err := vmRSS(s.PID())
	if err != nil {
		return err
	}

	// Cold keys are minted up front (one bcrypt each in the admin command),
	// as many as the cold scenarios will use, never reused.
	need := 0
	for _, c := range opts.levels {
		need += opts.coldCount[c]
	}
	need += 2 // the singleflight check and `rgrid init` timing
	fmt.Fprintf(os.Stderr, "bench: minting %d never-verified keys with `rgrid-api keys create`\n", need)
	cold, err := mintKeys(tb, admin, acct.ID, need)
	if err != nil {
		return err
	}

	var rows []row
	scrape := func() float64 {
		v, err := harness.ScrapeMetricErr(plain, s.URL, bcryptMetric)
		if err != nil {
			tb.Fatalf("scrape %s: %v", bcryptMetric, err)
		}
		return v
	}
	for _, c := range opts.levels {
		fmt.Fprintf(os.Stderr, "bench: %d clients\n", c)
		rows = append(rows, attack(scrape, "GET /health", c, opts.duration, 0,
			vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: s.URL + common.PathHealth})))
		rows = append(rows, attack(scrape, "validate, verified key", c, opts.duration, 0,
			vegeta.NewStaticTargeter(validateTarget(s.URL, warm.Key))))
		n := opts.coldCount[c]
		keys := cold[:n]
		cold = cold[n:]
		rows = append(rows, attack(scrape, "validate, new key each request (cold)", c, 0, n, keyTargeter(s.URL, keys)))
	}

	// Ten concurrent requests with one never-verified key: one bcrypt in total.
	sameKey := cold[0]
	cold = cold[1:]
	rows = append(rows, attack(scrape, "validate, one new key x10 at once", 10, 0, 10,
		vegeta.NewStaticTargeter(validateTarget(s.URL, sameKey))))

	busyRSS, err := vmRSS(s.PID())
	if err != nil {
		return err
	}
	versionMean, versionP95, err := timeCLIVersion(harness.CLIBinary(tb), opts.cliRuns)
	if err != nil {
		return err
	}
	initTime, err := timeInit(tb, s, cold[0])
	if err != nil {
		return err
	}

	table := render(rows, idleRSS, busyRSS, versionMean, versionP95, opts.cliRuns, initTime)
	fmt.Print(table)
	if err := os.MkdirAll(filepath.Dir(opts.out), 0o750); err != nil {
		return fmt.Errorf("make results folder: %w", err)
	}
	if err := os.WriteFile(opts.out, []byte(table), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", opts.out, err)
	}
	fmt.Fprintf(os.Stderr, "bench: table written to %s\n", opts.out)

	total := 0
	for _, r := range rows {
		total += r.errors
	}
	if total > 0 {
		return fmt.Errorf("%d requests failed", total)
	}
	return nil
}

func validateTarget(baseURL, key string) vegeta.Target {
	return vegeta.Target{
		Method: http.MethodPost,
		URL:    baseURL + common.PathAuthValidate,
		Header: http.Header{"Authorization": []string{"Bearer " + key}},
	}
}

// keyTargeter hands out one validate request per key, each key once.
func keyTargeter(baseURL string, keys []string) vegeta.Targeter {
	var mu sync.Mutex
	i := 0
	return func(t *vegeta.Target) error {
		mu.Lock()
		defer mu.Unlock()
		if i >= len(keys) {
			return vegeta.ErrNoTargets
		}
		*t = validateTarget(baseURL, keys[i])
		i++
		return nil
	}
}

// countPacer sends as fast as the workers allow and stops after n hits
// (n == 0: never; the attack's duration ends it).
type countPacer struct{ n uint64 }

func (p countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, p.n > 0 && hits >= p.n
}
func (p countPacer) Rate(time.Duration) float64 { return 0 }

// attack runs one scenario with exactly `clients` workers sending back to
// back (a closed loop: each client sends its next request when the last one
// is answered), for duration or for n requests.
func attack(scrape func() float64, name string, clients int, duration time.Duration, n int, tr vegeta.Targeter) row {
	before := scrape()
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(clients)),    //nolint:gosec // small positive number
		vegeta.MaxWorkers(uint64(clients)), //nolint:gosec // small positive number
		vegeta.Connections(clients),
		vegeta.KeepAlive(true),
		vegeta.Timeout(60*time.Second),
		vegeta.MaxBody(4096),
	)
	var m vegeta.Metrics
	var lat []time.Duration
	r := row{scenario: name, clients: clients}
	errs := map[string]int{}
	for res := range atk.Attack(tr, countPacer{uint64(n)}, duration, name) { //nolint:gosec // small positive number
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // the targeter ran out of keys: not a request
		}
		m.Add(res)
		lat = append(lat, res.Latency)
		if res.Code != http.StatusOK {
			r.errors++
			errs[fmt.Sprintf("%d %s", res.Code, res.Error)]++
		}
	}
	m.Close()
	r.requests = m.Requests
	if m.Duration+m.Wait > 0 {
		r.rps = float64(m.Requests) / (m.Duration + m.Wait).Seconds()
	}
	r.p50, r.p95, r.p99 = quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
	r.bcryptDelta = scrape() - before
	if len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "bench: %s @%d: errors %v\n", name, clients, errs)
	}
	return r
}

// quantile returns the exact q-quantile (nearest rank) of lat.
func quantile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func validateOnce(c *http.Client, baseURL, key string) int {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, baseURL+common.PathAuthValidate, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// mintKeys creates n keys through the admin command, a few at a time.
func mintKeys(tb *harness.ProgramTB, admin *harness.Admin, accountID string, n int) ([]string, error) {
	keys := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU()+1)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			keys[i] = admin.CreateKey(tb, accountID, fmt.Sprintf("bench-cold-%d", i)).Key
		}()
	}
	wg.Wait()
	if tb.Failed() {
		return nil, errors.New("minting keys failed")
	}
	return keys, nil
}

// vmRSS reads the resident set size of pid from /proc.
func vmRSS(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", fmt.Errorf("read memory of rgrid-api: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return "", fmt.Errorf("parse VmRSS %q: %w", v, err)
			}
			return fmt.Sprintf("%.1f MB", float64(kb)/1024), nil
		}
	}
	return "", errors.New("no VmRSS in /proc status")
}

// timeCLIVersion runs `rgrid --version` runs times; it returns the mean and
// the 95th percentile of the wall time of a whole run (fork+exec included).
func timeCLIVersion(bin string, runs int) (time.Duration, time.Duration, error) {
	var lat []time.Duration
	var total time.Duration
	for i := 0; i < runs+1; i++ {
		var out bytes.Buffer
		cmd := exec.CommandContext(context.Background(), bin, "--version") //nolint:gosec // binary built by the harness
		cmd.Stdout = &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, 0, fmt.Errorf("rgrid --version: %w", err)
		}
		d := time.Since(start)
		if i == 0 {
			if got := strings.TrimSpace(out.String()); got != "rgrid, version "+common.Version {
				return 0, 0, fmt.Errorf("rgrid --version printed %q", got)
			}
			continue // the first run warms the page cache
		}
		lat = append(lat, d)
		total += d
	}
	return total / time.Duration(runs), quantile(lat, 0.95), nil
}

// timeInit times `rgrid init --api-key-stdin` with a never-verified key:
// the whole CLI run including one server-side bcrypt.
func timeInit(tb *harness.ProgramTB, s *harness.Server, key string) (time.Duration, error) {
	cli := harness.NewCLI(tb, s.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := cli.Command(ctx, "init", "--api-key-stdin")
	cmd.Stdin = strings.NewReader(key + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("rgrid init --api-key-stdin: %w: %s", err, stderr.String())
	}
	return time.Since(start), nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func render(rows []row, idleRSS, busyRSS string, versionMean, versionP95 time.Duration, runs int, initTime time.Duration) string {
	var b strings.Builder
	host, _ := os.Hostname()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "## rgrid-api benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s, load average at the end %s. Server: `rgrid-api serve` on PostgreSQL + MinIO, log level warn. "+
		"Load: vegeta, closed loop (each client sends its next request when the last is answered), keep-alive.\n\n",
		host, runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	b.WriteString("| scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors | bcrypt verifications |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %s | %s | %s | %d | %.0f |\n",
			r.scenario, r.clients, r.requests, r.rps, ms(r.p50), ms(r.p95), ms(r.p99), r.errors, r.bcryptDelta)
	}
	b.WriteString("\n| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| `rgrid-api serve` resident memory (VmRSS), idle after start-up and 5 requests | %s |\n", idleRSS)
	fmt.Fprintf(&b, "| `rgrid-api serve` resident memory (VmRSS), after all scenarios | %s |\n", busyRSS)
	fmt.Fprintf(&b, "| `rgrid --version`, wall time of a whole run, mean of %d | %s ms (p95 %s ms) |\n", runs, ms(versionMean), ms(versionP95))
	fmt.Fprintf(&b, "| `rgrid init --api-key-stdin` with a never-verified key (one bcrypt on the server) | %s ms |\n", ms(initTime))
	return b.String()
}
