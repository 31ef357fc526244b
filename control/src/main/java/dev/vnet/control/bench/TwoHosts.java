package dev.vnet.control.bench;

import java.io.IOException;

/**
 * Two hosts for the VXLAN case, simulated by namespaces ({@code PREFIXhostA}, {@code PREFIXhostB}) joined by a veth
 * pair with its default offloads: host A at 198.51.100.1 on {@code ua}, host B at 198.51.100.2 on {@code ub}. The
 * veth is created inside host A's namespace, so nothing touches the root namespace; deleting the namespaces removes
 * it. Also records the other namespaces a network adds, so that {@link #close} removes them all, newest first.
 */
final class TwoHosts implements AutoCloseable {
    static final String A = "198.51.100.1";
    static final String B = "198.51.100.2";

    private final String prefix;
    private final BenchNamespaces namespaces = new BenchNamespaces();

    TwoHosts(String prefix) {
        this.prefix = prefix;
    }

    /** Creates both hosts and the underlay between them. */
    void create() throws IOException {
        namespace(hostA());
        namespace(hostB());
        ip("-n", hostA(), "link", "add", "ua", "type", "veth", "peer", "name", "ub", "netns", hostB());
        ip("-n", hostA(), "addr", "add", A + "/24", "dev", "ua");
        ip("-n", hostA(), "link", "set", "ua", "up");
        ip("-n", hostB(), "addr", "add", B + "/24", "dev", "ub");
        ip("-n", hostB(), "link", "set", "ub", "up");
    }

    /** Runs {@code ip ARGS}. */
    void ip(String... args) throws IOException {
        namespaces.ip(args);
    }

    /** Creates namespace {@code ns} with its loopback up, and records it for {@link #close}. */
    void namespace(String ns) throws IOException {
        namespaces.add(ns);
    }

    /** Records {@code ns}, made by someone else (a vnet on a host), for {@link #close} to remove if still there. */
    void adopt(String ns) {
        namespaces.adopt(ns);
    }

    String hostA() {
        return prefix + "hostA";
    }

    String hostB() {
        return prefix + "hostB";
    }

    /** Deletes the namespaces recorded, newest first, those already gone skipped; safe to call twice. */
    @Override
    public void close() {
        namespaces.close();
    }
}
