package io.trackedge.metrics;

/** Why the edge closed a public connection, as labelled in {@code edge_http_closes_total}. */
public enum CloseReason {
    /** After the answer to a request that asked for it ({@code Connection: close}, HTTP/1.0 without keep-alive). */
    CLIENT_ASKED("client-asked"),
    /** After an answer given while the process stops. */
    DRAINING("draining"),
    /** After a 400, 414, 431 or 505: the request could not be read, so the framing is lost. */
    BAD_REQUEST("bad-request"),
    /** After a 408: a request did not arrive whole within {@code request-timeout}. */
    REQUEST_TIMEOUT("request-timeout"),
    /** After an ingest answer given before its body was read (401, 413, 415, 503 with the body still coming). */
    INGEST_BODY_UNREAD("ingest-body-unread"),
    /** The client shut its sending side (or closed) and every answer it was owed is out. */
    CLIENT_CLOSED("client-closed"),
    /** No request for {@code idle-timeout}, and nothing owed. */
    IDLE("idle"),
    /** Over {@code max-connections}: 503 before reading anything. */
    MAX_CONNECTIONS("max-connections"),
    /** With {@code proxy-protocol} on: the connection did not start with a well-formed PROXY header. */
    PROXY_PROTOCOL("proxy-protocol"),
    /** The socket failed (reset, broken pipe): the peer is gone. */
    IO_ERROR("io-error"),
    /** A failure in the edge itself while a connection was served; always logged. */
    INTERNAL_ERROR("internal-error");

    private final String label;

    CloseReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
