package io.trackedge.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trackedge.journal.EventFields;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The frozen test vectors of {@code docs/tracking-token-vectors.json}, read once. */
public final class Vectors {

    public record Key(int id, byte[] secret, String spec) {
        SigningKey signingKey() {
            return new SigningKey(id, secret);
        }
    }

    public record Valid(String name, int keyId, int kind, EventFields fields, String destination, String url,
                 byte[] signed, byte[] macInput, byte[] tag, String token, String path) {
        @Override
        public String toString() {
            return name;
        }

        TokenKind tokenKind() {
            return switch (kind) {
                case 1 -> TokenKind.OPEN;
                case 2 -> TokenKind.CLICK;
                case 3 -> TokenKind.CLICK_URL_IN_QUERY;
                default -> throw new IllegalStateException("kind " + kind);
            };
        }

        /** The destination as the MAC sees it for kind 3, else empty. */
        byte[] queryUrl() {
            return kind == 3 ? url.getBytes(StandardCharsets.US_ASCII) : new byte[0];
        }
    }

    public record Invalid(String name, String route, String token, String queryUrl, String path, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A request path other than a valid vector's own that the edge must read as that vector (section 9). */
    public record Accepted(String name, String vector, String route, String token, String queryUrl, String path) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Fields a signer must refuse to sign, and the field its error must name. */
    public record Refused(String name, int kind, EventFields fields, String url, String field) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A key list and the ids it parses to, or the entry (from 1) its error must name. */
    public record KeyList(String name, String spec, List<Integer> ids, int entry) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static final Path FILE = locate();
    public static final String BASE_URL;
    public static final Map<Integer, Key> KEYS = new LinkedHashMap<>();
    public static final String VERIFY_RING;
    public static final List<Valid> VALID = new ArrayList<>();
    public static final List<Invalid> INVALID = new ArrayList<>();
    public static final List<Accepted> ACCEPTED = new ArrayList<>();
    public static final List<Refused> REFUSED_BY_SIGNER = new ArrayList<>();
    public static final List<KeyList> KEY_LISTS = new ArrayList<>();

    static {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(FILE.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HexFormat hex = HexFormat.of();
        BASE_URL = root.get("base_url").asText();
        for (JsonNode k : root.get("keys")) {
            KEYS.put(k.get("id").asInt(), new Key(k.get("id").asInt(), hex.parseHex(k.get("secret_hex").asText()),
                    k.get("spec").asText()));
        }
        VERIFY_RING = root.get("verify_ring").asText();
        for (JsonNode v : root.get("valid")) {
            int kind = v.get("kind").asInt();
            String url = text(v, "url");
            EventFields fields = fields(v.get("fields"));
            VALID.add(new Valid(v.get("name").asText(), v.get("key_id").asInt(), kind, fields, text(v, "destination"),
                    url, hex.parseHex(v.get("signed_hex").asText()),
                    v.has("mac_input_hex") ? hex.parseHex(v.get("mac_input_hex").asText()) : null,
                    hex.parseHex(v.get("tag_hex").asText()), v.get("token").asText(), v.get("path").asText()));
        }
        for (JsonNode v : root.get("invalid")) {
            INVALID.add(new Invalid(v.get("name").asText(), v.get("route").asText(), v.get("token").asText(),
                    text(v, "query_url"), v.get("path").asText(), v.get("reason").asText()));
        }
        for (JsonNode v : root.get("accepted")) {
            ACCEPTED.add(new Accepted(v.get("name").asText(), v.get("vector").asText(), v.get("route").asText(),
                    v.get("token").asText(), text(v, "query_url"), v.get("path").asText()));
        }
        for (JsonNode v : root.get("refused_by_signer")) {
            REFUSED_BY_SIGNER.add(new Refused(v.get("name").asText(), v.get("kind").asInt(), fields(v.get("fields")),
                    text(v, "url"), v.get("field").asText()));
        }
        for (JsonNode v : root.get("key_lists")) {
            List<Integer> ids = null;
            if (v.has("ids")) {
                ids = new ArrayList<>();
                for (JsonNode id : v.get("ids")) {
                    ids.add(id.asInt());
                }
            }
            KEY_LISTS.add(new KeyList(v.get("name").asText(), v.get("spec").asText(), ids,
                    v.has("entry") ? v.get("entry").asInt() : 0));
        }
    }

    private Vectors() {
    }

    private static EventFields fields(JsonNode f) {
        return new EventFields(UUID.fromString(f.get("tenant").asText()), UUID.fromString(f.get("user").asText()),
                f.get("campaign").asText(), f.get("mailbox").asText(), f.get("email").asText(), text(f, "lead"),
                text(f, "step"), null);
    }

    /** Every vector of every section, as the reference script counts them. */
    public static int total() {
        return VALID.size() + INVALID.size() + ACCEPTED.size() + REFUSED_BY_SIGNER.size() + KEY_LISTS.size();
    }

    private static String text(JsonNode n, String field) {
        JsonNode x = n.get(field);
        return x == null || x.isNull() ? null : x.asText();
    }

    /** Finds the file from the module directory (Maven's working directory) or the repository root. */
    private static Path locate() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path f = d.resolve("docs/tracking-token-vectors.json");
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        throw new IllegalStateException("docs/tracking-token-vectors.json not found above " + dir);
    }

    static Path docs() {
        return FILE.getParent();
    }

    public static Valid valid(String name) {
        return VALID.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    static KeyRing ring(int... ids) {
        List<SigningKey> keys = new ArrayList<>();
        for (int id : ids) {
            keys.add(KEYS.get(id).signingKey());
        }
        return new KeyRing(keys);
    }
}
