package dev.vnet.bench;

import dev.vnet.dataplane.filter.Classifier;
import dev.vnet.dataplane.filter.FilterRule;
import dev.vnet.dataplane.filter.Policy;
import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A new connection's decision by the filter ({@link Policy#decide}, the tuple space {@link Classifier}) with
 * {@code rules} rules, as a router with many tenants has them: rules from and to /24 prefixes and single addresses,
 * for TCP and UDP ports and port ranges, from given interfaces or any, in a handful of shapes (masks). 256 packets
 * cycle, half of them matching some rule late in the list, half none (the default decides: every group probed).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class FilterBenchmark {
    /** Packets per invocation. */
    public static final int BATCH = 256;

    /** How many rules. */
    @Param({"0", "1", "100", "10000"})
    public int rules;

    private final Policy policy = new Policy();
    private final long[] src = new long[BATCH];
    private final long[] dst = new long[BATCH];
    private final int[] port = new int[BATCH];
    private final int[] proto = new int[BATCH];

    /**
     * Sets {@code count} rules of a router with many tenants into {@code policy}: five shapes cycling, from and to
     * 10.x.y.0/24 and 172.16.x.y (none of the seed lab's addresses), the default accepting.
     */
    static void tenantRules(Policy policy, int count) {
        List<FilterRule> entries = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int shape = i % 5;
            Ipv4Cidr net = new Ipv4Cidr(0x0A00_0000 | (i & 0xFFFF) << 8, 24);
            Ipv4Cidr host = new Ipv4Cidr(0xAC10_0000 | (i & 0xFFFF), 32);
            FilterRule rule = switch (shape) {
                case 0 -> new FilterRule(i, FilterRule.ANY, FilterRule.ANY, null, net, 6, 22, 22, 0, FilterRule.ANY,
                        FilterRule.Action.DROP);
                case 1 -> new FilterRule(i, 2, FilterRule.ANY, null, net, 6, 8000, 8010, 0, FilterRule.ANY,
                        FilterRule.Action.REJECT);
                case 2 -> new FilterRule(i, FilterRule.ANY, 2, host, null, FilterRule.ANY, 0, 65535, 0,
                        FilterRule.ANY, FilterRule.Action.REJECT);
                case 3 -> new FilterRule(i, 0, FilterRule.ANY, host, net, 17, 53, 53, 0, FilterRule.ANY,
                        FilterRule.Action.ACCEPT);
                default -> new FilterRule(i, FilterRule.ANY, FilterRule.ANY, net, null, 6, 1024, 65535,
                        FilterRule.NEW, 1, FilterRule.Action.ACCEPT);
            };
            entries.add(rule);
            names.add("rule " + i);
        }
        policy.set(entries, names, FilterRule.Action.ACCEPT);
    }

    /** Builds the rules and the packets. */
    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom r = new SplittableRandom(25);
        tenantRules(policy, rules);
        for (int p = 0; p < BATCH; p++) {
            // a rule of the first shape late in the list (its /24 as destination, TCP port 22)
            int target = rules == 0 ? 0 : ((rules - 1) / 5 - r.nextInt(Math.max(1, rules / 50))) * 5;
            boolean hit = p % 2 == 0;
            src[p] = 0xC0A8_0000L | (hit ? target & 0xFFFF : 0xFF00 | p);
            dst[p] = 0x0A00_0000L | (long) (hit ? target & 0xFFFF : 0xF000 | p) << 8 | 7;
            proto[p] = hit ? 6 : 17;
            port[p] = hit ? 22 : 9999;
        }
    }

    /** Packets of the batch a rule decided (the rest the default), for the functional test. */
    public int matched() {
        int n = 0;
        for (int p = 0; p < BATCH; p++) {
            n += policy.decide(false, 0, 2, 0, src[p], 0, dst[p], proto[p], port[p], FilterRule.NEW, false, 64)
                    != Policy.DEFAULT ? 1 : 0;
        }
        return n;
    }

    /** {@link #BATCH} decisions; reported per decision. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int decide() {
        int sum = 0;
        for (int p = 0; p < BATCH; p++) {
            sum += policy.decide(false, 0, 2, 0, src[p], 0, dst[p], proto[p], port[p], FilterRule.NEW, false, 64);
        }
        return sum;
    }
}
