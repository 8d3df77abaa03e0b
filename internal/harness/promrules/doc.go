// Package promrules reads the shipped alerting rules back, for the tests that check each rule against
// the metrics the binaries export.
package promrules
