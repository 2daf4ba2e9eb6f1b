//go:build !linux

package main

import "syscall"

// childAttr: without Pdeathsig, agents are stopped by the fixture's
// SIGTERM handling (or by killing the process group).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
