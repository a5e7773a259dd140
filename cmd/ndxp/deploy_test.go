package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ndxp/ndxp/internal/pki"
)

const deployDir = "../../deploy"

// checkArgs fails the test unless args are a valid ndxp command line: a
// known subcommand with flags it has (as "ndxp <cmd> --help" lists them),
// and secure (no --insecure).
func checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	if slices.Contains(args, "--insecure") {
		t.Errorf("%s runs --insecure: only an explicitly named development variant may", where)
	}
	root := newRoot()
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Errorf("%s: %v is no ndxp subcommand: %v", where, args, err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: ndxp %s: %v", where, cmd.Name(), err)
		return
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Errorf("%s: ndxp %s: %v", where, cmd.Name(), err)
	}
}

// TestComposeIsSecure decodes deploy/compose.yaml with compose-go (as
// docker compose reads it) and checks that it runs secure: every ndxp
// command line is valid and without --insecure, the certificates are
// mounted, every long-running container has a health check (the
// exporters, whose images have no shell, are watched by Prometheus's up).
func TestComposeIsSecure(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{filepath.Join(deployDir, "compose.yaml")}, cli.WithName("ndxp"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go: %v", err)
	}
	for _, want := range []string{"pki", "nats1", "nats2", "nats3", "nats1-exporter", "hub1", "hub2", "agencies", "prometheus", "grafana"} {
		if _, ok := project.Services[want]; !ok {
			t.Errorf("no service %s", want)
		}
	}
	for name, s := range project.Services {
		oneShot := s.Restart == "no"
		if s.Image == "ndxp:dev" {
			checkArgs(t, "compose service "+name, s.Command)
			mounted := false
			for _, v := range s.Volumes {
				mounted = mounted || (v.Source == "pki" && v.Target == "/pki")
			}
			if !mounted {
				t.Errorf("compose service %s does not mount the pki volume at /pki", name)
			}
			if hc := s.HealthCheck; hc != nil && len(hc.Test) > 2 && hc.Test[1] == "/usr/local/bin/ndxp" {
				checkArgs(t, "compose service "+name+" health check", hc.Test[2:])
			}
		}
		if strings.HasPrefix(s.Image, "docker.io/library/nats:") && !slices.Contains(s.Command, "-c") {
			t.Errorf("compose service %s runs NATS without the generated configuration", name)
		}
		if !oneShot && !strings.Contains(s.Image, "prometheus-nats-exporter") && (s.HealthCheck == nil || len(s.HealthCheck.Test) == 0) {
			t.Errorf("compose service %s has no health check", name)
		}
	}
}

// manifest is one decoded Kubernetes object.
type manifest struct {
	metav1.TypeMeta
	file string
	doc  []byte
}

// manifests splits the YAML files of deploy/k8s into their objects.
func manifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "k8s", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []manifest
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var m manifest
			if err := yaml.Unmarshal([]byte(doc), &m.TypeMeta); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			m.file, m.doc = filepath.Base(f), []byte(doc)
			out = append(out, m)
		}
	}
	return out
}

// TestKubernetesIsSecure decodes every object of deploy/k8s into the
// official API types (unknown fields are errors) and checks: every ndxp
// command line is valid and secure, every container has readiness and
// liveness probes and runs as non-root without privilege escalation, the
// certificates come from the ndxp-pki Secret (with keys "ndxp certs"
// makes), every workload has a PodDisruptionBudget, the hubs' Service is
// headless (gRPC clients balance over the hubs), and nats.conf is what
// "ndxp nats-config" writes today.
func TestKubernetesIsSecure(t *testing.T) {
	d := pki.Dir(filepath.Join(t.TempDir(), "pki"))
	if code, _, errOut := runProcess(t, "certs", "--dir", string(d), "--host", "nats,nats-0.nats,nats-1.nats,nats-2.nats,ndxp-hub,ndxp-hub.ndxp.svc"); code != 0 {
		t.Fatal(errOut)
	}
	var (
		templates = map[string]corev1.PodTemplateSpec{} // by workload
		pdbs      []policyv1.PodDisruptionBudget
		services  = map[string]corev1.Service{}
	)
	for _, m := range manifests(t) {
		where := m.file + ": " + m.Kind
		switch m.Kind {
		case "Deployment":
			var o appsv1.Deployment
			strict(t, where, m.doc, &o)
			templates[o.Name] = o.Spec.Template
		case "StatefulSet":
			var o appsv1.StatefulSet
			strict(t, where, m.doc, &o)
			templates[o.Name] = o.Spec.Template
		case "Service":
			var o corev1.Service
			strict(t, where, m.doc, &o)
			services[o.Name] = o
		case "PodDisruptionBudget":
			var o policyv1.PodDisruptionBudget
			strict(t, where, m.doc, &o)
			pdbs = append(pdbs, o)
		default:
			t.Errorf("%s: unexpected kind", where)
		}
	}
	for _, want := range []string{"nats", "ndxp-hub", "ndxp-agencies"} {
		if _, ok := templates[want]; !ok {
			t.Errorf("no workload %s", want)
		}
	}
	for name, tmpl := range templates {
		sc := tmpl.Spec.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext without runAsNonRoot", name)
		}
		for _, c := range tmpl.Spec.Containers {
			where := name + "/" + c.Name
			if c.ReadinessProbe == nil {
				t.Errorf("%s: no readiness probe", where)
			}
			if c.LivenessProbe == nil && c.Name != "exporter" {
				t.Errorf("%s: no liveness probe", where)
			}
			if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
				t.Errorf("%s: privilege escalation not forbidden", where)
			}
			if c.Image == "ndxp:dev" {
				checkArgs(t, where, c.Args)
			}
		}
		for _, v := range tmpl.Spec.Volumes {
			if v.Secret == nil {
				continue
			}
			if v.Secret.SecretName != "ndxp-pki" {
				t.Errorf("%s: secret %s, want ndxp-pki", name, v.Secret.SecretName)
			}
			for _, item := range v.Secret.Items {
				if _, err := os.Stat(filepath.Join(string(d), item.Key)); err != nil {
					t.Errorf("%s: secret key %s is not made by ndxp certs: %v", name, item.Key, err)
				}
			}
		}
		covered := false
		for _, p := range pdbs {
			sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			covered = covered || sel.Matches(labelSet(tmpl.Labels))
		}
		if !covered {
			t.Errorf("%s: no PodDisruptionBudget", name)
		}
	}
	if s, ok := services["ndxp-hub"]; !ok || s.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("the hubs' Service is not headless: gRPC connections would stick to one hub")
	}

	// nats.conf is generated: the same command today writes the same file.
	want, err := os.ReadFile(filepath.Join(deployDir, "k8s", "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"nats-config", "--certs", string(d), "--mount", "/etc/nats-certs", "--name", "$POD_NAME", "--store-dir", "/data",
		"--routes", "nats://nats-0.nats:6222,nats://nats-1.nats:6222,nats://nats-2.nats:6222"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("deploy/k8s/nats.conf is stale: regenerate it with the command in deploy/k8s/kustomization.yaml")
	}
}

// strict decodes a manifest into its API type, refusing unknown fields.
func strict(t *testing.T, where string, doc []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Errorf("%s: %v", where, err)
	}
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

// TestNATSConfigMistakes: ndxp nats-config says what is missing and how
// to make it, with the usage exit status for a flag mistake.
func TestNATSConfigMistakes(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no name", []string{"nats-config", "--store-dir", "/data", "--insecure"}, 2, "--name is required"},
		{"no store", []string{"nats-config", "--name", "n1", "--insecure"}, 2, "--store-dir is required"},
		{"bad route port", []string{"nats-config", "--name", "n1", "--store-dir", "/data", "--insecure", "--routes", "nats://a:6222", "--cluster-listen", "0.0.0.0:x"}, 2, "--cluster-listen"},
		{"no certificates", []string{"nats-config", "--name", "n1", "--store-dir", "/data", "--certs", empty}, 1, "ndxp certs --dir " + empty + " --host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runProcess(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, %q; want exit %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
