package dev.vnet.control.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The dual-stack lab built by the kernel, for comparison: a namespace of its own holds a Linux bridge with the
 * gateway addresses (192.168.15.5, fd00:15::5), veth pairs to red and blue, a veth uplink to lan (192.168.1.2,
 * fd00:1::2), IPv4 and IPv6 forwarding set in that namespace only, and nft tables of its own doing the MASQUERADE of
 * both families and the port forward. Duplicate address detection is off in these namespaces, as vnet's lab adds its
 * addresses without it. Nothing is created or changed in the root
 * namespace; closing deletes the namespaces (their veths and rules go with them).
 */
final class KernelNetwork implements BenchNetwork {
    private static final long TIMEOUT = 20;

    private final String router;
    private final String red;
    private final String blue;
    private final String lan;
    private final BenchNamespaces namespaces = new BenchNamespaces();

    private KernelNetwork(String prefix) {
        this.router = prefix + "router";
        this.red = prefix + "red";
        this.blue = prefix + "blue";
        this.lan = prefix + "lan";
    }

    /**
     * Builds it with namespaces named {@code prefix}router, -red, -blue and -lan; on failure removes them again, and
     * so does {@code cleanup} if the benchmark is interrupted, even half-way through building.
     */
    static KernelNetwork build(String prefix, BenchCleanup cleanup) throws IOException {
        KernelNetwork k = new KernelNetwork(prefix);
        cleanup.onInterrupt(k::close);
        try {
            k.create();
        } catch (IOException | RuntimeException e) {
            k.close();
            throw e;
        }
        return k;
    }

    private void ip(String... args) throws IOException {
        namespaces.ip(args);
    }

    private void create() throws IOException {
        for (String ns : List.of(router, red, blue, lan)) {
            namespaces.add(ns);
            Proc.check(ns, TIMEOUT, "sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad");
        }
        ip("-n", router, "link", "add", "br0", "type", "bridge");
        ip("-n", router, "addr", "add", "192.168.15.5/24", "dev", "br0");
        ip("-n", router, "-6", "addr", "add", "fd00:15::5/64", "dev", "br0", "nodad");
        ip("-n", router, "link", "set", "br0", "up");
        host(red, "p-red", "192.168.15.1/24", "fd00:15::1/64", true);
        host(blue, "p-blue", "192.168.15.2/24", "fd00:15::2/64", true);
        host(lan, "uplink", "192.168.1.3/24", "fd00:1::3/64", false);
        ip("-n", router, "addr", "add", "192.168.1.2/24", "dev", "uplink");
        ip("-n", router, "-6", "addr", "add", "fd00:1::2/64", "dev", "uplink", "nodad");
        // The router namespace's own /proc/sys: sysctl(8) is procps, which a minimal Debian lacks.
        Proc.check(router, TIMEOUT, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward; "
                + "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
        Path rules = Files.createTempFile("vnet-bench", ".nft");
        try {
            Files.writeString(rules, """
                    table ip vnet_bench {
                      chain prerouting {
                        type nat hook prerouting priority dstnat;
                        iifname "uplink" tcp dport 80 dnat to 192.168.15.2:80
                      }
                      chain postrouting {
                        type nat hook postrouting priority srcnat;
                        ip saddr 192.168.15.0/24 oifname "uplink" masquerade
                      }
                    }
                    table ip6 vnet_bench6 {
                      chain prerouting {
                        type nat hook prerouting priority dstnat;
                        iifname "uplink" tcp dport 80 dnat to [fd00:15::2]:80
                      }
                      chain postrouting {
                        type nat hook postrouting priority srcnat;
                        ip6 saddr fd00:15::/64 oifname "uplink" masquerade
                      }
                    }
                    """);
            Proc.check(router, TIMEOUT, "nft", "-f", rules.toString());
        } finally {
            Files.deleteIfExists(rules);
        }
    }

    /**
     * A veth from the router namespace ({@code port}) to eth0 in {@code ns} with {@code address} and {@code address6},
     * on the bridge (and routed by default through the gateway) when {@code bridged}.
     */
    private void host(String ns, String port, String address, String address6, boolean bridged) throws IOException {
        ip("-n", router, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        if (bridged) {
            ip("-n", router, "link", "set", port, "master", "br0");
        }
        ip("-n", router, "link", "set", port, "up");
        ip("-n", ns, "addr", "add", address, "dev", "eth0");
        ip("-n", ns, "-6", "addr", "add", address6, "dev", "eth0", "nodad");
        ip("-n", ns, "link", "set", "eth0", "up");
        if (bridged) {
            ip("-n", ns, "route", "add", "default", "via", "192.168.15.5");
            ip("-n", ns, "-6", "route", "add", "default", "via", "fd00:15::5");
        }
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public String red() {
        return red;
    }

    @Override
    public String blue() {
        return blue;
    }

    @Override
    public String lan() {
        return lan;
    }

    /** Deletes the namespaces created so far; safe to call twice, and from the interruption hook. */
    @Override
    public void close() {
        namespaces.close();
    }
}
