package dev.vnet.control.bench;

/**
 * One of the two networks a benchmark compares: the seed lab's shape (red and blue on a bridge with gateway
 * 192.168.15.5, lan behind the uplink 192.168.1.2, MASQUERADE out of the uplink, tcp/80 on the uplink forwarded to
 * blue), built either by vnet or by the kernel. Only the namespace names differ between the two.
 */
interface BenchNetwork extends AutoCloseable {
    /** "kernel" or "vnet". */
    String name();

    /** The namespace of red (192.168.15.1). */
    String red();

    /** The namespace of blue (192.168.15.2). */
    String blue();

    /** The namespace of lan (192.168.1.3, behind the uplink). */
    String lan();

    @Override
    void close();
}
