package platform

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGuardHTTP(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name, certs, addr, path string
		want                    int
	}{
		{"insecure", "", "0.0.0.0:8080", "/api/records", http.StatusOK},
		{"secure, loopback", "/certs", "127.0.0.1:8080", "/api/records", http.StatusOK},
		{"secure, localhost", "/certs", "localhost:8080", "/api/records", http.StatusOK},
		{"secure, all interfaces", "/certs", "0.0.0.0:8080", "/api/records", http.StatusForbidden},
		{"secure, all interfaces, counters", "/certs", "0.0.0.0:8080", "/api/stats", http.StatusOK},
		{"secure, all interfaces, profiles", "/certs", "0.0.0.0:8080", "/debug/pprof/heap", http.StatusForbidden},
		{"secure, loopback, profiles", "/certs", "127.0.0.1:8080", "/debug/pprof/heap", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Platform{cfg: Config{HTTPAddr: tt.addr}}
			p.sec.certs = "/certs"
			if tt.certs == "" {
				p.sec.certs = ""
			}
			rec := httptest.NewRecorder()
			p.guardHTTP(ok).ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.want {
				t.Fatalf("GET %s = %d, want %d", tt.path, rec.Code, tt.want)
			}
		})
	}
}
