package dev.vnet.control.cli;

import dev.vnet.control.replay.Replay;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.TopologyException;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.trace.BpfFilter;
import dev.vnet.dataplane.trace.CaptureFilter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vnet replay}: a capture fed through an in-memory dataplane built from a topology, with decision traces. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Feed a capture through an in-memory vnet built from a topology and print the path of every "
                + "frame through the stages (as 'vnet trace --decisions' does live): answers 'why was this dropped?' "
                + "without touching the network. Needs no root and creates nothing but the -w files.",
            "pcapng from 'vnet trace' says where each frame came in: frames vnet sent (direction out) and drop "
                + "records are skipped, the rest enter at the port they were captured on. A classic pcap needs "
                + "--port. The topology's hosts answer ARP (with the MAC the capture shows them using); nothing else "
                + "answers. The clock follows the capture's timestamps.",
            "  vnet replay web.pcapng",
            "  vnet replay red.pcap --port red --topology lab.yaml -w out/ icmp"})
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "The capture: pcapng or pcap, Ethernet frames.")
    Path capture;

    @Parameters(index = "1..*", paramLabel = "FILTER",
            description = "A tcpdump filter expression: only frames it takes are traced (all are replayed).")
    List<String> filterWords = new ArrayList<>();

    @Option(names = "--topology", paramLabel = "FILE", description = "Topology file (default: the seed lab).")
    Path topologyFile;

    @Option(names = "--port", paramLabel = "NAME",
            description = "Every frame enters at port NAME (a namespace, host:BRIDGE or an uplink).")
    String port;

    @Option(names = "-w", paramLabel = "DIR",
            description = "Write what left each port to DIR/PORT.pcap (created if missing).")
    Path outputDir;

    @Override
    public Integer call() {
        if (!Files.isReadable(capture)) {
            System.err.println("vnet replay: cannot read " + capture);
            return 1;
        }
        Topology topology;
        try {
            topology = topologyFile == null ? SeedLab.topology() : TopologyFile.load(topologyFile);
        } catch (TopologyException e) {
            System.err.println("vnet replay: " + e.getMessage());
            return 1;
        }
        String filter = String.join(" ", filterWords);
        CaptureFilter compiled;
        try {
            compiled = filter.isBlank() ? CaptureFilter.ALL : BpfFilter.compile(filter);
        } catch (IllegalArgumentException e) {
            System.err.println("vnet replay: filter: " + e.getMessage());
            return 2;
        }
        // The dataplane logs what it builds at info; for a replay that is noise around the trace.
        System.setProperty("org.slf4j.simpleLogger.log.dev.vnet.dataplane", "warn");
        try (Replay replay = Replay.of(topology, capture, outputDir)) {
            if (port != null && !replay.portNames().contains(port)) {
                System.err.println("vnet replay: --port: no port '" + port + "' in topology " + topology.name()
                        + " (ports: " + String.join(", ", replay.portNames()) + ")");
                return 2;
            }
            if (port == null && !dev.vnet.control.replay.CaptureFile.isPcapng(capture)) {
                System.err.println("vnet replay: " + capture + " is a classic pcap, which does not say where a frame "
                        + "came in: give --port NAME (ports: " + String.join(", ", replay.portNames()) + ")");
                return 2;
            }
            replay.run(capture, port, compiled, System.out);
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("vnet replay: " + e.getMessage());
            return 1;
        } finally {
            compiled.free(); // idempotent: the trace frees it too
        }
    }
}
