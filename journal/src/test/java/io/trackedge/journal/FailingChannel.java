package io.trackedge.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A segment file whose disk fails on demand: a write takes only so many bytes more and then fails
 * (a full disk part way through a batch), a truncate fails (what leaves a failed write uncut).
 * Everything else goes to the real file.
 */
final class FailingChannel extends FileChannel {

    private final FileChannel file;
    /** Bytes writes may still take; negative: no limit. */
    private long writable = -1;
    private boolean refuseTruncate;

    FailingChannel(FileChannel file) {
        this.file = file;
    }

    /** From now on, writes take {@code bytes} more and then fail. */
    void failWritesAfter(long bytes) {
        writable = bytes;
    }

    void refuseTruncate() {
        refuseTruncate = true;
    }

    /** The disk works again. */
    void heal() {
        writable = -1;
        refuseTruncate = false;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (writable < 0) {
            return file.write(src);
        }
        if (writable == 0) {
            throw new IOException("No space left on device (the test)");
        }
        ByteBuffer part = src.slice(src.position(), (int) Math.min(src.remaining(), writable));
        int n = file.write(part);
        src.position(src.position() + n);
        writable -= n;
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
