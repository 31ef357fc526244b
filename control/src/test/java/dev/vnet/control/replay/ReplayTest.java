package dev.vnet.control.replay;

import dev.vnet.control.testing.CliRun;
import dev.vnet.dataplane.trace.PcapngReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.EOFException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vnet replay} against a committed capture of the seed lab: red pings blue (L2) and lan (MASQUERADE), lan
 * sends "hello" to the uplink's tcp/80 (DNAT to blue), red pings lan with TTL 1 and an address nothing routes. The
 * capture ({@code vnet trace all -w seed-lab.pcapng}) was taken from a real run; the golden file is what the replay
 * prints. To regenerate it after an intended change to the trace's wording, run with {@code -Dvnet.updateGolden=true}
 * and read the diff.
 */
class ReplayTest {
    private static final Path SAMPLE = Path.of("src/test/resources/replay/seed-lab.pcapng");
    private static final Path GOLDEN = Path.of("src/test/resources/replay/seed-lab.replay.txt");

    @Test
    void replayOfTheSampleCapturePrintsTheGoldenTrace() throws Exception {
        CliRun r = CliRun.of("replay", SAMPLE.toString());
        assertEquals(0, r.exit(), r.err());
        if (Boolean.getBoolean("vnet.updateGolden")) {
            Files.writeString(GOLDEN, r.out(), StandardCharsets.UTF_8);
        }
        assertEquals(Files.readString(GOLDEN, StandardCharsets.UTF_8), r.out(),
                "replay output differs from " + GOLDEN + " (regenerate with -Dvnet.updateGolden=true if intended)");
    }

    @Test
    void theTraceShowsEachPathOfTheSample() {
        String out = CliRun.of("replay", SAMPLE.toString()).out();
        // L2: red's ping to blue is switched, never routed.
        assertTrue(out.contains("in red: IP 192.168.15.1 > 192.168.15.2: icmp echo request id 3189 seq 1, ttl 64\n"
                + "    BridgeInput\n    L2Learn: source b2:50:5e:4a:d7:b4 learned on red\n    L2Forward\n"
                + "    => forward to blue\n"), out);
        // MASQUERADE: the source becomes the uplink's address; the frame waits for ARP, which the simulated lan answers.
        assertTrue(out.contains("rewritten: 192.168.15.1 > 192.168.1.3 icmp id 3191  =>  192.168.1.2 > 192.168.1.3 "
                + "icmp id 3191"), out);
        assertTrue(out.contains("(replay: uplink answers ARP: 192.168.1.3 is-at 3e:34:d5:f1:81:45, as in the capture)"),
                out);
        // DNAT: the uplink's port 80 goes to blue.
        assertTrue(out.contains("ConntrackIn: new connection, matched a port forward (DNAT applied)\n"
                + "      rewritten: 192.168.1.3:56676 > 192.168.1.2:80  =>  192.168.1.3:56676 > 192.168.15.2:80"), out);
        // Drops, with their reasons, and the ICMP errors the router answers them with.
        assertTrue(out.contains("=> drop: ttl-exceeded"), out);
        assertTrue(out.contains("=> drop: no-route"), out);
        assertTrue(out.contains("from vnet out of gw:v-net-0: IP 192.168.15.5 > 192.168.15.1: icmp time exceeded"),
                out);
        assertTrue(out.contains("skipped: sent by vnet out of blue (replay makes its own)"), out);
        assertTrue(out.endsWith("20 frames replayed, 37 skipped\nsent out of each port: red 8, blue 10, uplink 5\n"
                + "dropped: no-route 1, ttl-exceeded 1\n"), out);
    }

    @Test
    void aFilterChoosesWhatIsTracedNotWhatIsReplayed() {
        String out = CliRun.of("replay", SAMPLE.toString(), "tcp", "port", "80").out();
        assertTrue(out.contains("ConntrackIn: new connection, matched a port forward (DNAT applied)"), out);
        assertTrue(!out.contains("icmp echo request id 3189 seq 1, ttl 64\n    BridgeInput"), out);
        // Every frame still went through: the same totals as without a filter.
        assertTrue(out.endsWith("20 frames replayed, 37 skipped\nsent out of each port: red 8, blue 10, uplink 5\n"
                + "dropped: no-route 1, ttl-exceeded 1\n"), out);
    }

    @Test
    void whatLeftEachPortIsWrittenAsPcap(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("replay", SAMPLE.toString(), "-w", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<byte[]> blue = readPcap(dir.resolve("blue.pcap"));
        assertEquals(10, blue.size());
        // The DNATed SYN and the "hello" reach blue at 192.168.15.2:80.
        List<ByteBuffer> toBlue = blue.stream().map(ByteBuffer::wrap)
                .filter(f -> f.getShort(12) == 0x0800 && f.get(23) == 6 && tcpDstPort(f) == 80).toList();
        assertEquals(5, toBlue.size(), "SYN, ACK, data, FIN, ACK");
        assertEquals(0x02, toBlue.get(0).get(14 + ipHeaderLength(toBlue.get(0)) + 13) & 0x3f, "the first is the SYN");
        assertTrue(toBlue.stream().allMatch(f -> f.getInt(30) == 0xc0a80f02), "all to 192.168.15.2");
        assertTrue(blue.stream().anyMatch(f -> new String(f, StandardCharsets.ISO_8859_1).endsWith("hello\n")));
        assertEquals(5, readPcap(dir.resolve("uplink.pcap")).size());
        assertEquals(8, readPcap(dir.resolve("red.pcap")).size());
    }

    @Test
    void aClassicPcapNeedsAPortAndEntersThere(@TempDir Path dir) throws Exception {
        // red's inbound frames of the sample, as a tcpdump inside red would have written them.
        Path pcap = dir.resolve("red.pcap");
        try (InputStream in = Files.newInputStream(SAMPLE);
             PcapHandle dead = Pcaps.openDead(DataLinkType.EN10MB, 65535);
             PcapDumper dumper = dead.dumpOpen(pcap.toString())) {
            PcapngReader reader = new PcapngReader(in);
            PcapngReader.Record rec;
            while ((rec = reader.next()) != null) {
                if (rec.port().equals("red") && rec.direction() == 1) {
                    Timestamp ts = new Timestamp(rec.timeMicros() / 1000);
                    ts.setNanos((int) (rec.timeMicros() % 1_000_000) * 1000);
                    dumper.dumpRaw(rec.data(), ts);
                }
            }
        }
        CliRun without = CliRun.of("replay", pcap.toString());
        assertEquals(2, without.exit());
        assertTrue(without.err().contains("is a classic pcap, which does not say where a frame came in: give --port NAME "
                + "(ports: red, blue, uplink)"), without.err());

        CliRun wrong = CliRun.of("replay", pcap.toString(), "--port", "green");
        assertEquals(2, wrong.exit());
        assertTrue(wrong.err().contains("--port: no port 'green' in topology seed lab (ports: red, blue, uplink)"),
                wrong.err());

        CliRun r = CliRun.of("replay", pcap.toString(), "--port", "red", "icmp");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("=> drop: ttl-exceeded"), r.out());
        // Without blue's frames, the simulated blue answers the router's ARP for 192.168.15.2... only if asked; red's
        // own ping to blue is switched to blue's port whatever blue does.
        assertTrue(r.out().contains("in red: IP 192.168.15.1 > 192.168.15.2: icmp echo request"), r.out());
        assertTrue(r.out().contains("0 skipped"), r.out());
    }

    @Test
    void badInputIsReportedClearly(@TempDir Path dir) throws Exception {
        CliRun missing = CliRun.of("replay", dir.resolve("nope.pcap").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("cannot read"), missing.err());

        Path junk = dir.resolve("junk.pcap");
        Files.writeString(junk, "this is not a capture");
        CliRun notPcap = CliRun.of("replay", junk.toString(), "--port", "red");
        assertEquals(1, notPcap.exit());
        assertTrue(notPcap.err().contains("is not a pcap file libpcap can read"), notPcap.err());

        CliRun badFilter = CliRun.of("replay", SAMPLE.toString(), "port", "banana");
        assertEquals(2, badFilter.exit());
        assertTrue(badFilter.err().contains("filter:"), badFilter.err());
    }

    private static int ipHeaderLength(ByteBuffer f) {
        return (f.get(14) & 0x0f) * 4;
    }

    private static int tcpDstPort(ByteBuffer f) {
        return f.getShort(14 + ipHeaderLength(f) + 2) & 0xffff;
    }

    private static List<byte[]> readPcap(Path file) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (PcapHandle h = Pcaps.openOffline(file.toString())) {
            while (true) {
                try {
                    out.add(h.getNextRawPacketEx());
                } catch (EOFException e) {
                    return out;
                }
            }
        }
    }
}
