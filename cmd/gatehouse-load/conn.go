package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// conn is one worker's own keep-alive HTTP/1.1 connection. A worker sends a
// request and reads its answer on the same goroutine, without the
// net/http client's per-connection reader and writer goroutines and the
// hand-offs between them: on a 2-core machine shared with the server under
// test, every microsecond the load generator spends is one the server does
// not get. For the same reason it writes requests and parses responses
// itself rather than through net/http's general machinery. Requests are
// still signed one by one, when they are sent.
type conn struct {
	c   *client
	t   target
	u   *url.URL
	nc  net.Conn
	br  *bufio.Reader
	bw  *bufio.Writer
	req *http.Request // reused: Sign writes its headers for each request
	num [20]byte      // scratch for formatting numbers
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
		k.req = &http.Request{Method: http.MethodPost, URL: k.u, Host: k.u.Host}
	}
	k.req.Header = http.Header{"Content-Type": {k.t.contentType}}
	if err := sigv4.Sign(k.req, body, k.c.cred, k.c.region, k.t.service, time.Now()); err != nil {
		return 0, nil, err
	}
	k.writeRequest(body)
	if err := k.bw.Flush(); err != nil {
		return 0, nil, err
	}
	return k.readResponse()
}

// writeRequest buffers the signed request: its request line, Host,
// Content-Length, the headers Sign set and the body.
func (k *conn) writeRequest(body []byte) {
	w := k.bw
	w.WriteString("POST ")
	w.WriteString(k.u.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(k.u.Host)
	w.WriteString("\r\nUser-Agent: gatehouse-load\r\nContent-Length: ")
	w.Write(strconv.AppendInt(k.num[:0], int64(len(body)), 10))
	for name, values := range k.req.Header {
		for _, v := range values {
			w.WriteString("\r\n")
			w.WriteString(name)
			w.WriteString(": ")
			w.WriteString(v)
		}
	}
	w.WriteString("\r\n\r\n")
	w.Write(body)
}

// readResponse reads one response: the status, and the body as client.post
// returns it (the start of a non-2xx body). It understands what servers
// send to a keep-alive HTTP/1.1 client: Content-Length or chunked bodies,
// and Connection: close.
func (k *conn) readResponse() (int, []byte, error) {
	line, err := k.line()
	if err != nil {
		return 0, nil, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, nil, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked, closing := int64(-1), false, false
	for {
		line, err := k.line()
		if err != nil {
			return 0, nil, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, nil, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return 0, nil, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	var r io.Reader
	switch {
	case chunked:
		r = httputil.NewChunkedReader(k.br)
	case length >= 0:
		r = io.LimitReader(k.br, length)
	default: // the body runs to the end of the connection
		r, closing = k.br, true
	}
	var errBody []byte
	if status < 200 || status > 299 {
		if errBody, err = io.ReadAll(io.LimitReader(r, maxErrorBody)); err != nil {
			return 0, nil, err
		}
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return 0, nil, err
	}
	if chunked { // the trailer section ends with an empty line
		for {
			line, err := k.line()
			if err != nil {
				return 0, nil, err
			}
			if len(line) == 0 {
				break
			}
		}
	}
	if closing {
		k.close()
	}
	return status, errBody, nil
}

// line reads one CRLF-terminated line, without its line ending; the bytes
// are valid until the next read.
func (k *conn) line() ([]byte, error) {
	line, err := k.br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}
