// Package jsonscan holds what every hand-written decoder of the shapes the API server sends is built from:
// a scanner that finds where JSON values start and end without decoding them, validating as it goes (it
// accepts exactly what encoding/json.Valid accepts: FuzzValid), the helpers that read a field's value in
// one pass (Decoder), and the plain decoder they fall back to whenever the input is not what they expect,
// so that users see its errors.
package jsonscan
