package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.util.Iterator;
import java.util.Map;

/** The show commands: each reads one table from the running vnet. */
final class ShowCommands {
    private ShowCommands() {
    }

    /** {@code vnet topology}: the running topology as a topology file. */
    @Command(name = "topology", mixinStandardHelpOptions = true,
            description = {"Print the running topology as a topology file (YAML): as started, with namespaces "
                    + "attached since and the static routes and port forwards as they are now.",
                    "'vnet topology > lab.yaml' and later 'vnet up lab.yaml' builds the same network."})
    static final class Topology extends ShowCommand {
        @Override
        String resource() {
            return "/topology";
        }

        @Override
        @SuppressWarnings("unchecked")
        String render(JsonNode body) {
            Map<String, Object> tree = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(body, Map.class);
            return dev.vnet.control.topology.TopologyDocument.yaml(tree, "vnet topology: the network as running");
        }
    }

    /** {@code vnet neigh}: the router's ARP table and IPv6 neighbour cache, as {@code ip neigh} prints them. */
    @Command(name = "neigh", mixinStandardHelpOptions = true,
            description = "Show the router's neighbor tables (ARP, and IPv6 neighbour discovery) of the running vnet, "
                    + "like 'ip neigh'.")
    static final class Neigh extends ShowCommand {
        @Override
        String resource() {
            return "/neigh";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode n : body) {
                sb.append(text(n, "address")).append(" dev ").append(text(n, "iface"));
                String mac = text(n, "mac");
                if (mac != null) {
                    sb.append(" lladdr ").append(mac);
                }
                sb.append(' ').append(text(n, "state"));
                if (n.path("queued").asInt() > 0) {
                    sb.append(" (").append(n.path("queued").asInt()).append(" frames waiting)");
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    /** {@code vnet route}: the router's routes, as {@code ip route} and {@code ip -6 route} print them. */
    @Command(name = "route", mixinStandardHelpOptions = true,
            description = "Show the router's IPv4 and IPv6 routes of the running vnet, like 'ip route' and "
                    + "'ip -6 route'.")
    static final class Route extends ShowCommand {
        @Override
        String resource() {
            return "/routes";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode r : body) {
                String prefix = text(r, "prefix");
                sb.append("0.0.0.0/0".equals(prefix) || "::/0".equals(prefix) ? "default" : prefix);
                String gw = text(r, "gateway");
                if (gw != null) {
                    sb.append(" via ").append(gw);
                }
                sb.append(" dev ").append(text(r, "iface"));
                if (gw == null) {
                    sb.append(" scope link");
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    /** {@code vnet fdb}: every bridge's forwarding database, as {@code bridge fdb} prints it. */
    @Command(name = "fdb", mixinStandardHelpOptions = true,
            description = "Show the MAC tables of the running vnet's bridges, like 'bridge fdb'.")
    static final class Fdb extends ShowCommand {
        @Override
        String resource() {
            return "/fdb";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder();
            for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> bridge = it.next();
                for (JsonNode e : bridge.getValue()) {
                    sb.append(text(e, "mac")).append(" dev ").append(text(e, "port"));
                    if (e.hasNonNull("vtep")) {
                        sb.append(" dst ").append(text(e, "vtep"));
                    }
                    sb.append(" master ").append(bridge.getKey());
                    if (e.path("isStatic").asBoolean()) {
                        sb.append(" static");
                    } else {
                        sb.append(String.format(" age %.0fs", e.path("ageSeconds").asDouble()));
                    }
                    sb.append('\n');
                }
            }
            return sb.toString();
        }
    }

    /** {@code vnet conntrack}: the tracked connections, as {@code conntrack -L} prints them. */
    @Command(name = "conntrack", mixinStandardHelpOptions = true,
            description = "Show the running vnet's tracked connections: both tuples, state, seconds left, NAT. "
                    + "'vnet conntrack flush' forgets them all (conntrack -F).",
            subcommands = {Conntrack.Flush.class})
    static final class Conntrack extends ShowCommand {
        /** {@code vnet conntrack flush}: every connection forgotten, so rules changed since decide them again. */
        @Command(name = "flush", mixinStandardHelpOptions = true,
                description = "Forget every tracked connection (conntrack -F): their next packets are decided as "
                        + "new ones, by the filtering rules as they are now, and translated anew.")
        static final class Flush implements java.util.concurrent.Callable<Integer> {
            @picocli.CommandLine.Mixin
            LabSelection lab = new LabSelection();

            @Override
            public Integer call() {
                try {
                    JsonNode r = new dev.vnet.control.api.ControlClient(lab.stateDir()).call("DELETE", "/conntrack",
                            null);
                    System.out.println("flushed " + r.path("flushed").asInt() + " connections");
                    return 0;
                } catch (java.io.IOException e) {
                    System.err.println("vnet conntrack flush: " + e.getMessage());
                    return 1;
                }
            }
        }

        @Override
        String resource() {
            return "/conntrack";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode c : body) {
                sb.append(String.format("%-4s %-11s %7ds  %s  reply %s%s%n", text(c, "protocol"), text(c, "state"),
                        c.path("timeoutSeconds").asLong(), text(c, "original"), text(c, "reply"),
                        c.path("translated").asBoolean() ? "  [NAT]" : ""));
            }
            return sb.toString();
        }
    }

    /** {@code vnet nat}: the MASQUERADE rules and port forwards. */
    @Command(name = "nat", mixinStandardHelpOptions = true,
            description = "Show the running vnet's NAT rules: MASQUERADE and port forwards.")
    static final class Nat extends ShowCommand {
        @Override
        String resource() {
            return "/nat";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode r : body) {
                sb.append(r.asText()).append('\n');
            }
            return sb.toString();
        }
    }

    /** {@code vnet stats}: pipeline, connection table and MAC table counters, and drops by reason per port. */
    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Show the running vnet's counters: frames by outcome, connection and MAC tables, and drops "
                    + "per port by reason.")
    static final class Stats extends ShowCommand {
        @Override
        String resource() {
            return "/stats";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder("pipeline:");
            counters(sb, body.path("pipeline"));
            sb.append("\nrouter:");
            counters(sb, body.path("router"));
            sb.append("\nframes received per event loop (poll ").append(text(body, "poll")).append("):");
            int loop = 0;
            for (JsonNode n : body.path("loops")) {
                sb.append(' ').append(loop++).append('=').append(n.asLong());
            }
            sb.append("\nconntrack:");
            counters(sb, body.path("conntrack"));
            body.path("fdb").fields().forEachRemaining(b -> {
                sb.append("\nfdb ").append(b.getKey()).append(':');
                counters(sb, b.getValue());
            });
            sb.append("\ndrops:");
            boolean any = false;
            for (JsonNode p : body.path("ports")) {
                for (Iterator<Map.Entry<String, JsonNode>> it = p.path("drops").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> d = it.next();
                    sb.append("\n  ").append(text(p, "name")).append(' ').append(d.getKey()).append(' ')
                            .append(d.getValue().asLong());
                    any = true;
                }
            }
            if (!any) {
                sb.append(" none");
            }
            return sb.append('\n').toString();
        }
    }

    /** Appends " name=value" for each counter of {@code node}. */
    private static void counters(StringBuilder sb, JsonNode node) {
        node.fields().forEachRemaining(e -> sb.append(' ').append(e.getKey()).append('=').append(e.getValue().asLong()));
    }

    /** {@code vnet ports}: every port with its counters and drops by reason. */
    @Command(name = "ports", mixinStandardHelpOptions = true,
            description = "Show the running vnet's ports with frame and byte counters and drops by reason.")
    static final class Ports extends ShowCommand {
        @Override
        String resource() {
            return "/ports";
        }

        @Override
        String render(JsonNode body) {
            // Columns as wide as their longest entry (a tunnel's name and device are longer than a TAP's).
            int nameWidth = "PORT".length();
            int deviceWidth = "DEVICE".length();
            int bridgeWidth = "BRIDGE".length();
            for (JsonNode p : body) {
                nameWidth = Math.max(nameWidth, String.valueOf(text(p, "name")).length());
                deviceWidth = Math.max(deviceWidth, String.valueOf(text(p, "device")).length());
                String bridge = text(p, "bridge");
                bridgeWidth = Math.max(bridgeWidth, bridge == null ? 1 : bridge.length());
            }
            String row = "%-" + nameWidth + "s %-" + deviceWidth + "s %-" + bridgeWidth + "s %10s %12s %10s %12s  %s%n";
            StringBuilder sb = new StringBuilder(String.format(row,
                    "PORT", "DEVICE", "BRIDGE", "RX-FRAMES", "RX-BYTES", "TX-FRAMES", "TX-BYTES", "DROPS"));
            for (JsonNode p : body) {
                StringBuilder drops = new StringBuilder();
                for (Iterator<Map.Entry<String, JsonNode>> it = p.path("drops").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> d = it.next();
                    drops.append(drops.length() == 0 ? "" : " ").append(d.getKey()).append('=')
                            .append(d.getValue().asLong());
                }
                String bridge = text(p, "bridge");
                sb.append(String.format(row, text(p, "name"),
                        text(p, "device"), bridge == null ? "-" : bridge, p.path("rxFrames").asLong(),
                        p.path("rxBytes").asLong(), p.path("txFrames").asLong(), p.path("txBytes").asLong(),
                        drops.length() == 0 ? "-" : drops));
            }
            return sb.toString();
        }
    }
}
