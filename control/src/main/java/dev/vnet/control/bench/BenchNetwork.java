package dev.vnet.control.bench;

/**
 * One of the networks a benchmark compares: the dual-stack lab's shape (red and blue on a bridge with gateway
 * 192.168.15.5 and fd00:15::5, lan behind the uplink 192.168.1.2 and fd00:1::2, MASQUERADE of both families out of the
 * uplink, tcp/80 on the uplink forwarded to blue), or red and blue on one bridge spread over two hosts by VXLAN; built either by vnet or by the kernel. Only
 * the namespace names differ between the two builders of one shape.
 */
interface BenchNetwork extends AutoCloseable {
    /** "kernel" or "vnet". */
    String name();

    /** The namespace of red (192.168.15.1). */
    String red();

    /** The namespace of blue (192.168.15.2). */
    String blue();

    /** The namespace of lan (192.168.1.3, behind the uplink); not every shape has one. */
    String lan();

    /** True when this network can carry the cases of {@code path} (the kernel's and vnet's carry every one). */
    default boolean supports(BenchCase.Path path) {
        return true;
    }

    /** The addresses red reaches, to warm the network up before measuring. */
    default java.util.List<String> warmUpTargets() {
        return java.util.List.of("192.168.15.2", "192.168.1.3", "fd00:15::2", "fd00:1::3");
    }

    @Override
    void close();
}
