#!/bin/sh
# Assembles kube-prometheus-stack 88.5.3 with its dependency charts into
# DIR/kube-prometheus-stack, for tools/kube TestHelmTemplate. The Go module
# proxy has no Helm charts: the sources are the stored mirrors of
# prometheus-community/helm-charts at cf408a290 (kube-prometheus-stack
# 88.5.3, kube-state-metrics 8.4.0, prometheus-node-exporter 4.56.1,
# prometheus-windows-exporter 0.12.8) and grafana-community/helm-charts at
# 3386a115 (grafana 12.11.1), the versions Chart.yaml pins.
# PC and GC name those git directories.
set -eu
DIR=${1:?usage: chart.sh DIR}
PC=${PC:-/work/.mirror/prometheus-community+helm-charts/repo}
GC=${GC:-/work/.mirror/grafana-community+helm-charts/repo}
mkdir -p "$DIR"
cd "$DIR"
rm -rf kube-prometheus-stack charts
git -C "$PC" archive cf408a290 charts/kube-prometheus-stack charts/kube-state-metrics charts/prometheus-node-exporter charts/prometheus-windows-exporter | tar -x
git -C "$GC" archive 3386a115 charts/grafana | tar -x
for d in kube-state-metrics prometheus-node-exporter prometheus-windows-exporter grafana; do
	mv "charts/$d" charts/kube-prometheus-stack/charts/
done
mv charts/kube-prometheus-stack .
rmdir charts
echo "$DIR/kube-prometheus-stack"
