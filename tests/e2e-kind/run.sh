#!/usr/bin/env bash
# End to end on a kind cluster, as a user would run it: build both images, load them into the cluster, start a
# throwaway Postgres and Redis, `helm install` the chart, apply examples/, wait for Ready, and evaluate a flag
# through a port-forward. Needs docker, kind, kubectl and helm, and a kind cluster (KIND_CLUSTER_NAME).
# .github/workflows/e2e-kind.yml runs it on two Kubernetes minors.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLUSTER=${KIND_CLUSTER_NAME:-kind}
TAG=${IMAGE_TAG:-e2e}
NAMESPACE=exclusive-change
REGISTRY=ghcr.io/exclusive-change

for app in operator evaluator; do
  docker build -f "Dockerfile.$app" -t "$REGISTRY/$app:$TAG" .
  kind load docker-image --name "$CLUSTER" "$REGISTRY/$app:$TAG"
done

kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$NAMESPACE" apply -f tests/e2e-kind/dependencies.yaml
kubectl -n "$NAMESPACE" rollout status deployment/postgres deployment/redis --timeout=180s

helm upgrade --install xc charts/exclusive-change -n "$NAMESPACE" \
  --set image.tag="$TAG" --set image.pullPolicy=Never \
  --set redis.existingSecret=exclusive-change-redis \
  --wait --timeout 5m

kubectl create namespace shop --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f examples/
kubectl -n shop wait --for=condition=Ready environment --all --timeout=120s
kubectl -n shop wait --for=condition=Ready featureflag --all --timeout=120s
kubectl -n shop get featureflags

KEY=$(kubectl -n shop get secret production-checkout-service-api-key -o jsonpath='{.data.apiKey}' | base64 -d)
kubectl -n "$NAMESPACE" port-forward svc/xc-exclusive-change-evaluator 18080:80 >/dev/null &
forward=$!
trap 'kill $forward 2>/dev/null || true' EXIT

evaluate() {
  curl -sf -X POST "http://127.0.0.1:18080/ofrep/v1/evaluate/flags/$1" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"context":{"targetingKey":"user-1","user_id":"user-1"}}'
}
for _ in $(seq 1 60); do
  if result=$(evaluate dark_mode) && [[ $result == *'"key":"dark_mode"'* ]]; then
    echo "evaluated: $result"
    exit 0
  fi
  sleep 2
done
echo "the evaluator did not serve dark_mode; last answer: ${result:-none}" >&2
kubectl -n "$NAMESPACE" logs deployment/xc-exclusive-change-operator --tail=50 >&2 || true
kubectl -n "$NAMESPACE" logs deployment/xc-exclusive-change-evaluator --tail=50 >&2 || true
exit 1
