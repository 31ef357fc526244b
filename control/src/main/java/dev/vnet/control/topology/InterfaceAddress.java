package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Addr;

/**
 * An address with its prefix length, as {@code ip addr add 192.168.15.1/24} takes it.
 *
 * @param address      the host address
 * @param prefixLength 0..32
 */
public record InterfaceAddress(int address, int prefixLength) {
    /** Checks the prefix length. */
    public InterfaceAddress {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0..32");
        }
    }

    /** Parses {@code a.b.c.d/len}; the message names the text that is wrong. */
    public static InterfaceAddress parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("address '" + text + "' needs a prefix length, e.g. 192.168.15.1/24");
        }
        int length;
        try {
            length = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address '" + text + "' has a bad prefix length", e);
        }
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("address '" + text + "': prefix length " + length + " is outside 0..32");
        }
        return new InterfaceAddress(Ipv4Addr.parse(text.substring(0, slash)), length);
    }

    /** The network this address is in. */
    public int network() {
        return address & Ipv4Addr.mask(prefixLength);
    }

    /** True when {@code other} is in the same subnet. */
    public boolean sameSubnet(InterfaceAddress other) {
        return prefixLength == other.prefixLength && network() == other.network();
    }

    @Override
    public String toString() {
        return Ipv4Addr.toString(address) + "/" + prefixLength;
    }
}
