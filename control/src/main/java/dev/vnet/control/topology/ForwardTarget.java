package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv6Address;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Where a port forward sends connections, as the topology file, the API and {@code vnet forward add} write it: an
 * IPv4 address ({@code 192.168.15.2}, {@code 192.168.15.2:80}), an IPv6 one ({@code fd00:15::2},
 * {@code [fd00:15::2]:80}, brackets around it when a port follows, as in a URL), or a namespace's name ({@code blue},
 * {@code blue:80}; in a running lab also without its prefix), which reaches it over both families where the forward's
 * interface has both.
 *
 * @param name    the namespace named, or null when an address was given
 * @param address the address given, or null when a namespace was named
 * @param port    the target port; {@code defaultPort} when none was given
 */
public record ForwardTarget(String name, IpAddress address, int port) {
    /** Reads {@code text}; the message says what was expected. */
    public static ForwardTarget parse(String text, int defaultPort) {
        String t = text.trim();
        String host = t;
        String portText = null;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 < t.length() && t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [IPV6] or [IPV6]:PORT");
            }
            host = t.substring(1, close);
            portText = close + 1 < t.length() ? t.substring(close + 2) : null;
        } else if (t.indexOf(':') == t.lastIndexOf(':') && t.indexOf(':') >= 0) {
            host = t.substring(0, t.indexOf(':'));
            portText = t.substring(t.indexOf(':') + 1);
        }
        int port = defaultPort;
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("target port '" + portText + "' is not a whole number");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("target port " + port + " is outside 1..65535");
            }
        }
        if (host.indexOf(':') >= 0) {
            return new ForwardTarget(null, Ipv6Address.parse(host), port);
        }
        if (host.matches("[0-9.]+")) {
            return new ForwardTarget(null, Ipv4Address.parse(host), port);
        }
        if (!host.matches("[A-Za-z_][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("'" + text + "' is not an address or a namespace's name");
        }
        return new ForwardTarget(host, null, port);
    }

    /**
     * The forward of {@code protocol} on {@code on}'s ports {@code portLow..portHigh} to this target: a namespace named
     * is looked up in {@code namespaces} and reached over IPv4, and over IPv6 too when it has an IPv6 address and
     * {@code on} is among {@code ipv6Interfaces} (the router interfaces with an IPv6 address).
     */
    public PortForwardSpec forward(dev.vnet.dataplane.api.ForwardProtocol protocol, String on, int portLow,
                                   int portHigh, Collection<NamespaceSpec> namespaces, Set<String> ipv6Interfaces) {
        if (name == null) {
            return address instanceof Ipv6Address a
                    ? new PortForwardSpec(protocol, on, portLow, portHigh, 0, port, a, null)
                    : new PortForwardSpec(protocol, on, portLow, portHigh, ((Ipv4Address) address).value(), port);
        }
        NamespaceSpec n = namespaces.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (n == null) { // a running lab's names carry its prefix (--prefix lab2- makes blue lab2-blue)
            List<NamespaceSpec> prefixed = namespaces.stream().filter(s -> s.name().endsWith(name)).toList();
            if (prefixed.size() != 1) {
                throw new IllegalArgumentException("'" + name + "' is not an address or a namespace's name");
            }
            n = prefixed.get(0);
        }
        Ipv6Address six = n.addresses6().isEmpty() || !ipv6Interfaces.contains(on) ? null
                : n.addresses6().get(0).address();
        return new PortForwardSpec(protocol, on, portLow, portHigh, n.address().address(), port, six, name);
    }
}
