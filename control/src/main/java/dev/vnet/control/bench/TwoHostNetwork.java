package dev.vnet.control.bench;

import java.util.List;

/** A network of the VXLAN case: red on one simulated host, blue on the other ({@link TwoHosts}); no lan. */
interface TwoHostNetwork extends BenchNetwork {
    /** There is no lan in the VXLAN case. */
    @Override
    default String lan() {
        throw new UnsupportedOperationException("the VXLAN case has no lan");
    }

    /** Only blue, across the tunnel. */
    @Override
    default List<String> warmUpTargets() {
        return List.of("192.168.15.2");
    }
}
