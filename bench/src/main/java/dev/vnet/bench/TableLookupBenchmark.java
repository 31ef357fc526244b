package dev.vnet.bench;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.l2.MacTable;
import dev.vnet.dataplane.l3.NeighborTable;
import dev.vnet.dataplane.util.JvmOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Lookups in the connection table, the neighbor table and a bridge's MAC table as they grow: {@code size} entries,
 * lookups of present keys drawn at random over all of them (so most miss the CPU cache at 1M, as a busy gateway's
 * would). Must stay flat. (A MAC table's default bound is 8192; up to 2^24 can be configured.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", JvmOptions.GC})
public class TableLookupBenchmark {
    private static final long NOW = 1_000_000_000L;
    private static final int KEYS = 1 << 16;

    /** Entries in each table. */
    @Param({"1000", "100000", "1000000"})
    public int size;

    private ConnTable connections;
    private NeighborTable neighbors;
    private MacTable macs;
    private long[] his;
    private long[] los;
    private int[] ips;
    private long[] macKeys;
    private int next;

    /** Fills the tables and draws the keys to look up. */
    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(3);
        connections = new ConnTable(size);
        neighbors = new NeighborTable(Math.min(size, 1 << 22));
        long[] allHi = new long[size];
        long[] allLo = new long[size];
        int[] allIps = new int[size];
        long[] allMacs = new long[size];
        macs = new MacTable(size, TimeUnit.SECONDS.toNanos(300));
        CountingPort[] ports = {new CountingPort(1, "p1"), new CountingPort(2, "p2"), new CountingPort(3, "p3")};
        for (int i = 0; i < size; i++) {
            int src = 0x0A000000 | i;
            int dst = 0xC6336400 | rng.nextInt(256);
            allHi[i] = FlowKey.hi(src, dst);
            allLo[i] = FlowKey.lo(17, 1024 + rng.nextInt(60000), 53);
            connections.create(allHi[i], allLo[i], FlowKey.invertHi(allHi[i]), FlowKey.invertLo(allLo[i]), NOW,
                    TimeUnit.SECONDS.toNanos(3600), 0);
            allIps[i] = 0x0A000000 | i;
            neighbors.confirm(allIps[i], 0x020000000000L | i, 0, NOW, true, (f, o) -> { });
            // Spread over the low 32 bits (an odd multiplier is a bijection there: all distinct).
            allMacs[i] = 0x020000000000L | (i * 0x9E37_79B1L & 0xFFFF_FFFFL);
            macs.learn(allMacs[i], ports[i % ports.length], NOW);
        }
        his = new long[KEYS];
        los = new long[KEYS];
        ips = new int[KEYS];
        macKeys = new long[KEYS];
        for (int k = 0; k < KEYS; k++) {
            int i = rng.nextInt(size);
            his[k] = allHi[i];
            los[k] = allLo[i];
            ips[k] = allIps[i];
            macKeys[k] = allMacs[i];
        }
    }

    /** One connection lookup (the per-packet conntrack step). */
    @Benchmark
    public int connection() {
        int k = next;
        next = (k + 1) & (KEYS - 1);
        return connections.lookup(his[k], los[k], NOW);
    }

    /** One neighbor lookup (the per-packet next-hop MAC). */
    @Benchmark
    public long neighbor() {
        int k = next;
        next = (k + 1) & (KEYS - 1);
        return neighbors.macFor(ips[k], NOW);
    }

    /** One MAC lookup (the per-frame bridge forwarding decision). */
    @Benchmark
    public Object mac() {
        int k = next;
        next = (k + 1) & (KEYS - 1);
        return macs.lookup(macKeys[k], NOW);
    }

    /** Entries actually held (the functional test checks the tables took them all). */
    public int connectionCount() {
        return connections.size();
    }

    /** Entries actually held. */
    public int neighborCount() {
        return neighbors.size();
    }

    /** Entries actually held. */
    public int macCount() {
        return macs.size();
    }
}
