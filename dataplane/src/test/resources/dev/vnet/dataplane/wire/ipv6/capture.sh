#!/bin/bash
# Captures what the Linux kernel's IPv6 sends, for Ipv6Test: two namespaces joined by a veth pair (fixed MACs), one
# with 2001:db8::1/64 and one with 2001:db8::2/64; the capture starts before the links come up, so it holds the
# kernel's MLDv2 reports (a hop-by-hop header with a router alert), its duplicate address detection (neighbour
# solicitations from ::), its router solicitations, then the neighbour solicitation and advertisement and the echo
# request and reply of one ping -6. Touches nothing outside the two namespaces, which it removes. The veths'
# checksum offload is off, so the captured checksums are the final ones. Run as root: capture.sh OUT_DIR
set -euo pipefail
out=${1:?usage: capture.sh OUT_DIR}
p=v6cap$$
cleanup() { ip netns del ${p}a 2>/dev/null || true; ip netns del ${p}b 2>/dev/null || true; }
trap cleanup EXIT
ip netns add ${p}a
ip netns add ${p}b
ip link add ${p}x netns ${p}a address 02:00:00:00:0a:01 type veth peer name ${p}y netns ${p}b address 02:00:00:00:0b:01
ip netns exec ${p}a ethtool -K ${p}x tx off rx off >/dev/null
ip netns exec ${p}b ethtool -K ${p}y tx off rx off >/dev/null
ip -n ${p}a addr add 2001:db8::1/64 dev ${p}x
ip -n ${p}b addr add 2001:db8::2/64 dev ${p}y
ip -n ${p}b link set ${p}y up
ip netns exec ${p}b tcpdump -i ${p}y -U -w "$out/kernel.pcap" ip6 2>/dev/null &
dump=$!
sleep 1
ip -n ${p}a link set ${p}x up
# Until duplicate address detection is over on both sides (the addresses lose "tentative").
for _ in $(seq 50); do
  if ! ip -n ${p}a -6 addr show dev ${p}x | grep -q tentative && ! ip -n ${p}b -6 addr show dev ${p}y | grep -q tentative; then
    break
  fi
  sleep 0.2
done
ip netns exec ${p}a ping -6 -c 1 -W 2 2001:db8::2 >/dev/null
sleep 1
kill $dump
wait $dump || true
