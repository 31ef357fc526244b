package dev.vnet.dataplane.api;

import dev.vnet.dataplane.filter.FilterRule;
import dev.vnet.dataplane.wire.IpPrefix;

/**
 * One entry of the router's filter as the control plane gives it: interfaces by name. A rule of the topology may
 * make several (one per family of a namespace's addresses), all with the same {@code rule} index and name.
 *
 * @param rule     the index of the topology rule (0 the first): its counters
 * @param name     how views and traces name the rule, e.g. {@code from red to lan reject}
 * @param in       the router interface the packet arrives on (a bridge's or an uplink's name), or null for any
 * @param out      the router interface it leaves by, or null for any
 * @param src      the source prefix, or null for any
 * @param dst      the destination prefix, or null for any
 * @param protocol 6, 17, 1, 58 ..., or {@link FilterRule#ANY}
 * @param portLow  destination port range (ICMP: type range), 0-65535 for any
 * @param portHigh its end
 * @param states   {@link FilterRule#NEW}, {@link FilterRule#INVALID}, both or 0 for any
 * @param forwarded 1, 0 or {@link FilterRule#ANY}
 * @param action   accept, drop or reject
 * @param log      the rule logs what it decides, at most a line a second ({@code dev.vnet.policy})
 */
public record PolicyRule(int rule, String name, String in, String out, IpPrefix src, IpPrefix dst, int protocol,
                         int portLow, int portHigh, int states, int forwarded, FilterRule.Action action,
                         boolean log) {
}
