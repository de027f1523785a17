package io.trackedge.sink.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * A PostHog capture endpoint on 127.0.0.1 for tests: {@code POST /batch/} (and {@code /capture/})
 * with the JSON body PostHog documents, parsed with Jackson and checked as PostHog checks it
 * (api_key, a batch array, each event with event, distinct_id and a UUID). Accepted events are
 * recorded in arrival order, duplicates included.
 *
 * <p>The project key as PostHog treats it: capture refuses (401) only a key of the wrong shape (missing,
 * empty, over 64 characters, not ASCII, a personal {@code phx_} key); a well-formed key of no project is
 * answered 200 {@code {"status":"Ok"}} like the right one, and its events are dropped ({@link #dropped}), as
 * PostHog's ingestion drops them later. Only {@code POST /decide/} (and {@code /flags/}) answers 401 to it,
 * and 200 with an empty set of flags to the right key ({@link #keyChecks}); {@link #withoutDecide} answers
 * 404 there instead, as a PostHog without it would. {@link #key} changes the project's key.
 *
 * <p>Faults to switch on: {@link #down} (the listener closed: connections are refused) and
 * {@link #up} again on the same port, {@link #slow} answers, {@link #answer} one status to every
 * request ({@code /decide/} included) or {@link #failNext} to the next few captures, 413 above
 * {@link #maxEventsPerRequest}, 400 for a request holding a {@link #poison} event.
 */
public final class FakePostHog implements AutoCloseable {

    /** One person deletion as PostHog's {@code persons/bulk_delete} received it. */
    public record PersonDeletionCall(String projectId, List<String> distinctIds, boolean deleteEvents) {
    }

    /** The personal API key {@code persons/bulk_delete} accepts as {@code Authorization: Bearer ...}. */
    public static final String PERSONAL_API_KEY = "phx_fake_personal_key";

    /** One accepted event as PostHog received it. */
    public record Captured(String event, String distinctId, UUID uuid, String timestamp, Map<String, Object> properties) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private volatile String apiKey;
    private volatile boolean decide = true;
    private final List<Captured> captured = new ArrayList<>();
    private final List<Captured> dropped = new ArrayList<>();
    private final Map<Integer, AtomicInteger> keyCheckStatuses = new ConcurrentHashMap<>();
    private final List<PersonDeletionCall> deletions = new ArrayList<>();
    private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final Set<UUID> poisoned = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile int failNextStatus;
    private volatile int forcedStatus;
    private volatile int maxEvents = Integer.MAX_VALUE;
    private volatile long slowMillis;
    private volatile long stallBodyMillis;
    private volatile Runnable beforeNextCapture;
    private volatile int largestRequest;
    private final AtomicInteger gzipRequests = new AtomicInteger();
    private HttpServer server;
    private ExecutorService executor;
    private int port;

    private FakePostHog(String apiKey) {
        this.apiKey = apiKey;
    }

    public static FakePostHog start(String apiKey) throws IOException {
        FakePostHog f = new FakePostHog(apiKey);
        f.bind(0);
        return f;
    }

    private void bind(int wanted) throws IOException {
        IOException[] last = {null};
        // The same port again after down(): wait for the kernel to let go of it.
        boolean bound = Await.within(Duration.ofSeconds(30), () -> {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted), 64);
                return true;
            } catch (BindException e) {
                last[0] = e;
                return false;
            }
        });
        if (!bound) {
            throw last[0];
        }
        port = server.getAddress().getPort();
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-posthog");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Where the sink should send: {@code http://127.0.0.1:<port>}. */
    public URI host() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Closes the listener: connections are refused until {@link #up}. */
    public synchronized void down() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    /** Listens again, on the same port. */
    public synchronized void up() throws IOException {
        if (server == null) {
            bind(port);
        }
    }

    public void slow(Duration perRequest) {
        slowMillis = perRequest.toMillis();
    }

    /**
     * Answers with the status line, the headers and the first byte of the body at once, then waits
     * {@code perAnswer} before the rest: a PostHog (or a proxy before it) that stalls mid-answer.
     * {@link Duration#ZERO} answers whole again.
     */
    public void stallBody(Duration perAnswer) {
        stallBodyMillis = perAnswer.toMillis();
    }

    /**
     * Runs {@code action} once, when the next capture request has been read and before it is taken
     * and answered: something that happens while a sender waits on PostHog.
     */
    public void beforeNextCapture(Runnable action) {
        beforeNextCapture = action;
    }

    /** The project's key from now on: the key fixed on PostHog's side. */
    public void key(String apiKey) {
        this.apiKey = apiKey;
    }

    /** Answers 404 to {@code /decide/} and {@code /flags/}: a PostHog without them. */
    public void withoutDecide() {
        decide = false;
    }

    /** Answers every request with {@code status} (0: behave normally again). */
    public void answer(int status) {
        forcedStatus = status;
    }

    /** Answers the next {@code n} requests with {@code status}. */
    public void failNext(int n, int status) {
        failNextStatus = status;
        failNext.set(n);
    }

    /** Answers 413 to a request of more than {@code n} events. */
    public void maxEventsPerRequest(int n) {
        maxEvents = n;
    }

    /** Answers 400 to any request that holds this event. */
    public void poison(UUID id) {
        poisoned.add(id);
    }

    /** Takes the event again (the cause of its refusal is fixed). */
    public void cure(UUID id) {
        poisoned.remove(id);
    }

    public synchronized List<Captured> events() {
        return List.copyOf(captured);
    }

    public synchronized Set<UUID> uuids() {
        Set<UUID> s = new HashSet<>();
        for (Captured c : captured) {
            s.add(c.uuid());
        }
        return s;
    }

    public synchronized int eventCount() {
        return captured.size();
    }

    /** Events answered 200 under a well-formed key of no project, and dropped, as PostHog drops them. */
    public synchronized List<Captured> dropped() {
        return List.copyOf(dropped);
    }

    /** {@code /decide/} requests answered {@code status} (not counted in {@link #answered}). */
    public int keyChecks(int status) {
        AtomicInteger n = keyCheckStatuses.get(status);
        return n == null ? 0 : n.get();
    }

    /** Requests answered with {@code status}. */
    public int answered(int status) {
        AtomicInteger n = statuses.get(status);
        return n == null ? 0 : n.get();
    }

    public int largestRequest() {
        return largestRequest;
    }

    public int gzipRequests() {
        return gzipRequests.get();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            long slow = slowMillis;
            if (slow > 0) {
                sleep(slow); // the scenario: a slow (or hanging) PostHog
            }
            String path = x.getRequestURI().getPath();
            if (path.matches("/api/projects/[^/]+/persons/bulk_delete/?")) {
                deletePersons(x, path);
                return;
            }
            if (path.matches("/(decide|flags)/?")) {
                decide(x);
                return;
            }
            if (!x.getRequestMethod().equals("POST") || !(path.equals("/batch/") || path.equals("/batch")
                    || path.equals("/capture/") || path.equals("/capture"))) {
                respond(x, 404, "{\"error\":\"not found\"}");
                return;
            }
            byte[] raw;
            try (InputStream in = x.getRequestBody()) {
                raw = in.readAllBytes();
            }
            if ("gzip".equalsIgnoreCase(x.getRequestHeaders().getFirst("Content-Encoding"))) {
                gzipRequests.incrementAndGet();
                try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
                    raw = in.readAllBytes();
                }
            }
            Runnable before = beforeNextCapture;
            if (before != null) {
                beforeNextCapture = null;
                before.run();
            }
            int forced = forcedStatus;
            if (forced != 0) {
                respond(x, forced, "{\"error\":\"forced " + forced + "\"}");
                return;
            }
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                respond(x, failNextStatus, "{\"error\":\"failing on purpose\"}");
                return;
            }
            JsonNode body;
            try {
                body = JSON.readTree(raw);
            } catch (IOException e) {
                respond(x, 400, "{\"error\":\"invalid JSON: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("").replace('"', '\'') + "\"}");
                return;
            }
            String refused = shapeRefusal(body.path("api_key"));
            if (refused != null) {
                respond(x, 401, "{\"error\":\"" + refused + "\"}");
                return;
            }
            boolean known = body.get("api_key").asText().equals(apiKey);
            JsonNode batch = path.startsWith("/batch") ? body.path("batch") : JSON.createArrayNode().add(body);
            if (!batch.isArray() || batch.isEmpty() || (body.has("historical_migration") && !body.get("historical_migration").isBoolean())) {
                respond(x, 400, "{\"error\":\"batch must be a non-empty array\"}");
                return;
            }
            largestRequest = Math.max(largestRequest, batch.size());
            if (batch.size() > maxEvents) {
                respond(x, 413, "{\"error\":\"payload too large\"}");
                return;
            }
            List<Captured> events = new ArrayList<>();
            for (JsonNode e : batch) {
                Captured c;
                try {
                    c = parse(e);
                } catch (IllegalArgumentException bad) {
                    respond(x, 400, "{\"error\":\"" + bad.getMessage().replace('"', '\'') + "\"}");
                    return;
                }
                if (poisoned.contains(c.uuid())) {
                    respond(x, 400, "{\"error\":\"invalid event " + c.uuid() + "\"}");
                    return;
                }
                events.add(c);
            }
            synchronized (this) {
                (known ? captured : dropped).addAll(events);
            }
            respond(x, 200, "{\"status\":\"Ok\"}");
        }
    }

    /**
     * Why PostHog's capture refuses a key at the edge (its {@code rust/capture/src/token.rs}), or null: it checks
     * the shape only, not whether a project has the key.
     */
    private static String shapeRefusal(JsonNode key) {
        if (!key.isTextual()) {
            return "event submitted without an api_key";
        }
        String k = key.asText();
        if (k.isEmpty() || k.length() > 64 || !k.chars().allMatch(c -> c < 128) || k.indexOf('\0') >= 0 || k.startsWith("phx_")) {
            return "API key is not valid";
        }
        return null;
    }

    /**
     * PostHog's {@code POST /decide/?v=3} (or {@code v=4}, or {@code /flags/}): the key as {@code api_key} or
     * {@code token}. 401 for a key no project has, 200 with no flags for the right one.
     */
    private void decide(HttpExchange x) throws IOException {
        Map<Integer, AtomicInteger> counts = keyCheckStatuses;
        if (!decide) {
            respond(x, 404, "{\"error\":\"not found\"}", counts);
            return;
        }
        if (!x.getRequestMethod().equals("POST")) {
            respond(x, 405, "{\"error\":\"method not allowed\"}", counts);
            return;
        }
        int forced = forcedStatus;
        if (forced != 0) {
            respond(x, forced, "{\"error\":\"forced " + forced + "\"}", counts);
            return;
        }
        JsonNode body;
        try (InputStream in = x.getRequestBody()) {
            body = JSON.readTree(in.readAllBytes());
        } catch (IOException e) {
            respond(x, 400, "{\"type\":\"validation_error\",\"detail\":\"Malformed request data\"}", counts);
            return;
        }
        JsonNode token = body == null ? null : body.hasNonNull("api_key") ? body.get("api_key") : body.get("token");
        if (token == null || !token.isTextual() || !token.asText().equals(apiKey)) {
            respond(x, 401, "{\"type\":\"authentication_error\",\"code\":\"invalid_api_key\",\"detail\":\"The provided API"
                    + " key is invalid or has expired. Please check your API key and try again.\",\"attr\":null}", counts);
            return;
        }
        String query = x.getRequestURI().getQuery();
        respond(x, 200, query != null && query.contains("v=4") ? "{\"flags\":{},\"errorsWhileComputingFlags\":false}"
                : "{\"featureFlags\":{},\"featureFlagPayloads\":{},\"errorsWhileComputingFlags\":false}", counts);
    }

    /** The person deletions received, in arrival order. */
    public synchronized List<PersonDeletionCall> personDeletions() {
        return List.copyOf(deletions);
    }

    /**
     * PostHog's private API {@code POST /api/projects/<id>/persons/bulk_delete/}: a personal API key as
     * bearer token, {@code distinct_ids} (or {@code ids}) up to 1000, {@code delete_events}. Answers 202
     * and, with delete_events, forgets the captured events of those distinct ids as PostHog would.
     */
    private void deletePersons(HttpExchange x, String path) throws IOException {
        if (!x.getRequestMethod().equals("POST")) {
            respond(x, 405, "{\"error\":\"method not allowed\"}");
            return;
        }
        if (!("Bearer " + PERSONAL_API_KEY).equals(x.getRequestHeaders().getFirst("Authorization"))) {
            respond(x, 401, "{\"type\":\"authentication_error\",\"detail\":\"a personal API key is required\"}");
            return;
        }
        JsonNode body;
        try (InputStream in = x.getRequestBody()) {
            body = JSON.readTree(in.readAllBytes());
        } catch (IOException e) {
            respond(x, 400, "{\"error\":\"invalid JSON\"}");
            return;
        }
        JsonNode ids = body.path("distinct_ids");
        if (!ids.isArray() || ids.isEmpty() || ids.size() > 1000) {
            respond(x, 400, "{\"error\":\"distinct_ids must be an array of 1..1000\"}");
            return;
        }
        List<String> distinct = new ArrayList<>();
        ids.forEach(n -> distinct.add(n.asText()));
        boolean deleteEvents = body.path("delete_events").asBoolean(false);
        String project = path.split("/")[3];
        synchronized (this) {
            deletions.add(new PersonDeletionCall(project, List.copyOf(distinct), deleteEvents));
            if (deleteEvents) {
                captured.removeIf(c -> distinct.contains(c.distinctId()));
            }
        }
        respond(x, 202, "{}");
    }

    private static Captured parse(JsonNode e) {
        for (String f : new String[] {"event", "distinct_id", "uuid"}) {
            if (!e.path(f).isTextual() || e.path(f).asText().isEmpty()) {
                throw new IllegalArgumentException("event without " + f);
            }
        }
        UUID uuid = UUID.fromString(e.get("uuid").asText());
        if (!uuid.toString().equals(e.get("uuid").asText())) {
            throw new IllegalArgumentException("uuid not in canonical form");
        }
        Map<String, Object> props = new LinkedHashMap<>();
        if (e.has("properties")) {
            if (!e.get("properties").isObject()) {
                throw new IllegalArgumentException("properties must be an object");
            }
            props = JSON.convertValue(e.get("properties"), JSON.getTypeFactory().constructMapType(LinkedHashMap.class,
                    String.class, Object.class));
        }
        String ts = e.path("timestamp").isTextual() ? e.get("timestamp").asText() : null;
        if (ts != null) {
            java.time.Instant.parse(ts); // PostHog refuses what is not ISO-8601
        }
        return new Captured(e.get("event").asText(), e.get("distinct_id").asText(), uuid, ts, props);
    }

    private void respond(HttpExchange x, int status, String body) throws IOException {
        respond(x, status, body, statuses);
    }

    private void respond(HttpExchange x, int status, String body, Map<Integer, AtomicInteger> counts) throws IOException {
        counts.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        try {
            x.sendResponseHeaders(status, b.length);
            try (OutputStream out = x.getResponseBody()) {
                long stall = stallBodyMillis;
                if (stall > 0) {
                    out.write(b, 0, 1);
                    out.flush();
                    sleep(stall);
                    out.write(b, 1, b.length - 1);
                } else {
                    out.write(b);
                }
            }
        } catch (IOException gone) {
            // The client gave up (its timeout) before the answer; what it means for it is its business.
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        down();
    }

    /** Waits until {@code n} distinct uuids arrived or the timeout passed; returns how many did. */
    public int awaitUuids(int n, Duration timeout) {
        // A timeout is an answer here, not a failure: callers compare the count they get with the one they expected.
        Await.within(timeout, () -> uuids().size() >= n);
        return uuids().size();
    }
}
