package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/**
 * {@code vnet policy list|add|del}: the running vnet's filtering rules (the topology's {@code policy}), with what each
 * decided, changed while it runs.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "List, add or remove the running vnet's filtering rules for routed connections (the topology's "
                + "'policy'). A change applies to new connections; counters start again from zero.",
        subcommands = {PolicyCommand.ListRules.class, PolicyCommand.Add.class, PolicyCommand.Del.class})
final class PolicyCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code vnet policy add --from red --to lan --action reject [--at N]}. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a rule (at the end, or at --at N). A bad rule is refused with the reason and nothing "
                    + "changes. Example: vnet policy add --from uplink --to 192.168.15.0/24 --protocol tcp --port 22 "
                    + "--action drop")
    static final class Add implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Option(names = "--from", paramLabel = "WHERE",
                description = "A namespace, a bridge, an uplink or an address prefix (default: any).")
        String from;
        @picocli.CommandLine.Option(names = "--to", paramLabel = "WHERE", description = "The same kinds (default: any).")
        String to;
        @picocli.CommandLine.Option(names = "--protocol", description = "tcp, udp, icmp or icmpv6 (default: any).")
        String protocol;
        @picocli.CommandLine.Option(names = "--port", paramLabel = "N[-M]", description = "Destination port(s).")
        String port;
        @picocli.CommandLine.Option(names = "--type", paramLabel = "N[-M]", description = "ICMP type(s).")
        String type;
        @picocli.CommandLine.Option(names = "--state", split = ",", description = "new, invalid (default: any).")
        java.util.List<String> states = new java.util.ArrayList<>();
        @picocli.CommandLine.Option(names = "--forwarded", arity = "1",
                description = "true: only connections a port forward made; false: only others.")
        Boolean forwarded;
        @picocli.CommandLine.Option(names = "--action", required = true, description = "accept, drop or reject.")
        String action;
        @picocli.CommandLine.Option(names = "--reject-with", paramLabel = "ANSWER", description = "How a reject "
                + "answers: tcp-reset (TCP only), port-unreachable or admin-prohibited (ICMP, to every protocol); "
                + "default: a TCP reset to TCP, ICMP port unreachable to the rest.")
        String rejectWith;
        @picocli.CommandLine.Option(names = "--at", paramLabel = "N", description = "Its place, from 1.")
        Integer at;
        @picocli.CommandLine.Option(names = "--log", description = "Log what it decides, at most a line a second.")
        boolean log;
        @picocli.CommandLine.Mixin
        LabSelection lab = new LabSelection();

        @Override
        public Integer call() {
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
            put(body, "from", from);
            put(body, "to", to);
            put(body, "protocol", protocol);
            put(body, "port", port);
            put(body, "type", type);
            if (!states.isEmpty()) {
                body.put("state", states);
            }
            put(body, "forwarded", forwarded);
            body.put("action", action);
            put(body, "reject-with", rejectWith);
            put(body, "position", at);
            if (log) {
                body.put("log", true);
            }
            try {
                JsonNode r = new dev.vnet.control.api.ControlClient(lab.stateDir()).call("POST", "/policy", body);
                System.out.println("added " + r.path("added").asText());
                return 0;
            } catch (java.io.IOException e) {
                System.err.println("vnet policy add: " + e.getMessage());
                return 1;
            }
        }

        private static void put(java.util.Map<String, Object> body, String key, Object value) {
            if (value != null) {
                body.put(key, value);
            }
        }
    }

    /** {@code vnet policy del N}. */
    @Command(name = "del", mixinStandardHelpOptions = true, description = "Remove rule N (as vnet policy list numbers "
            + "it). Connections it decided live on.")
    static final class Del implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Parameters(index = "0", paramLabel = "N")
        int number;
        @picocli.CommandLine.Mixin
        LabSelection lab = new LabSelection();

        @Override
        public Integer call() {
            try {
                JsonNode r = new dev.vnet.control.api.ControlClient(lab.stateDir()).call("DELETE",
                        "/policy?number=" + number, null);
                System.out.println("removed " + r.path("removed").asText());
                return 0;
            } catch (java.io.IOException e) {
                System.err.println("vnet policy del: " + e.getMessage());
                return 1;
            }
        }
    }

    /** {@code vnet policy list}: the rules in the order they are tried, with their counters, then the default. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the rules in the order they are tried, each with the new connections it decided "
                    + "(their first packets and bytes; later packets are their connection's), then the default.")
    static final class ListRules extends ShowCommand {
        @Override
        String resource() {
            return "/policy";
        }

        @Override
        String render(JsonNode body) {
            StringBuilder sb = new StringBuilder(String.format("%4s  %10s  %12s  %s%n", "#", "packets", "bytes",
                    "rule"));
            for (JsonNode r : body) {
                int n = r.path("number").asInt();
                sb.append(String.format("%4s  %10s  %12s  %s%n", n == 0 ? "-" : Integer.toString(n),
                        n == 0 ? "" : r.path("packets").asText(), n == 0 ? "" : r.path("bytes").asText(),
                        r.path("rule").asText()));
            }
            return sb.toString();
        }
    }
}
