package io.trackedge.privacy;

/** What a tenant's events may keep of the client address. */
public enum IpMode {
    /** The full address. */
    KEEP,
    /** The network only: the first 24 bits of an IPv4 address, the first 48 of an IPv6 one; the rest zero. */
    TRUNCATE,
    /** No address at all. */
    DROP
}
