package io.trackedge.sink.posthog;

/**
 * PostHog's {@code /decide/} answered 401 (or a 403 calling the key invalid): no project has the sink's key. Its capture endpoints would
 * answer 200 to the same key and drop the events, so nothing is sent; the sink loop retries (not bad events).
 */
final class PostHogKeyRefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    PostHogKeyRefusedException(String message, int status) {
        super(message);
        this.status = status;
    }
}
