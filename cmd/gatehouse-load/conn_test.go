package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw   string
		status      int
		errBody     string
		closed, bad bool
	}{
		{name: "content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", status: 200},
		{name: "error body", raw: "HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\nContent-Type: text/xml\r\n\r\nAccessDenied", status: 403, errBody: "AccessDenied"},
		{name: "chunked", raw: "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nNoSu\r\n8\r\nchEntity\r\n0\r\n\r\n", status: 400, errBody: "NoSuchEntity"},
		{name: "close", raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 200, closed: true},
		{name: "to the end", raw: "HTTP/1.0 200 OK\r\n\r\nbody", status: 200, closed: true},
		{name: "bad status", raw: "HTTP/1.1 2x0 OK\r\n\r\n", bad: true},
		{name: "bad header", raw: "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", bad: true},
		{name: "bad length", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", bad: true},
		{name: "cut", raw: "HTTP/1.1 200 OK\r\nContent-Le", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, peer := net.Pipe()
			defer peer.Close()
			k := &conn{nc: nc, br: bufio.NewReader(strings.NewReader(tc.raw))}
			defer k.close()
			status, errBody, err := k.readResponse()
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: status %d", status)
				}
				return
			}
			if err != nil || status != tc.status || string(errBody) != tc.errBody {
				t.Fatalf("got %d %q %v, want %d %q", status, errBody, err, tc.status, tc.errBody)
			}
			if closed := k.nc == nil; closed != tc.closed {
				t.Errorf("closed = %v, want %v", closed, tc.closed)
			}
		})
	}
}
