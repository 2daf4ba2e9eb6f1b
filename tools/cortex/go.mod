// Cortex's own ruler validation (cortexproject/cortex v1.19.0, Apache-2.0)
// for the generated mimir/ namespace files, in make test. Mimir is
// AGPL-3.0 and not used; cortex-tools' parser imports Loki (AGPL-3.0) and is
// not used either. A module of its own: Cortex's graph stays out of the CLI's.
module github.com/meshslo/meshslo/tools/cortex

go 1.26.0

require github.com/cortexproject/cortex v1.19.0
