package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;
import dev.vnet.dataplane.wire.Vxlan;

import java.util.List;
import java.util.Map;

/**
 * How a bridge extends over VXLAN, as {@code ip link add ... type vxlan id VNI local LOCAL dstport PORT} with
 * {@code bridge fdb append 00:00:00:00:00:00 dst REMOTE} per remote and {@code bridge fdb add MAC dst REMOTE} per
 * static MAC.
 *
 * @param vni         the VXLAN network identifier (0..16777215)
 * @param local       the underlay address vnet's VTEP sends from and receives on
 * @param port        the UDP port (4789, IANA's; the kernel's default without {@code dstport} is 8472)
 * @param remotes     the flood list: VTEPs that get broadcast, multicast and unknown unicast (head-end replication)
 * @param staticMacs  MACs behind a given VTEP that never move; a VTEP only here gets unicast to them alone
 * @param learning    learn remote MACs from the frames VTEPs send (the kernel's {@code learning}, its default)
 * @param underlayMtu the underlay's MTU: an inner frame may be at most this less 36 bytes (an inner MTU of this
 *                    less 50)
 * @param anySource   take datagrams from any sender, which becomes a VTEP of the VNI (unicast only, as the kernel's
 *                    learned entries), as the kernel's vxlan does; off by default: only {@code remotes} and the
 *                    VTEPs of {@code staticMacs} are heard
 */
public record VxlanOptions(int vni, Ipv4Address local, int port, List<Ipv4Address> remotes,
                           Map<MacAddress, Ipv4Address> staticMacs, boolean learning, int underlayMtu,
                           boolean anySource) {
    private static final int MIN_IPV4_MTU = 68;

    /** Checks the values and copies the collections. */
    public VxlanOptions {
        if (vni < 0 || vni > Vxlan.MAX_VNI) {
            throw new IllegalArgumentException("VNI " + vni + " is outside 0.." + Vxlan.MAX_VNI);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port " + port + " is outside 1..65535");
        }
        if (Vxlan.innerMtu(underlayMtu) < MIN_IPV4_MTU || underlayMtu > 65535) {
            throw new IllegalArgumentException("underlay MTU " + underlayMtu + " is outside "
                    + (MIN_IPV4_MTU + Vxlan.OVERHEAD_IPV4) + "..65535 (an inner MTU of at least IPv4's 68)");
        }
        remotes = List.copyOf(remotes);
        staticMacs = Map.copyOf(staticMacs);
    }

    /** Options hearing only the configured VTEPs. */
    public VxlanOptions(int vni, Ipv4Address local, int port, List<Ipv4Address> remotes,
                        Map<MacAddress, Ipv4Address> staticMacs, boolean learning, int underlayMtu) {
        this(vni, local, port, remotes, staticMacs, learning, underlayMtu, false);
    }

    /** The largest inner MTU (the namespaces' interface MTU) that fits the underlay: its MTU less 50. */
    public int innerMtu() {
        return Vxlan.innerMtu(underlayMtu);
    }
}
