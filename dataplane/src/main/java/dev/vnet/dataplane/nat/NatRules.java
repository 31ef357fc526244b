package dev.vnet.dataplane.nat;

import dev.vnet.dataplane.ConflictException;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.ArrayList;
import java.util.List;

/**
 * The NAT rules: MASQUERADE (iptables {@code -t nat -A POSTROUTING -s NET -o IF -j MASQUERADE}) and port forwards
 * (DNAT, {@code -A PREROUTING -d ADDR -p PROTO --dport P -j DNAT --to TARGET:PORT}). Few rules are expected; matching
 * scans arrays. IPv6 has rules of its own kind ({@link Masquerade6}, {@link PortForward6}) in the same place.
 * Changed by the control plane at the loops' barrier.
 */
public final class NatRules {
    /**
     * Source NAT to the egress interface's address for connections from {@code network/length} leaving by
     * router interface {@code outInterface}.
     */
    public record Masquerade(int network, int length, int outInterface) {
        /** True when a connection from {@code src} leaving by {@code iface} is masqueraded. */
        public boolean matches(int src, int iface) {
            return iface == outInterface && Ipv4Addr.contains(network, length, src);
        }
    }

    /**
     * Destination NAT of new connections to {@code address} on ports {@code portLow..portHigh} to
     * {@code target}, port {@code targetPort + (port - portLow)}.
     *
     * @param protocol 6 (TCP) or 17 (UDP); "both" is two rules
     */
    public record PortForward(int protocol, int address, int portLow, int portHigh, int target, int targetPort) {
        /** Checks the ranges. */
        public PortForward {
            if (protocol != 6 && protocol != 17) {
                throw new IllegalArgumentException("port forward protocol must be tcp or udp");
            }
            if (portLow < 1 || portHigh > 65535 || portLow > portHigh) {
                throw new IllegalArgumentException("port range " + portLow + "-" + portHigh + " is not within 1-65535");
            }
            if (targetPort < 1 || targetPort + (portHigh - portLow) > 65535) {
                throw new IllegalArgumentException("target ports " + targetPort + "-" + (targetPort + portHigh - portLow)
                        + " are not within 1-65535");
            }
        }

        /** True when it applies to a new connection of {@code proto} to {@code dst}:{@code port}. */
        public boolean matches(int proto, int dst, int port) {
            return proto == protocol && dst == address && port >= portLow && port <= portHigh;
        }

        /** The target port for {@code port}. */
        public int translate(int port) {
            return targetPort + (port - portLow);
        }
    }

    /**
     * MASQUERADE of IPv6 (ip6tables {@code -t nat -A POSTROUTING -s NET -o IF -j MASQUERADE}): connections from
     * {@code source} leaving by router interface {@code outInterface} take that interface's address as source.
     */
    public record Masquerade6(Ipv6Cidr source, int outInterface) {
        /** True when a connection from {@code hi:lo} leaving by {@code iface} is masqueraded. */
        public boolean matches(long hi, long lo, int iface) {
            return iface == outInterface && source.contains(hi, lo);
        }
    }

    /**
     * A port forward to an IPv6 target: new connections to {@code address} on ports {@code portLow..portHigh} go to
     * {@code target}, port {@code targetPort + (port - portLow)}; the same checks as {@link PortForward}.
     */
    public record PortForward6(int protocol, Ipv6Address address, int portLow, int portHigh, Ipv6Address target,
                               int targetPort) {
        /** Checks the protocol and the ranges. */
        public PortForward6 {
            new PortForward(protocol, 0, portLow, portHigh, 0, targetPort); // the same rules, the same messages
        }

        /** True when it applies to a new connection of {@code proto} to {@code hi:lo}, port {@code port}. */
        public boolean matches(int proto, long hi, long lo, int port) {
            return proto == protocol && address.hi() == hi && address.lo() == lo && port >= portLow
                    && port <= portHigh;
        }

        /** The target port for {@code port}. */
        public int translate(int port) {
            return targetPort + (port - portLow);
        }
    }

    private Masquerade[] masquerades = new Masquerade[0];
    private PortForward[] forwards = new PortForward[0];
    private Masquerade6[] masquerades6 = new Masquerade6[0];
    private PortForward6[] forwards6 = new PortForward6[0];

    /** Adds an IPv6 MASQUERADE rule. */
    public void add(Masquerade6 rule) {
        List<Masquerade6> l = new ArrayList<>(List.of(masquerades6));
        l.add(rule);
        masquerades6 = l.toArray(new Masquerade6[0]);
    }

    /** Adds an IPv6 port forward; one that overlaps an existing one is refused. */
    public void add(PortForward6 rule) {
        for (PortForward6 f : forwards6) {
            if (f.protocol() == rule.protocol() && f.address().equals(rule.address())
                    && f.portLow() <= rule.portHigh() && rule.portLow() <= f.portHigh()) {
                throw new ConflictException("port forward " + describe(rule) + " overlaps " + describe(f));
            }
        }
        List<PortForward6> l = new ArrayList<>(List.of(forwards6));
        l.add(rule);
        forwards6 = l.toArray(new PortForward6[0]);
    }

    /** Removes an IPv6 port forward equal to {@code rule}; true if there was one. */
    public boolean remove(PortForward6 rule) {
        List<PortForward6> l = new ArrayList<>(List.of(forwards6));
        boolean removed = l.remove(rule);
        forwards6 = l.toArray(new PortForward6[0]);
        return removed;
    }

    /** The IPv6 port forward for a new connection to {@code hi:lo}, port {@code port}, or null. */
    public PortForward6 forwardFor6(int protocol, long hi, long lo, int port) {
        for (PortForward6 f : forwards6) {
            if (f.matches(protocol, hi, lo, port)) {
                return f;
            }
        }
        return null;
    }

    /** True when a new IPv6 connection from {@code hi:lo} leaving by {@code outInterface} is masqueraded. */
    public boolean masquerades6(long hi, long lo, int outInterface) {
        for (Masquerade6 m : masquerades6) {
            if (m.matches(hi, lo, outInterface)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when an IPv6 packet from {@code hi:lo} leaving by {@code outInterface} may belong to a translated
     * connection: a MASQUERADE rule matches it, or it comes from a port forward's target.
     */
    public boolean mayTranslate6(long hi, long lo, int outInterface) {
        if (masquerades6(hi, lo, outInterface)) {
            return true;
        }
        for (PortForward6 f : forwards6) {
            if (f.target().hi() == hi && f.target().lo() == lo) {
                return true;
            }
        }
        return false;
    }

    /** The IPv6 MASQUERADE rules. */
    public List<Masquerade6> masqueradeRules6() {
        return List.of(masquerades6);
    }

    /** The IPv6 port forwards. */
    public List<PortForward6> portForwards6() {
        return List.of(forwards6);
    }

    /** e.g. {@code tcp [fd00:1::2]:80 -> [fd00:15::2]:80}, as ip6tables and ss write an IPv6 endpoint. */
    public static String describe(PortForward6 f) {
        String ports = f.portLow() == f.portHigh() ? Integer.toString(f.portLow()) : f.portLow() + "-" + f.portHigh();
        int last = f.translate(f.portHigh());
        String targets = f.targetPort() == last ? Integer.toString(last) : f.targetPort() + "-" + last;
        return (f.protocol() == 6 ? "tcp [" : "udp [") + f.address() + "]:" + ports + " -> [" + f.target() + "]:"
                + targets;
    }

    /** Adds a MASQUERADE rule. */
    public void add(Masquerade rule) {
        List<Masquerade> l = new ArrayList<>(List.of(masquerades));
        l.add(rule);
        masquerades = l.toArray(new Masquerade[0]);
    }

    /** Adds a port forward; one that overlaps an existing forward is refused. */
    public void add(PortForward rule) {
        for (PortForward f : forwards) {
            if (f.protocol() == rule.protocol() && f.address() == rule.address()
                    && f.portLow() <= rule.portHigh() && rule.portLow() <= f.portHigh()) {
                throw new ConflictException("port forward " + describe(rule) + " overlaps "
                        + describe(f));
            }
        }
        List<PortForward> l = new ArrayList<>(List.of(forwards));
        l.add(rule);
        forwards = l.toArray(new PortForward[0]);
    }

    /** Removes a port forward equal to {@code rule}; true if there was one. */
    public boolean remove(PortForward rule) {
        List<PortForward> l = new ArrayList<>(List.of(forwards));
        boolean removed = l.remove(rule);
        forwards = l.toArray(new PortForward[0]);
        return removed;
    }

    /** The port forward for a new connection, or null. */
    public PortForward forwardFor(int protocol, int dst, int port) {
        for (PortForward f : forwards) {
            if (f.matches(protocol, dst, port)) {
                return f;
            }
        }
        return null;
    }

    /** True when a new connection from {@code src} leaving by {@code outInterface} is masqueraded. */
    public boolean masquerades(int src, int outInterface) {
        for (Masquerade m : masquerades) {
            if (m.matches(src, outInterface)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a packet from {@code src} leaving by {@code outInterface} may belong to a translated connection: a
     * MASQUERADE rule matches it, or it comes from a port forward's target (a reply to be translated back).
     */
    public boolean mayTranslate(int src, int outInterface) {
        return masquerades(src, outInterface) || isForwardTarget(src);
    }

    /**
     * True when a packet from {@code src} may belong to a translated connection by whichever interface it leaves: a
     * MASQUERADE rule's range holds it, or it is a port forward's target.
     */
    public boolean mayTranslateSomewhere(int src) {
        for (Masquerade m : masquerades) {
            if (Ipv4Addr.contains(m.network(), m.length(), src)) {
                return true;
            }
        }
        return isForwardTarget(src);
    }

    /** True when {@code src} is a port forward's target (its replies are translated back). */
    private boolean isForwardTarget(int src) {
        for (PortForward f : forwards) {
            if (f.target() == src) {
                return true;
            }
        }
        return false;
    }

    /** The MASQUERADE rules. */
    public List<Masquerade> masqueradeRules() {
        return List.of(masquerades);
    }

    /** The port forwards. */
    public List<PortForward> portForwards() {
        return List.of(forwards);
    }

    /** e.g. {@code tcp 192.168.1.2:80 -> 192.168.15.2:80}. */
    public static String describe(PortForward f) {
        String ports = f.portLow() == f.portHigh() ? Integer.toString(f.portLow()) : f.portLow() + "-" + f.portHigh();
        int last = f.translate(f.portHigh());
        String targets = f.targetPort() == last ? Integer.toString(last) : f.targetPort() + "-" + last;
        return (f.protocol() == 6 ? "tcp " : "udp ") + Ipv4Addr.toString(f.address()) + ":" + ports + " -> "
                + Ipv4Addr.toString(f.target()) + ":" + targets;
    }
}
