package io.trackedge.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A segment file whose disk fails on demand: the file grows only by so many bytes more and then a
 * write past its end fails (a full disk part way through a batch), bytes already in it can still be
 * overwritten unless overwrites fail too (a disk failing its I/O), a truncate fails (what leaves a
 * failed write uncut). Everything else goes to the real file.
 */
final class FailingChannel extends FileChannel {

    private final FileChannel file;
    /** Bytes the file may still grow by; negative: no limit. */
    private long growable = -1;
    private boolean failOverwrites;
    private boolean refuseTruncate;

    FailingChannel(FileChannel file) {
        this.file = file;
    }

    /** From now on, the file grows by {@code bytes} more and then a write past its end fails. */
    void failWritesAfter(long bytes) {
        growable = bytes;
    }

    /** From now on, a write inside the file (an overwrite) fails. */
    void failOverwrites() {
        failOverwrites = true;
    }

    void refuseTruncate() {
        refuseTruncate = true;
    }

    /** The disk works again. */
    void heal() {
        growable = -1;
        failOverwrites = false;
        refuseTruncate = false;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long sizeBefore = file.size();
        long position = file.position();
        if (failOverwrites && position < sizeBefore) {
            throw new IOException("Input/output error (the test)");
        }
        if (growable < 0) {
            return file.write(src);
        }
        long room = Math.max(0, sizeBefore - position) + growable;
        if (room == 0) {
            throw new IOException("No space left on device (the test)");
        }
        ByteBuffer part = src.slice(src.position(), (int) Math.min(src.remaining(), room));
        int n = file.write(part);
        src.position(src.position() + n);
        growable -= file.size() - sizeBefore;
        return n;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (refuseTruncate) {
            throw new IOException("Input/output error (the test)");
        }
        file.truncate(size);
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("not used by the journal");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}
