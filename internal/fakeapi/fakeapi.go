// Package fakeapi serves a discovery.Snapshot over the Kubernetes API, just
// well enough for client-go informers: LIST with label and field selectors,
// plain WATCH that stays open, and a refusal of watch-list streams so that
// clients fall back to LIST. Tests use it to run Prometheus's own Kubernetes
// service discovery against exactly the objects our discovery package sees.
//
// Objects are served as they are in the snapshot: nothing is defaulted or
// validated, so both sides of a differential test read identical input.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sdinspect/sdinspect/discovery"
)

// RequestKind classifies a request the server answered.
type RequestKind string

// The kinds of request a Server records.
const (
	// List is the first page of a LIST, answered with the matching objects.
	List RequestKind = "list"
	// ListContinue is a later page of a LIST (a continue token was sent).
	ListContinue RequestKind = "list-continue"
	// Watch is a plain WATCH, held open without events.
	Watch RequestKind = "watch"
	// WatchList is a watch-list stream (sendInitialEvents=true), refused
	// with 400 so that the client falls back to LIST and WATCH.
	WatchList RequestKind = "watchlist"
	// Failed is any request answered with an error status, other than a
	// refused watch-list.
	Failed RequestKind = "failed"
)

// Request records one request the server answered.
type Request struct {
	Kind RequestKind
	// Path is the URL path, for example /api/v1/namespaces/shop/pods.
	Path string
	// Resource is the plural resource the path names, e.g. "pods"; empty
	// if the path names none.
	Resource      string
	LabelSelector string
	FieldSelector string
	// Items is the number of objects a List returned.
	Items int
	// Code is the HTTP status code sent.
	Code int
	// Message is the error message sent with a failure status.
	Message string
}

// stream identifies what one informer lists and watches.
func (r Request) stream() string {
	return r.Path + "?" + r.LabelSelector + "?" + r.FieldSelector
}

// Server is a running fake API server. Its embedded httptest.Server gives
// the URL and Close; Close also ends open watches.
type Server struct {
	*httptest.Server

	resources []*resource
	buildErr  error
	done      chan struct{}

	mu       sync.Mutex
	requests []Request
}

// Serve starts a fake API server for snap on a loopback address. Callers that
// need to know what was requested use Start instead.
func Serve(snap *discovery.Snapshot) *httptest.Server {
	return Start(snap).Server
}

// Start starts a fake API server for snap on a loopback address. The
// snapshot is read once, here; later changes to it are not served.
func Start(snap *discovery.Snapshot) *Server {
	s := &Server{done: make(chan struct{})}
	s.resources, s.buildErr = buildResources(snap)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	// Close closes the listener first; that is the signal for open watches
	// to end, without which Close would wait for them forever.
	s.Listener = &closeNotifyListener{Listener: s.Listener, done: s.done}
	s.Server.Start()
	return s
}

// Err returns why the snapshot cannot be served, such as two objects of
// one kind with one name; the server then answers every request with 500.
func (s *Server) Err() error {
	return s.buildErr
}

// Requests returns the requests answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Synced reports whether every informer that has contacted the server has
// listed and then opened its watch, which is when client-go considers its
// cache synced. An informer's stream is its path plus selectors; one that
// began with a watch-list attempt counts once per attempt, one that did not
// once per first-page LIST. Informers that have not sent a request yet are
// invisible here, so callers still wait a little before trusting it.
func (s *Server) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	streams := map[string]bool{}
	attempts := map[string]int{}
	lists := map[string]int{}
	watches := map[string]int{}
	for _, r := range s.requests {
		k := r.stream()
		streams[k] = true
		switch r.Kind {
		case WatchList:
			attempts[k]++
		case List:
			lists[k]++
		case Watch:
			watches[k]++
		}
	}
	if len(streams) == 0 {
		return false
	}
	for k := range streams {
		want := attempts[k]
		if want == 0 {
			want = lists[k]
		}
		if want == 0 || watches[k] < want {
			return false
		}
	}
	return true
}

// Listed returns how many objects of resource (plural, e.g. "pods") the
// server has returned in LIST responses, over all pages and namespaces.
func (s *Server) Listed(resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Resource == resource && (r.Kind == List || r.Kind == ListContinue) {
			n += r.Items
		}
	}
	return n
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// route finds the collection a path names and the namespace it is scoped
// to: /api/v1/R, /api/v1/namespaces/NS/R, /apis/G/V/R, /apis/G/V/namespaces/NS/R.
func (s *Server) route(path string) (*resource, string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var gv string
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		gv, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		gv, parts = parts[1]+"/"+parts[2], parts[3:]
	default:
		return nil, "", false
	}
	namespace := ""
	if len(parts) == 3 && parts[0] == "namespaces" {
		namespace, parts = parts[1], parts[2:]
	}
	if len(parts) != 1 {
		return nil, "", false
	}
	for _, r := range s.resources {
		if r.groupVersion == gv && r.name == parts[0] {
			if namespace != "" && !r.namespaced {
				return nil, "", false
			}
			return r, namespace, true
		}
	}
	return nil, "", false
}

func (s *Server) serveHTTP(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	rec := Request{Path: req.URL.Path, LabelSelector: q.Get("labelSelector"), FieldSelector: q.Get("fieldSelector")}
	fail := func(code int, reason, msg string) {
		rec.Kind, rec.Code, rec.Message = Failed, code, msg
		s.record(rec)
		writeStatus(w, code, reason, msg)
	}

	if s.buildErr != nil {
		fail(http.StatusInternalServerError, "InternalError", s.buildErr.Error())
		return
	}
	if req.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("method %s is not supported", req.Method))
		return
	}
	res, namespace, ok := s.route(req.URL.Path)
	if !ok {
		fail(http.StatusNotFound, "NotFound", "the server could not find the requested resource")
		return
	}
	rec.Resource = res.name
	lsel, err := labels.Parse(rec.LabelSelector)
	if err != nil {
		fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("unable to parse requirement: %v", err))
		return
	}
	fsel, err := fields.ParseSelector(rec.FieldSelector)
	if err != nil {
		fail(http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	for _, r := range fsel.Requirements() {
		if !res.supportsField(r.Field) {
			fail(http.StatusBadRequest, "BadRequest", "field label not supported: "+r.Field)
			return
		}
	}

	if isTrue(q.Get("watch")) {
		if isTrue(q.Get("sendInitialEvents")) {
			rec.Kind, rec.Code = WatchList, http.StatusBadRequest
			rec.Message = "sendInitialEvents is not supported by this server"
			s.record(rec)
			writeStatus(w, rec.Code, "BadRequest", rec.Message)
			return
		}
		rec.Kind, rec.Code = Watch, http.StatusOK
		s.record(rec)
		s.holdWatch(w, req, q.Get("timeoutSeconds"))
		return
	}

	items, cont, err := page(res, namespace, lsel, fsel, q.Get("limit"), q.Get("continue"))
	if err != nil {
		fail(http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	rec.Kind, rec.Code, rec.Items = List, http.StatusOK, len(items)
	// Only a first page starts an informer's list; later pages continue it.
	if q.Get("continue") != "" {
		rec.Kind = ListContinue
	}
	s.record(rec)
	writeList(w, res, items, cont)
}

// page selects the objects of res in namespace that match both selectors
// and cuts them into pages of limit, continuing at the offset carried by cont.
func page(res *resource, namespace string, lsel labels.Selector, fsel fields.Selector, limit, cont string) ([]json.RawMessage, string, error) {
	var items []json.RawMessage
	for _, o := range res.objects {
		if namespace != "" && o.namespace != namespace {
			continue
		}
		if !lsel.Matches(labels.Set(o.labels)) || !fsel.Matches(o.fields) {
			continue
		}
		items = append(items, o.raw)
	}
	start := 0
	if cont != "" {
		n, err := strconv.Atoi(cont)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", fmt.Errorf("invalid continue token %q", cont)
		}
		start = n
	}
	items = items[start:]
	if limit == "" {
		return items, "", nil
	}
	n, err := strconv.Atoi(limit)
	if err != nil || n < 0 {
		return nil, "", fmt.Errorf("invalid limit %q", limit)
	}
	if n == 0 || n >= len(items) {
		return items, "", nil
	}
	return items[:n], strconv.Itoa(start + n), nil
}

// holdWatch answers a plain WATCH with an empty event stream that stays open
// until the client goes away, the server closes, or timeoutSeconds passes,
// as a real server would end it.
func (s *Server) holdWatch(w http.ResponseWriter, req *http.Request, timeoutSeconds string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	var timeout <-chan time.Time
	if n, err := strconv.Atoi(timeoutSeconds); err == nil && n > 0 {
		t := time.NewTimer(time.Duration(n) * time.Second)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-req.Context().Done():
	case <-s.done:
	case <-timeout:
	}
}

func writeList(w http.ResponseWriter, res *resource, items []json.RawMessage, cont string) {
	if items == nil {
		items = []json.RawMessage{}
	}
	body := struct {
		Kind       string            `json:"kind"`
		APIVersion string            `json:"apiVersion"`
		Metadata   map[string]string `json:"metadata"`
		Items      []json.RawMessage `json:"items"`
	}{res.listKind, res.groupVersion, map[string]string{"resourceVersion": resourceVersion}, items}
	if cont != "" {
		body.Metadata["continue"] = cont
	}
	writeJSON(w, http.StatusOK, body)
}

// resourceVersion is the one version every list reports: the served state
// never changes.
const resourceVersion = "1"

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, map[string]any{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": msg, "reason": reason, "code": code,
	})
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func isTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// closeNotifyListener closes done when the server's listener is closed,
// which httptest.Server.Close does before waiting for open requests.
type closeNotifyListener struct {
	net.Listener
	done chan struct{}
	once sync.Once
}

func (l *closeNotifyListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}
