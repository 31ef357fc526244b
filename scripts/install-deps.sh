#!/usr/bin/env bash
# Installs what vnet needs to build, run and test, on Debian/Ubuntu, when it is missing:
# a JDK (17 or newer), Maven, iproute2, libpcap (capture filters), the tools the tests drive (ping, OpenBSD
# netcat, iperf3, curl) and nft (vnet bench's kernel network). With --test also the capture readers the tests check
# vnet's files with (tcpdump, tshark).
# Does nothing (and needs no network) when everything is present.
set -euo pipefail

missing=()
need() { missing+=("$1"); }

java_major() {
  java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}
if ! command -v javac >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then need openjdk-17-jdk-headless; fi
command -v mvn >/dev/null 2>&1 || need maven
command -v ip >/dev/null 2>&1 || need iproute2
command -v ss >/dev/null 2>&1 || need iproute2
command -v ping >/dev/null 2>&1 || need iputils-ping
# The tests use OpenBSD netcat's flags (-N); the traditional netcat lacks them.
if ! command -v nc >/dev/null 2>&1 || ! nc -h 2>&1 | grep -q -- '-N'; then need netcat-openbsd; fi
command -v iperf3 >/dev/null 2>&1 || need iperf3
command -v curl >/dev/null 2>&1 || need curl
# vnet bench builds its kernel comparison network with an nft table inside a namespace of its own.
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need nftables
ldconfig -p 2>/dev/null | grep -q 'libpcap.so.0.8' || need libpcap0.8
if [ "${1:-}" = "--test" ]; then
  command -v tcpdump >/dev/null 2>&1 || need tcpdump
  command -v tshark >/dev/null 2>&1 || need tshark
  command -v mausezahn >/dev/null 2>&1 || need netsniff-ng
  command -v hping3 >/dev/null 2>&1 || need hping3
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
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $packages >&2
