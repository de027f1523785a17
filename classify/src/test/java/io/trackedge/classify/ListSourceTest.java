package io.trackedge.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListSourceTest {

    @TempDir
    Path data;

    private final AtomicLong clock = new AtomicLong();

    private ListSource source() {
        return ListSource.watching(data, 1, TimeUnit.SECONDS, clock::get);
    }

    @Test
    void withoutADataFolderFileTheSnapshotServes() {
        ListSource s = source();
        assertTrue(s.current().appleRelay().contains(IpLiteral.parse("104.28.28.1")));
        assertTrue(s.origin(Lists.APPLE_RELAY).startsWith("snapshot:"));
    }

    @Test
    void aDataFolderFileOverridesTheSnapshotAndIsReloadedWhenItChanges() throws Exception {
        Path lists = Files.createDirectories(data.resolve("lists"));
        Path relay = lists.resolve(Lists.APPLE_RELAY);
        Files.writeString(relay, "cidr,country,region,city,\n192.0.2.0/24,US,US-CA,Cupertino,\n");
        ListSource s = source();
        assertTrue(s.current().appleRelay().contains(IpLiteral.parse("192.0.2.7")), "Apple's CSV format is read");
        assertFalse(s.current().appleRelay().contains(IpLiteral.parse("104.28.28.1")));

        Files.writeString(relay, "198.51.100.0/24\n");
        Files.setLastModifiedTime(relay, FileTime.from(Instant.now().plusSeconds(5)));
        Lists before = s.current();
        assertSame(before, s.current(), "not checked again before the interval");
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        Lists after = s.current();
        assertTrue(after.appleRelay().contains(IpLiteral.parse("198.51.100.1")));
        assertFalse(after.appleRelay().contains(IpLiteral.parse("192.0.2.7")));
        assertEquals(1, s.reloads());
    }

    @Test
    void aBrokenFileLaterKeepsTheLastGoodListsAndSaysWhy() throws Exception {
        Path lists = Files.createDirectories(data.resolve("lists"));
        Path vendors = lists.resolve(Lists.SECURITY_VENDORS);
        Files.writeString(vendors, "205.139.110.0/24 mimecast\n");
        ListSource s = source();
        Lists good = s.current();

        Files.writeString(vendors, "not-a-range mimecast\n");
        Files.setLastModifiedTime(vendors, FileTime.from(Instant.now().plusSeconds(5)));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertSame(good, s.current());
        assertNotNull(s.lastError());
        assertTrue(s.lastError().contains(Lists.SECURITY_VENDORS + " line 1: not an IP range: 'not-a-range'"), s.lastError());
        assertEquals(1, s.reloadFailures());

        Files.writeString(vendors, "64.235.144.0/20 barracuda\n");
        Files.setLastModifiedTime(vendors, FileTime.from(Instant.now().plusSeconds(10)));
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertTrue(s.current().securityVendors().contains(IpLiteral.parse("64.235.150.1")));
        assertNull(s.lastError());
    }

    @Test
    void aBrokenFileAtStartIsAnErrorNamingIt() throws Exception {
        Path lists = Files.createDirectories(data.resolve("lists"));
        Files.writeString(lists.resolve(Lists.MACHINE_USER_AGENTS), "browser Firefox\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, this::source);
        assertTrue(e.getMessage().contains(Lists.MACHINE_USER_AGENTS + " line 1"), e.getMessage());
    }

    @Test
    void eachListsBadEntryIsNamedByFileAndLine() throws Exception {
        Path lists = Files.createDirectories(data.resolve("lists"));
        Files.writeString(lists.resolve(Lists.APPLE_RELAY), "# egress ranges\n\n172.224.226.0/27,US,US-CA,Cupertino,\n172.224.999.0/27,US\n");
        IllegalArgumentException relay = assertThrows(IllegalArgumentException.class, this::source);
        assertTrue(relay.getMessage().contains(Lists.APPLE_RELAY + " line 4: not an IP range: '172.224.999.0/27'"), relay.getMessage());

        Files.delete(lists.resolve(Lists.APPLE_RELAY));
        Files.writeString(lists.resolve(Lists.CRAWLERS), "Googlebot\n# a comment\nbot(\n");
        IllegalArgumentException crawlers = assertThrows(IllegalArgumentException.class, this::source);
        assertTrue(crawlers.getMessage().contains(Lists.CRAWLERS + " line 3: crawler pattern does not compile: 'bot('"), crawlers.getMessage());
    }
}
