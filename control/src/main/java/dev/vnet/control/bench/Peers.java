package dev.vnet.control.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The other user-space dataplanes {@code vnet bench --peers} measures beside the kernel and vnet: the switches
 * {@code ovs} (Open vSwitch's userspace datapath, {@link OvsNetwork}) and {@code floor} (the TAP floor,
 * {@link FloorNetwork}) on the switched cases, the user-mode NAT stacks {@code pasta} ({@link PastaNetwork}) and
 * {@code slirp4netns} ({@link Slirp4netnsNetwork}) on the MASQUERADE, NAT66 and DNAT cases. A peer whose tools are
 * missing is skipped with the reason, not failed: the rest of the benchmark still runs.
 *
 * @param run     the peers to build and measure, in the order asked
 * @param skipped the peers left out, each with why
 */
public record Peers(List<String> run, Map<String, String> skipped) {
    /** Every peer, in the order {@code all} means. */
    static final List<String> KNOWN = List.of("ovs", "floor", "pasta", "slirp4netns");

    /** No peers: the kernel and vnet alone. */
    static final Peers NONE = new Peers(List.of(), Map.of());

    /**
     * The peers {@code asked} names ({@code all}: every one), those whose tools are missing set apart; an unknown
     * name is an {@link IllegalArgumentException} naming the known ones.
     */
    static Peers choose(List<String> asked) {
        List<String> names = new ArrayList<>();
        for (String a : asked) {
            String name = a.trim();
            if (name.equals("all")) {
                KNOWN.stream().filter(k -> !names.contains(k)).forEach(names::add);
            } else if (!KNOWN.contains(name)) {
                throw new IllegalArgumentException("no peer '" + name + "' (peers: " + String.join(", ", KNOWN)
                        + ", or all)");
            } else if (!names.contains(name)) {
                names.add(name);
            }
        }
        List<String> run = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (String n : names) {
            String missing = missing(n);
            if (missing == null) {
                run.add(n);
            } else {
                skipped.put(n, missing);
            }
        }
        return new Peers(List.copyOf(run), Map.copyOf(skipped));
    }

    /** What {@code peer} lacks on this machine, or null when it can run. */
    private static String missing(String peer) {
        List<String> tools = switch (peer) {
            case "ovs" -> OvsNetwork.TOOLS;
            case "floor" -> List.of("cc");
            default -> List.of(peer);
        };
        for (String t : tools) {
            if (!onPath(t)) {
                return "'" + t + "' is missing (scripts/install-deps.sh --bench installs it)";
            }
        }
        if (peer.equals("ovs") && !Files.isReadable(OvsNetwork.SCHEMA)) {
            return "Open vSwitch's schema " + OvsNetwork.SCHEMA + " is missing (scripts/install-deps.sh --bench "
                    + "installs openvswitch-switch)";
        }
        return null;
    }

    /** Builds {@code peer}'s network with namespaces named {@code prefix} and their role. */
    static PeerNetwork build(String peer, String prefix, BenchCleanup cleanup) throws IOException {
        return switch (peer) {
            case "ovs" -> OvsNetwork.build(prefix, cleanup);
            case "floor" -> FloorNetwork.build(prefix, cleanup);
            case "pasta" -> PastaNetwork.build(prefix, cleanup);
            default -> Slirp4netnsNetwork.build(prefix, cleanup);
        };
    }

    /** True when {@code peer} can carry the cases of {@code path} (known before its network is built). */
    static boolean carries(String peer, BenchCase.Path path) {
        return switch (peer) {
            case "ovs", "floor" -> path == BenchCase.Path.L2;
            default -> path == BenchCase.Path.MASQUERADE || path == BenchCase.Path.MASQUERADE6
                    || path == BenchCase.Path.DNAT;
        };
    }

    /** The short prefix part of {@code peer}'s namespaces ({@code o-}, {@code f-}, {@code p-}, {@code s-}). */
    static String namespaceTag(String peer) {
        return peer.charAt(0) + "-";
    }

    /** True when {@code tool} is an executable on the PATH (or in the sbin directories a user's PATH may lack). */
    public static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin") + ":/usr/sbin:/sbin";
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
