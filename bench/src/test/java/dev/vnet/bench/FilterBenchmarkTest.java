package dev.vnet.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The filter benchmark decides what it says: half its packets by a rule (when it has rules), half by the default. */
class FilterBenchmarkTest {
    @Test
    void halfThePacketsMeetARule() {
        for (int rules : new int[] {0, 1, 100, 10_000}) {
            FilterBenchmark b = new FilterBenchmark();
            b.rules = rules;
            b.setUp();
            assertEquals(rules == 0 ? 0 : FilterBenchmark.BATCH / 2, b.matched(), rules + " rules");
        }
    }
}
