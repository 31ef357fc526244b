package dev.vnet.dataplane.api;

import java.util.Map;

/**
 * A port's counters at one instant.
 *
 * @param name      the port's name
 * @param device    the TAP interface name, or "memory" for an in-memory port
 * @param bridge    the bridge it is attached to, or null
 * @param rxFrames  frames received
 * @param rxBytes   bytes received
 * @param txFrames  frames sent
 * @param txBytes   bytes sent
 * @param rxErrors  failed reads
 * @param drops     drop counts by reason label, only reasons with a non-zero count
 */
public record PortStats(String name, String device, String bridge, long rxFrames, long rxBytes, long txFrames,
                        long txBytes, long rxErrors, Map<String, Long> drops) {
    /** Frames dropped for any reason. */
    public long dropsTotal() {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }
}
