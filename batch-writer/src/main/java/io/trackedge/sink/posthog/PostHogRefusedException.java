package io.trackedge.sink.posthog;

/** PostHog answered 400 or 413: it refuses what the request held (the loop narrows it down). */
final class PostHogRefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    PostHogRefusedException(int status, String body, int events) {
        super("PostHog answered " + status + " " + body + " for a request of " + events + " event(s)");
        this.status = status;
    }
}
