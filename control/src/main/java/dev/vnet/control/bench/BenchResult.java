package dev.vnet.control.bench;

import java.util.ArrayList;
import java.util.List;

/** The readings of one case on both networks, and what they come to: medians, spread, the vnet/kernel ratio. */
final class BenchResult {
    private final BenchCase benchCase;
    private final List<Double> kernel = new ArrayList<>();
    private final List<Double> vnet = new ArrayList<>();

    BenchResult(BenchCase benchCase) {
        this.benchCase = benchCase;
    }

    BenchCase benchCase() {
        return benchCase;
    }

    /** Records one reading of {@code network} ("kernel" or "vnet"). */
    void add(String network, double value) {
        (network.equals("kernel") ? kernel : vnet).add(value);
    }

    List<Double> kernel() {
        return kernel;
    }

    List<Double> vnet() {
        return vnet;
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
     * vnet's median relative to the kernel's, so that above 1 means vnet did better: vnet/kernel for throughput,
     * kernel/vnet for latency.
     */
    double ratio() {
        double k = median(kernel);
        double v = median(vnet);
        return benchCase.higherIsBetter() ? v / k : k / v;
    }
}
