package io.trackedge.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Binary encoding of {@link EventFields}, shared by tracking tokens and journal records so that
 * the edge can copy a verified token's field bytes into the journal without decoding them.
 *
 * <pre>
 *   tenant    16 bytes, UUID big-endian
 *   user      16 bytes, UUID big-endian
 *   campaign  str8   (u8 length 1..255, UTF-8)
 *   mailbox   str8
 *   email     str8
 *   presence  u8     bit0 lead, bit1 step, bit2 inline URL; other bits must be 0
 *   lead      str8   if bit0
 *   step      str8   if bit1
 *   url       str16  (u16 length 1..2048, UTF-8) if bit2
 * </pre>
 *
 * {@link #check} validates a byte range without allocating; {@link #decode} builds the record.
 */
public final class FieldsCodec {

    public static final int MAX_STR8 = 255;
    public static final int MAX_URL = 2048;
    static final int BIT_LEAD = 1;
    static final int BIT_STEP = 2;
    static final int BIT_URL = 4;

    private FieldsCodec() {
    }

    /** Encodes the fields; throws {@link IllegalArgumentException} naming the field that does not fit. */
    public static byte[] encode(EventFields f) {
        byte[] campaign = str(f.campaign(), "campaign", MAX_STR8);
        byte[] mailbox = str(f.mailbox(), "mailbox", MAX_STR8);
        byte[] email = str(f.email(), "email", MAX_STR8);
        byte[] lead = f.lead() == null ? null : str(f.lead(), "lead", MAX_STR8);
        byte[] step = f.step() == null ? null : str(f.step(), "step", MAX_STR8);
        byte[] url = f.inlineUrl() == null ? null : str(f.inlineUrl(), "url", MAX_URL);
        int size = 32 + 3 + campaign.length + mailbox.length + email.length + 1
                + (lead == null ? 0 : 1 + lead.length)
                + (step == null ? 0 : 1 + step.length)
                + (url == null ? 0 : 2 + url.length);
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(f.tenant().getMostSignificantBits()).putLong(f.tenant().getLeastSignificantBits());
        b.putLong(f.user().getMostSignificantBits()).putLong(f.user().getLeastSignificantBits());
        b.put((byte) campaign.length).put(campaign);
        b.put((byte) mailbox.length).put(mailbox);
        b.put((byte) email.length).put(email);
        b.put((byte) ((lead == null ? 0 : BIT_LEAD) | (step == null ? 0 : BIT_STEP) | (url == null ? 0 : BIT_URL)));
        if (lead != null) {
            b.put((byte) lead.length).put(lead);
        }
        if (step != null) {
            b.put((byte) step.length).put(step);
        }
        if (url != null) {
            b.putShort((short) url.length).put(url);
        }
        return b.array();
    }

    private static byte[] str(String s, String name, int max) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > max) {
            throw new IllegalArgumentException(name + " must be 1.." + max + " UTF-8 bytes, got " + bytes.length);
        }
        return bytes;
    }

    /**
     * Checks that {@code buf[off, off+len)} is exactly one well-formed field block.
     *
     * @return the offset of the inline URL's length prefix inside the block (relative to {@code off}),
     *     0 when there is no inline URL, or -1 when the block is malformed
     */
    public static int check(byte[] buf, int off, int len) {
        int end = off + len;
        int p = off + 32;
        for (int i = 0; i < 3; i++) {
            if (p >= end) {
                return -1;
            }
            int l = buf[p] & 0xFF;
            if (l == 0) {
                return -1;
            }
            p += 1 + l;
        }
        if (p >= end) {
            return -1;
        }
        int presence = buf[p++] & 0xFF;
        if ((presence & ~(BIT_LEAD | BIT_STEP | BIT_URL)) != 0) {
            return -1;
        }
        if ((presence & BIT_LEAD) != 0) {
            p = skipStr8(buf, p, end);
        }
        if (p >= 0 && (presence & BIT_STEP) != 0) {
            p = skipStr8(buf, p, end);
        }
        if (p < 0) {
            return -1;
        }
        int urlAt = 0;
        if ((presence & BIT_URL) != 0) {
            if (p + 2 > end) {
                return -1;
            }
            int l = ((buf[p] & 0xFF) << 8) | (buf[p + 1] & 0xFF);
            if (l == 0 || l > MAX_URL) {
                return -1;
            }
            urlAt = p - off;
            p += 2 + l;
        }
        return p == end ? urlAt : -1;
    }

    private static int skipStr8(byte[] buf, int p, int end) {
        if (p >= end) {
            return -1;
        }
        int l = buf[p] & 0xFF;
        if (l == 0 || p + 1 + l > end) {
            return -1;
        }
        return p + 1 + l;
    }

    /** Decodes a block that {@link #check} accepted. */
    public static EventFields decode(byte[] buf, int off, int len) {
        ByteBuffer b = ByteBuffer.wrap(buf, off, len);
        UUID tenant = new UUID(b.getLong(), b.getLong());
        UUID user = new UUID(b.getLong(), b.getLong());
        String campaign = str8(b);
        String mailbox = str8(b);
        String email = str8(b);
        int presence = b.get() & 0xFF;
        String lead = (presence & BIT_LEAD) != 0 ? str8(b) : null;
        String step = (presence & BIT_STEP) != 0 ? str8(b) : null;
        String url = null;
        if ((presence & BIT_URL) != 0) {
            int l = b.getShort() & 0xFFFF;
            url = new String(buf, b.position(), l, StandardCharsets.UTF_8);
            b.position(b.position() + l);
        }
        return new EventFields(tenant, user, campaign, mailbox, email, lead, step, url);
    }

    private static String str8(ByteBuffer b) {
        int l = b.get() & 0xFF;
        String s = new String(b.array(), b.position(), l, StandardCharsets.UTF_8);
        b.position(b.position() + l);
        return s;
    }
}
