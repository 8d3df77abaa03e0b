package s3store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// regionHeader is where S3 names a bucket's region: on HeadBucket's answer whatever its status, the 301
// for a request signed for the wrong region and the 403 for an anonymous one included.
const regionHeader = "X-Amz-Bucket-Region"

// regional holds the client for the bucket's region. When nothing names a region the first request asks
// S3 where the bucket is, as boto3 (and so barman) does on its first redirect; until an answer comes, and
// if none names a region, requests go out signed for DefaultRegion.
type regional struct {
	// settled is set once the region is known or S3 has answered without naming one.
	settled atomic.Bool
	client  atomic.Pointer[s3.Client]
	mu      sync.Mutex // serialises the one discovery
}

func (r *regional) init(c *s3.Client, explicit bool) {
	r.client.Store(c)
	r.settled.Store(explicit)
}

// api is the client to use for the next request.
func (s *Store) api(ctx context.Context) *s3.Client {
	r := &s.regional
	if r.settled.Load() {
		return r.client.Load()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.settled.Load() {
		return r.client.Load()
	}
	c := r.client.Load()
	region, answered := bucketRegion(ctx, c, s.cfg.Bucket)
	if !answered {
		return c // the service was not reached: the request that follows will say why; ask again next time
	}
	if region != "" && region != c.Options().Region {
		c = s3.New(c.Options(), func(o *s3.Options) { o.Region = region })
		r.client.Store(c)
	}
	r.settled.Store(true)
	return c
}

// Region is the region requests are signed for: the configured one, or the bucket's once known.
func (s *Store) Region(ctx context.Context) string { return s.api(ctx).Options().Region }

// bucketRegion asks S3 for the bucket's region with an unsigned HeadBucket: the answer carries the region
// header even when it refuses, so discovery needs no permission and no working credentials. answered is
// false when no HTTP response came back.
func bucketRegion(ctx context.Context, c *s3.Client, bucket string) (region string, answered bool) {
	out, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, func(o *s3.Options) {
		o.Credentials = nil // unsigned; the SDK drops AnonymousCredentials only when building a client
		o.RetryMaxAttempts = 1
	})
	if err == nil {
		return normalRegion(aws.ToString(out.BucketRegion)), true
	}
	// A failed send still carries an empty response; only a status code says the service answered.
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil && respErr.HTTPStatusCode() != 0 {
		return normalRegion(respErr.Response.Header.Get(regionHeader)), true
	}
	return "", false
}

// normalRegion keeps a header value that can be a region name, so that a compatible's odd answer cannot
// end up in a host name.
func normalRegion(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return ""
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return v
}
