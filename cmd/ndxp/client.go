package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ndxp/ndxp/internal/platform"
)

// clientFlags are the flags every subcommand that talks to a hub takes.
type clientFlags struct {
	hub string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.hub, "hub", platform.DefaultGRPCAddr, "the hub's gRPC address (host:port); the default is where \"ndxp up\" listens")
}

// dial connects to the hub.
func (f *clientFlags) dial() (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(f.hub, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("hub address %q: %w", f.hub, err)
	}
	return conn, nil
}
