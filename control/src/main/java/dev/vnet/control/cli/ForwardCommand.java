package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vnet.control.api.ControlClient;
import dev.vnet.control.lab.StateFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code vnet forward add|del|list}: port forwards (DNAT) of the running vnet, changed while it runs. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Add, remove or list port forwards (DNAT) of the running vnet.",
        subcommands = {ForwardCommand.Add.class, ForwardCommand.Del.class, ForwardCommand.ListForwards.class})
final class ForwardCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every forward subcommand takes. */
    abstract static class Base implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        LabSelection lab = new LabSelection();

        abstract String run(ControlClient client) throws IOException;

        @Override
        public Integer call() {
            try {
                System.out.print(run(new ControlClient(lab.stateDir())));
                return 0;
            } catch (IOException e) {
                System.err.println("vnet forward: " + e.getMessage());
                return 1;
            }
        }

        static String[] split(String onPort) {
            int colon = onPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new ForwardCommand()),
                        "'" + onPort + "' should be INTERFACE:PORT, e.g. uplink:8080");
            }
            return new String[] {onPort.substring(0, colon), onPort.substring(colon + 1)};
        }
    }

    /** {@code vnet forward add tcp uplink:8080 192.168.15.2:80}. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Forward new connections to INTERFACE:PORT (an uplink's or a gatewayed bridge's address) "
                    + "to TARGET[:PORT]. Examples: vnet forward add tcp uplink:8080 192.168.15.2:80; "
                    + "vnet forward add tcp uplink:80 blue:80 (blue's IPv4 and IPv6 addresses)")
    static final class Add extends Base {
        @Parameters(index = "0", paramLabel = "PROTOCOL", description = "tcp, udp or both")
        String protocol;
        @Parameters(index = "1", paramLabel = "INTERFACE:PORT", description = "e.g. uplink:8080 or uplink:8000-8010")
        String on;
        @Parameters(index = "2", paramLabel = "TARGET[:PORT]",
                description = "an address (192.168.15.2:80, [fd00:15::2]:80) or a namespace's name (blue:80)")
        String to;

        @Override
        String run(ControlClient client) throws IOException {
            String[] parts = split(on);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("protocol", protocol);
            body.put("on", parts[0]);
            body.put("port", parts[1]);
            body.put("to", to);
            JsonNode r = client.call("POST", "/forwards", body);
            StringBuilder sb = new StringBuilder();
            r.path("added").forEach(a -> sb.append("added ").append(a.asText()).append('\n'));
            return sb.toString();
        }
    }

    /** {@code vnet forward del tcp uplink:8080}. */
    @Command(name = "del", mixinStandardHelpOptions = true,
            description = "Remove the forward of PROTOCOL on INTERFACE:PORT (the first port of its range). "
                    + "Connections it made live on until they expire.")
    static final class Del extends Base {
        @Parameters(index = "0", paramLabel = "PROTOCOL", description = "tcp, udp or both")
        String protocol;
        @Parameters(index = "1", paramLabel = "INTERFACE:PORT")
        String on;

        @Override
        String run(ControlClient client) throws IOException {
            String[] parts = split(on);
            JsonNode r = client.call("DELETE", "/forwards?protocol=" + enc(protocol) + "&on=" + enc(parts[0])
                    + "&port=" + enc(parts[1]), null);
            StringBuilder sb = new StringBuilder();
            r.path("removed").forEach(a -> sb.append("removed ").append(a.asText()).append('\n'));
            return sb.toString();
        }

        private static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }
    }

    /** {@code vnet forward list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the port forwards.")
    static final class ListForwards extends Base {
        @Override
        String run(ControlClient client) throws IOException {
            StringBuilder sb = new StringBuilder();
            client.get("/forwards").forEach(f -> sb.append(f.asText()).append('\n'));
            return sb.toString();
        }
    }
}
