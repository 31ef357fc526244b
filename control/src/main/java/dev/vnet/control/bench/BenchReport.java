package dev.vnet.control.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A finished benchmark as a person reads it (a table), as data (JSON) and as a picture (an SVG bar chart). */
final class BenchReport {
    private final Map<String, Object> machine;
    private final Map<String, Object> settings;
    private final List<BenchResult> results;

    BenchReport(Map<String, Object> machine, Map<String, Object> settings, List<BenchResult> results) {
        this.machine = machine;
        this.settings = settings;
        this.results = results;
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private static String spread(List<Double> values) {
        if (values.size() < 2) {
            return "";
        }
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return " (" + f(min) + "-" + f(max) + ")";
    }

    /** The table: per case the medians (min-max over runs) and the ratio. */
    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-46s %-24s %-24s %s%n", "case", "kernel", "vnet", "vnet/kernel"));
        for (BenchResult r : results) {
            String unit = " " + r.benchCase().unit();
            sb.append(String.format(Locale.ROOT, "%-46s %-24s %-24s %s%n", r.benchCase().title(),
                    f(BenchResult.median(r.kernel())) + unit + spread(r.kernel()),
                    f(BenchResult.median(r.vnet())) + unit + spread(r.vnet()),
                    f(r.ratio()) + (r.benchCase().higherIsBetter() ? "" : " (kernel/vnet: lower is better)")));
        }
        return sb.toString();
    }

    /** Everything, as JSON. */
    void writeJson(Path file) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("machine", machine);
        doc.put("settings", settings);
        List<Object> cases = new ArrayList<>();
        for (BenchResult r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", r.benchCase().id());
            c.put("title", r.benchCase().title());
            c.put("unit", r.benchCase().unit());
            c.put("higher-is-better", r.benchCase().higherIsBetter());
            c.put("kernel", r.kernel());
            c.put("vnet", r.vnet());
            c.put("kernel-median", BenchResult.median(r.kernel()));
            c.put("vnet-median", BenchResult.median(r.vnet()));
            c.put("ratio", r.ratio());
            cases.add(c);
        }
        doc.put("cases", cases);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
    }

    /**
     * A bar chart: per case, vnet relative to the kernel (the kernel is the line at 1.0; longer is better for vnet),
     * with the medians written beside each bar.
     */
    void writeSvg(Path file) throws IOException {
        int rowHeight = 34;
        int left = 330;
        int width = 900;
        int barMax = width - left - 150;
        int top = 60;
        int height = top + results.size() * rowHeight + 50;
        double scaleMax = Math.max(1.0, results.stream().mapToDouble(BenchResult::ratio).filter(d -> !Double.isNaN(d))
                .max().orElse(1.0));
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"13\">%n", width, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">vnet "
                + "relative to the kernel bridge and netfilter (kernel = 1.0, longer is better)</text>%n"));
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"44\" fill=\"#555\">%s; %s run(s) of %s s; vnet "
                        + "offloads %s, poll %s; medians</text>%n",
                escape(machine.getOrDefault("summary", "").toString()), settings.get("runs"),
                settings.get("seconds-per-case"), Boolean.TRUE.equals(settings.get("vnet-offloads")) ? "on" : "off",
                settings.getOrDefault("vnet-poll", "sleep")));
        for (int i = 0; i < results.size(); i++) {
            BenchResult r = results.get(i);
            int y = top + i * rowHeight;
            double ratio = Double.isNaN(r.ratio()) ? 0 : r.ratio();
            int bar = (int) Math.round(barMax * ratio / scaleMax);
            s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n", y + 18,
                    escape(r.benchCase().title())));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" fill=\"%s\"/>%n",
                    left, y + 4, Math.max(bar, 1), ratio >= 1 ? "#2e7d32" : "#1565c0"));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s  (vnet %s, kernel %s %s)</text>%n",
                    left + Math.max(bar, 1) + 6, y + 20, f(r.ratio()), f(BenchResult.median(r.vnet())),
                    f(BenchResult.median(r.kernel())), escape(r.benchCase().unit())));
        }
        int one = left + (int) Math.round(barMax / scaleMax);
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c62828\" "
                + "stroke-dasharray=\"4 3\"/>%n", one, top, one, top + results.size() * rowHeight));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#c62828\">kernel</text>%n", one - 20,
                top + results.size() * rowHeight + 18));
        s.append("</svg>\n");
        Files.writeString(file, s.toString());
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
