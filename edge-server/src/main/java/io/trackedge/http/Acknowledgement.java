package io.trackedge.http;

import io.netty.buffer.ByteBuf;

/**
 * A held response that acknowledges events (an ingest 202): whether it may say so is known only
 * once the appender has handled them. {@link AckGate} resolves it just before the release, on the
 * connection's event loop.
 */
interface Acknowledgement {

    /** What the appender wrote: {@code JournalAppender#written(long, long)}. */
    @FunctionalInterface
    interface Journal {
        /** True when every event of ring sequences {@code [first, last]}, all handled, is in the journal. */
        boolean written(long first, long last);
    }

    /**
     * @param journal asked whether the events it acknowledges were written
     * @return the response to write (the caller owns it): the acknowledgement when written, else a
     *     refusal the client can retry on; whatever is not returned is released here
     */
    ByteBuf resolve(Journal journal);
}
