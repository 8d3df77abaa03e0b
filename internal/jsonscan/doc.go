// Package jsonscan finds where JSON values start and end without decoding them, validating as it goes, so
// that hand-written decoders of the shapes the API server sends can read what they need in one pass and
// leave the rest in place. It accepts exactly what encoding/json.Valid accepts (FuzzDecodeReview in
// webhooks/admission checks it); callers fall back to the plain decoder whenever the input is not what
// they expect, so that users see its errors.
package jsonscan
