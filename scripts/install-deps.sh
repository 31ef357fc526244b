#!/usr/bin/env bash
# Installs what vnet needs to build, run and test, on Debian/Ubuntu, when it is missing:
# a JDK (17 or newer), Maven, iproute2, libpcap (capture filters), the tools the tests drive (ping, OpenBSD
# netcat, iperf3, curl, traceroute) and nft (vnet bench's kernel network). With --test also the capture readers the
# tests check vnet's files with (tcpdump, tshark), the frame crafters (mausezahn, hping3), tracepath and nmap.
# With --bench (and with --test, whose bench test runs them) also the peers vnet bench --peers measures: Open
# vSwitch (openvswitch-switch; installed without starting the system's OVS, which vnet bench never uses), a C
# compiler for the TAP floor, and the user-mode NAT stacks pasta (passt) and slirp4netns.
# Does nothing (and needs no network) when everything is present.
set -euo pipefail

case "${1:-}" in
  ""|--test|--bench) ;;
  *) echo "install-deps.sh: unknown option '$1' (none, --test or --bench)" >&2; exit 2 ;;
esac
missing=()
need() { missing+=("$1"); }
# A command on the PATH, or in the sbin directories a normal user's PATH lacks (ip, nft, ldconfig live there).
have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

java_major() {
  java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}
if ! command -v javac >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then need openjdk-17-jdk-headless; fi
have mvn || need maven
have ip || need iproute2
have ss || need iproute2
have ping || need iputils-ping
# The tests use OpenBSD netcat's flags (-N); the traditional netcat lacks them.
if ! command -v nc >/dev/null 2>&1 || ! nc -h 2>&1 | grep -q -- '-N'; then need netcat-openbsd; fi
have iperf3 || need iperf3
have curl || need curl
# The README's dual-stack tour traces the path through vnet's router.
have traceroute || need traceroute
# vnet bench builds its kernel comparison network with an nft table inside a namespace of its own.
have nft || need nftables
# ldconfig is in /sbin, off a normal user's PATH: asking it by name there made libpcap look missing on every run.
pcap_present() {
  local ldconfig
  for ldconfig in ldconfig /usr/sbin/ldconfig /sbin/ldconfig; do
    if command -v "$ldconfig" >/dev/null 2>&1; then
      "$ldconfig" -p 2>/dev/null | grep -q 'libpcap.so.0.8' && return 0
      break
    fi
  done
  compgen -G '/usr/lib/*/libpcap.so.0.8' >/dev/null || compgen -G '/lib/*/libpcap.so.0.8' >/dev/null
}
pcap_present || need libpcap0.8
bench_peers=false
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
  have ovs-vswitchd || { need openvswitch-switch; bench_peers=true; }
  # The TAP floor is one C file compiled where it runs.
  { have cc && [ -e /usr/include/linux/if_tun.h ]; } || { need gcc; need libc6-dev; }
  # The user-mode NAT stacks (the passt package has pasta).
  have pasta || need passt
  have slirp4netns || need slirp4netns
fi
if [ "${1:-}" = "--test" ]; then
  have tcpdump || need tcpdump
  # VXLAN scenarios simulate hosts on veth, whose checksum offload must be off as a real NIC's wire is.
  have ethtool || need ethtool
  have tshark || need tshark
  have mausezahn || need netsniff-ng
  have hping3 || need hping3
  # The IPv6 routing scenarios trace the path MTU as users do.
  have tracepath || need iputils-tracepath
  # The policy scenario scans the gateway from lan as a user checking their rules would.
  have nmap || need nmap
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

# De-duplicate while keeping order.
packages=$(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
echo "vnet: installing missing packages: $packages" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "vnet: apt-get not found; install these by hand: $packages" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Installing openvswitch-switch would start the system's OVS daemons; vnet bench runs private ones, so while apt
# runs, services are not started (Debian's policy-rc.d), unless the machine already says so itself.
policy=/usr/sbin/policy-rc.d
if $bench_peers && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by vnet scripts/install-deps.sh while apt runs\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $packages >&2
