package io.trackedge.journal;

import java.io.IOException;

/**
 * The journal's {@code node-id} file is there but does not hold an id: an operator must write the id back
 * (the message says where to find it). Unlike other I/O failures, a restart cannot heal it, so a server
 * exits with its configuration-error status rather than one its service manager restarts on.
 */
public final class NodeIdDamagedException extends IOException {
    private static final long serialVersionUID = 1L;

    NodeIdDamagedException(String message) {
        super(message);
    }
}
