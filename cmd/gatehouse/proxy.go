package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse-iam/gatehouse/gateway"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// proxyConfig is what `gatehouse proxy` is started with.
type proxyConfig struct {
	listen, upstream, routes, gatehouse, accessKey, secretKey, region, tlsCert, tlsKey string
}

// parseProxyFlags reads and checks the proxy's flags.
func parseProxyFlags(args []string, stderr io.Writer) (proxyConfig, error) {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c proxyConfig
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.upstream, "upstream", "", "URL of the service to protect (required)")
	fs.StringVar(&c.routes, "routes", "", "routes file (JSON, see docs/gateway.md) (required)")
	fs.StringVar(&c.gatehouse, "gatehouse", "http://127.0.0.1:4566", "Gatehouse endpoint whose decision API decides")
	fs.StringVar(&c.accessKey, "access-key", os.Getenv("GATEHOUSE_PROXY_ACCESS_KEY_ID"), "the proxy's own access key, allowed gatehouse:Authorize (env GATEHOUSE_PROXY_ACCESS_KEY_ID)")
	fs.StringVar(&c.secretKey, "secret-key", os.Getenv("GATEHOUSE_PROXY_SECRET_ACCESS_KEY"), "its secret access key (env GATEHOUSE_PROXY_SECRET_ACCESS_KEY)")
	fs.StringVar(&c.region, "region", "us-east-1", "region the proxy signs its decision API calls for")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate file: serve HTTPS (aws:SecureTransport is true only then)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key file for --tls-cert")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.upstream == "" || c.routes == "":
		return c, errors.New("--upstream and --routes are required")
	case c.accessKey == "" || c.secretKey == "":
		return c, errors.New("--access-key and --secret-key are required")
	case (c.tlsCert == "") != (c.tlsKey == ""):
		return c, errors.New("--tls-cert and --tls-key go together")
	}
	return c, nil
}

// newProxyHandler builds the gateway that c describes.
func newProxyHandler(c proxyConfig) (http.Handler, error) {
	up, err := url.Parse(c.upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return nil, fmt.Errorf("--upstream %q: want an http(s) URL", c.upstream)
	}
	f, err := os.Open(c.routes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	routes, err := gateway.ParseRoutes(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.routes, err)
	}
	dec := gateway.NewRemote(c.gatehouse, sigv4.Credential{AccessKeyID: c.accessKey, SecretAccessKey: c.secretKey}, c.region)
	return gateway.NewProxy(up, gateway.Config{Routes: routes, Decider: dec}), nil
}

// runProxy runs `gatehouse proxy` until interrupted.
func runProxy(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	c, err := parseProxyFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse proxy: %v\n", err)
		return 2
	}
	h, err := newProxyHandler(c)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse proxy: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse proxy: %v\n", err)
		return 1
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	fmt.Fprintf(stdout, "gatehouse proxy: %s -> %s (decisions from %s)\n", ln.Addr(), c.upstream, c.gatehouse)
	if c.tlsCert != "" {
		err = hs.ServeTLS(ln, c.tlsCert, c.tlsKey)
	} else {
		err = hs.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "gatehouse proxy: %v\n", err)
		return 1
	}
	return 0
}
