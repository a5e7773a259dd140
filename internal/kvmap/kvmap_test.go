package kvmap_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/kvmap"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func open(t *testing.T, url string) *kvmap.Map[*hubv1.Agency] {
	t.Helper()
	js := hubtest.JetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := kvmap.Open(ctx, js, kvmap.Config{Bucket: "test"}, func() *hubv1.Agency { return &hubv1.Agency{} }, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestTwoMirrors checks that a write through one mirror is read at once
// there, reaches another mirror of the same bucket by its watch, and is
// loaded by a mirror opened later; deletes too.
func TestTwoMirrors(t *testing.T) {
	ns := hubtest.StartNATS(t)
	ctx := context.Background()
	a, b := open(t, ns.ClientURL()), open(t, ns.ClientURL())
	if err := a.Put(ctx, "k1", &hubv1.Agency{Code: "000.00.00.H01"}); err != nil {
		t.Fatal(err)
	}
	if v, ok := a.Get("k1"); !ok || v.GetCode() != "000.00.00.H01" {
		t.Fatalf("a.Get = %v, %v", v, ok)
	}
	hubtest.Eventually(t, 10*time.Second, func() error {
		if _, ok := b.Get("k1"); !ok {
			return fmt.Errorf("b has not seen k1")
		}
		return nil
	})
	if err := b.Put(ctx, "k0", &hubv1.Agency{Code: "000.00.00.H02"}); err != nil {
		t.Fatal(err)
	}
	c := open(t, ns.ClientURL())
	if keys := c.Keys(); len(keys) != 2 || keys[0] != "k0" || keys[1] != "k1" {
		t.Fatalf("c.Keys = %v, want [k0 k1]", keys)
	}
	if err := c.Delete(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 10*time.Second, func() error {
		if vals := a.Values(func(*hubv1.Agency) bool { return true }); len(vals) != 1 || vals[0].GetCode() != "000.00.00.H02" {
			return fmt.Errorf("a holds %v", vals)
		}
		return nil
	})
}
