package dev.vnet.control.lab;

import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.VxlanSpec;
import dev.vnet.dataplane.port.UdpSocket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The underlay of the topology's VXLAN bridges, checked before anything is created: each local address must belong to
 * an interface of this network namespace and its port must be free to bind, and the underlay's MTU (given, or that
 * interface's) must leave room for the namespaces' MTU on the bridge.
 */
final class VxlanUnderlay {
    private VxlanUnderlay() {
    }

    /** The underlay MTU of each extended bridge, by bridge name; throws with every problem found. */
    static Map<String, Integer> resolve(Topology topology) throws LabException {
        Map<String, Integer> mtus = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        java.util.Set<String> bound = new java.util.HashSet<>();
        for (BridgeSpec b : topology.bridges()) {
            VxlanSpec v = b.vxlan();
            if (v == null) {
                continue;
            }
            String where = "bridge " + b.name() + ": vxlan: local " + v.local();
            NetworkInterface holder = holderOf(v);
            if (holder == null) {
                problems.add(where + " is not an address of any interface in this network namespace, so vnet "
                        + "cannot bind it (ip addr add " + v.local() + "/PREFIX dev UNDERLAY)");
                continue;
            }
            int mtu = v.underlayMtu() != 0 ? v.underlayMtu() : mtuOf(holder);
            mtus.put(b.name(), mtu);
            String key = v.local() + ":" + v.port();
            if (bound.add(key)) {
                try (UdpSocket probe = UdpSocket.bind(v.local().value(), v.port(), true)) {
                    probe.port(); // bound, and closed at once
                } catch (IOException e) {
                    problems.add(where + ": UDP port " + v.port() + ": " + e.getMessage()
                            + " (a kernel vxlan device on this port in this namespace holds it too)");
                }
            }
        }
        problems.addAll(VxlanSpec.mtuProblems(topology, b -> mtus.getOrDefault(b.name(), 0)));
        if (!problems.isEmpty()) {
            throw new LabException(topology.name() + ": " + String.join("; ", problems) + "; nothing was created");
        }
        return mtus;
    }

    private static NetworkInterface holderOf(VxlanSpec v) {
        try {
            byte[] a = ByteBuffer.allocate(4).putInt(v.local().value()).array();
            return NetworkInterface.getByInetAddress(InetAddress.getByAddress(a));
        } catch (SocketException | UnknownHostException e) {
            return null;
        }
    }

    private static int mtuOf(NetworkInterface i) {
        try {
            return i.getMTU();
        } catch (SocketException e) {
            return 1500;
        }
    }
}
