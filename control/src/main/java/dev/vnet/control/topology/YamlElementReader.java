package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The mechanics of reading a YAML node tree into a file's elements: fields of a mapping, single values, lists, and
 * every problem recorded as {@code FILE:LINE: ELEMENT: FIELD: what is wrong} rather than thrown, so a reader reports
 * all of them at once. {@link TopologyFile} reads the topology's elements with these.
 */
abstract class YamlElementReader {
    /** The file's name, as problems name it. */
    protected final String file;
    /** The problems found so far. */
    protected final List<String> problems = new ArrayList<>();
    /** Each element's label to the line it starts on, so later problems about it are placed there. */
    protected final Map<String, Integer> lineOf = new LinkedHashMap<>();
    /** The known keys of each mapping read, reported against once the element has a label. */
    protected final Map<Node, List<String>> knownKeys = new java.util.IdentityHashMap<>();

    protected YamlElementReader(String file) {
        this.file = file;
    }

    protected static int line(Node n) {
        return n.getStartMark().getLine() + 1;
    }

    protected void problem(Node at, String where, String message) {
        problems.add(file + ":" + line(at) + ": " + where + ": " + message);
    }

    /**
     * The known fields of a mapping; null when the node is not a mapping. Unknown keys are reported by
     * {@link #reportUnknown} once the element has a name to be reported under.
     */
    protected Map<String, Node> fields(Node node, String where, List<String> known) {
        if (!(node instanceof MappingNode m)) {
            problem(node, where, "expected a mapping of " + String.join(", ", known));
            return null;
        }
        knownKeys.put(node, known);
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
            if (key != null && known.contains(key)) {
                out.put(key, t.getValueNode());
            }
        }
        return out;
    }

    protected void reportUnknown(Node node, String label, List<String> known) {
        for (NodeTuple t : ((MappingNode) node).getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
            if (key == null || !known.contains(key)) {
                problem(t.getKeyNode(), label, "unknown key '" + key + "' (known: " + String.join(", ", known) + ")");
            }
        }
    }

    protected <T> List<T> list(Node node, String where, ElementReader<T> reader) {
        List<T> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (!(node instanceof SequenceNode seq)) {
            problem(node, where, "expected a list");
            return out;
        }
        int i = 0;
        for (Node item : seq.getValue()) {
            T value = reader.read(item, where + "[" + i++ + "]");
            if (value != null) {
                out.add(value);
            }
        }
        return out;
    }

    @FunctionalInterface
    protected interface ElementReader<T> {
        T read(Node node, String where);
    }

    protected String scalar(Map<String, Node> f, Node parent, String where, String key, boolean required) {
        Node n = f.get(key);
        if (n == null) {
            if (required) {
                problem(parent, where, key + ": missing");
            }
            return null;
        }
        if (!(n instanceof ScalarNode s)) {
            problem(n, where, key + ": expected a single value");
            return null;
        }
        return s.getValue();
    }

    protected <T> T value(Map<String, Node> f, Node parent, String where, String key, boolean required,
                        Function<String, T> parse) {
        String text = scalar(f, parent, where, key, required);
        if (text == null) {
            return null;
        }
        try {
            return parse.apply(text.trim());
        } catch (IllegalArgumentException e) {
            problem(f.get(key), where, key + ": " + e.getMessage());
            return null;
        }
    }

    protected static Function<String, Integer> integer(String what, int min, int max) {
        return text -> {
            int v;
            try {
                v = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a whole number");
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException(what + " " + v + " is outside " + min + ".." + max);
            }
            return v;
        };
    }

    /** The entries of a value that may be one or a list: none for an absent one. */
    protected static List<Node> items(Node n) {
        return n instanceof SequenceNode seq ? seq.getValue() : n == null ? List.of() : List.of(n);
    }

    /**
     * The addresses of {@code field} (one, or a list), IPv4 into {@code v4} and IPv6 into {@code v6}, each that does
     * not parse reported at its line; nothing when {@code n} is null.
     */
    protected void addresses(Node n, String where, String field, List<Ipv4Cidr> v4, List<Ipv6Cidr> v6) {
        for (Node item : items(n)) {
            if (!(item instanceof ScalarNode s)) {
                problem(item, where, field + ": expected an address such as 192.168.15.1/24 or fd00:15::1/64");
                continue;
            }
            String text = s.getValue().trim();
            try {
                if (text.contains(":")) {
                    v6.add(Ipv6Cidr.parse(text));
                } else {
                    v4.add(Ipv4Cidr.parse(text));
                }
            } catch (IllegalArgumentException e) {
                problem(item, where, field + ": " + e.getMessage());
            }
        }
    }

    protected static boolean bool(String text) {
        return switch (text) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("'" + text + "' is not true or false");
        };
    }
}
