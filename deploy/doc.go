// Package deploy holds how stageindex is deployed beyond one process: the
// Helm chart (helm/stageindex), compose.yaml's HAProxy configuration
// (compose/), and the local replicas behind HAProxy (local/, make
// replicas). Its tests render the chart with helm and check the manifests,
// and check compose.yaml against the image and the HAProxy configuration.
package deploy
