package objectstore

import v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"

// FastDecode exposes the fast decoder alone, for the tests that hold it to the plain one.
func FastDecode(raw []byte) (*v1.ObjectStore, bool) {
	o := &v1.ObjectStore{}
	return o, decodeFast(raw, o)
}
