package io.trackedge.cli;

import java.util.ArrayList;
import java.util.List;

/** What one {@code trackedge doctor} run found, in the order its checks found it. Not thread-safe. */
final class Findings {

    private final List<Doctor.Finding> list = new ArrayList<>();

    /** @param fix what to do, or empty when there is nothing to do */
    void add(String check, Doctor.Status status, String detail, String fix) {
        list.add(new Doctor.Finding(check, status, detail, fix));
    }

    List<Doctor.Finding> list() {
        return List.copyOf(list);
    }
}
