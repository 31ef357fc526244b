package dev.vnet.control.api;

import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.api.PortStats;

import java.util.List;
import java.util.Map;

/** The running dataplane's counters in the Prometheus text exposition format (version 0.0.4). */
public final class Metrics {
    private Metrics() {
    }

    public static String render(Dataplane dp) {
        StringBuilder sb = new StringBuilder();
        var ports = dp.portStats();
        counter(sb, "vnet_port_rx_frames_total", "Frames received on a port.");
        ports.forEach(p -> line(sb, "vnet_port_rx_frames_total", portLabels(p), p.rxFrames()));
        counter(sb, "vnet_port_rx_bytes_total", "Bytes received on a port.");
        ports.forEach(p -> line(sb, "vnet_port_rx_bytes_total", portLabels(p), p.rxBytes()));
        counter(sb, "vnet_port_tx_frames_total", "Frames sent on a port.");
        ports.forEach(p -> line(sb, "vnet_port_tx_frames_total", portLabels(p), p.txFrames()));
        counter(sb, "vnet_port_tx_bytes_total", "Bytes sent on a port.");
        ports.forEach(p -> line(sb, "vnet_port_tx_bytes_total", portLabels(p), p.txBytes()));
        counter(sb, "vnet_port_drops_total", "Frames dropped, by port and reason.");
        for (PortStats p : ports) {
            for (Map.Entry<String, Long> d : p.drops().entrySet()) {
                line(sb, "vnet_port_drops_total", portLabels(p) + ",reason=\"" + d.getKey() + "\"", d.getValue());
            }
        }
        counter(sb, "vnet_pipeline_frames_total", "Frames through the pipeline, by outcome.");
        dp.pipelineCounters().forEach((k, v) -> line(sb, "vnet_pipeline_frames_total", "outcome=\"" + k + "\"", v));
        Map<String, Long> router = dp.routerCounters();
        counter(sb, "vnet_icmp_errors_suppressed_total", "ICMP errors the router did not send (rate limit).",
                router.get("icmp-errors-suppressed"));
        counter(sb, "vnet_icmp_redirects_sent_total", "ICMP redirects the router sent (a better first hop).",
                router.get("icmp-redirects-sent"));
        counter(sb, "vnet_fragments_held_total", "Fragments that overtook their datagram's first and waited for it.",
                router.get("fragments-held"));
        gauge(sb, "vnet_fragments_waiting", "Fragments waiting for their datagram's first fragment now.",
                router.get("fragments-waiting"));
        gauge(sb, "vnet_reassemblies", "Fragmented datagrams to the router being reassembled now.",
                router.get("reassemblies"));
        gauge(sb, "vnet_neighbors", "Neighbour table entries, by family (ARP, IPv6 neighbour discovery).");
        line(sb, "vnet_neighbors", "family=\"ipv4\"", router.get("neighbors"));
        line(sb, "vnet_neighbors", "family=\"ipv6\"", router.get("neighbors6"));
        gauge(sb, "vnet_routes", "Routes, connected ones included, by family.");
        line(sb, "vnet_routes", "family=\"ipv4\"", router.get("routes"));
        line(sb, "vnet_routes", "family=\"ipv6\"", router.get("routes6"));
        counter(sb, "vnet_loop_frames_received_total", "Frames each event loop's pipeline received.");
        List<Long> perLoop = dp.loopReceived();
        for (int i = 0; i < perLoop.size(); i++) {
            line(sb, "vnet_loop_frames_received_total", "loop=\"" + i + "\"", perLoop.get(i));
        }
        Map<String, Long> ct = dp.conntrackCounters();
        gauge(sb, "vnet_conntrack_entries", "Tracked connections.", ct.get("entries"));
        gauge(sb, "vnet_conntrack_max", "Bound on tracked connections.", ct.get("max-entries"));
        gauge(sb, "vnet_conntrack_ipv6_addresses", "IPv6 addresses the tracked connections hold (each once).",
                ct.get("ipv6-addresses"));
        counter(sb, "vnet_conntrack_full_drops_total", "New connections refused because the table was full.",
                ct.get("full-drops"));
        counter(sb, "vnet_conntrack_early_drops_total", "Unanswered connections given up for new ones in a full table.",
                ct.get("early-drops"));
        counter(sb, "vnet_policy_packets_total", "New connections' first packets each filtering rule decided.");
        var policy = dp.policy();
        for (var r : policy) {
            if (r.number() > 0) {
                line(sb, "vnet_policy_packets_total", rule(r), r.packets());
            }
        }
        counter(sb, "vnet_policy_bytes_total", "Their bytes.");
        for (var r : policy) {
            if (r.number() > 0) {
                line(sb, "vnet_policy_bytes_total", rule(r), r.bytes());
            }
        }
        gauge(sb, "vnet_fdb_entries", "MAC table entries, by bridge.");
        for (String b : dp.bridgeNames()) {
            line(sb, "vnet_fdb_entries", "bridge=\"" + b + "\"", dp.fdbCounters(b).get("entries"));
        }
        return sb.toString();
    }

    private static String rule(dev.vnet.dataplane.api.PolicyEntry r) {
        return "rule=\"" + r.number() + "\",text=\"" + r.rule().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String portLabels(PortStats p) {
        return "port=\"" + p.name() + "\",device=\"" + p.device() + "\",bridge=\"" + (p.bridge() == null ? ""
                : p.bridge()) + "\"";
    }

    private static void counter(StringBuilder sb, String name, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
    }

    private static void gauge(StringBuilder sb, String name, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    }

    /** A counter without labels: its help, its type and its one value. */
    private static void counter(StringBuilder sb, String name, String help, long value) {
        counter(sb, name, help);
        line(sb, name, null, value);
    }

    /** A gauge without labels: its help, its type and its one value. */
    private static void gauge(StringBuilder sb, String name, String help, long value) {
        gauge(sb, name, help);
        line(sb, name, null, value);
    }

    private static void line(StringBuilder sb, String name, String labels, long value) {
        sb.append(name);
        if (labels != null) {
            sb.append('{').append(labels).append('}');
        }
        sb.append(' ').append(value).append('\n');
    }
}
