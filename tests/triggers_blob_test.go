package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/triggers"
)

const blobInYAML = `name: blob-in
triggers:
  - blob: {connection: uploads, prefix: in/}
steps:
  - return: ${{ input }}
`

// A blob trigger deployed through the API starts one run per object: 200
// objects written while the orchestrator is down start 200 runs when it is
// back, and a SIGKILL in the middle of a second burst still ends with one
// run per object.
func TestTriggerBlobExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	bucketDir := filepath.Join(dir, "bucket")
	if err := os.MkdirAll(bucketDir, 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "orchestrator.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("connections:\n  uploads: {type: blob, url: %q}\n", "file://"+bucketDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() *harness.Stack {
		return harness.Start(t, harness.Options{DataDir: filepath.Join(dir, "data"), Args: []string{"--config", config}})
	}
	ctx := context.Background()
	bucket, err := blob.OpenBucket(ctx, "file://"+bucketDir)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	write := func(t testing.TB, key string) {
		if err := bucket.WriteAll(ctx, key, []byte(`{"key":"`+key+`"}`), &blob.WriterOptions{ContentType: "application/json"}); err != nil {
			t.Error(err)
		}
	}

	s := start()
	deployOver(t, s.APIURL, "blob-in", blobInYAML)
	c := s.Client(t)
	// Objects there before the consumer's first listing are its baseline:
	// write probes until one starts a run, then let the last ones land.
	for i := 0; countRuns(t, c, "blob-in") == 0; i++ {
		if i == 60 {
			t.Fatal("no probe object started a run within a minute")
		}
		write(t, fmt.Sprintf("in/probe-%02d", i))
		write(t, fmt.Sprintf("out/ignored-%02d", i))
		time.Sleep(time.Second)
	}
	time.Sleep(triggers.DefaultBlobPollInterval + 2*time.Second)
	base := countRuns(t, c, "blob-in")
	t.Logf("%d probe objects started runs", base)
	if err := s.Stop(harness.StopTimeout); err != nil {
		t.Fatal(err)
	}

	for i := range 200 {
		write(t, fmt.Sprintf("in/down-%03d.json", i))
	}
	s = start()
	c = s.Client(t)
	waitRuns(t, c, "blob-in", base+200, time.Minute)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			write(t, fmt.Sprintf("in/burst-%03d.json", i))
			time.Sleep(40 * time.Millisecond)
		}
	}()
	waitFor(t, "the burst started", time.Minute, func() bool { return countRuns(t, c, "blob-in") >= base+250 })
	atKill := countRuns(t, c, "blob-in") - base
	s.Kill()
	t.Logf("killed at about %d of 400 runs", atKill)
	wg.Wait()
	s = start()
	waitRuns(t, s.Client(t), "blob-in", base+400, time.Minute)

	var st struct{ Triggers []triggers.Status }
	getJSON(t, s.APIURL+"/v1/triggers", &st)
	if len(st.Triggers) != 1 || st.Triggers[0].Type != "blob" || st.Triggers[0].Source != "uploads: in/*" || st.Triggers[0].Failed != 0 {
		t.Fatalf("trigger status %+v", st.Triggers)
	}

	// The default id names the object version; the run gets the event.
	plans, err := dsl.Load("blob-in.yaml", []byte(blobInYAML), dsl.TestRegistry())
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := bucket.Attributes(ctx, "in/down-007.json")
	if err != nil {
		t.Fatal(err)
	}
	id := triggers.RunID("blob-in", triggers.Key(plans[0], 0), "in/down-007.json@"+attrs.ModTime.UTC().Format(time.RFC3339Nano))
	var event map[string]any
	if err := s.Client(t).GetWorkflow(ctx, id, "").Get(ctx, &event); err != nil {
		t.Fatalf("the run of in/down-007.json: %v", err)
	}
	if event["key"] != "in/down-007.json" || event["bucket"] != "uploads" || event["contentType"] != "application/json" ||
		event["size"] != float64(attrs.Size) || event["modTime"] == nil {
		t.Fatalf("event %v", event)
	}
}
