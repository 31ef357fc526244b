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

/**
 * A finished benchmark as a person reads it (a table), as data (JSON) and as a picture (an SVG chart of grouped
 * bars): every system measured ({@code systems}: the kernel, vnet, then the peers), and vnet's ratio to each.
 */
final class BenchReport {
    /** Bar colours of the systems after the kernel, in order (vnet first). */
    private static final String[] COLOURS = {"#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f"};

    private final Map<String, Object> machine;
    private final Map<String, Object> settings;
    private final List<BenchResult> results;
    private final List<String> systems;

    BenchReport(Map<String, Object> machine, Map<String, Object> settings, List<BenchResult> results,
                List<String> systems) {
        this.machine = machine;
        this.settings = settings;
        this.results = results;
        this.systems = List.copyOf(systems);
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

    /** The systems vnet is compared with: all but vnet, the kernel first. */
    private List<String> others() {
        return systems.stream().filter(s -> !s.equals("vnet")).toList();
    }

    /** The table: per case each system's median (min-max over runs), n/a where it cannot run, and vnet's ratios. */
    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-46s", "case"));
        for (String s : systems) {
            sb.append(String.format(Locale.ROOT, " %-24s", s));
        }
        for (String o : others()) {
            sb.append(String.format(Locale.ROOT, " %-12s", "vnet/" + o));
        }
        sb.append(String.format("%n"));
        boolean latency = false;
        for (BenchResult r : results) {
            String unit = " " + r.benchCase().unit();
            sb.append(String.format(Locale.ROOT, "%-46s", r.benchCase().title()));
            for (String s : systems) {
                List<Double> v = r.of(s);
                sb.append(String.format(Locale.ROOT, " %-24s", v.isEmpty() ? "n/a"
                        : f(BenchResult.median(v)) + unit + spread(v)));
            }
            for (String o : others()) {
                sb.append(String.format(Locale.ROOT, " %-12s", r.of(o).isEmpty() ? "n/a" : f(r.ratioTo(o))));
            }
            latency |= !r.benchCase().higherIsBetter();
            sb.append(String.format("%n"));
        }
        if (latency) {
            sb.append(String.format("(ratios above 1: vnet better; for round trips the other's time over vnet's)%n"));
        }
        return sb.toString();
    }

    /** Everything, as JSON: per case each system's readings and median (null: n/a) and vnet's ratio to each. */
    void writeJson(Path file) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("machine", machine);
        doc.put("settings", settings);
        doc.put("systems", systems);
        List<Object> cases = new ArrayList<>();
        for (BenchResult r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", r.benchCase().id());
            c.put("title", r.benchCase().title());
            c.put("unit", r.benchCase().unit());
            c.put("higher-is-better", r.benchCase().higherIsBetter());
            for (String s : systems) {
                c.put(s, r.of(s).isEmpty() ? null : r.of(s));
            }
            for (String s : systems) {
                c.put(s + "-median", r.of(s).isEmpty() ? null : BenchResult.median(r.of(s)));
            }
            c.put("ratio", r.ratio());
            for (String o : others()) {
                if (!o.equals("kernel")) {
                    c.put("ratio-" + o, r.of(o).isEmpty() ? null : r.ratioTo(o));
                }
            }
            cases.add(c);
        }
        doc.put("cases", cases);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
    }

    /**
     * A chart of grouped bars: per case one bar per system but the kernel, its length the system relative to the
     * kernel (the dashed line at 1.0; longer is better), the ratio and the median written beside it; n/a where the
     * system cannot run the case.
     */
    void writeSvg(Path file) throws IOException {
        List<String> bars = systems.stream().filter(s -> !s.equals("kernel")).toList();
        int barHeight = 16;
        int groupGap = 14;
        int groupHeight = bars.size() * barHeight + groupGap;
        int left = 345; // the longest case title, at 13 px, with room to spare
        int width = 1030;
        int labelRoom = 230; // "1.23  (vnet 12.8 Gbit/s)" beside the longest bar
        int barMax = width - left - labelRoom;
        int top = 96;
        int height = top + results.size() * groupHeight + 40;
        double scaleMax = 1.0;
        for (BenchResult r : results) {
            for (String s : bars) {
                double v = r.relativeToKernel(s);
                if (!Double.isNaN(v) && !Double.isInfinite(v)) {
                    scaleMax = Math.max(scaleMax, v);
                }
            }
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">%n", width, height, width,
                height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s "
                + "relative to the kernel bridge and netfilter (kernel = 1.0, longer is better)</text>%n",
                escape(String.join(", ", bars))));
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"44\" fill=\"#555\">%s</text>%n",
                escape(machine.getOrDefault("summary", "").toString())));
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"62\" fill=\"#555\">%s run(s) of %s s, alternating; "
                        + "vnet offloads %s, poll %s; medians</text>%n", settings.get("runs"),
                settings.get("seconds-per-case"), Boolean.TRUE.equals(settings.get("vnet-offloads")) ? "on" : "off",
                settings.getOrDefault("vnet-poll", "sleep")));
        int legendX = 10;
        for (int b = 0; b < bars.size(); b++) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"72\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"83\">%s</text>%n", legendX, colour(b), legendX + 16, escape(bars.get(b))));
            legendX += 30 + 8 * bars.get(b).length();
        }
        // The kernel's line first, under the bars and their labels.
        int one = left + (int) Math.round(barMax / scaleMax);
        int bottom = top + results.size() * groupHeight - groupGap;
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c62828\" "
                + "stroke-dasharray=\"4 3\"/>%n", one, top - 4, one, bottom));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#c62828\">kernel = 1.0</text>%n",
                one - 36, bottom + 18));
        for (int i = 0; i < results.size(); i++) {
            BenchResult r = results.get(i);
            int y = top + i * groupHeight;
            s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n",
                    y + bars.size() * barHeight / 2 + 4, escape(r.benchCase().title())));
            for (int b = 0; b < bars.size(); b++) {
                String sys = bars.get(b);
                int by = y + b * barHeight;
                if (r.of(sys).isEmpty()) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#777\">%s: n/a</text>%n",
                            left + 4, by + 12, escape(sys)));
                    continue;
                }
                double rel = r.relativeToKernel(sys);
                int bar = Double.isNaN(rel) ? 1 : (int) Math.max(1, Math.round(barMax * Math.min(rel, scaleMax)
                        / scaleMax));
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                        + "fill=\"%s\"/>%n", left, by + 1, bar, barHeight - 3, colour(b)));
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" stroke=\"white\" "
                        + "stroke-width=\"3\" paint-order=\"stroke\">%s  (%s %s %s)</text>%n",
                        left + bar + 5, by + 12, f(rel), escape(sys), f(BenchResult.median(r.of(sys))),
                        escape(r.benchCase().unit())));
            }
        }
        s.append("</svg>\n");
        Files.writeString(file, s.toString());
    }

    private static String colour(int i) {
        return COLOURS[i % COLOURS.length];
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
