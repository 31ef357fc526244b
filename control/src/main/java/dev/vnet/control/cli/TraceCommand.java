package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vnet.control.api.ControlClient;
import dev.vnet.control.capture.FrameFileWriter;
import dev.vnet.control.capture.PcapFileWriter;
import dev.vnet.control.capture.PcapngFileWriter;
import dev.vnet.control.lab.StateFile;
import dev.vnet.dataplane.trace.FrameSummary;
import dev.vnet.dataplane.trace.PcapngReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** {@code vnet trace}: live capture from the running vnet, printed like tcpdump or written as pcap/pcapng. */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Capture frames on ports of the running vnet, like tcpdump: one line per frame, or a file "
                + "with -w.",
            "Arguments: port names (or 'all'), then an optional tcpdump filter expression, e.g.",
            "  vnet trace blue tcp port 80",
            "  vnet trace blue red -w web.pcap host 192.168.1.3",
            "  vnet trace blue -w - | tshark -r -",
            "  vnet trace --drops -w drops.pcapng      (dropped frames, the reason as each packet's comment)",
            "  vnet trace --decisions 5 icmp          (the path of the next 5 ICMP frames through the stages)",
            "Stops on Ctrl-C, after -c frames or after --seconds; prints how many frames it took and how many the "
                + "ring lost because this reader was slower than the traffic (capture drops)."})
final class TraceCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PORT|FILTER",
            description = "Ports to capture on ('all' for every port), then a tcpdump filter expression.")
    List<String> words = new ArrayList<>();

    @Option(names = "-w", paramLabel = "FILE",
            description = "Write the frames to FILE ('-' for stdout): classic pcap through libpcap (pcap4j), or "
                    + "pcapng (port names, direction, drop reasons) when FILE ends in .pcapng, with --pcapng, or "
                    + "with --drops.")
    String output;

    @Option(names = "--pcapng", description = "Write pcapng even when FILE does not end in .pcapng.")
    boolean pcapng;

    @Option(names = "--direction", paramLabel = "in|out|both", description = "Which direction (default: both).")
    String direction = "both";

    @Option(names = "--drops", description = "Also capture frames the dataplane drops, each with its reason.")
    boolean drops;

    @Option(names = "--decisions", paramLabel = "N", arity = "0..1", fallbackValue = "10",
            description = "Instead of capturing, print the path of the next N frames (default 10) the filter takes "
                    + "through vnet's stages: ports, L2 decision, route, neighbor, connection, NAT before/after, "
                    + "egress or drop reason. All words are then the filter.")
    Long decisions;

    @Option(names = "-c", paramLabel = "N", description = "Stop after N frames.")
    long count;

    @Option(names = "--seconds", paramLabel = "S", description = "Stop after S seconds.")
    double seconds;

    @Option(names = "--ring", paramLabel = "N",
            description = "Frames vnet holds for this reader before counting capture drops (default: ${DEFAULT-VALUE}).")
    int ring = 4096;

    @Option(names = "--snaplen", paramLabel = "BYTES",
            description = "Bytes kept of each frame (default: ${DEFAULT-VALUE}).")
    int snapLength = 65535;

    @picocli.CommandLine.Mixin
    LabSelection lab = new LabSelection();

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");

    /** Counted down when this command has printed all it prints: Ctrl-C's hook waits for it. */
    private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    /** The capture's counters as read just before an early stop closed its stream, or null. */
    private volatile String countersAtStop;
    /**
     * Set when the trace is stopped on purpose (Ctrl-C, --seconds) by closing its stream: the read that then fails
     * is the end, not an error. Anything else that fails (a read, the output file) is an error, and exit 1.
     */
    private volatile boolean stoppedOnPurpose;
    /** Why vnet failed the capture (its state in /captures), or null. */
    private volatile String captureFailure;

    @Override
    public Integer call() {
        try {
            return trace();
        } finally {
            finished.countDown();
        }
    }

    private Integer trace() {
        ControlClient client = new ControlClient(lab.stateDir());
        if (decisions != null) {
            return decisions(client);
        }
        List<String> ports = new ArrayList<>();
        String filter;
        try {
            Set<String> known = new HashSet<>();
            for (JsonNode p : client.get("/ports")) {
                known.add(p.path("name").asText());
            }
            int i = 0;
            while (i < words.size() && (known.contains(words.get(i)) || words.get(i).equals("all"))) {
                ports.add(words.get(i++));
            }
            filter = String.join(" ", words.subList(i, words.size()));
            if (ports.isEmpty() && !drops) {
                System.err.println("vnet trace: name at least one port (or 'all') before the filter"
                        + (words.isEmpty() ? "" : "; '" + words.get(0) + "' is not a port") + " (ports: "
                        + String.join(", ", known) + ")");
                return 2;
            }
        } catch (IOException e) {
            System.err.println("vnet trace: " + e.getMessage());
            return 1;
        }
        boolean asPcapng = pcapng || drops || (output != null && output.endsWith(".pcapng"));
        if (output != null && asPcapng && output.endsWith(".pcap")) {
            System.err.println("vnet trace: --drops writes pcapng (the reasons are packet comments); name the file "
                    + "*.pcapng");
            return 2;
        }
        String path = "/capture?ports=" + encode(String.join(",", ports)) + "&dir=" + encode(direction)
                + (drops ? "&drops=1" : "") + "&ring=" + ring + "&snaplen=" + snapLength
                + (filter.isBlank() ? "" : "&filter=" + encode(filter));
        ControlClient.Stream stream = open(client, path);
        if (stream == null) {
            return 1;
        }
        AtomicLong taken = new AtomicLong();
        // Stopping early (Ctrl-C, --seconds) reads the counters first: vnet forgets a capture once its stream closes.
        Runnable stop = () -> {
            stoppedOnPurpose = true;
            countersAtStop = captureDrops(client, stream.captureId());
            closeQuietly(stream);
        };
        Thread stopper = stopOnExit(stop);
        Runtime.getRuntime().addShutdownHook(stopper);
        if (seconds > 0) {
            Thread timer = new Thread(() -> {
                try {
                    Thread.sleep((long) (seconds * 1000));
                } catch (InterruptedException ignored) {
                    return;
                }
                stop.run();
            });
            timer.setDaemon(true);
            timer.start();
        }
        String captureDrops = "";
        try (InputStream in = Channels.newInputStream(stream.channel())) {
            if (output != null && asPcapng) {
                copyPcapng(in, taken);
            } else if (output != null) {
                writePcap(in, taken);
            } else {
                print(in, taken);
            }
        } catch (IOException e) {
            if (!stoppedOnPurpose) { // (the channel is closed either way: the try closed it)
                System.err.println("vnet trace: " + e.getMessage() + (output != null && !output.equals("-")
                        ? " (capturing to " + output + ")" : ""));
                return 1;
            }
        } finally {
            String now = captureDrops(client, stream.captureId());
            captureDrops = now.isEmpty() && countersAtStop != null ? countersAtStop : now;
            closeQuietly(stream);
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
        System.err.println(taken.get() + " frames captured" + captureDrops);
        if (captureFailure != null) {
            System.err.println("vnet trace: the capture failed in vnet: " + captureFailure);
            return 1;
        }
        return 0;
    }

    private int decisions(ControlClient client) {
        String filter = String.join(" ", words);
        String path = "/decisions?count=" + decisions + (filter.isBlank() ? "" : "&filter=" + encode(filter));
        ControlClient.Stream stream = open(client, path);
        if (stream == null) {
            return 1;
        }
        Thread stopper = stopOnExit(() -> {
            stoppedOnPurpose = true;
            closeQuietly(stream);
        });
        Runtime.getRuntime().addShutdownHook(stopper);
        try (InputStream in = Channels.newInputStream(stream.channel())) {
            in.transferTo(System.out);
            System.out.flush();
        } catch (IOException e) {
            if (!stoppedOnPurpose) { // (the channel is closed either way: the try closed it)
                System.err.println("vnet trace: " + e.getMessage());
                return 1;
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
        return 0;
    }

    /**
     * A shutdown hook for Ctrl-C: runs {@code stop} (closing the stream ends the read loop) and waits a moment for
     * this thread to print its summary, which the JVM would otherwise cut off.
     */
    private Thread stopOnExit(Runnable stop) {
        return new Thread(() -> {
            stop.run();
            try {
                finished.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        });
    }

    /** Opens the API stream at {@code path}, or says why not and returns null. */
    private static ControlClient.Stream open(ControlClient client, String path) {
        try {
            return client.openStream(path);
        } catch (IOException e) {
            System.err.println("vnet trace: " + e.getMessage());
            return null;
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void closeQuietly(ControlClient.Stream stream) {
        try {
            stream.channel().close();
        } catch (IOException ignored) {
            // closing ends the capture on vnet's side either way
        }
    }

    private String captureDrops(ControlClient client, String id) {
        try {
            for (JsonNode c : client.get("/captures")) {
                if (c.path("id").asText().equals(id)) {
                    if ("failed".equals(c.path("state").asText())) {
                        captureFailure = c.path("error").asText();
                    }
                    return ", " + c.path("capture-drops").asLong() + " lost by the capture (reader too slow)";
                }
            }
        } catch (IOException ignored) {
            // vnet is gone: no counter to report
        }
        return "";
    }

    private boolean done(AtomicLong taken) {
        return count > 0 && taken.get() >= count;
    }

    /** pcapng as vnet streams it, frame block by frame block (so -c can stop on a frame boundary). */
    private void copyPcapng(InputStream in, AtomicLong taken) throws IOException {
        boolean stdout = output.equals("-");
        try (PcapngFileWriter writer = new PcapngFileWriter(stdout ? System.out
                : Files.newOutputStream(Path.of(output)), !stdout, snapLength, "vnet trace")) {
            copy(in, writer, taken);
        }
    }

    /** Classic pcap through libpcap's dumper ('-' is stdout to libpcap). */
    private void writePcap(InputStream in, AtomicLong taken) throws IOException {
        try (PcapFileWriter writer = new PcapFileWriter(output, snapLength)) {
            copy(in, writer, taken);
        }
    }

    private void copy(InputStream in, FrameFileWriter writer, AtomicLong taken) throws IOException {
        PcapngReader reader = new PcapngReader(in);
        PcapngReader.Record r;
        while (!done(taken) && (r = reader.next()) != null) {
            writer.frame(r.port(), r.direction(), r.timeMicros(), r.data(), r.data().length, r.originalLength(),
                    r.comment());
            writer.flush();
            taken.incrementAndGet();
        }
    }

    private void print(InputStream in, AtomicLong taken) throws IOException {
        PcapngReader reader = new PcapngReader(in);
        PcapngReader.Record r;
        while (!done(taken) && (r = reader.next()) != null) {
            LocalTime t = LocalTime.ofInstant(Instant.ofEpochSecond(r.timeMicros() / 1_000_000,
                    (r.timeMicros() % 1_000_000) * 1000), ZoneId.systemDefault());
            String dir = r.comment() != null ? "Drop" : r.direction() == 1 ? "In" : r.direction() == 2 ? "Out" : "?";
            System.out.println(TIME.format(t) + " " + r.port() + " " + dir + " "
                    + FrameSummary.of(r.data(), r.data().length)
                    + (r.comment() != null ? " [" + r.comment() + "]" : ""));
            System.out.flush();
            if (System.out.checkError()) { // PrintStream keeps errors to itself: a closed pipe would go unseen
                throw new IOException("cannot write to standard output (closed?)");
            }
            taken.incrementAndGet();
        }
    }
}
