#!/usr/bin/env bash
# The TAP floor: two namespaces joined by tap_floor (a minimal C forwarder between two TAPs, offloads on, one
# thread per direction), measured with the iperf3 cases of vnet bench, and the same two hosts joined by a Linux
# bridge (veth pairs to a bridge in a namespace of its own, as vnet bench's kernel network), alternating run by run
# so drift hits both alike. It says what the TAP design itself allows on this machine, relative to the kernel: the
# floor under vnet's own code. Needs root, gcc, iperf3, python3 (to read iperf3's JSON).
#   sudo bench/tap-floor/run.sh [RUNS] [SECONDS] [spin|spin1|adaptive]
# CASES="tcp1 tcp4 udp ping" (the default) picks the cases; ping is vnet bench's: 50 a second, the mean round trip
# (PING_RATE=N sends N a second instead: at 50 the CPUs idle between pings and waking them dominates).
# Creates namespaces and TAPs named tf<random>*, and removes exactly those at the end, also after a failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs="${1:-3}"
seconds="${2:-10}"
mode="${3:-}"
prefix="tf$(printf '%04x' $((RANDOM % 65536)))"
work="$(mktemp -d)"
red="$prefix-red"
blue="$prefix-blue"
kred="$prefix-kred"
kblue="$prefix-kblue"
kbr="$prefix-kbr"
tap_a="${prefix}a"
tap_b="${prefix}b"
fwd=""

cleanup() {
  [ -n "$fwd" ] && kill "$fwd" 2>/dev/null && wait "$fwd" 2>/dev/null || true
  ip -n "$red" link del "$tap_a" 2>/dev/null || ip link del "$tap_a" 2>/dev/null || true
  ip -n "$blue" link del "$tap_b" 2>/dev/null || ip link del "$tap_b" 2>/dev/null || true
  for ns in "$red" "$blue" "$kred" "$kblue" "$kbr"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
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

# The kernel's network: kred and kblue on a bridge in kbr, by veth pairs (their ends in kbr named pred, pblue).
for ns in "$kred" "$kblue" "$kbr"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip -n "$kbr" link add br0 type bridge
ip -n "$kbr" link set br0 up
for pair in "$kred:pred:192.168.15.1" "$kblue:pblue:192.168.15.2"; do
  IFS=: read -r ns port addr <<< "$pair"
  ip -n "$kbr" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$kbr" link set "$port" master br0 up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "$addr/24" dev eth0
done
ip netns exec "$kred" ping -c 1 -W 2 192.168.15.2 > /dev/null
# A first flood through each network, as vnet bench warms up before measuring.
for ns in "$red" "$kred"; do ip netns exec "$ns" ping -q -f -c 2000 192.168.15.2 > /dev/null; done

measure() { # client-ns server-ns streams tcp|udp|ping -> Gbit/s (TCP), delivered kpps (UDP) or mean round trip in us
  local red="$1" blue="$2" streams="$3" udp="$4" port=5201 extra=()
  if [ "$udp" = ping ]; then
    local rate="${PING_RATE:-50}"
    ip netns exec "$red" ping -q -c $((seconds * rate)) -i "$(awk -v r="$rate" 'BEGIN { printf "%.6f", 1 / r }')" \
      192.168.15.2 | awk -F/ '/^rtt|^round-trip/ {printf "%.1f\n", $5 * 1000}'
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

echo "tap_floor ${mode:-blocking} and the kernel bridge, alternating: $runs run(s) of $seconds s per case, $(nproc) cores, Linux $(uname -r)"
printf '%-40s %8s %8s %7s   %s\n' "case" "floor" "kernel" "ratio" "(runs: floor / kernel)"
for c in "tcp1 1 tcp TCP, 1 stream (Gbit/s)" "tcp4 4 tcp TCP, 4 streams (Gbit/s)" \
    "udp 1 udp UDP 64-byte frames, unpaced (kpps)" "ping 1 ping ping round trip (us)"; do
  read -r name streams kind title <<< "$c"
  case " ${CASES:-tcp1 tcp4 udp ping} " in *" $name "*) ;; *) continue ;; esac
  floor=()
  kernel=()
  for run in $(seq "$runs"); do
    if [ $((run % 2)) -eq 1 ]; then
      floor+=("$(measure "$red" "$blue" "$streams" "$kind")")
      kernel+=("$(measure "$kred" "$kblue" "$streams" "$kind")")
    else
      kernel+=("$(measure "$kred" "$kblue" "$streams" "$kind")")
      floor+=("$(measure "$red" "$blue" "$streams" "$kind")")
    fi
  done
  f="$(printf '%s\n' "${floor[@]}" | median)"
  k="$(printf '%s\n' "${kernel[@]}" | median)"
  # Throughput: floor/kernel; a round trip: kernel/floor (above 1 means the floor did better, as in vnet bench).
  ratio="$(awk -v f="$f" -v k="$k" -v kind="$kind" 'BEGIN { printf "%.2f", kind == "ping" ? k / f : f / k }')"
  printf '%-40s %8s %8s %7s   (runs: %s / %s)\n' "$title" "$f" "$k" "$ratio" "${floor[*]}" "${kernel[*]}"
done
