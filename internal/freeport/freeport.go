// Package freeport picks loopback ports for listeners that bind later.
//
// A port the kernel hands out for ":0" comes from the ephemeral range, the
// same range outbound connections take their source ports from: between
// closing the probe and binding for real, any new connection on the host
// may take it ("address already in use"). Ports just below that range are
// never handed out by the kernel, so only another picker could take them.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// span is how many ports below the ephemeral range are drawn from.
const span = 10000

// Addr is host:port with a port nothing listens on right now, below the
// kernel's ephemeral range where that can be known, else one the kernel
// picks.
func Addr(host string) (string, error) {
	if lo, ok := ephemeralStart(); ok && lo-span >= 1024 {
		for range 50 {
			addr := net.JoinHostPort(host, strconv.Itoa(lo-span+rand.IntN(span)))
			if l, err := net.Listen("tcp", addr); err == nil {
				l.Close()
				return addr, nil
			}
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Port is Addr's port on 127.0.0.1.
func Port() (int, error) {
	addr, err := Addr("127.0.0.1")
	if err != nil {
		return 0, err
	}
	_, p, _ := net.SplitHostPort(addr)
	return strconv.Atoi(p)
}

// ephemeralStart is the first port of Linux's ephemeral range.
func ephemeralStart() (int, bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	lo, err := strconv.Atoi(f[0])
	return lo, err == nil
}
