package dev.vnet.control.topology;

import java.util.List;
import java.util.Set;

/**
 * The router's filter as the topology file writes it ({@code policy:}), nft's forward chain for routed connections:
 * rules tried in order on a new connection's first packet, and the action when none matches.
 *
 * @param defaultAction accept, drop or reject
 * @param rules         the rules, in order
 */
public record PolicySpec(String defaultAction, List<Rule> rules) {
    /** No rules, everything accepted: no filter. */
    public static final PolicySpec NONE = new PolicySpec("accept", List.of());

    /** Copies the list. */
    public PolicySpec {
        rules = List.copyOf(rules);
    }

    /**
     * One rule: every field but the action may be left out ("any").
     *
     * @param from      where the connection comes from: a namespace, a bridge with a gateway, an uplink (or the
     *                  namespace behind one), or an address prefix
     * @param to        where it goes, the same kinds
     * @param protocol  tcp, udp, icmp, icmpv6, or null for any
     * @param portLow   destination port (ICMP: type) range, 0-65535 for any
     * @param portHigh  its end
     * @param states    new and/or invalid; empty for any
     * @param forwarded true: only connections a port forward made; false: only others; null: either
     * @param action    accept, drop or reject
     * @param rejectWith how a reject answers: tcp-reset, port-unreachable or admin-prohibited; null for the default
     *                  (a TCP reset to TCP, ICMP port unreachable to the rest)
     * @param log       what it decides is logged, at most a line a second
     */
    public record Rule(String from, String to, String protocol, int portLow, int portHigh, List<String> states,
                       Boolean forwarded, String action, String rejectWith, boolean log) {
        /** Copies the list. */
        public Rule {
            states = List.copyOf(states);
        }

        /**
         * A rule from its fields as text (the API's and {@code vnet policy add}'s): {@code port} and {@code type} as
         * {@code N} or {@code N-M}, either or neither; null for a field left out. Formats are checked here, meaning
         * (names, actions) with the topology ({@link PolicyChecks}).
         */
        public static Rule of(String from, String to, String protocol, String port, String type, List<String> states,
                              Boolean forwarded, String action, String rejectWith, boolean log) {
            if (port != null && type != null) {
                throw new IllegalArgumentException("port and type: one or the other");
            }
            if (action == null) {
                throw new IllegalArgumentException("action: missing (accept, drop or reject)");
            }
            int[] range = port != null ? range(port, "port", 1, 65535) : type != null ? range(type, "type", 0, 255)
                    : new int[] {0, 65535};
            return new Rule(from, to, protocol, range[0], range[1], states, forwarded, action, rejectWith, log);
        }

        private static int[] range(String text, String what, int min, int max) {
            String[] parts = text.trim().split("-", 2);
            int[] r = new int[2];
            for (int i = 0; i < 2; i++) {
                String p = parts[Math.min(i, parts.length - 1)].trim();
                try {
                    r[i] = Integer.parseInt(p);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(what + ": '" + text + "' is not N or N-M");
                }
                if (r[i] < min || r[i] > max) {
                    throw new IllegalArgumentException(what + " " + r[i] + " is outside " + min + ".." + max);
                }
            }
            if (r[1] < r[0]) {
                throw new IllegalArgumentException(what + ": range " + text + " ends before it starts");
            }
            return r;
        }

        /** How it reads, nft-like: {@code from red to lan tcp port 22 reject}. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            if (from != null) {
                sb.append("from ").append(from).append(' ');
            }
            if (to != null) {
                sb.append("to ").append(to).append(' ');
            }
            if (protocol != null) {
                sb.append(protocol).append(' ');
            }
            if (portLow != 0 || portHigh != 65535) {
                sb.append(protocol != null && protocol.startsWith("icmp") ? "type " : "port ").append(portLow)
                        .append(portHigh != portLow ? "-" + portHigh : "").append(' ');
            }
            if (!states.isEmpty()) {
                sb.append("state ").append(String.join(",", states)).append(' ');
            }
            if (forwarded != null) {
                sb.append(forwarded ? "forwarded " : "not forwarded ");
            }
            return sb.append(action).append(rejectWith != null ? " with " + rejectWith : "").append(log ? " log" : "")
                    .toString();
        }

        Rule withPrefix(String prefix, Set<String> namespaces) {
            return new Rule(namespaces.contains(from) ? prefix + from : from,
                    namespaces.contains(to) ? prefix + to : to, protocol, portLow, portHigh, states, forwarded,
                    action, rejectWith, log);
        }
    }

    /** The same policy with {@code prefix} in front of the namespace names in {@code namespaces} it names. */
    PolicySpec withPrefix(String prefix, Set<String> namespaces) {
        return new PolicySpec(defaultAction, rules.stream().map(r -> r.withPrefix(prefix, namespaces)).toList());
    }
}
