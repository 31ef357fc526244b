package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/**
 * {@code vnet policy list}: the running vnet's filtering rules (the topology's {@code policy}) with what each decided.
 * Adding and removing rules while vnet runs is still to come; the topology file sets them.
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Show the running vnet's filtering rules for routed connections (the topology's 'policy').",
        subcommands = {PolicyCommand.ListRules.class})
final class PolicyCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
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
