{{/*
The evaluator Deployments to render, as a JSON list: one entry when evaluator.groups is empty (today's single
evaluator, names and selectors unchanged), else one per group. Each entry: `name` (the objects' name), `group`
(the group's name, "" for the single evaluator), `selector` (TENANT_SELECTOR, built from the group's
namespaceSelector), `values` (evaluator.* with the group's own settings over them).
*/}}
{{- define "xc.evaluatorGroups" -}}
{{- $fullname := include "xc.fullname" . -}}
{{- $evaluator := omit .Values.evaluator "groups" -}}
{{- $entries := list -}}
{{- if not .Values.evaluator.groups -}}
{{- $entries = append $entries (dict "name" (printf "%s-evaluator" $fullname) "group" "" "selector" "" "values" $evaluator) -}}
{{- else -}}
{{- $seen := dict -}}
{{- range .Values.evaluator.groups -}}
{{- if hasKey $seen .name }}{{ fail (printf "evaluator.groups: the name %q is used twice" .name) }}{{ end -}}
{{- $_ := set $seen .name true -}}
{{- $values := mergeOverwrite (deepCopy $evaluator) (omit . "name" "namespaceSelector") -}}
{{- $entries = append $entries (dict "name" (printf "%s-evaluator-%s" $fullname .name) "group" .name "selector" (include "xc.tenantSelector" .namespaceSelector) "values" $values) -}}
{{- end -}}
{{- end -}}
{{- toJson $entries -}}
{{- end -}}

{{/*
A Kubernetes label selector string from a LabelSelector object ({matchLabels, matchExpressions}), as the
evaluator's TENANT_SELECTOR reads it: `tier=gold,region in (eu,us),!legacy`. Empty: every namespace.
*/}}
{{- define "xc.tenantSelector" -}}
{{- $requirements := list -}}
{{- range $key, $value := (.matchLabels | default dict) -}}
{{- $requirements = append $requirements (printf "%s=%s" $key $value) -}}
{{- end -}}
{{- range (.matchExpressions | default list) -}}
{{- if eq .operator "In" -}}
{{- $requirements = append $requirements (printf "%s in (%s)" .key (join "," .values)) -}}
{{- else if eq .operator "NotIn" -}}
{{- $requirements = append $requirements (printf "%s notin (%s)" .key (join "," .values)) -}}
{{- else if eq .operator "Exists" -}}
{{- $requirements = append $requirements .key -}}
{{- else if eq .operator "DoesNotExist" -}}
{{- $requirements = append $requirements (printf "!%s" .key) -}}
{{- else -}}
{{- fail (printf "evaluator.groups: matchExpressions operator %q is not In, NotIn, Exists or DoesNotExist" .operator) -}}
{{- end -}}
{{- end -}}
{{- join "," $requirements -}}
{{- end -}}

{{/* The selector labels of one evaluator entry of xc.evaluatorGroups: a group's add its name. */}}
{{- define "xc.evaluatorSelectorLabels" -}}
{{- include "xc.selectorLabels" (dict "root" .root "component" "evaluator") }}
{{- with .entry.group }}
exclusive-change.io/evaluator-group: {{ . }}
{{- end }}
{{- end -}}

{{/* The Service the sample Ingress sends to: the single evaluator's, or evaluator.ingress.group's (default: the first group's). */}}
{{- define "xc.ingressEvaluatorService" -}}
{{- $fullname := include "xc.fullname" . -}}
{{- with .Values.evaluator.groups -}}
{{- $name := $.Values.evaluator.ingress.group | default (first .).name -}}
{{- $found := false -}}
{{- range . }}{{ if eq .name $name }}{{ $found = true }}{{ end }}{{ end -}}
{{- if not $found }}{{ fail (printf "evaluator.ingress.group: no evaluator group is named %q" $name) }}{{ end -}}
{{- printf "%s-evaluator-%s" $fullname $name -}}
{{- else -}}
{{- printf "%s-evaluator" $fullname -}}
{{- end -}}
{{- end -}}
