package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// conn is one worker's own keep-alive HTTP/1.1 connection. A worker sends a
// request and reads its answer on the same goroutine, without the
// net/http client's per-connection reader and writer goroutines and the
// hand-offs between them: on a 2-core machine shared with the server under
// test, every microsecond the load generator spends is one the server does
// not get. Requests are still signed one by one, when they are sent.
type conn struct {
	c      *client
	t      target
	u      *url.URL
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	req    *http.Request // reused: its headers are rewritten for each request
	reader bytes.Reader
}

// newConn returns a connection for requests to t; it dials on first use.
func (c *client) newConn(t target) (*conn, error) {
	u, err := url.Parse(t.url)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("the measuring connection speaks plain HTTP; endpoint %s", t.url)
	}
	return &conn{c: c, t: t, u: u}, nil
}

// dial opens the TCP connection.
func (k *conn) dial(ctx context.Context) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", k.u.Host)
	if err != nil {
		return err
	}
	k.nc, k.br, k.bw = nc, bufio.NewReaderSize(nc, 16<<10), bufio.NewWriterSize(nc, 8<<10)
	return nil
}

// close closes the TCP connection, if open.
func (k *conn) close() {
	if k.nc != nil {
		k.nc.Close()
		k.nc = nil
	}
}

// post signs body with the current time and sends it; it returns as
// client.post does. A failed exchange closes the connection, and the next
// call dials again.
func (k *conn) post(ctx context.Context, body []byte) (int, []byte, error) {
	if k.nc == nil {
		if err := k.dial(ctx); err != nil {
			return 0, nil, err
		}
	}
	status, errBody, err := k.exchange(body)
	if err != nil {
		k.close()
	}
	return status, errBody, err
}

func (k *conn) exchange(body []byte) (int, []byte, error) {
	if k.req == nil {
		k.req = &http.Request{Method: http.MethodPost, URL: k.u, Host: k.u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	}
	k.req.Header = http.Header{"Content-Type": {k.t.contentType}}
	k.reader.Reset(body)
	k.req.Body = io.NopCloser(&k.reader)
	k.req.ContentLength = int64(len(body))
	if err := sigv4.Sign(k.req, body, k.c.cred, k.c.region, k.t.service, time.Now()); err != nil {
		return 0, nil, err
	}
	if err := k.req.Write(k.bw); err != nil {
		return 0, nil, err
	}
	if err := k.bw.Flush(); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(k.br, k.req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var errBody []byte
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if errBody, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody)); err != nil {
			return 0, nil, err
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, nil, err
	}
	if resp.Close {
		k.close()
	}
	return resp.StatusCode, errBody, nil
}
