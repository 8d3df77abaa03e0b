// Package manifest reads sets of Kubernetes objects from files, directories and standard input, as
// multi-document YAML or JSON, with List kinds flattened, for the commands that work offline.
package docreader
