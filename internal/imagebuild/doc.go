// Package imagebuild replays the container image's build stage without a Docker engine: Docker's build
// context from .dockerignore, and the Dockerfile's own COPY and RUN lines, so a test catches an image that
// cannot build.
package imagebuild
