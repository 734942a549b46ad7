package schemadir

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestSARIF(t *testing.T) {
	p := SARIF(t)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("%s is not JSON: %v", p, err)
	}
	const want = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if schema.ID != want {
		t.Errorf("id %q, want %q (title %q)", schema.ID, want, schema.Title)
	}
}

// TestSARIFValidator shows the validator takes a minimal log and refuses
// one breaking the schema's structure or one of its formats.
func TestSARIFValidator(t *testing.T) {
	s := SARIFValidator(t)
	log := func(uri, version string) string {
		return `{"version": "` + version + `", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"},
			"locations": [{"physicalLocation": {"artifactLocation": {"uri": "` + uri + `"}}}]}]}]}`
	}
	tests := []struct {
		name  string
		log   string
		valid bool
	}{
		{"minimal", log("dir/p.yml", "2.1.0"), true},
		{"version 2.0.0", log("dir/p.yml", "2.0.0"), false},
		{"uri that is no URI reference", log(`a b\\c%zz`, "2.1.0"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.log))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(inst); (err == nil) != tt.valid {
				t.Errorf("valid %v, want %v: %v\n%s", err == nil, tt.valid, err, tt.log)
			}
		})
	}
}

// TestLocateFails shows that each way of not having the pinned file is an
// error, not a path. It runs with GOPROXY=off, so that it needs no network
// once TestSARIF's module is in the cache, and shows that a cached module
// is found without the proxy.
func TestLocateFails(t *testing.T) {
	SARIF(t) // the module in the cache, downloaded through the proxy if need be
	t.Setenv("GOPROXY", "off")
	good := file{sarifModule, sarifVersion, sarifPath, sarifSHA256}
	if _, err := locate(t.Context(), good); err != nil {
		t.Fatalf("the cached module is not found with GOPROXY=off: %v", err)
	}
	tests := []struct {
		name    string
		f       file
		wantErr string
	}{
		{"other digest", file{sarifModule, sarifVersion, sarifPath, strings.Repeat("0", 64)}, "has sha256 " + sarifSHA256},
		{"no such file in the module", file{sarifModule, sarifVersion, "report/sarif/testdata/missing.json", sarifSHA256}, "reading report/sarif/testdata/missing.json"},
		{"version not in the cache", file{sarifModule, "v2.0.999", sarifPath, sarifSHA256}, "GOPROXY=off"},
		{"no such module", file{"example.com/no/such/module", "v1.0.0", "x.json", sarifSHA256}, "example.com/no/such/module@v1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := locate(t.Context(), tt.f)
			if err == nil {
				t.Fatalf("got path %q, want an error", p)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
