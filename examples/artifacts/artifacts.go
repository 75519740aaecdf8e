// Package artifacts is an example service protected by the Gatehouse
// gateway: a tiny S3-style object store kept in memory. It does no
// authentication or authorization of its own; it trusts the
// X-Gatehouse-Principal-* headers the gateway sets (so it must be
// reachable only through the gateway) and records who wrote each object.
//
// Routes (routes.json maps them to S3 actions and ARNs):
//
//	GET    /buckets/{bucket}/objects?prefix=P   list keys (JSON)
//	GET    /buckets/{bucket}/objects/{key+}     read an object
//	PUT    /buckets/{bucket}/objects/{key+}     write an object
//	DELETE /buckets/{bucket}/objects/{key+}     delete an object
package artifacts

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/gateway"
)

// RoutesJSON is the service's routes file for the gateway.
//
//go:embed routes.json
var RoutesJSON []byte

// Routes returns the parsed routes file.
func Routes() (*gateway.Routes, error) { return gateway.ParseRoutes(bytes.NewReader(RoutesJSON)) }

// object is a stored object and the principal that wrote it.
type object struct {
	data   []byte
	writer string
}

// Store is the in-memory object store; its zero value is empty and ready.
type Store struct {
	mu      sync.RWMutex
	objects map[string]object // "bucket/key"
}

// ServeHTTP serves the routes above.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/buckets/")
	bucket, tail, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		http.Error(w, "no such route", http.StatusNotFound)
		return
	}
	if tail == "objects" && r.Method == http.MethodGet {
		s.list(w, bucket, r.URL.Query().Get("prefix"))
		return
	}
	key, ok := strings.CutPrefix(tail, "objects/")
	if !ok || key == "" {
		http.Error(w, "no such route", http.StatusNotFound)
		return
	}
	name := bucket + "/" + key
	switch r.Method {
	case http.MethodGet:
		s.mu.RLock()
		o, found := s.objects[name]
		s.mu.RUnlock()
		if !found {
			http.Error(w, "NoSuchKey", http.StatusNotFound)
			return
		}
		w.Header().Set("X-Artifacts-Writer", o.writer)
		w.Write(o.data)
	case http.MethodPut:
		data, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "incomplete body", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		if s.objects == nil {
			s.objects = map[string]object{}
		}
		s.objects[name] = object{data: data, writer: r.Header.Get(gateway.HeaderPrincipalARN)}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.objects, name)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// list writes the bucket's keys under prefix as {"keys": [...]}.
func (s *Store) list(w http.ResponseWriter, bucket, prefix string) {
	keys := []string{}
	s.mu.RLock()
	for name := range s.objects {
		if key, ok := strings.CutPrefix(name, bucket+"/"); ok && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	s.mu.RUnlock()
	sort.Strings(keys)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}
