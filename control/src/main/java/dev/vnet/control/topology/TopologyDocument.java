package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Addr;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A topology written back as the document {@link TopologyFile} reads: the same keys, every value explicit, so that
 * {@code vnet topology > lab.yaml} followed by {@code vnet up lab.yaml} builds the network that was running.
 * {@link #tree} is the document as maps and lists (for JSON); {@link #yaml} renders it.
 */
public final class TopologyDocument {
    private TopologyDocument() {
    }

    /** The document as nested maps and lists, in the file's key order. */
    public static Map<String, Object> tree(Topology t) {
        Map<String, Object> doc = new LinkedHashMap<>();
        List<Object> bridges = new ArrayList<>();
        for (BridgeSpec b : t.bridges()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", b.name());
            List<String> gateways = new ArrayList<>();
            b.gateways().forEach(g -> gateways.add(g.toString()));
            b.gateways6().forEach(g -> gateways.add(g.toString()));
            if (gateways.size() == 1) {
                m.put("gateway", gateways.get(0));
            } else if (!gateways.isEmpty()) {
                m.put("gateway", gateways);
            }
            m.put("mac-aging", TimeUnit.NANOSECONDS.toSeconds(b.options().agingNanos()));
            m.put("fdb-max", b.options().fdbMaxEntries());
            if (b.hasHostPort()) {
                m.put("host-port", b.hostInterface());
                m.put("host-address", oneOrList(b.hostAddress(), b.hostAddresses6()));
            }
            if (b.vxlan() != null) {
                m.put("vxlan", b.vxlan().document());
            }
            if (b.isolated()) {
                m.put("isolated", true);
            }
            if (b.filterSwitched()) {
                m.put("filter-switched", true);
            }
            if (!b.routerAdvertisements()) {
                m.put("router-advertisements", false);
            }
            if (!b.rdnss().isEmpty()) {
                m.put("rdnss", b.rdnss().stream().map(Object::toString).toList());
            }
            bridges.add(m);
        }
        doc.put("bridges", bridges);
        List<Object> namespaces = new ArrayList<>();
        for (NamespaceSpec n : t.namespaces()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", n.name());
            m.put("bridge", n.bridge());
            m.put("address", oneOrList(n.address(), n.addresses6()));
            m.put("interface", n.interfaceName());
            m.put("mtu", n.mtu());
            List<String> vias = new ArrayList<>();
            if (n.defaultGateway() != 0) {
                vias.add(Ipv4Addr.toString(n.defaultGateway()));
            }
            if (n.defaultGateway6() != null) {
                vias.add(n.defaultGateway6().toString());
            }
            if (!vias.isEmpty()) {
                m.put("default-route", vias.size() == 1 ? vias.get(0) : vias);
            }
            if (!n.offloads()) {
                m.put("offloads", false);
            }
            namespaces.add(m);
        }
        doc.put("namespaces", namespaces);
        List<Object> uplinks = new ArrayList<>();
        for (UplinkSpec u : t.uplinks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", u.name());
            if (!u.inRootNamespace()) {
                m.put("namespace", u.namespace());
            }
            m.put("interface", u.interfaceName());
            m.put("address", oneOrList(u.hostAddress(), u.hostAddresses6()));
            m.put("router-address", oneOrList(u.routerAddress(), u.routerAddresses6()));
            m.put("mtu", u.mtu());
            if (!u.offloads()) {
                m.put("offloads", false);
            }
            uplinks.add(m);
        }
        doc.put("uplinks", uplinks);
        List<Object> routes = new ArrayList<>();
        for (RouteSpec r : t.routes()) {
            routes.add(ordered("to", r.destination().toString(), "via", r.gateway().toString()));
        }
        doc.put("routes", routes);
        List<Object> masquerades = new ArrayList<>();
        for (MasqueradeSpec m : t.masquerades()) {
            masquerades.add(ordered("source", m.source().toString(), "out", m.out()));
        }
        doc.put("masquerade", masquerades);
        List<Object> forwards = new ArrayList<>();
        for (PortForwardSpec f : t.forwards()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("protocol", f.protocol().toString());
            m.put("on", f.on());
            m.put("port", f.portLow() == f.portHigh() ? (Object) f.portLow() : f.portLow() + "-" + f.portHigh());
            m.put("to", f.to());
            forwards.add(m);
        }
        doc.put("forwards", forwards);
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("connections", t.limits().maxConnections());
        limits.put("neighbors", t.limits().maxNeighbors());
        limits.put("routes", t.limits().maxRoutes());
        limits.put("timeouts", new LinkedHashMap<>(t.limits().timeouts().seconds()));
        doc.put("limits", limits);
        if (!t.policy().rules().isEmpty() || !t.policy().defaultAction().equals("accept")) {
            Map<String, Object> policy = new LinkedHashMap<>();
            policy.put("default", t.policy().defaultAction());
            List<Object> rules = new ArrayList<>();
            for (PolicySpec.Rule r : t.policy().rules()) {
                Map<String, Object> m = new LinkedHashMap<>();
                putIf(m, "from", r.from());
                putIf(m, "to", r.to());
                putIf(m, "protocol", r.protocol());
                if (r.portLow() != 0 || r.portHigh() != 65535) {
                    m.put(r.protocol() != null && r.protocol().startsWith("icmp") ? "type" : "port",
                            r.portLow() == r.portHigh() ? (Object) r.portLow() : r.portLow() + "-" + r.portHigh());
                }
                if (!r.states().isEmpty()) {
                    m.put("state", r.states());
                }
                putIf(m, "forwarded", r.forwarded());
                m.put("action", r.action());
                putIf(m, "reject-with", r.rejectWith());
                if (r.log()) {
                    m.put("log", true);
                }
                rules.add(m);
            }
            policy.put("rules", rules);
            doc.put("policy", policy);
        }
        if (!t.captures().isEmpty()) {
            List<Object> captures = new ArrayList<>();
            for (CaptureSpec c : t.captures()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ports", c.ports());
                m.put("file", c.file().toString());
                if (!c.filter().isBlank()) {
                    m.put("filter", c.filter());
                }
                m.put("direction", c.direction());
                m.put("drops", c.drops());
                if (c.rotateBytes() > 0) {
                    m.put("rotate", c.rotateBytes());
                    m.put("keep", c.keep());
                }
                captures.add(m);
            }
            doc.put("captures", captures);
        }
        return doc;
    }

    private static void putIf(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    /** One IPv4 address as a scalar, or it and the IPv6 ones as a list, as the file takes them. */
    private static Object oneOrList(Object v4, List<?> v6) {
        if (v6.isEmpty()) {
            return v4.toString();
        }
        List<String> all = new ArrayList<>(List.of(v4.toString()));
        v6.forEach(a -> all.add(a.toString()));
        return all;
    }

    private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    /** The document as YAML in block style, headed by a comment naming where it came from. */
    public static String yaml(Topology t, String heading) {
        return yaml(tree(t), heading);
    }

    /** A document tree (as {@link #tree} makes, or read back from JSON) as YAML, headed by a comment. */
    public static String yaml(Map<String, Object> tree, String heading) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(2);
        options.setIndentWithIndicator(true);
        options.setWidth(120);
        return "# " + heading + "\n" + new Yaml(options).dump(tree);
    }
}
