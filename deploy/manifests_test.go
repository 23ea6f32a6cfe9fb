package deploy_test

import (
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func readManifests(t *testing.T, name string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []map[string]any
	dec := yaml.NewDecoder(f)
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("decoding deploy/%s: %v", name, err)
		}
		docs = append(docs, doc)
	}
}

func find(t *testing.T, docs []map[string]any, kind, name string) map[string]any {
	t.Helper()
	for _, d := range docs {
		if d["kind"] == kind && dig(d, "metadata", "name") == name {
			return d
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

// dig follows map keys; it is nil where one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The serve manifests must fit together and fit keda.yaml, which asks the
// API's Service for the pools' desired replicas.
func TestServeManifestsFitTogether(t *testing.T) {
	docs := readManifests(t, "serve.yaml")
	dep := find(t, docs, "Deployment", "fnchain-api")
	svc := find(t, docs, "Service", "fnchain-api")

	podLabels, _ := dig(dep, "spec", "template", "metadata", "labels").(map[string]any)
	selector, _ := dig(svc, "spec", "selector").(map[string]any)
	if len(selector) == 0 || !contains(podLabels, selector) {
		t.Errorf("Service selector %v does not select the pods %v", selector, podLabels)
	}
	containers, _ := dig(dep, "spec", "template", "spec", "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("want one container, got %d", len(containers))
	}
	c := containers[0].(map[string]any)
	args, _ := c["args"].([]any)
	if len(args) == 0 || args[0] != "serve" {
		t.Errorf("container args %v, want serve first", args)
	}
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if dig(c, probe, "httpGet", "path") == nil {
			t.Errorf("no %s", probe)
		}
	}
	if dig(c, "readinessProbe", "httpGet", "path") != "/readyz" {
		t.Errorf("readiness must be /readyz, which answers only once Temporal is connected")
	}

	keda := readManifests(t, "keda.yaml")
	triggers, _ := dig(find(t, keda, "ScaledObject", "fnchain-worker"), "spec", "triggers").([]any)
	var apiURL string
	for _, tr := range triggers {
		if dig(tr, "type") == "metrics-api" {
			apiURL, _ = dig(tr, "metadata", "url").(string)
		}
	}
	u, err := url.Parse(apiURL)
	if err != nil || apiURL == "" {
		t.Fatalf("keda.yaml metrics-api url %q: %v", apiURL, err)
	}
	if !strings.HasPrefix(u.Hostname(), "fnchain-api.") || u.Port() != "8080" {
		t.Errorf("keda.yaml asks %s, which is not the Service fnchain-api on port 8080", u.Host)
	}
	if ports, _ := dig(svc, "spec", "ports").([]any); len(ports) == 0 || dig(ports[0], "port") != 8080 {
		t.Errorf("Service fnchain-api ports %v, want 8080", ports)
	}
}

func contains(m, sub map[string]any) bool {
	for k, v := range sub {
		if m[k] != v {
			return false
		}
	}
	return true
}
