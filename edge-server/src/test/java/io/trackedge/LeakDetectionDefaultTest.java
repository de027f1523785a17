package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/**
 * A server runs without Netty's leak detector unless its command line names a level; the tests
 * run it at paranoid (pom.xml), which this test leaves as it found it.
 */
class LeakDetectionDefaultTest {

    private static final String PROPERTY = "io.netty.leakDetection.level";

    @Test
    void withoutALevelOnTheCommandLineTheDetectorIsOffAndAGivenLevelIsKept() {
        String given = System.getProperty(PROPERTY);
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        try {
            System.setProperty(PROPERTY, "simple");
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
            Main.leakDetectionOffUnlessAsked();
            assertEquals(ResourceLeakDetector.Level.SIMPLE, ResourceLeakDetector.getLevel());

            System.clearProperty(PROPERTY);
            System.setProperty("io.netty.leakDetectionLevel", "advanced"); // Netty's older name counts too
            Main.leakDetectionOffUnlessAsked();
            assertEquals(ResourceLeakDetector.Level.SIMPLE, ResourceLeakDetector.getLevel());

            System.clearProperty("io.netty.leakDetectionLevel");
            Main.leakDetectionOffUnlessAsked();
            assertEquals(ResourceLeakDetector.Level.DISABLED, ResourceLeakDetector.getLevel());
        } finally {
            System.clearProperty("io.netty.leakDetectionLevel");
            if (given == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, given);
            }
            ResourceLeakDetector.setLevel(level);
        }
    }
}
