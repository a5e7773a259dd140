package route

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestParseCode(t *testing.T) {
	tests := map[string]uint32{"3": 3, "16": 16, "0": 2, "17": 2, "404": 2, "x": 2, "": 2, "-1": 2}
	for in, want := range tests {
		if got := parseCode(in); got != want {
			t.Errorf("parseCode(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestRequestError(t *testing.T) {
	tests := []struct {
		in   error
		want error
	}{
		{nats.ErrNoResponders, ErrNoNode},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), ErrTimeout},
		{nats.ErrTimeout, ErrTimeout},
		{context.Canceled, ErrCanceled},
		{nats.ErrConnectionClosed, ErrConnectionLost},
	}
	for _, tt := range tests {
		if got := requestError(context.Background(), tt.in); !errors.Is(got, tt.want) {
			t.Errorf("requestError(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// Cancelled at the deadline: the caller's deadline passed.
	ctx, cancel := context.WithTimeout(context.Background(), deadlineSlack/2)
	defer cancel()
	if got := requestError(ctx, context.Canceled); !errors.Is(got, ErrTimeout) {
		t.Errorf("cancelled at the deadline: %v, want ErrTimeout", got)
	}
}
