package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;

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
        Ipv4Cidr c = Ipv4Cidr.parse(text);
        return new InterfaceAddress(c.address(), c.prefixLength());
    }

    /** The network this address is in. */
    public int network() {
        return address & Ipv4Addr.mask(prefixLength);
    }

    /** The same address and prefix length as the dataplane takes them. */
    public Ipv4Cidr cidr() {
        return new Ipv4Cidr(address, prefixLength);
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
