package io.trackedge.http;

/**
 * A listener could not bind its address (a port in use, an address not on this host). Its message names
 * the address and the setting that chose it; {@code serve} prints it and exits 1, not 2 as for a
 * configuration error, so that a service manager tries again: a port in use may come free.
 */
public final class CannotListenException extends IllegalStateException {

    CannotListenException(String message, Throwable cause) {
        super(message, cause);
    }
}
