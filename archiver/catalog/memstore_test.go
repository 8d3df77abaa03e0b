package catalog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// memStore is an in-memory Store that records deletions and can be made to fail one.
type memStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	deleted []string
	failOn  string
}

func newMemStore() *memStore { return &memStore{objects: map[string][]byte{}} }

func (m *memStore) put(key, content string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = []byte(content)
}

func (m *memStore) List(_ context.Context, prefix string) ([]store.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Object
	for k, v := range m.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, store.Object{Key: k, Size: int64(len(v))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *memStore) Get(_ context.Context, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.objects[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(v)), nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if key == m.failOn {
		return errors.New("injected failure")
	}
	delete(m.objects, key)
	m.deleted = append(m.deleted, key)
	return nil
}

func (m *memStore) keys() []string {
	objs, _ := m.List(context.Background(), "")
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}
