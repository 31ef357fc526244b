package dev.vnet.control.topology;

import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv6Address;

import java.util.ArrayList;
import java.util.List;

/**
 * A port forward (DNAT), as {@code iptables -t nat -A PREROUTING -d ADDR -p PROTO --dport P -j DNAT --to T:TP}, and
 * its ip6tables twin when it reaches its target over IPv6 too.
 *
 * @param protocol   TCP, UDP or both
 * @param on         the router interface (an uplink's name or a bridge's) whose address is listened on
 * @param portLow    first port forwarded
 * @param portHigh   last port forwarded
 * @param target     the IPv4 address connections go to, or 0 when the forward is IPv6's alone
 * @param targetPort the port {@code portLow} maps to (the range keeps its offsets)
 * @param target6    the IPv6 address connections over IPv6 go to, or null when the forward is IPv4's alone
 * @param targetName the namespace the file named as the target ({@code to: blue}), or null when it gave an address
 */
public record PortForwardSpec(ForwardProtocol protocol, String on, int portLow, int portHigh, int target, int targetPort,
                              Ipv6Address target6, String targetName) {
    /** An IPv4 forward to an address. */
    public PortForwardSpec(ForwardProtocol protocol, String on, int portLow, int portHigh, int target,
                           int targetPort) {
        this(protocol, on, portLow, portHigh, target, targetPort, null, null);
    }

    /** The addresses it reaches its target by, IPv4 first. */
    public List<IpAddress> targets() {
        List<IpAddress> out = new ArrayList<>();
        if (target != 0) {
            out.add(new Ipv4Address(target));
        }
        if (target6 != null) {
            out.add(target6);
        }
        return out;
    }

    /** Its target as the file writes it: the namespace's name or the address, and the port. */
    public String to() {
        if (targetName != null) {
            return targetName + ":" + targetPort;
        }
        return target != 0 ? Ipv4Addr.toString(target) + ":" + targetPort : "[" + target6 + "]:" + targetPort;
    }
}
