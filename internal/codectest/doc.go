// Package codectest finds every JSON field of a type and sets each one alone, so that the tests of a
// hand-written codec fail naming a field the codec does not know.
package codectest
