package dev.vnet.control.cli;

import dev.vnet.control.api.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code vnet attach} and {@code vnet detach}: namespaces joined to and removed from the running network. */
final class AttachCommands {
    private AttachCommands() {
    }

    /** {@code vnet attach NAME --bridge B --address A/L... [--default-route GW...] [--mtu N]}. */
    @Command(name = "attach", mixinStandardHelpOptions = true,
            description = "Create namespace NAME and attach it to a bridge of the running vnet, checked against the "
                    + "running topology first. Example: vnet attach green --bridge v-net-0 --address 192.168.15.3/24 "
                    + "--default-route 192.168.15.5")
    static final class Attach implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "The namespace to create.")
        String name;
        @Option(names = "--bridge", required = true, paramLabel = "BRIDGE", description = "The bridge to attach to.")
        String bridge;
        @Option(names = "--address", required = true, paramLabel = "ADDRESS/LEN",
                description = "Its address: one IPv4 address, and any IPv6 ones (repeat the option: --address "
                        + "192.168.15.3/24 --address fd00:15::3/64).")
        java.util.List<String> addresses;
        @Option(names = "--default-route", paramLabel = "GATEWAY",
                description = "Its default route's next hop; one per family (repeat the option: --default-route "
                        + "192.168.15.5 --default-route fd00:15::5).")
        java.util.List<String> defaultRoutes = new java.util.ArrayList<>();
        @Option(names = "--mtu", paramLabel = "N", description = "Its MTU (default: ${DEFAULT-VALUE}).")
        int mtu = 1500;
        @picocli.CommandLine.Mixin
        LabSelection lab = new LabSelection();

        @Override
        public Integer call() {
            java.util.List<String> v4 = addresses.stream().filter(a -> !a.contains(":")).toList();
            java.util.List<String> v6 = addresses.stream().filter(a -> a.contains(":")).toList();
            if (v4.size() != 1) {
                System.err.println("vnet attach: --address: one IPv4 address, and any IPv6 ones (got " + v4.size()
                        + " IPv4)");
                return 2;
            }
            String address = v4.get(0);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("bridge", bridge);
            body.put("address", address);
            if (!v6.isEmpty()) {
                body.put("addresses6", v6);
            }
            body.put("mtu", mtu);
            java.util.List<String> via4 = defaultRoutes.stream().filter(a -> !a.contains(":")).toList();
            java.util.List<String> via6 = defaultRoutes.stream().filter(a -> a.contains(":")).toList();
            if (via4.size() > 1 || via6.size() > 1) {
                System.err.println("vnet attach: --default-route: one per family (got " + defaultRoutes + ")");
                return 2;
            }
            if (!via4.isEmpty()) {
                body.put("default-route", via4.get(0));
            }
            if (!via6.isEmpty()) {
                body.put("default-route6", via6.get(0));
            }
            try {
                new ControlClient(lab.stateDir()).call("POST", "/namespaces", body);
                System.out.println("attached " + name + " to " + bridge + " as " + String.join(" ", addresses));
                return 0;
            } catch (IOException e) {
                System.err.println("vnet attach: " + e.getMessage());
                return 1;
            }
        }
    }

    /** {@code vnet detach NAME}. */
    @Command(name = "detach", mixinStandardHelpOptions = true,
            description = "Detach namespace NAME from the running vnet: its TAP goes, and the namespace, which vnet made.")
    static final class Detach implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @picocli.CommandLine.Mixin
        LabSelection lab = new LabSelection();

        @Override
        public Integer call() {
            try {
                new ControlClient(lab.stateDir()).call("DELETE", "/namespaces?name="
                        + URLEncoder.encode(name, StandardCharsets.UTF_8), null);
                System.out.println("detached and removed " + name);
                return 0;
            } catch (IOException e) {
                System.err.println("vnet detach: " + e.getMessage());
                return 1;
            }
        }
    }
}
