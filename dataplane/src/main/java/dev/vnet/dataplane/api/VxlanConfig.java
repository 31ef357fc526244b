package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.vxlan.VtepPort;
import dev.vnet.dataplane.vxlan.VxlanEndpoint;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Bridges extended over VXLAN: the VTEP endpoints (one per UDP port, shared by every VNI on it) and the tunnels
 * ({@link VtepPort}s) on each bridge. {@link Dataplane#addVxlan}, split off it; documented there.
 */
final class VxlanConfig {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);

    private final Dataplane dp;
    private final Map<Integer, VxlanEndpoint> endpoints = new LinkedHashMap<>(); // by UDP port
    /** Makes the tunnels of learned VTEPs (any-source VNIs): a barrier call cannot run on a loop, which asks. */
    private java.util.concurrent.ExecutorService learning;

    VxlanConfig(Dataplane dp) {
        this.dp = dp;
    }

    void addVxlan(String bridge, VxlanOptions o) throws IOException {
        Bridge b = dp.call(() -> {
            dp.checkOpen();
            Bridge found = dp.requireBridge(bridge);
            for (VxlanEndpoint e : endpoints.values()) {
                for (VtepPort t : e.tunnels()) {
                    if (t.vni() == o.vni()) {
                        throw new IllegalArgumentException("VNI " + o.vni() + " already extends bridge '"
                                + dp.membership.get(t).name() + "'");
                    }
                }
            }
            VxlanEndpoint e = endpoints.get(o.port());
            if (e != null && (e.local() != o.local().value() || e.underlayMtu() != o.underlayMtu())) {
                throw new IllegalArgumentException("UDP port " + o.port() + " is already vnet's VTEP on "
                        + new Ipv4Address(e.local()) + " (underlay MTU " + e.underlayMtu() + "): every VNI on one "
                        + "port shares its local address and MTU");
            }
            return found;
        });
        VxlanEndpoint endpoint = endpointFor(o);
        dp.call(() -> {
            List<Ipv4Address> vteps = new ArrayList<>(o.remotes());
            o.staticMacs().values().stream().filter(a -> !vteps.contains(a)).distinct().forEach(vteps::add);
            Map<Ipv4Address, VtepPort> byRemote = new LinkedHashMap<>();
            for (Ipv4Address remote : vteps) {
                byRemote.put(remote, attachTunnel(endpoint, b, o, remote.value(), o.remotes().contains(remote)));
            }
            for (Map.Entry<MacAddress, Ipv4Address> m : o.staticMacs().entrySet()) {
                b.table().putStatic(m.getKey().value(), byRemote.get(m.getValue()));
            }
            if (o.anySource()) {
                if (learning == null) {
                    learning = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "vnet-vxlan-learn");
                        t.setDaemon(true);
                        return t;
                    });
                }
                endpoint.learnFrom(o.vni(), (vni, remote) -> learning.execute(() -> learn(endpoint, b, o, remote)));
            }
            log.info("bridge {} extends over VXLAN: VNI {}, VTEP {}:{}, flood list {}, {} static MACs, learning {}{}",
                    bridge, o.vni(), o.local(), o.port(), o.remotes(), o.staticMacs().size(),
                    o.learning() ? "on" : "off", o.anySource() ? ", any source" : "");
            return null;
        });
    }

    /**
     * A tunnel of {@code o}'s VNI to {@code remote} on {@code endpoint}, a port of bridge {@code b} that gets floods
     * when {@code floods}; at the barrier.
     */
    private VtepPort attachTunnel(VxlanEndpoint endpoint, Bridge b, VxlanOptions o, int remote, boolean floods) {
        String name = "vxlan" + o.vni() + "@" + new Ipv4Address(remote);
        dp.checkNewPort(name);
        VtepPort t = endpoint.addTunnel(dp.nextPortId(), name, o.vni(), remote, o.learning(), floods);
        dp.ports.put(name, t);
        b.attach(t, floods);
        dp.membership.put(t, b);
        return t;
    }

    /** Makes {@code remote}, heard on {@code o}'s VNI, a unicast-only tunnel of bridge {@code b}. */
    private void learn(VxlanEndpoint endpoint, Bridge b, VxlanOptions o, int remote) {
        try {
            VtepPort t = dp.call(() -> {
                dp.checkOpen();
                return attachTunnel(endpoint, b, o, remote, false);
            });
            log.info("VNI {}: learned VTEP {} (any source): port {}", o.vni(), new Ipv4Address(remote), t.name());
        } catch (RuntimeException e) {
            log.warn("VNI {}: cannot make a tunnel to the VTEP {} heard from: {}", o.vni(), new Ipv4Address(remote),
                    e.getMessage());
        } finally {
            endpoint.learned(o.vni(), remote);
        }
    }

    /** The endpoint on {@code o}'s port, opened and registered with the loops the first time. */
    private VxlanEndpoint endpointFor(VxlanOptions o) throws IOException {
        VxlanEndpoint existing = dp.call(() -> endpoints.get(o.port()));
        if (existing != null) {
            return existing;
        }
        VxlanEndpoint e = VxlanEndpoint.open(dp.nextPortId(), o.local().value(), o.port(), o.underlayMtu(),
                dp.tapSinks, dp.allocator);
        try {
            e.register(dp.loops.all()).get(Dataplane.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception ex) {
            dp.call(() -> {
                e.close();
                return null;
            });
            throw new IOException("cannot register the VXLAN socket with the event loops: " + ex.getMessage(), ex);
        }
        dp.call(() -> {
            endpoints.put(o.port(), e);
            dp.ports.put(e.name(), e);
            return null;
        });
        log.info("VTEP listening on {}:{} (underlay MTU {}, inner MTU {})", o.local(), o.port(), o.underlayMtu(),
                o.innerMtu());
        return e;
    }

    /** The tunnel's remote VTEP, or null for a port that is not a tunnel. */
    static Ipv4Address vtepOf(Port p) {
        return p instanceof VtepPort t ? new Ipv4Address(t.remote()) : null;
    }

    /** Forgets every endpoint (their ports are closed with the others) and stops learning VTEPs. */
    void clear() {
        endpoints.clear();
        if (learning != null) {
            learning.shutdownNow();
        }
    }
}
