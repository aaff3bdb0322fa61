package deploy

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const chart = "helm/stageindex"

// helmCommand is helm as `make test` runs it (STAGEINDEX_HELM), or else
// built from the Go module proxy at the pinned version, cached in the Go
// build cache after the first time.
func helmCommand(t *testing.T) []string {
	t.Helper()
	if c := strings.Fields(os.Getenv("STAGEINDEX_HELM")); len(c) > 0 {
		return c
	}
	v, err := os.ReadFile("helm/helm-version")
	if err != nil {
		t.Fatal(err)
	}
	return []string{"go", "run", "helm.sh/helm/v3/cmd/helm@" + strings.TrimSpace(string(v))}
}

// render runs helm template with --set values and returns the manifests,
// or helm's error output.
func render(t *testing.T, release string, set ...string) ([]manifest, error) {
	t.Helper()
	cmd := helmCommand(t)
	args := append(cmd[1:], "template", release, chart)
	for _, s := range set {
		args = append(args, "--set", s)
	}
	c := exec.Command(cmd[0], args...)
	// helm's own state, not the developer's.
	home := t.TempDir()
	c.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return nil, errors.New(stderr.String())
	}
	return parseManifests(t, stdout.Bytes()), nil
}

// manifest is one rendered object: its kind and name, and the document
// to decode further.
type manifest struct {
	Kind     string
	Metadata meta
	node     yaml.Node
}

type meta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func parseManifests(t *testing.T, b []byte) []manifest {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []manifest
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, b)
		}
		var m manifest
		if err := n.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Kind == "" {
			continue // an empty document
		}
		m.node = n
		out = append(out, m)
	}
}

func find(ms []manifest, kind string) []manifest {
	var out []manifest
	for _, m := range ms {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func one[T any](t *testing.T, ms []manifest, kind string) T {
	t.Helper()
	f := find(ms, kind)
	if len(f) != 1 {
		t.Fatalf("%d %s rendered, want 1", len(f), kind)
	}
	var v T
	if err := f[0].node.Decode(&v); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return v
}

type workload struct {
	Kind     string `yaml:"kind"`
	Metadata meta   `yaml:"metadata"`
	Spec     struct {
		Replicas    *int   `yaml:"replicas"`
		ServiceName string `yaml:"serviceName"`
		Selector    struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata meta    `yaml:"metadata"`
			Spec     podSpec `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				Resources struct {
					Requests map[string]string `yaml:"requests"`
				} `yaml:"resources"`
			} `yaml:"spec"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
		RunAsGroup   int  `yaml:"runAsGroup"`
		FSGroup      int  `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	InitContainers []container `yaml:"initContainers"`
	Containers     []container `yaml:"containers"`
	Volumes        []struct {
		Name     string    `yaml:"name"`
		EmptyDir *struct{} `yaml:"emptyDir"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	StartupProbe   *probe `yaml:"startupProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

func (c container) env(name string) (value string, secret *struct{ Name, Key string }, ok bool) {
	for _, e := range c.Env {
		if e.Name == name {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return "", &struct{ Name, Key string }{e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key}, true
			}
			return e.Value, nil, true
		}
	}
	return "", nil, false
}

func (c container) port(name string) int {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

type service struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		ClusterIP string            `yaml:"clusterIP"`
		Selector  map[string]string `yaml:"selector"`
		Ports     []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

// imageUser reads the Dockerfile's USER uid:gid.
func imageUser(t *testing.T) (uid, gid int) {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("Dockerfile has no numeric USER uid:gid")
	}
	uid, _ = strconv.Atoi(string(m[1]))
	gid, _ = strconv.Atoi(string(m[2]))
	return uid, gid
}

// checkPod checks what every rendering must get right: the probes, the
// port, the environment, the data dir, the user and the resources.
func checkPod(t *testing.T, w workload, secretName, secretKey string) {
	t.Helper()
	pod := w.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.Equal(c.Args[:1], []string{"serve"}) {
		t.Errorf("args %q, want serve first", c.Args)
	}
	port := c.port("http")
	if port == 0 {
		t.Fatal("no container port named http")
	}
	if addr, _, _ := c.env("STAGEINDEX_ADDR"); addr != ":"+strconv.Itoa(port) {
		t.Errorf("STAGEINDEX_ADDR %q, container port %d", addr, port)
	}
	for _, p := range []struct {
		name string
		pr   *probe
		path string
	}{{"startup", c.StartupProbe, "/readyz"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if p.pr == nil || p.pr.HTTPGet == nil {
			t.Errorf("no %s probe", p.name)
			continue
		}
		if p.pr.HTTPGet.Path != p.path || p.pr.HTTPGet.Port != "http" {
			t.Errorf("%s probe GET %s on %s, want %s on http", p.name, p.pr.HTTPGet.Path, p.pr.HTTPGet.Port, p.path)
		}
		if p.pr.PeriodSeconds <= 0 || p.pr.FailureThreshold <= 0 {
			t.Errorf("%s probe: period %d, threshold %d", p.name, p.pr.PeriodSeconds, p.pr.FailureThreshold)
		}
	}
	// The first build must fit in the startup probe: 4 min at 1M offers.
	if s := c.StartupProbe; s != nil && s.PeriodSeconds*s.FailureThreshold < 300 {
		t.Errorf("startup probe allows %d s for the first build, want ≥ 300", s.PeriodSeconds*s.FailureThreshold)
	}
	_, ref, ok := c.env("DATABASE_URL")
	if !ok || ref == nil || ref.Name != secretName || ref.Key != secretKey {
		t.Errorf("DATABASE_URL from %+v, want Secret %s key %s", ref, secretName, secretKey)
	}
	if v, _, _ := c.env("STAGEINDEX_SCHEMA"); v != "stageindex" {
		t.Errorf("STAGEINDEX_SCHEMA %q", v)
	}
	dataDir, _, _ := c.env("STAGEINDEX_DATA_DIR")
	var dataMount string
	for _, m := range c.VolumeMounts {
		if m.Name == "data" {
			dataMount = m.MountPath
		}
	}
	if dataMount == "" || !strings.HasPrefix(dataDir, dataMount+"/") {
		t.Errorf("STAGEINDEX_DATA_DIR %q is not under the data volume (mounted at %q)", dataDir, dataMount)
	}
	if a := w.Spec.Template.Metadata.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != strconv.Itoa(port) || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v", a)
	}
	uid, gid := imageUser(t)
	if sc := pod.SecurityContext; !sc.RunAsNonRoot || sc.RunAsUser != uid || sc.RunAsGroup != gid || sc.FSGroup != gid {
		t.Errorf("pod securityContext %+v, want the image's %d:%d", sc, uid, gid)
	}
	if c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" || c.Resources.Requests["cpu"] == "" {
		t.Errorf("resources %+v", c.Resources)
	}
	for k, v := range w.Spec.Selector.MatchLabels {
		if w.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels %v", k, v, w.Spec.Template.Metadata.Labels)
		}
	}
}

func checkService(t *testing.T, ms []manifest, w workload) {
	t.Helper()
	for _, m := range find(ms, "Service") {
		var s service
		if err := m.node.Decode(&s); err != nil {
			t.Fatal(err)
		}
		for k, v := range s.Spec.Selector {
			if w.Spec.Template.Metadata.Labels[k] != v {
				t.Errorf("service %s selects %s=%s, not on the pods", s.Metadata.Name, k, v)
			}
		}
		c := w.Spec.Template.Spec.Containers[0]
		for _, p := range s.Spec.Ports {
			if c.port(p.TargetPort) == 0 {
				t.Errorf("service %s targets port %q, not a container port", s.Metadata.Name, p.TargetPort)
			}
		}
	}
}

func TestChartDefaults(t *testing.T) {
	t.Parallel()
	ms, err := render(t, "prod", "database.existingSecret=pg-url", "database.secretKey=url")
	if err != nil {
		t.Fatal(err)
	}
	w := one[workload](t, ms, "Deployment")
	if w.Spec.Replicas == nil || *w.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", w.Spec.Replicas)
	}
	checkPod(t, w, "pg-url", "url")
	if _, _, ok := w.Spec.Template.Spec.Containers[0].env("GOMEMLIMIT"); ok {
		t.Error("GOMEMLIMIT set by default: serve's own limit should apply")
	}
	checkService(t, ms, w)
	if len(find(ms, "Secret")) != 0 {
		t.Error("a Secret rendered although database.existingSecret names one")
	}
	if len(find(ms, "HorizontalPodAutoscaler")) != 0 || len(find(ms, "StatefulSet")) != 0 {
		t.Error("HPA or StatefulSet rendered by default")
	}
	pdb := one[struct {
		Spec struct {
			MaxUnavailable int `yaml:"maxUnavailable"`
			Selector       struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
		} `yaml:"spec"`
	}](t, ms, "PodDisruptionBudget")
	if pdb.Spec.MaxUnavailable != 1 || len(pdb.Spec.Selector.MatchLabels) == 0 {
		t.Errorf("PDB %+v", pdb.Spec)
	}
	for k, v := range pdb.Spec.Selector.MatchLabels {
		if w.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("PDB selects %s=%s, not on the pods", k, v)
		}
	}
	var emptyDir bool
	for _, v := range w.Spec.Template.Spec.Volumes {
		emptyDir = emptyDir || (v.Name == "data" && v.EmptyDir != nil)
	}
	if !emptyDir {
		t.Error("data dir is not an emptyDir")
	}
}

func TestChartSecretFromValues(t *testing.T) {
	t.Parallel()
	const u = "postgres://si:secret@db:5432/stageindex?sslmode=require"
	ms, err := render(t, "stageindex", "database.url="+u)
	if err != nil {
		t.Fatal(err)
	}
	secret := one[struct {
		Metadata   meta              `yaml:"metadata"`
		StringData map[string]string `yaml:"stringData"`
	}](t, ms, "Secret")
	if secret.StringData["DATABASE_URL"] != u {
		t.Errorf("Secret data %v, want DATABASE_URL=%s", secret.StringData, u)
	}
	w := one[workload](t, ms, "Deployment")
	if w.Metadata.Name != "stageindex" {
		t.Errorf("a release named like the chart gives %q", w.Metadata.Name)
	}
	checkPod(t, w, secret.Metadata.Name, "DATABASE_URL")
	if w.Spec.Template.Metadata.Annotations["checksum/database"] == "" {
		t.Error("no checksum of the Secret on the pods: a new URL would not roll them")
	}
	// Never in the pod spec itself.
	for _, m := range find(ms, "Deployment") {
		var raw bytes.Buffer
		yaml.NewEncoder(&raw).Encode(&m.node)
		if strings.Contains(raw.String(), "secret@db") {
			t.Error("the database URL appears in the Deployment")
		}
	}
}

func TestChartPersistenceAutoscalingMigrate(t *testing.T) {
	t.Parallel()
	ms, err := render(t, "si", "database.existingSecret=pg", "persistence.enabled=true", "persistence.size=5Gi",
		"autoscaling.enabled=true", "database.migrateOnStart=true")
	if err != nil {
		t.Fatal(err)
	}
	w := one[workload](t, ms, "StatefulSet")
	if len(find(ms, "Deployment")) != 0 {
		t.Error("a Deployment besides the StatefulSet")
	}
	checkPod(t, w, "pg", "DATABASE_URL")
	checkService(t, ms, w)
	if w.Spec.Replicas != nil {
		t.Errorf("replicas %d set although the HPA owns them", *w.Spec.Replicas)
	}
	if len(w.Spec.VolumeClaimTemplates) != 1 || w.Spec.VolumeClaimTemplates[0].Metadata.Name != "data" ||
		w.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests["storage"] != "5Gi" {
		t.Errorf("volume claim templates %+v", w.Spec.VolumeClaimTemplates)
	}
	for _, v := range w.Spec.Template.Spec.Volumes {
		if v.Name == "data" {
			t.Error("a pod volume named data shadows the claim")
		}
	}
	var governing bool
	for _, m := range find(ms, "Service") {
		var s service
		m.node.Decode(&s)
		governing = governing || (s.Metadata.Name == w.Spec.ServiceName && s.Spec.ClusterIP == "None")
	}
	if !governing {
		t.Errorf("no headless Service %q for the StatefulSet", w.Spec.ServiceName)
	}
	hpa := one[struct {
		Spec struct {
			ScaleTargetRef struct {
				Kind string `yaml:"kind"`
				Name string `yaml:"name"`
			} `yaml:"scaleTargetRef"`
			MinReplicas int `yaml:"minReplicas"`
			MaxReplicas int `yaml:"maxReplicas"`
			Metrics     []struct {
				Resource struct {
					Name string `yaml:"name"`
				} `yaml:"resource"`
			} `yaml:"metrics"`
		} `yaml:"spec"`
	}](t, ms, "HorizontalPodAutoscaler")
	if hpa.Spec.ScaleTargetRef.Kind != "StatefulSet" || hpa.Spec.ScaleTargetRef.Name != w.Metadata.Name ||
		hpa.Spec.MinReplicas < 2 || hpa.Spec.MaxReplicas < hpa.Spec.MinReplicas ||
		len(hpa.Spec.Metrics) != 1 || hpa.Spec.Metrics[0].Resource.Name != "cpu" {
		t.Errorf("HPA %+v", hpa.Spec)
	}
	ic := w.Spec.Template.Spec.InitContainers
	if len(ic) != 1 || !slices.Equal(ic[0].Args, []string{"migrate"}) {
		t.Fatalf("init containers %+v, want one running migrate", ic)
	}
	if _, ref, _ := ic[0].env("DATABASE_URL"); ref == nil || ref.Name != "pg" {
		t.Errorf("migrate's DATABASE_URL from %+v", ref)
	}
	if len(find(ms, "PodDisruptionBudget")) != 1 {
		t.Error("no PDB with autoscaling")
	}
}

func TestChartOneReplicaAndErrors(t *testing.T) {
	t.Parallel()
	ms, err := render(t, "one", "database.existingSecret=pg", "replicaCount=1", "config.source=platform.offers",
		"config.rebuildSchedule=@daily", "config.trustedProxies=10.244.0.0/16", "config.maxConnsPerIP=-1", "config.goMemLimit=270MiB")
	if err != nil {
		t.Fatal(err)
	}
	if len(find(ms, "PodDisruptionBudget")) != 0 {
		t.Error("a PDB for a single replica would block every drain")
	}
	c := one[workload](t, ms, "Deployment").Spec.Template.Spec.Containers[0]
	if v, _, _ := c.env("STAGEINDEX_SOURCE"); v != "platform.offers" {
		t.Errorf("STAGEINDEX_SOURCE %q", v)
	}
	for name, want := range map[string]string{"STAGEINDEX_REBUILD_SCHEDULE": "@daily",
		"STAGEINDEX_TRUSTED_PROXIES": "10.244.0.0/16", "STAGEINDEX_MAX_CONNS_PER_IP": "-1", "GOMEMLIMIT": "270MiB"} {
		if v, _, _ := c.env(name); v != want {
			t.Errorf("%s %q, want %q", name, v, want)
		}
	}
	// Unset values leave serve's defaults: no empty variable.
	if _, _, ok := c.env("STAGEINDEX_RATE_LIMIT"); ok {
		t.Error("STAGEINDEX_RATE_LIMIT set although config.rateLimit is empty")
	}
	// Without a URL or a Secret, the chart refuses to render.
	if _, err := render(t, "none"); err == nil || !strings.Contains(err.Error(), "database.existingSecret") {
		t.Errorf("render without database settings: %v, want a refusal naming database.existingSecret", err)
	}
}

// compose is the part of compose.yaml the test reads.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       string            `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		DependsOn   yaml.Node         `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes  map[string]any `yaml:"volumes"`
	Networks struct {
		Default struct {
			IPAM struct {
				Config []struct {
					Subnet string `yaml:"subnet"`
				} `yaml:"config"`
			} `yaml:"ipam"`
		} `yaml:"default"`
	} `yaml:"networks"`
}

// TestCompose checks compose.yaml (no Docker engine here): PostgreSQL, a
// migration, two or more replicas with their own volumes, HAProxy routing
// to exactly those replicas with the checked configuration.
func TestCompose(t *testing.T) {
	b, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	pg, ok := c.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:15") {
		t.Fatalf("postgres service %+v, want PostgreSQL 15 (the tested version)", pg)
	}
	wantURL := (&url.URL{Scheme: "postgres", User: url.UserPassword(pg.Environment["POSTGRES_USER"], pg.Environment["POSTGRES_PASSWORD"]),
		Host: "postgres:5432", Path: "/" + pg.Environment["POSTGRES_DB"], RawQuery: "sslmode=disable"}).String()
	if m := c.Services["migrate"]; !slices.Equal(m.Command, []string{"migrate"}) || m.Build != "." || m.Environment["DATABASE_URL"] != wantURL {
		t.Errorf("migrate service %+v", m)
	}
	var replicas []string
	seenVolumes := map[string]bool{}
	for name, s := range c.Services {
		if !slices.Equal(s.Command, []string{"serve"}) {
			continue
		}
		replicas = append(replicas, name)
		if s.Image != c.Services["migrate"].Image || s.Environment["DATABASE_URL"] != wantURL {
			t.Errorf("%s: image %q, DATABASE_URL %q", name, s.Image, s.Environment["DATABASE_URL"])
		}
		// Rate limits by client: HAProxy's X-Forwarded-For trusted from
		// the project's network only.
		if cfg := c.Networks.Default.IPAM.Config; len(cfg) != 1 || s.Environment["STAGEINDEX_TRUSTED_PROXIES"] != cfg[0].Subnet {
			t.Errorf("%s trusts %q as proxies, the network is %+v", name, s.Environment["STAGEINDEX_TRUSTED_PROXIES"], cfg)
		}
		var dep map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := s.DependsOn.Decode(&dep); err != nil || dep["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s does not wait for the migration: %v", name, err)
		}
		if len(s.Volumes) != 1 || !strings.HasSuffix(s.Volumes[0], ":/data") {
			t.Errorf("%s volumes %v, want one at /data (the image's data dir)", name, s.Volumes)
			continue
		}
		vol := strings.TrimSuffix(s.Volumes[0], ":/data")
		if seenVolumes[vol] {
			t.Errorf("%s shares volume %s: each replica needs its own index", name, vol)
		}
		if _, ok := c.Volumes[vol]; !ok {
			t.Errorf("volume %s not declared", vol)
		}
		seenVolumes[vol] = true
	}
	slices.Sort(replicas)
	if len(replicas) < 2 {
		t.Fatalf("replicas %v, want 2 or more", replicas)
	}
	hp := c.Services["haproxy"]
	if !strings.HasPrefix(hp.Image, "haproxy:2.6") || !slices.Contains(hp.Ports, "8080:8080") {
		t.Errorf("haproxy service %+v", hp)
	}
	const cfgMount = "./deploy/compose/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"
	if !slices.Contains(hp.Volumes, cfgMount) {
		t.Fatalf("haproxy volumes %v, want %s", hp.Volumes, cfgMount)
	}
	cfg, err := os.ReadFile("compose/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var servers []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server (\S+) (\S+):8080\b`).FindAllSubmatch(cfg, -1) {
		if string(m[1]) != string(m[2]) {
			t.Errorf("server %s points at %s", m[1], m[2])
		}
		servers = append(servers, string(m[2]))
	}
	slices.Sort(servers)
	if !slices.Equal(servers, replicas) {
		t.Errorf("HAProxy routes to %v, compose runs %v", servers, replicas)
	}
	for _, want := range []string{"option forwardfor", "option httpchk GET /readyz", "http-check expect status 200", "option redispatch", "retry-on conn-failure empty-response"} {
		if !bytes.Contains(cfg, []byte(want)) {
			t.Errorf("haproxy.cfg lacks %q", want)
		}
	}
	if _, err := exec.LookPath("haproxy"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("haproxy not installed (scripts/setup.sh test installs it)")
		}
		t.Skip("haproxy not installed: configuration not checked by haproxy -c")
	}
	if out, err := exec.Command("haproxy", "-c", "-f", "compose/haproxy.cfg").CombinedOutput(); err != nil {
		t.Errorf("haproxy -c: %v\n%s", err, out)
	}
}

// TestDockerfile checks the image against what the chart and compose
// assume of it: the port, the data dir under /data, the health check.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EXPOSE 8080", "STAGEINDEX_ADDR=:8080", "STAGEINDEX_DATA_DIR=/data/index",
		`CMD ["/usr/local/bin/stageindex", "health"]`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(ignore)), ".git") {
		t.Error(".dockerignore does not leave .git out of the build context")
	}
	// Everything the binary embeds must stay in the build context.
	for _, dir := range []string{"web", "geo/data", "migrations", "internal/demo", "search"} {
		for _, line := range strings.Split(string(ignore), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") && strings.HasPrefix(dir, strings.Trim(line, "/")) {
				t.Errorf(".dockerignore's %q leaves out %s, which the binary embeds", line, dir)
			}
		}
	}
}
