package s3store

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// CredentialsError is a failure to obtain credentials from the environment's identity, before any
// request reached the bucket. Source names where the SDK's chain looked, so that a refused EKS Pod
// Identity token does not read like a bucket permission problem.
type CredentialsError struct {
	Source string
	Err    error
}

func (e *CredentialsError) Error() string { return e.Err.Error() }

func (e *CredentialsError) Unwrap() error { return e.Err }

// labelled passes the default chain's credentials through and marks its failures with their source.
type labelled struct {
	provider aws.CredentialsProvider
	source   string
}

func (l labelled) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := l.provider.Retrieve(ctx)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return c, &CredentialsError{Source: l.source, Err: err}
	}
	return c, err
}

// IsCredentialsProvider lets aws.IsCredentialsProvider see through the label, as through the SDK's cache.
func (l labelled) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(l.provider, target)
}

// ProviderSources passes on what the chain reports of its sources (the SDK's user-agent metrics).
func (l labelled) ProviderSources() []aws.CredentialSource {
	if s, ok := l.provider.(interface{ ProviderSources() []aws.CredentialSource }); ok {
		return s.ProviderSources()
	}
	return nil
}

// labelChain wraps the default chain's provider. The S3 client would put a second cache around a
// provider that is not one; giving it a cache here keeps that to one layer over the SDK's own, whose
// early refresh (five minutes before Expiration for container credentials) the outer cache inherits, since
// the inner one hands out credentials with Expires already moved forward.
func labelChain(p aws.CredentialsProvider, getenv func(string) string) aws.CredentialsProvider {
	if p == nil {
		return nil
	}
	return aws.NewCredentialsCache(labelled{provider: p, source: chainSource(getenv)})
}

// chainSource names the credential source the SDK's default chain picks from the environment, in the
// chain's own order; only used in messages.
func chainSource(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case getenv("AWS_ACCESS_KEY_ID") != "":
		return "the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
		return "IRSA's web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE)"
	case getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "":
		return "the ECS container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
	case getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "":
		return "the container credentials endpoint " + getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") +
			" (EKS Pod Identity, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)"
	}
	return "the AWS SDK's default chain (shared config, instance profile)"
}
