package store

import "fmt"

// CheckRange reports a range GetRange cannot serve, before a driver turns it into a request.
func CheckRange(offset, length int64) error {
	if offset < 0 || length == 0 || length < -1 {
		return fmt.Errorf("range offset %d length %d: want offset >= 0 and length > 0 (or -1 for the rest of the object)", offset, length)
	}
	return nil
}
