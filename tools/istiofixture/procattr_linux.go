package main

import "syscall"

// childAttr makes an agent die with the fixture, however the fixture ends.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
