package dev.vnet.control.topology;

import java.nio.file.Path;
import java.util.List;

/**
 * A capture that runs for as long as the topology does, written to a file (topology key {@code captures}).
 *
 * @param ports       port names (namespaces, uplinks, {@code host:BRIDGE}, {@code gw:BRIDGE}) or {@code all}; may be
 *                    empty when {@code drops} is set
 * @param file        where: pcapng when the name ends in .pcapng (ports, directions, drop reasons), else classic pcap
 * @param filter      a tcpdump filter expression, or empty for every frame
 * @param direction   {@code in}, {@code out} or {@code both}
 * @param drops       also the frames the dataplane drops, each with its reason (pcapng only)
 * @param rotateBytes start a new file when this one would grow past this many bytes; 0 never
 * @param keep        how many files to keep, the current one included, when rotating
 */
public record CaptureSpec(List<String> ports, Path file, String filter, String direction, boolean drops,
                          long rotateBytes, int keep) {
    /** The directions a capture can take. */
    public static final List<String> DIRECTIONS = List.of("in", "out", "both");
    /** Files kept when rotating, unless the topology says otherwise. */
    public static final int DEFAULT_KEEP = 5;

    /** Copies the list. */
    public CaptureSpec {
        ports = List.copyOf(ports);
        filter = filter == null ? "" : filter;
    }

    /** The label problems are reported under. */
    public String label() {
        return "capture " + file;
    }

    /** The same capture with namespace port names prefixed as {@link Topology#withPrefix} prefixes namespaces. */
    CaptureSpec withPrefix(String prefix, java.util.Set<String> namespaceNames) {
        return new CaptureSpec(ports.stream().map(p -> namespaceNames.contains(p) ? prefix + p : p).toList(), file,
                filter, direction, drops, rotateBytes, keep);
    }
}
