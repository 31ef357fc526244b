#!/bin/bash
# Captures what the Linux kernel's vxlan sends, for VxlanTest: two "hosts" (namespaces) joined by a veth underlay in
# 198.51.100.0/24, each with a kernel vxlan device (VNI 42, UDP port 4789) whose overlay address is in 192.0.2.0/24;
# one ping across with the outer UDP checksum (the kernel's default), one with noudpcsum. Touches nothing outside
# the two namespaces, which it removes. The veths' checksum offload is turned off (ethtool), so the captured outer UDP
# checksums are the final ones, not the partial sums an offloading veth hands on. Run as root: capture.sh OUT_DIR
set -euo pipefail
out=${1:?usage: capture.sh OUT_DIR}
p=vxcap$$
cleanup() { ip netns del ${p}a 2>/dev/null || true; ip netns del ${p}b 2>/dev/null || true; }
trap cleanup EXIT
ip netns add ${p}a
ip netns add ${p}b
ip link add ${p}x netns ${p}a type veth peer name ${p}y netns ${p}b
ip -n ${p}a addr add 198.51.100.1/24 dev ${p}x
ip -n ${p}b addr add 198.51.100.2/24 dev ${p}y
ip netns exec ${p}a ethtool -K ${p}x tx off rx off >/dev/null
ip netns exec ${p}b ethtool -K ${p}y tx off rx off >/dev/null
ip -n ${p}a link set ${p}x up
ip -n ${p}b link set ${p}y up
for csum in udpcsum noudpcsum; do
  ip -n ${p}a link add vx0 type vxlan id 42 dstport 4789 local 198.51.100.1 remote 198.51.100.2 $csum
  ip -n ${p}b link add vx0 type vxlan id 42 dstport 4789 local 198.51.100.2 remote 198.51.100.1 $csum
  ip -n ${p}a link set vx0 address 02:00:00:00:0a:01
  ip -n ${p}b link set vx0 address 02:00:00:00:0b:01
  ip -n ${p}a addr add 192.0.2.1/24 dev vx0
  ip -n ${p}b addr add 192.0.2.2/24 dev vx0
  ip -n ${p}a link set vx0 up
  ip -n ${p}b link set vx0 up
  ip netns exec ${p}b tcpdump -i ${p}y -U -c 4 -w "$out/kernel-$csum.pcap" udp port 4789 2>/dev/null &
  dump=$!
  sleep 1
  ip netns exec ${p}a ping -c 1 -W 2 192.0.2.2 >/dev/null
  wait $dump
  ip -n ${p}a link del vx0
  ip -n ${p}b link del vx0
done
