package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
)

func newNATSConfigCmd() *cobra.Command {
	var (
		dataDir, certDir, mount, out string
		insecure                     bool
		f                            = natsembed.File{Cluster: natsembed.Cluster{Name: "ndxp"}}
		clusterListen                string
	)
	cmd := &cobra.Command{
		Use:   "nats-config",
		Short: "Write a nats-server configuration with the embedded server's TLS, users and permissions",
		Long: `Write the configuration of one nats-server of an external NATS cluster, secured
exactly like the embedded server of "ndxp up", from the same Go code: TLS
with client certificates from the certificate folder, each certificate
mapped to a user by its URI SAN (verify_and_map), the hub's, the operator's
and every agency's permissions (an agency: its own service and discovery
subjects only, no JetStream), the system requests imported so that
"nats server ls" works, JetStream with explicit limits, routes over TLS and
a monitoring port (for prometheus-nats-exporter).

The servers present the certificate nats.crt of the folder: create it for
their host names with "ndxp certs --host" first. Regenerate the files when
an agency certificate is added: the users are listed in them.`,
		Example: `  ndxp certs --dir ./certs --host nats-1,nats-2,nats-3
  ndxp nats-config --certs ./certs --name n1 --store-dir /data/n1 \
      --listen 127.0.0.1:4222 --cluster-listen 127.0.0.1:6222 --monitor 127.0.0.1:8222 \
      --routes nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224 -o n1.conf
  nats-server -c n1.conf
  ndxp nats-config --certs ./certs --mount /certs --name nats-1 --store-dir /data \
      --routes nats://nats-1:6222,nats://nats-2:6222,nats://nats-3:6222   # in a container`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.ServerName == "" {
				return usagef("--name is required: every server of a cluster needs its own")
			}
			if f.StoreDir == "" {
				return usagef("--store-dir is required: where the server keeps JetStream's data")
			}
			if len(f.Cluster.Routes) == 0 {
				f.Cluster.Name = ""
			} else {
				host, port, err := splitPort(clusterListen)
				if err != nil {
					return usagef("--cluster-listen: %v", err)
				}
				f.Cluster.Host, f.Cluster.Port = host, port
			}
			if !insecure {
				if certDir == "" {
					dir := dataDir
					if dir == "" {
						dir = platform.DefaultDataDir()
					}
					certDir = string(pki.DefaultDir(dir))
				}
				d := pki.Dir(certDir)
				cert, key := d.Files(pki.NATS)
				if _, err := os.Stat(cert); err != nil {
					return fmt.Errorf("no NATS server certificate in %s (create it with: ndxp certs --dir %s --host <the servers' host names>)", d, d)
				}
				users, err := platform.NATSUsers(d)
				if err != nil {
					return err
				}
				f.Users = users
				f.CAFile, f.CertFile, f.KeyFile = d.CAFile(), cert, key
				if mount != "" {
					for _, p := range []*string{&f.CAFile, &f.CertFile, &f.KeyFile} {
						rel, err := filepath.Rel(certDir, *p)
						if err != nil {
							return err
						}
						*p = filepath.ToSlash(filepath.Join(mount, rel))
					}
				}
			}
			b, err := f.Render()
			if err != nil {
				return usagef("%v", err)
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			return os.WriteFile(out, b, 0o644)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.ServerName, "name", "", "the server's name, unique in the cluster (required); $VAR reads it from the environment, e.g. $POD_NAME in a StatefulSet")
	fs.StringVar(&f.StoreDir, "store-dir", "", "where the server keeps JetStream's data (required)")
	fs.StringVar(&f.Listen, "listen", "0.0.0.0:4222", "the client address (host:port)")
	fs.StringVar(&f.Monitor, "monitor", "0.0.0.0:8222", "the HTTP monitoring address (host:port; \"\" for none)")
	fs.StringVar(&clusterListen, "cluster-listen", "0.0.0.0:6222", "where routes from the other servers are accepted (host:port)")
	fs.StringSliceVar(&f.Cluster.Routes, "routes", nil, "every server's route URL, this one's included (e.g. nats://nats-1:6222,nats://nats-2:6222,nats://nats-3:6222); none: a single server")
	fs.StringVar(&f.Cluster.Name, "cluster", "ndxp", "the cluster's name, the same on every server")
	fs.Int64Var(&f.MaxMemory, "max-memory", natsembed.DefaultMaxMemory, "JetStream's memory limit in bytes")
	fs.Int64Var(&f.MaxStore, "max-store", natsembed.DefaultMaxStore, "JetStream's file storage limit in bytes")
	fs.StringVar(&dataDir, "data-dir", "", "the data dir whose certificate folder to use (default: <user cache dir>/ndxp)")
	fs.StringVar(&certDir, "certs", "", "the certificate folder (default: <data dir>/certs)")
	fs.StringVar(&mount, "mount", "", "where the certificate folder is mounted on the server, when not at the same path (e.g. /certs in a container)")
	fs.BoolVar(&insecure, "insecure", false, "no TLS and no users: for hubs run with --insecure (development only)")
	fs.StringVarP(&out, "output", "o", "", "write the configuration to this file (default: standard output)")
	return cmd
}

// splitPort splits "host:port" with a numeric port.
func splitPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return "", 0, fmt.Errorf("port %q is not a port number", port)
	}
	return host, n, nil
}
