#!/usr/bin/env bash
# The TAP floor: two namespaces joined by tap_floor (a minimal C forwarder between two TAPs, offloads on, one
# thread per direction), measured with the iperf3 cases of vnet bench. It says what the TAP design itself allows on
# this machine, the floor under vnet's own code. Needs root, gcc, iperf3, python3 (to read iperf3's JSON).
#   sudo bench/tap-floor/run.sh [RUNS] [SECONDS] [spin|spin1|adaptive]
# CASES="tcp1 tcp4 udp ping" (the default) picks the cases; ping is vnet bench's: 50 a second, the mean round trip.
# Creates namespaces and TAPs named tf<random>-*, and removes exactly those at the end, also after a failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs="${1:-3}"
seconds="${2:-10}"
mode="${3:-}"
prefix="tf$(printf '%04x' $((RANDOM % 65536)))"
work="$(mktemp -d)"
red="$prefix-red"
blue="$prefix-blue"
tap_a="${prefix}a"
tap_b="${prefix}b"
fwd=""

cleanup() {
  [ -n "$fwd" ] && kill "$fwd" 2>/dev/null && wait "$fwd" 2>/dev/null || true
  for ns in "$red" "$blue"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  ip -n "$red" link del "$tap_a" 2>/dev/null || ip link del "$tap_a" 2>/dev/null || true
  ip -n "$blue" link del "$tap_b" 2>/dev/null || ip link del "$tap_b" 2>/dev/null || true
  ip netns del "$red" 2>/dev/null || true
  ip netns del "$blue" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -Wall -Wextra -pthread -o "$work/tap_floor" "$here/tap_floor.c"
ip netns add "$red"
ip netns add "$blue"
ip tuntap add dev "$tap_a" mode tap vnet_hdr
ip tuntap add dev "$tap_b" mode tap vnet_hdr
"$work/tap_floor" "$tap_a" "$tap_b" $mode 2> "$work/tap_floor.log" &
fwd=$!
sleep 0.5
ip link set "$tap_a" netns "$red"
ip link set "$tap_b" netns "$blue"
for pair in "$red:$tap_a:192.168.15.1" "$blue:$tap_b:192.168.15.2"; do
  IFS=: read -r ns dev addr <<< "$pair"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$dev" txqueuelen 1000 mtu 1500 up
  ip -n "$ns" addr add "$addr/24" dev "$dev"
done
ip netns exec "$red" ping -c 1 -W 2 192.168.15.2 > /dev/null

measure() { # streams tcp|udp|ping -> Gbit/s (TCP), delivered kpps (UDP) or mean round trip in us (ping)
  local streams="$1" udp="$2" port=5201 extra=()
  if [ "$udp" = ping ]; then
    ip netns exec "$red" ping -q -c $((seconds * 50)) -i 0.02 192.168.15.2 \
      | awk -F/ '/^rtt|^round-trip/ {printf "%.0f\n", $5 * 1000}'
    return
  fi
  [ "$streams" -gt 1 ] && extra+=(-P "$streams")
  [ "$udp" = udp ] && extra+=(-u -l 18 -b 0)
  ip netns exec "$blue" iperf3 -s -1 -p "$port" > /dev/null 2>&1 &
  local server=$!
  for _ in $(seq 50); do ip netns exec "$blue" ss -ltnH | grep -q ":$port " && break; sleep 0.1; done
  ip netns exec "$red" iperf3 -c 192.168.15.2 -p "$port" -t "$seconds" -J "${extra[@]}" > "$work/out.json"
  wait "$server" 2>/dev/null || true
  python3 - "$work/out.json" "$udp" <<'PY'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
if sys.argv[2] == "udp":
    s = end["sum"]
    print("%.1f" % ((s["packets"] - s["lost_packets"]) / s["seconds"] / 1000))
else:
    print("%.2f" % (end["sum_received"]["bits_per_second"] / 1e9))
PY
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

echo "tap_floor ${mode:-blocking}: $runs run(s) of $seconds s per case, $(nproc) cores, Linux $(uname -r)"
for c in "tcp1 1 tcp TCP, 1 stream (Gbit/s)" "tcp4 4 tcp TCP, 4 streams (Gbit/s)" \
    "udp 1 udp UDP 64-byte frames, unpaced (kpps)" "ping 1 ping ping round trip (us)"; do
  read -r name streams kind title <<< "$c"
  case " ${CASES:-tcp1 tcp4 udp ping} " in *" $name "*) ;; *) continue ;; esac
  values=()
  for _ in $(seq "$runs"); do values+=("$(measure "$streams" "$kind")"); done
  printf '%-40s %8s   (runs: %s)\n' "$title" "$(printf '%s\n' "${values[@]}" | median)" "${values[*]}"
done
