package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;
import dev.vnet.dataplane.wire.Vxlan;
import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.l2.MacTable;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Reads a topology file (YAML; {@code seed-lab.yaml} in this package is the reference and the built-in lab).
 * Every problem is reported, each as {@code FILE:LINE: ELEMENT: FIELD: what is wrong}: unknown keys, missing fields,
 * values of the wrong kind or out of range, and then {@link Topology#problems()} placed on the line of the element
 * they name. Nothing is created from a file with problems. The YAML is read as a node tree: no objects are built from
 * the document.
 */
public final class TopologyFile extends YamlElementReader {
    private static final List<String> TOP = List.of("bridges", "namespaces", "uplinks", "routes", "masquerade",
            "forwards", "limits", "captures", "policy");
    private static final List<String> LIMITS = List.of("connections", "neighbors", "routes", "timeouts");

    /** The namespaces read, and the router interfaces with IPv6 addresses, once read: a forward may name one. */
    private List<NamespaceSpec> namespacesRead = List.of();
    private final java.util.Set<String> ipv6Interfaces = new java.util.HashSet<>();

    private TopologyFile(String file) {
        super(file);
    }

    /** Why a file could not be read, in words: the exceptions for the common cases carry only the path. */
    private static String why(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.charset.CharacterCodingException) {
            return "not UTF-8 text";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Reads and validates {@code path}. */
    public static Topology load(Path path) throws TopologyException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TopologyException("cannot read topology file " + path + ": " + why(e), List.of());
        }
        return parse(path.toString(), text);
    }

    /** Reads and validates {@code text}, naming it {@code file} in messages. */
    public static Topology parse(String file, String text) throws TopologyException {
        return new TopologyFile(file).read(new StringReader(text));
    }

    private Topology read(Reader reader) throws TopologyException {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw fail(List.of(file + ":" + line + ": not valid YAML: " + e.getProblem()));
        } catch (RuntimeException e) {
            throw fail(List.of(file + ": not valid YAML: " + e.getMessage()));
        }
        if (root == null) {
            throw fail(List.of(file + ": the file is empty; start from 'vnet lab --print'"));
        }
        Map<String, Node> top = fields(root, "topology", TOP);
        if (top == null) {
            throw fail(problems);
        }
        reportUnknown(root, "topology", TOP);
        List<BridgeSpec> bridges = list(top.get("bridges"), "bridges", this::bridge);
        List<NamespaceSpec> namespaces = list(top.get("namespaces"), "namespaces", this::namespace);
        List<UplinkSpec> uplinks = list(top.get("uplinks"), "uplinks", this::uplink);
        List<RouteSpec> routes = list(top.get("routes"), "routes", this::route);
        namespacesRead = namespaces; // for the forwards that name their target
        bridges.stream().filter(b -> !b.gateways6().isEmpty()).forEach(b -> ipv6Interfaces.add(b.name()));
        uplinks.stream().filter(u -> !u.routerAddresses6().isEmpty()).forEach(u -> ipv6Interfaces.add(u.name()));
        List<MasqueradeSpec> masquerades = list(top.get("masquerade"), "masquerade", this::masquerade);
        List<PortForwardSpec> forwards = list(top.get("forwards"), "forwards", this::forward);
        RouterLimits limits = top.containsKey("limits") ? limits(top.get("limits")) : RouterLimits.defaults();
        List<CaptureSpec> captures = list(top.get("captures"), "captures", this::capture);
        PolicySpec policy = top.containsKey("policy") ? policy(top.get("policy")) : PolicySpec.NONE;
        if (!problems.isEmpty()) {
            throw fail(problems);
        }
        Topology t = new Topology(file, bridges, namespaces, uplinks, routes, masquerades, forwards, limits, captures,
                policy == null ? PolicySpec.NONE : policy);
        for (String p : t.problems()) {
            problems.add(file + ":" + lineFor(p) + ": " + p);
        }
        if (!problems.isEmpty()) {
            throw fail(problems);
        }
        return t;
    }

    private TopologyException fail(List<String> reported) {
        // In file order, as a user fixes them; problems on one line keep the order they were found in.
        List<String> all = new ArrayList<>(reported);
        all.sort(java.util.Comparator.comparingInt(this::lineOfProblem));
        return new TopologyException(file + " is not valid (" + all.size() + " problem" + (all.size() == 1 ? "" : "s")
                + "):\n  " + String.join("\n  ", all), all);
    }

    private int lineOfProblem(String problem) {
        String rest = problem.startsWith(file + ":") ? problem.substring(file.length() + 1) : "";
        int end = 0;
        while (end < rest.length() && Character.isDigit(rest.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(rest.substring(0, end));
    }

    private int lineFor(String problem) {
        String best = null;
        for (String element : lineOf.keySet()) {
            if (problem.startsWith(element + ":") && (best == null || element.length() > best.length())) {
                best = element;
            }
        }
        return best == null ? 1 : lineOf.get(best);
    }










    private BridgeSpec bridge(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("name", "gateway", "mac-aging", "fdb-max", "host-port",
                "host-address", "vxlan", "router-advertisements", "rdnss", "isolated", "filter-switched"));
        if (f == null) {
            return null;
        }
        String name = scalar(f, node, where, "name", true);
        String label = name == null ? where : "bridge " + name;
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        List<Ipv4Cidr> gateways = new ArrayList<>();
        List<Ipv6Cidr> gateways6 = new ArrayList<>();
        addresses(f.get("gateway"), label, "gateway", gateways, gateways6);
        Integer aging = value(f, node, label, "mac-aging", false, integer("mac-aging (seconds)", 1, 1_000_000));
        Integer fdbMax = value(f, node, label, "fdb-max", false, integer("fdb-max", 1, MacTable.MAX_MAX_ENTRIES));
        String hostPort = scalar(f, node, label, "host-port", false);
        List<Ipv6Cidr> host6 = new ArrayList<>();
        Ipv4Cidr hostAddress = f.containsKey("host-address")
                ? oneIpv4AndIpv6(f, node, label, "host-address", host6) : null;
        VxlanSpec vxlan = f.containsKey("vxlan") ? vxlan(f.get("vxlan"), label + ": vxlan") : null;
        Boolean adverts = value(f, node, label, "router-advertisements", false, TopologyFile::bool);
        Boolean isolated = value(f, node, label, "isolated", false, TopologyFile::bool);
        Boolean filterSwitched = value(f, node, label, "filter-switched", false, TopologyFile::bool);
        List<Ipv6Address> rdnss = new ArrayList<>();
        for (Node item : items(f.get("rdnss"))) {
            try {
                rdnss.add(Ipv6Address.parse(item instanceof ScalarNode sc ? sc.getValue() : ""));
            } catch (IllegalArgumentException e) {
                problem(item, label, "rdnss: " + e.getMessage());
            }
        }
        if (name == null) {
            return null;
        }
        BridgeOptions options = new BridgeOptions(fdbMax == null ? MacTable.DEFAULT_MAX_ENTRIES : fdbMax,
                aging == null ? MacTable.DEFAULT_AGING_NANOS : TimeUnit.SECONDS.toNanos(aging));
        return new BridgeSpec(name, options, gateways, hostPort, hostAddress, vxlan, gateways6,
                adverts == null || adverts, rdnss, host6, isolated != null && isolated,
                filterSwitched != null && filterSwitched);
    }

    private VxlanSpec vxlan(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("vni", "local", "port", "remotes", "static", "learning",
                "underlay-mtu", "any-source"));
        if (f == null) {
            return null;
        }
        reportUnknown(node, where, knownKeys.get(node));
        Integer vni = value(f, node, where, "vni", true, integer("vni", 0, Vxlan.MAX_VNI));
        Ipv4Address local = value(f, node, where, "local", true, Ipv4Address::parse);
        Integer port = value(f, node, where, "port", false, integer("port", 1, 65535));
        List<Ipv4Address> remotes = list(f.get("remotes"), where + ": remotes",
                (n, w) -> value(Map.of("address", n), n, w, "address", true, Ipv4Address::parse));
        Map<MacAddress, Ipv4Address> macs = new LinkedHashMap<>();
        for (Map.Entry<MacAddress, Ipv4Address> e : list(f.get("static"), where + ": static", (n, w) -> {
            Map<String, Node> m = fields(n, w, List.of("mac", "dst"));
            if (m == null) {
                return null;
            }
            reportUnknown(n, w, knownKeys.get(n));
            MacAddress mac = value(m, n, w, "mac", true, MacAddress::parse);
            Ipv4Address dst = value(m, n, w, "dst", true, Ipv4Address::parse);
            return mac == null || dst == null ? null : Map.entry(mac, dst);
        })) {
            if (macs.put(e.getKey(), e.getValue()) != null) {
                problem(node, where, "static: " + e.getKey() + " is listed twice");
            }
        }
        Boolean learning = value(f, node, where, "learning", false, TopologyFile::bool);
        Integer mtu = value(f, node, where, "underlay-mtu", false, integer("underlay-mtu", 576, 65535));
        Boolean anySource = value(f, node, where, "any-source", false, TopologyFile::bool);
        if (vni == null || local == null) {
            return null;
        }
        return new VxlanSpec(vni, local, port == null ? Vxlan.PORT : port, remotes, macs,
                learning == null || learning, mtu == null ? 0 : mtu, anySource != null && anySource);
    }



    private NamespaceSpec namespace(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("name", "bridge", "address", "interface", "mtu",
                "default-route", "offloads"));
        if (f == null) {
            return null;
        }
        String name = scalar(f, node, where, "name", true);
        String label = name == null ? where : "namespace " + name;
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        String bridge = scalar(f, node, label, "bridge", true);
        List<Ipv6Cidr> v6 = new ArrayList<>();
        Ipv4Cidr address = oneIpv4AndIpv6(f, node, label, "address", v6);
        String ifname = scalar(f, node, label, "interface", false);
        Integer mtu = value(f, node, label, "mtu", false, integer("mtu", TapOptions.MIN_MTU, TapOptions.MAX_MTU));
        List<IpAddress> vias = gateways(f.get("default-route"), label);
        Boolean offloads = value(f, node, label, "offloads", false, TopologyFile::bool);
        if (name == null || bridge == null || address == null) {
            return null;
        }
        int via = vias.stream().filter(a -> a instanceof Ipv4Address).mapToInt(a -> ((Ipv4Address) a).value())
                .findFirst().orElse(0);
        Ipv6Address via6 = vias.stream().filter(a -> a instanceof Ipv6Address).map(a -> (Ipv6Address) a).findFirst()
                .orElse(null);
        return new NamespaceSpec(name, bridge, ifname == null ? SeedLab.INTERFACE : ifname, address,
                mtu == null ? TapOptions.DEFAULT_MTU : mtu, via, offloads == null || offloads, v6, via6);
    }

    /**
     * A namespace's default routes: one next hop or a list, at most one per family, each reported at its line when it
     * does not parse.
     */
    private List<IpAddress> gateways(Node n, String where) {
        List<IpAddress> out = new ArrayList<>();
        for (Node item : items(n)) {
            if (!(item instanceof ScalarNode s)) {
                problem(item, where, "default-route: expected an address such as 192.168.15.5 or fd00:15::5");
                continue;
            }
            try {
                IpAddress a = IpAddress.parse(s.getValue().trim());
                if (out.stream().anyMatch(b -> b.getClass() == a.getClass())) {
                    problem(item, where, "default-route: one per family (" + a + " is a second)");
                } else {
                    out.add(a);
                }
            } catch (IllegalArgumentException e) {
                problem(item, where, "default-route: " + e.getMessage());
            }
        }
        return out;
    }

    private UplinkSpec uplink(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("name", "namespace", "interface", "address",
                "router-address", "mtu", "offloads"));
        if (f == null) {
            return null;
        }
        String name = scalar(f, node, where, "name", true);
        String label = name == null ? where : "uplink " + name;
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        String namespace = scalar(f, node, label, "namespace", false);
        String ifname = scalar(f, node, label, "interface", false);
        List<Ipv6Cidr> host6 = new ArrayList<>();
        List<Ipv6Cidr> router6 = new ArrayList<>();
        Ipv4Cidr host = oneIpv4AndIpv6(f, node, label, "address", host6);
        Ipv4Cidr router = oneIpv4AndIpv6(f, node, label, "router-address", router6);
        Integer mtu = value(f, node, label, "mtu", false, integer("mtu", TapOptions.MIN_MTU, TapOptions.MAX_MTU));
        Boolean offloads = value(f, node, label, "offloads", false, TopologyFile::bool);
        if (name == null || host == null || router == null) {
            return null;
        }
        if (namespace == null && ifname == null) {
            problem(node, label, "interface: required when the uplink stays in the root namespace (no 'namespace')");
            return null;
        }
        return new UplinkSpec(name, namespace, ifname == null ? SeedLab.INTERFACE : ifname, host, router,
                mtu == null ? TapOptions.DEFAULT_MTU : mtu, offloads == null || offloads, host6, router6);
    }

    /**
     * The addresses of a field that holds one IPv4 address and any IPv6 ones (one value or a list): the IPv4 one
     * returned (null, and a problem, when there is not exactly one), the IPv6 ones added to {@code v6}.
     */
    private Ipv4Cidr oneIpv4AndIpv6(Map<String, Node> f, Node node, String label, String field, List<Ipv6Cidr> v6) {
        if (!f.containsKey(field)) {
            problem(node, label, field + ": missing");
            return null;
        }
        List<Ipv4Cidr> v4 = new ArrayList<>();
        int before = problems.size();
        addresses(f.get(field), label, field, v4, v6);
        if (problems.size() == before && v4.size() != 1) {
            problem(f.get(field), label, field + ": one IPv4 address, and any IPv6 ones (got " + v4.size()
                    + " IPv4)");
        }
        return v4.size() == 1 ? v4.get(0) : null;
    }

    private RouteSpec route(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("to", "via"));
        if (f == null) {
            return null;
        }
        IpPrefix to = value(f, node, where, "to", true, IpPrefix::parse);
        String label = to == null ? where : "route " + to;
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        IpAddress via = value(f, node, label, "via", true, IpAddress::parse);
        if (to == null || via == null) {
            return null;
        }
        if ((to instanceof Ipv6Cidr) != (via instanceof Ipv6Address)) {
            problem(f.get("via"), label, "via: " + via + " is not of the destination's family");
            return null;
        }
        return new RouteSpec(to, via);
    }

    private MasqueradeSpec masquerade(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("source", "out"));
        if (f == null) {
            return null;
        }
        IpPrefix source = value(f, node, where, "source", true, IpPrefix::parse);
        String label = source == null ? where : "masquerade " + source;
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        String out = scalar(f, node, label, "out", true);
        return source == null || out == null ? null : new MasqueradeSpec(source, out);
    }

    private PortForwardSpec forward(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("protocol", "on", "port", "to"));
        if (f == null) {
            return null;
        }
        String protocolText = scalar(f, node, where, "protocol", true);
        String on = scalar(f, node, where, "on", true);
        String portText = scalar(f, node, where, "port", true);
        String label = protocolText == null || on == null || portText == null ? where
                : "forward " + protocolText + " " + on + ":" + portText.replaceAll("\\s+", "");
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        ForwardProtocol protocol = protocolText == null ? null
                : value(f, node, label, "protocol", true, ForwardProtocol::parse);
        int[] ports = portText == null ? null : value(f, node, label, "port", true, TopologyFile::portRange);
        String to = scalar(f, node, label, "to", true);
        if (protocol == null || on == null || ports == null || to == null) {
            return null;
        }
        try {
            return ForwardTarget.parse(to, ports[0]).forward(protocol, on, ports[0], ports[1], namespacesRead,
                    ipv6Interfaces);
        } catch (IllegalArgumentException e) {
            problem(f.get("to"), label, "to: " + e.getMessage()
                    + " (want ADDRESS[:PORT], [IPV6]:PORT or a namespace's NAME[:PORT])");
            return null;
        }
    }

    private PolicySpec policy(Node node) {
        Map<String, Node> f = fields(node, "policy", List.of("default", "rules"));
        if (f == null) {
            return null;
        }
        lineOf.put("policy", line(node));
        reportUnknown(node, "policy", knownKeys.get(node));
        String def = scalar(f, node, "policy", "default", false);
        List<PolicySpec.Rule> rules = list(f.get("rules"), "policy: rules", this::policyRule);
        return new PolicySpec(def == null ? "accept" : def.trim(), rules);
    }

    private int policyRules;

    private PolicySpec.Rule policyRule(Node node, String where) {
        String label = "policy rule " + ++policyRules;
        Map<String, Node> f = fields(node, label, List.of("from", "to", "protocol", "port", "type", "state",
                "forwarded", "action", "reject-with", "log"));
        if (f == null) {
            return null;
        }
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        String from = scalar(f, node, label, "from", false);
        String to = scalar(f, node, label, "to", false);
        String protocol = scalar(f, node, label, "protocol", false);
        int[] ports = f.containsKey("port") ? value(f, node, label, "port", false, TopologyFile::portRange)
                : f.containsKey("type") ? value(f, node, label, "type", false, TopologyFile::typeRange) : null;
        if (f.containsKey("port") && f.containsKey("type")) {
            problem(node, label, "port and type: one or the other (a type is ICMP's, a port TCP's or UDP's)");
        }
        List<String> states = new ArrayList<>();
        for (Node item : items(f.get("state"))) {
            states.add(item instanceof ScalarNode s ? s.getValue().trim() : "?");
        }
        Boolean forwarded = value(f, node, label, "forwarded", false, TopologyFile::bool);
        String action = scalar(f, node, label, "action", true);
        String rejectWith = scalar(f, node, label, "reject-with", false);
        Boolean log = value(f, node, label, "log", false, TopologyFile::bool);
        if (action == null) {
            return null;
        }
        return new PolicySpec.Rule(from == null ? null : from.trim(), to == null ? null : to.trim(),
                protocol == null ? null : protocol.trim(), ports == null ? 0 : ports[0],
                ports == null ? 65535 : ports[1], states, forwarded, action.trim(),
                rejectWith == null ? null : rejectWith.trim(), log != null && log);
    }

    private static int[] typeRange(String text) {
        return range(text, "type", 0, 255);
    }

    private CaptureSpec capture(Node node, String where) {
        Map<String, Node> f = fields(node, where, List.of("ports", "file", "filter", "direction", "drops", "rotate",
                "keep"));
        if (f == null) {
            return null;
        }
        String file = scalar(f, node, where, "file", true);
        String label = file == null ? where : "capture " + file;
        lineOf.put(label, line(node));
        reportUnknown(node, label, knownKeys.get(node));
        List<String> ports = new ArrayList<>();
        Node p = f.get("ports");
        if (p instanceof SequenceNode seq) {
            for (Node item : seq.getValue()) {
                if (item instanceof ScalarNode sn) {
                    ports.add(sn.getValue().trim());
                } else {
                    problem(item, label, "ports: expected port names");
                }
            }
        } else if (p instanceof ScalarNode sn) {
            ports.add(sn.getValue().trim());
        } else if (p != null) {
            problem(p, label, "ports: expected a port name or a list of them");
        }
        String filter = scalar(f, node, label, "filter", false);
        String direction = scalar(f, node, label, "direction", false);
        Boolean drops = value(f, node, label, "drops", false, TopologyFile::bool);
        Long rotate = value(f, node, label, "rotate", false, TopologyFile::size);
        Integer keep = value(f, node, label, "keep", false, integer("keep", 1, 1000));
        if (file == null) {
            return null;
        }
        return new CaptureSpec(ports, Path.of(file), filter, direction == null ? "both" : direction.trim(),
                drops != null && drops, rotate == null ? 0 : rotate, keep == null ? CaptureSpec.DEFAULT_KEEP : keep);
    }


    /**
     * A size in bytes: a whole number with an optional unit, kB/MB/GB (powers of 1000) or KiB/MiB/GiB (1024); 0 is
     * "never".
     */
    static long size(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,12})\\s*([kKMG]i?B)?").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 10MB, 512KiB, 1000000)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        long scale = switch (unit) {
            case "" -> 1;
            case "kB", "KB" -> 1000;
            case "MB" -> 1000_000;
            case "GB" -> 1000_000_000;
            case "KiB", "kiB" -> 1024;
            case "MiB" -> 1024 * 1024;
            case "GiB" -> 1024L * 1024 * 1024;
            default -> throw new IllegalArgumentException("'" + text + "': unknown unit " + unit);
        };
        long bytes = n * scale;
        if (bytes != 0 && bytes < 4096) {
            throw new IllegalArgumentException(text + " is smaller than the 4 kB a capture file needs");
        }
        return bytes;
    }

    private RouterLimits limits(Node node) {
        Map<String, Node> f = fields(node, "limits", LIMITS);
        if (f == null) {
            return null;
        }
        reportUnknown(node, "limits", LIMITS);
        RouterLimits d = RouterLimits.defaults();
        Integer connections = value(f, node, "limits", "connections", false,
                integer("connections", 1, RouterLimits.MAX_CONNECTIONS));
        Integer neighbors = value(f, node, "limits", "neighbors", false,
                integer("neighbors", 1, RouterLimits.MAX_NEIGHBORS));
        Integer routes = value(f, node, "limits", "routes", false, integer("routes", 1, RouterLimits.MAX_ROUTES));
        ConntrackTimeouts timeouts = d.timeouts();
        Node t = f.get("timeouts");
        if (t != null) {
            Map<String, Node> given = fields(t, "limits: timeouts", ConntrackTimeouts.names());
            if (given != null) {
                reportUnknown(t, "limits: timeouts", ConntrackTimeouts.names());
                for (String name : given.keySet()) {
                    Integer seconds = value(given, t, "limits: timeouts", name, false,
                            integer(name + " (seconds)", 1, (int) ConntrackTimeouts.MAX_SECONDS));
                    if (seconds != null) {
                        timeouts = timeouts.with(name, seconds);
                    }
                }
            }
        }
        return new RouterLimits(connections == null ? d.maxConnections() : connections,
                neighbors == null ? d.maxNeighbors() : neighbors, routes == null ? d.maxRoutes() : routes, timeouts);
    }

    private static int[] portRange(String text) {
        return range(text, "port", 1, 65535);
    }

    /** {@code N} or {@code N-M}, each within {@code min..max}. */
    private static int[] range(String text, String what, int min, int max) {
        int dash = text.indexOf('-');
        Function<String, Integer> port = integer(what, min, max);
        int low = port.apply(dash < 0 ? text : text.substring(0, dash).trim());
        int high = dash < 0 ? low : port.apply(text.substring(dash + 1).trim());
        if (high < low) {
            throw new IllegalArgumentException("range " + text + " ends before it starts");
        }
        return new int[] {low, high};
    }
}
