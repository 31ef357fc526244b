package dev.vnet.control.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The NAT shape built by a user-mode network stack (a peer such as pasta or slirp4netns): one guest namespace whose
 * only interface is a TAP the stack holds, the stack itself in a host namespace whose uplink (192.168.1.2,
 * fd00:1::2) is a veth to lan (192.168.1.3, fd00:1::3), as vnet's uplink is. The stack ends the guest's connections
 * and opens its own from the host namespace, so the guest's traffic reaches lan from the uplink's address, as
 * MASQUERADE's does; the uplink's tcp/80 it forwards into the guest, as the seed lab's DNAT does. The guest plays
 * red for the MASQUERADE cases and blue for the DNAT one; the switched cases are n/a (one guest, no bridge).
 */
abstract class UserNatNetwork extends PeerNetwork {
    /** The port forwarded from the uplink into the guest, the seed lab's. */
    static final int FORWARDED_PORT = 80;

    private final String host;
    private final String guest;
    private final String lan;

    UserNatNetwork(String prefix) {
        this.host = prefix + "host";
        this.guest = prefix + "guest";
        this.lan = prefix + "lan";
    }

    /**
     * Starts the stack in namespace {@code host} with working directory {@code dir}, serving namespace {@code guest}
     * (at {@code /run/netns/}{@code guest}) and forwarding the host's tcp/{@link #FORWARDED_PORT} into it; returns
     * once the guest's interface is configured.
     */
    abstract void startStack(String host, String guest, Path dir) throws IOException;

    @Override
    final void create(Path dir) throws IOException {
        for (String ns : List.of(host, guest, lan)) {
            addNamespace(ns);
        }
        ip("-n", host, "link", "add", "uplink", "type", "veth", "peer", "name", "eth0", "netns", lan);
        address(host, "uplink", "192.168.1.2/24", "fd00:1::2/64");
        address(lan, "eth0", "192.168.1.3/24", "fd00:1::3/64");
        // The stacks answer the guest's pings with ping sockets of the host namespace, which a new namespace
        // allows no group to open.
        Proc.check(host, TIMEOUT, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647");
        startStack(host, guest, dir);
        awaitIpv6(guest);
    }

    /**
     * Waits until the guest has a global IPv6 address that is no longer tentative (slirp4netns's guest forms its own
     * from a router advertisement and must finish duplicate address detection first).
     */
    private static void awaitIpv6(String guest) throws IOException {
        await(() -> {
            Proc.Result r = Proc.run(Proc.in(guest, "ip", "-6", "-o", "addr", "show", "scope", "global"), TIMEOUT);
            return r.exit() == 0 && r.out().lines().anyMatch(l -> l.contains("inet6") && !l.contains("tentative"));
        }, guest + " got no usable global IPv6 address");
    }

    private void address(String ns, String dev, String address, String address6) throws IOException {
        ip("-n", ns, "addr", "add", address, "dev", dev);
        ip("-n", ns, "-6", "addr", "add", address6, "dev", dev, "nodad");
        ip("-n", ns, "link", "set", dev, "up");
    }

    /** Waits until the guest's interface {@code dev} has {@code address}; fails naming {@code what} otherwise. */
    static void awaitAddress(String guest, String dev, String address, String what, Process p) throws IOException {
        await(() -> {
            if (!p.isAlive()) {
                throw new IOException(what + " exited (" + p.exitValue() + ") before configuring " + guest);
            }
            Proc.Result r = Proc.run(Proc.in(guest, "ip", "-o", "addr", "show", "dev", dev), TIMEOUT);
            return r.exit() == 0 && r.out().contains(" " + address + "/");
        }, what + " did not configure " + dev + " in " + guest + " with " + address);
    }

    @Override
    public String red() {
        return guest;
    }

    @Override
    public String blue() {
        return guest;
    }

    @Override
    public String lan() {
        return lan;
    }

    /** IPv4 only: slirp4netns answers no ICMPv6 echo beyond its own addresses (its TCP over IPv6 works). */
    @Override
    public List<String> warmUpTargets() {
        return List.of("192.168.1.3");
    }
}
