package dev.vnet.control.topology;

import dev.vnet.dataplane.api.VxlanOptions;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;
import dev.vnet.dataplane.wire.Vxlan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * A bridge's extension over VXLAN, as the topology file's {@code vxlan:} block says it:
 * {@code { vni: 42, local: 10.10.0.1, port: 4789, remotes: [10.10.0.2], learning: true }}, optionally with
 * {@code static: [{ mac: 02:..., dst: 10.10.0.3 }]}, {@code underlay-mtu} and {@code any-source}.
 *
 * @param vni         the VXLAN network identifier
 * @param local       vnet's underlay address (it must be an address of this host, vnet binds it)
 * @param port        the UDP port; 4789 (IANA) unless given, where the kernel's own default is 8472
 * @param remotes     the flood list
 * @param staticMacs  MACs that live behind a given VTEP, never learned elsewhere
 * @param learning    learn remote MACs from what VTEPs send
 * @param underlayMtu the underlay's MTU, or 0 to take the MTU of the interface that holds {@code local}
 * @param anySource   take datagrams from any sender (the kernel's behaviour), which becomes a VTEP of the VNI;
 *                    off unless given: only the configured VTEPs are heard
 */
public record VxlanSpec(int vni, Ipv4Address local, int port, List<Ipv4Address> remotes,
                        Map<MacAddress, Ipv4Address> staticMacs, boolean learning, int underlayMtu,
                        boolean anySource) {
    /** Copies the collections (keeping the static MACs' order). */
    public VxlanSpec {
        remotes = List.copyOf(remotes);
        staticMacs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(staticMacs));
    }

    /** A block hearing only its configured VTEPs. */
    public VxlanSpec(int vni, Ipv4Address local, int port, List<Ipv4Address> remotes,
                     Map<MacAddress, Ipv4Address> staticMacs, boolean learning, int underlayMtu) {
        this(vni, local, port, remotes, staticMacs, learning, underlayMtu, false);
    }

    /** The dataplane's options, on an underlay of MTU {@code mtu}. */
    public VxlanOptions options(int mtu) {
        return new VxlanOptions(vni, local, port, remotes, staticMacs, learning, mtu, anySource);
    }

    /**
     * "vxlan id 42 local 10.10.0.1 dstport 4789, flood to 10.10.0.2 10.10.0.3, learning on, underlay mtu 1500", as
     * {@code ip -d link} words a vxlan device; an MTU of 0 reads "from the interface that holds" the local address.
     */
    public String describe(int mtu) {
        return String.format("vxlan id %d local %s dstport %d, flood to %s%s, learning %s%s, underlay mtu %s", vni,
                local, port, remotes.isEmpty() ? "none" : remotes.stream().map(Object::toString)
                        .collect(java.util.stream.Collectors.joining(" ")),
                staticMacs.isEmpty() ? "" : ", " + staticMacs.size() + " static MACs", learning ? "on" : "off",
                anySource ? ", from any source" : "",
                mtu > 0 ? Integer.toString(mtu) : "from the interface that holds " + local);
    }

    /** What is wrong with this block alone, each message starting with {@code where}. */
    List<String> problems(String where) {
        List<String> problems = new ArrayList<>();
        if (vni < 0 || vni > Vxlan.MAX_VNI) {
            problems.add(where + ": vni " + vni + " is outside 0.." + Vxlan.MAX_VNI);
        }
        if (remotes.isEmpty() && staticMacs.isEmpty()) {
            problems.add(where + ": remotes: empty, and no static MACs: the bridge would reach no other VTEP");
        }
        Set<Ipv4Address> seen = new HashSet<>();
        for (Ipv4Address r : remotes) {
            if (!seen.add(r)) {
                problems.add(where + ": remotes: " + r + " is listed twice");
            }
            checkRemote(where + ": remotes: " + r, r, problems);
        }
        for (Map.Entry<MacAddress, Ipv4Address> m : staticMacs.entrySet()) {
            if (m.getKey().isGroup() || m.getKey().value() == 0) {
                problems.add(where + ": static: " + m.getKey() + " is not a unicast MAC");
            }
            checkRemote(where + ": static: " + m.getKey() + " dst " + m.getValue(), m.getValue(), problems);
        }
        if (underlayMtu != 0 && Vxlan.innerMtu(underlayMtu) < 68) {
            problems.add(where + ": underlay-mtu " + underlayMtu + " leaves an inner MTU below IPv4's 68 bytes");
        }
        return problems;
    }

    /**
     * What is wrong with the VXLAN blocks of {@code bridges} together: each block alone, a VNI on two bridges, one UDP
     * port on two local addresses, and (where the block gives the underlay MTU) a
     * namespace on an extended bridge whose MTU does not fit the underlay.
     */
    static List<String> problems(List<BridgeSpec> bridges, List<NamespaceSpec> namespaces) {
        List<String> problems = new ArrayList<>();
        Map<Integer, String> vnis = new LinkedHashMap<>();
        Map<Integer, Ipv4Address> locals = new LinkedHashMap<>();
        for (BridgeSpec b : bridges) {
            VxlanSpec v = b.vxlan();
            if (v == null) {
                continue;
            }
            String where = "bridge " + b.name() + ": vxlan";
            problems.addAll(v.problems(where));
            String other = vnis.putIfAbsent(v.vni(), b.name());
            if (other != null) {
                problems.add(where + ": vni " + v.vni() + " already extends bridge " + other);
            }
            Ipv4Address otherLocal = locals.putIfAbsent(v.port(), v.local());
            if (otherLocal != null && !otherLocal.equals(v.local())) {
                problems.add(where + ": local " + v.local() + " differs from " + otherLocal + ", which another bridge "
                        + "uses on port " + v.port() + " (one VTEP per port: every VNI on it shares its address)");
            }
        }
        problems.addAll(mtuProblems(bridges, namespaces, b -> b.vxlan().underlayMtu()));
        return problems;
    }

    /** As {@link #mtuProblems(List, List, ToIntFunction)}, for {@code t}'s bridges and namespaces. */
    public static List<String> mtuProblems(Topology t, ToIntFunction<BridgeSpec> underlayMtu) {
        return mtuProblems(t.bridges(), t.namespaces(), underlayMtu);
    }

    /**
     * A namespace on an extended bridge whose MTU does not fit the underlay, where its MTU is known
     * ({@code underlayMtu} gives 0 where it is not).
     */
    static List<String> mtuProblems(List<BridgeSpec> bridges, List<NamespaceSpec> namespaces,
                                    ToIntFunction<BridgeSpec> underlayMtu) {
        List<String> problems = new ArrayList<>();
        for (BridgeSpec b : bridges) {
            int mtu = b.vxlan() == null ? 0 : underlayMtu.applyAsInt(b);
            if (mtu == 0) {
                continue;
            }
            for (NamespaceSpec n : namespaces) {
                if (n.bridge().equals(b.name()) && n.mtu() > Vxlan.innerMtu(mtu)) {
                    problems.add("namespace " + n.name() + ": mtu " + n.mtu() + " does not fit bridge " + b.name()
                            + "'s VXLAN underlay (MTU " + mtu + ", less 50 bytes of encapsulation: at most "
                            + Vxlan.innerMtu(mtu) + "); set mtu: " + Vxlan.innerMtu(mtu));
                }
            }
        }
        return problems;
    }

    private void checkRemote(String where, Ipv4Address r, List<String> problems) {
        if (r.equals(local)) {
            problems.add(where + " is the local address itself");
        }
        int first = r.value() >>> 24;
        if (r.value() == 0 || r.value() == -1 || first >= 224) {
            problems.add(where + " is not a unicast address (a multicast group as the kernel's 'group' is not "
                    + "supported: list the VTEPs)");
        }
    }

    /** The block as the topology file writes it. */
    Map<String, Object> document() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vni", vni);
        m.put("local", local.toString());
        m.put("port", port);
        m.put("remotes", remotes.stream().map(Ipv4Address::toString).toList());
        if (!staticMacs.isEmpty()) {
            List<Object> entries = new ArrayList<>();
            staticMacs.forEach((mac, dst) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("mac", mac.toString());
                e.put("dst", dst.toString());
                entries.add(e);
            });
            m.put("static", entries);
        }
        m.put("learning", learning);
        if (anySource) {
            m.put("any-source", true);
        }
        if (underlayMtu != 0) {
            m.put("underlay-mtu", underlayMtu);
        }
        return m;
    }
}
