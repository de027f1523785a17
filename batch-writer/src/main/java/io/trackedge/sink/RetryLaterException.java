package io.trackedge.sink;

import java.time.Duration;

/**
 * A destination asked to be left alone for a while (HTTP 429 or 503 with {@code Retry-After}): the
 * loop waits at least {@link #retryAfter} before the next attempt, however short its backoff is.
 */
public class RetryLaterException extends Exception {
    private static final long serialVersionUID = 1L;
    private final Duration retryAfter;

    public RetryLaterException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = retryAfter == null ? Duration.ZERO : retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
