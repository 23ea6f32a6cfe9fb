package deploy_test

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerBuild is the `go build` line of the Dockerfile's build stage, with
// its continuation lines joined.
func dockerBuild(t *testing.T, dockerfile string) string {
	t.Helper()
	f, err := os.Open(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var run strings.Builder
	inRun := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "RUN ") {
			inRun = true
			run.Reset()
		}
		if !inRun {
			continue
		}
		cont := strings.HasSuffix(line, `\`)
		run.WriteString(strings.TrimSuffix(line, `\`) + " ")
		if !cont {
			inRun = false
			if strings.Contains(run.String(), "go build") {
				return strings.Join(strings.Fields(run.String()), " ")
			}
		}
	}
	t.Fatalf("%s has no RUN line with go build", dockerfile)
	return ""
}

var buildLine = regexp.MustCompile(`(CGO_ENABLED=\S+) go build (-trimpath) -ldflags "([^"]*)" -o \S+ (\./cmd/orchestrator)`)

// The image runs the binary on distroless/static, which has no libc: it must
// not ask for a dynamic loader or any shared library. The test builds it
// with the Dockerfile's own command line.
func TestDockerfileBuildsAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("links the whole orchestrator")
	}
	repo := repoRoot(t)
	line := dockerBuild(t, filepath.Join(repo, "Dockerfile"))
	m := buildLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("the Dockerfile's build line changed shape, update this test to it: %s", line)
	}
	if m[1] != "CGO_ENABLED=0" {
		t.Fatalf("the Dockerfile builds with %s, want CGO_ENABLED=0", m[1])
	}
	ldflags := strings.ReplaceAll(m[3], "${VERSION}", "v0.0.0-imagetest")
	bin := filepath.Join(t.TempDir(), "orchestrator")
	cmd := exec.Command("go", "build", m[2], "-ldflags", ldflags, "-o", bin, m[4])
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), m[1])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP): it would not start on distroless/static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
	if f.Section(".debug_info") != nil {
		t.Error("the binary has DWARF: -ldflags lost -w")
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings CGO_ENABLED=%q -trimpath=%q, want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}

	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "orchestrator v0.0.0-imagetest") {
		t.Errorf("orchestrator version: %v: %q, want the version from -X main.version", err, out)
	}
}

// What the image exposes is what the compose file and the manifests use.
func TestDockerfileExposesTheDocumentedPorts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var exposed []string
	var user, entrypoint string
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "EXPOSE":
			exposed = append(exposed, fields[1:]...)
		case "USER":
			user = fields[1]
		case "ENTRYPOINT":
			entrypoint = strings.Join(fields[1:], " ")
		}
	}
	slices.Sort(exposed)
	if !slices.Equal(exposed, []string{"7233", "8080", "8233"}) {
		t.Errorf("EXPOSE %v, want 7233 8080 8233", exposed)
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q: the image must not run as root", user)
	}
	if !strings.Contains(entrypoint, "orchestrator") {
		t.Errorf("ENTRYPOINT %s does not run the orchestrator", entrypoint)
	}
}
