package memstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Op names one store.Store method, for faults and call counts.
type Op string

// The operations of store.Store.
const (
	OpCreate         Op = "Create"
	OpPut            Op = "Put"
	OpStat           Op = "Stat"
	OpGet            Op = "Get"
	OpGetRange       Op = "GetRange"
	OpList           Op = "List"
	OpCreateParallel Op = "CreateParallel"
	OpDelete         Op = "Delete"
	// OpPart is one part of a CreateParallel upload (Call.Part is its 1-based number): a fault here is a
	// part that failed while the others were in flight.
	OpPart Op = "Part"
)

// Call is one operation as a Fault sees it, before it touches the objects.
type Call struct {
	Op  Op
	Key string // the prefix for List
	// N counts the calls of this Op so far, this one included (1 for the first), so a fault can fail
	// "the first two" or "every third".
	N int
	// Offset and Length are GetRange's arguments; Part is OpPart's part number.
	Offset, Length int64
	Part           int
}

// A Fault decides the fate of one call: nil lets it run. A plain error fails the call before it has
// any effect; wrap it with AfterEffect or MidBody for the other ways a network call fails.
type Fault func(Call) error

// AfterEffect makes the call take effect and then return err: the request reached the service but the
// answer was lost, so a retry meets its own earlier write.
func AfterEffect(err error) error { return &afterEffect{err} }

// MidBody makes a Get or GetRange succeed, then break with err after half of the body: a connection
// reset while reading. On other operations it is a plain failure.
func MidBody(err error) error { return &midBody{err} }

type afterEffect struct{ err error }

func (e *afterEffect) Error() string { return e.err.Error() }
func (e *afterEffect) Unwrap() error { return e.err }

type midBody struct{ err error }

func (e *midBody) Error() string { return e.err.Error() }
func (e *midBody) Unwrap() error { return e.err }

// FailOp is a Fault that fails every call of op with err.
func FailOp(op Op, err error) Fault {
	return func(c Call) error {
		if c.Op == op {
			return err
		}
		return nil
	}
}

// FailFirst is a Fault that fails the first n calls of op with err, then lets them run.
func FailFirst(op Op, n int, err error) Fault {
	return func(c Call) error {
		if c.Op == op && c.N <= n {
			return err
		}
		return nil
	}
}

// FailNext is a Fault that fails the next n calls of op, counted from when it is made, with err.
func FailNext(op Op, n int, err error) Fault {
	var left atomic.Int64
	left.Store(int64(n))
	return func(c Call) error {
		if c.Op == op && left.Add(-1) >= 0 {
			return err
		}
		return nil
	}
}

// FailKey is a Fault that fails every call of op on key with err.
func FailKey(op Op, key string, err error) Fault {
	return func(c Call) error {
		if c.Op == op && c.Key == key {
			return err
		}
		return nil
	}
}

// Down is a Fault that fails every call with err, as an unreachable or refusing service does.
func Down(err error) Fault { return func(Call) error { return err } }

type object struct {
	data        []byte
	meta        map[string]string
	tags        map[string]string
	contentType string
}

// Store is the in-memory store. The zero value is not usable: call New.
type Store struct {
	mu      sync.Mutex
	objs    map[string]object
	fault   Fault
	calls   map[Op]int
	deleted []string
	// overwrite makes Create replace an existing object, as a service without conditional writes would.
	overwrite bool
	partSize  int64
}

var _ store.Store = (*Store)(nil)

// PartSize is the first part size of CreateParallel: small, so that unit tests cross parts cheaply.
const PartSize = 64 << 10

// New returns an empty store.
func New() *Store {
	return &Store{objs: map[string]object{}, calls: map[Op]int{}, partSize: PartSize}
}

// SetFault installs f (nil removes it); it applies to calls that begin from now on.
func (s *Store) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// WithoutConditionalCreate makes Create replace an existing object instead of refusing it: a service
// that ignores If-None-Match, which `check` must notice.
func (s *Store) WithoutConditionalCreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overwrite = true
}

// Calls is how many calls of op began, failed ones included.
func (s *Store) Calls(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Deleted lists the keys Delete removed, in order (a Delete of a missing key is listed too: the caller
// asked for it).
func (s *Store) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// Seed stores data at key directly, with no metadata (as another tool would), bypassing faults and counts.
func (s *Store) Seed(key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objs[key] = object{data: bytes.Clone(data)}
}

// Bytes returns a copy of the object at key, bypassing faults and counts.
func (s *Store) Bytes(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objs[key]
	return bytes.Clone(o.data), ok
}

// Tags returns the tags the object at key was written with.
func (s *Store) Tags(key string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.objs[key].tags)
}

// Keys lists every key, in lexical order, bypassing faults and counts.
func (s *Store) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.objs))
	for k := range s.objs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// begin counts the call and asks the fault about it.
func (s *Store) begin(c Call) error {
	s.mu.Lock()
	s.calls[c.Op]++
	c.N = s.calls[c.Op]
	f := s.fault
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(c)
}

// split tells the error to return before the call has effect from the one to return after it.
func split(err error) (before, after error) {
	if ae, ok := err.(*afterEffect); ok { //nolint:errorlint // only our own wrapper, never wrapped further
		return nil, ae.err
	}
	if mb, ok := err.(*midBody); ok { //nolint:errorlint
		return mb.err, nil
	}
	return err, nil
}

func (s *Store) Create(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.write(ctx, OpCreate, key, body, size, opts, true)
}

func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.write(ctx, OpPut, key, body, size, opts, false)
}

func (s *Store) write(ctx context.Context, op Op, key string, body io.Reader, size int64, opts store.PutOptions, create bool) error {
	before, after := split(s.begin(Call{Op: op, Key: key}))
	if before != nil {
		return before
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Read the whole body first, as a service does before it commits: a body that fails stores nothing.
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("memstore: reading the body of %s: %w", key, err)
	}
	if size >= 0 && int64(len(data)) != size {
		return fmt.Errorf("memstore: %s: the body held %d bytes, the caller said %d", key, len(data), size)
	}
	if err := s.commit(key, data, opts, create); err != nil {
		return err
	}
	return after
}

// commit stores the object; with create, only if no object is at key (checked and written under one lock:
// a conditional create, not a check-then-write).
func (s *Store) commit(key string, data []byte, opts store.PutOptions, create bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objs[key]; ok && create && !s.overwrite {
		return fmt.Errorf("memstore: %s: %w", key, store.ErrExists)
	}
	s.objs[key] = object{data: data, meta: maps.Clone(opts.Metadata), tags: maps.Clone(opts.Tags), contentType: opts.ContentType}
	return nil
}

func (s *Store) Stat(_ context.Context, key string) (store.Object, error) {
	before, after := split(s.begin(Call{Op: OpStat, Key: key}))
	if before != nil {
		return store.Object{}, before
	}
	s.mu.Lock()
	o, ok := s.objs[key]
	s.mu.Unlock()
	if !ok {
		return store.Object{}, fmt.Errorf("memstore: %s: %w", key, store.ErrNotFound)
	}
	if after != nil {
		return store.Object{}, after
	}
	return store.Object{Key: key, Size: int64(len(o.data)), Metadata: maps.Clone(o.meta)}, nil
}

func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.read(Call{Op: OpGet, Key: key, Length: -1})
}

func (s *Store) GetRange(_ context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := store.CheckRange(offset, length); err != nil {
		return nil, err
	}
	return s.read(Call{Op: OpGetRange, Key: key, Offset: offset, Length: length})
}

func (s *Store) read(c Call) (io.ReadCloser, error) {
	err := s.begin(c)
	mb, broken := err.(*midBody) //nolint:errorlint
	if broken {
		err = nil
	} else if err != nil {
		before, after := split(err)
		if before != nil {
			return nil, before
		}
		err = after
	}
	s.mu.Lock()
	o, ok := s.objs[c.Key]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: %s: %w", c.Key, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	end := int64(len(o.data))
	if c.Length > 0 {
		end = c.Offset + c.Length
	}
	if c.Offset > int64(len(o.data)) || end > int64(len(o.data)) {
		return nil, fmt.Errorf("memstore: %s: range offset %d length %d lies outside its %d bytes", c.Key, c.Offset, c.Length, len(o.data))
	}
	body := o.data[c.Offset:end] // stored bytes are never modified in place, so sharing them is safe
	if broken {
		return io.NopCloser(io.MultiReader(bytes.NewReader(body[:len(body)/2]), errReader{mb.err})), nil
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (s *Store) List(_ context.Context, prefix string) ([]store.Object, error) {
	before, after := split(s.begin(Call{Op: OpList, Key: prefix}))
	if before != nil {
		return nil, before
	}
	if after != nil {
		return nil, after
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Object
	for k, o := range s.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, store.Object{Key: k, Size: int64(len(o.data)), Metadata: maps.Clone(o.meta)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// CreateParallel sends the body in parts through the same part machinery the drivers use (so a part
// fault, a body error or a cancel mid-upload behaves as it does there) and commits the object only when
// every part arrived, as a multipart completion does.
func (s *Store) CreateParallel(ctx context.Context, key string, body io.Reader, opts store.PutOptions, jobs int) (int64, error) {
	before, after := split(s.begin(Call{Op: OpCreateParallel, Key: key}))
	if before != nil {
		return 0, before
	}
	s.mu.Lock()
	_, exists := s.objs[key]
	refuse := exists && !s.overwrite
	s.mu.Unlock()
	if refuse {
		return 0, fmt.Errorf("memstore: %s: %w", key, store.ErrExists)
	}
	var (
		mu     sync.Mutex
		parts  = map[int][]byte{}
		single []byte
	)
	_, total, err := store.SendParts(ctx, body, jobs, s.partSize,
		func(ctx context.Context, b []byte) error {
			single = bytes.Clone(b)
			return ctx.Err()
		},
		func(ctx context.Context, n int, b []byte) error {
			if err := s.begin(Call{Op: OpPart, Key: key, Part: n}); err != nil {
				return err
			}
			mu.Lock()
			parts[n] = bytes.Clone(b)
			mu.Unlock()
			return ctx.Err()
		})
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	data := single
	if len(parts) > 0 {
		var buf bytes.Buffer
		for i := 1; i <= len(parts); i++ {
			buf.Write(parts[i])
		}
		data = buf.Bytes()
	}
	if data == nil {
		data = []byte{}
	}
	if err := s.commit(key, data, opts, true); err != nil {
		return 0, err
	}
	if after != nil {
		return 0, after
	}
	return total, nil
}

func (s *Store) Delete(_ context.Context, key string) error {
	before, after := split(s.begin(Call{Op: OpDelete, Key: key}))
	if before != nil {
		return before
	}
	s.mu.Lock()
	delete(s.objs, key)
	s.deleted = append(s.deleted, key)
	s.mu.Unlock()
	return after
}
