package dev.vnet.control.bench;

import java.io.IOException;

/**
 * The VXLAN case built by the kernel: on each of {@link TwoHosts}, a kernel bridge with a kernel vxlan device (VNI
 * 42, port 4789, the other host as {@code remote}) and one namespace behind a veth: red (192.168.15.1) on host A,
 * blue (192.168.15.2) on host B, both with the MTU a VXLAN segment over a 1500-byte underlay has (1450).
 */
final class KernelVxlanNetwork implements TwoHostNetwork {
    private final TwoHosts hosts;
    private final String red;
    private final String blue;

    private KernelVxlanNetwork(String prefix) {
        this.hosts = new TwoHosts(prefix);
        this.red = prefix + "red";
        this.blue = prefix + "blue";
    }

    /** Builds it under {@code prefix}; removed again on failure, and by {@code cleanup} on an interruption. */
    static KernelVxlanNetwork build(String prefix, BenchCleanup cleanup) throws IOException {
        KernelVxlanNetwork k = new KernelVxlanNetwork(prefix);
        cleanup.onInterrupt(k::close);
        try {
            k.hosts.create();
            k.host(k.hosts.hostA(), TwoHosts.A, TwoHosts.B, k.red, "192.168.15.1/24");
            k.host(k.hosts.hostB(), TwoHosts.B, TwoHosts.A, k.blue, "192.168.15.2/24");
        } catch (IOException | RuntimeException e) {
            k.close();
            throw e;
        }
        return k;
    }

    private void host(String host, String local, String remote, String tenant, String address) throws IOException {
        String dev = host.equals(hosts.hostA()) ? "ua" : "ub";
        hosts.ip("-n", host, "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", local,
                "remote", remote, "dev", dev);
        hosts.ip("-n", host, "link", "add", "br0", "type", "bridge");
        hosts.ip("-n", host, "link", "set", "vx0", "master", "br0", "up");
        hosts.ip("-n", host, "link", "set", "br0", "up");
        hosts.namespace(tenant);
        hosts.ip("-n", host, "link", "add", "port0", "type", "veth", "peer", "name", "eth0", "netns", tenant);
        hosts.ip("-n", host, "link", "set", "port0", "master", "br0", "mtu", "1450", "up");
        hosts.ip("-n", tenant, "addr", "add", address, "dev", "eth0");
        hosts.ip("-n", tenant, "link", "set", "eth0", "mtu", "1450", "up");
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
    public void close() {
        hosts.close();
    }
}
