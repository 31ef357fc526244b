package dev.vnet.dataplane.api;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.conntrack.TcpState;
import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.NeighborTable;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.port.PortCounters;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the dataplane shows: its tables and counters as the API's records and maps, each read at the loops' barrier
 * (a consistent snapshot; nothing here is on the per-frame path). {@link Dataplane}'s read methods, split off it;
 * documented there.
 */
final class DataplaneViews {
    private final Dataplane dp;

    DataplaneViews(Dataplane dp) {
        this.dp = dp;
    }

    private static FlowTuple tuple(ConnTable table, IpProtocol protocol, long hi, long lo) {
        return new FlowTuple(protocol, address(table, FlowKey.src(hi), lo), FlowKey.srcPort(lo),
                address(table, FlowKey.dst(hi), lo), FlowKey.dstPort(lo));
    }

    /** An address of a tuple: itself in an IPv4 one, the address its handle holds in an IPv6 one. */
    private static IpAddress address(ConnTable table, int value, long lo) {
        return FlowKey.isV6(lo) ? new Ipv6Address(table.address6Hi(value), table.address6Lo(value))
                : new Ipv4Address(value);
    }

    List<ConnectionEntry> connections() {
        return dp.call(() -> {
            long now = dp.clock.nanos();
            var table = dp.router.conntrack();
            List<ConnectionEntry> out = new ArrayList<>();
            table.forEach(now, id -> {
                long oHi = table.origHi(id);
                long oLo = table.origLo(id);
                int protocol = FlowKey.protocol(oLo);
                int flags = table.flags(id);
                String state = protocol == 6 ? TcpState.of(table.state(id)).name()
                        : (flags & Conn.REPLIED) != 0 ? "REPLIED" : "UNREPLIED";
                IpProtocol p = new IpProtocol(protocol);
                out.add(new ConnectionEntry(p, tuple(table, p, oHi, oLo),
                        tuple(table, p, table.replyHi(id), table.replyLo(id)),
                        state, TimeUnit.NANOSECONDS.toSeconds(table.remaining(id, now)),
                        (flags & Conn.TRANSLATED) != 0));
            });
            return out;
        });
    }

    List<String> natRules() {
        return dp.call(() -> {
            List<String> out = new ArrayList<>();
            for (var m : dp.router.natRules().masqueradeRules()) {
                out.add("masquerade " + Ipv4Addr.toString(m.network()) + "/" + m.length() + " out of "
                        + dp.router.iface(m.outInterface()).name());
            }
            for (var m : dp.router.natRules().masqueradeRules6()) {
                out.add("masquerade " + m.source() + " out of " + dp.router.iface(m.outInterface()).name());
            }
            for (var f : dp.router.natRules().portForwards()) {
                out.add("forward " + NatRules.describe(f));
            }
            for (var f : dp.router.natRules().portForwards6()) {
                out.add("forward " + NatRules.describe(f));
            }
            return out;
        });
    }

    List<String> portForwardRules() {
        return dp.call(() -> {
            List<String> out = new ArrayList<>();
            for (var f : dp.router.natRules().portForwards()) {
                out.add(NatRules.describe(f));
            }
            for (var f : dp.router.natRules().portForwards6()) {
                out.add(NatRules.describe(f));
            }
            return out;
        });
    }

    List<ForwardEntry> portForwards() {
        return dp.call(() -> {
            List<ForwardEntry> out = new ArrayList<>();
            for (var f : dp.router.natRules().portForwards()) {
                String on = dp.routerInterfaces.entrySet().stream()
                        .filter(e -> e.getValue().primaryAddress() == f.address()).map(Map.Entry::getKey)
                        .findFirst().orElse(Ipv4Addr.toString(f.address()));
                out.add(new ForwardEntry(f.protocol() == Ipv4.PROTO_TCP ? ForwardProtocol.TCP : ForwardProtocol.UDP, on,
                        f.portLow(), f.portHigh(), new Ipv4Address(f.target()), f.targetPort()));
            }
            for (var f : dp.router.natRules().portForwards6()) {
                String on = dp.routerInterfaces.entrySet().stream()
                        .filter(e -> e.getValue().hasAddress6(f.address().hi(), f.address().lo()))
                        .map(Map.Entry::getKey).findFirst().orElse(f.address().toString());
                out.add(new ForwardEntry(f.protocol() == Ipv4.PROTO_TCP ? ForwardProtocol.TCP : ForwardProtocol.UDP, on,
                        f.portLow(), f.portHigh(), f.target(), f.targetPort()));
            }
            return out;
        });
    }

    Map<String, Long> conntrackCounters() {
        return dp.call(() -> {
            var t = dp.router.conntrack();
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("entries", (long) t.size());
            m.put("max-entries", (long) t.maxConnections());
            m.put("created", t.created());
            m.put("expired", t.expiredCount());
            m.put("early-drops", t.earlyDrops());
            m.put("full-drops", t.fullDrops());
            m.put("ipv6-addresses", (long) t.addresses6());
            return m;
        });
    }

    List<NeighborEntry> neighbors() {
        return dp.call(() -> {
            List<NeighborEntry> out = new ArrayList<>();
            dp.router.neighbors().forEach((hi, lo, mac, iface, state, queued) -> out.add(new NeighborEntry(
                    new Ipv4Address((int) lo), mac == NeighborTable.UNRESOLVED ? null : new MacAddress(mac),
                    dp.router.iface(iface).name(), state.name(), queued)));
            dp.router.neighbors6().forEach((hi, lo, mac, iface, state, queued) -> out.add(new NeighborEntry(
                    new Ipv6Address(hi, lo), mac == NeighborTable.UNRESOLVED ? null : new MacAddress(mac),
                    dp.router.iface(iface).name(), state.name(), queued)));
            return out;
        });
    }

    List<RouteEntry> routes() {
        return dp.call(() -> {
            List<RouteEntry> out = new ArrayList<>();
            dp.router.routes().forEach((network, length, iface, gateway) -> out.add(new RouteEntry(
                    new Ipv4Cidr(network, length), dp.router.iface(iface).name(), Ipv4Address.orNull(gateway))));
            dp.router.routes6().forEach((hi, lo, length, iface, gwHi, gwLo) -> out.add(new RouteEntry(
                    new Ipv6Cidr(new Ipv6Address(hi, lo), length), dp.router.iface(iface).name(),
                    gwHi == 0 && gwLo == 0 ? null : new Ipv6Address(gwHi, gwLo))));
            return out;
        });
    }

    java.util.Set<Long> routerMacs() {
        return dp.call(() -> {
            java.util.Set<Long> macs = new java.util.HashSet<>();
            dp.routerInterfaces.values().forEach(i -> macs.add(i.mac()));
            return macs;
        });
    }

    List<FdbEntry> fdb(String bridge) {
        return dp.call(() -> {
            Bridge b = dp.requireBridge(bridge);
            List<FdbEntry> out = new ArrayList<>();
            b.table().forEach(dp.clock.nanos(), (mac, port, isStatic, age) ->
                    out.add(new FdbEntry(new MacAddress(mac), port.name(), isStatic, age / 1e9,
                            VxlanConfig.vtepOf(port))));
            return out;
        });
    }

    Map<String, Long> fdbCounters(String bridge) {
        return dp.call(() -> {
            Bridge b = dp.requireBridge(bridge);
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("entries", (long) b.table().size());
            m.put("max-entries", (long) b.table().maxEntries());
            m.put("learned", b.table().learned());
            m.put("moves", b.table().moves());
            m.put("limit-hits", b.table().limitHits());
            m.put("aged", b.table().aged());
            return m;
        });
    }

    List<PortStats> portStats() {
        return dp.call(() -> {
            List<PortStats> out = new ArrayList<>();
            for (Port p : dp.ports.values()) {
                PortCounters c = p.totals();
                Map<String, Long> drops = new LinkedHashMap<>();
                for (int i = 0; i < DropReason.count(); i++) {
                    DropReason r = DropReason.ofOrdinal(i);
                    if (c.drops(r) > 0) {
                        drops.put(r.label(), c.drops(r));
                    }
                }
                Bridge b = dp.membership.get(p);
                out.add(new PortStats(p.name(), p.device(), b == null ? null : b.name(), c.rxFrames(), c.rxBytes(),
                        c.txFrames(), c.txBytes(), c.rxErrors(), drops));
            }
            return out;
        });
    }

    Map<String, Long> pipelineCounters() {
        return dp.call(() -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("received", sum(Pipeline::received));
            m.put("forwarded", sum(Pipeline::forwarded));
            m.put("flooded", sum(Pipeline::flooded));
            m.put("dropped", sum(Pipeline::dropped));
            m.put("consumed", sum(Pipeline::consumed));
            m.put("local", sum(Pipeline::local));
            m.put("injected", sum(Pipeline::injected));
            m.put("software-offloads", sum(Pipeline::softwareOffloads));
            return m;
        });
    }

    private long sum(java.util.function.ToLongFunction<Pipeline> counter) {
        long total = 0;
        for (Pipeline p : dp.pipelines) {
            total += counter.applyAsLong(p);
        }
        return total;
    }

    Map<String, Long> routerCounters() {
        return dp.call(() -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("icmp-errors-suppressed", dp.router.icmpErrorsSuppressed());
            m.put("icmp-redirects-sent", dp.router.redirectsSent());
            m.put("fragments-held", dp.router.fragmentsHeld());
            m.put("fragments-waiting", (long) dp.router.fragmentsWaiting());
            m.put("reassemblies", (long) dp.router.reassembliesInProgress());
            m.put("neighbors", (long) dp.router.neighbors().size());
            m.put("neighbors6", (long) dp.router.neighbors6().size());
            m.put("routes", (long) dp.router.routes().size());
            m.put("routes6", (long) dp.router.routes6().size());
            return m;
        });
    }

    List<Long> loopReceived() {
        return dp.call(() -> {
            List<Long> out = new ArrayList<>();
            for (Pipeline p : dp.pipelines) {
                out.add(p.received());
            }
            return out;
        });
    }

    List<String> bridgeNames() {
        return dp.call(() -> new ArrayList<>(dp.bridges.keySet()));
    }

    List<String> portNames() {
        return dp.call(() -> new ArrayList<>(dp.ports.keySet()));
    }
}
