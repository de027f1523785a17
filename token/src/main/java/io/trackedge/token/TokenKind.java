package io.trackedge.token;

/** The second byte of a token: what it tracks and where a click's destination lives. */
public enum TokenKind {
    /** Open pixel; no URL. */
    OPEN(1),
    /** Click; the destination URL is inside the token's field block. */
    CLICK(2),
    /** Click; the destination URL is the {@code u} query parameter, covered by the MAC. */
    CLICK_URL_IN_QUERY(3);

    private final int code;

    TokenKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static TokenKind ofCode(int code) {
        return switch (code) {
            case 1 -> OPEN;
            case 2 -> CLICK;
            case 3 -> CLICK_URL_IN_QUERY;
            default -> null;
        };
    }
}
