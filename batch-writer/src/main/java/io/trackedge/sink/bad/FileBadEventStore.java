package io.trackedge.sink.bad;

import io.trackedge.sink.BadRecord;
import io.trackedge.sink.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Base64;

/**
 * Keeps set-aside events as JSON lines in a file of the data folder, for an edge that runs without
 * a database: one line per event with the sink, the journal position, the error and the raw record
 * (base64), appended and fsynced before the sink moves its cursor. A line may repeat after a crash
 * between the append and the cursor write; its journal position tells the copies apart. A line cut
 * short by a crash or an interrupted write is ended before the next is appended, so only it is lost
 * to a reader, not the one after it. Not read by {@code trackedge bad-events}, which reads the table.
 */
public final class FileBadEventStore implements BadEventStore {

    private final Path file;

    public FileBadEventStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void add(String sink, BadRecord bad) throws IOException {
        StringBuilder sb = new StringBuilder(256 + bad.record().length * 2);
        sb.append("{\"sink\":");
        Json.quote(sb, sink);
        sb.append(",\"journal_position\":").append(bad.position());
        sb.append(",\"event_id\":");
        Json.quote(sb, bad.event() == null ? "" : bad.event().id().toString());
        sb.append(",\"set_aside_at\":");
        Json.quote(sb, Instant.now().toString());
        sb.append(",\"error\":");
        Json.quote(sb, bad.error());
        sb.append(",\"error_code\":");
        Json.quote(sb, bad.code() == null ? "" : bad.code());
        sb.append(",\"record\":");
        Json.quote(sb, Base64.getEncoder().encodeToString(bad.record()));
        sb.append("}\n");
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) { // at its end (this store's adds are one at a time): APPEND cannot read
            if (ch.size() > 0 && !endsWithNewline(ch)) {
                sb.insert(0, '\n');
            }
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            ch.position(ch.size());
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static boolean endsWithNewline(FileChannel ch) throws IOException {
        ByteBuffer last = ByteBuffer.allocate(1);
        ch.read(last, ch.size() - 1);
        return last.get(0) == '\n';
    }
}
