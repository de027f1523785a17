package io.trackedge.sink;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The failure inside the wrappers futures put around it, and the text an operator sees. */
final class Failures {

    private Failures() {
    }

    static Throwable unwrap(Throwable e) {
        Throwable c = e;
        while ((c instanceof ExecutionException || c instanceof CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    static String describe(Throwable e) {
        Throwable c = unwrap(e);
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    static Exception asException(Throwable t) {
        return t instanceof Exception e ? e : new IllegalStateException(t);
    }
}
