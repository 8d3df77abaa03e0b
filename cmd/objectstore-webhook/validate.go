package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/objectstore-webhook/objectstore-webhook/internal/docreader"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/objectstore"
)

const validateUsage = `Usage: objectstore-webhook validate -f PATH... [-o text|json] [--secret-checks deny|warn|off] [--namespace NS]

Checks ObjectStores offline with the rules the webhook applies. PATH is a file, a directory (read
recursively: *.yaml, *.yml, *.json) or - for standard input; files hold multi-document YAML or JSON.
Secrets in the input feed the Secret checks of their namespace; other kinds are skipped.
Exit status: 0 nothing denied, 1 something denied, 2 usage error or unreadable input.

Flags:
`

// finding is one line of the report.
type finding struct {
	File      string `json:"file"`
	Document  string `json:"document"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Level     string `json:"level"`
	Field     string `json:"field"`
	Message   string `json:"message"`
}

type report struct {
	ObjectStores int       `json:"objectStores"`
	Denied       int       `json:"denied"`
	Warnings     int       `json:"warnings"`
	Findings     []finding `json:"findings"`
}

func runValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newDocumentsCommand("validate", validateUsage, stderr)
	output := cmd.fs.String("o", "text", "output format: text or json")
	checks := cmd.fs.String("secret-checks", "warn", "what a missing Secret or key, or unusable Secret content, does: deny, warn or off")
	if code, ok := cmd.parse(args); !ok {
		return code
	}
	mode, err := objectstore.ParseSecretChecks(*checks)
	switch inputErr := cmd.inputError(); {
	case inputErr != "":
		return cmd.usageError(inputErr)
	case *output != "text" && *output != "json":
		return cmd.usageError("-o must be text or json, not " + strconv.Quote(*output))
	case err != nil:
		return cmd.usageError("--secret-checks: " + err.Error())
	}
	docs, ok := cmd.read(stdin)
	if !ok {
		return 2
	}
	rep := validateDocuments(docs, *cmd.namespace, objectstore.Options{SecretChecks: mode})
	if err := writeReport(stdout, *output, rep); err != nil {
		return cmd.fail(err)
	}
	if *output == "text" {
		fmt.Fprintln(stderr, "validate: "+count(rep.ObjectStores, "ObjectStore")+", "+count(rep.Denied, "denial")+", "+count(rep.Warnings, "warning"))
	}
	if rep.Denied > 0 {
		return 1
	}
	return 0
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func isSecret(d docreader.Document) bool { return d.APIVersion == "v1" && d.Kind == "Secret" }

func isObjectStore(d docreader.Document) bool {
	return d.APIVersion == v1.GroupVersion.String() && d.Kind == v1.Kind.Kind
}

// validateDocuments runs the rules over every ObjectStore of docs, with the Secrets of docs as the view of
// Secrets (objectstore.SecretSet says which namespaces count as visible).
func validateDocuments(docs []docreader.Document, defaultNamespace string, opts objectstore.Options) report {
	var rep report
	add := func(d docreader.Document, ns, level, fieldPath, msg string) {
		f := finding{File: d.File, Document: strings.TrimPrefix(d.Position(), d.File+":"), Kind: d.Kind,
			Namespace: ns, Name: d.Name, Level: level, Field: fieldPath, Message: msg}
		rep.Findings = append(rep.Findings, f)
		if level == "deny" {
			rep.Denied++
		} else {
			rep.Warnings++
		}
	}
	nsOf := func(d docreader.Document) string {
		if d.Namespace != "" {
			return d.Namespace
		}
		return defaultNamespace
	}
	var secrets []*corev1.Secret
	for _, d := range docs {
		if !isSecret(d) {
			continue
		}
		var s corev1.Secret
		if err := json.Unmarshal(d.JSON, &s); err != nil {
			add(d, nsOf(d), "deny", decodeField(err), "cannot be decoded: "+err.Error())
			continue
		}
		s.Namespace = nsOf(d)
		secrets = append(secrets, &s)
	}
	set := objectstore.NewSecretSet(defaultNamespace, secrets...)
	seen := map[string]string{}
	for _, d := range docs {
		if !isObjectStore(d) {
			continue
		}
		rep.ObjectStores++
		ns := nsOf(d)
		var obj v1.ObjectStore
		strict, err := sigsjson.UnmarshalStrict(d.JSON, &obj, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
		if err != nil {
			add(d, ns, "deny", decodeField(err), "cannot be decoded: "+err.Error())
			continue
		}
		for _, e := range strict {
			fieldPath, what := strictField(e.Error())
			add(d, ns, "warn", fieldPath, what+"; the API server drops or rejects it")
		}
		key := ns + "/" + d.Name
		if prev, dup := seen[key]; dup {
			add(d, ns, "warn", "metadata.name", "ObjectStore "+key+" is also defined at "+prev+"; the later one wins")
		}
		seen[key] = d.Position()
		obj.Namespace = ns
		errs, warns := objectstore.Validate(context.Background(), nil, &obj, set, opts)
		for _, e := range errs {
			add(d, ns, "deny", e.Field, e.ErrorBody())
		}
		for _, w := range warns {
			fieldPath, msg, _ := strings.Cut(w, ": ")
			add(d, ns, "warn", fieldPath, msg)
		}
	}
	return rep
}

// decodeField is the field a decoding error is about, when the decoder says.
func decodeField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	return "(document)"
}

// strictField splits `unknown field "a.b"` into the field and what is wrong with it.
func strictField(msg string) (string, string) {
	for _, prefix := range []string{"unknown field", "duplicate field"} {
		if rest, ok := strings.CutPrefix(msg, prefix+" "); ok {
			if f, err := strconv.Unquote(rest); err == nil {
				return f, prefix
			}
		}
	}
	return "(document)", msg
}

func writeReport(w io.Writer, format string, rep report) error {
	if format == "json" {
		if rep.Findings == nil {
			rep.Findings = []finding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString(f.File + ":" + f.Document + ": " + f.Kind + "/" + f.Name + ": " + strings.ToUpper(f.Level) + " " + f.Field + ": " + f.Message + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
