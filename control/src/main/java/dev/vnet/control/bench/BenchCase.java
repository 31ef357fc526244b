package dev.vnet.control.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One measurement, run the same way on either network: iperf3 TCP (one stream or four; switched, masqueraded over
 * IPv4 or IPv6, port-forwarded, or switched between two hosts over VXLAN), iperf3 UDP with 64-byte frames (unpaced,
 * or paced at 100 kpps), or ping round trips (50 and 1 000 a second).
 *
 * @param id            short name, used in the JSON
 * @param title         what a person reads in the table
 * @param unit          the unit of a result
 * @param higherIsBetter true for throughput, false for latency
 * @param rate          UDP: packets a second offered (0: unpaced); ping: pings a second
 */
record BenchCase(String id, String title, String unit, boolean higherIsBetter, Kind kind, Path path, int streams,
                 long rate) {
    /** What is measured. */
    enum Kind { TCP, UDP64, PING }

    /**
     * Where the traffic goes: red→blue switched, red→lan through MASQUERADE (over IPv4, or IPv6 through NAT66),
     * lan→uplink:80 forwarded to blue, or red on one host → blue on another, switched over VXLAN ({@link KernelVxlanNetwork}, {@link VnetVxlanNetwork}).
     */
    enum Path { L2, MASQUERADE, DNAT, VXLAN, MASQUERADE6 }

    private static final int PORT_L2 = 5201;
    private static final int PORT_DNAT = 80; // the seed lab forwards the uplink's tcp/80 to blue:80
    private static final int UDP_PAYLOAD = 18; // 14 Ethernet + 20 IP + 8 UDP + 18 = 60 bytes, 64 with the FCS
    private static final Pattern RTT = Pattern.compile("= ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every case, in the order they run and are reported. */
    static List<BenchCase> all() {
        return List.of(
                new BenchCase("tcp-1-l2", "TCP, 1 stream, L2 (red -> blue)", "Gbit/s", true, Kind.TCP, Path.L2, 1, 0),
                new BenchCase("tcp-4-l2", "TCP, 4 streams, L2", "Gbit/s", true, Kind.TCP, Path.L2, 4, 0),
                new BenchCase("tcp-1-masq", "TCP, 1 stream, MASQUERADE (red -> lan)", "Gbit/s", true, Kind.TCP,
                        Path.MASQUERADE, 1, 0),
                new BenchCase("tcp-1-dnat", "TCP, 1 stream, DNAT (lan -> uplink:80 -> blue)", "Gbit/s", true,
                        Kind.TCP, Path.DNAT, 1, 0),
                new BenchCase("tcp-1-masq6", "TCP, 1 stream, NAT66 (red -> lan over IPv6)", "Gbit/s", true,
                        Kind.TCP, Path.MASQUERADE6, 1, 0),
                new BenchCase("tcp-1-vxlan", "TCP, 1 stream, VXLAN (red -> blue, 2 hosts)", "Gbit/s", true,
                        Kind.TCP, Path.VXLAN, 1, 0),
                new BenchCase("udp64-unpaced", "UDP 64-byte frames, unpaced, L2", "kpps", true, Kind.UDP64, Path.L2,
                        1, 0),
                new BenchCase("udp64-100k", "UDP 64-byte frames, offered 100 kpps, L2", "kpps", true, Kind.UDP64,
                        Path.L2, 1, 100_000),
                new BenchCase("ping-rtt", "ping round trip, L2", "us", false, Kind.PING, Path.L2, 1, 50),
                // At 50 a second the CPUs idle between pings and waking them weighs most; at 1 000 they stay awake
                // and what shows is the forwarding itself (the kernel bridge answers in a few microseconds then).
                new BenchCase("ping-rtt-1k", "ping round trip, 1000 a second, L2", "us", false, Kind.PING, Path.L2, 1,
                        1000));
    }

    /** Runs this case once on {@code net} for {@code seconds}; the result in {@link #unit}. */
    double run(BenchNetwork net, int seconds) throws IOException {
        String client = path == Path.DNAT ? net.lan() : net.red();
        String server = path == Path.MASQUERADE || path == Path.MASQUERADE6 ? net.lan() : net.blue();
        String address = switch (path) {
            case L2, VXLAN -> "192.168.15.2";
            case MASQUERADE -> "192.168.1.3";
            case MASQUERADE6 -> "fd00:1::3";
            case DNAT -> "192.168.1.2";
        };
        if (kind == Kind.PING) {
            long count = Math.max(20, seconds * rate);
            String interval = String.format(java.util.Locale.ROOT, "%.3f", 1.0 / rate); // under 0.002 s: root only
            String out = Proc.check(client, seconds + 30L, "ping", "-q", "-c", Long.toString(count), "-i", interval,
                    address);
            Matcher m = RTT.matcher(out);
            if (!m.find()) {
                throw new IOException("ping printed no round-trip summary: " + out.trim());
            }
            return Double.parseDouble(m.group(2)) * 1000;
        }
        int port = path == Path.DNAT ? PORT_DNAT : PORT_L2;
        Process iperfServer = Proc.start(server, "iperf3", "-s", "-1", "-p", Integer.toString(port));
        try {
            awaitListener(server, port);
            List<String> cmd = new java.util.ArrayList<>(List.of("iperf3", "-c", address, "-p",
                    Integer.toString(port), "-t", Integer.toString(seconds), "-J"));
            if (streams > 1) {
                cmd.addAll(List.of("-P", Integer.toString(streams)));
            }
            if (kind == Kind.UDP64) {
                cmd.addAll(List.of("-u", "-l", Integer.toString(UDP_PAYLOAD), "-b",
                        rate == 0 ? "0" : Long.toString(rate * UDP_PAYLOAD * 8)));
            }
            List<String> full = Proc.in(client, cmd.toArray(String[]::new));
            Proc.Result r = Proc.run(full, seconds + 30L);
            JsonNode result = JSON.readTree(r.out().isBlank() ? "{}" : r.out());
            if (r.exit() != 0 || result.has("error")) {
                throw new IOException("iperf3 " + id + " on " + net.name() + ": "
                        + (result.has("error") ? result.get("error").asText() : r.err().trim()));
            }
            JsonNode end = result.path("end");
            if (kind == Kind.TCP) {
                return end.path("sum_received").path("bits_per_second").asDouble() / 1e9;
            }
            JsonNode sum = end.path("sum");
            double delivered = sum.path("packets").asDouble() - sum.path("lost_packets").asDouble();
            return delivered / Math.max(1e-9, sum.path("seconds").asDouble()) / 1000;
        } finally {
            Proc.stop(iperfServer);
        }
    }

    private static void awaitListener(String ns, int port) throws IOException {
        for (int i = 0; i < 100; i++) {
            if (Proc.check(ns, 10, "ss", "-ltnH").contains(":" + port + " ")) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("iperf3 did not start listening on port " + port + " in " + ns);
    }
}
