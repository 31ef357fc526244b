package dev.vnet.bench;

import dev.vnet.dataplane.l3.RouteTable;
import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.wire.Ipv4Addr;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Longest-prefix match in {@link RouteTable} as the table grows: a handful of routes (a lab) up to 100k with an
 * Internet-like spread of prefix lengths (most /24, the rest /8 to /32, plus a default route). Destinations are drawn
 * inside the routes' prefixes, so most lookups match a specific route rather than falling to the default.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = JvmOptions.GC)
public class RouteLookupBenchmark {
    private static final int QUERIES = 4096;

    /** Routes in the table. */
    @Param({"8", "100000"})
    public int routes;

    private RouteTable table;
    private int[] destinations;

    /** Fills the table and draws the destinations. */
    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(5);
        table = new RouteTable();
        table.put(0, 0, 0, Ipv4Addr.parse("192.0.2.1"));
        int[] networks = new int[routes];
        int[] lengths = new int[routes];
        for (int i = 0; i < routes; i++) {
            int length = pickLength(rng);
            int net = rng.nextInt() & Ipv4Addr.mask(length);
            table.put(net, length, 1 + (i & 7), 0);
            networks[i] = net;
            lengths[i] = length;
        }
        destinations = new int[QUERIES];
        for (int q = 0; q < QUERIES; q++) {
            int r = rng.nextInt(routes);
            destinations[q] = networks[r] | (rng.nextInt() & ~Ipv4Addr.mask(lengths[r]));
        }
    }

    private static int pickLength(SplittableRandom rng) {
        int p = rng.nextInt(100);
        if (p < 60) {
            return 24;
        }
        if (p < 90) {
            return 16 + rng.nextInt(8); // /16 to /23
        }
        return p < 95 ? 8 + rng.nextInt(8) : 25 + rng.nextInt(8); // /8 to /15, /25 to /32
    }

    /** Lookups of {@link #QUERIES} destinations; reported per lookup. */
    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public void lookup(Blackhole bh) {
        RouteTable t = table;
        for (int d : destinations) {
            bh.consume(t.lookup(d));
        }
    }
}
