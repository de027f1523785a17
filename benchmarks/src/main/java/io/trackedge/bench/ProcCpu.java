package io.trackedge.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU seconds of a process from {@code /proc/<pid>/stat} (utime + stime, in clock ticks of
 * 1/100 s, the Linux default), and of this JVM from its MXBean. Linux only.
 */
final class ProcCpu {

    private static final double TICKS_PER_SECOND = 100.0;

    private ProcCpu() {
    }

    /** utime + stime of {@code pid} in seconds. */
    static double seconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long utime = Long.parseLong(f[11]);
        long stime = Long.parseLong(f[12]);
        return (utime + stime) / TICKS_PER_SECOND;
    }

    /** CPU seconds this JVM has used, all threads. */
    static double jvmSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }
}
