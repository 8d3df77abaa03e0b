// Package secrets is the webhook's online view of Secrets: a GET of exactly the Secret a rule names,
// behind a small TTL cache, so that the webhook needs RBAC get on secrets and nothing more.
package secrets
