package iam

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
)

// page cuts a sorted list into the page a Marker/MaxItems request asks for.
// Markers are opaque to clients: the key of the last item returned.
func page[T any](p protocol.Params, items []T, key func(T) string) (out []T, truncated bool, marker string, err error) {
	max := int64(100)
	if v, ok := p.Int("MaxItems"); ok {
		max = v
	}
	// Each item's key is computed once, not in every comparison.
	sorted := byKey[T]{items: items, keys: make([]string, len(items))}
	for i, it := range items {
		sorted.keys[i] = key(it)
	}
	sort.Sort(sorted)
	start := 0
	if m := p.String("Marker"); m != "" {
		after, derr := base64.RawURLEncoding.DecodeString(m)
		if derr != nil {
			return nil, false, "", awserr.New("InvalidInput", "Invalid Marker.")
		}
		start = sort.Search(len(items), func(i int) bool { return sorted.keys[i] > string(after) })
	}
	end := start + int(max)
	if end >= len(items) {
		return items[start:], false, "", nil
	}
	return items[start:end], true, base64.RawURLEncoding.EncodeToString([]byte(sorted.keys[end-1])), nil
}

// byKey sorts items by their keys (keys[i] is the key of items[i]).
type byKey[T any] struct {
	items []T
	keys  []string
}

func (b byKey[T]) Len() int           { return len(b.items) }
func (b byKey[T]) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey[T]) Swap(i, j int) {
	b.items[i], b.items[j] = b.items[j], b.items[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}

// listResult is the common shape of paginated list outputs.
func listResult(member string, items any, truncated bool, marker string) map[string]any {
	out := map[string]any{member: items, "IsTruncated": truncated}
	if truncated {
		out["Marker"] = marker
	}
	return out
}

// tagsParam reads and checks a Tags list: at most the quota, no duplicate
// keys (case-insensitively), no aws: prefix.
func (s *Service) tagsParam(p protocol.Params, name string) ([]Tag, error) {
	var tags []Tag
	seen := map[string]bool{}
	for _, t := range p.Structs(name) {
		k := t.String("Key")
		if strings.HasPrefix(lower(k), "aws:") {
			return nil, awserr.New("InvalidInput", "User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS.")
		}
		if seen[lower(k)] {
			return nil, awserr.New("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lower(k)] = true
		tags = append(tags, Tag{Key: k, Value: t.String("Value")})
	}
	if len(tags) > s.quotas.TagsPerEntity {
		return nil, awserr.New("LimitExceeded", fmt.Sprintf("The number of tags has reached the maximum limit of %d.", s.quotas.TagsPerEntity))
	}
	return tags, nil
}

// mergeTags adds or replaces tags (keys compare case-insensitively).
func (s *Service) mergeTags(have, add []Tag) ([]Tag, error) {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if lower(out[i].Key) == lower(t.Key) {
				out[i] = t
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > s.quotas.TagsPerEntity {
		return nil, awserr.New("LimitExceeded", fmt.Sprintf("The number of tags has reached the maximum limit of %d.", s.quotas.TagsPerEntity))
	}
	return out, nil
}

// removeTags drops tags by key.
func removeTags(have []Tag, keys []string) []Tag {
	var out []Tag
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if lower(k) == lower(t.Key) {
				drop = true
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// requestTagKeys adds aws:RequestTag/… and aws:TagKeys for tags sent with a
// request, as AWS does for tag-on-create and Tag* operations.
func requestTagKeys(c *Call, tags []Tag) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		c.Context.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	c.Context.Set("aws:TagKeys", keys...)
}

// resourceTagKeys adds aws:ResourceTag/… for an existing entity's tags.
func resourceTagKeys(c *Call, tags []Tag) {
	for _, t := range tags {
		c.Context.Set("aws:ResourceTag/"+t.Key, t.Value)
	}
}

// exists maps the store's duplicate error to IAM's EntityAlreadyExists.
func exists(err error, msg string) error {
	if errors.Is(err, store.ErrExists) {
		return awserr.New("EntityAlreadyExists", msg)
	}
	return err
}

// quota checks a count against a limit with IAM's LimitExceeded message.
func quota(count, limit int, name string) error {
	if count >= limit {
		return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for %s: %d", name, limit))
	}
	return nil
}

// countKind counts an account's records of a kind.
func countKind(c *Call, tx store.Tx, kind string) (int, error) {
	return tx.Count(c.Ctx, store.ListOptions{Kind: kind, Account: c.Account})
}

// pathPrefixFilter keeps items whose path starts with the PathPrefix
// parameter.
func pathPrefixFilter[T any](p protocol.Params, items []*T, path func(*T) string) []*T {
	prefix := p.String("PathPrefix")
	if prefix == "" {
		return items
	}
	out := items[:0]
	for _, it := range items {
		if strings.HasPrefix(path(it), prefix) {
			out = append(out, it)
		}
	}
	return out
}
