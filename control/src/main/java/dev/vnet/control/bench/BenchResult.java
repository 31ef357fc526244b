package dev.vnet.control.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The readings of one case on every system measured (the kernel, vnet, the peers), and what they come to: medians,
 * spread, vnet's ratio to each other system. A system that cannot express the case has no readings ("n/a").
 */
final class BenchResult {
    private final BenchCase benchCase;
    private final Map<String, List<Double>> readings = new LinkedHashMap<>();

    BenchResult(BenchCase benchCase) {
        this.benchCase = benchCase;
    }

    BenchCase benchCase() {
        return benchCase;
    }

    /** Records one reading of {@code system} ("kernel", "vnet", "ovs", ...). */
    void add(String system, double value) {
        readings.computeIfAbsent(system, s -> new ArrayList<>()).add(value);
    }

    /** The readings of {@code system}; empty when it was not measured on this case. */
    List<Double> of(String system) {
        return readings.getOrDefault(system, List.of());
    }

    List<Double> kernel() {
        return of("kernel");
    }

    List<Double> vnet() {
        return of("vnet");
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = values.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /**
     * vnet's median relative to {@code system}'s, so that above 1 means vnet did better: vnet/system for throughput,
     * system/vnet for latency; NaN when either has no readings.
     */
    double ratioTo(String system) {
        double other = median(of(system));
        double v = median(vnet());
        return benchCase.higherIsBetter() ? v / other : other / v;
    }

    /** vnet relative to the kernel ({@link #ratioTo}). */
    double ratio() {
        return ratioTo("kernel");
    }

    /**
     * {@code system}'s median relative to the kernel's, above 1 when it did better than the kernel (the chart's bar
     * length); NaN when either has no readings.
     */
    double relativeToKernel(String system) {
        double k = median(kernel());
        double s = median(of(system));
        return benchCase.higherIsBetter() ? s / k : k / s;
    }
}
