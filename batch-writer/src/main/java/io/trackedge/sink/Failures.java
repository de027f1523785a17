package io.trackedge.sink;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

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

    /**
     * A set-aside event's error: as {@link #describe}, with the exception's class for a
     * {@link #isCodeFault code fault} (an {@code IllegalArgumentException}'s message alone does not say it is ours).
     */
    static String describeRefusal(Throwable e) {
        return isCodeFault(e) ? unwrap(e).toString() : describe(e);
    }

    /**
     * Whether {@code failure} is the edge's own code failing on what it was given: a RuntimeException,
     * or a StackOverflowError (recursion too deep for one event's input), with
     * no database or I/O failure among its causes, as the classifier or an encoder would throw on the
     * one event it mishandles. Retried, such an event would fail the same way for ever, and every event
     * after it would wait. A pool shut down or a task cancelled (the loop stopping) is not one.
     */
    static boolean isCodeFault(Throwable failure) {
        Throwable f = unwrap(failure);
        return (f instanceof RuntimeException || f instanceof StackOverflowError) && !holdsOtherCause(f);
    }

    /** Whether {@code t}, its causes or their suppressed exceptions (a failed rollback's) say database, I/O or lifecycle. */
    private static boolean holdsOtherCause(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> todo = new ArrayDeque<>(List.of(t));
        while (!todo.isEmpty()) {
            Throwable c = todo.pop();
            if (!seen.add(c)) {
                continue;
            }
            if (c instanceof SQLException || c instanceof IOException || c instanceof InterruptedException
                    || c instanceof RejectedExecutionException || c instanceof CancellationException) {
                return true;
            }
            if (c.getCause() != null) {
                todo.push(c.getCause());
            }
            for (Throwable s : c.getSuppressed()) {
                todo.push(s);
            }
        }
        return false;
    }

    /**
     * What the loop does about {@code failure}: a {@link #isCodeFault code fault} is taken as the events'
     * (narrowed to the one at fault, which is set aside, {@link BadEventFinder}); anything else as the sink says.
     */
    static FailureKind kind(Sink sink, Throwable failure) {
        return isCodeFault(failure) ? FailureKind.DATA : sink.classify(unwrap(failure));
    }

    static Exception asException(Throwable t) {
        return t instanceof Exception e ? e : new IllegalStateException(t);
    }
}
