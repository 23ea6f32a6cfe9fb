// Package deploy holds no code: the directory holds the Kubernetes manifests
// and the Compose stack's files, and its tests check them, docker-compose.yml
// and the Dockerfile against what the orchestrator expects.
package deploy
