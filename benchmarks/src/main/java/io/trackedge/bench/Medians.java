package io.trackedge.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The median the benchmarks quote: of an odd count the middle value, of an even one the mean of the two middle values. */
final class Medians {

    private Medians() {
    }

    static double of(List<Double> xs) {
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("no values: no median");
        }
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Each column's median, over rows of equal length. */
    static double[] ofColumns(List<double[]> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows: no medians");
        }
        double[] out = new double[rows.get(0).length];
        for (int i = 0; i < out.length; i++) {
            List<Double> column = new ArrayList<>();
            for (double[] row : rows) {
                column.add(row[i]);
            }
            out[i] = of(column);
        }
        return out;
    }
}
