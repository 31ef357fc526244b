package dev.vnet.dataplane.filter;

import dev.vnet.dataplane.util.RateLimitedLog;

import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The router's filter for routed traffic (nft's forward chain): rules, each with a name and packet and byte counters,
 * and a default action. Only the first packet of a new connection is decided here; every later packet of a
 * connection is decided by the connection (connection tracking keeps it, as {@code ct state established accept}
 * does), so established traffic pays nothing for the rules, and a rule changed applies to new connections. The rules
 * and the classifier built from them are swapped in as one snapshot at the barrier; lookups take no lock and
 * allocate nothing.
 */
public final class Policy {
    /** {@link #decide}: no rule matched; the default action applies. */
    public static final int DEFAULT = -1;

    /** A logged rule logs at most one line this often (the lines it left out are counted in the next). */
    public static final long LOG_INTERVAL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("dev.vnet.policy");

    private volatile Snapshot current = new Snapshot(List.of(), Classifier.of(List.of()), List.of(),
            FilterRule.Action.ACCEPT, new boolean[0]);

    /** Rules, their classifier, their names and counters, and the default: changed together. */
    private record Snapshot(List<FilterRule> entries, Classifier classifier, List<String> names,
                            FilterRule.Action defaultAction, FilterRule.Action[] actions, AtomicLongArray packets,
                            AtomicLongArray bytes, RateLimitedLog[] logs, String[] labels, String defaultLabel) {
        Snapshot(List<FilterRule> entries, Classifier classifier, List<String> names, FilterRule.Action def,
                 boolean[] logged) {
            this(List.copyOf(entries), classifier, List.copyOf(names), def, actions(entries, names.size(), def),
                    new AtomicLongArray(names.size()), new AtomicLongArray(names.size()), logs(logged),
                    labels(names), "the default policy (" + def.name().toLowerCase() + ")");
        }

        private static String[] labels(List<String> names) {
            String[] labels = new String[names.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = "rule " + (i + 1) + " (" + names.get(i) + ")";
            }
            return labels;
        }

        private static RateLimitedLog[] logs(boolean[] logged) {
            RateLimitedLog[] logs = new RateLimitedLog[logged.length];
            for (int i = 0; i < logged.length; i++) {
                logs[i] = logged[i] ? new RateLimitedLog(LOG, LOG_INTERVAL_NANOS) : null;
            }
            return logs;
        }

        private static FilterRule.Action[] actions(List<FilterRule> entries, int rules, FilterRule.Action def) {
            FilterRule.Action[] a = new FilterRule.Action[rules];
            java.util.Arrays.fill(a, def);
            for (FilterRule e : entries) {
                a[e.rule()] = e.action();
            }
            return a;
        }
    }

    /**
     * Replaces the rules: {@code entries} in the order they are tried, each naming the index of its rule in
     * {@code names} (a rule of several entries, one per family, counts as one), and the default action. Counters start
     * from zero.
     */
    public void set(List<FilterRule> entries, List<String> names, FilterRule.Action defaultAction) {
        set(entries, names, defaultAction, new boolean[names.size()]);
    }

    /** As {@link #set(List, List, FilterRule.Action)}, rule {@code i} logging what it decides when {@code logged[i]}. */
    public void set(List<FilterRule> entries, List<String> names, FilterRule.Action defaultAction, boolean[] logged) {
        if (logged.length != names.size()) {
            throw new IllegalArgumentException(logged.length + " log flags for " + names.size() + " rules");
        }
        for (FilterRule e : entries) {
            if (e.rule() < 0 || e.rule() >= names.size()) {
                throw new IllegalArgumentException("entry for rule " + e.rule() + " of " + names.size());
            }
        }
        current = new Snapshot(entries, Classifier.of(entries), names, defaultAction, logged.clone());
    }

    /** True when there is nothing to decide: no rules, and everything accepted. */
    public boolean acceptsAll() {
        Snapshot s = current;
        return s.entries.isEmpty() && s.defaultAction == FilterRule.Action.ACCEPT;
    }

    /**
     * The rule deciding a new connection's first packet ({@link Classifier#lookup}'s arguments), counted with
     * {@code length} bytes; {@link #DEFAULT} when none matched. Its action: {@link #action}.
     */
    public int decide(boolean v6, int in, int out, long srcHi, long srcLo, long dstHi, long dstLo, int protocol,
                      int port, int state, boolean forwarded, int length) {
        Snapshot s = current;
        int entry = s.classifier.lookup(v6, in, out, srcHi, srcLo, dstHi, dstLo, protocol, port, state, forwarded);
        if (entry == Classifier.NONE) {
            return DEFAULT;
        }
        int rule = s.entries.get(entry).rule();
        s.packets.incrementAndGet(rule);
        s.bytes.addAndGet(rule, length);
        return rule;
    }

    /** What rule {@code rule} (or the {@link #DEFAULT}) does. */
    public FilterRule.Action action(int rule) {
        Snapshot s = current;
        return rule == DEFAULT || rule >= s.actions.length ? s.defaultAction : s.actions[rule];
    }

    /**
     * The log line for a packet rule {@code rule} just decided, when the rule logs and its limit lets one through
     * now: the caller builds and writes it ({@link #log}); false otherwise.
     */
    public boolean mayLog(int rule, long now) {
        Snapshot s = current;
        return rule >= 0 && rule < s.logs.length && s.logs[rule] != null && s.logs[rule].take(now);
    }

    /** Lines rule {@code rule} left out before the one {@link #mayLog} last let through. */
    public long leftOut(int rule) {
        Snapshot s = current;
        return rule >= 0 && rule < s.logs.length && s.logs[rule] != null ? s.logs[rule].suppressed() : 0;
    }

    /** Writes the log line {@code line} about rule {@code rule}'s decision (after {@link #mayLog}). */
    public void log(int rule, String line) {
        long left = leftOut(rule);
        LOG.info("{}: {}{}", name(rule), line, left > 0 ? " (" + left + " more since the last line)" : "");
    }

    /**
     * How a decision trace, a drop capture and the log name rule {@code rule}: its number from 1 and its text, or the
     * default policy. Made when the rules were set, so naming allocates nothing.
     */
    public String name(int rule) {
        Snapshot s = current;
        return rule == DEFAULT || rule >= s.labels.length ? s.defaultLabel : s.labels[rule];
    }

    /** The rules' names, in order. */
    public List<String> names() {
        return current.names;
    }

    /** The default action. */
    public FilterRule.Action defaultAction() {
        return current.defaultAction;
    }

    /** Packets rule {@code rule} decided. */
    public long packets(int rule) {
        return current.packets.get(rule);
    }

    /** Bytes of the packets rule {@code rule} decided. */
    public long bytes(int rule) {
        return current.bytes.get(rule);
    }
}
